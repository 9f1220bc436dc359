"""How many CPU threads torch uses while the course trains or encodes its small models.

The course's matrices are small (a few thousand tokens x 128): splitting each op across threads
costs about as much as it saves, and on a shared machine a thread waiting for a descheduled
partner makes every step several times slower (measured on a 2-core VM with other jobs running:
0.5 s per MLM step with 2 threads, 0.13 s with 1). One thread is also bit-for-bit reproducible.
GPUs are not affected.

    with cpu_threads(1, device):
        ...   # torch runs single-threaded here when `device` is the cpu
"""
from __future__ import annotations

from contextlib import contextmanager

import torch


@contextmanager
def cpu_threads(n: int | None, device: str | torch.device | None = "cpu"):
    """Run the block with `n` torch threads when `device` is the cpu (restored afterwards); None: leave as is."""
    if n is None or device is None or torch.device(device).type != "cpu":
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)
