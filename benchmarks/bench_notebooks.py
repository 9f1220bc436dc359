"""Each lesson's wall time, executed top to bottom in a fresh kernel (as nbval runs it in CI).

Skipped in --quick mode: the lessons together take longer than the quick budget.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def run(device: str = "cpu", quick: bool = False) -> list[dict]:
    if quick:
        return [{"notebook": "(skipped with --quick)", "seconds": 0.0}]
    import nbformat
    from nbconvert.preprocessors import ExecutePreprocessor

    os.environ["MINISENT_DEVICE"] = device
    rows = []
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        t0 = time.perf_counter()
        ExecutePreprocessor(timeout=900, kernel_name="python3").preprocess(nb, {"metadata": {"path": str(NOTEBOOKS)}})
        rows.append({"notebook": path.name, "seconds": round(time.perf_counter() - t0, 1)})
        print(f"  {path.name}: {rows[-1]['seconds']} s", flush=True)
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
