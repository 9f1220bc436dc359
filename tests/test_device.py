import random

import numpy as np
import pytest
import torch

from minisent import device as dev


def test_cpu_is_always_available_and_last():
    found = dev.available_devices()
    assert found[-1] == "cpu"
    assert ("cuda" in found) == torch.cuda.is_available()


def test_default_is_best_available(monkeypatch):
    monkeypatch.delenv(dev.ENV_VAR, raising=False)
    assert dev.get_device().type == dev.available_devices()[0]


def test_env_var_overrides_default(monkeypatch):
    monkeypatch.setenv(dev.ENV_VAR, "cpu")
    assert dev.get_device() == torch.device("cpu")


def test_argument_overrides_env_var(monkeypatch):
    monkeypatch.setenv(dev.ENV_VAR, "not-a-device")
    assert dev.get_device("cpu") == torch.device("cpu")


def test_unknown_device_is_a_clear_error():
    with pytest.raises((ValueError, RuntimeError)):
        dev.get_device("tpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_missing_cuda_is_an_error_not_a_silent_fallback():
    with pytest.raises(RuntimeError, match="CUDA"):
        dev.get_device("cuda")


def test_seed_everything_repeats_all_three_generators():
    def draw():
        return random.random(), float(np.random.rand()), float(torch.rand(1))

    dev.seed_everything(123)
    first = draw()
    dev.seed_everything(123)
    assert draw() == first
    dev.seed_everything(124)
    assert draw() != first


def test_seed_everything_switches_on_determinism():
    dev.seed_everything(0, deterministic=True)
    assert torch.are_deterministic_algorithms_enabled()
    dev.seed_everything(0, deterministic=False)  # leaves the switch as it was: only turns it on
    torch.use_deterministic_algorithms(False)


def test_setup_prints_the_device_once(capsys):
    d = dev.setup(seed=0, device="cpu")
    out = capsys.readouterr().out
    assert d == torch.device("cpu") and out.count("device: cpu") == 1
