"""What the triplet network trains on: Wikipedia section triplets (training articles only) and NLI triplets,
as endless seeded streams of tokenized, length-sorted batches.

    training_triplets(source)                    the training triplets, never evaluation ones
    TripletBatches(tokenizer, triplets, ...)     batches of given triplets
    PairBatches(tokenizer, triplets, ...)        (a, p, 1) and (a, n, 0) pairs made from triplets
    SectionBatches(tokenizer, ...)               P x K batches of labelled sentences, for in-batch mining
"""
from __future__ import annotations

from collections import Counter
from typing import Iterator, Sequence

import numpy as np
import torch

from .. import data
from ..data import NLITriplet
from ..data.triplets import section_triplets
from ..inputs import length_sorted_batches
from ..text.tokenize import Batch, Tokenizer, pad_batch
from .recipes import SOURCES
from .simcse_data import nli_training_triplets

MAX_LENGTH = 128               # tokens per training sentence (a few long Wikipedia sentences are cut)


def training_triplets(source: str = "sections") -> list[NLITriplet]:
    """Training triplets, never evaluation ones.

    "sections": the *training* split of `section_triplets()` (its default article split: the held-out
                articles every lesson evaluates on are excluded, whatever seed training uses);
    "nli":      the hand-written `data.nli_triplets()`, plus SimCSE's NLI file when it has been downloaded
                (`python -m minisent download nli`, read from `data.path_of("nli")`);
    "both":     the two together.
    """
    if source not in SOURCES:
        raise ValueError(f"source must be one of {', '.join(SOURCES)}; got {source!r}")
    out: list[NLITriplet] = []
    if source in ("sections", "both"):
        out += section_triplets()[0]
    if source in ("nli", "both"):
        out += nli_training_triplets()
    return out


def section_labels() -> dict[str, str]:
    """sentence -> "article / section" for every Wikipedia sentence that occurs in exactly one section
    (the only ones section triplets use), so in-batch mining knows which sentences are positives."""
    sentences = data.wiki_sentences()
    count = Counter(s.text for s in sentences)
    return {s.text: f"{s.article} / {s.section}" for s in sentences if count[s.text] == 1}


def _as_triplets(triplets) -> list[NLITriplet]:
    out = []
    for i, t in enumerate(triplets):
        t = t if isinstance(t, NLITriplet) else NLITriplet(*t)
        for s in (t.anchor, t.positive, t.negative):
            if not isinstance(s, str) or not s.strip():
                raise ValueError(f"triplet {i} holds an empty or non-str sentence: {t!r}")
        out.append(t)
    return out


class TripletBatches:
    """An endless stream of triplet batches, reproducible from `seed`. Each item is a dict:

        chunks     the 3B sentences [anchors; positives; negatives], sorted by length and cut into
                   `n_chunks` padded Batch(input_ids (b, T), attention_mask (b, T))
        restore    (3B,) long: cat(model(chunk) for chunk in chunks)[restore] puts the rows back in the
                   order anchors (B), positives (B), negatives (B)
        labels     (3B,) long: a group id per row of that order; equal ids = "these may be pulled
                   together" (for in-batch mining)
        triplets   the B NLITriplets themselves (for inspection; not moved to a device)

    Why chunks: the sentences of one batch differ a lot in length (5 to 128 tokens) and a padded batch
    costs as much as its longest sentence. Sorted first, each chunk holds sentences of similar length:
    about half the padding of one Batch per role, hence about half the compute. Padding never changes
    an embedding (the pooling is mask-aware), so the vectors are exactly those of model(anchors) etc.

    Each sentence is tokenized once. Every epoch the triplets are shuffled and cut into batches of
    `batch_size` (the last, smaller one is dropped: every step sees a full batch).

    Labels: with `labels` (a dict sentence -> group, e.g. `section_labels()`) every sentence gets its
    group; otherwise anchor i and positive i share the id i and each negative gets an id of its own.
    """

    def __init__(self, tokenizer: Tokenizer, triplets: Sequence, batch_size: int = 32,
                 max_length: int = MAX_LENGTH, labels: dict[str, str] | None = None, seed: int = 0,
                 n_chunks: int = 4):
        self.n_chunks = n_chunks
        self.triplets = _as_triplets(triplets)
        if batch_size < 2:
            raise ValueError(f"batch_size must be >= 2, got {batch_size}")
        if len(self.triplets) < batch_size:
            raise ValueError(f"{len(self.triplets)} triplets cannot fill one batch of {batch_size}: "
                             f"lower batch_size or give more triplets")
        self.batch_size, self.seed = batch_size, seed
        texts = sorted({s for t in self.triplets for s in (t.anchor, t.positive, t.negative)})
        self.ids = {s: tokenizer.encode(s, max_length=max_length) for s in texts}   # sentence -> token ids
        if labels is None:
            self.groups = None
        else:
            missing = [s for s in texts if s not in labels]
            if missing:
                raise ValueError(f"{len(missing)} sentence(s) have no label, e.g. {missing[0][:60]!r}")
            names = sorted({labels[s] for s in texts})
            self.groups = {s: names.index(labels[s]) for s in texts}           # sentence -> int group

    def __len__(self) -> int:
        """Batches per epoch."""
        return len(self.triplets) // self.batch_size

    def chunked(self, sentences: list[str]) -> tuple[list[Batch], torch.Tensor]:
        """N sentences -> (length-sorted padded chunks, restore (N,)): cat(chunk outputs)[restore] = input order."""
        size = -(-len(sentences) // self.n_chunks)                             # ceil(N / n_chunks)
        batches, restore = length_sorted_batches([len(self.ids[s]) for s in sentences], size)
        chunks = [Batch(*pad_batch([self.ids[sentences[i]] for i in idx])) for idx in batches]   # (b, T) each
        return chunks, torch.tensor(restore)

    def make_batch(self, triplets: list[NLITriplet]) -> dict:
        a, p, n = ([getattr(t, role) for t in triplets] for role in ("anchor", "positive", "negative"))
        B = len(triplets)
        if self.groups is None:
            labels = list(range(B)) + list(range(B)) + list(range(B, 2 * B))  # a_i ~ p_i; negatives alone
        else:
            labels = [self.groups[s] for s in a + p + n]
        chunks, restore = self.chunked(a + p + n)
        return {"chunks": chunks, "restore": restore, "labels": torch.tensor(labels, dtype=torch.long),
                "triplets": list(triplets)}

    def __iter__(self) -> Iterator[dict]:
        rng = np.random.default_rng(self.seed)
        while True:  # one epoch per loop
            order = rng.permutation(len(self.triplets))
            for start in range(0, len(order) - self.batch_size + 1, self.batch_size):
                yield self.make_batch([self.triplets[i] for i in order[start:start + self.batch_size]])


class PairBatches(TripletBatches):
    """Labelled pairs for the contrastive loss, made from triplets: (anchor, positive, 1) and (anchor, negative, 0).

    Each item: {"chunks", "restore"} for the 3B sentences as in TripletBatches, plus
    "x1" (2B,) and "x2" (2B,) long: the rows of the pairs in that order (anchors 0..B-1, positives B..2B-1,
    negatives 2B..3B-1), and "labels" (2B,) float: 1 for (a_i, p_i), 0 for (a_i, n_i).
    Each anchor is encoded once and used in both of its pairs.
    """

    def make_batch(self, triplets: list[NLITriplet]) -> dict:
        batch = super().make_batch(triplets)
        B = len(triplets)
        anchors = torch.arange(B)
        batch["x1"] = torch.cat([anchors, anchors])                           # (2B,) a_i, a_i
        batch["x2"] = torch.cat([anchors + B, anchors + 2 * B])               # (2B,) p_i, n_i
        batch["labels"] = torch.cat([torch.ones(B), torch.zeros(B)])          # (2B,) similar, dissimilar
        return batch


def training_sections(min_section_size: int = 4) -> dict[str, dict[str, list[str]]]:
    """article -> section -> sentences, for the *training* articles of `section_triplets()` only.

    Every sentence of those sections (not only the ones drawn into triplets), so a sampler can draw
    fresh groups every epoch; sections with fewer than `min_section_size` sentences and articles with
    fewer than two such sections are left out, as in `section_triplets`.
    """
    labels = section_labels()
    train_articles = {labels[s].split(" / ")[0] for t in section_triplets()[0]
                      for s in (t.anchor, t.positive, t.negative)}
    tree: dict[str, dict[str, list[str]]] = {}
    for s in data.wiki_sentences():
        if s.article in train_articles and s.text in labels:
            tree.setdefault(s.article, {}).setdefault(s.section, []).append(s.text)
    out = {}
    for article, sections in sorted(tree.items()):
        kept = {name: sents for name, sents in sorted(sections.items()) if len(sents) >= min_section_size}
        if len(kept) >= 2:
            out[article] = kept
    return out


class SectionBatches:
    """Batches for in-batch mining, "P x K" style (Hermans et al. 2017): each batch holds `articles`
    articles x `sections` sections of each x `per_section` sentences of each, drawn afresh every time
    from `training_sections()` (or the tree given). Each item is a dict:

        chunks, restore   the N = articles * sections * per_section sentences (see TripletBatches)
        labels            (N,) long: one id per section; the same article's other sections are the hard
                          negatives (the section-distinction task), other articles' the easy ones
        sentences         the N sentences (for inspection)

    With `TripletObjective(mining=...)`, one batch of N sentences holds many triplets at once: with
    the defaults 2 x 4 x 4 = 32 sentences, 32 anchors x 3 positives x 28 negatives.
    """

    def __init__(self, tokenizer: Tokenizer, tree: dict[str, dict[str, list[str]]] | None = None,
                 articles: int = 2, sections: int = 4, per_section: int = 4, max_length: int = MAX_LENGTH,
                 seed: int = 0, n_chunks: int = 2):
        self.tree = training_sections() if tree is None else tree
        self.articles = [a for a in sorted(self.tree) if len(self.tree[a]) >= 2]
        if len(self.articles) < articles:
            raise ValueError(f"need {articles} articles with >= 2 sections, have {len(self.articles)}")
        self.n_articles, self.n_sections, self.per_section = articles, sections, per_section
        self.seed, self.n_chunks = seed, n_chunks
        self.section_id = {(a, name): i for i, (a, name) in
                           enumerate((a, name) for a in self.articles for name in sorted(self.tree[a]))}
        self.ids = {s: tokenizer.encode(s, max_length=max_length)
                    for a in self.articles for sents in self.tree[a].values() for s in sents}

    chunked = TripletBatches.chunked

    def __iter__(self) -> Iterator[dict]:
        rng = np.random.default_rng(self.seed)
        while True:
            sentences, labels = [], []
            for a in rng.choice(len(self.articles), self.n_articles, replace=False):
                article = self.articles[a]
                names = sorted(self.tree[article])
                for k in rng.choice(len(names), min(self.n_sections, len(names)), replace=False):
                    sents = self.tree[article][names[k]]
                    for i in rng.choice(len(sents), min(self.per_section, len(sents)), replace=False):
                        sentences.append(sents[i])
                        labels.append(self.section_id[(article, names[k])])
            chunks, restore = self.chunked(sentences)
            yield {"chunks": chunks, "restore": restore, "labels": torch.tensor(labels), "sentences": sentences}

