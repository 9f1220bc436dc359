"""Scaling contrastive training on the CPU: gradient caching and 2-process DDP (lesson 10, minisent.training.gradcache,
minisent.training.distributed).

    python -m benchmarks.bench_scaling [--quick]

Rows:
  step time, cached / plain    one unsupervised SimCSE step (forward, backward, AdamW) at batch 128 with gradient
                               caching (chunks of 64 texts) vs without: the price of the second forward pass
                               (interleaved, median; benchmarks/timing.compare)
  peak memory at batch B       the step's peak memory, plain and cached, B = 64 ... 4096 (how: below)
  DDP 2 processes / 1 process  seconds per step of `fit` at global batch 128, 2 gloo processes launched by torchrun
                               vs one process (CPU; both processes share the machine's cores)
On a GPU (`--gpu`, run by benchmarks/gpu_check.sh): sentences/s and peak memory of the GPU recipe's model
(simcse_cli.GPU_MODEL, batch 512) in fp32, bf16 and fp16 autocast, with torch.compile, with gradient caching at
batch 4096, and under torchrun as 1-process DDP.
Model: the course's SimCSE architecture (d=128, 2 layers, BPE, max 64 tokens), random start, dropout 0.1,
on the offline corpus. Cached memory must stay flat: at 4096 within 1.5x of batch 64.

How memory is measured on a CPU. torch has no allocation counter for the CPU (torch.cuda.max_memory_allocated is
GPU-only) and tracemalloc does not see torch's buffers, so each measurement runs in a fresh process and reads the
kernel's count: the peak resident set size (Linux VmHWM, reset to the current size by writing 5 to
/proc/self/clear_refs just before the step) minus the resident size before the step. It counts everything the
step touches: activations, gradients, logits, the optimizer's state, the tokenizer's lists.
One catch: glibc's malloc raises its mmap threshold as large blocks are freed (up to 32 MB), after which freed
tensors stay in its heap for reuse; over the ~130 chunks of a cached step at batch 4096 that heap fragments, and
the resident size then measures what the allocator keeps, not what the step needs. The memory workers therefore
run with MALLOC_MMAP_THRESHOLD_=131072 (a fixed threshold: every buffer over 128 KB is its own mapping, given back
to the kernel when freed), so the resident peak follows the memory the step really holds. The row "the same,
cached, glibc's default malloc" measures the cached step at the smallest and largest batch without it.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHUNK = 64          # texts per gradient-caching chunk
TIME_BATCH = 128    # batch of the step-time comparison (the course default)
SIZES = [64, 256, 1024, 4096]
PLAIN_MAX = 2048    # the plain step above this would need several GB (it grows linearly: see the rows below it)


def _rss_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not in /proc/self/status (Linux only)")


def _setup(batch: int, seed: int = 0):
    import torch

    from minisent.training import simcse

    torch.set_num_threads(1)
    enc = simcse.start_encoder("random", dropout=0.1, seed=seed, device="cpu", progress=False).train()
    sentences = simcse.unsup_sentences()
    batches = iter(simcse.SentenceBatches(sentences, batch, seed=seed))
    optimizer = torch.optim.AdamW(enc.parameters(), lr=1e-4)
    return enc, simcse.UnsupervisedSimCSE(0.05, max_length=64), batches, optimizer


def _step_fn(enc, objective, batches, optimizer, chunk: int | None):
    from minisent.training import gradcache

    def step():
        optimizer.zero_grad(set_to_none=True)
        batch = next(batches)
        if chunk:
            gradcache.cached_step(enc, objective, batch, chunk, by_length=True)  # as fit runs it
        else:
            loss, _ = objective(enc, batch)
            loss.backward()
        optimizer.step()
    return step


def memory_worker(batch: int, chunk: int | None) -> dict:
    """Run in a fresh process: one warm-up step at batch 16, then the measured step. -> {"peak_mb", "rss_mb"}."""
    import gc

    enc, objective, _, optimizer = _setup(batch)
    from minisent.training import simcse

    _step_fn(enc, objective, iter(simcse.SentenceBatches(simcse.unsup_sentences(), 16, seed=1)), optimizer, None)()
    step = _step_fn(enc, objective, iter(simcse.SentenceBatches(simcse.unsup_sentences(), batch)), optimizer, chunk)
    gc.collect()
    before = _rss_mb("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # reset the peak (VmHWM) to the current resident size
    step()
    return {"peak_mb": _rss_mb("VmHWM") - before, "rss_mb": before}


def measure_memory(batch: int, chunk: int | None, fixed_malloc: bool = True) -> dict:
    cmd = [sys.executable, "-m", "benchmarks.bench_scaling", "--memory-worker", str(batch), str(chunk or 0)]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    if fixed_malloc:  # see the module docstring: the resident peak then follows the live buffers
        env["MALLOC_MMAP_THRESHOLD_"] = "131072"
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=3600, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def ddp_step_seconds(nproc: int, steps: int, device: str = "cpu") -> float:
    """Seconds per step of fit (after its first step) with `nproc` processes under torchrun."""
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}",
           "-m", "benchmarks.bench_scaling", "--ddp-worker", str(steps), "--device", device]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=True)
    return float([line for line in out.stdout.splitlines() if line.startswith("s/step")][-1].split()[1])


def ddp_worker(steps: int, device: str = "cpu") -> None:
    from minisent.training import distributed, simcse, simcse_cli
    from minisent.training.loop import fit

    with distributed.process_group(device) as dev:
        if dev == "cpu":
            enc, batch = simcse.start_encoder("random", dropout=0.1, device=dev, progress=False), TIME_BATCH
        else:  # the GPU recipe's model and batch
            from dataclasses import replace
            enc, batch = simcse_cli.gpu_encoder(replace(simcse_cli.GPU_CONFIG, start="random"), dev, False), GPU_BATCH
        batches = simcse.SentenceBatches(simcse.unsup_sentences(), batch)
        h = fit(enc, simcse.UnsupervisedSimCSE(0.05), batches, steps, device=dev, progress=False)
        if distributed.is_main():
            t = h["time_s"]
            print(f"s/step {(t[-1] - t[0]) / (len(t) - 1):.4f}", flush=True)


GPU_BATCH = 512


def gpu_rows(steps: int = 12) -> list[dict]:
    """The GPU recipe's model on cuda: sentences/s (steps after the first two) and peak memory, per setting."""
    import copy
    from dataclasses import replace

    import torch

    from minisent.training import simcse, simcse_cli
    from minisent.training.loop import fit

    sentences = simcse.unsup_sentences()
    start = simcse_cli.gpu_encoder(replace(simcse_cli.GPU_CONFIG, start="random"), "cuda", progress=False)
    settings = [("fp32", GPU_BATCH, {"precision": "fp32"}), ("bf16 autocast", GPU_BATCH, {"precision": "bf16"}),
                ("fp16 autocast + GradScaler", GPU_BATCH, {"precision": "fp16"}),
                ("bf16 + torch.compile", GPU_BATCH, {"precision": "bf16", "compile": True}),
                ("bf16, batch 4096, grad cache 512", 4096, {"precision": "bf16", "grad_cache_chunk": 512})]
    rows = []
    for name, batch, options in settings:
        enc = copy.deepcopy(start)
        torch.cuda.reset_peak_memory_stats()
        h = fit(enc, simcse.UnsupervisedSimCSE(0.05), simcse.SentenceBatches(sentences, batch), steps,
                device="cuda", progress=False, **options)
        t = h["time_s"]
        rows.append({"what": name, "batch": batch, "sentences/s": round(batch * (steps - 2) / (t[-1] - t[1])),
                     "first step s": round(t[0], 1), "peak GPU MB": round(torch.cuda.max_memory_allocated() / 2**20),
                     "final loss": round(h["loss"][-1], 3)})
        print(rows[-1], flush=True)
    s = ddp_step_seconds(1, steps, "cuda")
    rows.append({"what": "torchrun 1-GPU DDP (auto precision)", "batch": GPU_BATCH,
                 "sentences/s": round(GPU_BATCH / s)})
    return rows


def run(device="cpu", quick: bool = False) -> list[dict]:
    from benchmarks.timing import compare

    rows = []
    # 1. step time, cached vs plain, same batch and the same stream of batches
    enc, objective, batches, optimizer = _setup(TIME_BATCH)
    plain = _step_fn(enc, objective, batches, optimizer, None)
    cached = _step_fn(enc, objective, batches, optimizer, CHUNK)
    t = compare(cached, plain, repeats=5 if quick else 11, warmup=1)
    rows.append({"what": f"step time at batch {TIME_BATCH}, cached (chunks of {CHUNK}) / plain",
                 "plain": f"{t['reference_s']:.2f} s", "cached": f"{t['candidate_s']:.2f} s",
                 "ratio": round(t["ratio"], 2), "target": "~1.33 (one more forward)"})
    print(rows[-1], file=sys.stderr, flush=True)
    # 2. peak memory vs batch
    sizes = [64, 1024, 4096] if quick else SIZES
    base = None
    for B in sizes:
        c = measure_memory(B, CHUNK)
        p = measure_memory(B, None) if B <= (1024 if quick else PLAIN_MAX) else None
        base = base or c["peak_mb"]
        rows.append({"what": f"peak step memory at batch {B} (MB above the {c['rss_mb']:.0f} MB process)",
                     "plain": f"{p['peak_mb']:.0f}" if p else "not run",
                     "cached": f"{c['peak_mb']:.0f}", "ratio": round(c["peak_mb"] / base, 2),
                     "target": "cached <= 1.5x batch 64" if B == sizes[-1] else ""})
        print(rows[-1], file=sys.stderr, flush=True)
    small, large = (measure_memory(B, CHUNK, fixed_malloc=False)["peak_mb"] for B in (sizes[0], sizes[-1]))
    rows.append({"what": f"the same, cached, glibc's default malloc: batch {sizes[0]} -> {sizes[-1]} (MB)",
                 "plain": "", "cached": f"{small:.0f} -> {large:.0f}", "ratio": round(large / small, 2),
                 "target": "(the allocator's heap, see above)"})
    print(rows[-1], file=sys.stderr, flush=True)
    # 3. DDP on the CPU
    steps = 6 if quick else 11
    one, two = ddp_step_seconds(1, steps), ddp_step_seconds(2, steps)
    rows.append({"what": f"DDP step time at global batch {TIME_BATCH}, 2 gloo processes / 1 process",
                 "plain": f"{one:.2f} s", "cached": f"{two:.2f} s", "ratio": round(two / one, 2),
                 "target": "< 1 only with free cores"})
    return rows


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--memory-worker", nargs=2, type=int, metavar=("BATCH", "CHUNK"), help=argparse.SUPPRESS)
    p.add_argument("--ddp-worker", type=int, metavar="STEPS", help=argparse.SUPPRESS)
    p.add_argument("--device", default="cpu", help=argparse.SUPPRESS)
    p.add_argument("--gpu", action="store_true", help="the GPU rows only (needs cuda)")
    args = p.parse_args(argv)
    if args.memory_worker:
        print(json.dumps(memory_worker(args.memory_worker[0], args.memory_worker[1] or None)))
        return 0
    if args.ddp_worker:
        ddp_worker(args.ddp_worker, args.device)
        return 0
    from benchmarks.run import table

    t0 = time.perf_counter()
    print(table(gpu_rows() if args.gpu else run(quick=args.quick)))
    print(f"({time.perf_counter() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
