"""What SimCSE trains on: the sentences and NLI triplets, as endless seeded batches without duplicates."""
from __future__ import annotations

from itertools import count
from typing import Sequence

from .. import data
from .sampler import DistinctBatchSampler


class SentenceBatches:
    """Endless batches of `batch_size` distinct sentences (list[str]), reshuffled each epoch, from `seed`.

    Restarting the iteration restarts the same stream (what `fit` needs to resume a run exactly)."""

    def __init__(self, sentences: Sequence[str], batch_size: int = 128, seed: int = 0):
        self.sentences = list(sentences)
        self.sampler = DistinctBatchSampler.from_texts(self.sentences, batch_size, seed=seed)

    def __iter__(self):
        for epoch in count():
            self.sampler.set_epoch(epoch)
            for idx in self.sampler:
                yield [self.sentences[i] for i in idx]


class TripletBatches:
    """Endless batches {"anchor", "positive", "negative": list[str]} of NLI triplets; no text twice in a batch."""

    def __init__(self, triplets: Sequence, batch_size: int = 64, seed: int = 0):
        self.triplets = list(triplets)
        self.sampler = DistinctBatchSampler.from_texts([(t.anchor, t.positive, t.negative) for t in self.triplets],
                                                       batch_size, seed=seed)

    def __iter__(self):
        for epoch in count():
            self.sampler.set_epoch(epoch)
            for idx in self.sampler:
                ts = [self.triplets[i] for i in idx]
                yield {"anchor": [t.anchor for t in ts], "positive": [t.positive for t in ts],
                       "negative": [t.negative for t in ts]}


# ------------------------------------------------------------------------------------- data
def unsup_sentences(min_words: int = 4) -> list[str]:
    """SimCSE's unsupervised data: the offline corpus (Wikipedia + Lee background), sentences of >= min_words."""
    return [s for s in data.corpus_sentences() if len(s.split()) >= min_words]


def nli_training_triplets() -> list:
    """The hand-written NLI triplets, plus SimCSE's NLI file when it was downloaded (`python -m minisent
    download nli`; never fetched here)."""
    triplets = list(data.nli_triplets())
    path = data.path_of("nli")
    if path.exists():
        triplets += data.read_nli_csv(path)
    return triplets
