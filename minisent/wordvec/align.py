"""Across languages: map one language's word vectors onto another's with a rotation (orthogonal Procrustes).

Mikolov, Le & Sutskever (2013) saw that word-vector spaces of two languages have a similar shape: "two"
sits near "three" in English as "due" near "tre" in Italian. Given n translation pairs, stack the English
vectors as rows of X (n, d) and their Italian translations as rows of Y (n, d), and find the rotation
W (d, d), W^T W = I, that moves X onto Y (Xing et al. 2015; Smith et al. 2017):

    W* = argmin_{W orthogonal} || X W - Y ||_F^2 = U V^T,   where U S V^T = svd(X^T Y)

(Schönemann 1966). A rotation keeps every length and angle inside each space, so English neighbours stay
neighbours; it only turns the whole space. A word x then translates to the Italian word whose vector
is nearest (cosine) to x W.

gensim's test data ships a toy for it: 300-d English and Italian vectors of 20 words (numbers one to ten,
five animals, five fruits) and a 20-line pair list (`en_it_toy()`). Twenty words show the mechanics;
they prove nothing about real bilingual lexicon induction, which fits thousands of pairs and tests on
thousands more.
"""
from __future__ import annotations

from typing import NamedTuple, Sequence

import numpy as np

from ..data.corpora import gensim_test_file
from ..inputs import normalize_rows
from .io import load_word2vec_text

EN_VECTORS = "EN.1-10.cbow1_wind5_hs0_neg10_size300_smpl1e-05.txt"
IT_VECTORS = "IT.1-10.cbow1_wind5_hs0_neg10_size300_smpl1e-05.txt"
PAIRS = "OPUS_en_it_europarl_train_one2ten.txt"


class BilingualToy(NamedTuple):
    """en, it: KeyedVectors (20 words each, 300-d); pairs: [(english, italian)] in file order."""
    en: object
    it: object
    pairs: list[tuple[str, str]]


def en_it_toy() -> BilingualToy:
    """gensim's tiny English / Italian word vectors and their translation list (read from its test data)."""
    en = load_word2vec_text(gensim_test_file(EN_VECTORS))
    it = load_word2vec_text(gensim_test_file(IT_VECTORS))
    text = gensim_test_file(PAIRS).read_text(encoding="utf-8")
    pairs = [tuple(line.split()) for line in text.splitlines() if line.strip()]
    return BilingualToy(en, it, [(a, b) for a, b in pairs if a in en.key_to_index and b in it.key_to_index])


def procrustes(X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """The orthogonal W (d, d) minimising ||X W - Y||_F, by hand: W = U V^T with U S V^T = svd(X^T Y).

    X, Y: (n, d), row i of X translates to row i of Y. Why: ||XW - Y||^2 = ||X||^2 + ||Y||^2 - 2 tr(W^T X^T Y),
    and tr(W^T U S V^T) = tr(S V^T W^T U) is largest, sum(S), when V^T W^T U = I, i.e. W = U V^T.
    """
    X, Y = np.asarray(X, dtype=np.float64), np.asarray(Y, dtype=np.float64)
    if X.shape != Y.shape or X.ndim != 2:
        raise ValueError(f"procrustes needs X and Y of the same (n, d) shape, got {X.shape} and {Y.shape}")
    U, _, Vt = np.linalg.svd(X.T @ Y)  # (d, d), (d,), (d, d)
    return U @ Vt                       # (d, d), W^T W = I


def unit_vectors(kv, words: Sequence[str], center: bool = False) -> np.ndarray:
    """(n, d) unit-length vectors of `words` from KeyedVectors `kv`; center=True first subtracts the mean vector
    of kv's whole vocabulary (every word of that language, no translation used)."""
    V = np.stack([kv[w] for w in words]).astype(np.float64)  # (n, d)
    if center:
        V = V - kv.vectors.astype(np.float64).mean(0)
    return normalize_rows(V)


def pair_matrices(toy: BilingualToy, pairs: Sequence[tuple[str, str]], center: bool = False):
    """(X, Y), each (n, d): the English and Italian vectors of `pairs`, row by row (`unit_vectors`)."""
    return unit_vectors(toy.en, [a for a, _ in pairs], center), unit_vectors(toy.it, [b for _, b in pairs], center)


def translate(toy: BilingualToy, W: np.ndarray | None, words: Sequence[str], center: bool = False) -> list[str]:
    """The nearest Italian word (cosine, among all of toy.it) to each English word's vector x W (W None: x itself)."""
    it_words = list(toy.it.index_to_key)
    T = unit_vectors(toy.it, it_words, center)    # (m, d)
    Q = unit_vectors(toy.en, words, center)       # (q, d)
    if W is not None:
        Q = Q @ W
    return [it_words[j] for j in (Q @ T.T).argmax(1)]


def leave_one_out(toy: BilingualToy, pairs: Sequence[tuple[str, str]] | None = None, center: bool = False) -> np.ndarray:
    """For each pair i: fit W on every other pair, translate the English word of pair i. -> (n,) bool, right or not.

    The pair tested is never in the fit: the only honest test 20 words allow (precision@1 per held-out pair).
    """
    pairs = list(toy.pairs if pairs is None else pairs)
    hits = []
    for i, (en_word, it_word) in enumerate(pairs):
        W = procrustes(*pair_matrices(toy, pairs[:i] + pairs[i + 1:], center))
        hits.append(translate(toy, W, [en_word], center)[0] == it_word)
    return np.array(hits)
