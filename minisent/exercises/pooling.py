"""Lesson 04: masked mean pooling and attention pooling, checked against minisent.nn.pooling.

    def my_mean_pool(hidden, mask):              # (B, T, d), (B, T) bool -> (B, d), mean over real tokens only
    def my_attention_pool(hidden, mask, query):  # + query (d,) -> (B, d) = sum_t a_t h_t,
                                                 #   a = softmax over real tokens of h_t . query / sqrt(d)
    check_mean_pool(my_mean_pool); check_attention_pool(my_attention_pool)

Lesson 11: the poolings of a causal (GPT-style) model, right padding (real tokens first):

    def my_last_token_pool(hidden, mask):             # (B, T, d), (B, T) bool -> (B, d): each row's last real token
    def my_position_weighted_pool(hidden, mask):      # (B, T, d), (B, T) bool -> (B, d) = sum_t w_t h_t / sum_t w_t,
                                                      #   w_t = t for the t-th real token (1, 2, ..., n), 0 at padding
    check_last_token_pool(my_last_token_pool); check_position_weighted_pool(my_position_weighted_pool)
"""
from __future__ import annotations

import math

import torch

from ..nn.pooling import attention_pool, last_token_pool, mean_pool, position_weighted_mean_pool
from ._check import call, compare, compare_gradients, run_checker


def _inputs():
    g = torch.Generator().manual_seed(0)
    B, T, d = 3, 6, 4
    hidden = torch.randn(B, T, d, generator=g, dtype=torch.float64)
    hidden[1, 4:] = 5.0                                   # loud padding: forgetting the mask shows
    lengths = torch.tensor([6, 4, 1])
    mask = torch.arange(T)[None] < lengths[:, None]       # (B, T)
    query = torch.randn(d, generator=g, dtype=torch.float64)
    return hidden, mask, query


def _cases(hidden, mask):
    full = torch.ones_like(mask)
    return [(hidden, full, "without padding"), (hidden, mask, "with padding (lengths 6, 4, 1)"),
            (hidden[1:2], mask[1:2], "on a batch of one with padding")]


def check_mean_pool(student, quiet: bool = False) -> str:
    """Values without padding, with padding, on a batch of one; gradients with padding."""
    hidden, mask, _ = _inputs()

    def body():
        for hid, m, case in _cases(hidden, mask):
            mf = m.to(hid.dtype).unsqueeze(-1)
            compare("the pooled vectors", call(student, hid.clone(), m.clone()), mean_pool(hid, m), case, atol=1e-8,
                    mistakes={"forget the mask (average the padding too)": hid.mean(1),
                              "zero the padding but divide by the full length T": (hid * mf).sum(1) / hid.shape[1],
                              "sum instead of averaging": (hid * mf).sum(1)})
        compare_gradients("the pooled vectors", lambda x: call(student, x, mask.clone()),
                          lambda x: mean_pool(x, mask), {"hidden": hidden}, "with padding")
    return run_checker("mean_pool", body, quiet)


def check_attention_pool(student, quiet: bool = False) -> str:
    """Values with a zero query (= mean pooling), a random query, padding, a batch of one; gradients for
    hidden and query."""
    hidden, mask, query = _inputs()

    def mistakes(hid, m, q):
        scores = hid @ q
        mask_inf = lambda s: s.masked_fill(~m, float("-inf"))
        pool = lambda a: (a.unsqueeze(-1) * hid).sum(1)
        return {"forget the padding mask": pool((scores / math.sqrt(hid.shape[-1])).softmax(1)),
                "forget to divide the scores by sqrt(d)": pool(mask_inf(scores).softmax(1)),
                "ignore the query (that is mean pooling)": mean_pool(hid, m),
                "take the softmax over the wrong dimension": pool(mask_inf(scores / math.sqrt(hid.shape[-1]))
                                                                  .softmax(0).nan_to_num(0.0))}

    def body():
        for q, qcase in [(torch.zeros_like(query), "with a zero query"), (query, "with a random query")]:
            for hid, m, case in _cases(hidden, mask):
                compare("the pooled vectors", call(student, hid.clone(), m.clone(), q.clone()),
                        attention_pool(hid, m, q), f"{qcase} {case}", atol=1e-8, mistakes=mistakes(hid, m, q))
        compare_gradients("the pooled vectors", lambda x, q: call(student, x, mask.clone(), q),
                          lambda x, q: attention_pool(x, mask, q), {"hidden": hidden, "query": query * 3},
                          "with padding")
    return run_checker("attention_pool", body, quiet)


def check_last_token_pool(student, quiet: bool = False) -> str:
    """Values without padding, with right padding, on a batch of one; gradients with padding."""
    hidden, mask, _ = _inputs()

    def body():
        for hid, m, case in _cases(hidden, mask):
            rows, n = torch.arange(len(hid)), m.sum(1)                 # (B,), (B,) real tokens per row
            compare("the pooled vectors", call(student, hid.clone(), m.clone()), last_token_pool(hid, m), case,
                    atol=1e-8,
                    mistakes={"take position -1, a padding token in a padded row": hid[:, -1],
                              "take the first token ([CLS]) instead of the last": hid[:, 0],
                              "take the token before the last one (off by one)": hid[rows, (n - 2).clamp(min=0)]})
        compare_gradients("the pooled vectors", lambda x: call(student, x, mask.clone()),
                          lambda x: last_token_pool(x, mask), {"hidden": hidden}, "with padding")
    return run_checker("last_token_pool", body, quiet)


def check_position_weighted_pool(student, quiet: bool = False) -> str:
    """Values without padding, with right padding, on a batch of one; gradients with padding."""
    hidden, mask, _ = _inputs()

    def body():
        for hid, m, case in _cases(hidden, mask):
            mf = m.to(hid.dtype)                                        # (B, T)
            t = torch.arange(1, hid.shape[1] + 1, dtype=hid.dtype)      # (T,) 1, 2, ..., T
            w = t * mf                                                  # (B, T) the right weights
            compare("the pooled vectors", call(student, hid.clone(), m.clone()),
                    position_weighted_mean_pool(hid, m), case, atol=1e-8,
                    mistakes={"count positions from 0 (the first token gets weight 0)":
                                  ((w - mf)[..., None] * hid).sum(1) / (w - mf).sum(1, keepdim=True),
                              "forget the mask (weight the padding too)": (t[:, None] * hid).sum(1) / t.sum(),
                              "forget to divide by the sum of the weights": (w[..., None] * hid).sum(1),
                              "weigh every token the same (that is mean pooling)": mean_pool(hid, m)})
        compare_gradients("the pooled vectors", lambda x: call(student, x, mask.clone()),
                          lambda x: position_weighted_mean_pool(x, mask), {"hidden": hidden}, "with padding")
    return run_checker("position_weighted_pool", body, quiet)
