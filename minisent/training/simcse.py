"""SimCSE (Gao, Yao & Chen, 2021): contrastive sentence embeddings, unsupervised and supervised.

Unsupervised: pass each sentence x_i of a batch through the encoder twice. Dropout is on, so the
two passes use different dropout masks and give two slightly different vectors h_i, h_i^+. Ask
the model to pick h_i^+ out of the batch, every other sentence being a negative (InfoNCE):

    loss = - 1/B sum_i log  exp(cos(h_i, h_i^+) / tau) / sum_j exp(cos(h_i, h_j^+) / tau)

Supervised: the positive of a premise is a sentence it entails, and the sentence it contradicts
is one more negative for it only (a "hard negative"): logits (B, 2B) = [cos(h_i, h_j^+) | cos(h_i, h_j^-)] / tau.

`SimCSEConfig()` is the course's unsupervised recipe, chosen on STS-B dev: a random BPE encoder (d = 256, token
embeddings N(0, 1)) with SIF-weighted mean pooling, trained with dropout plus discrete noise drawn for each view
(a random crop, then word deletion; `minisent.text.augment`); `DEFAULT_SUP_CONFIG` the supervised one. What was tried
and measured: benchmarks/RESULTS.md ("SimCSE recipe on STS-B dev"); lesson 07 shows why.

    enc, history = train_simcse(steps=150)                  # unsupervised, the default recipe
    enc, history = train_simcse_sup(encoder=enc)            # + entailment (positive), contradiction (hard negative)
    enc = pretrained_simcse()                               # the course default, trained once, cached in data/cache/

Here: the objectives UnsupervisedSimCSE / SupervisedSimCSE (objective(model, batch) -> (loss, metrics), for
`fit`), train_simcse / train_simcse_sup and the cached defaults. Beside it: the recipe, SimCSEConfig (recipes.py,
with every other objective's), the batch streams and data (simcse_data.py), the starting encoders (start.py), a
step's plumbing (contrastive.py), the command line and the GPU recipe (simcse_cli.py).
"""
from __future__ import annotations

import random
from pathlib import Path
from typing import Sequence

import torch

from ..evaluation.tasks import sts_eval_fn  # noqa: F401  (re-exported: lesson 07 uses simcse.sts_eval_fn)
from ..nn.encoder import SentenceEncoder
from ..text.augment import noisy_view
from .cache import cache_dir, cached_encoder
from .contrastive import at_least_float32, embed, float32_loss, info_nce_for, pair_metrics, step_rng
from .distributed import gather_rows
from .loop import fit
from .recipes import DEFAULT_CONFIG, DEFAULT_SUP_CONFIG, SimCSEConfig, resolve  # noqa: F401  (SimCSEConfig: re-exported)
from .simcse_data import SentenceBatches, TripletBatches, nli_training_triplets, unsup_sentences
from .start import start_encoder, word2vec_init_  # noqa: F401  (re-exported for the lessons)


# ---------------------------------------------------------------------------- the objectives
def make_view(sentence: str, rng: random.Random, min_keep: float | None, p_delete: float) -> str:
    """One noisy view of a sentence: crop (when min_keep) then delete words (when p_delete > 0)."""
    return noisy_view(sentence, rng, 1.0 if min_keep is None else min_keep, p_delete)


class UnsupervisedSimCSE:
    """objective(model, sentences: list[str] (B,)) -> (InfoNCE loss, metrics).

    Both views go through the encoder in one forward pass of 2B rows (dropout masks are drawn per
    row, so the two copies of a sentence still get different masks):
        views (2B,) --encoder--> z (2B, d) --> z_a = z[:B], z_b = z[B:] --> info_nce(z_a, z_b, tau)
    With min_keep=None and p_delete=0 the views are the sentence itself (dropout is the only noise).
    metrics: "acc" (share of rows whose positive has the highest logit), "pos_cos", "neg_cos".
    """

    name = "simcse"

    def __init__(self, temperature: float = 0.05, min_keep: float | None = None, p_delete: float = 0.0,
                 max_length: int = 64, symmetric: bool = False, project: bool = False):
        self.temperature, self.min_keep, self.p_delete = temperature, min_keep, p_delete
        self.max_length, self.symmetric, self.project = max_length, symmetric, project

    def views(self, sentences: Sequence[str]) -> tuple[list[str], list[str]]:
        """Two views of each sentence: noisy and independent, or the sentence twice."""
        if self.min_keep is None and self.p_delete <= 0:  # no word noise: dropout alone tells the views apart
            return list(sentences), list(sentences)
        rng = step_rng()
        a = [make_view(s, rng, self.min_keep, self.p_delete) for s in sentences]
        b = [make_view(s, rng, self.min_keep, self.p_delete) for s in sentences]
        return a, b

    def embed_views(self, model: SentenceEncoder, sentences: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """(z_a, z_b), each (B, d): the two views of every sentence through the encoder."""
        z = self.embed_texts(model, self.texts(sentences))  # (2B, d)
        return z.chunk(2)

    # the three pieces of a step (texts -> embeddings -> loss), which minisent.training.gradcache runs apart
    parts = 2  # z holds two blocks of B rows: the first views, then the second views

    def texts(self, sentences: Sequence[str]) -> list[str]:
        """The 2B texts a step embeds: the first view of every sentence, then the second view."""
        a, b = self.views(sentences)
        return a + b

    def embed_texts(self, model, texts: Sequence[str]) -> torch.Tensor:
        return embed(model, texts, self.max_length, project=self.project)  # (n, d)

    def loss(self, z: torch.Tensor, block: int | None = None) -> tuple[torch.Tensor, dict]:
        """z (2B, d) -> (InfoNCE loss, metrics); under torchrun, with the negatives of every process.
        block: the loss `block` rows at a time (`contrastive.info_nce_for`; gradient caching passes its chunk size)."""
        with float32_loss(z):
            za, zb = at_least_float32(gather_rows(z, self.parts)).chunk(2)  # (B, d) each (B: the global batch)
            loss = info_nce_for(block)(za, zb, self.temperature, symmetric=self.symmetric)
        return loss, pair_metrics(za, zb)

    def __call__(self, model: SentenceEncoder, sentences: Sequence[str]) -> tuple[torch.Tensor, dict]:
        return self.loss(self.embed_texts(model, self.texts(sentences)))


class SupervisedSimCSE:
    """objective(model, {"anchor", "positive", "negative": list[str] (B,)}) -> (loss, metrics).

        z = encoder(anchors + positives + negatives)  (3B, d)
        loss = info_nce(z_anchor, z_positive, tau, hard_negatives=z_negative)   logits (B, 2B)
    Dropout stays on (a little extra noise), no word noise: the pairs are already different sentences.
    """

    name = "simcse-sup"

    def __init__(self, temperature: float = 0.05, hard_negative_weight: float = 0.0, max_length: int = 64,
                 use_hard_negatives: bool = True):
        self.temperature, self.hard_negative_weight, self.max_length = temperature, hard_negative_weight, max_length
        self.use_hard_negatives = use_hard_negatives

    @property
    def parts(self) -> int:
        return 3 if self.use_hard_negatives else 2

    def texts(self, batch: dict) -> list[str]:
        """The texts a step embeds: anchors, positives (and negatives), B each."""
        texts = list(batch["anchor"]) + list(batch["positive"])
        return texts + list(batch["negative"]) if self.use_hard_negatives else texts

    def embed_texts(self, model, texts: Sequence[str]) -> torch.Tensor:
        return embed(model, texts, self.max_length)  # (n, d)

    def loss(self, z: torch.Tensor, block: int | None = None) -> tuple[torch.Tensor, dict]:
        """z (3B, d) (or (2B, d) without hard negatives) -> (loss, metrics); under torchrun, all processes' rows.
        block: the loss `block` rows at a time (`contrastive.info_nce_for`; gradient caching passes its chunk size)."""
        nce = info_nce_for(block)
        with float32_loss(z):
            z = at_least_float32(gather_rows(z, self.parts))
            if not self.use_hard_negatives:  # entailment pairs only: in-batch negatives, logits (B, B)
                za, zp = z.chunk(2)
                return nce(za, zp, self.temperature), pair_metrics(za, zp)
            za, zp, zn = z.chunk(3)
            loss = nce(za, zp, self.temperature, hard_negatives=zn, hard_negative_weight=self.hard_negative_weight)
        metrics = pair_metrics(za, zp)
        with torch.no_grad():
            metrics["hard_cos"] = torch.nn.functional.cosine_similarity(za, zn, dim=-1).mean().item()
        return loss, metrics

    def __call__(self, model: SentenceEncoder, batch: dict) -> tuple[torch.Tensor, dict]:
        return self.loss(self.embed_texts(model, self.texts(batch)))


# ---------------------------------------------------------------------------------- training
FIT_OPTIONS = ("eval_fn", "eval_every", "max_seconds", "checkpoint_dir", "checkpoint_every", "grad_cache_chunk",
               "precision", "compile")


def train_simcse(config: SimCSEConfig | None = None, *, encoder: SentenceEncoder | None = None,
                 sentences: Sequence[str] | None = None, device=None, progress: bool = True,
                 **options) -> tuple[SentenceEncoder, dict]:
    """Unsupervised SimCSE. -> (the trained encoder, the fit history + "config").

    config: a SimCSEConfig (default: DEFAULT_CONFIG, the course recipe); keyword options naming its fields
        override them, e.g. train_simcse(steps=100, start="random", p_delete=0.0).
    encoder: start from this encoder (trained in place; its dropout is set to config.dropout) instead of
        `start_encoder(config.start)`.
    sentences: the training sentences (default: `unsup_sentences()`, the offline corpus).
    the other options, eval_fn / eval_every / max_seconds / checkpoint_* / grad_cache_chunk / precision / compile,
        go to `fit` (see `sts_eval_fn`; grad_cache_chunk: `minisent.training.gradcache`). Under torchrun every process
        calls this; config.batch_size is the global batch, split over the processes (`minisent.training.distributed`);
        build the caches it reads first (the command line does: `_build_caches`), or the processes race to.
    """
    cfg, fit_options = resolve(config, DEFAULT_CONFIG, options, FIT_OPTIONS)
    sentences = unsup_sentences() if sentences is None else list(sentences)
    if encoder is None:
        encoder = start_encoder(cfg.start, sentences=sentences, device=device, progress=progress, **_start_options(cfg))
    else:
        encoder.backbone.set_dropout(cfg.dropout)
    if cfg.projection_dim and encoder.head is None:
        d = encoder.dim
        encoder.projection_dim = cfg.projection_dim
        encoder.head = torch.nn.Sequential(torch.nn.Linear(d, d), torch.nn.GELU(),
                                           torch.nn.Linear(d, cfg.projection_dim)).to(encoder.device)
    objective = UnsupervisedSimCSE(cfg.temperature, cfg.min_keep, cfg.p_delete, cfg.max_length,
                                   project=bool(cfg.projection_dim))
    batches = SentenceBatches(sentences, cfg.batch_size, seed=cfg.seed)
    history = _fit(encoder, objective, batches, cfg, "unsupervised SimCSE", device=device, progress=progress,
                   **fit_options)
    history["config"] = cfg.to_dict()
    return encoder, history


def _start_options(cfg: SimCSEConfig) -> dict:
    """start_encoder's keyword arguments from a config."""
    return dict(dropout=cfg.dropout, seed=cfg.seed, tokenizer=cfg.tokenizer, d_model=cfg.d_model,
                pooling=cfg.pooling, embedding_std=cfg.embedding_std)


def _fit(encoder: SentenceEncoder, objective, batches, cfg: SimCSEConfig, desc: str, **fit_options) -> dict:
    """`fit` with cfg's optimizer settings; a frozen embedding table stays out of the optimizer."""
    embeddings = encoder.backbone.tok_emb.weight
    embeddings.requires_grad_(not cfg.freeze_embeddings)
    try:
        return fit(encoder, objective, batches, cfg.steps, lr=cfg.lr, weight_decay=cfg.weight_decay,
                   warmup=cfg.warmup, seed=cfg.seed, desc=desc, **fit_options)
    finally:
        embeddings.requires_grad_(True)


def train_simcse_sup(config: SimCSEConfig | None = None, *, encoder: SentenceEncoder | None = None,
                     triplets: Sequence | None = None, device=None, progress: bool = True,
                     **options) -> tuple[SentenceEncoder, dict]:
    """Supervised SimCSE on NLI triplets (premise, entailment = positive, contradiction = hard negative).

    Same arguments as `train_simcse` (default config: DEFAULT_SUP_CONFIG); `triplets` default to
    `nli_training_triplets()` (the hand-written ones, plus SimCSE's NLI file when downloaded).
    config.start may also be "simcse": continue from the course's unsupervised encoder (`pretrained_simcse`).
    """
    cfg, fit_options = resolve(config, DEFAULT_SUP_CONFIG, options, FIT_OPTIONS)
    if encoder is None and cfg.start == "simcse":
        encoder = pretrained_simcse(device=device, progress=progress)
    if encoder is None:
        encoder = start_encoder(cfg.start, device=device, progress=progress, **_start_options(cfg))
    else:  # given, or the unsupervised SimCSE encoder: the recipe's dropout
        encoder.backbone.set_dropout(cfg.dropout)
    triplets = nli_training_triplets() if triplets is None else list(triplets)
    objective = SupervisedSimCSE(cfg.temperature, cfg.hard_negative_weight, cfg.max_length, cfg.use_hard_negatives)
    batches = TripletBatches(triplets, cfg.batch_size, seed=cfg.seed)
    history = _fit(encoder, objective, batches, cfg, "supervised SimCSE", device=device, progress=progress,
                   **fit_options)
    history["config"] = {**cfg.to_dict(), "n_triplets": len(triplets)}
    return encoder, history


# ------------------------------------------------------------------------- the course default
SIMCSE_CACHE_VERSION = 2


def _cache_dir(prefix: str, *recipe_parts) -> Path:
    """data/cache/<prefix>_<hash of the recipe>, for the SimCSE-trained defaults (here, dan.py, clm.py)."""
    return cache_dir(prefix, SIMCSE_CACHE_VERSION, *recipe_parts)


def pretrained_simcse(device=None, progress: bool = True) -> SentenceEncoder:
    """The course's unsupervised SimCSE encoder (DEFAULT_CONFIG), trained on first use, then read from data/cache/."""
    return cached_encoder(_cache_dir("simcse_default", DEFAULT_CONFIG.to_dict()),
                          lambda: train_simcse(DEFAULT_CONFIG, device=device, progress=progress), device)


def pretrained_simcse_sup(device=None, progress: bool = True) -> SentenceEncoder:
    """Supervised SimCSE (DEFAULT_SUP_CONFIG) on top of `pretrained_simcse()`, trained once then cached.

    The cache key includes the number of training triplets: downloading SimCSE's NLI file retrains it."""
    triplets = nli_training_triplets()
    key = _cache_dir("simcse_sup_default", DEFAULT_SUP_CONFIG.to_dict(), DEFAULT_CONFIG.to_dict(), len(triplets))
    return cached_encoder(key, lambda: train_simcse_sup(DEFAULT_SUP_CONFIG, triplets=triplets, device=device,
                                                        progress=progress), device)
