"""How the course scores a sentence encoder: anything with `encode(list[str]) -> np.ndarray (n, d)`.

    cosine(a, b)              row-wise cosine similarity of two (n, d) arrays
    sts_predictions(model, pairs) the cosine of each pair (n,)
    sts_spearman(model, pairs) Spearman rank correlation x 100 between cosine and gold scores
    sts_interval(model, pairs) the same with its bootstrap 95 % interval

How sure a score is (every score of a finite test set is one draw; another set would give another):
    bootstrap(metric, *columns)            Interval(value, low, high): percentile bootstrap over the rows
    paired_bootstrap(metric, a, b)         the interval of metric(*a) - metric(*b) on the SAME resampled rows
    lee_correlation(model)    the same on the 50 Lee news documents and their human ratings
    leaderboard_row(name, m)  one row of the course leaderboard

What embeddings are for (lesson 09; fractions in [0, 1]):
    triplet_accuracy(model, triplets)                   cos(a, p) > cos(a, n) how often
    mrr_at_k / recall_at_k / ndcg_at_k(ranked, relevant, k)   retrieval metrics of ranked ids
    retrieval_scores(model, queries, passages, relevant) all of them from encoded text
    clustering_scores(model, sentences, labels, k)      k-means V-measure and adjusted Rand
    linear_probe(model, sentences, labels, folds, seed)  cross-validated logistic regression
    paraphrase_detection(model, pairs)                  cosine threshold tuned on one half, F1 on the other
    evaluate_all(name, model)                           the full leaderboard row (x 100)

Spearman, not Pearson: a model only has to *order* pairs like people do; the scale of its
cosines (often all crowded near 1) does not matter.
"""
from __future__ import annotations

from typing import Callable, NamedTuple, Sequence

import numpy as np
import torch
from scipy.stats import spearmanr

from .. import data
from ..contract import Encoder
from ..inputs import normalize_rows
from ..losses import alignment, uniformity


def cosine(a: np.ndarray, b: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    """Row-wise cosine similarity. a, b: (n, d) -> (n,). A zero row has cosine 0 with anything."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 2:
        raise ValueError(f"cosine needs two (n, d) arrays of the same shape, got {a.shape} and {b.shape}")
    num = (a * b).sum(axis=1)
    den = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    return np.where(den > eps, num / np.maximum(den, eps), 0.0)


def cosine_matrix(a: np.ndarray, b: np.ndarray | None = None, eps: float = 1e-12) -> np.ndarray:
    """All-pairs cosine. a: (n, d), b: (m, d) (default a) -> (n, m)."""
    a = np.asarray(a, dtype=np.float64)
    b = a if b is None else np.asarray(b, dtype=np.float64)
    return normalize_rows(a, eps) @ normalize_rows(b, eps).T


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman rank correlation x 100 (ties get average ranks). Constant input gives 0, not NaN."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(x) != len(y) or len(x) < 2:
        raise ValueError(f"spearman needs two equally long sequences of >= 2 values, got {len(x)} and {len(y)}")
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return 0.0
    return float(spearmanr(x, y).statistic * 100)


# ------------------------------------------------------------------------- uncertainty
class Interval(NamedTuple):
    """A score with its bootstrap interval, in the metric's own units: str() -> "34.7 [23.1, 45.0]"."""
    value: float
    low: float
    high: float

    def __str__(self) -> str:
        return f"{self.value:.1f} [{self.low:.1f}, {self.high:.1f}]"

    def __float__(self) -> float:
        return float(self.value)

    def excludes(self, x: float = 0.0) -> bool:
        """True when x lies outside [low, high] (for a paired difference: the two models really differ)."""
        return not self.low <= x <= self.high

    def overlaps(self, other: "Interval") -> bool:
        """True when the two intervals share a point (then their order is not established by these data)."""
        return self.low <= other.high and other.low <= self.high


def _columns(columns) -> list[np.ndarray]:
    """Equal-length 1-D columns as arrays (row i of every column belongs to the same test item)."""
    arrays = [np.asarray(c) for c in columns]
    if not arrays or any(a.ndim != 1 for a in arrays):
        raise ValueError(f"bootstrap needs one or more 1-D columns, got shapes {[a.shape for a in arrays]}")
    n = len(arrays[0])
    if n < 2 or any(len(a) != n for a in arrays):
        raise ValueError(f"bootstrap needs columns of one length >= 2, got lengths {[len(a) for a in arrays]}")
    return arrays


def _resamples(n: int, n_boot: int, seed: int) -> np.ndarray:
    """(n_boot, n) row indices drawn with replacement: the draws scipy.stats.bootstrap makes with the same seed."""
    if n_boot < 1:
        raise ValueError(f"n_boot must be >= 1, got {n_boot}")
    return np.random.default_rng(seed).integers(0, n, size=(n_boot, n))


def _percentile_interval(value: float, stats: np.ndarray, level: float) -> Interval:
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    low, high = np.percentile(stats, [50 * (1 - level), 50 * (1 + level)])
    return Interval(float(value), float(low), float(high))


def bootstrap(metric: Callable[..., float], *columns, n_boot: int = 1000, seed: int = 0,
              level: float = 0.95) -> Interval:
    """The metric on the full data with its percentile bootstrap interval.

    columns: 1-D sequences of one length n, row i of each belonging to the same test item (e.g. the
    predictions and the gold scores). Each of n_boot resamples draws n rows with replacement -- the SAME
    rows from every column -- and scores them; low and high are the (1 - level) / 2 and (1 + level) / 2
    percentiles of those n_boot scores. A 95 % interval of [23, 45] says: another test set like this one
    could easily have given any score in that range.
        bootstrap(spearman, predictions, gold)   # -> Interval(value, low, high), Spearman x 100
    """
    cols = _columns(columns)
    rows = _resamples(len(cols[0]), n_boot, seed)                 # (n_boot, n)
    stats = np.array([metric(*(c[r] for c in cols)) for r in rows])
    return _percentile_interval(metric(*cols), stats, level)


def paired_bootstrap(metric: Callable[..., float], columns_a, columns_b, n_boot: int = 1000, seed: int = 0,
                     level: float = 0.95) -> Interval:
    """metric(*columns_a) - metric(*columns_b) with its interval, both scored on the SAME resampled rows.

    e.g. columns_a = (predictions_a, gold), columns_b = (predictions_b, gold). Pairing removes what the two
    models share (easy and hard items), so a difference can be sure even where the two separate intervals
    overlap. When the interval excludes 0 (`.excludes(0)`), A and B differ; otherwise it is a tie within noise.
    """
    a, b = _columns(columns_a), _columns(columns_b)
    if len(a[0]) != len(b[0]):
        raise ValueError(f"paired_bootstrap needs the same rows for both: {len(a[0])} vs {len(b[0])}")
    rows = _resamples(len(a[0]), n_boot, seed)                    # (n_boot, n), shared by a and b
    stats = np.array([metric(*(c[r] for c in a)) - metric(*(c[r] for c in b)) for r in rows])
    return _percentile_interval(metric(*a) - metric(*b), stats, level)


def sts_predictions(model: Encoder, pairs: Sequence[data.STSPair]) -> np.ndarray:
    """Cosine between the two sentences of each pair, encoding every distinct sentence once. -> (n,)"""
    if len(pairs) == 0:
        raise ValueError("no pairs to score")
    unique = list(dict.fromkeys([p.sentence1 for p in pairs] + [p.sentence2 for p in pairs]))
    emb = np.asarray(model.encode(unique))
    if emb.shape[0] != len(unique):
        raise ValueError(f"encode returned {emb.shape[0]} rows for {len(unique)} sentences")
    row = {s: i for i, s in enumerate(unique)}
    a = emb[[row[p.sentence1] for p in pairs]]
    b = emb[[row[p.sentence2] for p in pairs]]
    return cosine(a, b)


pair_similarities = sts_predictions  # the name lessons 00, 02 and 09 use


def sts_spearman(model: Encoder, pairs: Sequence[data.STSPair]) -> float:
    """Spearman x 100 between the model's cosine and the gold score of each pair."""
    return spearman(sts_predictions(model, pairs), [p.score for p in pairs])


def sts_interval(model: Encoder, pairs: Sequence[data.STSPair], **kw) -> "Interval":
    """Spearman x 100 with its bootstrap interval over the pairs (kw: n_boot, seed, level of `bootstrap`)."""
    return bootstrap(spearman, sts_predictions(model, pairs), [p.score for p in pairs], **kw)


def lee_correlation(model: Encoder) -> float:
    """Spearman x 100 against the mean human ratings of the 1225 Lee document pairs."""
    return sts_spearman(model, data.lee_pairs())


def leaderboard_row(name: str, model: Encoder) -> dict:
    """{"model": name, "mini-STS": Spearman x 100, "Lee": Spearman x 100}, rounded to 0.01."""
    from ..data import mini_sts  # the hand-written set lives in data/

    return {"model": name,
            "mini-STS": round(sts_spearman(model, mini_sts()), 2),
            "Lee": round(lee_correlation(model), 2)}


def format_table(rows: list[dict], floatfmt: str = "{:.2f}") -> str:
    """Rows of dicts -> a markdown table (columns in first-seen order)."""
    if not rows:
        return "(no rows)"
    cols = list(dict.fromkeys(k for r in rows for k in r))
    cell = lambda v: floatfmt.format(v) if isinstance(v, float) else ("" if v is None else str(v))
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    lines += ["| " + " | ".join(cell(r.get(c)) for c in cols) + " |" for r in rows]
    return "\n".join(lines)


# ============================================================================================
# What embeddings are for (lesson 09): triplets, retrieval, clustering, probes, paraphrases.
# Every function below returns fractions in [0, 1]; `evaluate_all` reports them x 100 so that
# every column of the leaderboard reads on the same scale as Spearman x 100.
# ============================================================================================
def _encode_unique(model: Encoder, sentences: Sequence[str]) -> tuple[np.ndarray, dict[str, int]]:
    """Encode each distinct sentence once. -> (u, d) vectors and {sentence: row}."""
    unique = list(dict.fromkeys(sentences))
    emb = np.asarray(model.encode(unique))
    if emb.ndim != 2 or emb.shape[0] != len(unique):
        raise ValueError(f"encode returned shape {emb.shape} for {len(unique)} sentences")
    return emb, {s: i for i, s in enumerate(unique)}


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
def _relevant_sets(ranked, relevant) -> list[tuple[list, set]]:
    """Pair each query's ranking (best first) with its set of relevant ids (an int or an iterable)."""
    ranked = [list(r) for r in ranked]
    relevant = [{r} if np.isscalar(r) else set(r) for r in relevant]
    if len(ranked) != len(relevant) or not ranked:
        raise ValueError(f"need one ranking per query and at least one query, got {len(ranked)} rankings "
                         f"and {len(relevant)} relevance sets")
    if any(not rel for rel in relevant):
        raise ValueError("every query needs at least one relevant id")
    return list(zip(ranked, relevant))


def reciprocal_ranks(ranked, relevant, k: int = 10) -> np.ndarray:
    """Per query: 1 / (rank of the first relevant id in the top k), 0 if none. -> (q,)

    ranked: per query, ids best first ((q, >=k) array or lists); relevant: per query an id or a set of ids.
    """
    return np.array([next((1.0 / r for r, doc in enumerate(ranking[:k], start=1) if doc in rel), 0.0)
                     for ranking, rel in _relevant_sets(ranked, relevant)])


def mrr_at_k(ranked, relevant, k: int = 10) -> float:
    """Mean reciprocal rank: the mean over queries of `reciprocal_ranks`."""
    return float(np.mean(reciprocal_ranks(ranked, relevant, k)))


def recall_at_k(ranked, relevant, k: int = 10) -> float:
    """Mean over queries of |relevant in the top k| / |relevant| (one relevant id: hit rate at k)."""
    pairs = _relevant_sets(ranked, relevant)
    return float(np.mean([len(rel.intersection(ranking[:k])) / len(rel) for ranking, rel in pairs]))


def ndcg_at_k(ranked, relevant, k: int = 10) -> float:
    """Normalised discounted cumulative gain with binary relevance, averaged over queries.

    DCG@k = sum_{r=1..k} rel_r / log2(r + 1);  nDCG@k = DCG@k / DCG@k of the ideal ranking
    (all relevant ids first), so a perfect ranking scores 1.
    """
    scores = []
    for ranking, rel in _relevant_sets(ranked, relevant):
        dcg = sum(1.0 / np.log2(r + 1) for r, doc in enumerate(ranking[:k], start=1) if doc in rel)
        ideal = sum(1.0 / np.log2(r + 1) for r in range(1, min(len(rel), k) + 1))
        scores.append(dcg / ideal)
    return float(np.mean(scores))


def retrieve(model: Encoder, queries: Sequence[str], passages: Sequence[str], relevant):
    """Encode and search (cosine, top 10). -> (ranked (q, 10) passage indices, relevant) for the metrics."""
    from .search import semantic_search

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
def v_measure(labels_true, labels_pred) -> float:
    """Harmonic mean of homogeneity (each cluster holds one class) and completeness (each class in one cluster)."""
    from sklearn.metrics import v_measure_score

    return float(v_measure_score(labels_true, labels_pred))


def adjusted_rand(labels_true, labels_pred) -> float:
    """Rand index (fraction of pairs both labelings put together / apart) corrected for chance: 0 random, 1 equal."""
    from sklearn.metrics import adjusted_rand_score

    return float(adjusted_rand_score(labels_true, labels_pred))


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
    from .search import kmeans

    return kmeans(np.asarray(model.encode(list(sentences))), k, seed=seed)


def adjusted_mutual_info(labels_true, labels_pred) -> float:
    """Mutual information of the two labelings, corrected for chance: 0 for a random clustering, 1 for a perfect one.

    Unlike V-measure it does not drift with the number of items, so scores of subsets can be compared."""
    from sklearn.metrics import adjusted_mutual_info_score

    return float(adjusted_mutual_info_score(labels_true, labels_pred))


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
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

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
def best_threshold(similarities: np.ndarray, gold: np.ndarray) -> float:
    """The cosine threshold (similarity >= t means "paraphrase") with the best F1 on these pairs.

    Candidates are midpoints between consecutive distinct similarities (and just below the lowest);
    ties go to the lowest. scikit-learn's precision_recall_curve gives precision and recall at every
    distinct similarity v_k (predict sim >= v_k), the same split as the midpoint just below v_k.
    """
    from sklearn.metrics import precision_recall_curve

    precision, recall, values = precision_recall_curve(gold, similarities)   # values ascending
    f1 = np.round(2 * precision * recall / np.maximum(precision + recall, 1e-300), 12)[:len(values)]
    k = int(np.argmax(f1))                          # the first (lowest) of equal F1s
    return float(values[0] - 1e-6 if k == 0 else (values[k - 1] + values[k]) / 2)


def paraphrase_detection(model: Encoder, pairs=None, threshold_from: str | float = "even",
                         positive_from: float = 4.0) -> dict:
    """Paraphrase or not, from one cosine threshold. pairs: STSPair (default data.mini_sts()).

    Gold: a pair is a paraphrase when its score >= positive_from (4.0 on the 0..5 STS scale: "the
    same meaning, unimportant details differ"). The threshold is tuned for F1 on one half of the
    pairs and measured on the other:
      "even"       tune on pairs 0, 2, 4, ..., test on 1, 3, 5, ... (default: mini-STS is grouped by
                   category, so its literal first half holds every paraphrase and its second none;
                   on all of mini-STS that is: tune on its dev split, test on its test split);
      "first half" tune on the first half, test on the second;
      a float      use that threshold and test on every pair.
    -> {"threshold", "accuracy", "F1", "n_test", "positives_test"}.
    """
    from sklearn.metrics import accuracy_score

    threshold, gold, predicted = _paraphrase_test(model, pairs, threshold_from, positive_from)
    return {"threshold": threshold, "accuracy": float(accuracy_score(gold, predicted)),
            "F1": f1(gold, predicted), "n_test": int(len(gold)), "positives_test": int(gold.sum())}


def f1(gold, predicted) -> float:
    """F1 = 2 TP / (2 TP + FP + FN) of boolean predictions (0 when there is nothing to find and nothing found)."""
    gold, predicted = np.asarray(gold, dtype=bool), np.asarray(predicted, dtype=bool)
    tp = np.sum(gold & predicted)
    wrong = np.sum(gold != predicted)
    return float(2 * tp / (2 * tp + wrong)) if tp + wrong else 0.0


def _paraphrase_test(model: Encoder, pairs, threshold_from, positive_from):
    """-> (threshold, gold (t,) bool, predicted (t,) bool) on the test pairs of `paraphrase_detection`."""
    pairs = data.mini_sts() if pairs is None else list(pairs)
    sims = sts_predictions(model, pairs)                           # (n,)
    gold = np.array([p.score >= positive_from for p in pairs])
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
    _, gold, predicted = _paraphrase_test(model, pairs, "even", 4.0)
    return bootstrap(lambda g, p: 100.0 * f1(g, p), gold, predicted, **kw)


# ------------------------------------------------------------------------ the leaderboard
LEADERBOARD_COLUMNS = ("model", "mini-STS", "Lee", "Sections", "QA MRR@10", "Topic AMI", "Sentiment probe",
                       "Paraphrase F1")


def evaluate_all(name: str, model: Encoder, split: str | None = "test", **kw) -> dict:
    """One full leaderboard row: {"model": name, column: Interval (x 100, with its bootstrap 95 % interval)}.

    mini-STS / Lee     Spearman of cosine vs gold on data.mini_sts(split) / data.lee_pairs(split)
    Sections           accuracy on the section-distinction yardstick, data.section_yardstick(split)
    QA MRR@10          question -> passage retrieval on data.qa_pairs(split)
    Topic AMI          adjusted mutual information of k-means clusters and gold topics on
                       data.topic_sentences(split), k = number of topics (0 = chance)
    Sentiment probe    5-fold logistic-regression accuracy on all 200 data.sentiment_sentences() (no split:
                       every sentence is scored by a probe that never saw it)
    Paraphrase F1      gold >= 4.0 is a paraphrase; threshold tuned on mini-STS dev, F1 on mini-STS test
                       (split="dev": tuned and scored on the two halves of mini-STS dev)
    split: "test" (default: for reporting), "dev" (for choosing) or None (every item).
    kw: n_boot, seed, level of `bootstrap`.
    """
    data.check_split(split)
    row = {"model": name,
           "mini-STS": sts_interval(model, data.mini_sts(split=split), **kw),
           "Lee": sts_interval(model, data.lee_pairs(split=split), **kw),
           "Sections": section_interval(model, split, **kw),
           "QA MRR@10": qa_mrr_interval(model, data.qa_pairs(split=split), **kw),
           "Topic AMI": topic_interval(model, data.topic_sentences(split=split), **kw),
           "Sentiment probe": sentiment_interval(model, **kw),
           "Paraphrase F1": paraphrase_interval(model, data.mini_sts(split="dev") if split == "dev" else None, **kw)}
    return {c: row[c] for c in LEADERBOARD_COLUMNS}


def ties_within_noise(rows: list[dict]) -> list[str]:
    """One line per Interval column: the best model and every model whose interval overlaps the best one's.

    Overlapping intervals do not establish an order (a paired bootstrap, `paired_bootstrap`, can still
    separate two models that share their errors); a leaderboard should not be sorted by such a column."""
    lines = []
    columns = [c for c in dict.fromkeys(k for r in rows for k in r) if isinstance(rows[0].get(c), Interval)]
    for column in columns:
        best = max(rows, key=lambda r: r[column].value)
        tied = [r["model"] for r in rows if r is not best and r[column].overlaps(best[column])]
        lines.append(f"{column}: best {best['model']} {best[column]}; " +
                     (f"ties within noise (intervals overlap): {', '.join(tied)}" if tied else "clear of the rest"))
    return lines


def sts_eval_fn(lee: bool = True, align_uniform: bool = True):
    """An eval_fn(model) -> {"mini-STS", "Lee", "alignment", "uniformity"} for `fit(eval_fn=...)`.

    mini-STS, Lee: Spearman x 100 (`evaluate.sts_spearman`). alignment: mean ||f(x) - f(x+)||^2 over the mini-STS
    pairs with gold >= 4 (paraphrases), as Wang & Isola / SimCSE measure it on STS-B; uniformity:
    log E exp(-2 ||f(x) - f(y)||^2) over all mini-STS sentences. Each mini-STS sentence is encoded once.
    """
    pairs = data.mini_sts()
    sents = list(dict.fromkeys([p.sentence1 for p in pairs] + [p.sentence2 for p in pairs]))
    row = {s: i for i, s in enumerate(sents)}
    i1 = [row[p.sentence1] for p in pairs]
    i2 = [row[p.sentence2] for p in pairs]
    para = [k for k, p in enumerate(pairs) if p.score >= 4.0]

    def eval_fn(model) -> dict:
        X = model.encode(sents)  # (n, d)
        out = {"mini-STS": spearman(cosine(X[i1], X[i2]), [p.score for p in pairs])}
        if lee:
            out["Lee"] = lee_correlation(model)
        if align_uniform:
            Xt = torch.from_numpy(X)
            out["alignment"] = float(alignment(Xt[[i1[k] for k in para]], Xt[[i2[k] for k in para]]))
            out["uniformity"] = float(uniformity(Xt))
        return out

    return eval_fn
