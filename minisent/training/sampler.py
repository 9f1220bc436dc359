"""Batches without duplicates: in-batch negatives must really be negatives.

InfoNCE with in-batch negatives treats every *other* row of the batch as a negative. If the same
sentence (or the same premise, the same group) appears twice in one batch, the model is pushed
to tell a sentence apart from itself: a false negative, with the full weight of a real one. On a
corpus with repeated boilerplate ("He was born in London.") or on NLI data where one premise has
several hypotheses, that happens in a batch of 128 more often than one would guess.

    sampler = DistinctBatchSampler.from_texts(sentences, batch_size=128, seed=0)
    for epoch in range(3):
        sampler.set_epoch(epoch)          # a new shuffle each epoch, reproducible from `seed`
        for idx in sampler:               # idx: list[int], len == batch_size, keys all distinct
            batch = [sentences[i] for i in idx]

Each item has one key or several (a hashable, or a tuple / list / set of them): two items may
share a batch only when they share no key. `from_texts` keys each text by `normalize_text`
(lowercase words), so "The cat." and "the cat" count as the same sentence.

How: shuffle, then fill batches greedily; an item whose key is already in the batch being
filled waits, and goes first into the next batch. Only the end of an epoch loses items: a last
incomplete batch (drop_last=True, the default, so that every batch is full), or, with
drop_last=False, the few items left that clash with the last batch. It is a `torch.utils.data`
batch sampler too: DataLoader(dataset, batch_sampler=sampler).
"""
from __future__ import annotations

import random
from collections import deque
from typing import Hashable, Iterator, Sequence

from ..data import tokenize_words


def normalize_text(text: str) -> str:
    """The duplicate key of a text: its lowercase words, single-spaced ("The  Cat!" -> "the cat")."""
    return " ".join(tokenize_words(text))


def _as_keys(item) -> tuple:
    if isinstance(item, (tuple, list, set, frozenset)):
        keys = tuple(item)
        if not keys:
            raise ValueError("an item has an empty key collection; give each item at least one key")
        return keys
    return (item,)


class DistinctBatchSampler:
    """Yields lists of indices (batches) in which no two items share a key. One epoch per iteration.

    keys: one entry per item: a hashable key, or a tuple / list / set of keys.
    batch_size: >= 2 (a batch of one has no negatives).
    drop_last: True: only full batches; False: the last, smaller batches too (each of >= 2 items).
    seed: the shuffle of epoch e is drawn from random.Random(seed * 1_000_003 + e).
    """

    def __init__(self, keys: Sequence[Hashable], batch_size: int, seed: int = 0, drop_last: bool = True):
        if batch_size < 2:
            raise ValueError(f"batch_size must be >= 2 (the other rows are the negatives), got {batch_size}")
        self.keys = [_as_keys(k) for k in keys]
        if not self.keys:
            raise ValueError("no items to sample from")
        self.batch_size, self.seed, self.drop_last = batch_size, seed, drop_last
        self.epoch = 0
        distinct = len({k for ks in self.keys for k in ks})
        if drop_last and distinct < batch_size:
            raise ValueError(f"only {distinct} distinct keys: no batch of {batch_size} without duplicates; "
                             f"lower batch_size")

    @classmethod
    def from_texts(cls, texts: Sequence[str] | Sequence[Sequence[str]], batch_size: int, seed: int = 0,
                   drop_last: bool = True) -> "DistinctBatchSampler":
        """Keys = normalized texts. Each item is a text, or a tuple of texts (e.g. an NLI triplet)."""
        keys = [normalize_text(t) if isinstance(t, str) else tuple(normalize_text(x) for x in t) for t in texts]
        return cls(keys, batch_size, seed, drop_last)

    def set_epoch(self, epoch: int) -> None:
        """Choose the shuffle of the next iteration (like torch's DistributedSampler)."""
        self.epoch = epoch

    def __len__(self) -> int:
        """Number of batches in an epoch (an upper bound when items must wait at the very end)."""
        n = len(self.keys)
        return n // self.batch_size if self.drop_last else (n + self.batch_size - 1) // self.batch_size

    def __iter__(self) -> Iterator[list[int]]:
        order = list(range(len(self.keys)))
        random.Random(self.seed * 1_000_003 + self.epoch).shuffle(order)
        queue = deque(order)
        waiting: list[int] = []  # items whose key was already in the batch being filled
        batch: list[int] = []
        taken: set = set()
        while queue or waiting:
            if not queue:  # the shuffled order is used up; what waits clashes with this batch: close it
                if not self.drop_last and len(batch) >= 2:
                    yield batch
                batch, taken = [], set()
                queue.extend(waiting)
                waiting = []
            i = queue.popleft()
            if taken.intersection(self.keys[i]):
                waiting.append(i)
                continue
            batch.append(i)
            taken.update(self.keys[i])
            if len(batch) == self.batch_size:
                yield batch
                batch, taken = [], set()
                queue.extendleft(reversed(waiting))  # the waiting items go first into the next batch
                waiting = []
        if not self.drop_last and len(batch) >= 2:
            yield batch
