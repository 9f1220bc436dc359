"""minisent.evaluate: bootstrap intervals, against hand computations and scipy.stats.bootstrap."""
import numpy as np
import pytest
from scipy import stats

from minisent import evaluate
from minisent.data import STSPair
from minisent.evaluate import Interval


def test_interval_prints_and_compares():
    iv = Interval(34.66, 23.14, 45.04)
    assert str(iv) == "34.7 [23.1, 45.0]" and float(iv) == 34.66
    assert iv.excludes(0) and not iv.excludes(30) and Interval(1.0, -0.5, 2.0).excludes(0) is False
    assert iv.overlaps(Interval(50, 44, 60)) and not iv.overlaps(Interval(50, 46, 60))


def test_bootstrap_of_a_mean_by_hand():
    # two rows: every resample is (x0, x0), (x0, x1), (x1, x0) or (x1, x1); the means are 0, 1, 1, 2 (x = 0, 2)
    x = np.array([0.0, 2.0])
    iv = evaluate.bootstrap(np.mean, x, n_boot=4000, seed=1)
    assert iv.value == 1.0 and iv.low == 0.0 and iv.high == 2.0
    # half of the resampled means are exactly 1, so the middle 40 % of them is [1, 1]
    assert evaluate.bootstrap(np.mean, x, n_boot=4000, seed=1, level=0.4)[1:] == (1.0, 1.0)


def test_bootstrap_draws_the_same_rows_as_scipy():
    rng = np.random.default_rng(3)
    pred, gold = rng.normal(size=60), rng.normal(size=60)
    gold = gold + pred                                      # correlated, Spearman ~ 70
    spearman = lambda p, g: stats.spearmanr(p, g).statistic
    ours = evaluate.bootstrap(spearman, pred, gold, n_boot=300, seed=7)
    ref = stats.bootstrap((pred, gold), spearman, paired=True, vectorized=False, n_resamples=300,
                          method="percentile", rng=np.random.default_rng(7))
    assert ours.value == pytest.approx(spearman(pred, gold))
    assert ours.low == pytest.approx(ref.confidence_interval.low)
    assert ours.high == pytest.approx(ref.confidence_interval.high)


def test_bootstrap_interval_covers_the_truth_and_shrinks_with_n():
    # the mean of n standard normals: the 95 % interval is about +- 1.96 / sqrt(n) around the sample mean
    x = np.random.default_rng(0).normal(size=400)
    iv = evaluate.bootstrap(np.mean, x)
    assert iv.low < 0 < iv.high
    assert (iv.high - iv.low) == pytest.approx(2 * 1.96 * x.std() / np.sqrt(400), rel=0.15)
    small = evaluate.bootstrap(np.mean, x[:100])
    assert (small.high - small.low) > 1.6 * (iv.high - iv.low)


def test_paired_bootstrap_excludes_zero_only_for_a_real_difference():
    rng = np.random.default_rng(0)
    gold = rng.normal(size=300)
    good = gold + rng.normal(scale=0.5, size=300)           # Spearman ~ 90
    bad = gold + rng.normal(scale=2.0, size=300)            # Spearman ~ 45
    diff = evaluate.paired_bootstrap(evaluate.spearman, (good, gold), (bad, gold))
    assert diff.value == pytest.approx(evaluate.spearman(good, gold) - evaluate.spearman(bad, gold))
    assert diff.low > 0 and diff.excludes(0)
    # two copies of one predictor, each plus its own noise of the same size: no real difference
    copy_a, copy_b = (good + rng.normal(scale=0.2, size=300) for _ in range(2))
    tie = evaluate.paired_bootstrap(evaluate.spearman, (copy_a, gold), (copy_b, gold))
    assert tie.low < 0 < tie.high
    # pairing matters: a predictor that shares most of good's errors and adds a few of its own is worse by a
    # little; its separate interval overlaps good's, yet the paired difference (shared errors cancel) excludes 0
    close = good + rng.normal(scale=0.3, size=300)
    a, b = evaluate.bootstrap(evaluate.spearman, good, gold), evaluate.bootstrap(evaluate.spearman, close, gold)
    d = evaluate.paired_bootstrap(evaluate.spearman, (good, gold), (close, gold))
    assert a.overlaps(b) and d.excludes(0) and (d.high - d.low) < 0.75 * (a.high - a.low)


def test_bootstrap_bad_input():
    with pytest.raises(ValueError, match="one length"):
        evaluate.bootstrap(np.mean, [1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="1-D"):
        evaluate.bootstrap(np.mean, np.ones((3, 2)))
    with pytest.raises(ValueError, match="level"):
        evaluate.bootstrap(np.mean, [1.0, 2.0], level=95)
    with pytest.raises(ValueError, match="n_boot"):
        evaluate.bootstrap(np.mean, [1.0, 2.0], n_boot=0)
    with pytest.raises(ValueError, match="same rows"):
        evaluate.paired_bootstrap(np.mean, ([1.0, 2.0],), ([1.0, 2.0, 3.0],))


class Letters:
    """A toy encoder: counts of a..z."""

    def encode(self, sentences):
        out = np.zeros((len(sentences), 26))
        for i, s in enumerate(sentences):
            for ch in s.lower():
                if "a" <= ch <= "z":
                    out[i, ord(ch) - ord("a")] += 1
        return out


def test_sts_interval_is_sts_spearman_with_a_bootstrap():
    words = ["cat", "dog", "tac", "god", "bird", "drib", "fish", "hsif", "ant", "bee", "cow", "owl"]
    pairs = [STSPair(a, b, float(i % 5)) for i, (a, b) in enumerate(zip(words, words[::-1] + words))]
    iv = evaluate.sts_interval(Letters(), pairs, n_boot=200, seed=2)
    assert iv.value == pytest.approx(evaluate.sts_spearman(Letters(), pairs))
    preds = evaluate.sts_predictions(Letters(), pairs)
    np.testing.assert_allclose(preds, evaluate.pair_similarities(Letters(), pairs))
    assert iv == evaluate.bootstrap(evaluate.spearman, preds, [p.score for p in pairs], n_boot=200, seed=2)
    assert iv.low <= iv.value <= iv.high
