"""The plumbing of a contrastive step, shared by the SimCSE objectives (and the students of lesson 12):
texts -> pooled vectors in length-sorted chunks, the loss in float32, metrics of a batch of pairs."""
from __future__ import annotations

import random
from typing import Sequence

import torch

from ..inputs import length_sorted_batches, normalize_rows
from ..losses import info_nce
from ..losses_fast import info_nce_blocked
from ..nn.encoder import SentenceEncoder
from ..text.tokenize import pad_batch


def step_rng() -> random.Random:
    """A python RNG for this step's word noise, seeded from torch's generator: all the randomness of a step
    (dropout masks and noise) then flows from torch's RNG state, which a checkpoint saves and restores."""
    return random.Random(int(torch.randint(0, 2**31 - 1, (1,)).item()))


def info_nce_for(block: int | None):
    """The InfoNCE of a step: `losses.info_nce` (the readable one: one (B, C) logits matrix), or with `block`,
    `losses_fast.info_nce_blocked` (the same value and gradient, `block` query rows at a time: no (B, C) matrix)."""
    if block is None:
        return info_nce
    return lambda *args, **kwargs: info_nce_blocked(*args, block=block, **kwargs)


def float32_loss(z: torch.Tensor):
    """A context for a loss: mixed precision (autocast) off, so the loss is computed in float32 (or float64)."""
    return torch.autocast(z.device.type, enabled=False)


def at_least_float32(z: torch.Tensor) -> torch.Tensor:
    return z.to(torch.promote_types(z.dtype, torch.float32))  # bfloat16 / float16 -> float32; float64 stays


def embed(model: SentenceEncoder, texts: Sequence[str], max_length: int = 64, chunk: int = 64,
          project: bool = False) -> torch.Tensor:
    """texts (N,) -> pooled vectors (N, d), differentiable: `model(texts)` with less padding.

    Noisy views vary a lot in length (3 to 60 tokens), and one (N, T) batch pads them all to the longest.
    Sorting by length and running chunks of `chunk` rows pads each chunk only to its own longest:
    about 3x less compute here. Every row gets its own dropout mask either way, and the result is put
    back in the order given.
    """
    base = getattr(model, "module", model)  # the SentenceEncoder inside a DistributedDataParallel wrapper
    seqs = [base.tokenizer.encode(t, max_length=max_length) for t in texts]
    chunks, restore = length_sorted_batches([len(s) for s in seqs], chunk)
    dev = base.device
    parts = []
    for idx in chunks:
        ids, mask = pad_batch([seqs[i] for i in idx])  # (c, T_chunk)
        parts.append(model((ids.to(dev), mask.to(dev)), project=project))  # (c, d)
    return torch.cat(parts)[torch.tensor(restore, device=dev)]  # (N, d) sorted by length -> order given


@torch.no_grad()
def pair_metrics(za: torch.Tensor, zb: torch.Tensor, block: int = 256) -> dict:
    """acc (row i's highest cosine is its own pair), mean cosine of the pairs and of the other (B^2 - B) combinations.

    Computed without a (B, B) matrix (large batches: 64 MB per matrix at B = 4096): the sum of all B^2 cosines
    is (sum_i a_i) . (sum_j b_j) for unit rows, and the argmax runs over blocks of `block` rows."""
    za, zb = normalize_rows(za.float()), normalize_rows(zb.float())
    B = len(za)
    pos = (za * zb).sum(1)  # (B,) cos(a_i, b_i)
    all_pairs = za.sum(0) @ zb.sum(0)  # sum over every (i, j) of cos(a_i, b_j)
    hits = sum(((za[s:s + block] @ zb.T).argmax(1) == torch.arange(s, min(s + block, B), device=za.device)).sum()
               for s in range(0, B, block))
    return {"acc": float(hits) / B, "pos_cos": pos.mean().item(),
            "neg_cos": ((all_pairs - pos.sum()) / (B * B - B)).item()}

