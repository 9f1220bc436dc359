"""Every model of the course by name, so the command line and the lessons share one list.

    load_model("tfidf")           the lexical baseline
    load_model("sif-word2vec")    an averaging baseline (trained on the offline corpus, cached)
    load_model("minilm")          the published all-MiniLM-L6-v2 in the course's Transformer (lesson 13)
    load_model("path/to/dir")     a SentenceEncoder (or a DAN) saved with .save(dir)

Each returns an object with the `encode` of `minisent.contract`; `python -m minisent models` lists them.
"""
from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path
from typing import NamedTuple


class BuiltIn(NamedTuple):
    """A built-in model: what it is, and the function of `minisent.<module>` that builds it (called with args)."""
    description: str
    module: str
    function: str
    args: tuple = ()


# The one list of built-in models. Later lessons' models are trained on first use and cached under data/cache/.
MODELS: dict[str, BuiltIn] = {
    "tfidf": BuiltIn("TF-IDF bag of words, IDF from the offline corpus (lesson 00)", "wordvec.tfidf", "TfidfEncoder"),
    "avg-word2vec": BuiltIn("mean of skip-gram word2vec vectors, unknown words skipped (lesson 02)",
                            "wordvec", "build_baseline", ("avg-word2vec",)),
    "sif-word2vec": BuiltIn("SIF-weighted word2vec average, first principal component removed (lesson 02)",
                            "wordvec", "build_baseline", ("sif-word2vec",)),
    "avg-fasttext": BuiltIn("mean of fastText vectors, unknown words from subwords (lesson 02)",
                            "wordvec", "build_baseline", ("avg-fasttext",)),
    "sif-fasttext": BuiltIn("SIF-weighted fastText average, first principal component removed (lesson 02)",
                            "wordvec", "build_baseline", ("sif-fasttext",)),
    "mlm": BuiltIn("the tiny Transformer after masked-LM pretraining, mean pooling (lesson 03)",
                   "training.mlm", "pretrained_mlm"),
    "simcse": BuiltIn("unsupervised SimCSE (crop + word-deletion noise, SIF-weighted pooling) on the tiny Transformer (lesson 07)",
                      "training.simcse", "pretrained_simcse"),
    "simcse-sup": BuiltIn("supervised SimCSE on the NLI triplets, contradictions as hard negatives (lesson 08)",
                          "training.simcse", "pretrained_simcse_sup"),
    "dan": BuiltIn("Deep Averaging Network: SIF mean of BPE token + hashed bigram vectors, 2 tanh layers; SimCSE-trained (lesson 11)",
                   "training.dan", "pretrained_dan"),
    "gpt-lm": BuiltIn("the tiny Transformer with a causal mask after next-token pre-training, last-token pooling (lesson 11)",
                      "training.clm", "pretrained_clm"),
    "gpt": BuiltIn("gpt-lm + unsupervised SimCSE with last-token pooling, as decoder embedders are tuned (lesson 11)",
                   "training.clm", "pretrained_gpt"),
    "minilm": BuiltIn("the published all-MiniLM-L6-v2 weights in the course's Transformer: the ceiling (lesson 13)",
                      "pretrained.minilm", "load_minilm"),
    "simcse-small": BuiltIn("simcse distilled into 1 layer, d 128 (MSE to its vectors; lesson 12)",
                            "training.distill", "pretrained_student"),
    "simcse-static": BuiltIn("static student of simcse: one vector per token from the teacher, averaged (lesson 12)",
                             "training.static", "pretrained_static"),
    "simcse-news": BuiltIn("simcse after 60 more SimCSE steps on the Lee news stories: domain-adapted (lesson 12)",
                           "training.domain", "pretrained_news"),
}


def baseline_names() -> list[str]:
    """Names `load_model` accepts in this checkout (modules of later lessons may be absent)."""
    return [name for name, model in MODELS.items() if importlib.util.find_spec(f"minisent.{model.module}") is not None]


def describe_models() -> str:
    """One line per built-in model: its name and what it is (`python -m minisent models`)."""
    width = max(map(len, MODELS))
    return "\n".join(f"{name:<{width}}  {MODELS[name].description}" for name in baseline_names())


def _call(module: str, function: str, *args, **kwargs):
    """minisent.<module>.<function>(*args, **kwargs), the module imported only now."""
    return getattr(importlib.import_module(f"minisent.{module}"), function)(*args, **kwargs)


def load_model(name_or_dir: str):
    """A model by built-in name or from a saved encoder directory (a built-in name wins: write ./tfidf for a folder)."""
    path = Path(name_or_dir)
    if path.is_dir() and name_or_dir not in MODELS:
        # lazy: `import minisent` (which imports this registry) must not import torch
        from .nn.encoder import load
        from .training import dan
        from .training.static import StaticEncoder, is_static

        if dan.is_dan_folder(path):
            return dan.load(path)
        return StaticEncoder.load(path) if is_static(path) else load(path)
    if name_or_dir in baseline_names():
        # imported only when asked for: the trained models pull in their training modules (and torch)
        model = MODELS[name_or_dir]
        return _call(model.module, model.function, *model.args)
    hint = "" if path.suffix == "" and "/" not in name_or_dir else f" (no directory {path} exists)"
    raise ValueError(f"unknown model {name_or_dir!r}{hint}; use one of {', '.join(baseline_names())} "
                     f"or a directory written by SentenceEncoder.save")


# What the lessons train on first use, in the order they first need it (MODELS names each one's lesson).
# Each entry is a built-in name, or (description, module, function, kwargs) for a lesson's own cached variant.
WARM_ORDER: list = [
    ("word vectors: cbow (lesson 01)", "wordvec", "train_vectors", {"name": "cbow", "progress": False}),
    "sif-word2vec", "sif-fasttext", "mlm", "simcse", "simcse-sup", "dan", "gpt-lm", "gpt",
    "simcse-small", "simcse-static", "simcse-news",
    ("simcse-news with replay (lesson 12)", "training.domain", "pretrained_news",
     {"source_share": 0.5, "progress": False}),
]


def warm_cache(report=print) -> list[str]:
    """Train and cache everything of WARM_ORDER that is not cached yet, in that order; -> what it went through.

    `python -m minisent warm` (before a class, say). A full `pytest` runs it in a second process beside the
    tests (tests/conftest.py): a lesson that needs a model the warm-up is still training waits for it on
    the cache's lock (`data.cache_lock`) instead of training it a second time.
    """
    done = []
    for entry in WARM_ORDER:
        if isinstance(entry, str):
            name, build = entry, (lambda name=entry: load_model(name))
        else:
            name, module, function, kwargs = entry
            build = (lambda m=module, f=function, k=kwargs: _call(m, f, **k))
        report(f"{name} ...")
        build()
        done.append(name)
    return done
