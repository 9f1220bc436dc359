"""Interleaved timing: a candidate and its reference measured in the same run, as a ratio.

Absolute times on a shared laptop drift; a ratio of two functions timed in alternation, each
after a warm-up, median over repeats, is stable enough to compare across machines.
"""
from __future__ import annotations

import statistics
import time
from typing import Callable

import torch


def _sync(device: str | torch.device | None) -> None:
    kind = torch.device(device).type if device is not None else "cpu"
    if kind == "cuda":
        torch.cuda.synchronize()
    elif kind == "mps":
        torch.mps.synchronize()


def time_once(fn: Callable[[], object], device=None, number: int = 1) -> float:
    """Seconds per call of fn, timed over `number` calls in a row."""
    _sync(device)
    t0 = time.perf_counter()
    for _ in range(number):
        fn()
    _sync(device)
    return (time.perf_counter() - t0) / number


def compare(candidate: Callable[[], object], reference: Callable[[], object], *, repeats: int = 20,
            warmup: int = 3, device=None, number: int = 1) -> dict:
    """Time `candidate` and `reference` alternately; return medians (seconds per call) and their ratio.

    Each of the `repeats` samples times `number` calls in a row: for sub-millisecond functions one call
    is mostly timer and scheduler noise, tens of calls are not. ratio > 1: the candidate is slower.
    """
    for _ in range(warmup):
        candidate()
        reference()
    cand, ref = [], []
    for i in range(repeats):
        # alternate which one goes first so neither always gets the warmer cache
        if i % 2 == 0:
            cand.append(time_once(candidate, device, number))
            ref.append(time_once(reference, device, number))
        else:
            ref.append(time_once(reference, device, number))
            cand.append(time_once(candidate, device, number))
    c, r = statistics.median(cand), statistics.median(ref)
    return {"candidate_s": c, "reference_s": r, "ratio": c / r if r > 0 else float("inf")}
