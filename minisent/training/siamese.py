"""Siamese and triplet networks (SBERT, Reimers & Gurevych 2019): one encoder, shared weights, a distance loss.

A *Siamese* network is not two networks: it is one encoder f applied to each input of a pair (a *triplet*
network: to each of three), so every input lands in the same space and distances between them mean
something. Training moves the one set of weights so that the distances come out right:

    anchor a, positive p, negative n  --f (shared)-->  u_a, u_p, u_n  (B, d) each
    triplet loss      L = mean_i max(0, d(u_a_i, u_p_i) - d(u_a_i, u_n_i) + margin)
    contrastive loss  L = mean_i  y_i d(u_1_i, u_2_i)^2 / 2 + (1 - y_i) max(0, margin - d)^2 / 2   (labelled pairs)

(the losses themselves, written out, live in `minisent.losses`; lesson 05 draws them).

The objectives below plug into the course's one training loop, `train.fit(model, objective, batches, steps)`:

    TripletObjective(margin, distance, mining)   objective(model, batch) -> (loss, metrics)
    ContrastiveObjective(margin, distance)       the same on labelled pairs
    TripletBatches(tokenizer, triplets, ...)     an endless, seeded stream of tokenized triplet batches
    PairBatches(tokenizer, triplets, ...)        (a, p, 1) and (a, n, 0) pairs made from triplets
    training_triplets(source)                    Wikipedia section triplets (training articles only) and/or NLI
    train_triplet(encoder=None, steps=...)       -> (encoder, history)
    train_triplet_cli(out, ...)                  `python -m minisent train triplet --out DIR`

The training data is the Wikipedia section-distinction task (Dor et al. 2018; `data.section_triplets`):
two sentences from one section of an article should be closer than a sentence from another section of the
same article. Held-out *articles* never reach a training batch, so held-out accuracy measures generalisation.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np
import torch

from .. import data
from ..data import NLITriplet
from ..data.triplets import section_triplets
from ..device import get_device
from ..inputs import length_sorted_batches
from ..losses import batch_triplet_loss, contrastive_loss, triplet_loss
from ..nn.encoder import SentenceEncoder
from ..text.tokenize import Batch, Tokenizer, pad_batch

# ------------------------------------------------------------------------------ the default recipe
# Chosen on held-out section-triplet accuracy; what was tried: benchmarks/RESULTS.md, "Experiment log".
DEFAULT_STEPS = 150
DEFAULT_BATCH = 32
DEFAULT_LR = 5e-4
DEFAULT_MARGIN = 0.3
DEFAULT_DISTANCE = "cosine"
DEFAULT_MINING = None
DEFAULT_INIT = "mlm"           # "mlm": pretrained_mlm(); "random": a fresh encoder of the same shape
DEFAULT_WARMUP = 0.1
MAX_LENGTH = 128               # tokens per training sentence (a few long Wikipedia sentences are cut)
SOURCES = ("sections", "nli", "both")
MININGS = (None, "all", "hard", "semi-hard")


# ------------------------------------------------------------------------------------------ data
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
        out += data.nli_triplets()
        path = data.path_of("nli")
        if path.exists():
            out += data.read_nli_csv(path)
    return out


def section_labels() -> dict[str, str]:
    """sentence -> "article / section" for every Wikipedia sentence that occurs in exactly one section
    (the only ones section triplets use), so in-batch mining knows which sentences are positives."""
    from collections import Counter

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

    def __init__(self, tokenizer: Tokenizer, triplets: Sequence, batch_size: int = DEFAULT_BATCH,
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


# ------------------------------------------------------------------------------------- objectives
def _distance(u: torch.Tensor, v: torch.Tensor, distance: str) -> torch.Tensor:
    """Row-wise distance (B, d), (B, d) -> (B,), detached: for the metrics only."""
    if distance == "cosine":
        return 1 - torch.nn.functional.cosine_similarity(u, v, dim=-1)
    return (u - v).norm(dim=-1)


def embed(model, batch: dict) -> torch.Tensor:
    """Every sentence of a batch through the one model -> (3B, d), rows in the order anchors, positives,
    negatives. The readable equivalent is  cat([model(anchors), model(positives), model(negatives)]):
    the chunks only group sentences of similar length (see TripletBatches)."""
    z = torch.cat([model(chunk) for chunk in batch["chunks"]])    # (3B, d), length-sorted order
    return z[batch["restore"]]                                      # (3B, d), a..., p..., n...


class TripletObjective:
    """objective(model, batch) -> (loss, metrics) for `fit`: the triplet network.

    The *same* model embeds anchors, positives and negatives (one set of weights; see `embed`):

        u_a, u_p, u_n = model(anchors), model(positives), model(negatives)     each (B, d)
        mining=None:  L = triplet_loss(u_a, u_p, u_n, margin, distance)        the given triplets
        mining="hard" / "semi-hard" / "all":
                      L = batch_triplet_loss(cat[u_a, u_p, u_n] (3B, d), labels (3B,), ...)
                      the triplets are re-chosen inside the batch: every other sentence whose label
                      differs is a candidate negative, not only the one given

    metrics: "batch_acc" (fraction of the given triplets with d(a, p) < d(a, n)) and
             "active" (fraction of triplets with a non-zero loss: the ones that still teach something).
    """

    name = "triplet"

    def __init__(self, margin: float = DEFAULT_MARGIN, distance: str = DEFAULT_DISTANCE,
                 mining: str | None = DEFAULT_MINING):
        if mining not in MININGS:
            raise ValueError(f"mining must be one of {MININGS}; got {mining!r}")
        if distance not in ("euclidean", "cosine"):
            raise ValueError(f"distance must be 'euclidean' or 'cosine'; got {distance!r}")
        self.margin, self.distance, self.mining = margin, distance, mining

    def __call__(self, model, batch: dict) -> tuple[torch.Tensor, dict]:
        if "triplets" not in batch:  # labelled sentences (SectionBatches): mining finds the triplets
            if self.mining is None:
                raise ValueError("a batch of labelled sentences has no given triplets: choose a mining mode")
            loss, mined = batch_triplet_loss(embed(model, batch), batch["labels"], self.margin, self.distance,
                                             self.mining, return_triplets=True)
            return loss, {"active": mined.n_active / max(1, len(mined.losses))}
        u_a, u_p, u_n = embed(model, batch).chunk(3)   # (B, d) each: one encoder, one set of weights
        if self.mining is None:
            per = triplet_loss(u_a, u_p, u_n, self.margin, self.distance, reduction="none")   # (B,)
            loss, active = per.mean(), float((per.detach() > 0).float().mean())
        else:
            loss, mined = batch_triplet_loss(torch.cat([u_a, u_p, u_n]), batch["labels"], self.margin,
                                             self.distance, self.mining, return_triplets=True)
            active = mined.n_active / max(1, len(mined.losses))
        with torch.no_grad():
            acc = (_distance(u_a, u_p, self.distance) < _distance(u_a, u_n, self.distance)).float().mean()
        return loss, {"batch_acc": float(acc), "active": active}


class ContrastiveObjective:
    """objective(model, batch) -> (loss, metrics) on labelled pairs (a `PairBatches` stream): a Siamese network.

        u_1, u_2 = model(x1), model(x2)                                        each (2B, d), shared weights
        (x1 = a_1..a_B, a_1..a_B; x2 = p_1..p_B, n_1..n_B; each sentence encoded once, see `embed`)
        L = contrastive_loss(u_1, u_2, labels, margin, distance)

    metrics: "pos_dist" / "neg_dist", the mean distance of similar and of dissimilar pairs.
    """

    name = "contrastive"

    def __init__(self, margin: float = 0.5, distance: str = DEFAULT_DISTANCE):
        self.margin, self.distance = margin, distance

    def __call__(self, model, batch: dict) -> tuple[torch.Tensor, dict]:
        z = embed(model, batch)                                        # (3B, d): anchors, positives, negatives
        u1, u2 = z[batch["x1"]], z[batch["x2"]]                        # (2B, d) each: the two sides of each pair
        y = batch["labels"]
        loss = contrastive_loss(u1, u2, y, self.margin, self.distance)
        with torch.no_grad():
            d = _distance(u1, u2, self.distance)                      # (2B,)
            pos, neg = d[y == 1].mean(), d[y == 0].mean()
        return loss, {"pos_dist": float(pos), "neg_dist": float(neg)}


# -------------------------------------------------------------------------------------- training
def initial_encoder(init: str = DEFAULT_INIT, seed: int = 0, device=None, progress: bool = True) -> SentenceEncoder:
    """Where training starts. "mlm": the course's MLM-pretrained encoder (trained once, cached);
    "random": a freshly initialized encoder of the same shape and tokenizer."""
    from .train import DEFAULT_MLM_CONFIG, pretrained_mlm
    from ..nn.transformer import TransformerConfig

    if init == "mlm":
        return pretrained_mlm(device=device, progress=progress)
    if init == "random":
        from ..text.tokenize import corpus_bpe

        return SentenceEncoder.create(corpus_bpe(progress=progress), TransformerConfig(**DEFAULT_MLM_CONFIG),
                                      seed=seed).to(get_device(device))
    raise ValueError(f"init must be 'mlm' or 'random'; got {init!r}")


class _Quiet:
    """Wrap an encoder so that evaluation inside training shows no progress bar of its own."""

    def __init__(self, encoder):
        self.encoder = encoder

    def encode(self, sentences):
        return self.encoder.encode(sentences, show_progress=False)


def train_triplet(encoder: SentenceEncoder | None = None, steps: int = DEFAULT_STEPS, *,
                  triplets: Sequence | None = None, source: str = "sections", objective: str = "triplet",
                  batch_size: int = DEFAULT_BATCH, lr: float = DEFAULT_LR, margin: float = DEFAULT_MARGIN,
                  distance: str = DEFAULT_DISTANCE, mining: str | None = DEFAULT_MINING,
                  warmup: float = DEFAULT_WARMUP, init: str = DEFAULT_INIT, seed: int = 0, device=None,
                  progress: bool = True, max_seconds: float | None = None,
                  eval_triplets: Sequence | dict | None = None, eval_every: int = 0) -> tuple[SentenceEncoder, dict]:
    """Train a sentence encoder as a triplet (or Siamese-pairs) network. Returns (encoder, history).

    encoder:    trained in place; None starts from `initial_encoder(init)` (the MLM-pretrained one by default).
    triplets:   training triplets (NLITriplet or 3-tuples); None: `training_triplets(source)`.
    objective:  "triplet" (TripletObjective(margin, distance, mining)) or "contrastive"
                (ContrastiveObjective(margin, distance) on (a, p, 1), (a, n, 0) pairs).
    mining:     None (the given triplets), or "hard" / "semi-hard" / "all" inside each batch; section
                triplets are labelled by section for it, other triplets by pair.
    eval_triplets, eval_every: measure `evaluate.triplet_accuracy` before training, every `eval_every` steps
                and at the end, on a list of triplets -> history["eval_acc"] (a list), or on a dict of named
                lists (e.g. {"held-out": ..., "train": ...}) -> history["eval_acc"][name]; history["eval_step"]
                holds the steps.

    history: `fit`'s per-step lists ("loss", "lr", "batch_acc", "active", ...), the eval curve and "config".
    """
    from ..evaluation.evaluate import triplet_accuracy
    from .train import fit

    if objective not in ("triplet", "contrastive"):
        raise ValueError(f"objective must be 'triplet' or 'contrastive'; got {objective!r}")
    if encoder is None:
        encoder = initial_encoder(init, seed=seed, device=device, progress=progress)
    given = triplets is not None
    triplets = _as_triplets(training_triplets(source) if triplets is None else triplets)
    labels = None
    if mining is not None and objective == "triplet":
        known = section_labels()
        if all(s in known for t in triplets for s in (t.anchor, t.positive, t.negative)):
            labels = known  # same section = positive, even across triplets
    max_length = min(MAX_LENGTH, encoder.max_length)
    if objective == "triplet":
        batches = TripletBatches(encoder.tokenizer, triplets, batch_size, max_length, labels, seed)
        obj = TripletObjective(margin, distance, mining)
    else:
        batches = PairBatches(encoder.tokenizer, triplets, batch_size, max_length, None, seed)
        obj = ContrastiveObjective(margin, distance)

    # the evaluation curve: {name: triplets}, measured at step 0, every `eval_every` steps and at the end
    named = eval_triplets if isinstance(eval_triplets, dict) else {"": eval_triplets}
    named = {k: list(v) for k, v in named.items() if v is not None}
    curve = {"eval_step": [], "eval_acc": {k: [] for k in named}}

    def measure(step: int) -> None:
        curve["eval_step"].append(step)
        for k, ts in named.items():
            curve["eval_acc"][k].append(triplet_accuracy(_Quiet(encoder), ts))

    def callback(step: int, history: dict) -> None:
        if eval_every and step % eval_every == 0:
            measure(step)

    if named:
        measure(0)
    history = fit(encoder, obj, batches, steps, lr=lr, warmup=warmup, device=device, seed=seed,
                  progress=progress, desc=f"{objective} training", max_seconds=max_seconds,
                  callback=callback if named else None)
    if named:
        if curve["eval_step"][-1] != len(history["loss"]):
            measure(len(history["loss"]))  # the end, when it is not a multiple of eval_every
        history["eval_step"] = curve["eval_step"]
        history["eval_acc"] = curve["eval_acc"] if isinstance(eval_triplets, dict) else curve["eval_acc"][""]
    history["config"] = dict(objective=objective, steps=len(history["loss"]), batch_size=batch_size, lr=lr,
                             margin=margin, distance=distance, mining=mining, warmup=warmup,
                             source="given" if given else source, n_triplets=len(triplets), seed=seed)
    return encoder, history


def train_triplet_cli(out: str | Path, minutes: float | None = None, steps: int | None = None, device=None,
                      seed: int = 0) -> tuple[SentenceEncoder, dict]:
    """`python -m minisent train triplet --out DIR [--minutes M] [--steps N] [--device D] [--seed S]`.

    Starts from the MLM-pretrained encoder, trains on the training-article section triplets with the
    default recipe (DEFAULT_STEPS steps, or as many as fit in --minutes), prints held-out triplet accuracy
    before and after, and saves the encoder (+ history.json) to `out`: `python -m minisent eval --model DIR`
    and `minisent.load(DIR)` read it back.
    """
    from .train import recent_loss, save_with_history

    if steps is None:
        steps = DEFAULT_STEPS if minutes is None else 1_000_000
    held_out = section_triplets()[1]   # the default split: --seed never moves it
    t0 = time.perf_counter()
    encoder, history = train_triplet(steps=steps, seed=seed, device=device, eval_triplets=held_out,
                                     max_seconds=None if minutes is None else 60.0 * minutes)
    path = save_with_history(encoder, history, out)
    print(f"triplet: {len(history['loss'])} steps in {time.perf_counter() - t0:.0f} s; "
          f"train loss (last 20 steps) {recent_loss(history):.3f}; "
          f"held-out section-triplet accuracy {history['eval_acc'][0]:.3f} -> {history['eval_acc'][-1]:.3f} "
          f"({len(held_out)} triplets from held-out articles)")
    print(f"saved to {path}")
    return encoder, history
