"""word2vec (skip-gram, CBOW) and fastText trained with gensim on the offline corpus, cached.

    train_vectors("skipgram")   -> KeyedVectors           (~10 s on a laptop core, then cached)
    train_vectors("cbow")       -> KeyedVectors
    train_vectors("fasttext")   -> FastTextKeyedVectors   (has vectors for unseen words, from subwords)

skip-gram  predicts each neighbour from the center word (good for rare words, slower)
CBOW       predicts the center word from the average of its neighbours (fast, smoother)
fastText   skip-gram where a word's vector is the sum of its character n-gram vectors
           ("<wh", "whe", "her", ... for "where"): unseen words still get a vector

Determinism: `workers=1` and a fixed `seed` give identical vectors on every run (with more
workers, the order in which threads update the shared vectors changes from run to run).

Cache: data/cache/wordvec/<name>-<hash>.kv, the hash covering the hyper-parameters, the gensim
version and the tokenized corpus itself -- change any and the vectors are retrained.
"""
from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path

from gensim.models import FastText, KeyedVectors, Word2Vec
from gensim.models.callbacks import CallbackAny2Vec
from ..progress import tqdm

from .. import data

# Chosen on STS-B dev (sif-word2vec / avg-fasttext, Spearman), within 60 CPU-seconds of training each, on the
# ~470k-token offline text (workers=1; benchmarks/RESULTS.md, "word vectors"): a 100-d model, words seen twice
# kept (min_count 2), frequent words down-sampled hard (sample 1e-4: a small corpus is mostly "the", "of"),
# and a high learning rate with enough passes for a corpus this small.
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
    """Where vectors trained with these params on these sentences live: <cache_dir>/<name>-<hash>.kv"""
    import gensim

    key = json.dumps({"params": params, "gensim": gensim.__version__, "corpus": _fingerprint(sentences)},
                     sort_keys=True)
    digest = hashlib.sha1(key.encode()).hexdigest()[:12]
    return Path(cache_dir or data.CACHE_DIR / CACHE_SUBDIR) / f"{name}-{digest}.kv"


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
    if cache and path.exists():
        try:
            return KeyedVectors.load(str(path))
        except Exception:  # a damaged cache file: train again and overwrite it
            pass
    train_params = dict(params)
    seed = train_params.pop("seed")
    wv = train_gensim(sentences, seed=seed, progress=progress, desc=name, **train_params)
    if cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.stem}.tmp{os.getpid()}.kv")
        wv.save(str(tmp), sep_limit=2**62)  # one file (no .npy side files), so the rename is atomic
        os.replace(tmp, path)
    return wv
