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
"""
from __future__ import annotations

from collections import Counter
from typing import Iterator, Sequence

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from ..inputs import length_sorted_batches
from ..text.tokenize import MASK, MASK_ID, SPECIAL_TOKENS, Tokenizer, pad_batch

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
    should. With nn.Embedding's default N(0, 1) they would start ~sqrt(d) and the loss near 26.
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
    parts = text.split(MASK)
    for i, part in enumerate(parts):
        ids += tok.encode(part, add_special_tokens=False)
        if i < len(parts) - 1:
            ids.append(MASK_ID)
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
