import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from minisent.data import tokenize_words
from minisent.tfidf import TfidfEncoder

REFERENCE = ["the cat sat on the mat", "the dog sat on the log", "markets fell today", "the cat ate"]


def test_matches_sklearn_reference():
    enc = TfidfEncoder(REFERENCE, sublinear_tf=False)
    ref = TfidfVectorizer(tokenizer=tokenize_words, lowercase=False, token_pattern=None).fit(REFERENCE)
    sentences = ["The cat sat.", "markets, markets and the dog"]
    np.testing.assert_allclose(enc.encode(sentences), ref.transform(sentences).toarray(), rtol=1e-6)


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
