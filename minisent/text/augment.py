"""Discrete noise for unsupervised contrastive learning: two different *views* of one sentence.

SimCSE's only noise is dropout. On a tiny model trained from scratch that is too easy: two dropout views of
a sentence still share every word, so the model tells them apart from the other sentences by their words
alone, the loss drops to ~0 within a few dozen steps, and nothing about meaning is learned. Cropping and
deleting words independently in each view forces the two views to be matched by what they have *in common*,
which is closer to meaning than to surface form.

    crop(words, rng, min_keep=0.3)       a random contiguous span keeping >= 30 % of the words
    delete_words(words, rng, p=0.4)      each word dropped with probability p (at least one survives)
    noisy_view(sentence, rng, ...)       crop then delete, on whitespace words, back to a string
"""
from __future__ import annotations

import math
import random


def crop(words: list[str], rng: random.Random, min_keep: float = 0.3) -> list[str]:
    """A contiguous span of `words` with length uniform in [ceil(min_keep * n), n]."""
    if not 0 < min_keep <= 1:
        raise ValueError(f"min_keep must be in (0, 1], got {min_keep}")
    n = len(words)
    if n <= 1:
        return list(words)
    length = rng.randint(max(1, math.ceil(min_keep * n)), n)
    start = rng.randint(0, n - length)
    return words[start:start + length]


def delete_words(words: list[str], rng: random.Random, p: float = 0.4) -> list[str]:
    """Drop each word independently with probability p; never returns an empty list for non-empty input."""
    if not 0 <= p < 1:
        raise ValueError(f"deletion probability must be in [0, 1), got {p}")
    kept = [w for w in words if rng.random() >= p]
    if not kept and words:
        kept = [rng.choice(words)]
    return kept


def noisy_view(sentence: str, rng: random.Random, min_keep: float = 0.3, p_delete: float = 0.4) -> str:
    """One augmented view: crop to a contiguous span, then delete words. Whitespace tokenization on purpose:
    the encoder's own tokenizer runs afterwards, so a deleted word removes all of its subword pieces."""
    words = sentence.split()
    return " ".join(delete_words(crop(words, rng, min_keep), rng, p_delete))


def two_views(sentences: list[str], rng: random.Random, min_keep: float = 0.3,
              p_delete: float = 0.4) -> tuple[list[str], list[str]]:
    """Independent noisy views of every sentence: (view_a, view_b), each a list as long as `sentences`."""
    a = [noisy_view(s, rng, min_keep, p_delete) for s in sentences]
    b = [noisy_view(s, rng, min_keep, p_delete) for s in sentences]
    return a, b
