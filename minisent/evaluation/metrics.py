"""Metrics on arrays (no model here): similarity, rank correlation, bootstrap intervals, retrieval, clustering
and classification scores.

    cosine(a, b) (n,) / cosine_matrix(a, b) (n, m)    spearman(x, y): rank correlation x 100
    bootstrap(metric, *columns)            Interval(value, low, high): percentile bootstrap over the rows
    paired_bootstrap(metric, a, b)         the interval of metric(*a) - metric(*b) on the SAME resampled rows
    mrr_at_k / recall_at_k / ndcg_at_k(ranked, relevant, k)   retrieval metrics of ranked ids
    v_measure / adjusted_rand / adjusted_mutual_info(true, predicted)   clusterings against gold labels
    f1(gold, predicted), best_threshold(similarities, gold)   paraphrase detection

Spearman, not Pearson: a model only has to *order* pairs like people do; the scale of its
cosines (often all crowded near 1) does not matter.
"""
from __future__ import annotations

from typing import Callable, NamedTuple, Sequence

import numpy as np
from sklearn.metrics import (adjusted_mutual_info_score, adjusted_rand_score, precision_recall_curve,
                             v_measure_score)

from ..inputs import normalize_rows


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
    rx, ry = average_ranks(x), average_ranks(y)
    rx, ry = rx - rx.mean(), ry - ry.mean()
    return float(100 * (rx @ ry) / np.sqrt((rx @ rx) * (ry @ ry)))   # Pearson correlation of the ranks


def average_ranks(a: np.ndarray) -> np.ndarray:
    """(n,) -> (n,) ranks 1..n, tied values sharing the mean of their ranks (scipy's rankdata, in numpy:
    a bootstrap calls spearman thousands of times, and this is several times faster than scipy's checks)."""
    order = np.argsort(a, kind="stable")
    s = a[order]
    first = np.r_[True, s[1:] != s[:-1]]               # (n,) True where a run of equal values starts
    group = np.cumsum(first) - 1                       # (n,) run number of each sorted value
    starts = np.flatnonzero(first)                     # (g,) sorted position where each run starts
    sizes = np.diff(np.r_[starts, len(a)])             # (g,) run lengths
    ranks = np.empty(len(a))
    ranks[order] = (starts + (sizes + 1) / 2)[group]   # a run at positions i..i+k-1 shares rank i + (k + 1) / 2
    return ranks


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


# --------------------------------------------------------------------------- clustering
def v_measure(labels_true, labels_pred) -> float:
    """Harmonic mean of homogeneity (each cluster holds one class) and completeness (each class in one cluster)."""
    return float(v_measure_score(labels_true, labels_pred))


def adjusted_rand(labels_true, labels_pred) -> float:
    """Rand index (fraction of pairs both labelings put together / apart) corrected for chance: 0 random, 1 equal."""
    return float(adjusted_rand_score(labels_true, labels_pred))


def adjusted_mutual_info(labels_true, labels_pred) -> float:
    """Mutual information of the two labelings, corrected for chance: 0 for a random clustering, 1 for a perfect one.

    Unlike V-measure it does not drift with the number of items, so scores of subsets can be compared."""
    return float(adjusted_mutual_info_score(labels_true, labels_pred))


# ------------------------------------------------------------------------ classification
def best_threshold(similarities: np.ndarray, gold: np.ndarray) -> float:
    """The cosine threshold (similarity >= t means "paraphrase") with the best F1 on these pairs.

    Candidates are midpoints between consecutive distinct similarities (and just below the lowest);
    ties go to the lowest. scikit-learn's precision_recall_curve gives precision and recall at every
    distinct similarity v_k (predict sim >= v_k), the same split as the midpoint just below v_k.
    """
    precision, recall, values = precision_recall_curve(gold, similarities)   # values ascending
    f1 = np.round(2 * precision * recall / np.maximum(precision + recall, 1e-300), 12)[:len(values)]
    k = int(np.argmax(f1))                          # the first (lowest) of equal F1s
    return float(values[0] - 1e-6 if k == 0 else (values[k - 1] + values[k]) / 2)


def f1(gold, predicted) -> float:
    """F1 = 2 TP / (2 TP + FP + FN) of boolean predictions (0 when there is nothing to find and nothing found)."""
    gold, predicted = np.asarray(gold, dtype=bool), np.asarray(predicted, dtype=bool)
    tp = np.sum(gold & predicted)
    wrong = np.sum(gold != predicted)
    return float(2 * tp / (2 * tp + wrong)) if tp + wrong else 0.0
