"""minisent.evaluation.evaluate: cosine, Spearman and STS scoring, against hand computations."""
import math

import numpy as np
import pytest

from conftest import BagOfLetters
from minisent import data
from minisent.evaluation import evaluate
from minisent.data import STSPair


# ----------------------------------------------------------------------------------- cosine
def test_cosine_by_hand():
    a = np.array([[1.0, 0.0], [1.0, 1.0], [3.0, 4.0], [0.0, 0.0]])
    b = np.array([[0.0, 2.0], [2.0, 2.0], [4.0, 3.0], [1.0, 1.0]])
    # orthogonal, parallel, 24/25 (= (12 + 12) / (5 * 5)), zero row -> 0
    np.testing.assert_allclose(evaluate.cosine(a, b), [0.0, 1.0, 24 / 25, 0.0])
    np.testing.assert_allclose(evaluate.cosine(a, -a)[:3], [-1.0, -1.0, -1.0])
    assert evaluate.cosine(np.zeros((2, 3)), np.zeros((2, 3))).tolist() == [0.0, 0.0]


def test_cosine_bad_shapes():
    with pytest.raises(ValueError, match="same shape"):
        evaluate.cosine(np.ones((2, 3)), np.ones((3, 3)))
    with pytest.raises(ValueError, match=r"\(n, d\)"):
        evaluate.cosine(np.ones(3), np.ones(3))


def test_cosine_matrix_matches_rowwise_cosine():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(4, 5)), rng.normal(size=(3, 5))
    m = evaluate.cosine_matrix(a, b)
    assert m.shape == (4, 3)
    for i in range(4):
        for j in range(3):
            expected = a[i] @ b[j] / (np.linalg.norm(a[i]) * np.linalg.norm(b[j]))
            assert m[i, j] == pytest.approx(expected)
    self_sim = evaluate.cosine_matrix(a)
    np.testing.assert_allclose(np.diag(self_sim), 1.0)
    np.testing.assert_allclose(self_sim, self_sim.T)
    assert evaluate.cosine_matrix(np.zeros((1, 5)), b).tolist() == [[0.0, 0.0, 0.0]]


# --------------------------------------------------------------------------------- spearman
def average_ranks(v):
    """Ranks 1..n, tied values sharing the mean of their ranks (by hand, no scipy)."""
    v = np.asarray(v, dtype=float)
    ranks = np.empty(len(v))
    ranks[np.argsort(v, kind="stable")] = np.arange(1, len(v) + 1)
    return np.array([ranks[v == x].mean() for x in v])


def spearman_by_hand(x, y):
    """x 100 Pearson correlation of the average ranks."""
    rx, ry = average_ranks(x), average_ranks(y)
    rx, ry = rx - rx.mean(), ry - ry.mean()
    return 100 * (rx @ ry) / math.sqrt((rx @ rx) * (ry @ ry))


def test_spearman_with_ties_matches_the_rank_formula():
    x = [1.0, 2.0, 2.0, 3.0, 5.0, 5.0, 0.5]
    y = [2.0, 1.0, 4.0, 4.0, 6.0, 3.0, 0.0]
    assert evaluate.spearman(x, y) == pytest.approx(spearman_by_hand(x, y))
    rng = np.random.default_rng(0)
    for _ in range(20):
        a, b = rng.integers(0, 5, 30), rng.normal(size=30)
        assert evaluate.spearman(a, b) == pytest.approx(spearman_by_hand(a, b))
        assert evaluate.spearman(np.exp(b), b ** 3) == pytest.approx(100.0)       # only the order counts
    assert evaluate.spearman([1, 2, 3], [10, 20, 30]) == pytest.approx(100.0)
    assert evaluate.spearman([1, 2, 3], [3, 2, 1]) == pytest.approx(-100.0)


def test_spearman_by_hand_with_average_ranks():
    # x ranks: 1, 2.5, 2.5, 4 ; y ranks: 1, 2, 3, 4 -> Pearson of the ranks
    rx, ry = np.array([1, 2.5, 2.5, 4]), np.array([1, 2, 3, 4.0])
    rx, ry = rx - rx.mean(), ry - ry.mean()
    expected = 100 * (rx @ ry) / math.sqrt((rx @ rx) * (ry @ ry))
    assert evaluate.spearman([0.1, 0.5, 0.5, 0.9], [1, 2, 3, 4]) == pytest.approx(expected)


def test_spearman_constant_and_bad_input():
    assert evaluate.spearman([1, 1, 1], [1, 2, 3]) == 0.0
    assert evaluate.spearman([1, 2, 3], [4, 4, 4]) == 0.0
    with pytest.raises(ValueError, match=">= 2"):
        evaluate.spearman([1.0], [2.0])
    with pytest.raises(ValueError, match="equally long"):
        evaluate.spearman([1, 2, 3], [1, 2])


# ------------------------------------------------------------------------------ STS scoring
PAIRS = [STSPair("ab", "ab", 5.0), STSPair("ab", "ac", 1.0), STSPair("ab", "cd", 3.0)]


def test_sts_spearman_by_hand():
    # cosines: "ab"/"ab" = 1, "ab"/"ac" = 1/2, "ab"/"cd" = 0 -> ranks 3, 2, 1
    # gold 5, 1, 3                                            -> ranks 3, 1, 2
    # rho = 1 - 6 * sum(d^2) / (n (n^2 - 1)) = 1 - 6 * 2 / 24 = 0.5
    np.testing.assert_allclose(evaluate.pair_similarities(BagOfLetters(), PAIRS), [1.0, 0.5, 0.0])
    assert evaluate.sts_spearman(BagOfLetters(), PAIRS) == pytest.approx(50.0)


def test_pair_similarities_encodes_each_sentence_once():
    model = BagOfLetters()
    pairs = [STSPair("a cat", "a dog", 1.0), STSPair("a dog", "a cat", 1.0), STSPair("a cat", "a cat", 5.0),
             STSPair("the end", "a dog", 0.0)]
    sims = evaluate.pair_similarities(model, pairs)
    encoded = [s for call in model.calls for s in call]
    assert sorted(encoded) == sorted({"a cat", "a dog", "the end"})  # three distinct, each once
    assert sims[0] == pytest.approx(sims[1]) and sims[2] == pytest.approx(1.0)


def test_pair_similarities_bad_input():
    with pytest.raises(ValueError, match="no pairs"):
        evaluate.pair_similarities(BagOfLetters(), [])

    class Broken(BagOfLetters):
        def encode(self, sentences):
            return super().encode(sentences)[:1]

    with pytest.raises(ValueError, match="rows"):
        evaluate.pair_similarities(Broken(), PAIRS)


def test_lee_and_leaderboard_row(monkeypatch):
    monkeypatch.setattr(data, "mini_sts", lambda: PAIRS)  # the hand-written set, replaced by the toy pairs
    model = BagOfLetters()
    lee = evaluate.lee_correlation(model)
    pairs = data.lee_pairs()
    expected = spearman_by_hand(evaluate.pair_similarities(BagOfLetters(), pairs), [p.score for p in pairs])
    assert lee == pytest.approx(expected)
    assert len(model.calls) == 1 and len(model.calls[0]) == 50  # the 50 Lee documents, once each
    assert evaluate.leaderboard_row("letters", model) == {"model": "letters", "mini-STS": 50.0,
                                                          "Lee": round(lee, 2)}


def test_format_table():
    table = evaluate.format_table([{"model": "a", "score": 1.234}, {"model": "b", "extra": None}])
    assert table.splitlines() == ["| model | score | extra |", "|---|---|---|", "| a | 1.23 |  |", "| b |  |  |"]
    assert evaluate.format_table([]) == "(no rows)"


def test_average_ranks_equal_scipy_rankdata_and_spearman_equals_scipy():
    from scipy.stats import rankdata, spearmanr

    from minisent.evaluation.metrics import average_ranks
    rng = np.random.default_rng(1)
    for _ in range(200):
        n = int(rng.integers(2, 200))
        x = rng.integers(0, int(rng.integers(1, 12)), n).astype(float)      # many ties, sometimes constant
        y = np.round(rng.normal(size=n), int(rng.integers(0, 3)))
        assert np.array_equal(average_ranks(x), rankdata(x))
        expected = 0.0 if np.ptp(x) == 0 or np.ptp(y) == 0 else 100 * spearmanr(x, y).statistic
        assert evaluate.spearman(x, y) == pytest.approx(expected, abs=1e-9)
