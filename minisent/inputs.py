"""What every `encode(sentences)` shares, written once: the input check, length-sorted batching and
row normalisation. Nothing here imports torch: `normalize_rows` works on torch tensors and numpy arrays."""
from __future__ import annotations

from typing import Sequence

import numpy as np

EPS = 1e-12  # the one eps of row normalisation: a zero row stays zero (cosine 0 with anything), never 0/0


def check_sentences(sentences) -> list[str]:
    """A list (or any iterable) of str -> list[str]. A single str, or an item that is not a str, raises TypeError."""
    if isinstance(sentences, str):
        raise TypeError("encode expects a list of sentences, not a single str: wrap it, encode([text])")
    sentences = list(sentences)
    for i, s in enumerate(sentences):
        if not isinstance(s, str):
            raise TypeError(f"sentence {i} is {type(s).__name__}, not str (index {i} of the list)")
    return sentences


def check_batch_size(batch_size) -> int:
    """An int >= 1, or ValueError naming the value."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be an int >= 1, got {batch_size!r}")
    return int(batch_size)


def normalize_rows(x, eps: float = EPS):
    """Every row scaled to unit length: x / max(||x||, eps).   (..., d) -> (..., d)

    A torch tensor stays a (differentiable) tensor, anything else becomes a numpy array of the same float dtype.
    """
    if hasattr(x, "clamp_min"):                                   # a torch.Tensor
        return x / x.norm(dim=-1, keepdim=True).clamp_min(eps)
    x = np.asarray(x)
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), eps)


def length_sorted_batches(lengths: Sequence[int], batch_size: int) -> tuple[list[list[int]], list[int]]:
    """Indices 0..n-1 sorted by length (stable), cut into batches of `batch_size`, and the way back.

    -> (batches, restore): each batch holds items of similar length, so padding each batch to its own
    longest item wastes little; concatenating the batches' outputs and taking rows `restore` gives them
    in the order of `lengths` (restore[i] = position of item i in the concatenation).
    """
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    restore = [0] * len(order)
    for position, i in enumerate(order):
        restore[i] = position
    return [order[s:s + batch_size] for s in range(0, len(order), batch_size)], restore
