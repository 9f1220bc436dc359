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
and measured: benchmarks/RESULTS.md ("SimCSE recipe on STS-B dev", "Experiment log"); lesson 07 shows why.

    enc, history = train_simcse(steps=150)                  # unsupervised, the default recipe
    enc, history = train_simcse_sup(encoder=enc)            # + entailment (positive), contradiction (hard negative)
    enc = pretrained_simcse()                               # the course default, trained once, cached in data/cache/

Pieces, each usable alone:
    UnsupervisedSimCSE / SupervisedSimCSE   objective(model, batch) -> (loss, metrics), for `train.fit`
    SentenceBatches / TripletBatches        endless, seeded batch streams without duplicates in a batch
    start_encoder(name)                     "word2vec" | "random" | "mlm" starting points
    word2vec_init_(encoder, vectors)        token embeddings from word2vec, projected with PCA
    sts_eval_fn()                           mini-STS, Lee, alignment and uniformity, for fit's eval_fn
    train_simcse_cli / train_simcse_sup_cli `python -m minisent train simcse|simcse-sup --out DIR`
"""
from __future__ import annotations

import hashlib
import json
import random
import time
from dataclasses import asdict, dataclass, replace
from itertools import count
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from ..device import get_device
from ..inputs import length_sorted_batches, normalize_rows
from ..losses import alignment, info_nce, uniformity
from ..losses_fast import info_nce_blocked
from ..nn.encoder import SentenceEncoder
from ..text.augment import noisy_view
from .distributed import gather_rows, is_main, main_process_first
from .sampler import DistinctBatchSampler


# ------------------------------------------------------------------------------------ recipe
@dataclass
class SimCSEConfig:
    """One SimCSE run. The defaults are the recipe that measured best on this course's data (lesson 07)."""
    steps: int = 150              # optimizer steps (the budget: steps, not minutes, so runs reproduce)
    batch_size: int = 128         # B: each sentence has B - 1 in-batch negatives
    temperature: float = 0.05     # tau of InfoNCE
    lr: float = 3e-4              # peak AdamW learning rate (linear warm-up, cosine decay)
    weight_decay: float = 0.01
    warmup: float = 0.05          # fraction of the run
    dropout: float = 0.1          # SimCSE's noise: dropout on embeddings, attention and residuals
    min_keep: float | None = 0.3  # discrete noise: crop to a random span keeping >= this share (None: no crop)
    p_delete: float = 0.4         # ... then delete each word with this probability (0: none)
    max_length: int = 64          # tokens per training sentence (longer ones are cut)
    start: str = "random"         # "random", "word2vec" or "mlm" (the cached MLM encoder): see start_encoder
    tokenizer: str = "bpe"        # "bpe" (subwords: no word is out of vocabulary) or "word"; random / word2vec starts
    d_model: int = 256            # width of a random / word2vec start (the MLM start keeps its own 128)
    pooling: str = "weighted_mean"  # "weighted_mean": SIF weights of the training corpus (pooling.sif_token_weights)
    embedding_std: float | None = 1.0  # std of a random start's token embeddings (None: the backbone's 0.02)
    freeze_embeddings: bool = False  # keep the token embedding table fixed (e.g. the word2vec vectors)
    projection_dim: int | None = None  # train through an MLP head of this width (SimCLR); encode() skips it
    hard_negative_weight: float = 0.0  # supervised only: log-weight on each premise's own contradiction
    use_hard_negatives: bool = True    # supervised only: False = entailment pairs with in-batch negatives only
    seed: int = 0

    @property
    def noise(self) -> bool:
        """Whether views get discrete noise on top of dropout."""
        return self.min_keep is not None or self.p_delete > 0

    def to_dict(self) -> dict:
        return asdict(self)


# ---------------------------------------------------------------------------- the objectives
def _step_rng() -> random.Random:
    """A python RNG for this step's word noise, seeded from torch's generator: all the randomness of a step
    (dropout masks and noise) then flows from torch's RNG state, which a checkpoint saves and restores."""
    return random.Random(int(torch.randint(0, 2**31 - 1, (1,)).item()))


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

    @property
    def noise(self) -> bool:
        return self.min_keep is not None or self.p_delete > 0

    def views(self, sentences: Sequence[str]) -> tuple[list[str], list[str]]:
        """Two views of each sentence: noisy and independent, or the sentence twice."""
        if not self.noise:
            return list(sentences), list(sentences)
        rng = _step_rng()
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
        block: compute the loss `block` rows at a time (`_info_nce`; gradient caching passes its chunk size)."""
        with _float32(z):
            za, zb = _at_least_float32(gather_rows(z, self.parts)).chunk(2)  # (B, d) each (B: the global batch)
            loss = _info_nce(block)(za, zb, self.temperature, symmetric=self.symmetric)
        return loss, _pair_metrics(za, zb)

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
        block: compute the loss `block` rows at a time (`_info_nce`; gradient caching passes its chunk size)."""
        nce = _info_nce(block)
        with _float32(z):
            z = _at_least_float32(gather_rows(z, self.parts))
            if not self.use_hard_negatives:  # entailment pairs only: in-batch negatives, logits (B, B)
                za, zp = z.chunk(2)
                return nce(za, zp, self.temperature), _pair_metrics(za, zp)
            za, zp, zn = z.chunk(3)
            loss = nce(za, zp, self.temperature, hard_negatives=zn, hard_negative_weight=self.hard_negative_weight)
        metrics = _pair_metrics(za, zp)
        with torch.no_grad():
            metrics["hard_cos"] = torch.nn.functional.cosine_similarity(za, zn, dim=-1).mean().item()
        return loss, metrics

    def __call__(self, model: SentenceEncoder, batch: dict) -> tuple[torch.Tensor, dict]:
        return self.loss(self.embed_texts(model, self.texts(batch)))


def _info_nce(block: int | None):
    """The InfoNCE of a step: `losses.info_nce` (the readable one: one (B, C) logits matrix), or with `block`,
    `losses_fast.info_nce_blocked` (the same value and gradient, `block` query rows at a time: no (B, C) matrix)."""
    if block is None:
        return info_nce
    return lambda *args, **kwargs: info_nce_blocked(*args, block=block, **kwargs)


def _float32(z: torch.Tensor):
    """A context for a loss: mixed precision (autocast) off, so the loss is computed in float32 (or float64)."""
    return torch.autocast(z.device.type, enabled=False)


def _at_least_float32(z: torch.Tensor) -> torch.Tensor:
    return z.to(torch.promote_types(z.dtype, torch.float32))  # bfloat16 / float16 -> float32; float64 stays


def embed(model: SentenceEncoder, texts: Sequence[str], max_length: int = 64, chunk: int = 64,
          project: bool = False) -> torch.Tensor:
    """texts (N,) -> pooled vectors (N, d), differentiable: `model(texts)` with less padding.

    Noisy views vary a lot in length (3 to 60 tokens), and one (N, T) batch pads them all to the longest.
    Sorting by length and running chunks of `chunk` rows pads each chunk only to its own longest:
    about 3x less compute here. Every row gets its own dropout mask either way, and the result is put
    back in the order given.
    """
    from ..text.tokenize import pad_batch

    base = getattr(model, "module", model)  # the SentenceEncoder inside a DistributedDataParallel wrapper
    seqs = [base.tokenizer.encode(t, max_length=max_length) for t in texts]
    chunks, restore = length_sorted_batches([len(s) for s in seqs], chunk)
    dev = base.device
    parts = []
    for idx in chunks:
        ids, mask = pad_batch([seqs[i] for i in idx])  # (c, T_chunk)
        parts.append(model((ids.to(dev), mask.to(dev)), project=project))  # (c, d)
    return torch.cat(parts)[torch.tensor(restore, device=dev)]  # (N, d) sorted by length -> order given


@torch.no_grad()
def _pair_metrics(za: torch.Tensor, zb: torch.Tensor, block: int = 256) -> dict:
    """acc (row i's highest cosine is its own pair), mean cosine of the pairs and of the other (B^2 - B) combinations.

    Computed without a (B, B) matrix (large batches: 64 MB per matrix at B = 4096): the sum of all B^2 cosines
    is (sum_i a_i) . (sum_j b_j) for unit rows, and the argmax runs over blocks of `block` rows."""
    za, zb = normalize_rows(za.float()), normalize_rows(zb.float())
    B = len(za)
    pos = (za * zb).sum(1)  # (B,) cos(a_i, b_i)
    all_pairs = za.sum(0) @ zb.sum(0)  # sum over every (i, j) of cos(a_i, b_j)
    hits = sum(((za[s:s + block] @ zb.T).argmax(1) == torch.arange(s, min(s + block, B), device=za.device)).sum()
               for s in range(0, B, block))
    return {"acc": float(hits) / B, "pos_cos": pos.mean().item(),
            "neg_cos": ((all_pairs - pos.sum()) / (B * B - B)).item()}


# ----------------------------------------------------------------------------- batch streams
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
    from .. import data

    return [s for s in data.corpus_sentences() if len(s.split()) >= min_words]


def nli_training_triplets(include_download: bool = True) -> list:
    """The hand-written NLI triplets, plus SimCSE's NLI file when it was downloaded (`python -m minisent
    download nli`; never fetched here)."""
    from .. import data

    triplets = list(data.nli_triplets())
    if include_download:
        path = data.path_of("nli")
        if path.exists():
            triplets += data.read_nli_csv(path)
    return triplets


# -------------------------------------------------------------------------------- start points
def word2vec_init_(encoder: SentenceEncoder, vectors, std: float | None = None) -> int:
    """Set the token embeddings of whole-word tokens from word vectors, in place; returns how many were set.

    A token is a whole word when it is in the word-vector vocabulary: a word-level token as it is,
    a BPE token without its "▁" (word-start) mark ("▁river" -> "river"); word pieces keep their
    random init. The (n, k) word vectors are mapped to d_model columns by PCA (their top d_model
    directions when k > d_model; all k, zero-padded, when k <= d_model), then scaled so that their
    entries have the standard deviation of the embedding table they replace (`std`).
    """
    from ..text.tokenize import SPACE, SPECIAL_TOKENS

    emb = encoder.backbone.tok_emb.weight  # (V, d)
    d = emb.shape[1]
    rows, words = [], []
    for i, tok in enumerate(encoder.tokenizer.vocab):
        if tok in SPECIAL_TOKENS:
            continue
        if encoder.tokenizer.kind == "bpe":
            if not tok.startswith(SPACE):
                continue
            tok = tok[1:]
        if tok in vectors.key_to_index:
            rows.append(i)
            words.append(tok)
    if not rows:
        return 0
    X = np.stack([vectors[w] for w in words]).astype(np.float64)  # (n, k)
    X -= X.mean(0)
    _, _, Vt = np.linalg.svd(X, full_matrices=False)  # principal directions (k, k)
    P = X @ Vt[:d].T  # (n, min(k, d))
    if P.shape[1] < d:
        P = np.concatenate([P, np.zeros((len(P), d - P.shape[1]))], axis=1)  # (n, d)
    with torch.no_grad():
        target = float(emb.std()) if std is None else std
        P = P / P.std() * target
        emb[torch.tensor(rows)] = torch.as_tensor(P, dtype=emb.dtype, device=emb.device)
    return len(rows)


def word_tokenizer(vocab_size: int = 8000):
    """A word-level tokenizer of the offline corpus (8000 words; the rest -> [UNK]), cached in data/cache/."""
    from .. import data
    from ..text.saved import load_tokenizer
    from ..text.tokenize import WordTokenizer

    path = data.CACHE_DIR / f"words_{vocab_size}_v1.json"
    if path.exists():
        try:
            return load_tokenizer(path)
        except (ValueError, KeyError, json.JSONDecodeError):
            pass
    tok = WordTokenizer.train(data.corpus_sentences(), vocab_size=vocab_size)
    tok.save(path)
    return tok


def start_encoder(start: str = "mlm", *, dropout: float = 0.1, seed: int = 0, device=None,
                  progress: bool = True, tokenizer: str = "bpe", d_model: int | None = None, pooling: str = "mean",
                  embedding_std: float | None = None, sentences: Sequence[str] | None = None) -> SentenceEncoder:
    """A starting point for SimCSE, with dropout set to `dropout`:

    "random"    the MLM architecture (2 layers, d_model wide, default 128), randomly initialized
    "mlm"       the cached MLM-pretrained encoder (`train.pretrained_mlm()`, ~100 s to train if missing; d = 128)
    "word2vec"  random, but whole-word token embeddings taken from the skip-gram word2vec vectors
    tokenizer: "bpe" (the course's subword tokenizer) or "word" (8000 words), for "random" / "word2vec".
    pooling: any of `pooling.POOLINGS`; "weighted_mean" gets SIF weights from the token counts of `sentences`
        (default: `unsup_sentences()`, the training corpus).
    embedding_std: rescale a random start's token embeddings to this std (None: keep the backbone's 0.02).
        nn.Embedding's own default, 1.0, lets each token, not its position (std 0.02), dominate its vector.
    """
    from ..nn.pooling import sif_token_weights
    from .train import DEFAULT_MLM_CONFIG, pretrained_mlm
    from ..nn.transformer import TransformerConfig

    if tokenizer not in ("bpe", "word"):
        raise ValueError(f"unknown tokenizer {tokenizer!r}: use 'bpe' or 'word'")
    if start == "mlm":
        enc = pretrained_mlm(device=device, progress=progress)
        if pooling != "mean":
            enc = enc.with_pooling(pooling)
    elif start in ("random", "word2vec"):
        from ..text.tokenize import corpus_bpe

        tok = corpus_bpe(progress=progress) if tokenizer == "bpe" else word_tokenizer()
        cfg = {**DEFAULT_MLM_CONFIG, "d_model": d_model or DEFAULT_MLM_CONFIG["d_model"]}
        cfg["d_ff"] = 4 * cfg["d_model"]
        enc = SentenceEncoder.create(tok, TransformerConfig(**cfg), pooling=pooling, seed=seed)
        if embedding_std is not None:
            with torch.no_grad():
                weight = enc.backbone.tok_emb.weight  # (V, d), N(0, 0.02) with a zero [PAD] row
                weight.mul_(embedding_std / weight[1:].std())
        if start == "word2vec":
            from ..wordvec import train_vectors

            word2vec_init_(enc, train_vectors("skipgram", progress=progress))
    else:
        raise ValueError(f"unknown start {start!r}: use 'mlm', 'random' or 'word2vec'")
    if pooling == "weighted_mean":
        texts = unsup_sentences() if sentences is None else sentences
        enc.pooling.token_weights.copy_(sif_token_weights(enc.tokenizer, texts))
    enc.backbone.set_dropout(dropout)
    return enc.to(get_device(device))


# ------------------------------------------------------------------------------- evaluation
def sts_eval_fn(lee: bool = True, align_uniform: bool = True):
    """An eval_fn(model) -> {"mini-STS", "Lee", "alignment", "uniformity"} for `fit(eval_fn=...)`.

    mini-STS, Lee: Spearman x 100 (`evaluate.sts_spearman`). alignment: mean ||f(x) - f(x+)||^2 over the mini-STS
    pairs with gold >= 4 (paraphrases), as Wang & Isola / SimCSE measure it on STS-B; uniformity:
    log E exp(-2 ||f(x) - f(y)||^2) over all mini-STS sentences. Each mini-STS sentence is encoded once.
    """
    from .. import data
    from ..evaluation.evaluate import cosine, lee_correlation, spearman

    pairs = data.mini_sts()
    sents = list(dict.fromkeys([p.sentence1 for p in pairs] + [p.sentence2 for p in pairs]))
    row = {s: i for i, s in enumerate(sents)}
    i1 = [row[p.sentence1] for p in pairs]
    i2 = [row[p.sentence2] for p in pairs]
    para = [k for k, p in enumerate(pairs) if p.score >= 4.0]

    def eval_fn(model) -> dict:
        X = model.encode(sents)  # (n, d)
        out = {"mini-STS": spearman(cosine(X[i1], X[i2]), [p.score for p in pairs])}
        if lee:
            out["Lee"] = lee_correlation(model)
        if align_uniform:
            Xt = torch.from_numpy(X)
            out["alignment"] = float(alignment(Xt[[i1[k] for k in para]], Xt[[i2[k] for k in para]]))
            out["uniformity"] = float(uniformity(Xt))
        return out

    return eval_fn


# ---------------------------------------------------------------------------------- training
def _configured(config: SimCSEConfig | None, default: SimCSEConfig, overrides: dict) -> SimCSEConfig:
    config = default if config is None else config
    bad = set(overrides) - set(asdict(config))
    if bad:
        raise TypeError(f"unknown SimCSEConfig field(s) {sorted(bad)}; known: {sorted(asdict(config))}")
    return replace(config, **overrides)


def train_simcse(config: SimCSEConfig | None = None, *, encoder: SentenceEncoder | None = None,
                 sentences: Sequence[str] | None = None, device=None, progress: bool = True, eval_fn=None,
                 eval_every: int | None = None, max_seconds: float | None = None, checkpoint_dir=None,
                 checkpoint_every: int | None = None, grad_cache_chunk: int | None = None, precision: str = "auto",
                 compile: bool = False, **overrides) -> tuple[SentenceEncoder, dict]:
    """Unsupervised SimCSE. -> (the trained encoder, the fit history + "config").

    config: a SimCSEConfig (default: DEFAULT_CONFIG, the course recipe); keyword overrides change fields of it,
        e.g. train_simcse(steps=100, start="random", p_delete=0.0).
    encoder: start from this encoder (trained in place; its dropout is set to config.dropout) instead of
        `start_encoder(config.start)`.
    sentences: the training sentences (default: `unsup_sentences()`, the offline corpus).
    eval_fn / eval_every / max_seconds / checkpoint_* / grad_cache_chunk / precision / compile: passed to
        `train.fit` (see `sts_eval_fn`; grad_cache_chunk: `minisent.training.gradcache`). Under torchrun every process
        calls this; config.batch_size is the global batch, split over the processes (`minisent.training.distributed`);
        build the caches it reads first (the command line does: `_build_caches`), or the processes race to.
    """
    cfg = _configured(config, DEFAULT_CONFIG, overrides)
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
                   max_seconds=max_seconds, eval_fn=eval_fn, eval_every=eval_every, checkpoint_dir=checkpoint_dir,
                   checkpoint_every=checkpoint_every, grad_cache_chunk=grad_cache_chunk, precision=precision,
                   compile=compile)
    history["config"] = cfg.to_dict()
    return encoder, history


def _start_options(cfg: SimCSEConfig) -> dict:
    """start_encoder's keyword arguments from a config."""
    return dict(dropout=cfg.dropout, seed=cfg.seed, tokenizer=cfg.tokenizer, d_model=cfg.d_model,
                pooling=cfg.pooling, embedding_std=cfg.embedding_std)


def _fit(encoder: SentenceEncoder, objective, batches, cfg: SimCSEConfig, desc: str, **fit_options) -> dict:
    """`train.fit` with cfg's optimizer settings; a frozen embedding table stays out of the optimizer."""
    from .train import fit

    embeddings = encoder.backbone.tok_emb.weight
    embeddings.requires_grad_(not cfg.freeze_embeddings)
    try:
        return fit(encoder, objective, batches, cfg.steps, lr=cfg.lr, weight_decay=cfg.weight_decay,
                   warmup=cfg.warmup, seed=cfg.seed, desc=desc, **fit_options)
    finally:
        embeddings.requires_grad_(True)


def train_simcse_sup(config: SimCSEConfig | None = None, *, encoder: SentenceEncoder | None = None,
                     triplets: Sequence | None = None, device=None, progress: bool = True, eval_fn=None,
                     eval_every: int | None = None, max_seconds: float | None = None, checkpoint_dir=None,
                     checkpoint_every: int | None = None, grad_cache_chunk: int | None = None,
                     precision: str = "auto", compile: bool = False, **overrides) -> tuple[SentenceEncoder, dict]:
    """Supervised SimCSE on NLI triplets (premise, entailment = positive, contradiction = hard negative).

    Same arguments as `train_simcse` (default config: DEFAULT_SUP_CONFIG); `triplets` default to
    `nli_training_triplets()` (the hand-written ones, plus SimCSE's NLI file when downloaded).
    config.start may also be "simcse": continue from the course's unsupervised encoder (`pretrained_simcse`).
    """
    cfg = _configured(config, DEFAULT_SUP_CONFIG, overrides)
    if encoder is None:
        if cfg.start == "simcse":
            encoder = pretrained_simcse(device=device, progress=progress)
            encoder.backbone.set_dropout(cfg.dropout)
        else:
            encoder = start_encoder(cfg.start, device=device, progress=progress, **_start_options(cfg))
    else:
        encoder.backbone.set_dropout(cfg.dropout)
    triplets = nli_training_triplets() if triplets is None else list(triplets)
    objective = SupervisedSimCSE(cfg.temperature, cfg.hard_negative_weight, cfg.max_length, cfg.use_hard_negatives)
    batches = TripletBatches(triplets, cfg.batch_size, seed=cfg.seed)
    history = _fit(encoder, objective, batches, cfg, "supervised SimCSE", device=device, progress=progress,
                   max_seconds=max_seconds, eval_fn=eval_fn, eval_every=eval_every, checkpoint_dir=checkpoint_dir,
                   checkpoint_every=checkpoint_every, grad_cache_chunk=grad_cache_chunk, precision=precision,
                   compile=compile)
    history["config"] = {**cfg.to_dict(), "n_triplets": len(triplets)}
    return encoder, history


# ------------------------------------------------------------------------- the course default
# Chosen on STS-B dev (benchmarks/RESULTS.md, "SimCSE recipe on STS-B dev"); sized by steps: 150 steps of 128
# sentences take about 2 CPU-minutes on this 2-core machine (one thread).
DEFAULT_CONFIG = SimCSEConfig()
# Supervised, on top of the default unsupervised encoder: the budget was re-chosen on STS-B dev (benchmarks/RESULTS.md,
# "Supervised SimCSE on STS-B dev"). 100 steps of 64 of the 553 hand-written triplets cost 3 points there
# (75.9 -> 72.8, 3 seeds, falling after step 25); 25 steps (~3 passes over the triplets) keep the start and add 0.3.
# tau = 0.2 was chosen on mini-STS with an earlier recipe (lesson 08 re-checks it on the offline sets' dev halves).
DEFAULT_SUP_CONFIG = SimCSEConfig(steps=25, batch_size=64, lr=3e-4, temperature=0.2, min_keep=None, p_delete=0.0,
                                  start="simcse")
SIMCSE_CACHE_VERSION = 2


def _cache_dir(prefix: str, *recipe_parts) -> Path:
    """data/cache/<prefix>_<hash of the recipe>: a changed default never reads a stale cache."""
    from .. import data

    recipe = json.dumps([SIMCSE_CACHE_VERSION, *recipe_parts], sort_keys=True)
    return data.CACHE_DIR / f"{prefix}_{hashlib.sha1(recipe.encode()).hexdigest()[:10]}"


def _cached(path: Path, train, device, progress) -> SentenceEncoder:
    """Load the encoder saved at `path`, or train it with train() -> (encoder, history) and save it there."""
    from .train import load_or_train, save_with_history

    loaded = load_or_train(path, lambda p: (SentenceEncoder.load(p, device), None), train,
                           lambda run, p: save_with_history(*run, p))
    return loaded[0].eval().to(get_device(device))


def pretrained_simcse(device=None, progress: bool = True) -> SentenceEncoder:
    """The course's unsupervised SimCSE encoder (DEFAULT_CONFIG), trained on first use, then read from data/cache/."""
    return _cached(_cache_dir("simcse_default", DEFAULT_CONFIG.to_dict()),
                   lambda: train_simcse(DEFAULT_CONFIG, device=device, progress=progress), device, progress)


def pretrained_simcse_sup(device=None, progress: bool = True) -> SentenceEncoder:
    """Supervised SimCSE (DEFAULT_SUP_CONFIG) on top of `pretrained_simcse()`, trained once then cached.

    The cache key includes the number of training triplets: downloading SimCSE's NLI file retrains it."""
    triplets = nli_training_triplets()
    key = _cache_dir("simcse_sup_default", DEFAULT_SUP_CONFIG.to_dict(), DEFAULT_CONFIG.to_dict(), len(triplets))
    return _cached(key, lambda: train_simcse_sup(DEFAULT_SUP_CONFIG, triplets=triplets, device=device,
                                                 progress=progress), device, progress)


# ------------------------------------------------------------------------- the GPU recipe
# For readers with a GPU (`MINISENT_FULL=1 python -m minisent train simcse ...`, alone or under torchrun): a tiny
# model 2x wider and 2x deeper than the course's, batch 512, on SimCSE's one-million-sentence Wikipedia file when
# it was downloaded (`python -m minisent download wiki1m`), else the offline corpus. Not tuned and not timed here
# (no GPU was available while writing it): a starting point, README "Scaling up" says what to expect.
GPU_MODEL = dict(d_model=256, n_heads=4, n_layers=4, d_ff=1024, max_len=128)
GPU_CONFIG = replace(DEFAULT_CONFIG, steps=2000, batch_size=512)  # 2000 x 512 = about one pass over wiki1m


def gpu_sentences(min_words: int = 4) -> list[str]:
    """wiki1m (one sentence a line) when downloaded, else `unsup_sentences()`."""
    from .. import data

    path = data.path_of("wiki1m")
    if not path.exists():
        return unsup_sentences(min_words)
    with open(path, encoding="utf-8") as f:
        return [line.strip() for line in f if len(line.split()) >= min_words]


def gpu_encoder(config: SimCSEConfig = GPU_CONFIG, device=None, progress: bool = True) -> SentenceEncoder:
    """The GPU recipe's starting point: a GPU_MODEL-sized encoder with the course's tokenizer (and word2vec start)."""
    from ..text.tokenize import corpus_bpe
    from ..nn.transformer import TransformerConfig

    tok = corpus_bpe(progress=progress) if config.tokenizer == "bpe" else word_tokenizer()
    enc = SentenceEncoder.create(tok, TransformerConfig(**GPU_MODEL, dropout=config.dropout), pooling="mean",
                                 seed=config.seed)
    if config.start == "word2vec":
        from ..wordvec import train_vectors

        word2vec_init_(enc, train_vectors("skipgram", progress=progress))
    return enc.to(get_device(device))


# ------------------------------------------------------------------------------ command line
def _cli(kind: str, out, minutes, steps, device, seed, **fit_options) -> tuple[SentenceEncoder, dict]:
    """fit_options: grad_cache_chunk, precision, compile (see train.fit). MINISENT_FULL=1: the GPU recipe (simcse)."""
    import os

    from .train import recent_loss, save_with_history

    full = kind == "simcse" and os.environ.get("MINISENT_FULL") == "1"
    default = GPU_CONFIG if full else DEFAULT_CONFIG if kind == "simcse" else DEFAULT_SUP_CONFIG
    if steps is None:
        steps = default.steps if minutes is None else 1_000_000
    cfg = replace(default, steps=steps, seed=seed)
    train = train_simcse if kind == "simcse" else train_simcse_sup
    with main_process_first():  # under torchrun: rank 0 builds any missing cache, the others then read it
        if full:
            fit_options.update(encoder=gpu_encoder(cfg, device), sentences=gpu_sentences())
        else:
            _build_caches(kind, cfg, device)
    t0 = time.perf_counter()
    encoder, history = train(cfg, device=device, eval_fn=sts_eval_fn(align_uniform=False),
                             max_seconds=None if minutes is None else 60.0 * minutes, **fit_options)
    if not is_main():  # under torchrun, rank 0 alone reports and saves
        return encoder, history
    path = save_with_history(encoder, history, out)
    first, last = history["eval"][0], history["eval"][-1]
    print(f"{kind}: {len(history['loss'])} steps in {time.perf_counter() - t0:.0f} s (start: {cfg.start}); "
          f"train loss (last 20 steps) {recent_loss(history):.3f}")
    print(f"mini-STS {first['mini-STS']:.2f} -> {last['mini-STS']:.2f}; Lee {first['Lee']:.2f} -> {last['Lee']:.2f} "
          f"(Spearman x 100, before -> after)")
    print(f"saved to {path}")
    return encoder, history


def _build_caches(kind: str, cfg: SimCSEConfig, device) -> None:
    """Build (or read) everything a SimCSE run reads from data/cache/: its start encoder and its data."""
    if cfg.start == "simcse":
        pretrained_simcse(device=device)
    else:
        start_encoder(cfg.start, tokenizer=cfg.tokenizer, device=device)
    unsup_sentences() if kind == "simcse" else nli_training_triplets()


def train_simcse_cli(out: str | Path, minutes: float | None = None, steps: int | None = None, device=None,
                     seed: int = 0, **fit_options) -> tuple[SentenceEncoder, dict]:
    """`python -m minisent train simcse --out DIR [--minutes M] [--steps N] [--device D] [--seed S]
    [--grad-cache-chunk C] [--precision P] [--compile]`, also under `torchrun --nproc_per_node=N`.

    The default recipe (DEFAULT_CONFIG.steps steps, or as many as fit in --minutes, the learning rate following
    the clock); prints mini-STS and Lee before and after and saves the encoder (+ history.json) to `out`,
    which `minisent.load(out)` and `python -m minisent eval --model out` read.
    """
    return _cli("simcse", out, minutes, steps, device, seed, **fit_options)


def train_simcse_sup_cli(out: str | Path, minutes: float | None = None, steps: int | None = None, device=None,
                         seed: int = 0, **fit_options) -> tuple[SentenceEncoder, dict]:
    """`python -m minisent train simcse-sup --out DIR [...]`: supervised SimCSE from `pretrained_simcse()`."""
    return _cli("simcse-sup", out, minutes, steps, device, seed, **fit_options)
