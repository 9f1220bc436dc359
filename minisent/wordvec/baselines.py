"""The four averaging baselines of the course leaderboard, by name.

    avg-word2vec   mean of skip-gram word2vec vectors          (unknown words skipped)
    sif-word2vec   SIF weights + first principal component removed
    avg-fasttext   mean of fastText vectors                    (unknown words from subwords)
    sif-fasttext   SIF + first component removed, fastText, subwords

Vectors are trained on the offline corpus on first use and cached (see gensim_models.py), the
SIF component is fitted on the same offline corpus -- never on an evaluation set.
"""
from __future__ import annotations

from .averaging import AveragingEncoder
from .gensim_models import train_vectors

# name -> (word-vector preset, AveragingEncoder arguments)
BASELINES: dict[str, tuple[str, dict]] = {
    "avg-word2vec": ("skipgram", dict(weighting="mean", remove_components=0, oov="skip")),
    "sif-word2vec": ("skipgram", dict(weighting="sif", remove_components=1, oov="skip")),
    "avg-fasttext": ("fasttext", dict(weighting="mean", remove_components=0, oov="subword")),
    "sif-fasttext": ("fasttext", dict(weighting="sif", remove_components=1, oov="subword")),
}
BASELINE_NAMES: tuple[str, ...] = tuple(BASELINES)


def build_baseline(name: str, progress: bool = True) -> AveragingEncoder:
    """An averaging baseline by name (see BASELINE_NAMES); trains its vectors on first use."""
    if name not in BASELINES:
        raise ValueError(f"unknown averaging baseline {name!r}; use one of {', '.join(BASELINE_NAMES)}")
    preset, kwargs = BASELINES[name]
    return AveragingEncoder(train_vectors(preset, progress=progress), **kwargs)
