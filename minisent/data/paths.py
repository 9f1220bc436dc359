"""Where the course keeps its data.

DATA_DIR  = <repo>/data          hand-written sets, committed (see data/README.md)
CACHE_DIR = <repo>/data/cache    everything built or downloaded at run time (git-ignored)

Both can be moved with MINISENT_DATA_DIR / MINISENT_CACHE_DIR (for example when minisent is
installed without the repository around it).
"""
from __future__ import annotations

import os
from pathlib import Path

_REPO = Path(__file__).resolve().parents[2]

DATA_DIR = Path(os.environ.get("MINISENT_DATA_DIR", _REPO / "data"))
CACHE_DIR = Path(os.environ.get("MINISENT_CACHE_DIR", DATA_DIR / "cache"))
