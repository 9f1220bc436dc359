"""GPT-style sentence embeddings: the course's Transformer with a causal mask, pre-trained to predict the next token.

With `TransformerConfig(causal=True)` token t attends only to tokens <= t. Next-token prediction (a causal language
model, as GPT) then trains every position t to guess token t + 1 from what came before:

    loss = - mean over real positions t < n of  log p(x_{t+1} | x_1 .. x_t),   p = softmax(h_t E^T)

with E the input embedding table (tied, as GPT-2). Only the LAST token's vector has seen the whole sentence,
which is why decoder embedders pool the last token (`pooling.last_token_pool`) or weight later positions more
(SGPT's position-weighted mean, `pooling.position_weighted_mean_pool`), or ask for a one-word summary with a
prompt (PromptEOL, Jiang et al. 2023: `PROMPT_EOL`, `Prompted`).

    enc, history = train_gpt(steps=200)             # next-token pre-training on the offline corpus (GPTConfig)
    pretrained_clm()                                # that run, cached (last-token pooling)
    pretrained_gpt()                                # + unsupervised SimCSE with last-token pooling, cached
    Prompted(enc).encode(sentences)                 # PromptEOL: encode 'This sentence : "<s>" means in one word:"'

The tokenizer ends every sentence with [SEP]: for the causal model it is the end-of-sentence token, the last
token, whose vector last-token pooling takes.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from ..contract import DEFAULT_BATCH_SIZE
from ..inputs import check_sentences
from ..nn.encoder import SentenceEncoder
from ..nn.transformer import TransformerConfig
from ..text.tokenize import corpus_bpe, pad_batch
from .cache import cached_encoder
from .loop import fit
from .mlm import mlm_sentences
from .recipes import DEFAULT_GPT_CONFIG, DEFAULT_MLM_CONFIG, GPT_SIMCSE_CONFIG, GPTConfig, resolve
from .simcse import _cache_dir, train_simcse
from .simcse_data import SentenceBatches

PROMPT_EOL = 'This sentence : "{}" means in one word:"'
GPT_CACHE_VERSION = 1


class NextTokenPrediction:
    """objective(model, sentences: list[str] (B,)) -> (loss, {"acc"}): next-token prediction, for `train.fit`.

        ids (B, T) --causal backbone--> h (B, T, d);  logits at t = h_t E^T  (V,);  target: ids[t + 1]
    """

    name = "next-token"
    max_length = 64  # tokens per sentence (longer ones are cut)

    def __call__(self, model: SentenceEncoder, sentences: Sequence[str]) -> tuple[torch.Tensor, dict]:
        base = getattr(model, "module", model)
        if not base.backbone.config.causal:
            raise ValueError("next-token prediction needs a causal backbone: TransformerConfig(causal=True)")
        ids, mask = pad_batch([base.tokenizer.encode(s, max_length=self.max_length) for s in sentences])  # (B, T)
        ids, mask = ids.to(base.device), mask.to(base.device)
        hidden = base.backbone(ids, mask)  # (B, T, d): h_t has seen tokens <= t only
        has_next = mask[:, 1:]  # (B, T-1): the next token is real
        h = hidden[:, :-1][has_next]  # (N, d) the positions that predict
        target = ids[:, 1:][has_next]  # (N,) what comes next
        logits = h @ base.backbone.tok_emb.weight.T  # (N, V), tied output embedding
        loss = F.cross_entropy(logits, target)
        return loss, {"acc": (logits.argmax(-1) == target).float().mean().item()}


def gpt_config(**overrides) -> TransformerConfig:
    """The MLM encoder's architecture (recipes.DEFAULT_MLM_CONFIG) with the causal mask."""
    return TransformerConfig(**{**DEFAULT_MLM_CONFIG.architecture(), "causal": True, **overrides})


def train_gpt(config: GPTConfig | None = None, *, device=None, progress: bool = True,
              **overrides) -> tuple[SentenceEncoder, dict]:
    """Pre-train a fresh causal SentenceEncoder (BPE, `gpt_config()`, last-token pooling) with next-token prediction.

    config: a GPTConfig (default DEFAULT_GPT_CONFIG); keywords naming its fields override it (train_gpt(steps=600)).
    It trains on the MLM training sentences (`mlm.mlm_sentences`); the history gets "config" and, at the end,
    "eval_loss" / "eval_acc" on the 500 sentences held out of them.
    """
    cfg, _ = resolve(config, DEFAULT_GPT_CONFIG, overrides)
    sentences, held = mlm_sentences()
    encoder = SentenceEncoder.create(corpus_bpe(progress=progress), gpt_config(), pooling="last_token", seed=cfg.seed)
    batches = SentenceBatches(sentences, cfg.batch_size, seed=cfg.seed)
    history = fit(encoder, NextTokenPrediction(), batches, cfg.steps, lr=cfg.lr, warmup=cfg.warmup, seed=cfg.seed,
                  device=device, progress=progress, desc="next-token pre-training")
    history["config"] = cfg.to_dict()
    history["eval_loss"], history["eval_acc"] = next_token_loss(encoder, held)
    return encoder, history


@torch.no_grad()
def next_token_loss(model: SentenceEncoder, sentences: Sequence[str], batch_size: int = 64) -> tuple[float, float]:
    """Mean next-token loss (nats) and accuracy over `sentences`, in eval mode (weighted by predicted tokens)."""
    objective = NextTokenPrediction()
    was = model.training
    model.eval()
    total = loss_sum = acc_sum = 0.0
    try:
        for i in range(0, len(sentences), batch_size):
            chunk = list(sentences[i:i + batch_size])
            n = sum(len(model.tokenizer.encode(s, max_length=objective.max_length)) - 1 for s in chunk)
            loss, m = objective(model, chunk)
            total, loss_sum, acc_sum = total + n, loss_sum + loss.item() * n, acc_sum + m["acc"] * n
    finally:
        model.train(was)
    return loss_sum / total, acc_sum / total


class Prompted:
    """An encoder that wraps every sentence in a prompt first (PromptEOL: `PROMPT_EOL`), same `encode` contract."""

    def __init__(self, encoder, template: str = PROMPT_EOL):
        if template.count("{}") != 1:
            raise ValueError(f"the template needs exactly one {{}} where the sentence goes, got {template!r}")
        self.encoder, self.template = encoder, template
        self.dim = encoder.dim

    def encode(self, sentences: Sequence[str], batch_size: int = DEFAULT_BATCH_SIZE, normalize: bool = False,
               show_progress: bool | None = None) -> np.ndarray:
        texts = [self.template.format(s) for s in check_sentences(sentences)]
        return self.encoder.encode(texts, batch_size=batch_size, normalize=normalize, show_progress=show_progress)


# --------------------------------------------------------------------------- cached defaults
def _gpt_cache(prefix: str, *parts):
    return _cache_dir(prefix, GPT_CACHE_VERSION, DEFAULT_MLM_CONFIG.architecture(), DEFAULT_GPT_CONFIG.to_dict(),
                      *parts)


def pretrained_clm(device=None, progress: bool = True) -> SentenceEncoder:
    """The next-token pre-trained causal encoder (last-token pooling), trained on first use, cached in data/cache/."""
    return cached_encoder(_gpt_cache("clm_default"), lambda: train_gpt(device=device, progress=progress), device)


def pretrained_gpt(device=None, progress: bool = True) -> SentenceEncoder:
    """`pretrained_clm()` + unsupervised SimCSE with last-token pooling (GPT_SIMCSE_CONFIG), trained once, cached."""
    def fine_tune():
        start = pretrained_clm(device=device, progress=progress)
        return train_simcse(GPT_SIMCSE_CONFIG, encoder=start, device=device, progress=progress)

    return cached_encoder(_gpt_cache("gpt_default", GPT_SIMCSE_CONFIG.to_dict()), fine_tune, device)
