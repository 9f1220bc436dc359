"""Sentence embeddings by averaging word vectors: mean, TF-IDF-weighted, SIF.

One formula, three weightings. For a sentence s with known words w_1..w_n (tokens of
`data.tokenize_words`, repeats counted each time):

    v(s) = (1/n) * sum_i  weight(w_i) * vec(w_i)                          (d,)

    mean    weight(w) = 1
    tfidf   weight(w) = idf(w) = ln((1 + N) / (1 + df(w))) + 1           N reference sentences,
                                                                          df(w) of them contain w
    sif     weight(w) = a / (a + p(w)),  a = 1e-3                         p(w) = count(w) / total

SIF ("smooth inverse frequency", Arora, Liang & Ma 2017, "A Simple but Tough-to-Beat Baseline
for Sentence Embeddings") then removes what all sentences share: the first principal
component(s) u_1..u_k of the sentence vectors of a *reference corpus* (never the evaluation
set), with no centering, as in the paper's code:

    v(s) <- v(s) - sum_j (u_j . v(s)) u_j                                 U (k, d), orthonormal rows

That common direction is mostly frequent-word / syntax noise; removing it lets topical words decide.

Out-of-vocabulary words are an explicit choice: oov="skip" drops them, oov="subword" builds them
from character n-grams (fastText vectors only). A sentence with no known word gets the zero
vector (cosine 0 with everything, never NaN); after each encode(), `.n_empty` counts such sentences
and `.empty_indices` says which; one warning reports them.
"""
from __future__ import annotations

import warnings
from collections import Counter
from typing import Mapping

import numpy as np
from scipy import sparse
from gensim.models import KeyedVectors
from gensim.models.fasttext import FastTextKeyedVectors

from .. import data
from ..contract import DEFAULT_BATCH_SIZE, encode_batches
from ..inputs import check_sentences
from .gensim_models import corpus_tokens

WEIGHTINGS = ("mean", "tfidf", "sif")
OOV_POLICIES = ("skip", "subword")
SIF_A = 1e-3


# --------------------------------------------------------------------- the pieces, as functions
def sif_weight(p: np.ndarray | float, a: float = SIF_A):
    """a / (a + p): ~1 for rare words (p << a), ~a/p for frequent ones ("the": p ~ 0.06 -> 0.016)."""
    return a / (a + np.asarray(p, dtype=np.float64))


def idf_weight(df: np.ndarray | float, n_docs: int):
    """Smoothed inverse document frequency ln((1 + N) / (1 + df)) + 1 (scikit-learn's, and TfidfEncoder's)."""
    return np.log((1.0 + n_docs) / (1.0 + np.asarray(df, dtype=np.float64))) + 1.0


def principal_components(embeddings: np.ndarray, k: int) -> np.ndarray:
    """The first k right singular vectors of the (uncentered) matrix.  (n, d) -> (k, d), orthonormal rows.

    For a cloud of sentence vectors that all lean the same way, the first one is that common
    direction. Rows are sign-fixed (largest entry positive) so results do not depend on the SVD."""
    x = np.asarray(embeddings, dtype=np.float64)
    if k < 1 or k > min(x.shape):
        raise ValueError(f"cannot take {k} components of a {x.shape} matrix")
    # the right singular vectors of X (n, d) are the eigenvectors of the small (d, d) matrix X^T X,
    # ordered by eigenvalue (= squared singular value): same answer as np.linalg.svd, far cheaper for n >> d
    eigvals, eigvecs = np.linalg.eigh(x.T @ x)            # ascending eigenvalues, vectors in columns
    u = eigvecs[:, ::-1][:, :k].T                         # (k, d), largest first
    signs = np.sign(u[np.arange(k), np.abs(u).argmax(axis=1)])
    return u * signs[:, None]


def remove_components(embeddings: np.ndarray, components: np.ndarray) -> np.ndarray:
    """Subtract the projection on each component: E - (E U^T) U.  (n, d), (k, d) -> (n, d)

    Afterwards every row is orthogonal to every component (E' U^T = 0 when U has orthonormal rows)."""
    e = np.asarray(embeddings, dtype=np.float64)
    u = np.asarray(components, dtype=np.float64)
    return e - (e @ u.T) @ u


# ----------------------------------------------------------------------------------- encoder
class AveragingEncoder:
    """Sentence vectors as weighted averages of word vectors.  encode(list[str]) -> (n, d) float32.

    vectors            gensim KeyedVectors (from `train_vectors`, `train_sgns`, `load_glove_text`, ...)
    weighting          "mean" | "tfidf" | "sif"
    remove_components  k >= 0 principal components of the reference sentences to remove (SIF uses 1)
    oov                "skip" | "subword" (fastText vectors only)
    reference_sentences  the corpus the components and the IDF are fitted on, and word counts come
                       from when the vectors carry none; default the offline training corpus
    word_counts        {word: count} for SIF's p(w); default the training counts stored with the
                       vectors (`get_vecattr(w, "count")`, as gensim and `train_sgns` store them),
                       else the counts in the reference sentences
    a                  SIF's smoothing constant
    """

    def __init__(self, vectors: KeyedVectors, weighting: str = "mean", remove_components: int = 0,
                 oov: str = "skip", reference_sentences: list[str] | None = None,
                 word_counts: Mapping[str, int] | None = None, a: float = SIF_A):
        if not isinstance(vectors, KeyedVectors):
            raise TypeError(f"vectors must be gensim KeyedVectors (e.g. from train_vectors or "
                            f"load_glove_text), got {type(vectors).__name__}")
        if weighting not in WEIGHTINGS:
            raise ValueError(f"weighting must be one of {', '.join(WEIGHTINGS)}, got {weighting!r}")
        if oov not in OOV_POLICIES:
            raise ValueError(f"oov must be one of {', '.join(OOV_POLICIES)}, got {oov!r}")
        if oov == "subword" and not (isinstance(vectors, FastTextKeyedVectors) and vectors.bucket > 0):
            raise ValueError("oov='subword' needs fastText vectors (with n-gram buckets), e.g. "
                             "train_vectors('fasttext'); use oov='skip' for these vectors")
        if not isinstance(remove_components, int) or not 0 <= remove_components <= vectors.vector_size:
            raise ValueError(f"remove_components must be an int in 0..{vectors.vector_size}, "
                             f"got {remove_components!r}")
        if a <= 0:
            raise ValueError(f"the SIF constant a must be > 0, got {a}")
        self.vectors = vectors
        self.dim = vectors.vector_size
        self.weighting = weighting
        self.oov = oov
        self.a = a
        self.n_empty = 0
        self.empty_indices: list[int] = []
        self._warned = False
        self._oov_rows: dict[str, int | None] = {}       # subword-built words -> row in the table
        self._oov_vectors: list[np.ndarray] = []
        self._table: np.ndarray | None = None               # the float64 vector table _average multiplies by

        needs_reference = (weighting == "tfidf" or remove_components > 0
                           or (weighting == "sif" and word_counts is None and not self._has_counts()))
        ref_tokens = None
        if needs_reference and reference_sentences is None:
            ref_tokens = corpus_tokens()  # the offline corpus, tokenized once per process
        elif needs_reference:
            ref_tokens = [data.tokenize_words(s) for s in check_sentences(reference_sentences)]
            if not ref_tokens:
                raise ValueError("reference_sentences is empty")

        # weight(w) for every word the encoder may meet: a dict for readability, with a default
        self._weights: dict[str, float] = {}
        self._default_weight = 1.0                     # "mean"; and "sif": an unseen word has p(w) = 0 -> weight 1
        if weighting == "tfidf":
            df = Counter(w for toks in ref_tokens for w in set(toks))
            self._weights = {w: float(idf_weight(c, len(ref_tokens))) for w, c in df.items()}
            self._default_weight = float(idf_weight(0, len(ref_tokens)))    # unseen word: largest idf
        elif weighting == "sif":
            counts = self._counts(word_counts, ref_tokens)
            total = sum(counts.values())
            self._weights = {w: float(sif_weight(c / total, a)) for w, c in counts.items()}

        # the common direction(s), fitted on the reference corpus, never on what is evaluated
        self.components = np.zeros((0, self.dim))
        if remove_components > 0:
            ref_emb, _ = self._average(ref_tokens)                                 # (N_ref, d)
            self.components = principal_components(ref_emb, remove_components)   # (k, d)

    # ------------------------------------------------------------------ word counts / vectors
    def _has_counts(self) -> bool:
        """Do the vectors carry training-corpus counts (gensim models and train_sgns store them)?"""
        counts = self.vectors.expandos.get("count")
        return counts is not None and len(counts) > 0 and int(np.min(counts)) > 0

    def _counts(self, word_counts, ref_tokens) -> dict[str, int]:
        if word_counts is not None:
            return dict(word_counts)
        if self._has_counts():
            return {w: int(self.vectors.get_vecattr(w, "count")) for w in self.vectors.index_to_key}
        return dict(Counter(w for toks in ref_tokens for w in toks))

    def weight(self, word: str) -> float:
        """The weight this encoder gives one word (1 for "mean")."""
        return self._weights.get(word, self._default_weight)

    def _row(self, word: str) -> int | None:
        """Row of `word` in the vector table (known words first, then subword-built ones), or None."""
        index = self.vectors.key_to_index.get(word)
        if index is not None or self.oov == "skip":
            return index
        if word not in self._oov_rows:                   # fastText: a vector from its character n-grams
            v = self.vectors.get_vector(word)
            self._oov_rows[word] = None
            if np.any(v):
                self._oov_rows[word] = len(self.vectors.vectors) + len(self._oov_vectors)
                self._oov_vectors.append(v)
        return self._oov_rows[word]

    # ---------------------------------------------------------------------------- encoding
    def _average(self, token_lists: list[list[str]]) -> tuple[np.ndarray, list[int]]:
        """(1/n) sum_i weight(w_i) vec(w_i) for each token list -> ((N, d) float64, indices of empty rows).

        The readable version is a loop: for each sentence, stack the vectors of its n known words
        (n, d), multiply by their weights (n,), divide by n. Here the same sums are one sparse
        matrix product, M @ table, with M[i, r] = sum over the tokens of sentence i that are word r
        of weight / n_i -- a few times faster on the 20k-sentence reference corpus."""
        rows, cols, vals, empty = [], [], [], []
        for i, tokens in enumerate(token_lists):
            known = [(r, self.weight(w)) for w in tokens if (r := self._row(w)) is not None]
            if not known:
                empty.append(i)                          # stays the zero vector
                continue
            rows += [i] * len(known)
            cols += [r for r, _ in known]
            vals += [wt / len(known) for _, wt in known]
        n_rows = len(self.vectors.vectors) + len(self._oov_vectors)
        if self._table is None or len(self._table) != n_rows:          # (V, d), then any subword-built rows
            self._table = np.vstack([self.vectors.vectors, *self._oov_vectors]).astype(np.float64)
        m = sparse.csr_matrix((np.array(vals, dtype=np.float64), (rows, cols)),
                              shape=(len(token_lists), n_rows))            # repeated (i, r) are summed
        return np.asarray(m @ self._table), empty

    def encode(self, sentences: list[str], *, batch_size: int = DEFAULT_BATCH_SIZE, normalize: bool = False,
               show_progress: bool | None = None) -> np.ndarray:
        """Sentences -> (n, d) float32 (options: `minisent.contract`). A non-str item -> TypeError naming its index."""
        sentences = check_sentences(sentences)
        empty: list[int] = []

        def embed(idx: list[int]) -> np.ndarray:                       # (b, d)
            emb, empty_rows = self._average([data.tokenize_words(sentences[i]) for i in idx])
            empty.extend(idx[j] for j in empty_rows)
            return remove_components(emb, self.components) if len(self.components) else emb

        emb = encode_batches(sentences, embed, self.dim, batch_size=batch_size, normalize=normalize,
                             show_progress=show_progress)
        empty.sort()
        self.n_empty, self.empty_indices = len(empty), empty
        if empty and not self._warned:
            self._warned = True
            first = sentences[empty[0]]
            warnings.warn(f"{len(empty)} of {len(sentences)} sentences have no word these vectors know "
                          f"(first: index {empty[0]}, {first[:60]!r}); they get the zero vector. Counted "
                          f"in .n_empty after each encode; this warning is shown once per encoder.",
                          stacklevel=2)
        return emb

    def __repr__(self) -> str:
        k = len(self.components)
        return (f"AveragingEncoder(weighting={self.weighting!r}, remove_components={k}, oov={self.oov!r}, "
                f"words={len(self.vectors.key_to_index)}, dim={self.dim})")
