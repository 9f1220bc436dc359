"""train.fit extensions: evaluation callback, checkpoints + exact resume, mixed precision, progress bar."""
import random

import numpy as np
import pytest
import torch
import torch.nn as nn

from conftest import tiny_encoder
from minisent.training.mlm import MLMBatches, MLMObjective
from minisent.text.tokenize import BPETokenizer
from minisent.training.checkpoint import CHECKPOINT_FILE
from minisent.training.loop import fit

SENTENCES = [
    "the cat sat on the mat .", "the dog sat on the rug .", "a cat and a dog played in the garden .",
    "the bird sang in the garden every morning .", "the dog chased the cat around the garden .",
    "a bird sat on the roof of the house .", "the cat slept on the warm mat all day .",
    "the dog barked at the bird on the roof .",
] * 3


@pytest.fixture(scope="module")
def tok():
    return BPETokenizer.train(SENTENCES, vocab_size=70)


def tiny(tok, dropout=0.1, seed=0):
    return tiny_encoder(tok, seed=seed, dropout=dropout), MLMObjective(32, tok.vocab_size)


class NoisyMLM(MLMObjective):
    """The MLM loss plus a term drawn from numpy's and python's global generators: a resumed run only
    matches an uninterrupted one if fit restores every RNG (and dropout needs torch's)."""

    def forward(self, model, batch):
        loss, metrics = super().forward(model, batch)
        w = float(np.random.rand()) + random.random()
        return loss * (1 + 0.1 * w), metrics


def _params(module):
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def test_eval_fn_goes_into_history_with_its_step(tok):
    enc, obj = tiny(tok)
    calls = []

    def eval_fn(model):
        assert not model.training  # evaluated in eval mode ...
        assert not torch.is_grad_enabled()  # ... without gradients
        calls.append(1)
        return {"score": float(len(calls)), "other": 0.5}

    h = fit(enc, obj, MLMBatches(tok, SENTENCES, batch_size=8), steps=10, eval_fn=eval_fn, eval_every=4,
            progress=False)
    assert [e["step"] for e in h["eval"]] == [0, 4, 8, 10]  # the start, every 4 steps, the end
    assert [e["score"] for e in h["eval"]] == [1.0, 2.0, 3.0, 4.0]
    assert all(e["other"] == 0.5 for e in h["eval"])
    assert len(h["loss"]) == 10


def test_progress_bar_shows_loss_and_metric(tok, capsys, monkeypatch):
    monkeypatch.setenv("MINISENT_PROGRESS", "1")   # capsys is no terminal: force the bar on
    enc, obj = tiny(tok)
    fit(enc, obj, MLMBatches(tok, SENTENCES, batch_size=8), steps=3, eval_fn=lambda m: {"spearman": 12.5},
        eval_every=1, progress=True, desc="unit")
    err = capsys.readouterr().err
    assert "unit" in err and "loss=" in err and "spearman=12.5" in err


def test_resume_from_checkpoint_continues_the_same_run(tok, tmp_path):
    steps = 12
    make = lambda: MLMBatches(tok, SENTENCES, batch_size=8, seed=3)
    eval_fn = lambda m: {"norm": float(m.backbone.tok_emb.weight.norm())}
    common = dict(steps=steps, lr=3e-3, seed=7, progress=False, eval_fn=eval_fn, eval_every=5)

    enc, _ = tiny(tok)
    obj = NoisyMLM(32, tok.vocab_size)
    full = fit(enc, obj, make(), **common)
    reference, reference_head = _params(enc), _params(obj)

    # the same run, killed after step 8 (its last checkpoint was at step 6) ...
    class Killed(Exception):
        pass

    def kill(step, history):
        if step == 8:
            raise Killed

    enc2, _ = tiny(tok)
    obj2 = NoisyMLM(32, tok.vocab_size)
    with pytest.raises(Killed):
        fit(enc2, obj2, make(), checkpoint_dir=tmp_path, checkpoint_every=3, callback=kill, **common)
    saved = torch.load(tmp_path / CHECKPOINT_FILE, weights_only=True)  # tensors and plain containers only
    assert saved["step"] == 6 and saved["steps"] == steps
    assert not torch.equal(saved["model"]["backbone.tok_emb.weight"], reference["backbone.tok_emb.weight"])

    # ... then started again in a "new process": fresh objects with other weights and another RNG state
    torch.manual_seed(123), np.random.seed(123), random.seed(123)
    enc3, _ = tiny(tok, seed=99)
    obj3 = NoisyMLM(32, tok.vocab_size)
    resumed = fit(enc3, obj3, make(), checkpoint_dir=tmp_path, checkpoint_every=3, **common)
    for k, v in reference.items():
        assert torch.equal(enc3.state_dict()[k], v), k
    for k, v in reference_head.items():
        assert torch.equal(obj3.state_dict()[k], v), k
    assert resumed["loss"] == full["loss"] and resumed["step"] == list(range(1, steps + 1))
    assert [e["step"] for e in resumed["eval"]] == [0, 5, 10, 12]
    assert [e["norm"] for e in resumed["eval"]] == [e["norm"] for e in full["eval"]]

    # a finished run resumes to its end without training again; another length is refused
    again = fit(enc3, obj3, make(), checkpoint_dir=tmp_path, **common)
    assert again["loss"] == full["loss"]
    with pytest.raises(ValueError, match="steps"):
        fit(enc3, obj3, make(), checkpoint_dir=tmp_path, **{**common, "steps": 20})


def test_without_resume_a_checkpoint_is_ignored(tok, tmp_path):
    enc, obj = tiny(tok)
    fit(enc, obj, MLMBatches(tok, SENTENCES, batch_size=8), steps=4, checkpoint_dir=tmp_path, progress=False)
    enc2, obj2 = tiny(tok)
    h = fit(enc2, obj2, MLMBatches(tok, SENTENCES, batch_size=8), steps=6, checkpoint_dir=tmp_path, resume=False,
            progress=False)
    assert len(h["loss"]) == 6
    assert torch.load(tmp_path / CHECKPOINT_FILE, weights_only=True)["step"] == 6


DAMAGED_CHECKPOINTS = {
    "empty": (lambda good: b"", "empty"),
    "truncated": (lambda good: good[: len(good) // 2], "cannot be read as a training checkpoint"),
    "garbage": (lambda good: b"not a checkpoint at all" * 10, "cannot be read as a training checkpoint"),
}


@pytest.mark.parametrize("damage", list(DAMAGED_CHECKPOINTS) + ["foreign dict"])
def test_a_damaged_checkpoint_is_one_error_naming_the_file(tok, tmp_path, damage):
    """Resuming from a damaged checkpoint.pt (issue 14): a ModelFileError with the file's path and what is wrong."""
    from minisent.nn.encoder import ModelFileError

    enc, obj = tiny(tok)
    fit(enc, obj, MLMBatches(tok, SENTENCES, batch_size=8), steps=2, checkpoint_dir=tmp_path, progress=False)
    path = tmp_path / CHECKPOINT_FILE
    if damage == "foreign dict":
        torch.save({"model": enc.state_dict()}, path)
        expected = "not a minisent training checkpoint .lacks step, steps, objective"
    else:
        make, expected = DAMAGED_CHECKPOINTS[damage]
        path.write_bytes(make(path.read_bytes()))
    enc2, obj2 = tiny(tok)
    with pytest.raises(ModelFileError, match=expected) as err:
        fit(enc2, obj2, MLMBatches(tok, SENTENCES, batch_size=8), steps=2, checkpoint_dir=tmp_path, progress=False)
    assert str(path) in str(err.value) and "resume=False" in str(err.value)


def test_precision_choices(tok, device):
    enc, obj = tiny(tok, dropout=0.0)
    batches = MLMBatches(tok, SENTENCES, batch_size=8)
    with pytest.raises(ValueError, match="precision"):
        fit(enc, obj, batches, steps=1, precision="fp8", device=device, progress=False)
    if device == "cpu":
        with pytest.raises(ValueError, match="cuda"):
            fit(enc, obj, batches, steps=1, precision="fp16", device=device, progress=False)
        # "auto" is plain float32 on the cpu: the same weights as asking for fp32
        a, oa = tiny(tok, dropout=0.0)
        b, ob = tiny(tok, dropout=0.0)
        fit(a, oa, batches, steps=3, precision="auto", device=device, progress=False)
        fit(b, ob, batches, steps=3, precision="fp32", device=device, progress=False)
        assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))
    choices = ["auto", "fp32"] + (["bf16", "fp16"] if device == "cuda" else [])
    for precision in choices:  # every precision trains: the loss goes down
        enc, obj = tiny(tok, dropout=0.0)
        h = fit(enc, obj, batches, steps=40, lr=3e-3, precision=precision, device=device, progress=False)
        assert np.mean(h["loss"][-5:]) < np.mean(h["loss"][:5]) - 0.5, precision
        assert all(p.dtype == torch.float32 for p in enc.parameters())  # weights stay float32


def test_bad_arguments(tok, tmp_path):
    enc, obj = tiny(tok)
    b = MLMBatches(tok, SENTENCES, batch_size=8)
    with pytest.raises(ValueError, match="checkpoint_dir"):
        fit(enc, obj, b, steps=2, checkpoint_every=1, progress=False)
    with pytest.raises(ValueError, match="eval_every"):
        fit(enc, obj, b, steps=2, eval_fn=lambda m: {}, eval_every=0, progress=False)
