"""A corpus encoded once and searched by text (`SearchIndex`), its vectors cached on disk, and the command
`python -m minisent search "a query"` over the offline Wikipedia sentences (`search_wiki`)."""
from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Sequence

import numpy as np
import scipy.sparse

from .. import data
from ..inputs import check_sentences, normalize_rows
from ..progress import tqdm
from .nearest import _check_positive, semantic_search


def encode_corpus(model, sentences: Sequence[str], batch_size: int = 256, show_progress: bool = True):
    """model.encode over `sentences` in batches, with a progress bar. -> (n, d) rows, L2-normalised.

    Returns a numpy float32 array, or a scipy CSR matrix when most entries are zero (under 10 % non-zero,
    as with TF-IDF): 17k Wikipedia sentences x 31k TF-IDF dimensions are 2.2 GB dense but a few MB sparse.
    """
    batch_size = _check_positive(batch_size, "batch_size")
    blocks, any_sparse = [], False
    starts = range(0, len(sentences), batch_size)
    for start in tqdm(starts, desc="encoding corpus", unit="batch", disable=not show_progress):
        emb = np.asarray(model.encode(list(sentences[start:start + batch_size])), dtype=np.float32)
        emb = normalize_rows(emb)
        if np.count_nonzero(emb) < 0.1 * emb.size:
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
        self.sentences = check_sentences(sentences)
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
        queries = check_sentences([query] if single else query)
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
    if path.name.endswith(".sparse.npz"):
        return scipy.sparse.load_npz(path)  # arrays only: scipy reads with allow_pickle=False
    return np.load(path, allow_pickle=False)["emb"]


def _save_cached(path_stem: Path, embeddings) -> None:
    """Write `<stem>.sparse.npz` or `<stem>.dense.npz` atomically (a crash never leaves half a file)."""
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
    sentences = check_sentences(sentences)
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", model_name.strip("/"))[-60:] or "model"
    stem = data.CACHE_DIR / "search" / f"{safe}-{_fingerprint(model, sentences, model_name)}"
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
