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

from pathlib import Path

import numpy as np
from gensim import utils
from gensim.models import KeyedVectors


def load_text_vectors(path, format: str = "auto", limit: int | None = None, lowercase: bool = False,
                      encoding: str = "utf-8") -> KeyedVectors:
    """Word vectors from a word2vec- or GloVe-format text file (optionally .gz) -> KeyedVectors.

    Read by gensim's `KeyedVectors.load_word2vec_format` (GloVe: `no_header=True`).
    format: "word2vec" (header line), "glove" (no header) or "auto" (a first line of two integers
            is a word2vec header).
    limit:  read only the first `limit` vectors (files list frequent words first).
    lowercase: lowercase every word, keeping the FIRST vector when two words collide ("Apple",
            "apple"): the course's tokenizer lowercases, cased vocabularies otherwise miss words.
    A word that appears twice keeps its first vector. A malformed file raises ValueError naming the
    file and its first bad line.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist. Pre-trained vectors are downloaded by hand, e.g. "
                                f"GloVe from https://nlp.stanford.edu/projects/glove/ (unzip glove.6B.zip "
                                f"and pass the path of glove.6B.100d.txt)")
    if format not in ("auto", "word2vec", "glove"):
        raise ValueError(f"format must be 'auto', 'word2vec' or 'glove', got {format!r}")
    with utils.open(str(path), "rb") as fh:
        first = fh.readline().decode(encoding, errors="replace").split()
    if not first:
        raise ValueError(f"{path} holds no word vectors")
    has_header = len(first) == 2 and all(f.isdigit() for f in first)
    if format == "word2vec" and not has_header:
        raise ValueError(f"{path}, line 1: expected a word2vec header '<n_words> <dim>', got "
                         f"{' '.join(first)[:60]!r} (use format='glove' for files without a header)")
    try:
        wv = KeyedVectors.load_word2vec_format(str(path), binary=False, no_header=not has_header, limit=limit,
                                               encoding=encoding, unicode_errors="replace")
    except (ValueError, TypeError) as err:
        raise ValueError(f"{path}{_first_bad_line(path, encoding, has_header)}: {err}") from None
    wv.expandos.pop("count", None)          # gensim makes counts up from the line order: these files have none
    return _first_of_each_word(wv, lowercase)


def _first_bad_line(path: Path, encoding: str, has_header: bool) -> str:
    """', line N' for the first line that is not a word and as many numbers as the first one ('' if none)."""
    dim = None
    with utils.open(str(path), "rb") as fh:
        for number, line in enumerate(fh, start=1):
            fields = line.decode(encoding, errors="replace").rstrip().split(" ")
            if number == 1 and has_header:
                continue
            dim = dim or len(fields) - 1
            try:
                np.asarray(fields[1:], dtype=np.float32)
            except ValueError:
                return f", line {number}"
            if len(fields) != dim + 1:
                return f", line {number}"
    return ""


def _first_of_each_word(wv: KeyedVectors, lowercase: bool) -> KeyedVectors:
    """The vectors with each word once (its first vector), lowercased when asked. gensim keeps the first
    of two equal words too, but leaves an empty (None) slot behind for the second."""
    keep: dict[str, int] = {}
    for row, word in enumerate(wv.index_to_key):
        if word is not None:
            keep.setdefault(word.lower() if lowercase else word, row)
    if list(keep) == wv.index_to_key:
        return wv
    out = KeyedVectors(wv.vector_size)
    out.add_vectors(list(keep), wv.vectors[list(keep.values())])
    return out


def load_word2vec_text(path, limit: int | None = None, lowercase: bool = False) -> KeyedVectors:
    """Vectors from a word2vec text file (header '<n> <dim>', then 'word v1 ... vd' lines)."""
    return load_text_vectors(path, format="word2vec", limit=limit, lowercase=lowercase)


def load_glove_text(path, limit: int | None = None, lowercase: bool = False) -> KeyedVectors:
    """Vectors from a GloVe text file ('word v1 ... vd' lines, no header)."""
    return load_text_vectors(path, format="glove", limit=limit, lowercase=lowercase)


def save_word2vec_text(wv: KeyedVectors, path) -> Path:
    """Write vectors in word2vec text format with gensim's `save_word2vec_format` (readable by gensim,
    fastText and `load_word2vec_text`)."""
    path = Path(path)
    wv.save_word2vec_format(str(path), binary=False)
    return path
