"""Hand-written attention vs torch's fused kernel vs nn.MultiheadAttention, forward + backward.

Same weights, same inputs, same padding mask; the course's size (B=64 sentences, T=32 tokens, d=128,
4 heads) and 4x the sequence length. Target: hand <= 1.5x scaled_dot_product_attention.
"""
from __future__ import annotations

import torch
import torch.nn as nn

from benchmarks.timing import compare
from minisent.nn.transformer import MultiHeadAttention

COURSE = dict(B=64, T=32, d=128, h=4)
SIZES = [("course", COURSE), ("4x length", dict(COURSE, T=128))]


def _inputs(B, T, d, device):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(B, T, d, generator=g).to(device).requires_grad_()
    lengths = torch.randint(T // 4, T + 1, (B,), generator=g)
    mask = (torch.arange(T)[None, :] < lengths[:, None]).to(device)  # (B, T) True at real tokens
    return x, mask


def run(device: str = "cpu", quick: bool = False) -> list[dict]:
    repeats = 21 if quick else 31
    rows = []
    for label, s in SIZES:
        B, T, d, h = s["B"], s["T"], s["d"], s["h"]
        x, mask = _inputs(B, T, d, device)
        hand = MultiHeadAttention(d, h, fast=False).to(device)
        fast = MultiHeadAttention(d, h, fast=True).to(device)
        fast.load_state_dict(hand.state_dict())
        ref = nn.MultiheadAttention(d, h, batch_first=True).to(device)
        with torch.no_grad():  # same weights: qkv = in_proj, proj = out_proj
            ref.in_proj_weight.copy_(hand.qkv.weight); ref.in_proj_bias.copy_(hand.qkv.bias)
            ref.out_proj.weight.copy_(hand.proj.weight); ref.out_proj.bias.copy_(hand.proj.bias)

        def step(module, torch_mha=False):
            def go():
                x.grad = None
                if torch_mha:
                    y, _ = module(x, x, x, key_padding_mask=~mask, need_weights=False)
                else:
                    y, _ = module(x, mask)
                y.sum().backward()
            return go

        vs_sdpa = compare(step(hand), step(fast), repeats=repeats, device=device)
        vs_mha = compare(step(hand), step(ref, torch_mha=True), repeats=repeats, device=device)
        rows.append({"size": f"{label} B={B} T={T} d={d} h={h}", "hand ms": round(vs_sdpa["candidate_s"] * 1e3, 2),
                     "sdpa ms": round(vs_sdpa["reference_s"] * 1e3, 2), "hand / sdpa": round(vs_sdpa["ratio"], 2),
                     "hand / nn.MHA": round(vs_mha["ratio"], 2), "target": "<= 1.5 vs sdpa"})
    return rows


if __name__ == "__main__":
    from benchmarks.run import table
    print(table(run()))
