"""The course's yardsticks: any Encoder (`encode(list[str]) -> np.ndarray (n, d)`) scored on a task.

    sts_predictions(model, pairs)          the cosine of each pair (n,); sts_spearman / sts_interval / lee_correlation
    triplet_accuracy(model, triplets)      cos(a, p) > cos(a, n) how often; section_interval on Wikipedia sections
    retrieval_scores(model, queries, passages, relevant)   MRR@10, Recall@k, nDCG@10; qa_* on the QA pairs
    clustering_scores(model, sentences, labels, k)         k-means V-measure and adjusted Rand; topic_interval
    linear_probe(model, sentences, labels, folds, seed)    cross-validated logistic regression; sentiment_*
    paraphrase_detection(model, pairs)     cosine threshold tuned on one half, F1 on the other; paraphrase_interval
    sts_eval_fn()                          mini-STS, Lee, alignment and uniformity, for `fit(eval_fn=...)`
Fractions in [0, 1]; each *_interval is x 100 with its bootstrap interval (the leaderboard's columns).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from .. import data
from ..contract import Encoder
from ..losses import alignment, uniformity
from .metrics import (Interval, adjusted_mutual_info, adjusted_rand, best_threshold, bootstrap, cosine, f1,
                      mrr_at_k, ndcg_at_k, recall_at_k, reciprocal_ranks, spearman, v_measure)
from .clustering import kmeans
from .nearest import semantic_search


def _encode_unique(model: Encoder, sentences: Sequence[str]) -> tuple[np.ndarray, dict[str, int]]:
    """Encode each distinct sentence once. -> (u, d) vectors and {sentence: row}."""
    unique = list(dict.fromkeys(sentences))
    emb = np.asarray(model.encode(unique))
    if emb.ndim != 2 or emb.shape[0] != len(unique):
        raise ValueError(f"encode returned {emb.shape[0]} rows (shape {emb.shape}) for {len(unique)} sentences")
    return emb, {s: i for i, s in enumerate(unique)}


def sts_predictions(model: Encoder, pairs: Sequence[data.STSPair]) -> np.ndarray:
    """Cosine between the two sentences of each pair, encoding every distinct sentence once. -> (n,)"""
    if len(pairs) == 0:
        raise ValueError("no pairs to score")
    emb, row = _encode_unique(model, [p.sentence1 for p in pairs] + [p.sentence2 for p in pairs])
    return cosine(emb[[row[p.sentence1] for p in pairs]], emb[[row[p.sentence2] for p in pairs]])


pair_similarities = sts_predictions  # the name lessons 00, 02 and 09 use


def sts_spearman(model: Encoder, pairs: Sequence[data.STSPair]) -> float:
    """Spearman x 100 between the model's cosine and the gold score of each pair."""
    return spearman(sts_predictions(model, pairs), [p.score for p in pairs])


def sts_interval(model: Encoder, pairs: Sequence[data.STSPair], **kw) -> Interval:
    """Spearman x 100 with its bootstrap interval over the pairs (kw: n_boot, seed, level of `bootstrap`)."""
    return bootstrap(spearman, sts_predictions(model, pairs), [p.score for p in pairs], **kw)


def lee_correlation(model: Encoder) -> float:
    """Spearman x 100 against the mean human ratings of the 1225 Lee document pairs."""
    return sts_spearman(model, data.lee_pairs())


def triplet_correct(model: Encoder, triplets) -> np.ndarray:
    """For each (anchor, positive, negative): is cos(anchor, positive) > cos(anchor, negative)? -> (m,) bool

    triplets: objects with .anchor / .positive / .negative (data.NLITriplet) or 3-tuples.
    A tie counts as a miss: a model that maps everything to one vector scores 0, not 0.5.
    """
    triplets = [(t.anchor, t.positive, t.negative) if hasattr(t, "anchor") else tuple(t) for t in triplets]
    if not triplets:
        raise ValueError("no triplets to score")
    if any(len(t) != 3 for t in triplets):
        raise ValueError("each triplet must be (anchor, positive, negative)")
    emb, row = _encode_unique(model, [s for t in triplets for s in t])
    a, p, n = (emb[[row[t[i]] for t in triplets]] for i in range(3))   # each (m, d)
    return cosine(a, p) > cosine(a, n)


def triplet_accuracy(model: Encoder, triplets) -> float:
    """Fraction of triplets with cos(anchor, positive) > cos(anchor, negative) (see `triplet_correct`)."""
    return float(np.mean(triplet_correct(model, triplets)))


def section_interval(model: Encoder, split: str | None = "test", **kw) -> Interval:
    """Accuracy x 100 on the Wikipedia section-distinction yardstick (`data.section_yardstick(split)`, ~1,400
    test triplets from held-out articles) with its bootstrap interval (kw: n_boot, seed, level)."""
    return bootstrap(np.mean, 100.0 * triplet_correct(model, data.section_yardstick(split)), **kw)


# ---------------------------------------------------------------------------- retrieval
def retrieve(model: Encoder, queries: Sequence[str], passages: Sequence[str], relevant):
    """Encode and search (cosine, top 10). -> (ranked (q, 10) passage indices, relevant) for the metrics."""
    if len(queries) != len(relevant):
        raise ValueError(f"{len(queries)} queries but {len(relevant)} relevance entries")
    q_emb, p_emb = np.asarray(model.encode(list(queries))), np.asarray(model.encode(list(passages)))
    _, ranked = semantic_search(q_emb, p_emb, top_k=10)                # (q, 10) passage indices
    return ranked, relevant


def retrieval_scores(model: Encoder, queries: Sequence[str], passages: Sequence[str], relevant) -> dict:
    """Encode, search (cosine, top 10) and score. relevant[i]: index (or indices) into passages for query i.

    -> {"MRR@10", "Recall@1", "Recall@5", "Recall@10", "nDCG@10"}, each in [0, 1].
    """
    ranked, relevant = retrieve(model, queries, passages, relevant)
    return {"MRR@10": mrr_at_k(ranked, relevant, 10),
            **{f"Recall@{k}": recall_at_k(ranked, relevant, k) for k in (1, 5, 10)},
            "nDCG@10": ndcg_at_k(ranked, relevant, 10)}


def _qa_task(pairs) -> tuple[list[str], list[str], list[int]]:
    """Questions, distinct passages, and the index of each question's own passage (its one relevant item)."""
    passages = list(dict.fromkeys(p.passage for p in pairs))
    row = {p: i for i, p in enumerate(passages)}
    return [p.question for p in pairs], passages, [row[p.passage] for p in pairs]


def qa_retrieval_scores(model: Encoder, pairs=None) -> dict:
    """`retrieval_scores` on question -> passage pairs (default data.qa_pairs()): each question's
    own passage is the one relevant item among all distinct passages."""
    return retrieval_scores(model, *_qa_task(data.qa_pairs() if pairs is None else list(pairs)))


def qa_mrr_interval(model: Encoder, pairs=None, **kw) -> Interval:
    """MRR@10 x 100 of question -> passage retrieval (default data.qa_pairs()) with its bootstrap interval over
    the questions (each resample keeps every passage as a candidate)."""
    ranked, relevant = retrieve(model, *_qa_task(data.qa_pairs() if pairs is None else list(pairs)))
    return bootstrap(np.mean, 100.0 * reciprocal_ranks(ranked, relevant, 10), **kw)


# --------------------------------------------------------------------------- clustering
def clustering_scores(model: Encoder, sentences: Sequence[str], labels: Sequence, k: int | None = None,
                      seed: int = 0) -> dict:
    """k-means (on normalised vectors) of the encoded sentences against gold labels.

    k defaults to the number of distinct labels. -> {"V-measure", "ARI"}, each <= 1.
    """
    if len(sentences) != len(labels) or not sentences:
        raise ValueError(f"need one label per sentence and at least one sentence, got {len(sentences)} "
                         f"sentences and {len(labels)} labels")
    predicted = cluster(model, sentences, len(set(labels)) if k is None else k, seed)
    return {"V-measure": v_measure(labels, predicted), "ARI": adjusted_rand(labels, predicted)}


def cluster(model: Encoder, sentences: Sequence[str], k: int, seed: int = 0) -> np.ndarray:
    """k-means cluster of each encoded sentence (on normalised vectors). -> (n,) ints in 0..k-1"""
    return kmeans(np.asarray(model.encode(list(sentences))), k, seed=seed)


def topic_interval(model: Encoder, topics=None, **kw) -> Interval:
    """Adjusted mutual information x 100 of k-means clusters vs gold topics (default data.topic_sentences()),
    with its bootstrap interval.

    The clustering is done once. A clustering score is a property of a set, and a drawn-twice sentence would
    agree with itself for free, so each resample is scored on the distinct sentences it drew (about 63 %).
    AMI, not V-measure: V-measure rises as the set shrinks, AMI (chance-corrected) does not.
    """
    topics = data.topic_sentences() if topics is None else list(topics)
    gold = np.unique([t.label for t in topics], return_inverse=True)[1]      # (n,) topic ids
    clusters = cluster(model, [t.text for t in topics], int(gold.max()) + 1)

    def ami(rows):
        rows = np.unique(rows)
        return 100.0 * adjusted_mutual_info(gold[rows], clusters[rows])

    return bootstrap(ami, np.arange(len(topics)), **kw)


# ------------------------------------------------------------------------------- probes
def probe_correct(model: Encoder, sentences: Sequence[str], labels: Sequence, folds: int = 5,
                  seed: int = 0) -> np.ndarray:
    """Is each sentence's label predicted right by a logistic regression trained on the other folds? -> (n,) bool

    Features (n, d) are standardised inside each fold (no test-fold statistics leak); folds are
    stratified and shuffled with `seed` (SentEval-style probing of frozen embeddings).
    """
    if len(sentences) != len(labels):
        raise ValueError(f"{len(sentences)} sentences but {len(labels)} labels")
    x = np.asarray(model.encode(list(sentences)), dtype=np.float64)
    probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    labels = np.asarray(labels)
    return cross_val_predict(probe, x, labels, cv=cv) == labels


def linear_probe(model: Encoder, sentences: Sequence[str], labels: Sequence, folds: int = 5, seed: int = 0) -> float:
    """Cross-validated accuracy of a logistic regression on frozen embeddings: the mean of `probe_correct`
    (equal to the mean over folds when the folds are equally big)."""
    return float(np.mean(probe_correct(model, sentences, labels, folds, seed)))


def sentiment_probe(model: Encoder, folds: int = 5, seed: int = 0) -> float:
    """`linear_probe` on data.sentiment_sentences() (200 movie-review sentences, pos / neg)."""
    items = data.sentiment_sentences()
    return linear_probe(model, [s.text for s in items], [s.label for s in items], folds, seed)


def sentiment_interval(model: Encoder, **kw) -> Interval:
    """The sentiment probe's accuracy x 100 with its interval over the 200 sentences (chance: 50)."""
    items = data.sentiment_sentences()
    return bootstrap(np.mean, 100.0 * probe_correct(model, [s.text for s in items], [s.label for s in items]), **kw)


# ------------------------------------------------------------------ paraphrase detection
def paraphrase_detection(model: Encoder, pairs=None, threshold_from: str | float = "even") -> dict:
    """Paraphrase or not, from one cosine threshold. pairs: STSPair (default data.mini_sts()).

    Gold: a pair is a paraphrase when its score >= 4.0 (on the 0..5 STS scale: "the same meaning, unimportant
    details differ"). The threshold is tuned for F1 on one half of the pairs and measured on the other:
      "even"       tune on pairs 0, 2, 4, ..., test on 1, 3, 5, ... (default: mini-STS is grouped by
                   category, so its literal first half holds every paraphrase and its second none;
                   on all of mini-STS that is: tune on its dev split, test on its test split);
      "first half" tune on the first half, test on the second;
      a float      use that threshold and test on every pair.
    -> {"threshold", "accuracy", "F1", "n_test", "positives_test"}.
    """
    threshold, gold, predicted = _paraphrase_test(model, pairs, threshold_from)
    return {"threshold": threshold, "accuracy": float(accuracy_score(gold, predicted)),
            "F1": f1(gold, predicted), "n_test": int(len(gold)), "positives_test": int(gold.sum())}


def _paraphrase_test(model: Encoder, pairs, threshold_from):
    """-> (threshold, gold (t,) bool, predicted (t,) bool) on the test pairs of `paraphrase_detection`."""
    pairs = data.mini_sts() if pairs is None else list(pairs)
    sims = sts_predictions(model, pairs)                           # (n,)
    gold = np.array([p.score >= 4.0 for p in pairs])
    idx = np.arange(len(pairs))
    if isinstance(threshold_from, (int, float)):
        threshold, test = float(threshold_from), idx
    elif threshold_from in ("even", "first half"):
        tune = idx % 2 == 0 if threshold_from == "even" else idx < len(pairs) // 2
        if gold[tune].all() or not gold[tune].any():
            raise ValueError(f"the tuning half ({threshold_from!r}) has only one class; use threshold_from='even'")
        threshold, test = best_threshold(sims[tune], gold[tune]), idx[~tune]
    else:
        raise ValueError(f"threshold_from must be 'even', 'first half' or a number, got {threshold_from!r}")
    return threshold, gold[test], sims[test] >= threshold


def paraphrase_interval(model: Encoder, pairs=None, **kw) -> Interval:
    """`paraphrase_detection`'s F1 x 100 (threshold tuned on the even pairs) with its interval over the test pairs."""
    _, gold, predicted = _paraphrase_test(model, pairs, "even")
    return bootstrap(lambda g, p: 100.0 * f1(g, p), gold, predicted, **kw)


# ---------------------------------------------------------------- during training
def sts_eval_fn(align_uniform: bool = True):
    """An eval_fn(model) -> {"mini-STS", "Lee", "alignment", "uniformity"} for `fit(eval_fn=...)`.

    mini-STS, Lee: Spearman x 100 (`evaluate.sts_spearman`). alignment: mean ||f(x) - f(x+)||^2 over the mini-STS
    pairs with gold >= 4 (paraphrases), as Wang & Isola / SimCSE measure it on STS-B; uniformity:
    log E exp(-2 ||f(x) - f(y)||^2) over all mini-STS sentences. Each mini-STS sentence is encoded once.
    """
    pairs = data.mini_sts()
    para = [k for k, p in enumerate(pairs) if p.score >= 4.0]

    def eval_fn(model) -> dict:
        X, row = _encode_unique(model, [p.sentence1 for p in pairs] + [p.sentence2 for p in pairs])  # (n, d)
        i1 = [row[p.sentence1] for p in pairs]
        i2 = [row[p.sentence2] for p in pairs]
        out = {"mini-STS": spearman(cosine(X[i1], X[i2]), [p.score for p in pairs]),
               "Lee": lee_correlation(model)}
        if align_uniform:
            Xt = torch.from_numpy(X)
            out["alignment"] = float(alignment(Xt[[i1[k] for k in para]], Xt[[i2[k] for k in para]]))
            out["uniformity"] = float(uniformity(Xt))
        return out

    return eval_fn
