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
    train_triplet(config, encoder=None)          -> (encoder, history); the recipe: recipes.TripletConfig
    train_triplet_cli(out, ...)                  `python -m minisent train triplet --out DIR`
(the data and its batch streams: triplet_data.py)

The training data is the Wikipedia section-distinction task (Dor et al. 2018; `data.section_triplets`):
two sentences from one section of an article should be closer than a sentence from another section of the
same article. Held-out *articles* never reach a training batch, so held-out accuracy measures generalisation.
"""
from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace
from typing import Sequence

import torch

from ..data.triplets import section_triplets
from ..evaluation.tasks import triplet_accuracy
from ..losses import DISTANCES, MINING, batch_triplet_loss, contrastive_loss, triplet_loss
from ..nn.encoder import SentenceEncoder
from .cache import save_with_history
from .loop import fit, recent_loss
from .recipes import DEFAULT_TRIPLET_CONFIG, TripletConfig, resolve
from .start import start_encoder
from .triplet_data import MAX_LENGTH, PairBatches, TripletBatches, _as_triplets, section_labels, training_triplets


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

        u_a, u_p, u_n = model(anchors), model(positives), model(negatives)     each (B, d), one model (`embed`)
        mining=None:  L = triplet_loss(u_a, u_p, u_n, margin, distance)        the given triplets
        mining="hard" / "semi-hard" / "all":
                      L = batch_triplet_loss(cat[u_a, u_p, u_n] (3B, d), labels (3B,), ...)
                      the triplets are re-chosen inside the batch: every other sentence whose label
                      differs is a candidate negative, not only the one given

    metrics: "batch_acc" (fraction of the given triplets with d(a, p) < d(a, n)) and
             "active" (fraction of triplets with a non-zero loss: the ones that still teach something).
    """

    name = "triplet"

    def __init__(self, margin: float = DEFAULT_TRIPLET_CONFIG.margin, distance: str = DEFAULT_TRIPLET_CONFIG.distance,
                 mining: str | None = DEFAULT_TRIPLET_CONFIG.mining):
        if mining not in (None, *MINING):
            raise ValueError(f"mining must be None or one of {MINING}; got {mining!r}")
        if distance not in DISTANCES:
            raise ValueError(f"distance must be one of {DISTANCES}; got {distance!r}")
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

    def __init__(self, margin: float = 0.5, distance: str = DEFAULT_TRIPLET_CONFIG.distance):
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
def initial_encoder(init: str = DEFAULT_TRIPLET_CONFIG.init, seed: int = 0, device=None, progress: bool = True,
                    dropout: float = 0.0) -> SentenceEncoder:
    """Where training starts (`start.start_encoder`). "mlm": the course's MLM-pretrained encoder (trained once,
    cached); "random": a freshly initialized encoder of the same shape and tokenizer."""
    if init not in ("mlm", "random"):
        raise ValueError(f"init must be 'mlm' or 'random'; got {init!r}")
    return start_encoder(init, dropout=dropout, seed=seed, device=device, progress=progress)


def train_triplet(config: TripletConfig | None = None, *, encoder: SentenceEncoder | None = None,
                  triplets: Sequence | None = None, eval_triplets: Sequence | dict | None = None,
                  eval_every: int | None = None, device=None, progress: bool = True, max_seconds: float | None = None,
                  **overrides) -> tuple[SentenceEncoder, dict]:
    """Train a sentence encoder as a triplet (or Siamese-pairs) network. Returns (encoder, history).

    config:     a TripletConfig (default DEFAULT_TRIPLET_CONFIG); keywords naming its fields override it, e.g.
                train_triplet(steps=100, margin=0.5, mining="semi-hard").
    encoder:    trained in place; None starts from `initial_encoder(config.init)` (the MLM-pretrained one by default).
    triplets:   training triplets (NLITriplet or 3-tuples); None: `training_triplets(config.source)`.
                config.objective "triplet": TripletObjective(margin, distance, mining); "contrastive":
                ContrastiveObjective(margin, distance) on (a, p, 1), (a, n, 0) pairs. Mining labels section
                triplets by section (a same-section sentence is a positive even across triplets), others by pair.
    eval_triplets, eval_every: `triplet_accuracy` on a list of triplets, or a dict of named lists, through fit's
                evaluation hook: before training, every `eval_every` steps and at the end -> history["eval"]
                (fit's rows), and as curves: history["eval_step"], history["eval_acc"] (a list, or {name: list}).

    history: `fit`'s per-step lists ("loss", "lr", "batch_acc", "active", ...), the eval curve and "config".
    """
    cfg, _ = resolve(config, DEFAULT_TRIPLET_CONFIG, overrides)
    if encoder is None:
        encoder = initial_encoder(cfg.init, seed=cfg.seed, device=device, progress=progress, dropout=cfg.dropout)
    given = triplets is not None
    triplets = _as_triplets(training_triplets(cfg.source) if triplets is None else triplets)
    labels = None
    if cfg.mining is not None and cfg.objective == "triplet":
        known = section_labels()
        if all(s in known for t in triplets for s in (t.anchor, t.positive, t.negative)):
            labels = known  # same section = positive, even across triplets
    max_length = min(MAX_LENGTH, encoder.max_length)
    if cfg.objective == "triplet":
        batches = TripletBatches(encoder.tokenizer, triplets, cfg.batch_size, max_length, labels, cfg.seed)
        objective = TripletObjective(cfg.margin, cfg.distance, cfg.mining)
    else:
        batches = PairBatches(encoder.tokenizer, triplets, cfg.batch_size, max_length, None, cfg.seed)
        objective = ContrastiveObjective(cfg.margin, cfg.distance)

    named = eval_triplets if isinstance(eval_triplets, dict) else {"": eval_triplets}
    named = {k: list(v) for k, v in named.items() if v is not None}

    def accuracies(model: SentenceEncoder) -> dict:  # fit's eval_fn: {name: held-out triplet accuracy}
        quiet = SimpleNamespace(encode=lambda sentences: model.encode(sentences, show_progress=False))
        return {k: triplet_accuracy(quiet, ts) for k, ts in named.items()}

    history = fit(encoder, objective, batches, cfg.steps, lr=cfg.lr, warmup=cfg.warmup, device=device,
                  seed=cfg.seed, progress=progress, desc=f"{cfg.objective} training", max_seconds=max_seconds,
                  eval_fn=accuracies if named else None, eval_every=eval_every or None)
    if named:
        history["eval_step"] = [row["step"] for row in history["eval"]]
        curves = {k: [row[k] for row in history["eval"]] for k in named}
        history["eval_acc"] = curves if isinstance(eval_triplets, dict) else curves[""]
    history["config"] = {**cfg.to_dict(), "source": "given" if given else cfg.source, "n_triplets": len(triplets)}
    return encoder, history


def train_triplet_cli(out: str | Path, config: TripletConfig = DEFAULT_TRIPLET_CONFIG, *,
                      minutes: float | None = None, device=None) -> tuple[SentenceEncoder, dict]:
    """`python -m minisent train triplet --out DIR [--steps N] [--margin M] ... [--minutes M] [--device D]`.

    Trains `config` (from the MLM-pretrained encoder, on the training-article section triplets by default; for at
    most `minutes` when given), prints held-out triplet accuracy before and after, and saves the encoder
    (+ history.json) to `out`: `python -m minisent eval --model DIR` and `minisent.load(DIR)` read it back.
    """
    held_out = section_triplets()[1]   # the default split: --seed never moves it
    t0 = time.perf_counter()
    encoder, history = train_triplet(config, device=device, eval_triplets=held_out,
                                     max_seconds=None if minutes is None else 60.0 * minutes)
    path = save_with_history(encoder, history, out)
    print(f"triplet: {len(history['loss'])} steps in {time.perf_counter() - t0:.0f} s; "
          f"train loss (last 20 steps) {recent_loss(history):.3f}; "
          f"held-out section-triplet accuracy {history['eval_acc'][0]:.3f} -> {history['eval_acc'][-1]:.3f} "
          f"({len(held_out)} triplets from held-out articles)")
    print(f"saved to {path}")
    return encoder, history
