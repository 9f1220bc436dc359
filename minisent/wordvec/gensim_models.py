"""word2vec (skip-gram, CBOW) and fastText trained with gensim on the offline corpus, cached.

    train_vectors("skipgram")   -> KeyedVectors           (~50 CPU-s, then cached)
    train_vectors("cbow")       -> KeyedVectors
    train_vectors("fasttext")   -> FastTextKeyedVectors   (has vectors for unseen words, from subwords)

skip-gram  predicts each neighbour from the center word (good for rare words, slower)
CBOW       predicts the center word from the average of its neighbours (fast, smoother)
fastText   skip-gram where a word's vector is the sum of its character n-gram vectors
           ("<wh", "whe", "her", ... for "where"): unseen words still get a vector

Determinism: `workers=1` and a fixed `seed` give identical vectors on every run (with more
workers, the order in which threads update the shared vectors changes from run to run).

Cache: data/cache/wordvec/<name>-<hash>.npz, the hash covering the hyper-parameters, the gensim
version and the tokenized corpus itself -- change any and the vectors are retrained. The file holds
plain arrays only (vectors, words, counts; fastText's n-gram table), read with allow_pickle=False:
unlike gensim's own `KeyedVectors.load` (a pickle), reading it can never run code.
"""
from __future__ import annotations

import hashlib
import json
import os
import warnings
import zipfile
from functools import lru_cache
from pathlib import Path

import gensim
import numpy as np
from gensim.models import FastText, KeyedVectors, Word2Vec
from gensim.models.fasttext import FastTextKeyedVectors
from gensim.models.callbacks import CallbackAny2Vec

from .. import data
from ..progress import tqdm

# Chosen on STS-B dev (sif-word2vec / avg-fasttext, Spearman), within 60 CPU-seconds of training each, on the
# ~470k-token offline text (workers=1; benchmarks/RESULTS.md, "word vectors"): a 100-d model, words seen twice
# kept (min_count 2), frequent words down-sampled hard (sample 1e-4: a small corpus is mostly "the", "of"),
# and a high learning rate with enough passes for a corpus this small. CBOW is not a baseline; it keeps its old preset.
PRESETS: dict[str, dict] = {
    "skipgram": dict(model="word2vec", sg=1, vector_size=100, window=5, min_count=2, negative=5,
                     sample=1e-4, alpha=0.05, epochs=20),
    "cbow": dict(model="word2vec", sg=0, vector_size=100, window=8, min_count=3, negative=5,
                 sample=1e-3, alpha=0.05, epochs=20),
    # 50k hash buckets for the n-grams (gensim's default, 2M, would be an 800 MB table)
    "fasttext": dict(model="fasttext", sg=1, vector_size=100, window=5, min_count=2, negative=5,
                     sample=1e-4, alpha=0.05, epochs=15, min_n=3, max_n=5, bucket=50_000),
}
CACHE_SUBDIR = "wordvec"


@lru_cache(maxsize=1)
def _offline_tokens() -> tuple[tuple[str, ...], ...]:
    texts = data.corpus_sentences() + data.newsgroup_sentences()     # all usable offline prose
    return tuple(tuple(data.tokenize_words(s)) for s in texts)


def corpus_tokens() -> list[list[str]]:
    """The word vectors' training text as lists of `data.tokenize_words` tokens: the offline corpus
    (`data.corpus_sentences()`) plus the Usenet posts of gensim's test data (`data.newsgroup_sentences()`)."""
    return [list(s) for s in _offline_tokens()]


def _fingerprint(sentences) -> str:
    h = hashlib.sha1()
    for s in sentences:
        h.update(" ".join(s).encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()


def cache_path(name: str, params: dict, sentences, cache_dir: Path | None = None) -> Path:
    """Where vectors trained with these params on these sentences live: <cache_dir>/<name>-<hash>.npz"""
    key = json.dumps({"params": params, "gensim": gensim.__version__, "corpus": _fingerprint(sentences)},
                     sort_keys=True)
    digest = hashlib.sha1(key.encode()).hexdigest()[:12]
    return Path(cache_dir or data.CACHE_DIR / CACHE_SUBDIR) / f"{name}-{digest}.npz"


def save_vectors(wv: KeyedVectors, path: str | Path) -> Path:
    """Write word vectors as plain arrays in one .npz file, atomically (a temporary file, then a rename).

    words (n,) str, vectors (n, d) float32, counts (n,) int64; for fastText also vectors_vocab (n, d),
    vectors_ngrams (buckets, d) and ngrams = [min_n, max_n, bucket]. No pickled objects.
    """
    path = Path(path)
    arrays = dict(words=np.array(wv.index_to_key, dtype=str), vectors=wv.vectors,
                  counts=np.array([wv.get_vecattr(w, "count") for w in wv.index_to_key], dtype=np.int64))
    if isinstance(wv, FastTextKeyedVectors):
        arrays.update(vectors_vocab=wv.vectors_vocab, vectors_ngrams=wv.vectors_ngrams,
                      ngrams=np.array([wv.min_n, wv.max_n, wv.bucket], dtype=np.int64))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp{os.getpid()}.npz")
    np.savez(tmp, **arrays)
    os.replace(tmp, path)
    return path


def load_vectors(path: str | Path) -> KeyedVectors:
    """Read vectors written by `save_vectors` (allow_pickle=False: arrays only, no code can run).

    A damaged or foreign file raises ValueError naming it."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {k: f[k] for k in f.files}
        words, vectors, counts = arrays["words"], arrays["vectors"], arrays["counts"]
    except (ValueError, OSError, KeyError, EOFError, zipfile.BadZipFile) as err:
        raise ValueError(f"{path} is not a word-vector file written by save_vectors ({type(err).__name__}: "
                         f"{str(err).splitlines()[0] if str(err) else ''})") from None
    if vectors.ndim != 2 or len(words) != len(vectors) or len(counts) != len(words):
        raise ValueError(f"{path}: {len(words)} words, {len(counts)} counts and vectors {vectors.shape} do not match")
    if "ngrams" in arrays:
        min_n, max_n, bucket = (int(v) for v in arrays["ngrams"])
        wv = FastTextKeyedVectors(vectors.shape[1], min_n, max_n, bucket)
    else:
        wv = KeyedVectors(vectors.shape[1])
    wv.add_vectors(words.tolist(), vectors)
    for word, count in zip(words.tolist(), counts.tolist()):
        wv.set_vecattr(word, "count", count)  # as training stored it: wv.get_vecattr(word, "count")
    if "ngrams" in arrays:
        wv.vectors_vocab, wv.vectors_ngrams = arrays["vectors_vocab"], arrays["vectors_ngrams"]
        wv.recalc_char_ngram_buckets()
    return wv


class _EpochBar(CallbackAny2Vec):
    """A gensim callback that advances a tqdm bar once per epoch."""

    def __init__(self, bar):
        self.bar = bar

    def on_epoch_end(self, model):
        self.bar.update(1)


def train_gensim(sentences: list[list[str]], model: str = "word2vec", seed: int = 0, progress: bool = True,
                 desc: str = "", **params):
    """Train gensim Word2Vec or FastText with ONE worker (deterministic) and return its KeyedVectors.

    sentences: token lists. model: "word2vec" | "fasttext". params: gensim's own keyword
    arguments (sg, vector_size, window, min_count, negative, sample, alpha, epochs, min_n, ...)."""
    if model not in ("word2vec", "fasttext"):
        raise ValueError(f"model must be 'word2vec' or 'fasttext', got {model!r}")
    cls = Word2Vec if model == "word2vec" else FastText
    sentences = [list(s) for s in sentences]
    if not any(sentences):
        raise ValueError("no tokens to train on")
    epochs = params.get("epochs", 5)
    with tqdm(total=epochs, desc=desc or cls.__name__, unit="epoch", disable=not progress) as bar:
        trained = cls(sentences, workers=1, seed=seed, callbacks=[_EpochBar(bar)], **params)
    return trained.wv


def train_vectors(name: str = "skipgram", sentences: list[list[str]] | None = None, *, seed: int = 0,
                  cache: bool = True, cache_dir: Path | None = None, progress: bool = True, **overrides):
    """Word vectors from a preset ("skipgram", "cbow", "fasttext"), trained once then read from the cache.

    sentences: token lists; default the offline corpus (`corpus_tokens()`).
    overrides: change any preset value, e.g. `train_vectors("skipgram", epochs=2, vector_size=50)`.
    Returns gensim KeyedVectors (FastTextKeyedVectors for "fasttext"); every word carries its
    training-corpus count: `wv.get_vecattr(word, "count")`.
    """
    if name not in PRESETS:
        raise ValueError(f"unknown word-vector preset {name!r}; use one of {', '.join(PRESETS)}")
    params = {**PRESETS[name], **overrides, "seed": seed}
    sentences = corpus_tokens() if sentences is None else sentences
    path = cache_path(name, params, sentences, cache_dir)
    if not cache:
        return _train(name, params, sentences, progress)
    with data.cache_lock(path):  # another process training the same vectors: wait, then read its copy
        if path.exists():
            try:
                return load_vectors(path)
            except ValueError as err:  # a damaged cache file: say so, train again and replace it
                warnings.warn(f"{err}; training the vectors again", stacklevel=2)
        wv = _train(name, params, sentences, progress)
        save_vectors(wv, path)
    return wv


def _train(name: str, params: dict, sentences, progress: bool):
    return train_gensim(sentences, progress=progress, desc=name, **params)  # params holds the seed
