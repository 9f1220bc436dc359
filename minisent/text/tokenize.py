"""Tokenizers: text -> integer ids a Transformer can embed, and back.

Two tokenizers share one interface (`Tokenizer`):

    WordTokenizer   one id per word (`data.tokenize_words`); unseen words -> [UNK]
    BPETokenizer    byte-pair encoding: start from characters, repeatedly merge the most frequent
                    adjacent pair into a new symbol, until the vocabulary has the size asked for.
                    Frequent words become one token ("▁the"), rare words split into pieces
                    ("▁tark", "ov", "sky"), so nothing is ever out of vocabulary except a character
                    never seen in training (-> [UNK]).

Every tokenizer reserves the same special tokens, with the same ids:

    [PAD]=0  padding, ignored by attention and pooling
    [UNK]=1  anything the vocabulary cannot spell
    [CLS]=2  put first in every sequence (its vector is the "cls" pooling)
    [SEP]=3  put last
    [MASK]=4 what masked-language-model pretraining hides a token behind

and batch-encodes a list of sentences into two (B, T) tensors: `input_ids` (padded with 0) and
`attention_mask` (True at real tokens, False at padding).

    tok = corpus_bpe()                         # trained once on data.corpus_sentences(), then cached
    tok.tokens("The river bank.")              # ['▁the', '▁river', '▁bank', '▁.'] (the "▁" marks a space)
    batch = tok(["a short one", "a longer sentence here"], max_length=16)
    batch.input_ids.shape, batch.attention_mask.shape   # (2, T), (2, T)
    tok.decode(batch.input_ids[0])             # 'a short one'
"""
from __future__ import annotations

import heapq
import json
import numbers
import os
import re
import unicodedata
from collections import Counter, defaultdict
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


def pad_batch(sequences: Sequence[Sequence[int]], pad_to: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-pad lists of ids with PAD_ID. -> input_ids (B, T) int64, attention_mask (B, T) bool.

    T is the longest sequence (at least 1), or `pad_to` when given.
    """
    T = max([len(s) for s in sequences] + [1] + ([pad_to] if pad_to else []))
    ids = torch.full((len(sequences), T), PAD_ID, dtype=torch.long)  # (B, T)
    for i, seq in enumerate(sequences):
        ids[i, :len(seq)] = torch.as_tensor(list(seq), dtype=torch.long)
    mask = torch.arange(T)[None, :] < torch.tensor([len(s) for s in sequences])[:, None]  # (B, T)
    return ids, mask


# --------------------------------------------------------------------------------- base class
class Tokenizer:
    """What both tokenizers share: the vocabulary, special tokens, batching, decoding, save/load.

    A subclass only says how a text becomes token strings (`tokens`) and how token strings
    join back into text (`_join`).
    """

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
        ids = [self.token_to_id.get(t, UNK_ID) for t in self.tokens(text)]
        if add_special_tokens:
            if max_length is not None:
                if max_length < 2:
                    raise ValueError(f"max_length must leave room for [CLS] and [SEP] (>= 2), got {max_length}")
                ids = ids[:max_length - 2]
            return [CLS_ID] + ids + [SEP_ID]
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

    def __call__(self, texts: Sequence[str], max_length: int | None = None, pad_to: int | None = None,
                 add_special_tokens: bool = True) -> Batch:
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
        ids, mask = pad_batch(seqs, pad_to)
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


# ----------------------------------------------------------------------------- word level
class WordTokenizer(Tokenizer):
    """One token per word, words as `data.tokenize_words` finds them (punctuation is dropped).

    The simplest tokenizer, and what lessons 01-02 used. Its weakness: every word not in the
    vocabulary becomes the same [UNK], and the vocabulary grows with the corpus.
    """

    kind = "word"

    @classmethod
    def train(cls, sentences: Iterable[str], vocab_size: int = 8000, min_count: int = 2) -> "WordTokenizer":
        """Keep the `vocab_size - 5` most frequent words seen at least `min_count` times."""
        from ..data import tokenize_words

        counts = Counter(w for s in sentences for w in tokenize_words(s))
        ranked = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
        return cls(SPECIAL_TOKENS + ranked[:max(0, vocab_size - len(SPECIAL_TOKENS))])

    def tokens(self, text: str) -> list[str]:
        from ..data import tokenize_words

        return tokenize_words(self.normalize(text))

    def _join(self, tokens: list[str]) -> str:
        return " ".join(tokens)


# ------------------------------------------------------------------------- byte-pair encoding
# Pre-tokenization: the text (normalized, with one space put in front) is cut into chunks, and
# merges never cross a chunk boundary. A chunk is a run of letters, a run of digits, or one other
# character, each with the space before it: " the river's bank, 1901" ->
# [" the", " river", "'", "s", " bank", ",", " 1901"]. The space is kept as "▁" so decoding is exact.
_CHUNK = re.compile(r" ?[^\W\d_]+| ?\d+| ?\S")


def pre_tokenize(normalized_text: str) -> list[str]:
    """Normalized text -> chunks with "▁" for the space in front: "the bank." -> ["▁the", "▁bank", "."]."""
    return [c.replace(" ", SPACE) for c in _CHUNK.findall(" " + normalized_text)]


def merge_pair(ids: list[int], pair: tuple[int, int], new_id: int) -> list[int]:
    """Replace every occurrence of `pair` in `ids` by `new_id`, left to right, without overlaps:
    merging (7, 7) in [7, 7, 7] gives [new, 7]. The one step both BPE training and encoding repeat."""
    a, b = pair
    merged, i = [], 0
    while i < len(ids):
        if i + 1 < len(ids) and ids[i] == a and ids[i + 1] == b:
            merged.append(new_id)
            i += 2
        else:
            merged.append(ids[i])
            i += 1
    return merged


class BPETokenizer(Tokenizer):
    """Byte-pair encoding (Sennrich et al., 2016) over characters.

    State: the vocabulary (specials, then characters, then one token per merge, in the order the
    merges were learned) and the list of merges (left_id, right_id) -> new id = 5 + n_chars + rank.
    Encoding a chunk replays the learned merges in rank order, which reproduces training exactly.
    """

    kind = "bpe"

    @staticmethod
    def _extra_args(state: dict) -> dict:
        return {"merges": [tuple(m) for m in state["merges"]]}

    def __init__(self, vocab: Sequence[str], merges: Sequence[tuple[int, int]], lowercase: bool = True):
        super().__init__(vocab, lowercase)
        self.merges = [tuple(m) for m in merges]
        first_merge_id = len(self.vocab) - len(self.merges)
        # rank of each pair: lower rank = learned earlier = applied first
        self.ranks = {pair: r for r, pair in enumerate(self.merges)}
        self.merge_to_id = {pair: first_merge_id + r for r, pair in enumerate(self.merges)}
        self._cache: dict[str, list[str]] = {}

    def _extra_state(self) -> dict:
        return {"merges": [list(m) for m in self.merges]}

    # --- training -----------------------------------------------------------------------
    @classmethod
    def train(cls, sentences: Iterable[str], vocab_size: int = 8000, lowercase: bool = True,
              min_pair_count: int = 2, progress: bool = False) -> "BPETokenizer":
        """Learn merges until the vocabulary has `vocab_size` tokens (or no pair occurs twice).

        Incremental counting: a merge touches only the chunks that contain its pair, so we keep
          counts[pair]  how often each adjacent pair occurs, weighted by chunk frequency
          where[pair]   which distinct chunks contain it
          heap          (-count, pair), with stale entries skipped when popped
        and after merging (a, b) we re-count only the chunks in where[(a, b)]. Counting every pair
        from scratch after each merge would be ~8000 passes over the corpus.
        """
        dummy = cls(SPECIAL_TOKENS, [], lowercase)
        chunk_counts = Counter(c for s in sentences for c in pre_tokenize(dummy.normalize(s)))
        # the base alphabet: every character seen (sorted, so the result does not depend on dict order)
        alphabet = sorted({ch for chunk in chunk_counts for ch in chunk})
        vocab = SPECIAL_TOKENS + alphabet
        if vocab_size < len(vocab):
            raise ValueError(f"vocab_size={vocab_size} is smaller than the {len(vocab)} special tokens + characters")
        char_id = {ch: i for i, ch in enumerate(vocab)}

        chunks = [[char_id[ch] for ch in chunk] for chunk in chunk_counts]  # distinct chunks as id lists
        freq = list(chunk_counts.values())
        counts: dict[tuple[int, int], int] = defaultdict(int)
        where: dict[tuple[int, int], set[int]] = defaultdict(set)
        for ci, ids in enumerate(chunks):
            for pair in zip(ids, ids[1:]):
                counts[pair] += freq[ci]
                where[pair].add(ci)
        heap = [(-c, pair) for pair, c in counts.items()]
        heapq.heapify(heap)

        merges: list[tuple[int, int]] = []
        bar = None
        if progress:
            from ..progress import tqdm
            bar = tqdm(total=vocab_size - len(vocab), desc="BPE merges", mininterval=3.0)
        while len(vocab) < vocab_size and heap:
            neg, pair = heapq.heappop(heap)
            if counts.get(pair, 0) != -neg:
                continue                      # stale entry: this pair's count changed since it was pushed
            if -neg < min_pair_count:
                break                         # nothing left that occurs twice
            new_id = len(vocab)
            vocab.append(vocab[pair[0]] + vocab[pair[1]])
            merges.append(pair)
            changed = set()
            for ci in where.pop(pair):
                ids, f = chunks[ci], freq[ci]
                for p in zip(ids, ids[1:]):   # take the chunk's old pairs out ...
                    counts[p] -= f
                    changed.add(p)
                merged = merge_pair(ids, pair, new_id)   # ... merge every (a, b) in it ...
                chunks[ci] = merged
                for p in zip(merged, merged[1:]):  # ... and put its new pairs in
                    counts[p] += f
                    where[p].add(ci)
                    changed.add(p)
            counts.pop(pair, None)
            for p in changed:
                if counts.get(p, 0) > 0:
                    heapq.heappush(heap, (-counts[p], p))
                elif p in counts:
                    del counts[p]
            if bar is not None:
                bar.update(1)
        if bar is not None:
            bar.close()
        return cls(vocab, merges, lowercase)

    # --- encoding -----------------------------------------------------------------------
    def _bpe(self, chunk: str) -> list[str]:
        """One chunk -> its tokens, applying the lowest-ranked mergeable pair until none is left."""
        if chunk in self._cache:
            return self._cache[chunk]
        ids = [self.token_to_id.get(ch, UNK_ID) for ch in chunk]  # an unseen character -> [UNK]
        while len(ids) > 1:
            pairs = list(zip(ids, ids[1:]))
            best = min(pairs, key=lambda p: self.ranks.get(p, float("inf")))
            if best not in self.ranks:
                break
            ids = merge_pair(ids, best, self.merge_to_id[best])
        out = [self.vocab[i] for i in ids]
        if len(self._cache) < 200_000:
            self._cache[chunk] = out
        return out

    def tokens(self, text: str) -> list[str]:
        return [t for chunk in pre_tokenize(self.normalize(text)) for t in self._bpe(chunk)]

    def _join(self, tokens: list[str]) -> str:
        text = "".join(t if t not in (UNK, MASK) else f" {t} " for t in tokens).replace(SPACE, " ")
        return " ".join(text.split())  # single spaces (the " [MASK] " padding may have doubled some)


# ---------------------------------------------------------------------------- cached default
def corpus_bpe(vocab_size: int = 8000, progress: bool = True) -> BPETokenizer:
    """The course's BPE tokenizer: trained on `data.corpus_sentences()` once, then read from the cache."""
    from .. import data

    path = data.CACHE_DIR / f"bpe_{vocab_size}_v{FORMAT_VERSION}.json"
    if path.exists():
        try:
            return BPETokenizer.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, KeyError, json.JSONDecodeError):
            pass  # a broken cache file: train again
    tok = BPETokenizer.train(data.corpus_sentences(), vocab_size=vocab_size, progress=progress)
    tok.save(path)
    return tok
