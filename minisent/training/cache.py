"""Cache-or-train: a trained model kept under data/cache/ in a folder named by a hash of its recipe.

    path = cache_dir("simcse_default", VERSION, config.to_dict())    # data/cache/simcse_default_<hash>
    encoder = cached_encoder(path, lambda: train_simcse(config))     # trained once, then read back

A changed default changes the hash, so a stale copy is never read; a damaged copy is trained again.
"""
from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
from pathlib import Path
from typing import Callable

from .. import data
from ..device import get_device
from ..nn.encoder import SentenceEncoder


def cache_dir(prefix: str, *recipe) -> Path:
    """data/cache/<prefix>_<first 10 hex digits of the sha1 of the recipe as sorted JSON>."""
    key = json.dumps(list(recipe), sort_keys=True)
    return data.CACHE_DIR / f"{prefix}_{hashlib.sha1(key.encode()).hexdigest()[:10]}"


def load_or_train(path: Path, load: Callable[[Path], object], train: Callable[[], object],
                  save: Callable[[object, Path], None]):
    """A trained result cached in the directory `path`: load(path) when a complete copy is there, else
    train(), save(result, directory) into a fresh directory, and rename that to `path`.

    "Complete" means history.json exists: every save writes it last. The rename makes the cache appear
    all at once, so a crash never leaves half a model. Training holds the entry's lock (`data.cache_lock`):
    a second process that wants the same model meanwhile waits, then reads the copy. A complete copy that
    cannot be read (an empty, truncated or foreign file in it) is trained again and replaced.
    """
    found = _load_complete(path, load)
    if found is not _MISSING:
        return found
    with data.cache_lock(path):
        found = _load_complete(path, load)  # another process may have trained it while we waited
        if found is not _MISSING:
            return found
        result = train()
        tmp = path.with_name(f"{path.name}.tmp{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        save(result, tmp)
        shutil.rmtree(path, ignore_errors=True)  # an unfinished or damaged earlier copy
        try:
            tmp.rename(path)
        except OSError:  # without a lock (Windows) another process may have finished first: keep its copy
            shutil.rmtree(tmp, ignore_errors=True)
    return result


_MISSING = object()


def _load_complete(path: Path, load: Callable[[Path], object]):
    """load(path) for a complete, readable copy; _MISSING when there is none or it is damaged."""
    if not (path / "history.json").exists():
        return _MISSING
    try:
        return load(path)
    except (OSError, ValueError, KeyError, RuntimeError, EOFError, pickle.UnpicklingError):
        return _MISSING  # a damaged copy (ModelFileError is a ValueError): train again, and replace it


def save_with_history(encoder: SentenceEncoder, history: dict, directory) -> Path:
    """encoder.save(directory) with its training history as history.json (see load_or_train), in one swap."""
    def extras(folder: Path) -> None:
        (folder / "history.json").write_text(json.dumps(history), encoding="utf-8")

    return Path(encoder.save(directory, extras))


def cached_encoder(path: Path, train: Callable[[], tuple[SentenceEncoder, dict]], device=None) -> SentenceEncoder:
    """The encoder saved at `path`, or train() -> (encoder, history) saved there first; in eval mode on `device`."""
    loaded = load_or_train(path, lambda p: (SentenceEncoder.load(p, device), None), train,
                           lambda run, p: save_with_history(*run, p))
    return loaded[0].eval().to(get_device(device))
