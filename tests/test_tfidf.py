import math
from collections import Counter

import numpy as np
import pytest

from minisent.data import tokenize_words
from minisent.wordvec.tfidf import TfidfEncoder

REFERENCE = ["the cat sat on the mat", "the dog sat on the log", "markets fell today", "the cat ate"]


def tfidf_by_hand(sentence, sublinear):
    """The formula of the module docstring: tf * (ln((1 + N) / (1 + df)) + 1), then unit length."""
    docs = [set(tokenize_words(s)) for s in REFERENCE]
    vocab = sorted(set().union(*docs))
    counts = Counter(w for w in tokenize_words(sentence) if w in vocab)
    x = np.zeros(len(vocab))
    for w, tf in counts.items():
        df = sum(w in d for d in docs)
        x[vocab.index(w)] = (1 + math.log(tf) if sublinear else tf) * (math.log((1 + 4) / (1 + df)) + 1)
    return x / max(np.linalg.norm(x), 1e-12)


@pytest.mark.parametrize("sublinear", [False, True])
def test_matches_the_formula_by_hand(sublinear):
    enc = TfidfEncoder(REFERENCE, sublinear_tf=sublinear)
    sentences = ["The cat sat.", "markets, markets and the dog", "the the the mat"]
    expected = np.stack([tfidf_by_hand(s, sublinear) for s in sentences])
    np.testing.assert_allclose(enc.encode(sentences), expected, rtol=1e-6, atol=1e-7)


def test_rows_are_unit_length_and_unknown_words_give_zeros():
    enc = TfidfEncoder(REFERENCE)
    out = enc.encode(["the cat", "zebra quokka"])
    assert out.dtype == np.float32 and out.shape == (2, enc.dim)
    assert np.isclose(np.linalg.norm(out[0]), 1.0) and not out[1].any()


def test_empty_list_and_bad_items():
    enc = TfidfEncoder(REFERENCE)
    assert enc.encode([]).shape == (0, enc.dim)
    with pytest.raises(TypeError, match="index 1"):
        enc.encode(["fine", 3])
    with pytest.raises(TypeError, match="single str"):
        enc.encode("not a list")
