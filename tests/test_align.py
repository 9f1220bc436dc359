"""Orthogonal Procrustes by hand against scipy's, and translation retrieval on gensim's 20-word toy."""
import numpy as np
import pytest
from gensim.models import KeyedVectors
from scipy.linalg import orthogonal_procrustes
from scipy.stats import ortho_group

from minisent.wordvec import align


def test_procrustes_equals_scipy_and_recovers_a_rotation():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 8))
    Q = ortho_group.rvs(8, random_state=1)
    Y = X @ Q + 0.01 * rng.normal(size=(50, 8))
    W = align.procrustes(X, Y)
    R, _ = orthogonal_procrustes(X, Y)
    np.testing.assert_allclose(W, R, atol=1e-10)
    np.testing.assert_allclose(W.T @ W, np.eye(8), atol=1e-10)
    np.testing.assert_allclose(W, Q, atol=0.01)
    with pytest.raises(ValueError, match="same"):
        align.procrustes(X, Y[:, :4])


def test_fewer_pairs_than_dimensions_fix_the_map_only_on_their_span():
    rng = np.random.default_rng(1)
    X, Y = rng.normal(size=(5, 30)), rng.normal(size=(5, 30))
    W = align.procrustes(X, Y)
    R, _ = orthogonal_procrustes(X, Y)
    np.testing.assert_allclose(X @ W, X @ R, atol=1e-10)   # same on the fitted words' span ...
    np.testing.assert_allclose(np.linalg.norm(X @ W - Y), np.linalg.norm(X @ R - Y), atol=1e-10)
    v = np.linalg.svd(X)[2][-1]                            # a unit direction no fitted word has: X v = 0
    W2 = (np.eye(30) - 2 * np.outer(v, v)) @ W             # reflect it first: still orthogonal ...
    np.testing.assert_allclose(W2.T @ W2, np.eye(30), atol=1e-10)
    np.testing.assert_allclose(X @ W2, X @ W, atol=1e-10)  # ... and exactly as good on the fitted pairs,
    assert np.abs(v @ W2 - v @ W).max() > 0.1              # yet a word along v goes somewhere else


def _rotated_toy(n=12, d=6):
    rng = np.random.default_rng(2)
    en_words, it_words = [f"e{i}" for i in range(n)], [f"i{i}" for i in range(n)]
    E = rng.normal(size=(n, d)).astype(np.float32)
    en, it = KeyedVectors(d), KeyedVectors(d)
    en.add_vectors(en_words, E)
    it.add_vectors(it_words, (E @ ortho_group.rvs(d, random_state=3)).astype(np.float32))
    return align.BilingualToy(en, it, list(zip(en_words, it_words)))


def test_leave_one_out_on_an_exactly_rotated_space():
    toy = _rotated_toy()
    assert align.leave_one_out(toy).all()                           # n > d: the rotation is pinned down
    X, Y = align.pair_matrices(toy, toy.pairs)
    np.testing.assert_allclose(X @ align.procrustes(X, Y), Y, atol=1e-5)


def test_gensim_toy():
    toy = align.en_it_toy()
    assert len(toy.pairs) == 20 and toy.en.vector_size == toy.it.vector_size == 300
    assert ("one", "uno") in toy.pairs and ("fish", "cavallo") in toy.pairs   # the file's one wrong pair
    W = align.procrustes(*align.pair_matrices(toy, toy.pairs))
    words = [a for a, _ in toy.pairs]
    assert align.translate(toy, W, words) == [b for _, b in toy.pairs]      # fitted pairs: all right
    assert align.leave_one_out(toy).mean() <= 0.1                          # 300-d, 19 pairs: chance
