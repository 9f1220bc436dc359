"""BERT's WordPiece tokenizer, by hand (Wu et al. 2016; Devlin et al. 2019).

Two stages turn a text into token strings:

1. the *basic* tokenizer, rules with no vocabulary:
     clean      drop NUL, U+FFFD and control characters; every kind of whitespace becomes " "
     CJK        put spaces around each Chinese/Japanese/Korean ideograph (each is its own word)
     lower      lower-case, then strip accents: decompose (NFD: "é" -> "e" + U+0301) and drop the marks
     split      on whitespace, and cut every punctuation character out as a word of its own
2. *WordPiece* on each word: greedy longest-match-first against the vocabulary. The first piece is
   looked up as is, every later piece with "##" in front ("##" = glued to the piece before):

     "tokenization" -> "token", "##ization"        a word never seen whole is still spelled exactly
     a word with a character no piece covers, or longer than 100 characters -> "[UNK]"

Then [CLS] ... [SEP] around the pieces, cut to `max_length` (the [SEP] kept). The batch it returns
is the course's `Batch` (input_ids (B, T), attention_mask (B, T)), padded with [PAD] = id 0 as every
course tokenizer does, so `SentenceEncoder` and pooling work unchanged. Only the ids of the special
tokens differ from the course's tokenizers: BERT's vocab.txt puts [UNK] at 100, [CLS] at 101, ...

    tok = WordPieceTokenizer.from_vocab_file("vocab.txt")
    tok.tokens("Tokenization, naïvely!")   # ['token', '##ization', ',', 'naive', '##ly', '!']
    batch = tok(["a short one", "a longer sentence here"], max_length=256)
"""
from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Iterable, Sequence

import torch

from .base import CLS, MASK, PAD, SEP, UNK, Tokenizer

MAX_WORD_CHARS = 100  # longer words are not even tried: they become [UNK]


# ------------------------------------------------------------------------------ basic tokenizer
def is_whitespace(ch: str) -> bool:
    return ch in " \t\n\r" or unicodedata.category(ch) == "Zs"


def is_control(ch: str) -> bool:
    return ch not in "\t\n\r" and unicodedata.category(ch).startswith("C")


def is_punctuation(ch: str) -> bool:
    """Unicode punctuation (category P*), plus every ASCII non-letter, non-digit symbol such as $ + < = > ^ ` |."""
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


CJK_RANGES = ((0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F), (0x2B740, 0x2B81F),
              (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F))  # the CJK ideograph blocks BERT splits


def is_cjk(ch: str) -> bool:
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in CJK_RANGES)


def normalize(text: str, lowercase: bool = True) -> str:
    """Clean, space out CJK, and (lowercase=True) lower-case and strip accents."""
    out = []
    for ch in text:
        if ch in ("\x00", "\ufffd") or is_control(ch):
            continue
        out.append(" " if is_whitespace(ch) else f" {ch} " if is_cjk(ch) else ch)
    text = "".join(out)
    if lowercase:
        # one character at a time, as BERT does: a word-final capital sigma becomes "σ", not Python's "ς"
        text = "".join(ch.lower() for ch in text)
        text = unicodedata.normalize("NFD", text)  # "é" -> "e" + U+0301 (a combining mark)
        text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")  # Mn: non-spacing marks
    return text


def basic_tokenize(text: str, lowercase: bool = True) -> list[str]:
    """Text -> words: normalize, split on whitespace, every punctuation character a word of its own."""
    words = []
    for chunk in normalize(text, lowercase).split():
        word = ""
        for ch in chunk:
            if is_punctuation(ch):
                words += [word, ch] if word else [ch]
                word = ""
            else:
                word += ch
        if word:
            words.append(word)
    return words


# ------------------------------------------------------------------------------------- WordPiece
def wordpiece(word: str, vocab: set[str] | dict, max_chars: int = MAX_WORD_CHARS) -> list[str]:
    """One word -> its pieces, greedy longest-match-first; [UNK] when it cannot be spelled.

    From the start of what is left, try the longest substring first and shorten it one character
    at a time until it is in the vocabulary ("##" in front unless it starts the word).
    """
    if len(word) > max_chars:
        return [UNK]
    pieces, start = [], 0
    while start < len(word):
        end = len(word)
        while end > start:
            piece = word[start:end] if start == 0 else "##" + word[start:end]
            if piece in vocab:
                break
            end -= 1
        if end == start:  # not even one character matched: the whole word is unknown
            return [UNK]
        pieces.append(piece)
        start = end
    return pieces


class WordPieceTokenizer(Tokenizer):
    """A BERT vocabulary (one token per line of vocab.txt, id = line number) with the course's interface."""

    kind = "wordpiece"

    def __init__(self, vocab: Sequence[str], lowercase: bool = True):
        vocab = list(vocab)
        missing = [t for t in (PAD, UNK, CLS, SEP, MASK) if t not in vocab]
        if missing:
            raise ValueError(f"a WordPiece vocabulary needs the special tokens {missing}")
        if len(set(vocab)) != len(vocab):
            raise ValueError("the vocabulary has duplicate tokens")
        if vocab[0] != PAD:
            raise ValueError(f"[PAD] must have id 0 (the course pads with 0), it is at {vocab.index(PAD)}")
        self.vocab = vocab
        self.token_to_id = {t: i for i, t in enumerate(vocab)}
        self.lowercase = lowercase
        self.unk_id, self.cls_id, self.sep_id, self.mask_id = (self.token_to_id[t] for t in (UNK, CLS, SEP, MASK))
        self._cache: dict[str, list[str]] = {}  # word -> pieces: corpora repeat words a lot

    @classmethod
    def from_vocab_file(cls, path: str | Path, lowercase: bool = True) -> "WordPieceTokenizer":
        """Read BERT's vocab.txt: one token per line, its line number is its id."""
        lines = Path(path).read_text(encoding="utf-8").split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        return cls(lines, lowercase)

    def tokens(self, text: str) -> list[str]:
        if not isinstance(text, str):
            raise TypeError(f"a tokenizer encodes str, got {type(text).__name__}")
        out = []
        for word in basic_tokenize(text, self.lowercase):
            pieces = self._cache.get(word)
            if pieces is None:
                pieces = self._cache[word] = wordpiece(word, self.token_to_id)
            out += pieces
        return out

    def decode(self, ids: Iterable[int] | torch.Tensor, skip_special_tokens: bool = True) -> str:
        """Ids -> text: pieces joined, "##" glued to the piece before ([PAD] [CLS] [SEP] dropped)."""
        if isinstance(ids, torch.Tensor):
            ids = ids.tolist()
        drop = {self.pad_id, self.cls_id, self.sep_id} if skip_special_tokens else set()
        return self._join([self.vocab[i] for i in ids if i not in drop])

    def _join(self, tokens: list[str]) -> str:
        return " ".join(tokens).replace(" ##", "")

