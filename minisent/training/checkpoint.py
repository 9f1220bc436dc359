"""Checkpoint and resume: the whole state of a training run in one file, read back without running code.

`fit(checkpoint_dir=...)` writes model, objective, optimizer, loss scaler, step, history and every random
generator's state to checkpoint_dir/checkpoint.pt; a run started again from it ends, on the cpu, with the
weights bit for bit of a run that was never interrupted.
"""
from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

from ..nn.encoder import ModelFileError, _first_line

CHECKPOINT_FILE = "checkpoint.pt"
CHECKPOINT_KEYS = ("step", "steps", "model", "objective", "optimizer", "scaler", "history", "rng")


def _rng_state() -> dict:
    """Every random generator a step may use: torch (cpu + cuda), numpy's global one, python's `random`."""
    np_state = np.random.get_state()
    return {"torch": torch.get_rng_state(),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
            "numpy": [np_state[0], torch.from_numpy(np_state[1].astype(np.int64)), *np_state[2:]],
            "python": random.getstate()}


def _set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["torch"])
    if state["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    kind, keys, *rest = state["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), *rest))
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))


def save_checkpoint(path: Path, step: int, steps: int, model, objective, optimizer, scaler, history) -> None:
    """Write the state of the run at `step` to `path` (to a temporary file first: a crash never leaves half a file)."""
    state = {"step": step, "steps": steps, "model": model.state_dict(),
             "objective": objective.state_dict() if isinstance(objective, nn.Module) else None,
             "optimizer": optimizer.state_dict(), "scaler": scaler.state_dict() if scaler is not None else None,
             "history": history, "rng": _rng_state()}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.tmp{os.getpid()}")
    torch.save(state, tmp)
    tmp.replace(path)


def _load_checkpoint(path: Path, dev: torch.device) -> dict:
    """Read a checkpoint: tensors, numbers, strings and containers only (weights_only=True: no code runs)."""
    again = "delete it (or pass resume=False) to start the run again"
    if path.stat().st_size == 0:
        raise ModelFileError(f"{path} is empty (0 bytes): an interrupted save? {again}")
    try:
        state = torch.load(path, map_location=dev, weights_only=True)
    except Exception as err:  # damaged bytes surface as EOFError, RuntimeError, UnpicklingError, ...
        raise ModelFileError(f"{path} cannot be read as a training checkpoint ({_first_line(err)}): the file is "
                             f"damaged; {again}") from err
    missing = [k for k in CHECKPOINT_KEYS if not isinstance(state, dict) or k not in state]
    if missing:
        raise ModelFileError(f"{path} is not a minisent training checkpoint (lacks {', '.join(missing)}); {again}")
    return state


def resume_run(path: Path, steps: int, model, objective, optimizer, scaler, dev: torch.device) -> tuple[dict, int]:
    """Load the checkpoint at `path` into model, objective, optimizer, scaler and the random generators.
    -> (history so far, the step to go on from). A checkpoint of a run of other length is refused."""
    state = _load_checkpoint(path, dev)
    if state["steps"] != steps:
        raise ValueError(f"{path} belongs to a run of {state['steps']} steps, not {steps} (the learning-rate "
                         f"schedule depends on it): pass steps={state['steps']}, another checkpoint_dir, "
                         f"or resume=False")
    model.load_state_dict(state["model"])
    if isinstance(objective, nn.Module) and state["objective"] is not None:
        objective.load_state_dict(state["objective"])
    optimizer.load_state_dict(state["optimizer"])
    if scaler is not None and state["scaler"] is not None:
        scaler.load_state_dict(state["scaler"])
    _set_rng_state(state["rng"])
    return state["history"], state["step"]
