"""minisent.evaluation.evaluate: bootstrap intervals, against hand computations and scipy.stats.bootstrap."""
import numpy as np
import pytest
from scipy import stats

from conftest import BagOfLetters

from minisent.evaluation import evaluate
from minisent.data import STSPair
from minisent.evaluation.metrics import Interval


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


def test_sts_interval_is_sts_spearman_with_a_bootstrap():
    words = ["cat", "dog", "tac", "god", "bird", "drib", "fish", "hsif", "ant", "bee", "cow", "owl"]
    pairs = [STSPair(a, b, float(i % 5)) for i, (a, b) in enumerate(zip(words, words[::-1] + words))]
    iv = evaluate.sts_interval(BagOfLetters(), pairs, n_boot=200, seed=2)
    assert iv.value == pytest.approx(evaluate.sts_spearman(BagOfLetters(), pairs))
    preds = evaluate.sts_predictions(BagOfLetters(), pairs)
    np.testing.assert_allclose(preds, evaluate.pair_similarities(BagOfLetters(), pairs))
    assert iv == evaluate.bootstrap(evaluate.spearman, preds, [p.score for p in pairs], n_boot=200, seed=2)
    assert iv.low <= iv.value <= iv.high


# ------------------------------------------------------------------------- dev / test splits
from minisent import data  # noqa: E402


@pytest.mark.parametrize("load, n", [(data.mini_sts, 350), (data.topic_sentences, 450), (data.qa_pairs, 120)])
def test_handmade_splits_alternate_rows(load, n):
    everything, dev, test = load(), load(split="dev"), load(split="test")
    assert len(everything) == n and dev == everything[0::2] and test == everything[1::2]
    with pytest.raises(ValueError, match="split must be"):
        load(split="train")


def test_mini_sts_split_keeps_every_category_in_both_halves():
    from collections import Counter

    dev, test = Counter(p.category for p in data.mini_sts(split="dev")), Counter(p.category for p in data.mini_sts(split="test"))
    assert set(dev) == set(test) and all(abs(dev[c] - test[c]) <= 1 for c in dev)


def test_lee_split_by_document():
    docs = data.lee_documents()
    dev, test = data.lee_pairs(split="dev"), data.lee_pairs(split="test")
    assert len(data.lee_pairs()) == 1225 and len(dev) == len(test) == 25 * 24 // 2
    dev_docs = {d for p in dev for d in (p.sentence1, p.sentence2)}
    test_docs = {d for p in test for d in (p.sentence1, p.sentence2)}
    assert not dev_docs & test_docs and dev_docs == set(docs[0::2]) and test_docs == set(docs[1::2])


def test_section_yardstick_is_held_out_and_split_by_article():
    from minisent.data.triplets import section_triplets

    dev, test, both = (data.section_yardstick(s) for s in ("dev", "test", None))
    assert len(dev) > 1000 and len(test) > 1000 and len(both) == len(dev) + len(test)
    assert data.section_yardstick("test") == test                      # fixed triplets
    assert len({t.anchor for t in test}) == len(test)                  # every sentence is the anchor once
    assert all(t.anchor != t.positive and t.negative not in (t.anchor, t.positive) for t in test)
    article = {s.text: s.article for s in data.wiki_sentences()}
    section = {s.text: s.section for s in data.wiki_sentences()}
    assert all(article[t.anchor] == article[t.positive] == article[t.negative] for t in both)
    assert all(section[t.anchor] == section[t.positive] != section[t.negative] for t in both)
    assert not {article[t.anchor] for t in dev} & {article[t.anchor] for t in test}
    trained = {article[s] for t in section_triplets()[0] for s in (t.anchor, t.positive, t.negative)}
    assert not trained & {article[t.anchor] for t in both}             # no training article is scored on


def test_newsgroup_sentences_are_prose_without_headers_or_quotes():
    sentences = data.newsgroup_sentences()
    assert 1000 < len(sentences) < 3000 and len(set(sentences)) == len(sentences)
    assert not any(s.startswith((">", "From:", "Subject:")) or "writes:" in s for s in sentences)
    assert all(5 <= len(s.split()) <= 60 for s in sentences)


# ------------------------------------------------------------------- the leaderboard's pieces
def test_f1_and_reciprocal_ranks_by_hand():
    from sklearn.metrics import f1_score

    gold, pred = [1, 1, 0, 0, 1], [1, 0, 1, 0, 1]                    # TP 2, FP 1, FN 1 -> 4 / 6
    assert evaluate.f1(gold, pred) == pytest.approx(2 / 3) == f1_score(gold, pred)
    assert evaluate.f1([0, 0], [0, 0]) == 0.0
    ranked = [[3, 1, 2], [0, 1, 2], [5, 6, 7]]
    np.testing.assert_allclose(evaluate.reciprocal_ranks(ranked, [1, 0, 9], k=3), [0.5, 1.0, 0.0])
    assert evaluate.mrr_at_k(ranked, [1, 0, 9], k=3) == pytest.approx(0.5)


def test_probe_correct_matches_cross_val_score():
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    items = data.sentiment_sentences()
    texts, labels = [s.text for s in items], [s.label for s in items]
    correct = evaluate.probe_correct(BagOfLetters(), texts, labels)
    x = BagOfLetters().encode(texts)
    ref = cross_val_score(make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)), x, labels,
                          cv=StratifiedKFold(5, shuffle=True, random_state=0))
    assert correct.shape == (200,) and correct.mean() == pytest.approx(ref.mean())   # five folds of 40


def test_topic_interval_is_chance_corrected():
    from sklearn.metrics import adjusted_mutual_info_score

    topics = data.topic_sentences(split="dev")

    class Oracle:                                                     # one-hot of the gold topic: perfect
        names = sorted({t.label for t in topics})
        label = {t.text: t.label for t in topics}

        def encode(self, sentences):
            return np.eye(len(self.names))[[self.names.index(self.label[s]) for s in sentences]]

    perfect = evaluate.topic_interval(Oracle(), topics, n_boot=50)
    assert perfect.value == pytest.approx(100) and perfect.low == pytest.approx(100)
    letters = evaluate.topic_interval(BagOfLetters(), topics, n_boot=100)
    clusters = evaluate.cluster(BagOfLetters(), [t.text for t in topics], 10)
    assert letters.value == pytest.approx(100 * adjusted_mutual_info_score([t.label for t in topics], clusters))
    assert letters.low <= letters.value <= letters.high and letters.value < 30


def test_ties_within_noise_names_overlapping_models():
    rows = [{"model": "a", "s": Interval(50, 45, 55)}, {"model": "b", "s": Interval(52, 49, 56)},
            {"model": "c", "s": Interval(30, 25, 35)}]
    assert evaluate.ties_within_noise(rows) == ["s: best b 52.0 [49.0, 56.0]; ties within noise (intervals "
                                                "overlap): a"]
    assert evaluate.ties_within_noise(rows[1:]) == ["s: best b 52.0 [49.0, 56.0]; clear of the rest"]

