"""How many CPU threads torch uses while the course trains or encodes its small models.

The course's matrices are small (a few thousand tokens x 128): splitting each op across threads
costs about as much as it saves, and on a shared machine a thread waiting for a descheduled
partner makes every step several times slower (measured on a 2-core VM with other jobs running:
0.5 s per MLM step with 2 threads, 0.13 s with 1). One thread is also bit-for-bit reproducible.
GPUs are not affected.

    with cpu_threads(1, device):
        ...   # torch runs single-threaded here when `device` is the cpu

Encoding (forward passes in eval mode, no gradients) is the exception: its batches of up to 64 whole
sentences are big enough to split, and the result does not depend on the split. Measured on the 2-core
CI-class CPU with no other jobs, `simcse-sup` encoding 3,000 Wikipedia sentences: 7.4 s on 1 thread,
3.6 s on 2, the vectors bit-for-bit equal. Training stays on 1 thread: after 12 SimCSE steps the
weights of a 1- and a 2-thread run differ by 2e-6, and the course's stored numbers come from 1 thread.
"""
from __future__ import annotations

import os
from contextlib import contextmanager

import torch

ENCODE_THREADS = int(os.environ.get("MINISENT_ENCODE_THREADS", min(2, os.cpu_count() or 1)))
"""torch threads for `SentenceEncoder.encode` on the cpu (see above). Set $MINISENT_ENCODE_THREADS to 1 when another
job keeps a core busy (pytest does while it trains models beside the tests; lesson 04 then ran 4x slower)."""


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


@contextmanager
def encoding_threads(n: int):
    """Inside the block, the course's encoders encode with `n` cpu threads (speed measurements use 1)."""
    global ENCODE_THREADS
    before, ENCODE_THREADS = ENCODE_THREADS, n
    try:
        yield
    finally:
        ENCODE_THREADS = before
