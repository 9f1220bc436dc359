"""What every tokenizer shares: the special tokens and their ids, padded batches, and the `Tokenizer` base
class (vocabulary, encode / decode, batching, save as JSON). A subclass only says how a text becomes token strings.
"""
from __future__ import annotations

import json
import numbers
import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import torch

PAD, UNK, CLS, SEP, MASK = "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"
SPECIAL_TOKENS = [PAD, UNK, CLS, SEP, MASK]  # their ids are their positions: PAD=0 ... MASK=4
PAD_ID, UNK_ID, CLS_ID, SEP_ID, MASK_ID = range(5)
SPACE = "\u2581"  # "▁": how a BPE token shows that a space came before it (SentencePiece's convention)
FORMAT_VERSION = 1


# ------------------------------------------------------------------------------------ batches
@dataclass
class Batch:
    """A padded batch. input_ids: (B, T) int64, attention_mask: (B, T) bool (True = real token).

    `num_truncated` counts the sentences that were cut to `max_length` (the encoder warns about it).
    """
    input_ids: torch.Tensor
    attention_mask: torch.Tensor
    num_truncated: int = 0

    def to(self, device) -> "Batch":
        return Batch(self.input_ids.to(device), self.attention_mask.to(device), self.num_truncated)

    def __len__(self) -> int:
        return self.input_ids.shape[0]


def pad_batch(sequences: Sequence[Sequence[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-pad lists of ids with PAD_ID to the longest. -> input_ids (B, T) int64, attention_mask (B, T) bool."""
    T = max([len(s) for s in sequences] + [1])                       # T >= 1 even for empty sequences
    ids = torch.full((len(sequences), T), PAD_ID, dtype=torch.long)  # (B, T)
    for i, seq in enumerate(sequences):
        ids[i, :len(seq)] = torch.as_tensor(list(seq), dtype=torch.long)
    mask = torch.arange(T)[None, :] < torch.tensor([len(s) for s in sequences])[:, None]  # (B, T)
    return ids, mask


# --------------------------------------------------------------------------------- base class
class Tokenizer:
    """What every tokenizer shares. A subclass only says how a text becomes token strings (`tokens`) and how
    token strings join back into text (`_join`)."""

    kind = "base"

    def __init__(self, vocab: Sequence[str], lowercase: bool = True):
        vocab = list(vocab)
        if vocab[:len(SPECIAL_TOKENS)] != SPECIAL_TOKENS:
            raise ValueError(f"a vocabulary must start with the special tokens {SPECIAL_TOKENS}")
        if len(set(vocab)) != len(vocab):
            raise ValueError("the vocabulary has duplicate tokens")
        self.vocab = vocab                                   # id -> token string
        self.token_to_id = {t: i for i, t in enumerate(vocab)}  # token string -> id
        self.lowercase = lowercase

    # --- what subclasses define
    def tokens(self, text: str) -> list[str]:
        raise NotImplementedError

    def _join(self, tokens: list[str]) -> str:
        raise NotImplementedError

    def _extra_state(self) -> dict:
        return {}

    # --- shared behaviour
    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def __len__(self) -> int:
        return len(self.vocab)

    pad_id, unk_id, cls_id, sep_id, mask_id = PAD_ID, UNK_ID, CLS_ID, SEP_ID, MASK_ID

    def normalize(self, text: str) -> str:
        """What the tokenizer sees: NFC unicode, single spaces, no leading/trailing space, lowercased."""
        if not isinstance(text, str):
            raise TypeError(f"a tokenizer encodes str, got {type(text).__name__}")
        text = " ".join(unicodedata.normalize("NFC", text).split())
        return text.lower() if self.lowercase else text

    def encode(self, text: str, add_special_tokens: bool = True, max_length: int | None = None) -> list[int]:
        """One text -> ids: [CLS] tokens... [SEP], cut to `max_length` (the [SEP] is kept)."""
        unk = self.unk_id  # this tokenizer's [UNK] (WordPiece's is not UNK_ID); read once, not per token
        ids = [self.token_to_id.get(t, unk) for t in self.tokens(text)]
        if add_special_tokens:
            if max_length is not None:
                if max_length < 2:
                    raise ValueError(f"max_length must leave room for [CLS] and [SEP] (>= 2), got {max_length}")
                ids = ids[:max_length - 2]
            return [self.cls_id] + ids + [self.sep_id]
        return ids if max_length is None else ids[:max_length]

    def decode(self, ids: Iterable[int] | torch.Tensor, skip_special_tokens: bool = True) -> str:
        """Ids -> text. [PAD] [CLS] [SEP] are dropped; [UNK] and [MASK] stay visible as words."""
        drop = {PAD_ID, CLS_ID, SEP_ID} if skip_special_tokens else set()
        return self._join([self.vocab[i] for i in self._check_ids(ids) if i not in drop])

    def convert_ids_to_tokens(self, ids: Iterable[int] | torch.Tensor) -> list[str]:
        return [self.vocab[i] for i in self._check_ids(ids)]

    def _check_ids(self, ids: Iterable[int] | torch.Tensor) -> list[int]:
        """Ids as a list of ints, each in [0, vocab_size): a negative id would silently index from the end."""
        ids = ids.tolist() if isinstance(ids, torch.Tensor) else list(ids)
        for i in ids:
            if isinstance(i, bool) or not isinstance(i, numbers.Integral):
                raise TypeError(f"token ids are ints, got {i!r} ({type(i).__name__})")
            if not 0 <= i < self.vocab_size:
                raise ValueError(f"token id {i} is outside this vocabulary (ids 0..{self.vocab_size - 1})")
        return [int(i) for i in ids]

    def __call__(self, texts: Sequence[str], max_length: int | None = None, add_special_tokens: bool = True) -> Batch:
        """Batch-encode: B texts -> Batch(input_ids (B, T), attention_mask (B, T)).

        T = the longest encoded text (padded with [PAD] = 0), never more than `max_length`.
        """
        if isinstance(texts, str):
            raise TypeError("pass a list of sentences, not a single str (wrap it: [text])")
        seqs, cut = [], 0
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise TypeError(f"item {i} is {type(text).__name__}, not str")
            full = self.encode(text, add_special_tokens)
            if max_length is not None and len(full) > max_length:
                full = self.encode(text, add_special_tokens, max_length)
                cut += 1
            seqs.append(full)
        ids, mask = pad_batch(seqs)
        return Batch(ids, mask, cut)

    # --- save / load
    def to_dict(self) -> dict:
        return {"format": "minisent.tokenizer", "version": FORMAT_VERSION, "kind": self.kind,
                "lowercase": self.lowercase, "vocab": self.vocab, **self._extra_state()}

    @classmethod
    def from_dict(cls, state: dict) -> "Tokenizer":
        """Rebuild a tokenizer of this kind from `to_dict()`."""
        if state.get("format") != "minisent.tokenizer" or state.get("kind") != cls.kind:
            raise ValueError(f"not a minisent {cls.kind!r} tokenizer (format {state.get('format')!r}, "
                             f"kind {state.get('kind')!r})")
        return cls(state["vocab"], lowercase=state["lowercase"], **cls._extra_args(state))

    @staticmethod
    def _extra_args(state: dict) -> dict:
        return {}  # what a subclass's constructor needs beyond the vocabulary (BPE: its merges)

    def save(self, path: str | Path) -> Path:
        """Write the tokenizer as one JSON file (readable; no pickles)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f"{path.suffix}.tmp{os.getpid()}")  # atomic, even with two writers at once
        tmp.write_text(json.dumps(self.to_dict(), ensure_ascii=False), encoding="utf-8")
        tmp.replace(path)
        return path

    def __repr__(self) -> str:
        return f"{type(self).__name__}(vocab_size={self.vocab_size}, lowercase={self.lowercase})"
