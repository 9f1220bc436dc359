"""How the course scores a sentence encoder: anything with `encode(list[str]) -> np.ndarray (n, d)`.

    cosine(a, b)              row-wise cosine similarity of two (n, d) arrays
    sts_spearman(model, pairs) Spearman rank correlation x 100 between cosine and gold scores
    lee_correlation(model)    the same on the 50 Lee news documents and their human ratings
    leaderboard_row(name, m)  one row of the course leaderboard

Spearman, not Pearson: a model only has to *order* pairs like people do; the scale of its
cosines (often all crowded near 1) does not matter.
"""
from __future__ import annotations

from typing import Protocol, Sequence

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


def pair_similarities(model: Encoder, pairs: Sequence[data.STSPair]) -> np.ndarray:
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


def sts_spearman(model: Encoder, pairs: Sequence[data.STSPair]) -> float:
    """Spearman x 100 between the model's cosine and the gold score of each pair."""
    return spearman(pair_similarities(model, pairs), [p.score for p in pairs])


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
