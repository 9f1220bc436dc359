"""The one place that decides where tensors live, and how random numbers are seeded.

Every module and lesson asks `get_device()` instead of writing `"cuda" if ... else "cpu"`
itself, so changing the device for the whole course is one environment variable:

    MINISENT_DEVICE=cpu jupyter lab notebooks/
"""
from __future__ import annotations

import os
import random

import numpy as np
import torch

ENV_VAR = "MINISENT_DEVICE"


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def available_devices() -> list[str]:
    """Every device kind this machine can run on, best first (always ends with "cpu")."""
    found = []
    if torch.cuda.is_available():
        found.append("cuda")
    if _mps_available():
        found.append("mps")
    found.append("cpu")
    return found


class DeviceError(ValueError, RuntimeError):
    """A device was asked for that this machine does not have (the message lists the ones it has).

    A bad setting, so a ValueError (what the command line reports in one line); also a RuntimeError,
    as torch's own "no CUDA" errors are."""


def _how_to_choose(source: str) -> str:
    here = available_devices()
    if source == ENV_VAR:
        return f"devices here: {', '.join(here)}; set {ENV_VAR}={here[0]} (or another of them), or unset it"
    return (f"devices here: {', '.join(here)}; choose one with device={here[0]!r} (--device {here[0]} on the "
            f"command line), or for a whole session with {ENV_VAR}={here[0]}")


def get_device(device: str | torch.device | None = None) -> torch.device:
    """Choose the device: the argument, else $MINISENT_DEVICE, else cuda -> mps -> cpu.

    Asking for a device that is not there is an error, not a silent fallback: a lesson that claims to run on the GPU
    should not quietly run on the CPU. A name that is no device at all ("banana") is a ValueError, a device this
    machine lacks ("cuda" without a GPU) a DeviceError; both messages list the devices here and how to choose one.
    """
    if isinstance(device, torch.device):
        device = str(device)
    source = "device" if device is not None else ENV_VAR
    choice = device if device is not None else os.environ.get(ENV_VAR) or None
    if choice is None:
        return torch.device(available_devices()[0])
    asked = repr(choice) if source == "device" else f"{ENV_VAR}={choice!r}"
    if not isinstance(choice, str):
        raise ValueError(f"device {asked} is not a device name; {_how_to_choose(source)}")
    # checked here, before torch.device: torch.device("banana") is a bare RuntimeError naming no choice
    kind, _, index = choice.strip().lower().partition(":")
    if kind not in ("cuda", "mps", "cpu") or (index and not index.isdigit()):
        raise ValueError(f"unknown device {asked}: use cuda, cuda:N, mps or cpu; {_how_to_choose(source)}")
    if kind == "cuda" and not torch.cuda.is_available():
        raise DeviceError(f"device {asked} was asked for but torch sees no CUDA GPU here; {_how_to_choose(source)}")
    if kind == "cuda" and index and int(index) >= torch.cuda.device_count():
        raise DeviceError(f"device {asked} was asked for but this machine has {torch.cuda.device_count()} CUDA GPU(s), "
                          f"numbered from 0; {_how_to_choose(source)}")
    if kind == "mps" and not _mps_available():
        raise DeviceError(f"device {asked} was asked for but MPS (Apple GPU) is not available here; "
                          f"{_how_to_choose(source)}")
    return torch.device(f"{kind}:{index}" if index else kind)


def seed_everything(seed: int = 0, deterministic: bool = True) -> None:
    """Seed python, numpy and torch (all devices); optionally make torch deterministic.

    Deterministic mode uses `warn_only=True`: an op without a deterministic kernel warns
    instead of crashing a lesson. On CUDA it also needs CUBLAS_WORKSPACE_CONFIG, set here.
    """
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # seeds cpu, cuda and mps generators
    if deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.benchmark = False
        torch.backends.cudnn.deterministic = True


def describe(device: str | torch.device | None = None) -> str:
    """One line naming the device, for the top of every lesson."""
    dev = get_device(device)
    if dev.type == "cuda":
        return f"device: cuda ({torch.cuda.get_device_name(dev)}), torch {torch.__version__}"
    if dev.type == "mps":
        return f"device: mps (Apple GPU), torch {torch.__version__}"
    return f"device: cpu ({torch.get_num_threads()} threads), torch {torch.__version__}"


def setup(seed: int = 0, device: str | torch.device | None = None) -> torch.device:
    """What every lesson's first cell calls: seed, choose the device, print it once."""
    seed_everything(seed)
    dev = get_device(device)
    print(describe(dev))
    return dev
