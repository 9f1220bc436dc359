"""A tiny Transformer encoder, written out so every tensor can be followed.

    ids (B, T) --token embedding + position--> x (B, T, d)
      --> n_layers x Block:  x = x + Attention(LayerNorm(x))      tokens look at each other
                             x = x + MLP(LayerNorm(x))            each token thinks alone
      --> LayerNorm --> hidden (B, T, d)    one vector per token; pooling turns them into one

That is the course's default (pre-LayerNorm, as GPT-2). BERT-style models (lesson 13 loads one) are
the same code with `TransformerConfig(norm="post", type_vocab_size=2, layer_norm_eps=1e-12)`:

    ids --token + position + token-type embedding--> LayerNorm --> x
      --> n_layers x Block:  x = LayerNorm(x + Attention(x))
                             x = LayerNorm(x + MLP(x))       --> hidden (no final LayerNorm)

Shapes: B batch, T tokens, d = d_model, h heads, dh = d / h per head.

Attention (Vaswani et al., 2017), per head:

    Attention(Q, K, V) = softmax(Q K^T / sqrt(dh) + M) V

with M = -inf where a query may not look (padding keys; future keys when causal), else 0.
`attention()` is that formula in four lines; `MultiHeadAttention(fast=True)` swaps it for
`torch.nn.functional.scaled_dot_product_attention` (same numbers, fused kernel, no weights).

Masks: `attention_mask` is (B, T) bool, True at real tokens, False at [PAD] (the tokenizer's
convention). Padding is masked as *keys* only: every query still has at least its own [CLS] to
look at, and what padded query rows compute is ignored by pooling.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class TransformerConfig:
    vocab_size: int = 8000
    max_len: int = 256          # longest sequence (positions); the encoder truncates longer input
    d_model: int = 128          # d
    n_heads: int = 4            # h  (d_model must be divisible by it)
    n_layers: int = 2
    d_ff: int | None = None     # MLP hidden width; None -> 4 d (the usual choice)
    dropout: float = 0.1        # on embeddings, attention weights and both residual branches
    positions: str = "learned"  # "learned" (a trained table) or "sinusoidal" (fixed, Vaswani et al.)
    causal: bool = False        # True: token t sees only tokens <= t (a decoder / GPT-style mask)
    fast_attention: bool = False  # True: use torch's fused scaled_dot_product_attention
    pad_id: int = 0
    norm: str = "pre"           # "pre": x + f(LN(x)), final LN (GPT-2); "post": LN(x + f(x)), LN on the embeddings (BERT)
    type_vocab_size: int = 0    # > 0: BERT's token-type (segment) embeddings, all type 0 (one sentence)
    layer_norm_eps: float = 1e-5  # every LayerNorm's epsilon (torch's default; BERT uses 1e-12)

    def __post_init__(self):
        if self.d_ff is None:
            self.d_ff = 4 * self.d_model
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model={self.d_model} must be divisible by n_heads={self.n_heads}")
        if self.positions not in ("learned", "sinusoidal"):
            raise ValueError(f"positions must be 'learned' or 'sinusoidal', got {self.positions!r}")
        if self.norm not in ("pre", "post"):
            raise ValueError(f"norm must be 'pre' or 'post', got {self.norm!r}")

    def to_dict(self) -> dict:
        return asdict(self)


# ------------------------------------------------------------------------------- attention
def causal_mask(T: int, device=None) -> torch.Tensor:
    """(T, T) bool, True where query i may look at key j, i.e. j <= i (lower triangle)."""
    return torch.ones(T, T, dtype=torch.bool, device=device).tril()


def attention_bias(mask: torch.Tensor | None, causal: bool, T: int, dtype: torch.dtype,
                   device=None) -> torch.Tensor | None:
    """The M of softmax(QK^T / sqrt(dh) + M): 0 where a query may look, -inf where it may not.

    mask: (B, T) bool key mask (True = real token). Returns None (nothing masked), or a tensor that
    broadcasts against the (B, h, T, T) scores: (B, 1, 1, T), (T, T) or (B, 1, T, T).
    """
    allowed = None if mask is None else mask[:, None, None, :]  # (B, 1, 1, T): no query looks at [PAD]
    if causal:
        future_ok = causal_mask(T, device)  # (T, T): nor into the future
        allowed = future_ok if allowed is None else allowed & future_ok  # (B, 1, T, T)
    if allowed is None:
        return None
    return torch.zeros(allowed.shape, dtype=dtype, device=device).masked_fill(~allowed, float("-inf"))


def attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None = None,
              causal: bool = False, dropout_p: float = 0.0) -> tuple[torch.Tensor, torch.Tensor]:
    """Scaled dot-product attention, by hand: softmax(Q K^T / sqrt(dh) + M) V.

    q, k, v: (B, h, T, dh); mask: (B, T) bool key mask (True = may be looked at), or None.
    Returns out (B, h, T, dh) and the attention weights (B, h, T, T), each row summing to 1.
    """
    B, h, T, dh = q.shape
    scores = (q * dh ** -0.5) @ k.transpose(-2, -1)  # (B, h, T, T): scores[.., i, j] = q_i . k_j / sqrt(dh)
    M = attention_bias(mask, causal, T, scores.dtype, q.device)  # broadcasts to (B, h, T, T), or None
    if M is not None:
        scores = scores + M  # -inf where not allowed: those weights become exactly 0
    weights = scores.softmax(dim=-1)  # (B, h, T, T)
    if dropout_p > 0:
        weights = F.dropout(weights, dropout_p)  # drop whole "looks" at random (training only)
    return weights @ v, weights  # (B, h, T, T) @ (B, h, T, dh) -> (B, h, T, dh)


class MultiHeadAttention(nn.Module):
    """h attention heads side by side, each on its own dh = d/h slice of the model width.

    One fused Linear makes q, k and v at once (one matmul instead of three), and the heads are
    a tensor dimension, not a python loop. Weight layout matches nn.MultiheadAttention:
    qkv.weight = in_proj_weight (3d, d) stacked [W_q; W_k; W_v], proj = out_proj.
    """

    def __init__(self, d_model: int, n_heads: int, dropout: float = 0.0, fast: bool = False):
        super().__init__()
        if d_model % n_heads:
            raise ValueError(f"d_model={d_model} must be divisible by n_heads={n_heads}")
        self.n_heads, self.d_head = n_heads, d_model // n_heads
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)
        self.dropout = dropout
        self.fast = fast

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None, causal: bool = False,
                need_weights: bool = False) -> tuple[torch.Tensor, torch.Tensor | None]:
        """x: (B, T, d), mask: (B, T) bool -> y (B, T, d), weights (B, h, T, T) or None."""
        B, T, d = x.shape
        h, dh = self.n_heads, self.d_head
        q, k, v = self.qkv(x).split(d, dim=2)  # 3 x (B, T, d)
        q = q.view(B, T, h, dh).transpose(1, 2)  # (B, h, T, dh)
        k = k.view(B, T, h, dh).transpose(1, 2)  # (B, h, T, dh)
        v = v.view(B, T, h, dh).transpose(1, 2)  # (B, h, T, dh)
        p = self.dropout if self.training else 0.0
        if self.fast and not need_weights:
            allowed = None if mask is None else mask[:, None, None, :]  # (B, 1, 1, T): broadcast over heads, queries
            if causal and allowed is not None:
                allowed = allowed & causal_mask(T, x.device)  # (B, 1, T, T)
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed, dropout_p=p,
                                                 is_causal=causal and allowed is None)  # (B, h, T, dh)
            weights = None
        else:
            out, weights = attention(q, k, v, mask, causal, p)  # (B, h, T, dh), (B, h, T, T)
        y = out.transpose(1, 2).reshape(B, T, d)  # (B, T, h, dh) -> (B, T, d): heads side by side again
        return self.proj(y), (weights if need_weights else None)  # (B, T, d)


# ----------------------------------------------------------------------------------- block
class MLP(nn.Module):
    """Position-wise feed-forward: Linear(d -> d_ff), GELU, Linear(d_ff -> d). Same for every token.

    GELU is the exact one, x * Phi(x) with the normal CDF Phi (erf), as in BERT, not the tanh approximation.
    """

    def __init__(self, d_model: int, d_ff: int):
        super().__init__()
        self.fc = nn.Linear(d_model, d_ff)
        self.proj = nn.Linear(d_ff, d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(F.gelu(self.fc(x)))  # (B, T, d) -> (B, T, d_ff) -> (B, T, d)


class Block(nn.Module):
    """Pre-LayerNorm Transformer block (as in GPT-2):

        x = x + Dropout(Attention(LN(x)))
        x = x + Dropout(MLP(LN(x)))

    Normalizing *before* each branch leaves the residual path x an untouched sum, which keeps
    gradients healthy without the careful warm-up the original post-LN block needed.
    post_norm=True is that original block (Vaswani et al. 2017, BERT): x = LN(x + Dropout(f(x))) per branch.
    """

    def __init__(self, d_model: int, n_heads: int, d_ff: int, dropout: float = 0.0, fast: bool = False,
                 post_norm: bool = False, eps: float = 1e-5):
        super().__init__()
        self.ln1 = nn.LayerNorm(d_model, eps=eps)
        self.attn = MultiHeadAttention(d_model, n_heads, dropout, fast)
        self.ln2 = nn.LayerNorm(d_model, eps=eps)
        self.mlp = MLP(d_model, d_ff)
        self.drop = nn.Dropout(dropout)
        self.post_norm = post_norm

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None, causal: bool = False,
                need_weights: bool = False) -> tuple[torch.Tensor, torch.Tensor | None]:
        if self.post_norm:
            a, weights = self.attn(x, mask, causal, need_weights)  # (B, T, d), (B, h, T, T) | None
            x = self.ln1(x + self.drop(a))
            x = self.ln2(x + self.drop(self.mlp(x)))
            return x, weights  # (B, T, d)
        a, weights = self.attn(self.ln1(x), mask, causal, need_weights)  # (B, T, d), (B, h, T, T) | None
        x = x + self.drop(a)
        x = x + self.drop(self.mlp(self.ln2(x)))
        return x, weights  # (B, T, d)


# ------------------------------------------------------------------------------- positions
def sinusoidal_positions(max_len: int, d_model: int) -> torch.Tensor:
    """(max_len, d) table: PE[t, 2i] = sin(t / 10000^(2i/d)), PE[t, 2i+1] = cos(same).

    Each pair of dimensions is a clock at its own frequency; any shift of t is a rotation,
    so relative positions are easy to read off with a linear map.
    """
    t = torch.arange(max_len, dtype=torch.float32)[:, None]  # (T, 1)
    freq = torch.exp(-math.log(10000.0) * torch.arange(0, d_model, 2, dtype=torch.float32) / d_model)  # (d/2,)
    pe = torch.zeros(max_len, d_model)
    pe[:, 0::2] = torch.sin(t * freq)  # (T, d/2)
    pe[:, 1::2] = torch.cos(t * freq)[:, : d_model // 2]  # (T, d/2) (odd d: one column fewer)
    return pe


# --------------------------------------------------------------------------------- encoder
class TransformerEncoder(nn.Module):
    """Token ids -> one contextual vector per token.

    forward(input_ids (B, T), attention_mask (B, T) bool) -> hidden (B, T, d)
    forward(..., return_attention=True) -> (hidden, [weights (B, h, T, T) per layer])
    """

    def __init__(self, config: TransformerConfig):
        super().__init__()
        self.config = c = replace(config)  # a private copy: set_dropout / set_fast_attention change it
        self.tok_emb = nn.Embedding(c.vocab_size, c.d_model, padding_idx=c.pad_id)
        if c.positions == "learned":
            self.pos_emb = nn.Embedding(c.max_len, c.d_model)
        else:
            # fixed, not trained; scaled to the size of the (small) token embeddings
            self.register_buffer("pos_table", 0.02 * sinusoidal_positions(c.max_len, c.d_model), persistent=False)
        if c.type_vocab_size > 0:
            self.type_emb = nn.Embedding(c.type_vocab_size, c.d_model)
        post = c.norm == "post"
        if post:  # BERT normalizes the summed embeddings; each block then ends with its own LayerNorm
            self.ln_emb = nn.LayerNorm(c.d_model, eps=c.layer_norm_eps)
        self.drop = nn.Dropout(c.dropout)
        self.blocks = nn.ModuleList(Block(c.d_model, c.n_heads, c.d_ff, c.dropout, c.fast_attention,
                                          post, c.layer_norm_eps)
                                    for _ in range(c.n_layers))
        self.ln_f = nn.Identity() if post else nn.LayerNorm(c.d_model, eps=c.layer_norm_eps)
        self.apply(self._init_weights)
        # GPT-2: shrink the residual branch outputs so the residual sum does not grow with depth
        for name, p in self.named_parameters():
            if name.endswith("attn.proj.weight") or name.endswith("mlp.proj.weight"):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * c.n_layers))

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        # small init (std 0.02, as BERT and GPT-2): with nn.Embedding's default N(0, 1) a tied
        # output layer would start with logits of size sqrt(d) and a loss far above ln(V)
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.padding_idx is not None:
                with torch.no_grad():
                    module.weight[module.padding_idx].zero_()

    def set_fast_attention(self, fast: bool = True) -> "TransformerEncoder":
        """Switch every block between the hand-written attention and torch's fused kernel."""
        self.config.fast_attention = fast
        for block in self.blocks:
            block.attn.fast = fast
        return self

    def set_dropout(self, p: float) -> "TransformerEncoder":
        """Change every dropout rate in place (e.g. SimCSE turns dropout on for a model pretrained without)."""
        self.config.dropout = p
        for module in self.modules():
            if isinstance(module, nn.Dropout):
                module.p = p
            elif isinstance(module, MultiHeadAttention):
                module.dropout = p
        return self

    def embed(self, input_ids: torch.Tensor) -> torch.Tensor:
        """(B, T) ids -> (B, T, d): token embedding + position embedding (+ token type, LayerNorm if configured)."""
        T = input_ids.shape[1]
        if T > self.config.max_len:
            raise ValueError(f"sequence length {T} > max_len={self.config.max_len}; truncate the input "
                             f"(the tokenizer's max_length) or build the model with a larger max_len")
        pos = self.pos_emb.weight[:T] if self.config.positions == "learned" else self.pos_table[:T]  # (T, d)
        x = self.tok_emb(input_ids) + pos  # (B, T, d) + (T, d) -> (B, T, d)
        if self.config.type_vocab_size > 0:
            x = x + self.type_emb(torch.zeros_like(input_ids))  # one sentence: every token is type 0
        if self.config.norm == "post":
            x = self.ln_emb(x)
        return x  # (B, T, d)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None,
                return_attention: bool = False):
        if attention_mask is not None:
            attention_mask = attention_mask.bool()
        x = self.drop(self.embed(input_ids))  # (B, T, d)
        maps = []
        for block in self.blocks:
            x, w = block(x, attention_mask, self.config.causal, need_weights=return_attention)  # (B, T, d)
            maps.append(w)
        x = self.ln_f(x)  # (B, T, d) (identity for norm="post": every block already ended with one)
        return (x, maps) if return_attention else x
