"""The fast path of `minisent.losses`: `info_nce_fast` is `losses.info_nce` (same arguments, same values and
gradients: tests/test_losses.py checks both in float64) computed as ONE autograd node whose backward is
derived by hand, instead of the ~12 small nodes autograd records for the readable form.

Read `losses.info_nce` first; this file is the same function after the calculus. benchmarks/bench_losses.py
times both against torch's ops (forward + backward, B = 64..256): the readable form at about 1.0-1.3x, this
one at 0.8-1.0x. The loss is ~0.3 % of a training step of the course's encoder (bench_encoder: ~130 ms per
step of 64 sentences, InfoNCE < 0.5 ms), so the course trains with the readable form; use this one where
the loss itself dominates a step (large B, a small or frozen encoder).
"""
from __future__ import annotations

import math

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

from .inputs import EPS as NORM_EPS
from .losses import _check_info_nce, _f32, _reduce

__all__ = ["info_nce_fast"]


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
