"""Readers for the standard public formats, each returning plain typed records.

    read_stsb(path, split=None)  STS Benchmark .csv (really tab-separated, no header)  -> list[STSPair]
    read_sick(path, split=None)  SICK .txt (tab-separated, with a header)              -> list[STSPair]
    read_sts(path, split=None)   either of the two, guessed from the first line         -> list[STSPair]
    read_nli_csv(path)           SimCSE-style NLI triplets, csv `sent0,sent1,hard_neg`  -> list[NLITriplet]
    read_lines(path)             one sentence per line, blank lines skipped             -> list[str]

Every reader accepts UTF-8 with or without a byte-order mark and Unix or Windows line endings.
A malformed line raises ValueError naming the file and its 1-based line number; a missing file
raises FileNotFoundError that says how to get it when it is one of the known downloads.
"""
from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Union

from .catalog import download_hint
from .corpora import STSPair

PathLike = Union[str, Path]


# ----------------------------------------------------------------------------------- records
@dataclass(frozen=True)
class NLITriplet:
    anchor: str    # the premise
    positive: str  # a hypothesis it entails
    negative: str  # a hypothesis it contradicts: the "hard negative" of supervised SimCSE


@dataclass(frozen=True)
class QAPair:
    question: str
    passage: str  # the passage that answers the question
    topic: str = ""


# ------------------------------------------------------------------------------- file access
def _existing(path: PathLike) -> Path:
    """Path(path), or a FileNotFoundError that says where the file comes from."""
    path = Path(path)
    if path.exists():
        return path
    raise FileNotFoundError(f"{path} does not exist. {download_hint(path)}")


def _numbered_lines(path: Path) -> Iterator[tuple[int, str]]:
    """(1-based line number, line without its end-of-line) for every line of a UTF-8 text file.

    "utf-8-sig" drops a byte-order mark; newline=None turns \\r\\n and \\r into \\n. Only the
    line break is removed, so a field may keep meaningful spaces (but a stray \\r never survives).
    """
    try:
        with open(path, encoding="utf-8-sig", newline=None) as fh:
            for number, line in enumerate(fh, start=1):
                yield number, line.rstrip("\n")
    except UnicodeDecodeError:
        raise ValueError(_not_utf8(path)) from None


def _not_utf8(path: Path) -> str:
    """The message for a file that is not UTF-8: which line holds the first bad byte, and how to fix it."""
    raw = path.read_bytes()
    try:
        raw.decode("utf-8-sig")
        return f"{path} is not valid UTF-8"
    except UnicodeDecodeError as err:
        line = raw[:err.start].replace(b"\r\n", b"\n").replace(b"\r", b"\n").count(b"\n") + 1
        return (f"{path}, line {line}: byte 0x{raw[err.start]:02x} is not UTF-8 (a Latin-1 or Windows-1252 file?); "
                f"save the file as UTF-8, e.g. iconv -f latin1 -t utf-8")


def _some(pairs: list, path: Path, what: str = "") -> list:
    """`pairs`, or a ValueError when the file gave none (an empty file, a header alone, a split with no rows)."""
    if not pairs:
        raise ValueError(f"{path} has no sentence pairs{what}: is it empty, or the wrong file?")
    return pairs


def _score(text: str, path: Path, number: int) -> float:
    """A similarity score in [0, 5] parsed from a field, or ValueError saying which file and line is wrong."""
    try:
        score = float(text)
    except ValueError:
        raise ValueError(f"{path}, line {number}: score {text!r} is not a number") from None
    if math.isnan(score) or not (0 <= score <= 5):
        raise ValueError(f"{path}, line {number}: score {score} is outside [0, 5]")
    return score


# ------------------------------------------------------------------------------------ STS-B
STSB_SPLITS = ("train", "dev", "test")


def _stsb_file(path: Path, split: str | None) -> Path:
    """The STS-B file to read: `path` itself, or `sts-<split>.csv` when `path` is the extracted folder."""
    if split is not None:
        split = split.lower()
        split = "dev" if split == "validation" else split
        if split not in STSB_SPLITS:
            raise ValueError(f"unknown STS-B split {split!r}: use one of {STSB_SPLITS}")
    if path.is_dir():
        if split is None:
            raise ValueError(f"{path} is a folder: say which file to read with split= one of {STSB_SPLITS}")
        return _existing(path / f"sts-{split}.csv")
    if split is not None and split not in path.name.lower():
        raise ValueError(f"split={split!r} does not match the file {path.name}: pass the folder that holds "
                         f"sts-{split}.csv, or the file itself with split=None")
    return path


def read_stsb(path: PathLike, split: str | None = None) -> list[STSPair]:
    """Read an STS Benchmark file: tab-separated, NO header, one pair per line.

    Columns: genre, file, year, id, score (0..5), sentence1, sentence2 [, the pair's source on some lines: ignored].
    Quotes are ordinary characters here (a sentence may open a quotation it never closes), so the
    line is split on tabs and never handed to a csv quoting parser.

    `path` is a file (sts-train.csv ...), or the extracted `stsbenchmark/` folder together with
    split = "train" | "dev" | "test". The genre (main-captions, main-news, main-forums) goes into
    STSPair.category.
    """
    path = _stsb_file(_existing(path), split)
    pairs = []
    for number, line in _numbered_lines(path):
        if not line.strip():
            continue
        cols = line.split("\t")
        if len(cols) < 7:
            raise ValueError(f"{path}, line {number}: expected at least 7 tab-separated columns "
                             f"(genre, file, year, id, score, sentence1, sentence2), found {len(cols)}")
        pairs.append(STSPair(cols[5].strip(), cols[6].strip(), _score(cols[4], path, number), cols[0].strip()))
    return _some(pairs, path)


# ------------------------------------------------------------------------------------- SICK
SICK_SPLITS = {"train": "TRAIN", "trial": "TRIAL", "dev": "TRIAL", "validation": "TRIAL", "test": "TEST"}


def read_tsv_records(path: PathLike, columns: tuple[str, ...],
                     optional: tuple[str, ...] = (), hint: str = "") -> list[tuple[int, dict[str, str]]]:
    """Rows of a tab-separated file with a header, as (1-based line number, {column: stripped value}).

    Each of `columns` must be in the header and non-empty in every row; an `optional` column may be
    absent or empty (value ""). Blank lines and other columns are ignored. Errors name the file and line;
    `hint` ends the one for a header that lacks a column.
    """
    path = _existing(path)
    lines = _numbered_lines(path)
    header = next(((n, l) for n, l in lines if l.strip()), None)
    if header is None:
        raise ValueError(f"{path} is empty: expected a header line {' '.join(columns)} (tab-separated)")
    names = [c.strip() for c in header[1].split("\t")]
    missing = [c for c in columns if c not in names]
    if missing:
        raise ValueError(f"{path}, line {header[0]}: header lacks column(s) {missing}; found {names} "
                         f"(columns must be separated by tabs){hint}")
    index = {c: names.index(c) for c in columns}
    extra = {c: names.index(c) for c in optional if c in names}
    records = []
    for number, line in lines:
        if not line.strip():
            continue
        cells = line.split("\t")
        if len(cells) < len(names):
            raise ValueError(f"{path}, line {number}: expected {len(names)} tab-separated columns "
                             f"({' '.join(names)}), found {len(cells)}")
        row = {c: cells[i].strip() for c, i in index.items()}
        empty = [c for c, v in row.items() if not v]
        if empty:
            raise ValueError(f"{path}, line {number}: empty {empty}")
        row.update({c: cells[extra[c]].strip() if c in extra else "" for c in optional})
        records.append((number, row))
    return records


def read_sick(path: PathLike, split: str | None = None) -> list[STSPair]:
    """Read a SICK file: tab-separated with a header, relatedness score 1..5.

    Columns are found by name (sentence_A, sentence_B, relatedness_score), so both the full SICK.txt
    and the SemEval-2014 files (SICK_train.txt, ...) work. `split` ("train", "trial" (= "dev"),
    "test", any case) keeps the rows whose SemEval_set column says so; the SemEval files have no such
    column (each file is one split), so asking them for a split is an error. The entailment label,
    when present, goes into STSPair.category (lower-cased).
    """
    path, want = Path(path), None
    if split is not None:
        want = SICK_SPLITS.get(split.lower())
        if want is None:
            raise ValueError(f"unknown SICK split {split!r}: use one of {sorted(SICK_SPLITS)}")
    rows = read_tsv_records(path, ("sentence_A", "sentence_B", "relatedness_score"),
                            optional=("entailment_label", "SemEval_set"),
                            hint=". Is this a SICK file? (STS-B files have no header: use read_stsb)")
    if want is not None and not any(r["SemEval_set"] for _, r in rows):
        raise ValueError(f"{path} has no SemEval_set column, so split={split!r} cannot be applied: "
                         f"this file already is one split; call read_sick({path.name!r}) without split")
    pairs = [STSPair(r["sentence_A"], r["sentence_B"], _score(r["relatedness_score"], path, number),
                     r["entailment_label"].lower())
             for number, r in rows if want is None or r["SemEval_set"].upper() == want]
    return _some(pairs, path, f" in split {split!r}" if want is not None else "")


def guess_sts_format(path: PathLike) -> str:
    """"sick" when the first non-blank line is a header naming sentence_A, else "stsb"."""
    path = _existing(path)
    if path.is_dir():
        return "stsb"  # the extracted STS-B folder
    for _, line in _numbered_lines(path):
        if line.strip():
            return "sick" if "sentence_A" in line.split("\t") else "stsb"
    return "stsb"


def read_sts(path: PathLike, split: str | None = None) -> list[STSPair]:
    """Read an STS-B or a SICK file, whichever `guess_sts_format` says it is."""
    reader = read_sick if guess_sts_format(path) == "sick" else read_stsb
    return reader(path, split=split)


# -------------------------------------------------------------------------------------- NLI
NLI_COLUMNS = ("sent0", "sent1", "hard_neg")


def read_nli_csv(path: PathLike) -> list[NLITriplet]:
    """Read NLI triplets from a csv with header sent0,sent1,hard_neg (SimCSE's nli_for_simcse.csv).

    A real csv this time: fields holding commas or quotes are quoted, so the csv module parses it.
    sent0 = premise (anchor), sent1 = an entailed hypothesis (positive), hard_neg = a contradicted
    one (negative). Extra columns are ignored; the three are found by name.
    """
    path = _existing(path)
    try:
        return _read_nli_rows(path)
    except UnicodeDecodeError:
        raise ValueError(_not_utf8(path)) from None


def _read_nli_rows(path: Path) -> list[NLITriplet]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = csv.reader(fh)
        header = next(rows, None)
        if header is None:
            raise ValueError(f"{path} is empty: expected a header line {','.join(NLI_COLUMNS)}")
        header = [h.strip() for h in header]
        missing = [c for c in NLI_COLUMNS if c not in header]
        if missing:
            raise ValueError(f"{path}, line 1: header lacks column(s) {missing}; found {header}. "
                             f"The first line must be {','.join(NLI_COLUMNS)}")
        idx = [header.index(c) for c in NLI_COLUMNS]
        triplets = []
        for row in rows:
            if not any(field.strip() for field in row):
                continue
            if len(row) < len(header):
                raise ValueError(f"{path}, line {rows.line_num}: expected {len(header)} comma-separated "
                                 f"fields like the header, found {len(row)} (quote fields that hold commas)")
            anchor, positive, negative = (row[i].strip() for i in idx)
            if not (anchor and positive and negative):
                raise ValueError(f"{path}, line {rows.line_num}: an NLI triplet needs three non-empty sentences")
            triplets.append(NLITriplet(anchor, positive, negative))
    return triplets


# ------------------------------------------------------------------------------ plain lines
def read_lines(path: PathLike) -> list[str]:
    """One sentence per line (SimCSE's wiki1m_for_simcse.txt): stripped, blank lines skipped."""
    path = _existing(path)
    return [line.strip() for _, line in _numbered_lines(path) if line.strip()]
