"""Reading and writing word vectors in the two plain-text formats everyone publishes.

word2vec text format (Mikolov's tool, fastText's .vec files):
    <n_words> <dim>                  a header line
    <word> <v_1> ... <v_dim>         one line per word, most frequent first
GloVe text format (Stanford's glove.6B.100d.txt and friends):
    <word> <v_1> ... <v_dim>         no header; dim = number of fields - 1

Both load into gensim KeyedVectors, so pre-trained vectors drop into every tool of the course:

    wv = load_glove_text("glove.6B.100d.txt")   # from https://nlp.stanford.edu/projects/glove/
    AveragingEncoder(wv, weighting="sif", remove_components=1)

Offline, the course tests this on the small GloVe-format file gensim ships:
`gensim.test.utils.datapath("test_glove.txt")`.
"""
from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
from gensim.models import KeyedVectors


def _open_text(path: Path, encoding: str):
    opener = gzip.open if path.suffix == ".gz" else open
    return opener(path, "rt", encoding=encoding, errors="replace")


def _looks_like_header(line: str) -> bool:
    fields = line.split()
    return len(fields) == 2 and all(f.isdigit() for f in fields)


def load_text_vectors(path, format: str = "auto", limit: int | None = None, lowercase: bool = False,
                      encoding: str = "utf-8") -> KeyedVectors:
    """Word vectors from a word2vec- or GloVe-format text file (optionally .gz) -> KeyedVectors.

    format: "word2vec" (header line), "glove" (no header) or "auto" (a first line of two integers
            is a word2vec header).
    limit:  read only the first `limit` words (files list frequent words first).
    lowercase: lowercase every word, keeping the FIRST vector when two words collide ("Apple",
            "apple"): the course's tokenizer lowercases, cased vocabularies otherwise miss words.
    A word that appears twice keeps its first vector. A line with the wrong number of values
    raises ValueError naming the line.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist. Pre-trained vectors are downloaded by hand, e.g. "
                                f"GloVe from https://nlp.stanford.edu/projects/glove/ (unzip glove.6B.zip "
                                f"and pass the path of glove.6B.100d.txt)")
    if format not in ("auto", "word2vec", "glove"):
        raise ValueError(f"format must be 'auto', 'word2vec' or 'glove', got {format!r}")
    words: list[str] = []
    rows: list[np.ndarray] = []
    seen: set[str] = set()
    dim = None
    with _open_text(path, encoding) as fh:
        for number, line in enumerate(fh, start=1):
            line = line.rstrip("\n").rstrip()
            if not line:
                continue
            if number == 1 and format != "glove" and _looks_like_header(line):
                dim = int(line.split()[1])
                continue
            if number == 1 and format == "word2vec":
                raise ValueError(f"{path}, line 1: expected a word2vec header '<n_words> <dim>', got "
                                 f"{line[:60]!r} (use format='glove' for files without a header)")
            fields = line.split(" ")
            if dim is None:
                dim = len(fields) - 1          # GloVe: the first line fixes the dimension
            if len(fields) < dim + 1:
                raise ValueError(f"{path}, line {number}: expected a word and {dim} numbers, "
                                 f"found {len(fields)} fields")
            # the LAST dim fields are the vector: a few GloVe words contain spaces themselves
            word = " ".join(fields[:-dim])
            word = word.lower() if lowercase else word
            if word in seen:
                continue
            try:
                vector = np.asarray(fields[-dim:], dtype=np.float32)
            except ValueError:
                raise ValueError(f"{path}, line {number}: the last {dim} fields are not all numbers") from None
            seen.add(word)
            words.append(word)
            rows.append(vector)
            if limit is not None and len(words) >= limit:
                break
    if not words:
        raise ValueError(f"{path} holds no word vectors")
    wv = KeyedVectors(dim)
    wv.add_vectors(words, np.stack(rows))
    return wv


def load_word2vec_text(path, limit: int | None = None, lowercase: bool = False) -> KeyedVectors:
    """Vectors from a word2vec text file (header '<n> <dim>', then 'word v1 ... vd' lines)."""
    return load_text_vectors(path, format="word2vec", limit=limit, lowercase=lowercase)


def load_glove_text(path, limit: int | None = None, lowercase: bool = False) -> KeyedVectors:
    """Vectors from a GloVe text file ('word v1 ... vd' lines, no header)."""
    return load_text_vectors(path, format="glove", limit=limit, lowercase=lowercase)


def save_word2vec_text(wv: KeyedVectors, path) -> Path:
    """Write vectors in word2vec text format (readable by gensim, fastText and `load_word2vec_text`)."""
    path = Path(path)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(f"{len(wv.index_to_key)} {wv.vector_size}\n")
        for word, vector in zip(wv.index_to_key, wv.vectors):
            fh.write(word + " " + " ".join(repr(float(x)) for x in vector) + "\n")
    return path
