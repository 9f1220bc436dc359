"""Shared test fixtures."""
import pytest

from minisent.device import available_devices, seed_everything

DEVICES = available_devices()  # e.g. ["cuda", "cpu"]; tests that touch tensors run on each


@pytest.fixture(params=DEVICES)
def device(request):
    """Every device this machine has (cuda / mps when present, always cpu)."""
    return request.param


@pytest.fixture(autouse=True)
def _seeded():
    seed_everything(0)
    yield
