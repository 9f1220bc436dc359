"""The tiny encoder as a whole: training throughput against nn.TransformerEncoder of the same size,
model FLOP utilisation against the device's measured peak matmul rate, and encode throughput + peak memory.

Both models get the same embedding, the same mean pooling and the same loss (InfoNCE between two dropout views,
as SimCSE trains); only the Transformer layers differ. Target: minisent >= 0.8x nn.TransformerEncoder.
"""
from __future__ import annotations

import resource
import sys
import time

import torch
import torch.nn as nn

from benchmarks.timing import compare, time_once
from minisent import data
from minisent.losses import info_nce
from minisent.nn.pooling import mean_pool
from minisent.nn.transformer import TransformerConfig, TransformerEncoder

CONFIG = dict(vocab_size=8000, d_model=128, n_heads=4, n_layers=2, dropout=0.1)
B, T = 64, 32


class TorchReference(nn.Module):
    """The same shapes built from torch's own layers: pre-LN, GELU, d_ff = 4d."""

    def __init__(self, c: TransformerConfig):
        super().__init__()
        self.tok_emb = nn.Embedding(c.vocab_size, c.d_model, padding_idx=0)
        self.pos_emb = nn.Embedding(c.max_len, c.d_model)
        layer = nn.TransformerEncoderLayer(c.d_model, c.n_heads, c.d_ff, c.dropout, activation="gelu",
                                           batch_first=True, norm_first=True)
        self.layers = nn.TransformerEncoder(layer, c.n_layers, enable_nested_tensor=False)
        self.ln_f = nn.LayerNorm(c.d_model)

    def forward(self, ids, mask):
        x = self.tok_emb(ids) + self.pos_emb.weight[: ids.shape[1]]
        return self.ln_f(self.layers(x, src_key_padding_mask=~mask))


def peak_matmul_flops(device, n: int = 1024, repeats: int = 10) -> float:
    a, b = torch.randn(n, n, device=device), torch.randn(n, n, device=device)
    a @ b
    best = min(time_once(lambda: a @ b, device) for _ in range(repeats))
    return 2 * n ** 3 / best


def train_flops_per_step(c: TransformerConfig) -> float:
    """~6 FLOPs per weight per token (forward 2, backward 4) + the attention score/value matmuls, x2 views."""
    per_layer = 4 * c.d_model ** 2 + 2 * c.d_model * c.d_ff  # qkv + proj + mlp weights
    dense = 6 * per_layer * c.n_layers * B * T
    attn = 6 * 2 * c.n_layers * B * T * T * c.d_model
    return 2 * (dense + attn)


def run(device: str = "cpu", quick: bool = False) -> list[dict]:
    repeats = 9 if quick else 15
    c = TransformerConfig(**CONFIG)
    torch.manual_seed(0)
    ids = torch.randint(5, c.vocab_size, (B, T), device=device)
    mask = torch.ones(B, T, dtype=torch.bool, device=device)
    mask[B // 2:, T // 2:] = False  # half the batch padded to half length

    def train_step(model, opt):
        def go():
            opt.zero_grad(set_to_none=True)
            z1, z2 = mean_pool(model(ids, mask), mask), mean_pool(model(ids, mask), mask)  # two dropout views
            info_nce(z1, z2, temperature=0.05).backward()
            opt.step()
        return go

    ours = TransformerEncoder(c).to(device).train()
    ref = TorchReference(c).to(device).train()
    r = compare(train_step(ours, torch.optim.AdamW(ours.parameters())),
                train_step(ref, torch.optim.AdamW(ref.parameters())), repeats=repeats, device=device)
    peak = peak_matmul_flops(device)
    mfu = train_flops_per_step(c) / r["candidate_s"] / peak
    rows = [{"what": f"train step (B={B}, T={T}, d={c.d_model}, L={c.n_layers}), sentences/s",
             "minisent": round(B / r["candidate_s"], 1), "torch": round(B / r["reference_s"], 1),
             "minisent / torch speed": round(1 / r["ratio"], 2), "target": ">= 0.8"},
            {"what": "model FLOP utilisation (vs measured peak matmul)", "minisent": round(mfu, 3),
             "torch": round(train_flops_per_step(c) / r["reference_s"] / peak, 3),
             "minisent / torch speed": "", "target": f"peak {peak / 1e9:.0f} GFLOP/s"}]

    # encode throughput and memory with the real tokenizer path
    from minisent.nn.encoder import SentenceEncoder
    from minisent.text.tokenize import corpus_bpe

    enc = SentenceEncoder.create(corpus_bpe(progress=False), TransformerConfig(**CONFIG), seed=0).to(device)
    sentences = data.corpus_sentences()[: 1000 if quick else 5000]
    if torch.device(device).type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    enc.encode(sentences, batch_size=128, show_progress=False)
    dt = time.perf_counter() - t0
    if torch.device(device).type == "cuda":
        mem = f"{torch.cuda.max_memory_allocated() / 2**20:.0f} MiB max allocated"
    else:
        kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        mem = f"{(kib if sys.platform != 'darwin' else kib / 1024) / 1024:.0f} MiB peak RSS (whole process)"
    rows.append({"what": f"encode {len(sentences)} sentences, sentences/s", "minisent": round(len(sentences) / dt, 1),
                 "torch": "", "minisent / torch speed": "", "target": mem})
    return rows


if __name__ == "__main__":
    from benchmarks.run import table
    print(table(run(quick="--quick" in sys.argv)))
