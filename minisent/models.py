"""Every model of the course by name, so the command line and the lessons share one list.

    load_model("tfidf")           the lexical baseline
    load_model("sif-word2vec")    an averaging baseline (trained on the offline corpus, cached)
    load_model("minilm")          the published all-MiniLM-L6-v2 in the course's Transformer (lesson 13)
    load_model("path/to/dir")     a SentenceEncoder saved with .save(dir)

Each returns an object with `encode(list[str]) -> np.ndarray (n, d)`.
"""
from __future__ import annotations

from pathlib import Path

LEXICAL = ("tfidf",)
WORDVEC = ("avg-word2vec", "sif-word2vec", "avg-fasttext", "sif-fasttext")
# the course's trained tiny Transformers, each cached under data/cache/ after its first training
NEURAL = {
    "mlm": ("train", "pretrained_mlm"),              # masked-LM pretraining (lesson 03)
    "simcse": ("simcse", "pretrained_simcse"),       # unsupervised SimCSE with word-dropping noise (lesson 07)
    "simcse-sup": ("simcse", "pretrained_simcse_sup"),  # supervised SimCSE on the NLI triplets (lesson 08)
    "minilm": ("pretrained.minilm", "load_minilm"),  # published all-MiniLM-L6-v2 weights, the course's ceiling (lesson 13)
}


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(f"minisent.{module}") is not None


def baseline_names() -> list[str]:
    """Names `load_model` accepts in this checkout (modules of later lessons may be absent)."""
    names = list(LEXICAL)
    if _has("wordvec"):
        names += WORDVEC
    names += [name for name, (module, _) in NEURAL.items() if _has(module) and _has("encoder")]
    return names


def load_model(name_or_dir: str):
    """A model by built-in name or from a saved encoder directory."""
    path = Path(name_or_dir)
    if path.is_dir():
        from .encoder import load

        return load(path)
    if name_or_dir == "tfidf":
        from .tfidf import TfidfEncoder

        return TfidfEncoder()
    if name_or_dir in WORDVEC and _has("wordvec"):
        from .wordvec import build_baseline

        return build_baseline(name_or_dir)
    if name_or_dir in NEURAL and _has(NEURAL[name_or_dir][0]):
        import importlib

        module, function = NEURAL[name_or_dir]
        return getattr(importlib.import_module(f"minisent.{module}"), function)()
    hint = "" if path.suffix == "" and "/" not in name_or_dir else f" (no directory {path} exists)"
    raise ValueError(f"unknown model {name_or_dir!r}{hint}; use one of {', '.join(baseline_names())} "
                     f"or a directory written by SentenceEncoder.save")
