"""Measure every hand-written piece against its torch reference: `python benchmarks/run.py [--device D] [--quick]`.

Each benchmark module exposes `run(device, quick) -> list[dict]`; every timing is a ratio against a reference
measured in the same run, interleaved, median of repeats after warm-up (benchmarks/timing.py). The table is
printed and written to benchmarks/RESULTS.md together with the machine it was measured on.
"""
from __future__ import annotations

import argparse
import importlib
import platform
import sys
import time
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run from anywhere: `python benchmarks/run.py`

EXPERIMENT_LOG = "## Experiment log"   # the hand-written section of RESULTS.md that a rerun keeps
MODULES = ["bench_attention", "bench_losses", "bench_encoder", "bench_search", "bench_scaling", "bench_notebooks", "quality"]


def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"
    return {"cpu": cpu, "threads": torch.get_num_threads(), "gpu": gpu, "torch": torch.__version__,
            "python": platform.python_version()}


def table(rows: list[dict]) -> str:
    cols = list(dict.fromkeys(k for r in rows for k in r))
    fmt = lambda v: f"{v:.3g}" if isinstance(v, float) else str(v)
    out = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    out += ["| " + " | ".join(fmt(r.get(c, "")) for c in cols) + " |" for r in rows]
    return "\n".join(out)


def previous_sections(text: str) -> dict[str, str]:
    """{module: its "## module" section} of an earlier RESULTS.md (before the experiment log)."""
    head = text.split(EXPERIMENT_LOG)[0]
    chunks = ["## " + c.strip() for c in head.split("\n## ")[1:]]
    return {c.splitlines()[0][3:].strip(): c for c in chunks if c.splitlines()[0][3:].strip() in MODULES}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--device", default="cpu")
    p.add_argument("--quick", action="store_true", help="fewer repeats and sizes (about 3 minutes on 2 CPU cores)")
    p.add_argument("--only", help="comma-separated module names, e.g. bench_losses")
    p.add_argument("--out", default=str(HERE / "RESULTS.md"))
    args = p.parse_args(argv)

    names = args.only.split(",") if args.only else MODULES
    unknown = [n for n in names if n not in MODULES]
    if unknown:
        print(f"error: --only: unknown benchmark {', '.join(unknown)}; choose from {', '.join(MODULES)}",
              file=sys.stderr)
        return 2
    from minisent.device import DeviceError, get_device

    try:
        get_device(args.device)
    except DeviceError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    out = Path(args.out)
    old = out.read_text(encoding="utf-8") if out.exists() else ""
    kept = previous_sections(old)                      # with --only, the other modules' tables stay as they were
    info = machine()
    sections = [f"# Benchmark results\n\nMachine: {info['cpu']}, {info['threads']} torch threads, GPU: {info['gpu']}, "
                f"torch {info['torch']}, python {info['python']}. Device: `{args.device}`"
                f"{' (quick)' if args.quick else ''}.\n\nRatios are candidate / reference time (lower is faster), "
                f"measured interleaved in one run, median after warm-up."]
    for name in MODULES:
        if name not in names:
            if name in kept:
                sections.append(kept[name])
            continue
        module = importlib.import_module(f"benchmarks.{name}")
        t0 = time.perf_counter()
        rows = module.run(device=args.device, quick=args.quick)
        text = f"## {name}\n\n{table(rows)}\n\n({time.perf_counter() - t0:.0f} s)"
        print(text + "\n", flush=True)
        sections.append(text)
    log = old[old.index(EXPERIMENT_LOG):] if EXPERIMENT_LOG in old else ""   # hand-written: kept as it is
    out.write_text("\n\n".join(sections + ([log.rstrip()] if log else [])) + "\n", encoding="utf-8")
    print(f"written {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
