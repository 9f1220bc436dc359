"""The one `encode()` every model of the course answers, so one evaluation and one search path serve all.

    model.encode(sentences, *, batch_size=64, normalize=False, show_progress=None) -> np.ndarray (n, d) float32

- sentences: a list of str (a single str or a non-str item is a TypeError); [] gives an empty (0, d) array;
- row i is sentence i, whatever the batch_size (an int >= 1: it changes speed and memory, not results);
- normalize=True scales every row to unit length (`inputs.normalize_rows`: a zero row stays zero);
- show_progress: a text progress bar over the batches; None shows one from PROGRESS_THRESHOLD sentences on.

TfidfEncoder, AveragingEncoder and SentenceEncoder all implement it with `encode_batches` below, which
holds the shared steps once; tests/test_contract.py runs the same checks over every cheap registered model.
"""
from __future__ import annotations

from typing import Callable, Protocol, Sequence, runtime_checkable

import numpy as np

from .inputs import check_batch_size, check_sentences, length_sorted_batches, normalize_rows
from .progress import tqdm

DEFAULT_BATCH_SIZE = 64
PROGRESS_THRESHOLD = 2000  # show_progress=None shows a bar from this many sentences on


@runtime_checkable
class Encoder(Protocol):
    """Anything with a vector width `dim` and the `encode` above."""

    dim: int

    def encode(self, sentences: Sequence[str], *, batch_size: int = DEFAULT_BATCH_SIZE, normalize: bool = False,
               show_progress: bool | None = None) -> np.ndarray: ...


def encode_batches(sentences: Sequence[str], embed: Callable[[list[int]], np.ndarray], dim: int, *,
                   batch_size: int = DEFAULT_BATCH_SIZE, normalize: bool = False,
                   show_progress: bool | None = None) -> np.ndarray:
    """The shared body of every `encode`: check the input, batch it by length, embed, restore the order.

    sentences: already checked with `check_sentences`; embed(indices) -> (len(indices), dim) array for the
    sentences at those indices. Batches hold sentences of similar length (less padding for the
    Transformer). -> (n, dim) float32, row i for sentence i, unit rows when normalize=True.
    """
    batch_size = check_batch_size(batch_size)
    if not sentences:
        return np.zeros((0, dim), dtype=np.float32)
    batches, restore = length_sorted_batches([len(s) for s in sentences], batch_size)
    if show_progress is None:
        show_progress = len(sentences) >= PROGRESS_THRESHOLD
    if show_progress:
        batches = tqdm(batches, desc="encoding", unit="batch")
    out = np.concatenate([np.asarray(embed(b), dtype=np.float32) for b in batches])[restore]   # (n, dim)
    return normalize_rows(out) if normalize else out


__all__ = ["Encoder", "encode_batches", "check_sentences", "DEFAULT_BATCH_SIZE", "PROGRESS_THRESHOLD"]
