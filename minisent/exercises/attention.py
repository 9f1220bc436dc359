"""Lesson 03: masked scaled dot-product attention, checked against minisent.nn.transformer.attention.

    def my_attention(q, k, v, mask):
        # q, k, v: (B, h, T, dh) tensors; mask: (B, T) bool, True = a real token that may be looked at
        # (or None: look everywhere) -> softmax(q k^T / sqrt(dh), masked keys -inf) v : (B, h, T, dh)
        # (returning (out, weights) is fine too)
    check_attention(my_attention)
"""
from __future__ import annotations

import torch

from ..nn.transformer import attention
from ._check import call, compare, compare_gradients, run_checker


def _first(x):
    return x[0] if isinstance(x, (tuple, list)) else x


def _mistakes(q, k, v, mask):
    dh = q.shape[-1]
    scores = q @ k.transpose(-2, -1) / dh ** 0.5
    if mask is not None:
        masked = scores.masked_fill(~mask[:, None, None, :], float("-inf"))
        on_queries = scores.masked_fill(~mask[:, None, :, None], float("-inf"))
    else:
        masked = on_queries = scores
    return {"forget the padding mask": scores.softmax(-1) @ v,
            "forget to divide the scores by sqrt(dh)": (masked * dh ** 0.5).softmax(-1) @ v,
            "take the softmax over the queries (dim=-2) instead of the keys": masked.softmax(-2) @ v,
            "mask the queries instead of the keys": on_queries.softmax(-1).nan_to_num(0.0) @ v}


def check_attention(student, quiet: bool = False) -> str:
    """Values on random input without a mask, with right padding, on a batch of one; gradients with padding."""
    g = torch.Generator().manual_seed(0)

    def rand(*shape):
        return torch.randn(*shape, generator=g, dtype=torch.float64)

    B, h, T, dh = 3, 2, 5, 4
    q, k, v = rand(B, h, T, dh), rand(B, h, T, dh), rand(B, h, T, dh)
    lengths = torch.tensor([5, 3, 1])                      # row 0 full, row 2 one real token
    mask = torch.arange(T)[None] < lengths[:, None]        # (B, T) right padding
    cases = [(q, k, v, None, "without a mask"), (q, k, v, mask, "with padding (mask lengths 5, 3, 1)"),
             (q[:1, :1], k[:1, :1], v[:1, :1], mask[1:2], "on a batch of one with padding")]

    def body():
        for qq, kk, vv, m, case in cases:
            got = _first(call(student, qq.clone(), kk.clone(), vv.clone(), None if m is None else m.clone()))
            compare("the attention output", got, attention(qq, kk, vv, m)[0], case, atol=1e-8,
                    mistakes=_mistakes(qq, kk, vv, m))
        compare_gradients("the attention output", lambda a, b, c: _first(call(student, a, b, c, mask.clone())),
                          lambda a, b, c: attention(a, b, c, mask)[0], {"q": q, "k": k, "v": v},
                          "with padding")
    return run_checker("attention", body, quiet)
