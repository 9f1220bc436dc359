"""Nearest neighbours by cosine without the full score matrix: semantic search and paraphrase mining.

    semantic_search(query_emb, corpus_emb, top_k)  -> (scores (q, k), indices (q, k)), best first
    brute_force_search(query_emb, corpus_emb, top_k)  the readable reference: the full (q, n) matrix, sorted
    paraphrase_mining(emb, top_k, threshold)       -> [(score, i, j), ...] with i < j, best first
Every similarity here is cosine: rows are L2-normalised, so cos(q, c) = q_hat . c_hat, and one
matrix product scores a block of queries against a block of the corpus.

Memory. Scoring q queries against n sentences all at once builds a (q, n) matrix: 100 queries x
1M sentences is 400 MB of float32, and paraphrase mining (n x n) would need 4 TB. So the corpus
is read in chunks of `chunk_size` rows (and the queries in chunks of `query_chunk_size`); each
chunk's scores are folded into a running top-k per query and then dropped. Peak extra memory is
about query_chunk_size x (chunk_size + k) scores, whatever n is.

Ties. Equal scores are ordered by the lower corpus index first, on every device and for every
chunk size, so the chunked search returns exactly what a brute-force sort would.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse
import torch

from ..device import get_device
from ..inputs import EPS, normalize_rows

CHUNK_SIZE = 8192         # corpus rows scored per step
QUERY_CHUNK_SIZE = 1024   # query rows scored per step


# ------------------------------------------------------------------------------ validation
def _check_matrix(x, name: str):
    """x must be a 2-D numpy array / torch tensor / scipy sparse matrix with at least one row."""
    if not (isinstance(x, torch.Tensor) or scipy.sparse.issparse(x)):
        x = np.asarray(x)
    if x.ndim != 2:
        raise ValueError(f"{name} must be a 2-D (rows, dim) array, got shape {tuple(x.shape)} "
                         f"(for a single vector use x[None, :])")
    if x.shape[0] == 0:
        what = "query" if "query" in name else "corpus"
        raise ValueError(f"{name} is empty (0 rows): there is no {what} to search; encode at least one sentence")
    return x


def _check_positive(value: int, name: str) -> int:
    if int(value) < 1:
        raise ValueError(f"{name} must be >= 1, got {value}")
    return int(value)


def _compute_dtype(x, device: torch.device) -> torch.dtype:
    """float64 inputs are scored in float64 (except on mps, which has none), everything else in float32."""
    is64 = str(x.dtype) in ("float64", "torch.float64")
    return torch.float64 if is64 and device.type != "mps" else torch.float32


def _default_device(*xs) -> torch.device:
    """A tensor input decides the device; numpy / sparse input goes to `get_device()`."""
    for x in xs:
        if isinstance(x, torch.Tensor):
            return x.device
    return get_device()


def _rows(x, start: int, stop: int, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    """Rows start:stop of x (numpy, torch or scipy sparse) as a dense tensor on `device`. -> (c, d)

    A numpy chunk becomes a tensor without a copy; only this chunk is moved to the device.
    """
    block = x[start:stop]
    if scipy.sparse.issparse(block):
        block = block.toarray()
    if not isinstance(block, torch.Tensor):
        block = np.ascontiguousarray(block)
        block = torch.from_numpy(block if block.flags.writeable else block.copy())  # e.g. a memory-mapped corpus
    return block.to(device=device, dtype=dtype)


def _norms(block: torch.Tensor, start: int) -> torch.Tensor:
    """Row lengths (c,), never below EPS. A NaN or inf anywhere in a row makes its norm non-finite."""
    norms = torch.linalg.vector_norm(block, dim=1)
    if not bool(torch.isfinite(norms).all()):
        bad = start + int(torch.nonzero(~torch.isfinite(norms))[0])
        raise ValueError(f"row {bad} contains NaN or inf (or is too large to square): check the encoder's output")
    return norms.clamp_min(EPS)


def _unit_queries(x, start: int, stop: int, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    """Rows start:stop of the queries, L2-normalised, on `device`. -> (qc, d)"""
    block = _rows(x, start, stop, device, dtype)
    return block / _norms(block, start)[:, None]


def _chunk_scores(queries: torch.Tensor, corpus, start: int, stop: int) -> torch.Tensor:
    """Cosine of normalised queries (q, d) against corpus rows start:stop. -> (q, c)

    (q . c) / |c| rather than q . (c / |c|): dividing the (q, c) scores is cheaper than scaling
    the (c, d) chunk when there are fewer queries than dimensions. A scipy sparse corpus (TF-IDF:
    31k dimensions, ~15 non-zeros a row) is multiplied as sparse on the CPU, never made dense.
    """
    if not scipy.sparse.issparse(corpus):
        block = _rows(corpus, start, stop, queries.device, queries.dtype)           # (c, d)
        return (queries @ block.T) / _norms(block, start)                          # (q, c)
    block = corpus[start:stop].tocsr().astype(np.float64)
    norms = np.sqrt(np.asarray(block.multiply(block).sum(axis=1))).ravel()         # (c,)
    scores = block @ queries.cpu().double().numpy().T                                # (c, q)
    scores = scores / np.maximum(norms, EPS)[:, None]
    return torch.from_numpy(np.ascontiguousarray(scores.T)).to(queries.device, queries.dtype)


def topk_lowest_index(scores: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The k largest values of each row, ties broken by the lower column. scores (q, c) -> (q, k), (q, k).

    `torch.topk` is fast but leaves the order of equal values unspecified, and when several values
    tie at the k-th place it may keep any of them. So: take topk, and if no row has a tie that
    crosses the k-th place, just re-sort the k winners by (score desc, column asc); otherwise fall
    back to a stable sort of the whole block (the plain, readable definition of the result).
    """
    k = min(k, scores.shape[1])
    values, cols = torch.topk(scores, k, dim=1)
    kth = values[:, -1:]                                                  # (q, 1)
    if bool(((scores >= kth).sum(dim=1) == k).all()):                     # the winners are unambiguous
        cols = cols.sort(dim=1).values                                    # column ascending ...
        values, order = scores.gather(1, cols).sort(dim=1, descending=True, stable=True)
        return values, cols.gather(1, order)                             # ... then score descending
    values, cols = scores.sort(dim=1, descending=True, stable=True)
    return values[:, :k], cols[:, :k]


def merge_topk(best_scores: torch.Tensor, best_index: torch.Tensor, scores: torch.Tensor, offset: int,
               k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Fold a chunk of scores (q, c) for corpus rows offset..offset+c-1 into a running top-k (q, k').

    First the chunk's own top-k, then the top-k of [running best | chunk winners] (q, <= 2k). The
    running best comes first: its indices are all below `offset` and, like the chunk winners, in
    index order among equal scores, so "lower column first" there means "lower index first".
    """
    values, cols = topk_lowest_index(scores, k)                                      # (q, k) of this chunk
    values, pick = topk_lowest_index(torch.cat([best_scores, values], dim=1), k)
    return values, torch.cat([best_index, cols + offset], dim=1).gather(1, pick)


# ------------------------------------------------------------------------------ search
@torch.no_grad()
def semantic_search(query_emb, corpus_emb, top_k: int = 10, chunk_size: int = CHUNK_SIZE,
                    query_chunk_size: int = QUERY_CHUNK_SIZE, device=None):
    """The top_k corpus rows most cosine-similar to each query, best first (ties: lower index first).

    query_emb: (q, d), corpus_emb: (n, d) -- numpy arrays or torch tensors (the corpus may also be a
    scipy sparse matrix). Returns (scores, indices), each (q, k) with k = min(top_k, n): scores[i, r] is
    the cosine of query i with corpus row indices[i, r]. numpy in -> numpy out (float32 / int64); a torch
    query -> torch tensors on `device` (default: the device of a tensor argument, else `get_device()`).
    chunk_size / query_chunk_size: corpus / query rows scored per step (see Memory, above).
    """
    query_emb = _check_matrix(query_emb, "query_emb")
    corpus_emb = _check_matrix(corpus_emb, "corpus_emb")
    if query_emb.shape[1] != corpus_emb.shape[1]:
        raise ValueError(f"query_emb has dimension {query_emb.shape[1]} but corpus_emb has dimension "
                         f"{corpus_emb.shape[1]}: both must come from the same encoder")
    top_k = _check_positive(top_k, "top_k")
    chunk_size = _check_positive(chunk_size, "chunk_size")
    query_chunk_size = _check_positive(query_chunk_size, "query_chunk_size")
    device = get_device(device) if device is not None else _default_device(query_emb, corpus_emb)
    dtype = _compute_dtype(corpus_emb, device)
    n, k = corpus_emb.shape[0], min(top_k, corpus_emb.shape[0])

    all_scores, all_index = [], []
    for q0 in range(0, query_emb.shape[0], query_chunk_size):
        queries = _unit_queries(query_emb, q0, q0 + query_chunk_size, device, dtype)    # (qc, d)
        best = torch.empty((len(queries), 0), device=device, dtype=dtype)             # (qc, 0) running top-k
        best_index = torch.empty((len(queries), 0), device=device, dtype=torch.long)
        for c0 in range(0, n, chunk_size):
            scores = _chunk_scores(queries, corpus_emb, c0, min(c0 + chunk_size, n))    # (qc, c)
            best, best_index = merge_topk(best, best_index, scores, c0, k)
        all_scores.append(best)
        all_index.append(best_index)
    scores, index = torch.cat(all_scores), torch.cat(all_index)
    if isinstance(query_emb, torch.Tensor):
        return scores, index
    return scores.float().cpu().numpy(), index.cpu().numpy()


def brute_force_search(query_emb, corpus_emb, top_k: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """The readable reference: the full (q, n) cosine matrix in float64, sorted. -> (q, k), (q, k)

    Only for small inputs (tests, lessons). Ties: lower index first (a stable sort of -score).
    """
    q, c = (np.asarray(x.toarray() if scipy.sparse.issparse(x) else x, dtype=np.float64)
            for x in (query_emb, corpus_emb))
    sims = normalize_rows(q) @ normalize_rows(c).T                                                       # (q, n)
    order = np.argsort(-sims, axis=1, kind="stable")[:, :top_k]
    return np.take_along_axis(sims, order, axis=1), order


def paraphrase_mining(emb, top_k: int = 5, threshold: float = 0.5, chunk_size: int = CHUNK_SIZE,
                      query_chunk_size: int = QUERY_CHUNK_SIZE, device=None) -> list[tuple[float, int, int]]:
    """Pairs of near-duplicate rows without the (n, n) matrix. emb (n, d) -> [(score, i, j), ...]

    Each row is searched against all rows (chunked, like `semantic_search`); for each row i we keep
    its top_k most similar *other* rows j, and a pair is reported when cos(i, j) >= threshold.
    Pairs are unordered (i < j, reported once) and sorted by score descending, then i, then j.
    """
    emb = _check_matrix(emb, "emb")
    top_k = _check_positive(top_k, "top_k")
    n = emb.shape[0]
    if n < 2:
        return []
    # top_k + 1: a row's own list usually holds the row itself; without it, top_k others remain
    # (when it is not there -- duplicates of lower index tie with it -- we keep the first top_k).
    scores, index = semantic_search(emb, emb, top_k + 1, chunk_size, query_chunk_size, device)
    if isinstance(scores, torch.Tensor):
        scores, index = scores.float().cpu().numpy(), index.cpu().numpy()
    rows = np.broadcast_to(np.arange(n)[:, None], index.shape)             # (n, K)
    other = index != rows
    rank = np.cumsum(other, axis=1)                                        # 1 for the first other row, ...
    keep = other & (rank <= top_k) & (scores >= threshold)
    i, j, s = np.minimum(rows, index)[keep], np.maximum(rows, index)[keep], scores[keep]
    _, first = np.unique(i.astype(np.int64) * n + j, return_index=True)   # each pair once
    i, j, s = i[first], j[first], s[first]
    order = np.lexsort((j, i, -s))
    return [(float(s[o]), int(i[o]), int(j[o])) for o in order]
