"""Lesson 03: masked scaled dot-product attention, checked against minisent.nn.transformer.attention.

    def my_attention(q, k, v, mask):
        # q, k, v: (B, h, T, dh) tensors; mask: (B, T) bool, True = a real token that may be looked at
        # (or None: look everywhere) -> softmax(q k^T / sqrt(dh), masked keys -inf) v : (B, h, T, dh)
        # (returning (out, weights) is fine too)
    check_attention(my_attention)

Lesson 11: the same attention with a causal mask (token i looks at keys j <= i only), checked against
attention(..., causal=True) (which the tests check against torch's scaled_dot_product_attention(is_causal=True)).

    def my_causal_attention(q, k, v, mask):
        # as above, and query i may not look at any key j > i (the future) -> (B, h, T, dh)
    check_causal_attention(my_causal_attention)
"""
from __future__ import annotations

import torch

from ..nn.transformer import attention
from ._check import Wrong, call, compare, compare_gradients, run_checker, to_numpy


def _first(x):
    return x[0] if isinstance(x, (tuple, list)) else x


def _inputs(seed: int, lengths: list[int]):
    """Random float64 q, k, v (B, h, T, dh) and a right-padding mask (B, T) with these lengths."""
    B, h, T, dh = len(lengths), 2, 5, 4
    g = torch.Generator().manual_seed(seed)
    q, k, v = (torch.randn(B, h, T, dh, generator=g, dtype=torch.float64) for _ in range(3))
    mask = torch.arange(T)[None] < torch.tensor(lengths)[:, None]        # (B, T) real tokens first
    return q, k, v, mask


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
    q, k, v, mask = _inputs(0, [5, 3, 1])                 # row 0 full, row 2 one real token
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


def _causal_mistakes(q, k, v, mask):
    dh, T = q.shape[-1], q.shape[-2]
    scores = q @ k.transpose(-2, -1) / dh ** 0.5                          # (B, h, T, T)
    keys = torch.ones(q.shape[0], T, dtype=torch.bool) if mask is None else mask
    past = torch.ones(T, T, dtype=torch.bool).tril()                      # (T, T) j <= i

    def masked(allowed):                                                  # allowed broadcasts to (B, h, T, T)
        return scores.masked_fill(~allowed, float("-inf")).softmax(-1) @ v
    return {"forget the causal mask (every token sees the future)": attention(q, k, v, mask)[0],
            "mask the past instead of the future (triu where tril belongs)": masked(keys[:, None, None, :] & past.T),
            "hide each token from itself too (the diagonal belongs to the past)":
                masked(keys[:, None, None, :] & past.tril(-1)),
            "forget the padding mask": masked(past),
            "forget to divide the scores by sqrt(dh)": attention(q * dh ** 0.5, k, v, mask, causal=True)[0]}


def check_causal_attention(student, quiet: bool = False) -> str:
    """Values without a mask, with right and with left padding, on a batch of one (compared at the real
    queries: a padding query's row means nothing); gradients with right padding."""
    q, k, v, right = _inputs(1, [5, 3, 2])                               # (B, T) real tokens first
    left = right.flip(1)                                                  # (B, T) padding first
    cases = [(q, k, v, None, "without a mask"), (q, k, v, right, "with right padding (lengths 5, 3, 2)"),
             (q, k, v, left, "with left padding (lengths 5, 3, 2)"),
             (q[1:2], k[1:2], v[1:2], right[1:2], "on a batch of one with padding")]

    def real_queries(out, m):                                             # (B, h, T, dh) -> (n_real, h, dh)
        return out if m is None else out.transpose(1, 2)[m]

    def body():
        for qq, kk, vv, m, case in cases:
            got = _first(call(student, qq.clone(), kk.clone(), vv.clone(), None if m is None else m.clone()))
            expected = attention(qq, kk, vv, m, causal=True)[0]
            try:
                got = torch.as_tensor(to_numpy(got))
            except (TypeError, ValueError):
                raise Wrong(f"the causal attention output {case} should be a tensor, got {type(got).__name__}.") \
                    from None
            if got.shape != expected.shape:                               # says "wrong shape ..."
                compare("the causal attention output", got, expected, case)
            where = case if m is None else f"{case}, rows of the real queries only,"
            compare("the causal attention output", real_queries(got, m), real_queries(expected, m), where, atol=1e-8,
                    mistakes={d: real_queries(w, m) for d, w in _causal_mistakes(qq, kk, vv, m).items()})
        compare_gradients("the causal attention output",
                          lambda a, b, c: _first(call(student, a, b, c, right.clone())),
                          lambda a, b, c: attention(a, b, c, right, causal=True)[0], {"q": q, "k": k, "v": v},
                          "with right padding")
    return run_checker("causal_attention", body, quiet)
