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

from typing import Callable, NamedTuple, Protocol, Sequence

import numpy as np
from scipy.stats import spearmanr

from . import data


class Encoder(Protocol):
    def encode(self, sentences: list[str]) -> np.ndarray: ...


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
    an = a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), eps)
    bn = b / np.maximum(np.linalg.norm(b, axis=1, keepdims=True), eps)
    return an @ bn.T


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
    from .data import mini_sts  # the hand-written set lives in data/

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


def triplet_accuracy(model: Encoder, triplets) -> float:
    """Fraction of (anchor, positive, negative) with cos(anchor, positive) > cos(anchor, negative).

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
    return float(np.mean(cosine(a, p) > cosine(a, n)))


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


def mrr_at_k(ranked, relevant, k: int = 10) -> float:
    """Mean reciprocal rank: mean over queries of 1 / (rank of the first relevant id in the top k), 0 if none.

    ranked: per query, ids best first ((q, >=k) array or lists); relevant: per query an id or a set of ids.
    """
    total = 0.0
    for ranking, rel in _relevant_sets(ranked, relevant):
        total += next((1.0 / r for r, doc in enumerate(ranking[:k], start=1) if doc in rel), 0.0)
    return total / len(ranked)


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


def retrieval_scores(model: Encoder, queries: Sequence[str], passages: Sequence[str], relevant) -> dict:
    """Encode, search (cosine, top 10) and score. relevant[i]: index (or indices) into passages for query i.

    -> {"MRR@10", "Recall@1", "Recall@5", "Recall@10", "nDCG@10"}, each in [0, 1].
    """
    from .search import semantic_search

    if len(queries) != len(relevant):
        raise ValueError(f"{len(queries)} queries but {len(relevant)} relevance entries")
    q_emb, p_emb = np.asarray(model.encode(list(queries))), np.asarray(model.encode(list(passages)))
    _, ranked = semantic_search(q_emb, p_emb, top_k=10)                # (q, 10) passage indices
    return {"MRR@10": mrr_at_k(ranked, relevant, 10),
            **{f"Recall@{k}": recall_at_k(ranked, relevant, k) for k in (1, 5, 10)},
            "nDCG@10": ndcg_at_k(ranked, relevant, 10)}


def qa_retrieval_scores(model: Encoder, pairs=None) -> dict:
    """`retrieval_scores` on question -> passage pairs (default data.qa_pairs()): each question's
    own passage is the one relevant item among all distinct passages."""
    pairs = data.qa_pairs() if pairs is None else list(pairs)
    passages = list(dict.fromkeys(p.passage for p in pairs))
    row = {p: i for i, p in enumerate(passages)}
    return retrieval_scores(model, [p.question for p in pairs], passages, [row[p.passage] for p in pairs])


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
    from .search import kmeans

    if len(sentences) != len(labels) or not sentences:
        raise ValueError(f"need one label per sentence and at least one sentence, got {len(sentences)} "
                         f"sentences and {len(labels)} labels")
    k = len(set(labels)) if k is None else k
    predicted = kmeans(np.asarray(model.encode(list(sentences))), k, seed=seed)
    return {"V-measure": v_measure(labels, predicted), "ARI": adjusted_rand(labels, predicted)}


# ------------------------------------------------------------------------------- probes
def linear_probe(model: Encoder, sentences: Sequence[str], labels: Sequence, folds: int = 5, seed: int = 0) -> float:
    """Cross-validated accuracy of a logistic regression on frozen embeddings (SentEval-style).

    Features (n, d) are standardised inside each fold (no test-fold statistics leak); folds are
    stratified and shuffled with `seed`. -> mean accuracy over the folds.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if len(sentences) != len(labels):
        raise ValueError(f"{len(sentences)} sentences but {len(labels)} labels")
    x = np.asarray(model.encode(list(sentences)), dtype=np.float64)
    probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    return float(np.mean(cross_val_score(probe, x, np.asarray(labels), cv=cv, scoring="accuracy")))


def sentiment_probe(model: Encoder, folds: int = 5, seed: int = 0) -> float:
    """`linear_probe` on data.sentiment_sentences() (200 movie-review sentences, pos / neg)."""
    items = data.sentiment_sentences()
    return linear_probe(model, [s.text for s in items], [s.label for s in items], folds, seed)


# ------------------------------------------------------------------ paraphrase detection
def best_threshold(similarities: np.ndarray, gold: np.ndarray) -> float:
    """The cosine threshold (similarity >= t means "paraphrase") with the best F1 on these pairs.

    Candidates are midpoints between consecutive distinct similarities; ties go to the lowest.
    """
    from sklearn.metrics import f1_score

    values = np.unique(similarities)
    candidates = np.concatenate([[values[0] - 1e-6], (values[:-1] + values[1:]) / 2, [values[-1] + 1e-6]])
    f1 = [f1_score(gold, similarities >= t, zero_division=0.0) for t in candidates]
    return float(candidates[int(np.argmax(f1))])


def paraphrase_detection(model: Encoder, pairs=None, threshold_from: str | float = "even",
                         positive_from: float = 4.0) -> dict:
    """Paraphrase or not, from one cosine threshold. pairs: STSPair (default data.mini_sts()).

    Gold: a pair is a paraphrase when its score >= positive_from (4.0 on the 0..5 STS scale: "the
    same meaning, unimportant details differ"). The threshold is tuned for F1 on one half of the
    pairs and measured on the other:
      "even"       tune on pairs 0, 2, 4, ..., test on 1, 3, 5, ... (default: mini-STS is grouped by
                   category, so its literal first half holds every paraphrase and its second none);
      "first half" tune on the first half, test on the second;
      a float      use that threshold and test on every pair.
    -> {"threshold", "accuracy", "F1", "n_test", "positives_test"}.
    """
    from sklearn.metrics import accuracy_score, f1_score

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
    predicted = sims[test] >= threshold
    return {"threshold": threshold, "accuracy": float(accuracy_score(gold[test], predicted)),
            "F1": float(f1_score(gold[test], predicted, zero_division=0.0)), "n_test": int(len(test)),
            "positives_test": int(gold[test].sum())}


# ------------------------------------------------------------------------ the leaderboard
LEADERBOARD_COLUMNS = ("model", "mini-STS", "Lee", "QA MRR@10", "Topic V", "Sentiment probe", "Paraphrase F1")


def evaluate_all(name: str, model: Encoder) -> dict:
    """One full leaderboard row, every number x 100 rounded to 0.01:

    mini-STS / Lee     Spearman of cosine vs gold (leaderboard_row)
    QA MRR@10          question -> passage retrieval on data.qa_pairs()
    Topic V            V-measure of k-means on data.topic_sentences(), k = number of topics
    Sentiment probe    5-fold logistic-regression accuracy on data.sentiment_sentences()
    Paraphrase F1      mini-STS pairs, gold >= 4.0 is a paraphrase, threshold tuned on the even half
    """
    topics = data.topic_sentences()
    row = leaderboard_row(name, model)
    row["QA MRR@10"] = qa_retrieval_scores(model)["MRR@10"]
    row["Topic V"] = clustering_scores(model, [t.text for t in topics], [t.label for t in topics])["V-measure"]
    row["Sentiment probe"] = sentiment_probe(model)
    row["Paraphrase F1"] = paraphrase_detection(model)["F1"]
    return {c: row[c] if c in ("model", "mini-STS", "Lee") else round(100 * row[c], 2) for c in LEADERBOARD_COLUMNS}
