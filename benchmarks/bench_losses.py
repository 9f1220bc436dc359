"""Hand-written losses (minisent.losses) vs torch's own, forward + backward, at course sizes.

    python -m benchmarks.bench_losses            # markdown table on the default device
    python -m benchmarks.bench_losses --quick --device cpu

Each row times one training-step's worth of loss work (forward, then backward into the inputs)
for the candidate and its reference alternately (benchmarks.timing.compare) and reports the
median ratio; ratio > 1 means the hand version is slower. Rows:

  cross_entropy (logits)     losses.cross_entropy(z, t)             vs F.cross_entropy(z, t), z (B, B)
  info_nce (readable)        losses.info_nce(q, k, tau)             vs F.cross_entropy(F.normalize(q) @
                                                                       F.normalize(k).T / tau, arange)
  info_nce_fast              losses_fast.info_nce_fast(q, k, tau)   vs the same reference
  info_nce + hard negatives  readable and fast, with (B, d) hard    vs the concatenated (B, 2B) logits
                             negatives
  triplet (euclidean)        losses.triplet_loss(a, p, n)           vs F.triplet_margin_loss(a, p, n)
"""
from __future__ import annotations

import argparse

import torch
import torch.nn.functional as F

from benchmarks.timing import compare
from minisent import losses as L
from minisent.losses_fast import info_nce_fast
from minisent.device import get_device

SIZES = [(64, 64), (128, 128), (256, 256)]        # (B, d): the course's batch sizes and widths
QUICK_SIZES = [(64, 64), (256, 256)]
TAU = 0.05


def _step(loss_fn, inputs):
    """One forward + backward; gradients are cleared so nothing accumulates between calls."""
    def step():
        for x in inputs:
            x.grad = None
        loss_fn().backward()
    return step


def _cases(B: int, d: int, device):
    g = torch.Generator(device="cpu").manual_seed(B * 1000 + d)

    def leaf(*shape):
        return torch.randn(*shape, generator=g).to(device).requires_grad_()

    t = torch.arange(B, device=device)
    z = leaf(B, B)
    q, k, h = leaf(B, d), leaf(B, d), leaf(B, d)
    a, p, n = leaf(B, d), leaf(B, d), leaf(B, d)

    def ref_cosine(x, y):
        return F.normalize(x, dim=1) @ F.normalize(y, dim=1).T

    yield ("cross_entropy (logits)",
           _step(lambda: L.cross_entropy(z, t), [z]),
           _step(lambda: F.cross_entropy(z, t), [z]))
    for name, fn in (("info_nce (readable)", L.info_nce), ("info_nce_fast", info_nce_fast)):
        yield (name,
               _step(lambda fn=fn: fn(q, k, TAU), [q, k]),
               _step(lambda: F.cross_entropy(ref_cosine(q, k) / TAU, t), [q, k]))
        yield (name + " + hard negatives",
               _step(lambda fn=fn: fn(q, k, TAU, hard_negatives=h), [q, k, h]),
               _step(lambda: F.cross_entropy(torch.cat([ref_cosine(q, k), ref_cosine(q, h)], 1) / TAU, t),
                     [q, k, h]))
    yield ("triplet (euclidean)",
           _step(lambda: L.triplet_loss(a, p, n, margin=1.0), [a, p, n]),
           _step(lambda: F.triplet_margin_loss(a, p, n, margin=1.0), [a, p, n]))


def run(device="cpu", quick: bool = False, repeats: int | None = None,
        cpu_threads: int | None = 1) -> list[dict]:
    """Time every case at every size; one row per (case, size).

    Rows: {"name", "size", "ratio", "candidate_ms", "reference_ms", "device", "threads"}. quick=True uses two
    sizes and 21 repeats; otherwise 3 sizes, 61 repeats each (medians of an odd count).
    cpu_threads: on the CPU, torch's intra-op threads while timing (restored afterwards). One
    thread by default: at these sizes a second thread mostly waits for a core that other work
    on a shared laptop holds, which turns medians into noise. None keeps torch's setting.
    """
    dev = get_device(device)
    repeats = repeats or (21 if quick else 61)
    threads_before = torch.get_num_threads()
    if dev.type == "cpu" and cpu_threads:
        torch.set_num_threads(cpu_threads)
    rows = []
    try:
        for B, d in (QUICK_SIZES if quick else SIZES):
            for name, candidate, reference in _cases(B, d, dev):
                # each sample: 20 calls in a row (a call is ~0.1-3 ms: alone, mostly timer noise)
                r = compare(candidate, reference, repeats=repeats, warmup=5, device=dev, number=20)
                rows.append({"name": name, "size": f"B={B}, d={d}", "ratio": round(r["ratio"], 3),
                             "candidate_ms": round(r["candidate_s"] * 1e3, 4),
                             "reference_ms": round(r["reference_s"] * 1e3, 4), "device": dev.type,
                             "threads": torch.get_num_threads() if dev.type == "cpu" else None})
    finally:
        torch.set_num_threads(threads_before)
    return rows


def markdown(rows: list[dict]) -> str:
    lines = ["| loss (fwd+bwd) | size | ratio hand/torch | hand ms | torch ms |", "|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['name']} | {r['size']} | {r['ratio']:.2f} | {r['candidate_ms']:.3f} | "
                     f"{r['reference_ms']:.3f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default=None, help="cpu / cuda / mps (default: the best available)")
    parser.add_argument("--quick", action="store_true", help="fewer sizes and repeats")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--cpu-threads", type=int, default=1, help="0 = keep torch's setting")
    args = parser.parse_args()
    rows = run(device=args.device, quick=args.quick, repeats=args.repeats, cpu_threads=args.cpu_threads or None)
    threads = f", {rows[0]['threads']} CPU thread(s)" if rows[0]["threads"] else ""
    print(f"device: {rows[0]['device']}, torch {torch.__version__}{threads}")
    print(markdown(rows))
