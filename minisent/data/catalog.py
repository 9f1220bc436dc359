"""The table of optional downloads: what each is, where it comes from, where it lives once fetched.

Kept apart from the fetching code (downloads.py) so that the file readers can say "run `python -m minisent
download stsb`" for a missing file without importing the code that fetches it.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import paths


@dataclass(frozen=True)
class Download:
    url: str
    sha256: str | None      # None: not published where we could check -> verification skipped with a warning
    filename: str           # saved as CACHE_DIR/downloads/<filename>
    description: str
    reader: str             # the minisent.data.readers function that reads path_of(name), e.g. "read_stsb"
    target: str = ""        # what the reader opens, relative to the downloads folder ("" = filename itself)
    extract_into: str = ""  # archives only: subfolder of the downloads folder to unpack into
    contains: tuple[str, ...] = ()   # names of files inside, for "how do I get this file?" hints
    mirrors: tuple[str, ...] = ()    # tried in order when `url` fails
    md5: str | None = None  # a second published checksum, checked too when known

    @property
    def is_archive(self) -> bool:
        return self.filename.lower().endswith((".zip", ".tar.gz", ".tgz", ".tar"))


_STSB = "http://ixa2.si.ehu.es/stswiki/images/4/48/Stsbenchmark.tar.gz"
_SIMCSE = "https://huggingface.co/datasets/princeton-nlp/datasets-for-simcse/resolve/main/"

DOWNLOADS: dict[str, Download] = {
    # The STS Benchmark (Cer et al., 2017) from its home page, as torchtext and TF-Hub's tutorial fetch it.
    # md5 as published by torchtext.datasets.STSB; sha256 as recorded by a public project that verified
    # the archive against that md5. The host has answered 403 at times: the Internet Archive copy is a mirror.
    "stsb": Download(
        url=_STSB,
        sha256="557a86abbd2b76ee6768d8b5103b659601a9d26b797898c7467812f303b21280",
        md5="4eb0065aba063ef77873d3a9c8088811",
        filename="Stsbenchmark.tar.gz",
        description="STS Benchmark: 8628 sentence pairs scored 0..5 (train 5749 / dev 1500 / test 1379)",
        reader="read_stsb", target="stsbenchmark", contains=("sts-train.csv", "sts-dev.csv", "sts-test.csv"),
        mirrors=("https://web.archive.org/web/20220101000000id_/" + _STSB,
                 "http://ixa2.si.ehu.eus/stswiki/images/4/48/Stsbenchmark.tar.gz"),
    ),
    # SICK (Marelli et al., 2014) on Zenodo, the URL of Hugging Face's `sick` dataset script;
    # sha256 from that dataset's dataset_infos.json (download_checksums).
    "sick": Download(
        url="https://zenodo.org/record/2787612/files/SICK.zip?download=1",
        sha256="da272af924399fc2de4889ed55383e38822c10d16c4a949a89d597d09a0b7912",
        filename="SICK.zip",
        description="SICK: about 10k sentence pairs with relatedness 1..5 and SemEval_set TRAIN/TRIAL/TEST",
        reader="read_sick", extract_into="SICK", target="SICK/SICK.txt", contains=("SICK.txt",),
    ),
    # SimCSE's training files (Gao et al., 2021), the URLs of princeton-nlp/SimCSE's data/download_*.sh.
    # No checksum is published next to them.
    "nli": Download(
        url=_SIMCSE + "nli_for_simcse.csv", sha256=None, filename="nli_for_simcse.csv",
        description="SimCSE's supervised training set: about 275k SNLI+MNLI triplets sent0,sent1,hard_neg",
        reader="read_nli_csv",
    ),
    "wiki1m": Download(
        url=_SIMCSE + "wiki1m_for_simcse.txt", sha256=None, filename="wiki1m_for_simcse.txt",
        description="SimCSE's unsupervised training set: one million English Wikipedia sentences, one per line",
        reader="read_lines",
    ),
}


# -------------------------------------------------------------------------------------- paths
def downloads_dir() -> Path:
    """CACHE_DIR/downloads (looked up at call time, so MINISENT_CACHE_DIR and tests can move it)."""
    return paths.CACHE_DIR / "downloads"


def _entry(name: str) -> Download:
    if name not in DOWNLOADS:
        raise ValueError(f"unknown download {name!r}: choose one of {sorted(DOWNLOADS)}")
    return DOWNLOADS[name]


def path_of(name: str) -> Path:
    """Where `name` lives once downloaded (and extracted): the path its reader opens. No network."""
    d = _entry(name)
    return downloads_dir() / (d.target or d.filename)


def archive_of(name: str) -> Path:
    """Where the file the URL serves is saved (for a plain file, the same as path_of)."""
    return downloads_dir() / _entry(name).filename


def download_hint(path: Path) -> str:
    """One sentence for a FileNotFoundError: how to get `path` when it belongs to a known download."""
    base = Path(path).name
    for name, d in DOWNLOADS.items():
        if base in {d.filename, Path(d.target).name, *d.contains} - {""}:
            return (f"It is part of the {name!r} download ({d.description}): run `python -m minisent download "
                    f"{name}` (or `minisent.data.download({name!r})`), or fetch {d.url} by hand and place it at "
                    f"{archive_of(name)}.")
    return f"Check the path (a relative path starts from the current folder, {Path.cwd()})."
