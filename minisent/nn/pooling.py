"""Pooling: one vector per token (B, T, d) -> one vector per sentence (B, d).

    cls         the vector at position 0 (the [CLS] token), as BERT does
    mean        the average over real tokens
    max         the element-wise maximum over real tokens
    last_token  the vector at the last real token (what a causal / GPT-style model must use,
                since only its last token has seen the whole sentence)
    position_weighted_mean  SGPT's average (Muennighoff 2022) for causal models: the t-th real token
                weighs t, so later tokens, which have seen more of the sentence, count more
    attention   a learned weighted average: weights = softmax over real tokens of (h_t . q) / sqrt(d)
    weighted_mean  a fixed weighted average: each token id has a weight w (rare tokens count more), e.g.
                SIF's (`sif_token_weights`), as sentence-transformers' WeightedMean does; saved with the encoder

Every one is mask-aware: `mask` (B, T) is True at real tokens, and padding never changes a pooled
vector, so a sentence gets the same embedding whatever batch it is in.

    pool("mean", hidden, mask)                      # functional, for the parameter-free ones
    AttentionPooling(d)(hidden, mask)               # attention pooling owns a learned query
    Pooling("attention", d)(hidden, mask)           # one module for any of them (what encoders hold)
    Pooling("weighted_mean", vocab_size=V)(hidden, mask, input_ids)   # needs the token ids
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn

from ..text.tokenize import CLS_ID, MASK_ID, PAD_ID, SEP_ID

POOLINGS = ("cls", "mean", "max", "last_token", "position_weighted_mean", "attention", "weighted_mean")


def _check(hidden: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    if hidden.dim() != 3:
        raise ValueError(f"hidden must be (B, T, d), got shape {tuple(hidden.shape)}")
    if mask is None:
        return torch.ones(hidden.shape[:2], dtype=torch.bool, device=hidden.device)
    if mask.shape != hidden.shape[:2]:
        raise ValueError(f"mask must be (B, T) = {tuple(hidden.shape[:2])}, got {tuple(mask.shape)}")
    return mask.bool()


def cls_pool(hidden: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """(B, T, d) -> (B, d): the first token's vector (needs the [CLS] token first, i.e. right padding)."""
    _check(hidden, mask)
    return hidden[:, 0]  # (B, d)


def mean_pool(hidden: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """(B, T, d) -> (B, d): sum_t m_t h_t / sum_t m_t."""
    m = _check(hidden, mask).to(hidden.dtype).unsqueeze(-1)  # (B, T, 1): 1 real, 0 pad
    return (hidden * m).sum(1) / m.sum(1).clamp(min=1)  # (B, d)


def max_pool(hidden: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """(B, T, d) -> (B, d): per dimension, the largest value over real tokens (padding set to -inf first)."""
    m = _check(hidden, mask).unsqueeze(-1)  # (B, T, 1)
    return hidden.masked_fill(~m, float("-inf")).max(dim=1).values  # (B, d)


def last_token_pool(hidden: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """(B, T, d) -> (B, d): the vector at each row's last real token (works for left or right padding)."""
    m = _check(hidden, mask)
    T = hidden.shape[1]
    positions = torch.arange(T, device=hidden.device).expand_as(m)  # (B, T)
    last = torch.where(m, positions, -1).max(dim=1).values.clamp(min=0)  # (B,) index of the last real token
    return hidden[torch.arange(hidden.shape[0], device=hidden.device), last]  # (B, d)


def position_weighted_mean_pool(hidden: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """(B, T, d) -> (B, d) = sum_t w_t h_t / sum_t w_t with w_t = t for the t-th real token (1, 2, ..., n), 0 at padding."""
    m = _check(hidden, mask)
    rank = m.long().cumsum(dim=1)  # (B, T): 1, 2, ..., n at the real tokens (left or right padding)
    return weighted_mean_pool(hidden, m, rank)  # (B, d)


def attention_pool(hidden: torch.Tensor, mask: torch.Tensor | None, query: torch.Tensor,
                   return_weights: bool = False):
    """(B, T, d), query (d,) -> (B, d) = sum_t a_t h_t, a = softmax_t(h_t . q / sqrt(d)) over real tokens."""
    m = _check(hidden, mask)
    scores = hidden @ query / math.sqrt(hidden.shape[-1])  # (B, T)
    weights = scores.masked_fill(~m, float("-inf")).softmax(dim=1)  # (B, T), zero at padding
    pooled = (weights.unsqueeze(-1) * hidden).sum(1)  # (B, d)
    return (pooled, weights) if return_weights else pooled


class AttentionPooling(nn.Module):
    """Attention pooling with one learned query vector q (d,).

    q starts at zero, so every real token gets the same weight: an untrained attention pooling
    *is* mean pooling, and training moves the weight onto the tokens that matter.
    """

    def __init__(self, d_model: int):
        super().__init__()
        self.query = nn.Parameter(torch.zeros(d_model))

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor | None = None, return_weights: bool = False):
        return attention_pool(hidden, mask, self.query, return_weights)


def weighted_mean_pool(hidden: torch.Tensor, mask: torch.Tensor | None, weights: torch.Tensor) -> torch.Tensor:
    """(B, T, d), weights (B, T) -> (B, d) = sum_t m_t w_t h_t / sum_t m_t w_t.

    A row whose real tokens all weigh 0 pools to the zero vector."""
    m = _check(hidden, mask).to(hidden.dtype) * weights.to(hidden.dtype)  # (B, T): weight, 0 at padding
    return (hidden * m.unsqueeze(-1)).sum(1) / m.sum(1, keepdim=True).clamp(min=1e-12)  # (B, d)


def sif_token_weights(tokenizer, sentences, a: float = 1e-3) -> torch.Tensor:
    """(vocab_size,) float weights a / (a + p(token)), p = the token's share of all tokens of `sentences`
    as `tokenizer` cuts them (SIF, Arora et al. 2017; lesson 02's `sif_weight`). Tokens never seen get 1;
    [PAD], [CLS], [SEP] and [MASK] get 0 ([UNK] is counted like a word)."""
    from ..wordvec.averaging import sif_weight  # lazy: the wordvec package imports gensim (seconds)

    counts = torch.zeros(tokenizer.vocab_size, dtype=torch.float64)
    for s in sentences:
        ids = tokenizer.encode(s, add_special_tokens=False)
        counts += torch.bincount(torch.tensor(ids, dtype=torch.long), minlength=tokenizer.vocab_size).double()
    if counts.sum() == 0:
        raise ValueError("no tokens in the sentences given: cannot estimate token frequencies")
    weights = torch.from_numpy(sif_weight((counts / counts.sum()).numpy(), a)).float()  # (V,)
    weights[[PAD_ID, CLS_ID, SEP_ID, MASK_ID]] = 0.0
    return weights


_FUNCTIONS = {"cls": cls_pool, "mean": mean_pool, "max": max_pool, "last_token": last_token_pool,
              "position_weighted_mean": position_weighted_mean_pool}


def pool(name: str, hidden: torch.Tensor, mask: torch.Tensor | None = None,
         query: torch.Tensor | None = None) -> torch.Tensor:
    """Pool by name. hidden (B, T, d), mask (B, T) -> (B, d). "attention" needs its `query` (d,)."""
    if name == "attention":
        if query is None:
            raise ValueError("attention pooling has a learned query: pass query=<(d,) tensor>, "
                             "or use AttentionPooling(d) / Pooling('attention', d)")
        return attention_pool(hidden, mask, query)
    if name == "weighted_mean":
        raise ValueError("weighted_mean pooling needs a weight per token: use weighted_mean_pool(hidden, mask, "
                         "weights) or Pooling('weighted_mean', vocab_size=V)")
    if name not in _FUNCTIONS:
        raise ValueError(f"unknown pooling {name!r}; choose one of {', '.join(POOLINGS)}")
    return _FUNCTIONS[name](hidden, mask)


class Pooling(nn.Module):
    """Any pooling as a module, so an encoder can hold it (and save attention pooling's query)."""

    def __init__(self, name: str = "mean", d_model: int | None = None, vocab_size: int | None = None):
        super().__init__()
        if name not in POOLINGS:
            raise ValueError(f"unknown pooling {name!r}; choose one of {', '.join(POOLINGS)}")
        self.name = name
        if name == "attention":
            if d_model is None:
                raise ValueError("attention pooling needs d_model (the width of its query)")
            self.attention = AttentionPooling(d_model)
        if name == "weighted_mean":
            if vocab_size is None:
                raise ValueError("weighted_mean pooling needs vocab_size (one weight per token id)")
            # all ones (= mean pooling over non-special tokens) until set, e.g. with sif_token_weights
            self.register_buffer("token_weights", torch.ones(vocab_size))

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor | None = None,
                input_ids: torch.Tensor | None = None) -> torch.Tensor:
        if self.name == "attention":
            return self.attention(hidden, mask)  # (B, d)
        if self.name == "weighted_mean":
            if input_ids is None:
                raise ValueError("weighted_mean pooling needs the token ids: pooling(hidden, mask, input_ids)")
            return weighted_mean_pool(hidden, mask, self.token_weights[input_ids])  # (B, d)
        return _FUNCTIONS[self.name](hidden, mask)  # (B, d)

    def extra_repr(self) -> str:
        return repr(self.name)
