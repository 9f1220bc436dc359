"""Lesson 07: one unsupervised SimCSE training step, checked against minisent.training.simcse.UnsupervisedSimCSE.

    def my_simcse_step(model, sentences, optimizer, temperature):
        # model: a SentenceEncoder (model(list_of_str) -> (B, d), differentiable); dropout must be ON.
        # Encode the batch twice (two dropout masks = two views), InfoNCE between the two views,
        # one optimizer step.  -> the loss as a float
    check_simcse_step(my_simcse_step)

The checker uses a tiny encoder (one layer, d = 16) built on the spot, so it takes a second.
"""
from __future__ import annotations

import copy

import torch

from ..losses import info_nce
from ..nn.encoder import SentenceEncoder
from ..nn.transformer import TransformerConfig
from ..text.tokenize import WordTokenizer
from ..training.simcse import UnsupervisedSimCSE
from ._check import Wrong, call, compare, run_checker

SENTENCES = ["a cat sleeps on the warm mat", "the bank raised its interest rates",
             "children play football in the park", "rain fell on the old city all night",
             "she reads a long book about ships", "the river floods the low fields"]
LR = 0.5


def tiny_encoder(dropout: float = 0.0, seed: int = 0) -> SentenceEncoder:
    """A one-layer, 16-wide encoder with a word tokenizer over SENTENCES (random weights, seeded)."""
    tok = WordTokenizer.train(SENTENCES, vocab_size=100, min_count=1)
    cfg = TransformerConfig(d_model=16, n_heads=2, n_layers=1, max_len=16, dropout=dropout)
    return SentenceEncoder.create(tok, cfg, pooling="mean", seed=seed).double()


def _flat(model) -> torch.Tensor:
    return torch.cat([p.detach().flatten() for p in model.parameters()])


def _stale_grads(model) -> None:
    """Gradients an earlier step would have left behind."""
    for i, p in enumerate(model.parameters()):
        p.grad = torch.full_like(p, 0.01 * (1 + i % 3))


def _reference_step(model, sentences, tau, stale=False):
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    if stale:
        _stale_grads(model)
    else:
        opt.zero_grad()
    loss, _ = UnsupervisedSimCSE(temperature=tau)(model, sentences)
    loss.backward()
    opt.step()
    return loss.item()


def check_simcse_step(student, quiet: bool = False) -> str:
    """With dropout 0 (deterministic): the loss and every parameter after the step, at tau = 0.05 and 0.1,
    on the batch and on two sentences. With dropout 0.1: the model ran in training mode on 2B rows."""
    batches = [(SENTENCES, 0.05, "at temperature 0.05"), (SENTENCES[:2], 0.1, "on a batch of two at temperature 0.1")]

    def body():
        for sentences, tau, case in batches:
            base = tiny_encoder()
            ref = copy.deepcopy(base)
            ref_loss = _reference_step(ref, sentences, tau)
            with torch.no_grad():
                z = base(sentences)
            mistakes = {"forget the temperature (divide by 1)": info_nce(z, z, temperature=1.0)}
            stale, frozen = copy.deepcopy(base), copy.deepcopy(base)
            _reference_step(stale, sentences, tau, stale=True)
            mine = copy.deepcopy(base).eval()
            _stale_grads(mine)                                 # as if an earlier step had run
            opt = torch.optim.SGD(mine.parameters(), lr=LR)
            got = call(student, mine, list(sentences), opt, tau)
            if isinstance(got, torch.Tensor) and got.numel() == 1:
                got = got.item()
            compare("the returned loss", got, ref_loss, case, atol=1e-6, mistakes=mistakes)
            compare("the parameters after the step (flattened)", _flat(mine), _flat(ref), case, atol=1e-6,
                    mistakes={"forget optimizer.step()": _flat(frozen),
                              "forget optimizer.zero_grad() (old gradients are added to the new ones)": _flat(stale)})
        # dropout on: the step must run the model in training mode and encode every sentence twice
        model = tiny_encoder(dropout=0.1).eval()
        seen = []
        model.register_forward_pre_hook(lambda m, args: seen.append((m.training, _rows(args[0]))))
        call(student, model, list(SENTENCES), torch.optim.SGD(model.parameters(), lr=LR), 0.05)
        if not seen:
            raise Wrong("the model was never called: encode the sentences with model(sentences).")
        if not all(training for training, _ in seen):
            raise Wrong("the model ran in eval mode, so dropout was off and both views were identical: "
                        "call model.train() first.")
        if sum(n for _, n in seen) < 2 * len(SENTENCES):
            raise Wrong(f"the model encoded {sum(n for _, n in seen)} rows for a batch of {len(SENTENCES)}: "
                        f"SimCSE encodes every sentence twice, so dropout gives two different views.")
    return run_checker("simcse_step", body, quiet)


def _rows(inputs) -> int:
    if isinstance(inputs, (list, tuple)) and inputs and isinstance(inputs[0], str):
        return len(inputs)
    if isinstance(inputs, dict):
        return int(inputs["input_ids"].shape[0])
    if hasattr(inputs, "input_ids"):
        return int(inputs.input_ids.shape[0])
    return int(inputs[0].shape[0])
