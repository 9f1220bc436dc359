"""Readers, hand-written-set loaders and downloads of minisent.data, on small hand-written fixtures.

No test here touches the network: downloads are served from local files (file:// URLs) or from a
patched urlopen.
"""
from __future__ import annotations

import hashlib
import io
import re
import shutil
import tarfile
import urllib.error
import urllib.request
import warnings
import zipfile
from pathlib import Path

import pytest

from minisent import data
from minisent.data import downloads, handmade, paths, readers
from minisent.data.readers import (NLITriplet, QAPair, guess_sts_format, read_lines, read_nli_csv, read_sick,
                                   read_sts, read_stsb)

FIX = Path(__file__).parent / "fixtures"
STSB_TEST = FIX / "stsbenchmark" / "sts-test.csv"


def bom_crlf(src: Path, tmp_path: Path) -> Path:
    """A copy of `src` with a UTF-8 byte-order mark and Windows line endings (made here, not committed,
    so that git's line-ending conversion can never turn it back into a plain file)."""
    raw = src.read_bytes().replace(b"\r\n", b"\n")  # (a Windows checkout may already have \r\n)
    out = tmp_path / ("bomcrlf_" + src.name)
    out.write_bytes(b"\xef\xbb\xbf" + raw.replace(b"\n", b"\r\n"))
    return out


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------- STS-B
def test_read_stsb_fields_quotes_and_extra_columns():
    pairs = read_stsb(STSB_TEST)
    assert len(pairs) == 4  # the trailing blank line is skipped
    assert pairs[0] == data.STSPair("A girl is riding a red bicycle.", "A girl rides a red bike.", 5.0, "main-captions")
    # an unbalanced quote is plain text and does not swallow the following lines; extra columns ignored
    assert pairs[1] == data.STSPair('"Prices will rise again, the minister says', "The minister resigned on Monday.",
                                    1.4, "main-news")
    assert pairs[2].sentence2 == 'Share prices fell "sharply" today.'
    assert [p.score for p in pairs] == [5.0, 1.4, 0.0, 3.25]
    assert all(isinstance(p, data.STSPair) for p in pairs)


def test_read_stsb_bom_and_crlf_give_the_same_pairs(tmp_path):
    assert read_stsb(bom_crlf(STSB_TEST, tmp_path)) == read_stsb(STSB_TEST)


def test_read_stsb_folder_with_split():
    folder = FIX / "stsbenchmark"
    assert read_stsb(folder, split="test") == read_stsb(STSB_TEST)
    dev = read_stsb(folder, split="dev")
    assert dev == [data.STSPair("How do I boil rice?", "What is the best way to cook rice?", 2.5, "main-news")]
    assert read_stsb(folder, split="validation") == dev  # alias
    assert read_stsb(STSB_TEST, split="TEST") == read_stsb(STSB_TEST)  # a file whose name matches is fine
    with pytest.raises(ValueError, match="split="):
        read_stsb(folder)  # a folder needs a split
    with pytest.raises(ValueError, match="unknown STS-B split"):
        read_stsb(folder, split="heldout")
    with pytest.raises(ValueError, match="does not match"):
        read_stsb(STSB_TEST, split="train")


@pytest.mark.parametrize("line, message", [
    ("main-news\theadlines\t2015\t0002\t1.4\tonly one sentence", "at least 7"),
    ("main-news headlines 2015 0002 1.4 spaces not tabs here", "at least 7"),
    ("main-news\theadlines\t2015\t0002\thigh\tA cat.\tA dog.", "'high' is not a number"),
    ("main-news\theadlines\t2015\t0002\t7.5\tA cat.\tA dog.", "outside"),
    ("main-news\theadlines\t2015\t0002\tnan\tA cat.\tA dog.", "outside"),
])
def test_read_stsb_bad_line_names_file_and_line(tmp_path, line, message):
    good = STSB_TEST.read_text(encoding="utf-8").splitlines()[0]
    path = write(tmp_path, "bad.csv", f"{good}\n\n{line}\n")
    with pytest.raises(ValueError, match=message) as err:
        read_stsb(path)
    assert f"{path}, line 3" in str(err.value)  # 1-based, blank lines counted


def test_missing_stsb_file_says_how_to_download(tmp_path):
    with pytest.raises(FileNotFoundError) as err:
        read_stsb(tmp_path / "sts-dev.csv")
    msg = str(err.value)
    assert str(tmp_path / "sts-dev.csv") in msg and "python -m minisent download stsb" in msg
    assert str(downloads.archive_of("stsb")) in msg  # where to put a file fetched by hand


def test_missing_unknown_file_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="my_pairs.tsv") as err:
        read_stsb(tmp_path / "my_pairs.tsv")
    assert "download" not in str(err.value)


# -------------------------------------------------------------------------------------- SICK
def test_read_sick_by_column_name_and_split():
    path = FIX / "sick_full.txt"
    everything = read_sick(path)
    assert [p.score for p in everything] == [4.7, 3.6, 1.1, 4.1]
    assert everything[0] == data.STSPair("A boy is kicking a ball", "A child is kicking a ball", 4.7, "entailment")
    train = read_sick(path, split="train")
    assert [p.sentence1 for p in train] == ["A boy is kicking a ball", "Two men are climbing a rock wall"]
    assert read_sick(path, split="TRIAL") == read_sick(path, split="dev") == [everything[1]]
    assert read_sick(path, split="Test") == [everything[2]]
    with pytest.raises(ValueError, match="unknown SICK split"):
        read_sick(path, split="holdout")


def test_read_sick_semeval_file_other_order_bom_crlf(tmp_path):
    path = bom_crlf(FIX / "sick_semeval.txt", tmp_path)
    pairs = read_sick(path)
    assert pairs == [data.STSPair("A cook is stirring a pot", "A chef stirs a pot", 4.9, ""),
                     data.STSPair("A bird is flying", "A fish is swimming", 1.5, "")]
    assert read_sick(FIX / "sick_semeval.txt") == pairs
    with pytest.raises(ValueError, match="no SemEval_set column"):
        read_sick(path, split="train")


def test_read_sick_bad_input(tmp_path):
    with pytest.raises(ValueError, match="relatedness_score"):
        read_sick(STSB_TEST)  # an STS-B file has no header
    header = "pair_ID\tsentence_A\tsentence_B\trelatedness_score\n"
    path = write(tmp_path, "sick.txt", header + "1\tA cat.\tA dog.\tabout three\n")
    with pytest.raises(ValueError, match=r"sick.txt, line 2: score 'about three' is not a number"):
        read_sick(path)
    path = write(tmp_path, "short.txt", header + "1\tA cat.\tA dog.\t3\n2\tA cat.\n")
    with pytest.raises(ValueError, match=r"short.txt, line 3: expected 4"):
        read_sick(path)
    with pytest.raises(ValueError, match="empty"):
        read_sick(write(tmp_path, "empty.txt", "\n\n"))
    with pytest.raises(FileNotFoundError, match="sick"):
        read_sick(tmp_path / "SICK.txt")


def test_guess_sts_format_and_read_sts(tmp_path):
    assert guess_sts_format(FIX / "sick_full.txt") == "sick"
    assert guess_sts_format(bom_crlf(FIX / "sick_semeval.txt", tmp_path)) == "sick"
    assert guess_sts_format(STSB_TEST) == "stsb"
    assert guess_sts_format(FIX / "stsbenchmark") == "stsb"
    assert read_sts(FIX / "sick_full.txt", split="test") == read_sick(FIX / "sick_full.txt", split="test")
    assert read_sts(STSB_TEST) == read_stsb(STSB_TEST)


# --------------------------------------------------------------------------------------- NLI
EXPECTED_NLI = [
    NLITriplet("A man is reading a newspaper on a bench.", "Someone is reading outdoors.", "Nobody is reading."),
    NLITriplet("Tired, the runner sat down.", "The runner rested.", "The runner kept going, full speed."),
    NLITriplet('She said "hello" twice.', "She greeted someone.", "She stayed silent."),
]


def test_read_nli_csv_quoted_fields(tmp_path):
    assert read_nli_csv(FIX / "nli.csv") == EXPECTED_NLI
    assert read_nli_csv(bom_crlf(FIX / "nli.csv", tmp_path)) == EXPECTED_NLI
    # columns are found by name, extra ones ignored
    path = write(tmp_path, "reordered.csv", 'hard_neg,id,sent0,sent1\nNo.,7,"Yes, indeed.",Yes.\n')
    assert read_nli_csv(path) == [NLITriplet("Yes, indeed.", "Yes.", "No.")]


def test_read_nli_csv_bad_input(tmp_path):
    with pytest.raises(ValueError, match="hard_neg"):
        read_nli_csv(write(tmp_path, "h.csv", "premise,hypothesis\nA.,B.\n"))
    path = write(tmp_path, "unquoted.csv", "sent0,sent1,hard_neg\nA.,B.,C.\nTired the runner sat.,Rested.\n")
    with pytest.raises(ValueError, match=r"unquoted.csv, line 3: expected 3"):
        read_nli_csv(path)
    with pytest.raises(ValueError, match=r"line 2: .*non-empty"):
        read_nli_csv(write(tmp_path, "e.csv", "sent0,sent1,hard_neg\nA.,,C.\n"))
    with pytest.raises(ValueError, match="empty"):
        read_nli_csv(write(tmp_path, "z.csv", ""))
    with pytest.raises(FileNotFoundError, match="download nli"):
        read_nli_csv(tmp_path / "nli_for_simcse.csv")


# ------------------------------------------------------------------------------------- lines
def test_read_lines(tmp_path):
    expected = ["The first sentence.", "The second one, with spaces around.", "A third."]
    assert read_lines(FIX / "lines.txt") == expected
    assert read_lines(bom_crlf(FIX / "lines.txt", tmp_path)) == expected
    assert read_lines(write(tmp_path, "blank.txt", "\n \n")) == []
    with pytest.raises(FileNotFoundError, match="download wiki1m"):
        read_lines(tmp_path / "wiki1m_for_simcse.txt")


# ---------------------------------------------------------------------------- hand-made sets
@pytest.fixture
def fixture_data_dir(monkeypatch):
    monkeypatch.setattr(paths, "DATA_DIR", FIX / "handmade")


def test_mini_sts(fixture_data_dir):
    pairs = data.mini_sts()
    assert pairs == [data.STSPair("The soup is hot.", "The soup is very warm.", 4.5, "paraphrase"),
                     data.STSPair("The dog bit the man.", "The man bit the dog.", 1.0, "word order"),
                     data.STSPair("I like tea.", "I do not like tea.", 1.5, "negation")]


def test_nli_triplets(fixture_data_dir):
    assert data.nli_triplets() == [
        NLITriplet("A child is drawing a house.", "A kid is making a picture.", "A child is sleeping."),
        NLITriplet("The train, late again, arrived.", "The train came.", "The train never arrived.")]


def test_topic_sentences_bom_crlf(fixture_data_dir, tmp_path):
    expected = [data.LabelledSentence("The striker scored twice in the final.", "sport"),
                data.LabelledSentence("Simmer the sauce until it thickens.", "cooking"),
                data.LabelledSentence("She swam the relay in record time.", "sport")]
    assert data.topic_sentences() == expected
    assert data.topic_sentences(bom_crlf(FIX / "handmade" / "topic_sentences.tsv", tmp_path)) == expected


def test_qa_pairs(fixture_data_dir, tmp_path):
    qa = data.qa_pairs()
    assert qa[0] == QAPair("Why is the sky blue?",
                           "Air scatters blue light more than red light, so the sky looks blue.", "science")
    assert [q.topic for q in qa] == ["science", "cooking"]
    no_topic = write(tmp_path, "qa.tsv", "question\tpassage\nWhy?\tBecause.\n")
    assert data.qa_pairs(no_topic) == [QAPair("Why?", "Because.", "")]  # topic is optional


def test_handmade_bad_input(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "DATA_DIR", tmp_path)
    for loader, name in [(data.mini_sts, "mini_sts.tsv"), (data.nli_triplets, "nli_triplets.csv"),
                         (data.topic_sentences, "topic_sentences.tsv"), (data.qa_pairs, "qa_pairs.tsv")]:
        with pytest.raises(FileNotFoundError, match=re.escape(str(tmp_path / name))):
            loader()
    header = "sentence1\tsentence2\tscore\tcategory\ttopic\n"
    write(tmp_path, "mini_sts.tsv", header + "A.\tB.\t9\tparaphrase\tx\n")
    with pytest.raises(ValueError, match=r"mini_sts.tsv, line 2: score 9.0 is outside"):
        data.mini_sts()
    write(tmp_path, "mini_sts.tsv", header + "A.\tB.\t3\t\tx\n")
    with pytest.raises(ValueError, match=r"line 2: empty \['category'\]"):
        data.mini_sts()
    write(tmp_path, "mini_sts.tsv", "sentence1 sentence2 score category topic\nA. B. 3 p x\n")
    with pytest.raises(ValueError, match="header lacks"):
        data.mini_sts()
    write(tmp_path, "topic_sentences.tsv", "topic\tsentence\nsport\n")
    with pytest.raises(ValueError, match=r"topic_sentences.tsv, line 2: expected 2"):
        data.topic_sentences()


@pytest.mark.parametrize("loader, minimum", [("mini_sts", 50), ("nli_triplets", 50), ("topic_sentences", 50),
                                             ("qa_pairs", 20)])
def test_real_handmade_files_load(loader, minimum):
    """The committed files in data/ (skipped while one is not written yet)."""
    name = {"mini_sts": handmade.MINI_STS, "nli_triplets": handmade.NLI_TRIPLETS,
            "topic_sentences": handmade.TOPIC_SENTENCES, "qa_pairs": handmade.QA_PAIRS}[loader]
    if not (paths.DATA_DIR / name).exists():
        pytest.skip(f"data/{name} not written yet")
    records = getattr(data, loader)()
    assert len(records) >= minimum
    assert len(set(records)) == len(records), "duplicate records"
    if loader == "mini_sts":
        assert all(0 <= p.score <= 5 and p.category for p in records)
        assert len({p.category for p in records}) >= 3


# ------------------------------------------------------------------------------------ downloads
def test_download_table_is_complete():
    assert set(downloads.DOWNLOADS) >= {"stsb", "sick", "nli", "wiki1m"}
    for name, d in downloads.DOWNLOADS.items():
        assert d.url.startswith(("http://", "https://")), name
        for digest, size in ((d.sha256, 64), (d.md5, 32)):
            assert digest is None or (len(digest) == size and int(digest, 16) >= 0), name
        assert callable(getattr(readers, d.reader)) and d.description
        assert downloads.path_of(name).is_relative_to(paths.CACHE_DIR)
    assert downloads.DOWNLOADS["nli"].filename == "nli_for_simcse.csv"
    assert downloads.DOWNLOADS["wiki1m"].filename == "wiki1m_for_simcse.txt"
    assert downloads.path_of("stsb").name == "stsbenchmark" and downloads.path_of("sick").name == "SICK.txt"
    with pytest.raises(ValueError, match="unknown download"):
        downloads.path_of("glue")


@pytest.fixture
def offline(monkeypatch):
    """urlopen that fails like a machine without network; returns the list of URLs asked for."""
    asked = []

    def urlopen(request, *args, **kwargs):
        asked.append(getattr(request, "full_url", request))
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    return asked


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "CACHE_DIR", tmp_path / "cache")
    return tmp_path / "cache"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def make_stsb_archive(tmp_path: Path) -> Path:
    """A small Stsbenchmark.tar.gz laid out like the real one: stsbenchmark/sts-*.csv."""
    archive = tmp_path / "served" / "Stsbenchmark.tar.gz"
    archive.parent.mkdir()
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(FIX / "stsbenchmark", arcname="stsbenchmark")
    return archive


def test_download_archive_from_file_url(tmp_path, cache, monkeypatch):
    archive = make_stsb_archive(tmp_path)
    entry = downloads.DOWNLOADS["stsb"]
    monkeypatch.setitem(downloads.DOWNLOADS, "stsb", downloads.Download(
        archive.as_uri(), sha256(archive), entry.filename, entry.description, entry.reader,
        target=entry.target, contains=entry.contains))
    path = data.download("stsb")
    assert path == data.path_of("stsb") == cache / "downloads" / "stsbenchmark"
    assert read_stsb(path, split="test") == read_stsb(STSB_TEST)
    assert data.load("stsb", split="dev") == read_stsb(FIX / "stsbenchmark", split="dev")
    assert (cache / "downloads" / "Stsbenchmark.tar.gz").read_bytes() == archive.read_bytes()
    assert not list((cache / "downloads").glob("*.part")) and not list((cache / "downloads").glob(".*extracting"))


def test_download_plain_file_cached_then_no_network(tmp_path, cache, monkeypatch):
    served = tmp_path / "wiki.txt"
    shutil.copy(FIX / "lines.txt", served)
    entry = downloads.DOWNLOADS["wiki1m"]
    monkeypatch.setitem(downloads.DOWNLOADS, "wiki1m", downloads.Download(
        served.as_uri(), sha256(served), entry.filename, entry.description, entry.reader))
    path = data.download("wiki1m")
    assert path == cache / "downloads" / "wiki1m_for_simcse.txt" and path.read_bytes() == served.read_bytes()
    monkeypatch.setattr(urllib.request, "urlopen", lambda *a, **k: pytest.fail("network used for a cached file"))
    assert data.download("wiki1m") == path
    assert data.load("wiki1m") == read_lines(FIX / "lines.txt")


class FakeResponse(io.BytesIO):
    def __init__(self, body: bytes, length: int | None = None):
        super().__init__(body)
        self.headers = {"Content-Length": str(len(body) if length is None else length)}


def test_download_zip_with_patched_urlopen_and_force(cache, monkeypatch):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.write(FIX / "sick_full.txt", "SICK.txt")
        zf.writestr("readme.txt", "a made-up readme")
    body = buf.getvalue()
    asked = []

    def urlopen(request, *args, **kwargs):
        asked.append(request.full_url)
        return FakeResponse(body)

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    entry = downloads.DOWNLOADS["sick"]
    monkeypatch.setitem(downloads.DOWNLOADS, "sick", downloads.Download(
        entry.url, hashlib.sha256(body).hexdigest(), entry.filename, entry.description, entry.reader,
        extract_into=entry.extract_into, target=entry.target, contains=entry.contains))
    path = data.download("sick")
    assert path == cache / "downloads" / "SICK" / "SICK.txt" and asked == [entry.url]
    assert data.load("sick", split="test") == read_sick(FIX / "sick_full.txt", split="test")
    data.download("sick")
    assert len(asked) == 1  # present: no second fetch
    data.download("sick", force=True)
    assert len(asked) == 2 and path.exists()


def test_checksum_mismatch_keeps_nothing(tmp_path, cache, monkeypatch):
    served = tmp_path / "nli.csv"
    shutil.copy(FIX / "nli.csv", served)
    entry = downloads.DOWNLOADS["nli"]
    monkeypatch.setitem(downloads.DOWNLOADS, "nli", downloads.Download(
        served.as_uri(), "0" * 64, entry.filename, entry.description, entry.reader))
    with pytest.raises(data.ChecksumMismatch, match=f"expected {'0' * 64}") as err:
        data.download("nli")
    assert sha256(served) in str(err.value) and isinstance(err.value, OSError)
    assert not (cache / "downloads" / "nli_for_simcse.csv").exists()
    assert not list((cache / "downloads").iterdir())  # no .part left behind


def test_md5_is_checked_too(tmp_path, cache, monkeypatch):
    served = tmp_path / "nli.csv"
    shutil.copy(FIX / "nli.csv", served)
    entry = downloads.DOWNLOADS["nli"]
    monkeypatch.setitem(downloads.DOWNLOADS, "nli", downloads.Download(
        served.as_uri(), sha256(served), entry.filename, entry.description, entry.reader, md5="f" * 32))
    with pytest.raises(data.ChecksumMismatch, match="md5"):
        data.download("nli")


def test_unknown_checksum_warns_but_downloads(tmp_path, cache, monkeypatch):
    served = tmp_path / "nli.csv"
    shutil.copy(FIX / "nli.csv", served)
    entry = downloads.DOWNLOADS["nli"]
    assert entry.sha256 is None and entry.md5 is None  # not published next to SimCSE's files
    monkeypatch.setitem(downloads.DOWNLOADS, "nli", downloads.Download(
        served.as_uri(), None, entry.filename, entry.description, entry.reader))
    with pytest.warns(UserWarning, match="checksum of nli_for_simcse.csv is unknown"):
        path = data.download("nli")
    assert read_nli_csv(path) == EXPECTED_NLI


def test_offline_error_names_file_and_where_to_put_it(cache, offline):
    with pytest.raises(data.DownloadUnavailable) as err:
        data.download("stsb")
    assert isinstance(err.value, OSError)
    msg = str(err.value)
    archive = cache / "downloads" / "Stsbenchmark.tar.gz"
    assert "Stsbenchmark.tar.gz" in msg and str(archive) in msg and "name resolution" in msg
    d = downloads.DOWNLOADS["stsb"]
    assert offline == [d.url, *d.mirrors]  # every mirror was tried
    assert not archive.exists() and not list(archive.parent.glob("*.part"))


def test_truncated_transfer_is_not_kept(cache, monkeypatch):
    monkeypatch.setattr(urllib.request, "urlopen", lambda *a, **k: FakeResponse(b"sent0,sent1", length=1000))
    with pytest.raises(data.DownloadUnavailable, match="11 of 1000 bytes"):
        data.download("nli")
    assert not (cache / "downloads" / "nli_for_simcse.csv").exists()


def test_file_placed_by_hand_is_verified_and_extracted(tmp_path, cache, offline, monkeypatch):
    archive = make_stsb_archive(tmp_path)
    entry = downloads.DOWNLOADS["stsb"]
    monkeypatch.setitem(downloads.DOWNLOADS, "stsb", downloads.Download(
        entry.url, sha256(archive), entry.filename, entry.description, entry.reader,
        target=entry.target, contains=entry.contains))
    placed = downloads.archive_of("stsb")
    placed.parent.mkdir(parents=True)
    shutil.copy(archive, placed)
    assert data.load("stsb", split="test") == read_stsb(STSB_TEST)
    assert offline == []  # never went to the network
    # a damaged file placed by hand is refused
    monkeypatch.setitem(downloads.DOWNLOADS, "stsb", downloads.Download(
        entry.url, "1" * 64, entry.filename, entry.description, entry.reader, target=entry.target))
    shutil.rmtree(downloads.path_of("stsb"))
    with pytest.raises(data.ChecksumMismatch, match=re.escape(str(placed))):
        data.download("stsb")


def test_mirror_used_when_main_url_fails(tmp_path, cache, monkeypatch):
    served = tmp_path / "lines.txt"
    shutil.copy(FIX / "lines.txt", served)
    entry = downloads.DOWNLOADS["wiki1m"]
    monkeypatch.setitem(downloads.DOWNLOADS, "wiki1m", downloads.Download(
        (tmp_path / "gone.txt").as_uri(), sha256(served), entry.filename, entry.description, entry.reader,
        mirrors=(served.as_uri(),)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # checksum known: no warning
        assert data.load("wiki1m") == read_lines(served)
