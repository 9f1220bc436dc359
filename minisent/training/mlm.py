"""Masked-language-model pretraining (BERT, Devlin et al., 2019): the first training objective.

Pick 15 % of the real tokens of each sentence. Of those, replace 80 % by [MASK], 10 % by a random
token and leave 10 % unchanged; then ask the model to predict the original token at every picked
position (and only there):

    loss = - mean over picked positions t of  log p(x_t | the corrupted sentence)

The random / unchanged 10 % keep the model from learning "only [MASK] positions matter": any
token might be a test, so every token's vector has to carry what it is *and* its context.

Pieces:
    mask_tokens(ids, mask, vocab_size)   the corruption (ids, labels), -100 = "not a test"
    MLMBatches(tokenizer, sentences)     an endless, seeded stream of corrupted batches
    MLMHead / MLMObjective               hidden (N, d) -> logits (N, V), tied to the input embedding
    unigram_entropy(...)                 the loss of guessing word frequency without any context
    fill_mask(model, objective, text)    top-k guesses for each [MASK] in a text
    train_mlm(config) / pretrained_mlm() the course's MLM run (MLMConfig): trained with `fit`, cached in data/cache/
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from .. import data
from ..device import get_device
from ..inputs import length_sorted_batches
from ..nn.encoder import SentenceEncoder, read_tensors
from ..nn.transformer import TransformerConfig
from ..text.tokenize import MASK, MASK_ID, SPECIAL_TOKENS, Tokenizer, corpus_bpe, pad_batch
from .cache import cache_dir, load_or_train
from .loop import fit, recent_loss
from .recipes import DEFAULT_MLM_CONFIG, MLMConfig, resolve

IGNORE = -100  # label of positions that are not predicted (F.cross_entropy's ignore_index)
N_SPECIAL = len(SPECIAL_TOKENS)


def mask_tokens(input_ids: torch.Tensor, attention_mask: torch.Tensor, vocab_size: int, mask_prob: float = 0.15,
                generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Corrupt a batch for MLM. input_ids, attention_mask: (B, T) -> corrupted ids (B, T), labels (B, T).

    labels[b, t] = the original id where position t is a test, else IGNORE. Special tokens
    ([CLS], [SEP], [PAD]) are never picked. At least one position per batch is picked.
    """
    ids = input_ids.clone()
    can = attention_mask.bool() & (input_ids >= N_SPECIAL)  # (B, T) real, non-special tokens
    picked = (torch.rand(ids.shape, generator=generator) < mask_prob) & can  # (B, T)
    if not picked.any() and can.any():  # a tiny batch might pick nothing: test one token anyway
        first = can.flatten().nonzero()[0]
        picked.view(-1)[first] = True
    labels = torch.where(picked, input_ids, torch.full_like(input_ids, IGNORE))  # (B, T)
    how = torch.rand(ids.shape, generator=generator)  # (B, T) which corruption for each picked token
    ids[picked & (how < 0.8)] = MASK_ID  # 80 %: [MASK]
    randomize = picked & (how >= 0.8) & (how < 0.9)  # 10 %: a random (non-special) token
    ids[randomize] = torch.randint(N_SPECIAL, vocab_size, ids.shape, generator=generator)[randomize]
    return ids, labels  # the other 10 % keep their own token


class MLMBatches:
    """An endless stream of MLM batches from a list of sentences, reproducible from `seed`.

    Sentences are tokenized once. Each epoch: shuffle, cut into pools of 50 batches, sort each
    pool by length so that a batch holds sentences of similar length (less padding, ~30 % less
    compute), shuffle the batches, corrupt each with `mask_tokens`. Each item is a dict with
    input_ids (B, T), attention_mask (B, T), labels (B, T), on the CPU.
    """

    def __init__(self, tokenizer: Tokenizer, sentences: Sequence[str], batch_size: int = 64,
                 max_length: int = 128, mask_prob: float = 0.15, seed: int = 0):
        if len(sentences) == 0:
            raise ValueError("MLMBatches needs at least one sentence")
        self.tokenizer, self.batch_size, self.mask_prob, self.seed = tokenizer, batch_size, mask_prob, seed
        self.sequences = [tokenizer.encode(s, max_length=max_length) for s in sentences]

    def __iter__(self) -> Iterator[dict]:
        rng = np.random.default_rng(self.seed)
        gen = torch.Generator().manual_seed(self.seed)
        bs, n = self.batch_size, len(self.sequences)
        while True:  # one epoch per loop
            order = rng.permutation(n)
            batches = []
            for start in range(0, n, 50 * bs):
                pool = order[start:start + 50 * bs]
                chunks, _ = length_sorted_batches([len(self.sequences[i]) for i in pool], bs)
                batches += [pool[c] for c in chunks]
            for b in rng.permutation(len(batches)):
                ids, mask = pad_batch([self.sequences[i] for i in batches[b]])  # (B, T), (B, T)
                corrupted, labels = mask_tokens(ids, mask, self.tokenizer.vocab_size, self.mask_prob, gen)
                yield {"input_ids": corrupted, "attention_mask": mask, "labels": labels}


class MLMHead(nn.Module):
    """hidden (N, d) -> logits (N, V), as BERT: Linear + GELU + LayerNorm, then the *input* embedding
    matrix E (V, d) transposed (weight tying: a token's input and output vectors are the same row),
    plus a per-token bias (it learns word frequency first).

    Scale matters with tying: the LayerNorm'd vector has norm ~sqrt(d), so logits ~ sqrt(d) * |E row|.
    E starts at std 0.02 (TransformerEncoder's init), logits start ~0.2 and the loss near ln V, as it
    should. With nn.Embedding's default N(0, 1) they would start ~sqrt(d) and the loss near 40-45
    (the largest of V = 8000 logits of std sqrt(128) ~ 11).
    """

    def __init__(self, d_model: int, vocab_size: int):
        super().__init__()
        self.dense = nn.Linear(d_model, d_model)
        self.norm = nn.LayerNorm(d_model)
        self.bias = nn.Parameter(torch.zeros(vocab_size))
        nn.init.normal_(self.dense.weight, std=0.02)
        nn.init.zeros_(self.dense.bias)

    def forward(self, hidden: torch.Tensor, embedding: torch.Tensor) -> torch.Tensor:
        h = self.norm(F.gelu(self.dense(hidden)))  # (N, d)
        return h @ embedding.T + self.bias  # (N, d) @ (d, V) -> (N, V)


def _backbone(model: nn.Module) -> nn.Module:
    return getattr(model, "backbone", model)  # a SentenceEncoder or a bare TransformerEncoder


class MLMObjective(nn.Module):
    """objective(model, batch) -> (loss, metrics): the MLM loss on the picked positions only.

    Logits are computed for the picked ~15 % of positions, not all T: a (N, V) matrix instead of
    (B*T, V), which with V = 8000 is most of the saving.
    """

    name = "mlm"

    def __init__(self, d_model: int, vocab_size: int):
        super().__init__()
        self.head = MLMHead(d_model, vocab_size)

    def logits(self, model: nn.Module, input_ids: torch.Tensor, attention_mask: torch.Tensor,
               positions: torch.Tensor) -> torch.Tensor:
        """Logits (N, V) at the True entries of `positions` (B, T)."""
        backbone = _backbone(model)
        hidden = backbone(input_ids, attention_mask)  # (B, T, d)
        return self.head(hidden[positions], backbone.tok_emb.weight)  # (N, d) -> (N, V)

    def forward(self, model: nn.Module, batch: dict) -> tuple[torch.Tensor, dict]:
        labels = batch["labels"]  # (B, T)
        picked = labels != IGNORE  # (B, T)
        logits = self.logits(model, batch["input_ids"], batch["attention_mask"], picked)  # (N, V)
        target = labels[picked]  # (N,)
        loss = F.cross_entropy(logits, target)
        acc = (logits.argmax(-1) == target).float().mean()
        return loss, {"acc": acc.item()}


@torch.no_grad()
def evaluate_mlm(model: nn.Module, objective: MLMObjective, batches, n_batches: int = 20, device=None) -> dict:
    """Mean MLM loss and accuracy over `n_batches` batches (eval mode, e.g. held-out sentences)."""
    backbone = _backbone(model)
    dev = device or next(backbone.parameters()).device
    was = backbone.training, objective.training
    backbone.eval(), objective.eval()
    tot_loss = tot_acc = tot_n = 0.0
    try:
        for i, batch in zip(range(n_batches), batches):
            batch = {k: v.to(dev) for k, v in batch.items()}
            loss, m = objective(model, batch)
            n = int((batch["labels"] != IGNORE).sum())
            tot_loss, tot_acc, tot_n = tot_loss + loss.item() * n, tot_acc + m["acc"] * n, tot_n + n
    finally:
        backbone.train(was[0]), objective.train(was[1])
    return {"loss": tot_loss / tot_n, "acc": tot_acc / tot_n}


def unigram_entropy(tokenizer: Tokenizer, sentences: Sequence[str]) -> float:
    """Entropy (nats) of the token frequencies: the MLM loss of a model that ignores context and
    always predicts "how common is each token". A model must beat it to have learned anything
    about context. (It can also cheat a little on the 10 % of picked tokens left unchanged.)"""
    counts = Counter(t for s in sentences for t in tokenizer.encode(s, add_special_tokens=False))
    p = np.array(list(counts.values()), dtype=np.float64)
    p /= p.sum()
    return float(-(p * np.log(p)).sum())


@torch.no_grad()
def fill_mask(model: nn.Module, objective: MLMObjective, text: str, k: int = 5) -> list[list[tuple[str, float]]]:
    """Top-k (token, probability) guesses for each "[MASK]" written in `text`.

    fill_mask(enc, obj, "the river [MASK] was flooded .") -> [[("▁bank", 0.21), ...]]
    """
    tok: Tokenizer = model.tokenizer
    if MASK not in text:
        raise ValueError(f"write {MASK} where the model should guess a token")
    ids = [tok.cls_id]
    for i, part in enumerate(text.split(MASK)):
        if i > 0:  # a [MASK] stood before this part
            ids.append(MASK_ID)
        ids += tok.encode(part, add_special_tokens=False)
    ids.append(tok.sep_id)
    backbone = _backbone(model)
    dev = next(backbone.parameters()).device
    input_ids = torch.tensor([ids], device=dev)  # (1, T)
    mask = torch.ones_like(input_ids, dtype=torch.bool)
    was = backbone.training, objective.training
    backbone.eval(), objective.eval()
    try:
        probs = objective.logits(model, input_ids, mask, input_ids == MASK_ID).softmax(-1)  # (n_masks, V)
    finally:
        backbone.train(was[0]), objective.train(was[1])
    top = probs.topk(k, dim=-1)
    return [[(tok.vocab[i], round(float(p), 4)) for p, i in zip(ps.tolist(), ix.tolist())]
            for ps, ix in zip(top.values, top.indices)]


# ------------------------------------------------------------------- the course's MLM run
MLM_CACHE_VERSION = 1
HELD_OUT = 500  # corpus sentences kept out of MLM training (a fixed random choice) to measure on


@dataclass
class MLMRun:
    """What an MLM run leaves: the encoder, the objective (with its output head) and the history."""
    encoder: SentenceEncoder
    objective: MLMObjective
    history: dict = field(default_factory=dict)

    def save(self, directory: str | Path) -> Path:
        def extras(folder: Path) -> None:  # written with the encoder, before it replaces `directory`
            head = {k: v.detach().cpu() for k, v in self.objective.state_dict().items()}
            torch.save(head, folder / "mlm_head.pt")
            (folder / "history.json").write_text(json.dumps(self.history), encoding="utf-8")

        return self.encoder.save(directory, extras)

    @classmethod
    def load(cls, directory: str | Path, device=None) -> "MLMRun":
        directory = Path(directory)
        encoder = SentenceEncoder.load(directory, device)
        objective = MLMObjective(encoder.dim, encoder.tokenizer.vocab_size)
        objective.load_state_dict(read_tensors(directory / "mlm_head.pt"))
        history = json.loads((directory / "history.json").read_text(encoding="utf-8"))
        return cls(encoder, objective.to(encoder.device).eval(), history)


def mlm_sentences() -> tuple[list[str], list[str]]:
    """(train, held_out) sentences of the offline corpus for MLM."""
    sentences = data.corpus_sentences()
    held = set(np.random.default_rng(12345).choice(len(sentences), HELD_OUT, replace=False).tolist())
    return ([s for i, s in enumerate(sentences) if i not in held],
            [s for i, s in enumerate(sentences) if i in held])


def train_mlm(config: MLMConfig | None = None, *, tokenizer=None, sentences=None, pooling: str = "mean",
              device=None, progress: bool = True, max_seconds: float | None = None, eval_sentences=None,
              **overrides) -> MLMRun:
    """Pretrain a fresh SentenceEncoder with MLM (defaults: the course's BPE tokenizer and corpus).

    config: an MLMConfig (default DEFAULT_MLM_CONFIG); keywords naming its fields override it, e.g.
        train_mlm(steps=3000) or train_mlm(d_model=64, n_layers=1).
    The history gets "config", "unigram_entropy" (the no-context baseline) and, when `eval_sentences`
    are given (default: the held-out corpus sentences), "eval_loss" / "eval_acc" on them at the end.
    """
    cfg, _ = resolve(config, DEFAULT_MLM_CONFIG, overrides)
    tokenizer = tokenizer or corpus_bpe()
    if sentences is None:
        sentences, held = mlm_sentences()
        eval_sentences = held if eval_sentences is None else eval_sentences
    arch = TransformerConfig(**cfg.architecture(), vocab_size=tokenizer.vocab_size)
    encoder = SentenceEncoder.create(tokenizer, arch, pooling=pooling, seed=cfg.seed)
    objective = MLMObjective(arch.d_model, tokenizer.vocab_size)
    batches = MLMBatches(tokenizer, sentences, batch_size=cfg.batch_size, max_length=min(128, arch.max_len),
                         seed=cfg.seed)
    history = fit(encoder, objective, batches, cfg.steps, lr=cfg.lr, warmup=cfg.warmup, device=device, seed=cfg.seed,
                  progress=progress, desc="MLM pretraining", max_seconds=max_seconds)
    history["config"] = cfg.to_dict()
    history["unigram_entropy"] = unigram_entropy(tokenizer, sentences)
    if eval_sentences:
        held_batches = MLMBatches(tokenizer, eval_sentences, batch_size=cfg.batch_size, seed=cfg.seed + 1)
        ev = evaluate_mlm(encoder, objective, held_batches, n_batches=max(1, len(eval_sentences) // cfg.batch_size))
        history["eval_loss"], history["eval_acc"] = ev["loss"], ev["acc"]
    return MLMRun(encoder, objective, history)


def mlm_cache_dir() -> Path:
    """data/cache/mlm_default_<hash>: the hash changes whenever a default does, so a stale cache is never read."""
    return cache_dir("mlm_default", MLM_CACHE_VERSION, DEFAULT_MLM_CONFIG.to_dict(), HELD_OUT)


def pretrained_mlm_run(device=None, progress: bool = True) -> MLMRun:
    """The default MLM run (encoder + head + history), trained on first use and cached in data/cache/."""
    run = load_or_train(mlm_cache_dir(), lambda path: MLMRun.load(path, device),
                        lambda: train_mlm(device=device, progress=progress), lambda run, path: run.save(path))
    run.encoder.to(get_device(device))
    return run


def pretrained_mlm(device=None, progress: bool = True) -> SentenceEncoder:
    """The course's default MLM-pretrained encoder (mean pooling), trained once then cached."""
    return pretrained_mlm_run(device, progress).encoder


def train_mlm_cli(out: str | Path, config: MLMConfig = DEFAULT_MLM_CONFIG, *, minutes: float | None = None,
                  device=None) -> MLMRun:
    """`python -m minisent train mlm --out DIR [--steps N] [--lr LR] ... [--minutes M] [--device D]`.

    Trains `config` (for at most `minutes` when given, the learning rate following the clock), saves the encoder
    (plus mlm_head.pt, history.json) to `out` and prints a summary.
    """
    run = train_mlm(config, device=device, max_seconds=None if minutes is None else 60.0 * minutes)
    h = run.history
    path = run.save(out)
    print(f"MLM: {len(h['loss'])} steps in {h['time_s'][-1]:.0f} s; train loss (last 20 steps) {recent_loss(h):.3f}; "
          f"held-out loss {h.get('eval_loss', float('nan')):.3f}, accuracy {h.get('eval_acc', float('nan')):.3f}; "
          f"unigram baseline {h['unigram_entropy']:.3f} nats")
    print(f"saved to {path}")
    return run
