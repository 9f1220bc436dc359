"""Optional downloads of bigger public sets, cached under CACHE_DIR/downloads/ (git-ignored).

The course never needs them: every lesson runs offline. They are here for readers who want the
real benchmarks (STS-B, SICK) or SimCSE's real training data (NLI triplets, one million Wikipedia
sentences), typically in the FULL runs on a GPU.

    DOWNLOADS              the table: name -> Download(url, sha256, filename, description, reader, ...)
    path_of(name)          where the usable file / folder lives once downloaded (no network)
    download(name, force)  fetch (streamed, progress bar) -> verify checksum -> extract -> path_of(name)
    load(name, **kw)       download(name) then read it with the table's reader, e.g. load("stsb", split="test")

Offline, `download` raises DownloadUnavailable (an OSError) naming the exact path where a file fetched
by hand must be placed; a file placed there is verified (and extracted) on the next call.
"""
from __future__ import annotations

import hashlib
import http.client
import os
import shutil
import tarfile
import urllib.error
import urllib.request
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ..progress import tqdm

from . import paths
from .readers import read_lines, read_nli_csv, read_sick, read_stsb


class DownloadUnavailable(OSError):
    """The file could not be fetched (offline, host down, HTTP error); the message says where to put it by hand."""


class ChecksumMismatch(OSError):
    """The bytes fetched (or placed by hand) are not the published file."""


@dataclass(frozen=True)
class Download:
    url: str
    sha256: str | None      # None: not published where we could check -> verification skipped with a warning
    filename: str           # saved as CACHE_DIR/downloads/<filename>
    description: str
    reader: Callable[..., Any]  # reads path_of(name), e.g. read_stsb
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
        reader=read_stsb, target="stsbenchmark", contains=("sts-train.csv", "sts-dev.csv", "sts-test.csv"),
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
        reader=read_sick, extract_into="SICK", target="SICK/SICK.txt", contains=("SICK.txt",),
    ),
    # SimCSE's training files (Gao et al., 2021), the URLs of princeton-nlp/SimCSE's data/download_*.sh.
    # No checksum is published next to them.
    "nli": Download(
        url=_SIMCSE + "nli_for_simcse.csv", sha256=None, filename="nli_for_simcse.csv",
        description="SimCSE's supervised training set: about 275k SNLI+MNLI triplets sent0,sent1,hard_neg",
        reader=read_nli_csv,
    ),
    "wiki1m": Download(
        url=_SIMCSE + "wiki1m_for_simcse.txt", sha256=None, filename="wiki1m_for_simcse.txt",
        description="SimCSE's unsupervised training set: one million English Wikipedia sentences, one per line",
        reader=read_lines,
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


# ---------------------------------------------------------------------------------- fetching
def _stream(url: str, dest: Path, label: str) -> dict[str, str]:
    """Copy `url` into `dest` chunk by chunk with a progress bar; returns the sha256 and md5 of the bytes."""
    digests = {"sha256": hashlib.sha256(), "md5": hashlib.md5()}
    request = urllib.request.Request(url, headers={"User-Agent": "minisent (course downloader)"})
    with urllib.request.urlopen(request, timeout=60) as response, open(dest, "wb") as out:
        total = int(response.headers.get("Content-Length") or 0) or None
        received = 0
        with tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=label) as bar:
            while chunk := response.read(1 << 20):
                out.write(chunk)
                for h in digests.values():
                    h.update(chunk)
                received += len(chunk)
                bar.update(len(chunk))
    if total is not None and received != total:
        raise OSError(f"connection closed after {received} of {total} bytes")
    return {k: h.hexdigest() for k, h in digests.items()}


def _file_digests(path: Path) -> dict[str, str]:
    digests = {"sha256": hashlib.sha256(), "md5": hashlib.md5()}
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            for h in digests.values():
                h.update(chunk)
    return {k: h.hexdigest() for k, h in digests.items()}


def _verify(d: Download, digests: dict[str, str], where: str) -> None:
    """Compare with every published checksum; warn (not fail) when none is known."""
    known = {"sha256": d.sha256, "md5": d.md5}
    for kind, expected in known.items():
        if expected is not None and digests[kind] != expected.lower():
            raise ChecksumMismatch(f"{d.filename} from {where} has {kind} {digests[kind]}, expected {expected}: "
                                   f"the file is damaged or not the published one. Delete it and download again")
    if all(v is None for v in known.values()):
        warnings.warn(f"the checksum of {d.filename} is unknown, so it was not verified "
                      f"(its sha256 is {digests['sha256']})", stacklevel=3)


def _fetch(d: Download, dest: Path) -> None:
    """Download `d` into `dest` via a .part file renamed at the end; try each URL in turn."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    failures, mismatch = [], None
    for url in (d.url, *d.mirrors):
        try:
            digests = _stream(url, part, d.filename)
            _verify(d, digests, url)
        except ChecksumMismatch as err:
            mismatch = err
            failures.append(f"{url}: {err}")
        except (OSError, http.client.HTTPException) as err:  # URLError, HTTPError, timeouts are OSErrors
            failures.append(f"{url}: {err}")
        else:
            os.replace(part, dest)  # atomic: `dest` is either absent or complete
            return
        finally:
            part.unlink(missing_ok=True)
    if mismatch is not None:
        raise mismatch
    raise DownloadUnavailable(
        f"could not download {d.filename} ({'; '.join(failures)}). Without internet access, fetch "
        f"{d.url} on another machine and place it at {dest} (exactly this path); it is verified"
        f"{' and extracted' if d.is_archive else ''} on the next call.")


# -------------------------------------------------------------------------------- extracting
def _safe_tar_members(tar: tarfile.TarFile, root: Path) -> list[tarfile.TarInfo]:
    """Members that stay inside `root` (no absolute paths, no '..', no links): for Pythons without tar filters."""
    root = root.resolve()
    members = []
    for m in tar.getmembers():
        if m.issym() or m.islnk() or not (root / m.name).resolve().is_relative_to(root):
            raise ValueError(f"refusing to extract {m.name!r}: it would leave {root}")
        members.append(m)
    return members


def _extract(archive: Path, d: Download) -> None:
    """Unpack `archive` into downloads/<extract_into>, through a temporary folder (no half-extracted state)."""
    root = downloads_dir() / d.extract_into
    tmp = downloads_dir() / f".{archive.name}.extracting"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        if archive.name.lower().endswith(".zip"):
            with zipfile.ZipFile(archive) as zf:
                zf.extractall(tmp)  # zipfile drops absolute paths and '..' itself
        else:
            with tarfile.open(archive, "r:*") as tf:
                if hasattr(tarfile, "data_filter"):
                    tf.extractall(tmp, filter="data")
                else:
                    tf.extractall(tmp, members=_safe_tar_members(tf, tmp))
        root.mkdir(parents=True, exist_ok=True)
        for entry in tmp.iterdir():
            final = root / entry.name
            if final.is_dir():
                shutil.rmtree(final)
            elif final.exists():
                final.unlink()
            os.replace(entry, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ------------------------------------------------------------------------------------ public
def download(name: str, force: bool = False) -> Path:
    """Make `name` available locally and return path_of(name).

    Already there -> returned at once (no network). Otherwise the file is fetched (or, when placed by
    hand at archive_of(name), taken from there), its checksum verified when known, archives extracted.
    force=True fetches again even when present.
    """
    d = _entry(name)
    target, archive = path_of(name), archive_of(name)
    if target.exists() and not force:
        return target
    if force or not archive.exists():
        _fetch(d, archive)
    else:  # placed by hand: check it is the published file before trusting it
        _verify(d, _file_digests(archive), str(archive))
    if d.is_archive:
        _extract(archive, d)
        if not target.exists():
            raise ChecksumMismatch(f"{archive} was extracted but holds no {d.target}: "
                                   f"it is not the expected archive; delete it and download again")
    return target


def load(name: str, **kwargs):
    """download(name), then read it with the table's reader: load("sick", split="test") -> list[STSPair]."""
    return _entry(name).reader(download(name), **kwargs)
