"""The fast path of `minisent.losses`: `info_nce_fast` is `losses.info_nce` (same arguments, same values and
gradients: tests/test_losses.py checks both in float64) computed as ONE autograd node whose backward is
derived by hand, instead of the ~12 small nodes autograd records for the readable form.

Read `losses.info_nce` first; this file is the same function after the calculus. benchmarks/bench_losses.py
times both against torch's ops (forward + backward, B = 64..256): the readable form at about 1.0-1.3x, this
one at 0.8-1.0x. The loss is ~0.3 % of a training step of the course's encoder (bench_encoder: ~130 ms per
step of 64 sentences, InfoNCE < 0.5 ms), so the course trains with the readable form; use this one where
the loss itself dominates a step (large B, a small or frozen encoder).

`info_nce_blocked` is `losses.info_nce` again (same arguments, values and gradients), computed for `block` query
rows at a time, forward and backward, so the (B, C) logits matrix, its softmax and their gradients never exist:
memory O(block x C) instead of O(B x C) (at B = 4096 with hard negatives, one (B, 2B) float32 matrix is 128 MB).
Gradient caching (`minisent.training.gradcache`) uses it, so a step's memory stays flat in the batch size.
"""
from __future__ import annotations

import math

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

from .inputs import EPS as NORM_EPS
from .losses import _check_info_nce, _f32, _reduce, logsumexp, normalize

__all__ = ["info_nce_fast", "info_nce_blocked"]


def info_nce_fast(query: Tensor, key: Tensor, temperature: float = 0.05, *, hard_negatives: Tensor | None = None,
                  hard_negative_weight: float = 0.0, symmetric: bool = False, groups=None,
                  exclude: Tensor | None = None, reduction: str = "mean", eps: float = NORM_EPS) -> Tensor:
    """`losses.info_nce`, same arguments and result, through `_CosineInfoNCE` (one node, backward by hand)."""
    mask = _check_info_nce(query, key, temperature, hard_negatives, hard_negative_weight, groups, exclude, reduction)
    B = query.shape[0]
    q, k = _f32(query), _f32(key)
    candidates = k if hard_negatives is None else torch.cat([k, _f32(hard_negatives)])    # (C, d)
    bias = None                                  # added to the logits: w on (i, B + i), -inf where masked
    if hard_negative_weight != 0 or mask is not None:
        bias = torch.zeros(B, len(candidates), device=q.device, dtype=q.dtype)
        bias[:, B:].diagonal().fill_(hard_negative_weight)
        if mask is not None:
            bias.masked_fill_(mask, -math.inf)
    mean = reduction == "mean" and not symmetric
    loss = _CosineInfoNCE.apply(q, candidates, temperature, bias, eps, mean)      # (B,) or its mean
    if symmetric:
        back = _CosineInfoNCE.apply(k, q, temperature, None if mask is None else bias[:, :B].T, eps, False)
        loss = 0.5 * (loss + back)
    return loss if mean else _reduce(loss, reduction)


class _CosineInfoNCE(torch.autograd.Function):
    """query (B, d), candidates (C, d) (candidate i is query i's positive), bias (B, C) or None -> loss (B,) or mean.

        forward:   q^, k^ = unit rows;   z = q^ k^T / temperature + bias;   loss_i = logsumexp_j z_ij - z_ii
        backward:  G = (softmax(z) - onehot) * grad_loss / temperature                      (B, C)
                   dL/dq^ = G k^,   dL/dk^ = G^T q^,   dL/dx = (dL/dx^ - x^ (x^ . dL/dx^)) / ||x||

    A query is pulled toward its positive and pushed from each candidate by the probability the softmax
    gives it; the last step drops the radial part, so points only slide along the sphere.
    """

    @staticmethod
    def forward(ctx, query, candidates, temperature, bias, eps, mean):
        B = len(query)
        x = torch.cat([query, candidates])                       # (B + C, d): normalise all at once
        norm = x.norm(dim=1, keepdim=True).clamp_min(eps)        # (B + C, 1)
        x = x / norm
        q, k = x[:B], x[B:]
        if bias is None:
            logits = (q @ k.T).mul_(1.0 / temperature)           # (B, C)
        else:
            logits = torch.addmm(bias, q, k.T, alpha=1.0 / temperature)
        row_max = logits.amax(dim=1, keepdim=True)                # (B, 1)
        exp = (logits - row_max).exp_()                           # (B, C) in [0, 1]
        sum_exp = exp.sum(dim=1, keepdim=True)                    # (B, 1) >= 1
        loss = (sum_exp.log() + row_max).squeeze(1) - logits.diagonal()   # (B,)
        ctx.save_for_backward(x, norm, exp, sum_exp)
        ctx.temperature, ctx.eps, ctx.mean = temperature, eps, mean
        return loss.mean() if mean else loss

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_loss):
        x, norm, exp, sum_exp = ctx.saved_tensors
        B = len(exp)
        scale = grad_loss * (1.0 / ctx.temperature)
        scale = (scale / B).expand(B) if ctx.mean else scale      # (B,) upstream gradient per row
        G = exp * (scale[:, None] / sum_exp)                      # softmax * scale
        G.diagonal().sub_(scale)                                  # minus the one-hot at (i, i)
        grad = torch.empty_like(x)                                # (B + C, d) w.r.t. the unit rows
        torch.mm(G, x[B:], out=grad[:B])
        torch.mm(G.T, x[:B], out=grad[B:])
        radial = x * (x * grad).sum(1, keepdim=True)              # the part along x^ (none below eps)
        grad = (grad - radial * (norm > ctx.eps)) / norm
        return grad[:B], grad[B:], None, None, None, None


# ----------------------------------------------------------------------------- InfoNCE in blocks of query rows
def info_nce_blocked(query: Tensor, key: Tensor, temperature: float = 0.05, *, hard_negatives: Tensor | None = None,
                     hard_negative_weight: float = 0.0, symmetric: bool = False, groups=None,
                     exclude: Tensor | None = None, reduction: str = "mean", eps: float = NORM_EPS,
                     block: int = 256) -> Tensor:
    """`losses.info_nce`, same arguments and result, `block` query rows at a time: no (B, C) matrix is ever made.

    Row i's loss needs only row i of the logits: logsumexp_j s_ij - s_ii. So the rows are taken in blocks of
    `block`; each block makes its (block, C) logits, its losses, and is freed. Backward does the same again:
    each block's logits are recomputed with a graph and its share of the gradient is added into dL/dq, dL/dk,
    dL/dh (each (B, d)), then that graph is freed. Memory: O(B d + block C); compute: the logits twice.
    (groups / exclude still build their (B, C) bool mask whole: 1 byte an entry; SimCSE uses neither.)
    """
    mask = _check_info_nce(query, key, temperature, hard_negatives, hard_negative_weight, groups, exclude, reduction)
    if not (isinstance(block, int) and block >= 1):
        raise ValueError(f"block must be an int >= 1 (query rows per block), got {block!r}")
    B = query.shape[0]
    q, k = normalize(_f32(query), eps), normalize(_f32(key), eps)            # (B, d) unit rows
    h = None if hard_negatives is None else normalize(_f32(hard_negatives), eps)
    loss = _InfoNCERowBlocks.apply(q, k, h, temperature, hard_negative_weight, mask, block)      # (B,)
    if symmetric:  # the keys classify the queries: the same function with the roles swapped, no hard negatives
        back_mask = None if mask is None else mask[:, :B].T
        loss = 0.5 * (loss + _InfoNCERowBlocks.apply(k, q, None, temperature, 0.0, back_mask, block))
    return _reduce(loss, reduction)


def _block_losses(q: Tensor, k: Tensor, h: Tensor | None, start: int, temperature: float, weight: float,
                  mask: Tensor | None) -> Tensor:
    """info_nce's formula for b query rows: q (b, d) are the unit rows start .. start + b - 1 of the batch;
    k, h (B, d) all unit keys and hard negatives; mask (B, C) or None. -> loss of each row (b,)."""
    b = len(q)
    i = torch.arange(b, device=q.device)
    logits = q @ k.T / temperature                                          # (b, B): row i's positive at start + i
    if h is not None:
        own = torch.zeros(b, len(h), dtype=q.dtype, device=q.device)
        own[i, start + i] = weight                                          # w on each row's own hard negative
        logits = torch.cat([logits, q @ h.T / temperature + own], dim=1)    # (b, 2B)
    if mask is not None:
        logits = logits.masked_fill(mask[start:start + b], -math.inf)
    return logsumexp(logits, dim=1) - logits[i, start + i]                  # (b,)


class _InfoNCERowBlocks(torch.autograd.Function):
    """Unit rows q, k (B, d), h (B, d) or None -> per-row InfoNCE losses (B,), block by block (see info_nce_blocked).

    forward keeps only q, k, h; backward recomputes each block with a graph, as info_nce_blocked describes.
    """

    @staticmethod
    def forward(ctx, q, k, h, temperature, weight, mask, block):
        ctx.save_for_backward(q, k, h)
        ctx.options = (temperature, weight, mask, block)
        loss = q.new_empty(len(q))                                          # (B,)
        for s in range(0, len(q), block):
            loss[s:s + block] = _block_losses(q[s:s + block], k, h, s, temperature, weight, mask)
        return loss

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_loss):                                           # grad_loss (B,)
        temperature, weight, mask, block = ctx.options
        q, k, h = ctx.saved_tensors
        k, h = k.detach().requires_grad_(), None if h is None else h.detach().requires_grad_()
        grad_q, grad_k = torch.zeros_like(q), torch.zeros_like(k)          # the gradient buffers, (B, d) each
        grad_h = None if h is None else torch.zeros_like(h)
        for s in range(0, len(q), block):
            qb = q[s:s + block].detach().requires_grad_()                   # (b, d): this block's query rows
            with torch.enable_grad():
                losses = _block_losses(qb, k, h, s, temperature, weight, mask)  # (b,), with a graph
                grads = torch.autograd.grad(losses, [qb, k] + ([h] if h is not None else []), grad_loss[s:s + block])
            grad_q[s:s + block] = grads[0]                                  # the block's rows: theirs alone
            grad_k += grads[1]                                              # every key: a share from every block
            if h is not None:
                grad_h += grads[2]
        return grad_q, grad_k, grad_h, None, None, None, None
