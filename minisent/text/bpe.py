"""Byte-pair encoding (lesson 03): start from characters, repeatedly merge the most frequent adjacent pair into
a new symbol; `corpus_bpe()` is the course's tokenizer, trained once on the offline corpus and cached."""
from __future__ import annotations

import heapq
import json
import re
from collections import Counter, defaultdict
from typing import Iterable, Sequence

from .. import data
from ..progress import tqdm
from .base import FORMAT_VERSION, MASK, SPACE, SPECIAL_TOKENS, UNK, UNK_ID, Tokenizer


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
        bar = tqdm(total=vocab_size - len(vocab), desc="BPE merges", mininterval=3.0, disable=not progress)
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
            bar.update(1)
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
    path = data.CACHE_DIR / f"bpe_{vocab_size}_v{FORMAT_VERSION}.json"
    if path.exists():
        try:
            return BPETokenizer.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, KeyError, json.JSONDecodeError):
            pass  # a broken cache file: train again
    tok = BPETokenizer.train(data.corpus_sentences(), vocab_size=vocab_size, progress=progress)
    tok.save(path)
    return tok
