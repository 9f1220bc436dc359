"""A saved tokenizer (`tokenizer.json`, written by `Tokenizer.save`) read back, whichever kind it is."""
from __future__ import annotations

import json
from pathlib import Path

from .tokenize import BPETokenizer, Tokenizer, WordTokenizer
from .wordpiece import WordPieceTokenizer


KINDS = {t.kind: t for t in (WordTokenizer, BPETokenizer, WordPieceTokenizer)}


def tokenizer_from_dict(state: dict) -> Tokenizer:
    """Rebuild a tokenizer of any kind from `Tokenizer.to_dict()`."""
    if state.get("format") != "minisent.tokenizer":
        raise ValueError("not a minisent tokenizer file (no 'format': 'minisent.tokenizer')")
    if state.get("kind") not in KINDS:
        raise ValueError(f"unknown tokenizer kind {state.get('kind')!r} (expected one of {sorted(KINDS)})")
    return KINDS[state["kind"]].from_dict(state)


def load_tokenizer(path: str | Path) -> Tokenizer:
    """Load a tokenizer saved with `.save(path)`."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no tokenizer file at {path}")
    return tokenizer_from_dict(json.loads(path.read_text(encoding="utf-8")))
