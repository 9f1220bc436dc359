"""Where the course keeps its data.

DATA_DIR  = <repo>/data          hand-written sets, committed (see data/README.md)
CACHE_DIR = <repo>/data/cache    everything built or downloaded at run time (git-ignored)

Both can be moved with MINISENT_DATA_DIR / MINISENT_CACHE_DIR (for example when minisent is
installed without the repository around it).
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

_REPO = Path(__file__).resolve().parents[2]

DATA_DIR = Path(os.environ.get("MINISENT_DATA_DIR", _REPO / "data"))
CACHE_DIR = Path(os.environ.get("MINISENT_CACHE_DIR", DATA_DIR / "cache"))


@contextmanager
def cache_lock(path: Path):
    """Hold an exclusive lock on the cache entry `path` (through a sibling file `<name>.lock`) inside the block.

    Two processes that need the same missing entry (a lesson, and `python -m minisent warm` beside it) then
    build it once: the second waits here and, inside the block, finds the first one's copy. Where the OS
    has no `fcntl` (Windows) this does nothing: both build, and the atomic rename keeps one copy.
    """
    try:
        import fcntl
    except ImportError:  # Windows
        yield
        return
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file is closed
        yield
