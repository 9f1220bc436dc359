"""Clustering sentence vectors: k-means and agglomerative (scikit-learn) on unit rows, and community detection
(groups of rows all close to one centre, found in chunks like `nearest.semantic_search`)."""
from __future__ import annotations

import numpy as np
import scipy.sparse
import torch
from sklearn.cluster import AgglomerativeClustering, KMeans

from ..device import get_device
from ..inputs import normalize_rows
from .nearest import (CHUNK_SIZE, QUERY_CHUNK_SIZE, _check_matrix, _check_positive, _chunk_scores, _compute_dtype,
                      _default_device, _unit_queries)


def _unit_rows(emb, k: int | None) -> np.ndarray:
    emb = _check_matrix(emb, "emb")
    if k is not None and not 1 <= k <= emb.shape[0]:
        raise ValueError(f"k must be between 1 and the number of rows ({emb.shape[0]}), got {k}")
    if isinstance(emb, torch.Tensor):
        emb = emb.detach().cpu().numpy()
    emb = np.asarray(emb.toarray() if scipy.sparse.issparse(emb) else emb, dtype=np.float64)
    # columns that are zero in every row change no norm and no distance: dropping them is exact, and
    # makes k-means of 450 TF-IDF rows (31k columns, a few thousand of them used) many times faster
    emb = emb[:, emb.any(axis=0)]
    return normalize_rows(emb)


def kmeans(emb, k: int, seed: int = 0, n_init: int = 10) -> np.ndarray:
    """k-means (scikit-learn) on L2-normalised rows. emb (n, d) -> labels (n,) in 0..k-1.

    On unit vectors |a - b|^2 = 2 - 2 cos(a, b), so Euclidean k-means groups by cosine.
    """
    x = _unit_rows(emb, k)
    return KMeans(n_clusters=k, n_init=n_init, random_state=seed).fit_predict(x)


def agglomerative(emb, k: int | None = None, distance_threshold: float | None = None,
                  linkage: str = "average") -> np.ndarray:
    """Bottom-up clustering (scikit-learn) on L2-normalised rows. emb (n, d) -> labels (n,).

    Give exactly one of k (number of clusters) or distance_threshold (stop merging when the linkage
    distance exceeds it). linkage "average" / "complete" / "single" use cosine distance 1 - cos;
    "ward" uses Euclidean distance between the unit vectors, sqrt(2 - 2 cos).
    """
    if (k is None) == (distance_threshold is None):
        raise ValueError("give exactly one of k or distance_threshold")
    x = _unit_rows(emb, k)
    if len(x) == 1:
        return np.zeros(1, dtype=np.int64)  # sklearn needs two rows to cluster
    metric = "euclidean" if linkage == "ward" else "cosine"
    model = AgglomerativeClustering(n_clusters=k, distance_threshold=distance_threshold, metric=metric,
                                    linkage=linkage)
    return model.fit_predict(x)


@torch.no_grad()
def community_detection(emb, threshold: float = 0.75, min_size: int = 10, chunk_size: int = CHUNK_SIZE,
                        device=None) -> list[list[int]]:
    """Groups of rows that are all close to one centre row. emb (n, d) -> [[indices], ...].

    1. neighbours(i) = {j : cos(i, j) >= threshold} (i itself included), found chunk by chunk;
    2. rows with at least min_size neighbours are candidate centres, most neighbours first
       (ties: lower index first);
    3. each centre not yet taken forms a community from its neighbours not yet taken, kept when
       it still has >= min_size members; its members are then taken.
    Rows in no community (outliers) are left out. Communities come biggest first (ties: by their
    smallest member); members are sorted by index. Memory grows with the number of close pairs.
    """
    emb = _check_matrix(emb, "emb")
    min_size = _check_positive(min_size, "min_size")
    device = get_device(device) if device is not None else _default_device(emb)
    dtype = _compute_dtype(emb, device)
    n = emb.shape[0]
    rows, cols = [], []
    for q0 in range(0, n, QUERY_CHUNK_SIZE):
        queries = _unit_queries(emb, q0, min(q0 + QUERY_CHUNK_SIZE, n), device, dtype)
        for c0 in range(0, n, chunk_size):
            r, c = torch.nonzero(_chunk_scores(queries, emb, c0, min(c0 + chunk_size, n)) >= threshold,
                                 as_tuple=True)
            rows.append((r + q0).cpu().numpy())
            cols.append((c + c0).cpu().numpy())
    rows, cols = np.concatenate(rows), np.concatenate(cols)
    order = np.argsort(rows, kind="stable")          # group by row; within a row, columns stay ascending
    neighbours = np.split(cols[order], np.cumsum(np.bincount(rows, minlength=n))[:-1])
    counts = np.array([len(m) for m in neighbours])
    taken = np.zeros(n, dtype=bool)
    communities = []
    for centre in np.lexsort((np.arange(n), -counts)):
        if counts[centre] < min_size:
            break                                   # the rest have even fewer neighbours
        if taken[centre]:
            continue
        members = neighbours[centre][~taken[neighbours[centre]]]
        if len(members) >= min_size:
            communities.append(sorted(int(m) for m in members))
            taken[members] = True
    return sorted(communities, key=lambda c: (-len(c), c[0]))
