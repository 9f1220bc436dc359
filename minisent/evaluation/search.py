"""What sentence embeddings are for: semantic search, paraphrase mining and clustering.

    semantic_search(query_emb, corpus_emb, top_k)  -> (scores (q, k), indices (q, k)), best first
    paraphrase_mining(emb, top_k, threshold)       -> [(score, i, j), ...] with i < j, best first
    kmeans(emb, k) / agglomerative(emb, k=.. | distance_threshold=..) -> cluster labels (n,)
    community_detection(emb, threshold, min_size)  -> [[member indices], ...], biggest first
    SearchIndex(model, sentences).search("a query") -> [(score, sentence), ...]
    search_wiki(model, "a query", name)           -> the same over the offline Wikipedia sentences

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

import hashlib
import os
import re
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from ..progress import tqdm

from ..device import get_device
from ..inputs import normalize_rows

CHUNK_SIZE = 8192         # corpus rows scored per step
QUERY_CHUNK_SIZE = 1024   # query rows scored per step
EPS = 1e-12               # a zero vector stays zero when normalised: cosine 0 with anything


# ------------------------------------------------------------------------------ validation
def _is_sparse(x) -> bool:
    import scipy.sparse

    return scipy.sparse.issparse(x)


def _check_matrix(x, name: str):
    """x must be a 2-D numpy array / torch tensor / scipy sparse matrix with at least one row."""
    if not (isinstance(x, torch.Tensor) or _is_sparse(x)):
        x = np.asarray(x)
    if x.ndim != 2:
        raise ValueError(f"{name} must be a 2-D (rows, dim) array, got shape {tuple(x.shape)} "
                         f"(for a single vector use x[None, :])")
    if x.shape[0] == 0:
        what = "query" if "query" in name else "corpus"
        raise ValueError(f"{name} is empty (0 rows): there is no {what} to search; encode at least one sentence")
    return x


def _check_dims(a, b, a_name: str, b_name: str) -> None:
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"{a_name} has dimension {a.shape[1]} but {b_name} has dimension {b.shape[1]}: "
                         f"both must come from the same encoder")


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


# ---------------------------------------------------------------------------- the pieces
normalize = normalize_rows  # rows scaled to unit length, (n, d) -> (n, d); a zero row stays zero


def _rows(x, start: int, stop: int, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    """Rows start:stop of x (numpy, torch or scipy sparse) as a dense tensor on `device`. -> (c, d)

    A numpy chunk becomes a tensor without a copy; only this chunk is moved to the device.
    """
    block = x[start:stop]
    if _is_sparse(block):
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
    if not _is_sparse(corpus):
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
    """The top_k corpus rows most cosine-similar to each query, best first.

    query_emb: (q, d), corpus_emb: (n, d) -- numpy arrays or torch tensors (the corpus may also be a
    scipy sparse matrix). Returns (scores, indices), each (q, k) with k = min(top_k, n):
    scores[i, r] is the cosine of query i with corpus row indices[i, r]; rows are sorted by score
    descending, equal scores by lower index. numpy in -> numpy out (float32 / int64); a torch
    query -> torch tensors on `device`.

    The corpus is scored `chunk_size` rows at a time (queries `query_chunk_size` at a time), so no
    (q, n) matrix is ever built. `device` defaults to the device of a tensor argument, else
    `get_device()`; numpy chunks are copied there one at a time.
    """
    query_emb = _check_matrix(query_emb, "query_emb")
    corpus_emb = _check_matrix(corpus_emb, "corpus_emb")
    _check_dims(query_emb, corpus_emb, "query_emb", "corpus_emb")
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
    q, c = (np.asarray(x.toarray() if _is_sparse(x) else x, dtype=np.float64) for x in (query_emb, corpus_emb))
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


# --------------------------------------------------------------------------- clustering
def _unit_rows(emb) -> np.ndarray:
    emb = _check_matrix(emb, "emb")
    if isinstance(emb, torch.Tensor):
        emb = emb.detach().cpu().numpy()
    emb = np.asarray(emb.toarray() if _is_sparse(emb) else emb, dtype=np.float64)
    # columns that are zero in every row change no norm and no distance: dropping them is exact, and
    # makes k-means of 450 TF-IDF rows (31k columns, a few thousand of them used) many times faster
    emb = emb[:, emb.any(axis=0)] if emb.shape[0] else emb
    return normalize_rows(emb)


def kmeans(emb, k: int, seed: int = 0, n_init: int = 10) -> np.ndarray:
    """k-means (scikit-learn) on L2-normalised rows. emb (n, d) -> labels (n,) in 0..k-1.

    On unit vectors |a - b|^2 = 2 - 2 cos(a, b), so Euclidean k-means groups by cosine.
    """
    from sklearn.cluster import KMeans

    x = _unit_rows(emb)
    if not 1 <= k <= len(x):
        raise ValueError(f"k must be between 1 and the number of rows ({len(x)}), got {k}")
    return KMeans(n_clusters=k, n_init=n_init, random_state=seed).fit_predict(x)


def agglomerative(emb, k: int | None = None, distance_threshold: float | None = None,
                  linkage: str = "average") -> np.ndarray:
    """Bottom-up clustering (scikit-learn) on L2-normalised rows. emb (n, d) -> labels (n,).

    Give exactly one of k (number of clusters) or distance_threshold (stop merging when the linkage
    distance exceeds it). linkage "average" / "complete" / "single" use cosine distance 1 - cos;
    "ward" uses Euclidean distance between the unit vectors, sqrt(2 - 2 cos).
    """
    from sklearn.cluster import AgglomerativeClustering

    if (k is None) == (distance_threshold is None):
        raise ValueError("give exactly one of k or distance_threshold")
    x = _unit_rows(emb)
    if k is not None and not 1 <= k <= len(x):
        raise ValueError(f"k must be between 1 and the number of rows ({len(x)}), got {k}")
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


# -------------------------------------------------------------------------- SearchIndex
def _check_sentences(sentences, what: str) -> list[str]:
    if isinstance(sentences, str):
        raise TypeError(f"{what} must be a list of sentences, got a single str (wrap it in a list)")
    sentences = list(sentences)
    for i, s in enumerate(sentences):
        if not isinstance(s, str):
            raise TypeError(f"{what}: item at index {i} is {type(s).__name__}, expected str")
    return sentences


def encode_corpus(model, sentences: Sequence[str], batch_size: int = 256, show_progress: bool = True,
                  sparse_below: float = 0.1):
    """model.encode over `sentences` in batches, with a progress bar. -> (n, d) rows, L2-normalised.

    Returns a numpy float32 array, or a scipy CSR matrix when most entries are zero (fewer than
    `sparse_below` non-zero, as with TF-IDF): 17k Wikipedia sentences x 31k TF-IDF dimensions are
    2.2 GB dense but a few MB sparse.
    """
    import scipy.sparse

    batch_size = _check_positive(batch_size, "batch_size")
    blocks, any_sparse = [], False
    starts = range(0, len(sentences), batch_size)
    for start in tqdm(starts, desc="encoding corpus", unit="batch", disable=not show_progress):
        emb = np.asarray(model.encode(list(sentences[start:start + batch_size])), dtype=np.float32)
        emb = normalize_rows(emb)
        if np.count_nonzero(emb) < sparse_below * emb.size:
            emb, any_sparse = scipy.sparse.csr_matrix(emb), True
        blocks.append(emb)
    if any_sparse:
        return scipy.sparse.vstack([scipy.sparse.csr_matrix(b) for b in blocks], format="csr")
    return np.concatenate(blocks)


class SearchIndex:
    """A corpus encoded once, searched by text.

        index = SearchIndex(model, sentences)          # encodes (progress bar)
        index.search("a query", top_k=5)               # -> [(score, sentence), ...] best first
        index.search(["q1", "q2"])                     # -> one such list per query

    `embeddings` (n, d) holds the normalised corpus vectors (dense, or scipy sparse for TF-IDF);
    pass `embeddings=` to reuse vectors computed before (e.g. loaded from a cache).
    """

    def __init__(self, model, sentences: Sequence[str], batch_size: int = 256, show_progress: bool = True,
                 embeddings=None, device=None):
        self.model = model
        self.sentences = _check_sentences(sentences, "sentences")
        if not self.sentences:
            raise ValueError("SearchIndex needs at least one sentence to search (got an empty list)")
        self.device = device
        if embeddings is None:
            embeddings = encode_corpus(model, self.sentences, batch_size, show_progress)
        if embeddings.shape[0] != len(self.sentences):
            raise ValueError(f"{embeddings.shape[0]} embeddings for {len(self.sentences)} sentences")
        self.embeddings = embeddings

    def __len__(self) -> int:
        return len(self.sentences)

    def search(self, query: str | Sequence[str], top_k: int = 5):
        """[(cosine, sentence), ...] best first for one query str; a list of such lists for a list of queries."""
        single = isinstance(query, str)
        queries = _check_sentences([query] if single else query, "query")
        if not queries or any(not q.strip() for q in queries):
            raise ValueError("empty query: give a non-empty sentence to search for")
        query_emb = np.asarray(self.model.encode(queries), dtype=np.float32)
        scores, index = semantic_search(query_emb, self.embeddings, top_k, device=self.device)
        results = [[(float(s), self.sentences[i]) for s, i in zip(srow, irow)] for srow, irow in zip(scores, index)]
        return results[0] if single else results


# --------------------------------------------------------------------------- the CLI hook
def _fingerprint(model, sentences: Sequence[str], model_name: str) -> str:
    """A short hash of the model's name, its vectors for two probe sentences, and the corpus.

    Probing the model (not just its name) means a retrained model never reuses stale vectors.
    """
    h = hashlib.sha1(model_name.encode())
    probe = np.asarray(model.encode(["The cat sat on the mat.", "Stock markets fell sharply today."]))
    h.update(np.round(probe.astype(np.float64), 4).tobytes())
    h.update("\n".join(sentences).encode())
    return h.hexdigest()[:16]


def _load_cached(path: Path):
    import scipy.sparse

    if path.name.endswith(".sparse.npz"):
        return scipy.sparse.load_npz(path)  # arrays only: scipy reads with allow_pickle=False
    return np.load(path, allow_pickle=False)["emb"]


def _save_cached(path_stem: Path, embeddings) -> None:
    """Write `<stem>.sparse.npz` or `<stem>.dense.npz` atomically (a crash never leaves half a file)."""
    import scipy.sparse

    path_stem.parent.mkdir(parents=True, exist_ok=True)
    kind = "sparse" if scipy.sparse.issparse(embeddings) else "dense"
    path = path_stem.with_name(f"{path_stem.name}.{kind}.npz")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp.npz")
    if kind == "sparse":
        scipy.sparse.save_npz(tmp, embeddings)
    else:
        np.savez(tmp, emb=embeddings)
    tmp.replace(path)


def cached_index(model, sentences: Sequence[str], model_name: str, show_progress: bool = True) -> SearchIndex:
    """A SearchIndex whose corpus vectors are cached under data/cache/search/ (keyed by `_fingerprint`)."""
    from ..data import CACHE_DIR

    sentences = _check_sentences(sentences, "sentences")
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", model_name.strip("/"))[-60:] or "model"
    stem = CACHE_DIR / "search" / f"{safe}-{_fingerprint(model, sentences, model_name)}"
    for suffix in (".sparse.npz", ".dense.npz"):
        path = stem.with_name(stem.name + suffix)
        if path.exists():
            try:
                return SearchIndex(model, sentences, embeddings=_load_cached(path))
            except (ValueError, OSError, KeyError):
                path.unlink(missing_ok=True)  # a damaged cache file: encode again
    older = re.compile(re.escape(safe) + r"-[0-9a-f]{16}\.(sparse|dense)\.npz")
    for old in stem.parent.glob(f"{safe}-*.npz"):  # vectors of an older version of this model
        if older.fullmatch(old.name):
            old.unlink(missing_ok=True)
    index = SearchIndex(model, sentences, show_progress=show_progress)
    _save_cached(stem, index.embeddings)
    return index


def wiki_corpus() -> list[str]:
    """The distinct offline Wikipedia sentences, in dump order (what `search_wiki` searches)."""
    from .. import data

    return list(dict.fromkeys(s.text for s in data.wiki_sentences()))


def search_wiki(model, query: str, model_name: str, top_k: int = 5,
                show_progress: bool = True) -> list[tuple[float, str]]:
    """`python -m minisent search --model NAME_OR_DIR "a query"`: [(cosine, sentence), ...] best first.

    Searches the offline Wikipedia sentences with `model`; their vectors are cached per `model_name` under
    data/cache/search/, so only the first search with a model encodes the corpus.
    """
    if not isinstance(query, str) or not query.strip():
        raise ValueError("empty query: give a non-empty sentence to search for")
    index = cached_index(model, wiki_corpus(), model_name, show_progress=show_progress)
    return index.search(query, top_k)
