"""Gradient caching: a contrastive batch far larger than what fits in memory, with the exact same gradient.

Gao, Zhang, Han & Callan (2021), "Scaling Deep Contrastive Learning Batch Size under Memory Limited Setup";
sentence-transformers calls it CachedMultipleNegativesRankingLoss.

Why it works. InfoNCE couples every row of the batch with every other, so the batch cannot simply be split
into pieces whose gradients are added (gradient accumulation would give each piece only its own negatives).
But the coupling lives only in the loss, which needs the N embeddings z, not the encoder's activations:

    dL/dtheta = sum_i  (dL/dz_i) . (dz_i/dtheta)

The first factor needs all of z but no graph; the second needs a graph, but of one row (one chunk) at a time.
So, for N texts cut into chunks of c:

  1. embed every chunk WITHOUT a graph (torch.no_grad): z (N, d), little memory;
  2. compute the loss from z (a leaf tensor) and backpropagate to z only: g = dL/dz (N, d), "the cache";
  3. for each chunk again: embed it WITH a graph and backpropagate g[chunk] into the weights; the graph
     is freed after each chunk.

Step 2 computes the loss in blocks of query rows as well (`objective.loss(z, block=chunk_size)`, through
`losses_fast.info_nce_blocked`): a (B, 2B) logits matrix would otherwise grow with the square of the batch
(128 MB at B = 4096 with hard negatives, its softmax and gradient as much again).
Peak memory is one chunk's activations plus one block of the loss plus the (N, d) embeddings and their
gradient, whatever N is; the price is a second forward pass of every chunk (about 1/3 more compute: forward
~1/3 of a training step) and a second pass over the logits (small next to the encoder).

The second forward pass must compute exactly what the first one did, so dropout must draw the same masks
(and any other noise the same numbers): the random generator state is saved before each chunk in pass 1
and put back before the same chunk in pass 3 (`replay_rng`; torch's CPU generator, and CUDA's when on a GPU).

An objective usable here has three pieces (UnsupervisedSimCSE and SupervisedSimCSE in minisent.training.simcse):
    objective.texts(batch) -> list (N,)              everything the encoder embeds for this batch
    objective.embed_texts(model, texts) -> (n, d)    differentiable embeddings of some of those texts
    objective.loss(z, block=None) -> (loss, metrics) from all N embeddings (in their order); with `block`,
                                                     computed that many query rows at a time (same value and gradient)
and `objective(model, batch)` is loss(embed_texts(model, texts(batch))): the plain full-batch step.
"""
from __future__ import annotations

from contextlib import nullcontext
from typing import Callable

import torch


def rng_state(device: torch.device) -> dict:
    """The random generator states a forward pass on `device` draws from (dropout masks, noise)."""
    state = {"cpu": torch.get_rng_state()}
    if device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state(device)
    return state


def set_rng_state(state: dict, device: torch.device) -> None:
    torch.set_rng_state(state["cpu"])
    if "cuda" in state:
        torch.cuda.set_rng_state(state["cuda"], device)


def cached_step(model, objective, batch, chunk_size: int, *,
                backward: Callable[[torch.Tensor], None] = torch.Tensor.backward,
                autocast: Callable[[], object] = nullcontext, replay_rng: bool = True,
                by_length: bool = False) -> tuple[torch.Tensor, dict]:
    """One training step's loss AND backward pass with gradient caching; returns (loss (detached), metrics).

    After it, every parameter's .grad holds dL/dtheta for the whole batch, equal to what
    `loss, _ = objective(model, batch); loss.backward()` gives when both passes draw the same dropout masks.
    chunk_size: texts per chunk and query rows per block of the loss (the memory knob).
    backward(loss): how to backpropagate the loss (e.g. through a GradScaler: lambda t: scaler.scale(t).backward()).
    autocast(): a context for the forward passes (mixed precision).
    replay_rng=False shows what goes wrong without the replay (lesson 10).
    by_length=True (the fast path `fit` uses): chunks are cut from the texts sorted by length, so each chunk pads
    to a similar length (a chunk of random sentences pads all to its longest: up to 2x the work); z keeps the
    batch order. The gradient is the same; only which rows share a chunk (and so which dropout masks) changes.
    A DistributedDataParallel model synchronizes its gradients only after the last chunk (no_sync before).
    """
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
    device = next(model.parameters()).device
    texts = objective.texts(batch)                                            # (N,)
    order = list(range(len(texts)))
    if by_length:
        order.sort(key=lambda i: len(texts[i]))
    chunks = [order[s:s + chunk_size] for s in range(0, len(texts), chunk_size)]  # row numbers of each chunk

    # 1. embed every chunk without a graph, remembering the random state each chunk started from
    states, pieces = [], []
    with torch.no_grad(), autocast():
        for rows in chunks:
            states.append(rng_state(device))
            pieces.append(objective.embed_texts(model, [texts[i] for i in rows]))  # (c, d)
    z = torch.empty_like(torch.cat(pieces))                                   # (N, d)
    z[torch.tensor(order, device=z.device)] = torch.cat(pieces)                # back in batch order
    z = z.to(torch.promote_types(z.dtype, torch.float32)).requires_grad_()   # a float32 (or 64) leaf

    # 2. the loss of the whole batch, in blocks of query rows, backpropagated into z only: the gradient cache dL/dz
    with autocast():
        loss, metrics = objective.loss(z, block=chunk_size)
    backward(loss)
    cache = z.grad                                                            # (N, d)

    # 3. each chunk again, with a graph and the same randomness; push its cached gradient into the weights
    after = rng_state(device)  # where pass 1 left the generators: the next step goes on from there
    for k, (rows, state) in enumerate(zip(chunks, states)):
        last = k == len(chunks) - 1
        sync = model.no_sync() if hasattr(model, "no_sync") and not last else nullcontext()
        with sync:
            if replay_rng:
                set_rng_state(state, device)
            with autocast():
                zc = objective.embed_texts(model, [texts[i] for i in rows])   # (c, d), with a graph
            zc.backward(cache[rows].to(zc.dtype))  # the cache is float32, zc may be bfloat16
    set_rng_state(after, device)
    return loss.detach(), metrics
