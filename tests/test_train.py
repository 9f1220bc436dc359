"""The fit loop and the MLM objective: masking statistics, loss goes down, determinism, schedule."""
import json
import math
import sys
import threading
import time

import numpy as np
import pytest
import torch

from conftest import tiny_encoder
from minisent.nn.encoder import SentenceEncoder
from minisent.training.mlm import IGNORE, MLMBatches, MLMObjective, evaluate_mlm, fill_mask, mask_tokens, unigram_entropy
from minisent.text.tokenize import CLS_ID, MASK_ID, SEP_ID, BPETokenizer, pad_batch
from minisent.training.loop import fit, lr_at
from minisent.training.mlm import MLMRun, train_mlm

SENTENCES = [
    "the cat sat on the mat .",
    "the dog sat on the rug .",
    "a cat and a dog played in the garden .",
    "the bird sang in the garden every morning .",
    "the dog chased the cat around the garden .",
    "a bird sat on the roof of the house .",
    "the cat slept on the warm mat all day .",
    "the dog barked at the bird on the roof .",
] * 4


@pytest.fixture(scope="module")
def tok():
    return BPETokenizer.train(SENTENCES, vocab_size=80)


def tiny(tok, seed=0):
    return tiny_encoder(tok, seed=seed, n_layers=2, d_ff=128), MLMObjective(32, tok.vocab_size)


def test_mask_tokens_statistics():
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(5, 1000, (200, 100))
    ids[:, 0], ids[:, -1] = CLS_ID, SEP_ID
    mask = torch.ones_like(ids, dtype=torch.bool)
    mask[:, 90:] = False
    ids[~mask] = 0
    corrupted, labels = mask_tokens(ids, mask, 1000, 0.15, g)
    picked = labels != IGNORE
    can = mask & (ids >= 5)
    assert not (picked & ~can).any()  # never [CLS], [SEP] or [PAD]
    assert abs(picked.sum().item() / can.sum().item() - 0.15) < 0.01
    assert torch.equal(labels[picked], ids[picked])
    n = picked.sum().item()
    frac_mask = (corrupted[picked] == MASK_ID).sum().item() / n
    frac_same = (corrupted[picked] == ids[picked]).sum().item() / n
    assert abs(frac_mask - 0.8) < 0.02 and abs(frac_same - 0.1) < 0.02  # and ~10 % random tokens
    assert torch.equal(corrupted[~picked], ids[~picked])  # unpicked tokens untouched
    again = mask_tokens(ids, mask, 1000, 0.15, torch.Generator().manual_seed(0))
    assert torch.equal(again[0], corrupted) and torch.equal(again[1], labels)


def test_untrained_mlm_loss_is_near_log_vocab(tok):
    """Small embedding init: tied output logits start small, so the first loss is about ln V."""
    enc, obj = tiny(tok)
    batch = next(iter(MLMBatches(tok, SENTENCES, batch_size=32, seed=0)))
    loss, metrics = obj(enc, batch)
    assert abs(loss.item() - math.log(tok.vocab_size)) < 0.3
    assert 0 <= metrics["acc"] <= 1


def test_mlm_steps_lower_the_loss(tok):
    enc, obj = tiny(tok)
    held = MLMBatches(tok, SENTENCES, batch_size=32, seed=123)
    before = evaluate_mlm(enc, obj, held, n_batches=4)["loss"]
    history = fit(enc, obj, MLMBatches(tok, SENTENCES, batch_size=16, seed=0), steps=60, lr=3e-3, progress=False)
    after = evaluate_mlm(enc, obj, held, n_batches=4)["loss"]
    assert after < before - 1.0
    assert np.mean(history["loss"][-10:]) < np.mean(history["loss"][:10]) - 1.0
    for key in ("step", "loss", "lr", "grad_norm", "time_s", "acc"):
        assert len(history[key]) == 60
    assert max(history["grad_norm"]) < 100


def test_same_seed_same_weights(tok):
    def run(seed):
        enc, obj = tiny(tok, seed)
        cfg = enc.backbone.config
        cfg.dropout = 0.1  # dropout on: the seed must fix its masks too
        enc = SentenceEncoder.create(tok, cfg, seed=seed)
        fit(enc, obj, MLMBatches(tok, SENTENCES, batch_size=8, seed=seed), steps=5, seed=seed, progress=False)
        return torch.cat([p.detach().flatten() for p in enc.parameters()])
    a, b, c = run(0), run(0), run(1)
    assert torch.equal(a, b)
    assert not torch.allclose(a, c)


def test_fit_takes_any_objective():
    """The loop knows nothing about MLM: a plain function objective on a linear model trains too."""
    torch.manual_seed(0)
    x = torch.randn(64, 3)
    y = x @ torch.tensor([1.0, -2.0, 0.5])
    model = torch.nn.Linear(3, 1)
    objective = lambda m, batch: (((m(batch[0]).squeeze(-1) - batch[1]) ** 2).mean(), {})
    history = fit(model, objective, [(x, y)], steps=200, lr=0.1, weight_decay=0.0, progress=False)
    assert history["loss"][-1] < 1e-3 < history["loss"][0]
    with pytest.raises(ValueError, match="steps"):
        fit(model, objective, [(x, y)], steps=0)


def test_learning_rate_schedule():
    assert lr_at(0.0, 1.0, warmup=0.1) == 0.0
    assert lr_at(0.05, 1.0, warmup=0.1) == pytest.approx(0.5)
    assert lr_at(0.1, 1.0, warmup=0.1) == pytest.approx(1.0)
    assert lr_at(1.0, 1.0, warmup=0.1, min_ratio=0.1) == pytest.approx(0.1)
    values = [lr_at(p / 100, 1.0, 0.1) for p in range(10, 101)]
    assert all(a >= b for a, b in zip(values, values[1:]))  # decays monotonically after warm-up


def test_unigram_entropy(tok):
    ids = [i for s in SENTENCES for i in tok.encode(s, add_special_tokens=False)]
    p = np.bincount(ids) / len(ids)
    p = p[p > 0]
    assert unigram_entropy(tok, SENTENCES) == pytest.approx(float(-(p * np.log(p)).sum()))


def test_train_mlm_fill_mask_and_run_save_load(tok, tmp_path):
    run = train_mlm(steps=3, tokenizer=tok, sentences=SENTENCES, eval_sentences=SENTENCES[:8],
                    d_model=32, n_heads=2, n_layers=1, d_ff=64, max_len=32, batch_size=8, progress=False)
    assert len(run.history["loss"]) == 3 and "eval_loss" in run.history and "unigram_entropy" in run.history
    guesses = fill_mask(run.encoder, run.objective, "the cat sat on the [MASK] .", k=3)
    assert len(guesses) == 1 and len(guesses[0]) == 3
    assert all(isinstance(t, str) and 0 <= p <= 1 for t, p in guesses[0])
    run.save(tmp_path / "mlm")
    again = MLMRun.load(tmp_path / "mlm", device="cpu")
    np.testing.assert_array_equal(again.encoder.encode(SENTENCES[:4]), run.encoder.encode(SENTENCES[:4]))
    assert fill_mask(again.encoder, again.objective, "the cat sat on the [MASK] .", k=3) == guesses
    assert again.history["loss"] == run.history["loss"]


def test_load_or_train_trains_once_then_loads(tmp_path):
    from minisent.training.cache import load_or_train

    calls = []

    def train():
        calls.append("train")
        return {"weights": len(calls)}

    def save(result, directory):
        directory.mkdir()
        (directory / "weights.json").write_text(json.dumps(result))
        (directory / "history.json").write_text("{}")   # written last: marks the copy complete

    def load(directory):
        return json.loads((directory / "weights.json").read_text())

    path = tmp_path / "run"
    assert load_or_train(path, load, train, save) == {"weights": 1}
    assert load_or_train(path, load, train, save) == {"weights": 1} and calls == ["train"]   # read, not retrained
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run", "run.lock"]                  # no temporary left
    (path / "history.json").unlink()                    # a copy that was never completed ...
    assert load_or_train(path, load, train, save) == {"weights": 2}                           # ... is trained again
    (path / "weights.json").write_text("not json")      # a damaged copy is trained again too
    assert load_or_train(path, load, train, save) == {"weights": 3}
    assert load(path) == {"weights": 3}


def twice_at_once(work):
    """[work(), work()] from two threads, the second started while the first is still working. Threads stand
    in for processes: each opens the lock file itself, so the second one waits on flock."""
    results = []
    workers = [threading.Thread(target=lambda: results.append(work())) for _ in range(2)]
    for w in workers:
        w.start()
        time.sleep(0.05)
    for w in workers:
        w.join()
    return results


@pytest.mark.skipif(sys.platform == "win32", reason="no fcntl: the cache lock does nothing on Windows")
def test_two_workers_wanting_one_missing_model_train_it_once(tmp_path):
    from minisent.training.cache import load_or_train

    calls = []

    def train():
        calls.append("train")
        time.sleep(0.3)                                 # long enough for the second worker to arrive meanwhile
        return {"weights": len(calls)}

    def save(result, directory):
        directory.mkdir()
        (directory / "weights.json").write_text(json.dumps(result))
        (directory / "history.json").write_text("{}")

    def load(directory):
        return json.loads((directory / "weights.json").read_text())

    path = tmp_path / "run"
    results = twice_at_once(lambda: load_or_train(path, load, train, save))
    assert calls == ["train"] and results == [{"weights": 1}, {"weights": 1}]


@pytest.mark.skipif(sys.platform == "win32", reason="no fcntl: the cache lock does nothing on Windows")
def test_word_vectors_wanted_twice_at_once_are_trained_once(tmp_path, monkeypatch):
    from minisent.wordvec import gensim_models

    trained = []
    real = gensim_models._train

    def slow_train(*args):
        trained.append(1)
        time.sleep(0.3)
        return real(*args)

    monkeypatch.setattr(gensim_models, "_train", slow_train)
    sentences = [["the", "cat", "sat", "on", "the", "mat"], ["the", "dog", "sat", "on", "the", "log"]] * 20
    kwargs = dict(sentences=sentences, cache_dir=tmp_path, progress=False, epochs=1, min_count=1, vector_size=8)
    out = twice_at_once(lambda: gensim_models.train_vectors("skipgram", **kwargs))
    assert trained == [1] and np.array_equal(out[0]["cat"], out[1]["cat"])
