"""minisent.evaluation.evaluate, lesson-09 additions: every metric against values worked out by hand."""
import math

import numpy as np
import pytest

from minisent import data

from minisent.evaluation import evaluate
from minisent.data import NLITriplet, STSPair
from minisent.evaluation.search import brute_force_search


class Lookup:
    """A toy encoder that returns the vector stored for each sentence."""

    def __init__(self, vectors: dict):
        self.vectors = {k: np.asarray(v, dtype=np.float32) for k, v in vectors.items()}

    def encode(self, sentences):
        dim = len(next(iter(self.vectors.values())))
        return np.stack([self.vectors[s] for s in sentences]) if sentences else np.zeros((0, dim), np.float32)


# ------------------------------------------------------------------------------ triplets
def test_triplet_accuracy_by_hand():
    model = Lookup({"a": [1, 0], "p": [1, 0.1], "n": [0, 1],            # hit
                    "b": [0, 1], "bp": [1, 0], "bn": [0, 1],             # miss
                    "c": [1, 1], "cp": [1, 0], "cn": [0, 1]})            # tie: a miss
    triplets = [NLITriplet("a", "p", "n"), ("b", "bp", "bn"), ("c", "cp", "cn")]
    assert evaluate.triplet_accuracy(model, triplets) == pytest.approx(1 / 3)
    assert evaluate.triplet_accuracy(model, triplets[:1]) == 1.0
    with pytest.raises(ValueError, match="no triplets"):
        evaluate.triplet_accuracy(model, [])


# ----------------------------------------------------------------------------- retrieval
def test_mrr_of_known_ranks():
    ranked = [[5, 1, 2], [3, 4, 9], [7, 8, 6]]
    relevant = [5, 9, 0]                                   # ranks 1, 3, never
    assert evaluate.mrr_at_k(ranked, relevant, k=10) == pytest.approx((1 + 1 / 3 + 0) / 3)
    assert evaluate.mrr_at_k(ranked, relevant, k=2) == pytest.approx(1 / 3)
    assert evaluate.mrr_at_k(np.array(ranked), [{5, 1}, {4, 9}, {6}], k=3) == pytest.approx((1 + 1 / 2 + 1 / 3) / 3)


def test_recall_with_several_relevant():
    ranked = [[1, 2, 3, 4], [5, 6, 7, 8]]
    relevant = [{2, 4, 9}, 5]
    assert evaluate.recall_at_k(ranked, relevant, 1) == pytest.approx((0 + 1) / 2)
    assert evaluate.recall_at_k(ranked, relevant, 2) == pytest.approx((1 / 3 + 1) / 2)
    assert evaluate.recall_at_k(ranked, relevant, 4) == pytest.approx((2 / 3 + 1) / 2)


def test_ndcg_against_the_ideal_ordering():
    # relevant {0, 1}; retrieved at ranks 1 and 3: DCG = 1 + 1/log2(4); ideal (ranks 1, 2) = 1 + 1/log2(3)
    assert evaluate.ndcg_at_k([[0, 7, 1]], [{0, 1}], 10) == pytest.approx(1.5 / (1 + 1 / math.log2(3)))
    assert evaluate.ndcg_at_k([[1, 0, 7]], [{0, 1}], 10) == pytest.approx(1.0)
    assert evaluate.ndcg_at_k([[7, 0]], [0], 1) == 0.0
    assert evaluate.ndcg_at_k([[7, 0]], [0], 2) == pytest.approx(1 / math.log2(3))
    with pytest.raises(ValueError, match="one ranking per query"):
        evaluate.ndcg_at_k([[1]], [1, 2])


def test_retrieval_scores_from_text():
    model = Lookup({"q0": [1, 0], "q1": [0, 1], "q2": [1, 1],
                    "P0": [1, 0.1], "P1": [0.1, 1], "P2": [-1, 0]})
    got = evaluate.retrieval_scores(model, ["q0", "q1", "q2"], ["P0", "P1", "P2"], [0, 1, 2])   # ranks 1, 1, 3
    assert got == pytest.approx({"MRR@10": (1 + 1 + 1 / 3) / 3, "Recall@1": 2 / 3, "Recall@5": 1.0,
                                 "Recall@10": 1.0, "nDCG@10": (1 + 1 + 1 / math.log2(4)) / 3})


def test_qa_retrieval_equals_a_brute_force_ranking():
    from minisent.wordvec.tfidf import TfidfEncoder

    pairs = data.qa_pairs()
    model = TfidfEncoder([p.question for p in pairs] + [p.passage for p in pairs])
    passages = list(dict.fromkeys(p.passage for p in pairs))
    _, ranked = brute_force_search(model.encode([p.question for p in pairs]), model.encode(passages), len(passages))
    ranks = [list(r).index(passages.index(p.passage)) + 1 for r, p in zip(ranked, pairs)]
    got = evaluate.qa_retrieval_scores(model)
    assert got["MRR@10"] == pytest.approx(np.mean([1 / r if r <= 10 else 0 for r in ranks]))
    assert got["Recall@1"] == pytest.approx(np.mean([r == 1 for r in ranks]))
    assert got["MRR@10"] > 0.2                              # chance is about 0.025 among 120 passages


# ---------------------------------------------------------------------------- clustering
def test_clustering_scores_on_separable_sentences():
    rng = np.random.default_rng(0)
    centres = {"x": [5, 0, 0], "y": [0, 5, 0], "z": [0, 0, 5]}
    sentences = [f"{t}{i}" for t in "xyz" for i in range(6)]
    model = Lookup({s: np.array(centres[s[0]]) + rng.normal(scale=0.1, size=3) for s in sentences})
    got = evaluate.clustering_scores(model, sentences, [s[0] for s in sentences])
    assert got == pytest.approx({"V-measure": 1.0, "ARI": 1.0})


# -------------------------------------------------------------------------------- probes
def test_linear_probe_separable_and_uninformative():
    sentences = [f"s{i}" for i in range(20)]
    labels = ["pos" if i % 2 else "neg" for i in range(20)]
    rng = np.random.default_rng(0)
    informative = Lookup({s: [1.0 if l == "pos" else -1.0, *rng.normal(size=3)] for s, l in zip(sentences, labels)})
    constant = Lookup({s: [1.0, 2.0] for s in sentences})
    assert evaluate.linear_probe(informative, sentences, labels) == 1.0
    assert evaluate.linear_probe(constant, sentences, labels) == 0.5   # balanced folds, nothing to learn


# ------------------------------------------------------------------ paraphrase detection
def cosine_pairs(sims, golds):
    """STSPairs whose two sentences have exactly cosine `sim` under the returned Lookup encoder."""
    vectors, pairs = {}, []
    for i, (c, g) in enumerate(zip(sims, golds)):
        vectors[f"s{i}"], vectors[f"t{i}"] = [1.0, 0.0], [c, math.sqrt(1 - c * c)]
        pairs.append(STSPair(f"s{i}", f"t{i}", g))
    return Lookup(vectors), pairs


def best_threshold_loop(similarities, gold):
    """The readable reference: F1 at every midpoint between distinct similarities, the lowest best one."""
    values = np.unique(similarities)
    candidates = np.concatenate([[values[0] - 1e-6], (values[:-1] + values[1:]) / 2, [values[-1] + 1e-6]])
    f1 = []
    for t in candidates:
        pred = similarities >= t
        tp, fp, fn = np.sum(pred & gold), np.sum(pred & ~gold), np.sum(~pred & gold)
        f1.append(2 * tp / (2 * tp + fp + fn))
    return float(candidates[int(np.argmax(f1))])


def test_best_threshold_takes_the_lowest_best_midpoint():
    assert evaluate.best_threshold(np.array([0.9, 0.8, 0.3, 0.2]), np.array([1, 1, 0, 0])) == pytest.approx(0.55)
    rng = np.random.default_rng(0)
    for trial in range(300):                 # continuous similarities, and rounded ones (many ties)
        n = int(rng.integers(2, 40))
        sims = rng.random(n) if trial % 2 else np.round(rng.random(n), 1)
        gold = rng.random(n) < rng.uniform(0.1, 0.9)
        gold[0] = True
        assert evaluate.best_threshold(sims, gold) == best_threshold_loop(sims, gold), trial


def test_paraphrase_detection_by_hand():
    #        idx:  0    1    2    3    4    5    6    7        even = tune, odd = test
    sims = [0.9, 0.7, 0.8, 0.5, 0.3, 0.6, 0.2, 0.1]
    gold = [4.5, 4.0, 5.0, 4.2, 1.0, 3.9, 0.0, 2.0]      # >= 4.0 is a paraphrase (4.0 included, 3.9 not)
    model, pairs = cosine_pairs(sims, gold)
    got = evaluate.paraphrase_detection(model, pairs)
    # tuned on sims [.9 .8 .3 .2] / gold [1 1 0 0] -> 0.55; test sims [.7 .5 .6 .1] gold [1 1 0 0]
    # -> predicted [1 0 1 0]: precision 1/2, recall 1/2
    assert got == pytest.approx({"threshold": 0.55, "accuracy": 0.5, "F1": 0.5, "n_test": 4, "positives_test": 2})
    fixed = evaluate.paraphrase_detection(model, pairs, threshold_from=0.55)   # all 8: TP 3, FP 1, FN 1
    assert fixed["F1"] == pytest.approx(0.75) and fixed["accuracy"] == pytest.approx(6 / 8)
    with pytest.raises(ValueError, match="only one class"):
        evaluate.paraphrase_detection(model, pairs, threshold_from="first half")
    with pytest.raises(ValueError, match="threshold_from must be"):
        evaluate.paraphrase_detection(model, pairs, threshold_from="last third")


# --------------------------------------------------------------------------- leaderboard
def test_evaluate_all_fills_every_column():
    from minisent.wordvec.tfidf import TfidfEncoder

    # a cheap TF-IDF fitted on the evaluation sentences only (a few thousand words, not 31k)
    reference = ([p.sentence1 for p in data.mini_sts()] + [p.sentence2 for p in data.mini_sts()]
                 + [t.text for t in data.topic_sentences()] + [s.text for s in data.sentiment_sentences()]
                 + [q.question for q in data.qa_pairs()] + [q.passage for q in data.qa_pairs()])
    row = evaluate.evaluate_all("tfidf-small", TfidfEncoder(reference), n_boot=50)
    assert tuple(row) == evaluate.LEADERBOARD_COLUMNS and row["model"] == "tfidf-small"
    for column in evaluate.LEADERBOARD_COLUMNS[1:]:
        iv = row[column]
        assert isinstance(iv, evaluate.Interval) and -100 <= iv.low <= iv.high <= 100, (column, iv)
    assert row["QA MRR@10"].value > 20 and -100 <= row["Topic AMI"].value and 0 <= row["Paraphrase F1"].value
    assert 25 <= row["Sentiment probe"].value <= 100 and row["Sections"].value > 50
