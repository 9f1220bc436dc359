"""SimCSE: views, objectives against a hand-written reference, training lowers the loss and raises a score,
determinism, resuming, word2vec initialization, the command-line entry point. Tiny models only."""
import copy
import itertools
import random

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from conftest import tiny_encoder
from minisent.training import simcse, simcse_cli, start
from minisent.data import NLITriplet
from minisent.training.sampler import normalize_text
from minisent.training.simcse import (SentenceBatches, SimCSEConfig, SupervisedSimCSE, TripletBatches, UnsupervisedSimCSE,
                                      embed, train_simcse, train_simcse_sup, word2vec_init_)
from minisent.text.tokenize import BPETokenizer

SUBJECTS = ["the cat", "a dog", "my sister", "the old farmer", "a small bird", "the teacher"]
VERBS = ["watched", "followed", "painted", "found", "fed", "called"]
OBJECTS = ["the red ball", "a green apple", "the tall tree", "an empty box", "the river", "a yellow kite"]
PLACES = ["in the garden", "near the school", "after lunch", "on the hill"]
SENTENCES = [f"{s} {v} {o} {p} ." for s, v, o, p in itertools.product(SUBJECTS, VERBS, OBJECTS, PLACES)]
random.Random(0).shuffle(SENTENCES)
SENTENCES = SENTENCES[:160]


@pytest.fixture(scope="module")
def tok():
    return BPETokenizer.train(SENTENCES, vocab_size=120)


def tiny(tok, dropout=0.1, seed=0):
    return tiny_encoder(tok, seed=seed, dropout=dropout)


def view_retrieval(model, sentences, seed=0):
    """Share of noisy views (crop + deletion) whose nearest full sentence is their own: a score the
    unsupervised objective should raise."""
    rng = random.Random(seed)
    views = [simcse.make_view(s, rng, 0.3, 0.4) for s in sentences]
    q, k = model.encode(views, normalize=True), model.encode(sentences, normalize=True)
    return float(((q @ k.T).argmax(1) == np.arange(len(sentences))).mean())


def triplet_accuracy(model, triplets):
    a, p, n = (model.encode([getattr(t, f) for t in triplets], normalize=True) for f in ("anchor", "positive", "negative"))
    return float(((a * p).sum(1) > (a * n).sum(1)).mean())


# ------------------------------------------------------------------------------------ views
def test_dropout_zero_without_noise_gives_identical_views(tok):
    """No noise at all: the two views are the same vector, the positive logit 1/tau is the largest of its row,
    and the loss is the same as scoring a sentence against itself -- what is left to learn is only to push
    the other sentences away, never to pull the two views together (their gradient of alignment is 0)."""
    enc = tiny(tok, dropout=0.0).train()
    obj = UnsupervisedSimCSE(temperature=0.05)
    za, zb = obj.embed_views(enc, SENTENCES[:16])
    assert torch.equal(za, zb)
    logits = F.normalize(za, dim=-1) @ F.normalize(zb, dim=-1).T / 0.05
    assert torch.equal(logits.argmax(1), torch.arange(16))
    assert torch.allclose(logits.diagonal(), torch.full((16,), 20.0), atol=1e-4)
    # with dropout the views differ
    enc.backbone.set_dropout(0.1)
    za, zb = obj.embed_views(enc, SENTENCES[:16])
    assert not torch.allclose(za, zb)


def test_noisy_views_are_independent_sub_sequences():
    obj = UnsupervisedSimCSE(min_keep=0.3, p_delete=0.4)
    torch.manual_seed(0)
    a, b = obj.views(SENTENCES[:50])
    assert sum(x != y for x, y in zip(a, b)) > 40  # drawn independently
    for s, x in zip(SENTENCES[:50], a):
        words, kept = s.split(), x.split()
        assert 1 <= len(kept) < len(words) + 1
        it = iter(words)
        assert all(w in it for w in kept)  # an ordered sub-sequence of the sentence's words
    torch.manual_seed(0)
    assert obj.views(SENTENCES[:50]) == (a, b)  # all randomness comes from torch's generator


def test_embed_matches_a_plain_forward_pass(tok):
    enc = tiny(tok).eval()
    texts = SENTENCES[:20] + ["a dog", "the cat watched"]
    with torch.no_grad():
        ref = enc(enc.tokenizer(texts, max_length=32))
        assert torch.allclose(embed(enc, texts, max_length=32, chunk=4), ref, atol=1e-5)


# ------------------------------------------------------------------------------- objectives
def test_supervised_loss_matches_a_hand_written_reference(tok):
    enc = tiny(tok, dropout=0.0).train()
    B, tau, w = 6, 0.1, 0.5
    batch = {"anchor": SENTENCES[:B], "positive": SENTENCES[B:2 * B], "negative": SENTENCES[2 * B:3 * B]}
    loss, metrics = SupervisedSimCSE(tau, hard_negative_weight=w)(enc, batch)
    with torch.no_grad():
        za, zp, zn = (F.normalize(enc(batch[k]), dim=-1) for k in ("anchor", "positive", "negative"))
        logits = torch.cat([za @ zp.T, za @ zn.T], dim=1) / tau  # (B, 2B)
        logits[:, B:] += w * torch.eye(B)  # log-weight on each anchor's own hard negative
        ref = F.cross_entropy(logits, torch.arange(B))
    assert torch.allclose(loss, ref, atol=1e-5)
    assert {"acc", "pos_cos", "neg_cos", "hard_cos"} <= set(metrics)


def test_unsupervised_loss_is_infonce_of_the_views(tok):
    enc = tiny(tok, dropout=0.0).train()
    obj = UnsupervisedSimCSE(temperature=0.05, min_keep=0.5, p_delete=0.2)
    torch.manual_seed(3)
    loss, _ = obj(enc, SENTENCES[:8])
    torch.manual_seed(3)
    a, b = obj.views(SENTENCES[:8])
    with torch.no_grad():
        za, zb = F.normalize(enc(a), dim=-1), F.normalize(enc(b), dim=-1)
        ref = F.cross_entropy(za @ zb.T / 0.05, torch.arange(8))
    assert torch.allclose(loss, ref, atol=1e-5)


# --------------------------------------------------------------------------------- training
def test_unsupervised_training_lowers_the_loss_and_raises_a_score(tok, device):
    enc = tiny(tok, seed=1)
    held_out = SENTENCES[120:]
    before = view_retrieval(enc, held_out)
    cfg = SimCSEConfig(steps=60, batch_size=32, lr=3e-3, temperature=0.1, min_keep=0.3, p_delete=0.4, max_length=32)
    enc, h = train_simcse(cfg, encoder=enc, sentences=SENTENCES[:120], device=device, progress=False,
                          eval_fn=lambda m: {"views": view_retrieval(m, held_out)}, eval_every=30)
    assert np.mean(h["loss"][-10:]) < np.mean(h["loss"][:10]) - 0.3
    after = view_retrieval(enc, held_out)
    assert after > before + 0.05, (before, after)
    assert h["eval"][0]["views"] == pytest.approx(before) and h["eval"][-1]["step"] == 60
    assert h["config"]["steps"] == 60


def test_supervised_training_lowers_the_loss_and_raises_a_score(tok, device):
    # the positive keeps only the verb and object; the negative keeps everything but the object: word overlap
    # prefers the negative, so the untrained model mostly gets these wrong
    rng = random.Random(0)
    triplets = []
    for s in SENTENCES[:96]:
        obj = next(o for o in OBJECTS if o in s)
        verb = next(v for v in VERBS if f" {v} " in s)
        neg = s.replace(obj, rng.choice([o for o in OBJECTS if o != obj]))
        triplets.append(NLITriplet(s, f"{verb} {obj}", neg))
    enc = tiny(tok, seed=2)
    before = triplet_accuracy(enc, triplets)
    enc, h = train_simcse_sup(SimCSEConfig(steps=40, batch_size=16, lr=3e-3, temperature=0.1, max_length=32),
                              encoder=enc, triplets=triplets, device=device, progress=False)
    assert np.mean(h["loss"][-5:]) < np.mean(h["loss"][:5]) - 0.5
    after = triplet_accuracy(enc, triplets)
    assert before < 0.5 and after > before + 0.3, (before, after)


def test_same_seed_same_weights(tok):
    cfg = SimCSEConfig(steps=5, batch_size=16, lr=1e-3, max_length=32, min_keep=0.3, p_delete=0.4)
    start = tiny(tok)
    runs = [train_simcse(cfg, encoder=copy.deepcopy(start), sentences=SENTENCES, device="cpu", progress=False)[0]
            for _ in range(2)]
    other = train_simcse(cfg, encoder=copy.deepcopy(start), sentences=SENTENCES, device="cpu", progress=False,
                         seed=1)[0]
    a, b, c = (r.state_dict() for r in runs + [other])
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)


def test_resumed_simcse_run_equals_uninterrupted(tok, tmp_path):
    cfg = SimCSEConfig(steps=8, batch_size=16, lr=1e-3, max_length=32, min_keep=0.3, p_delete=0.4)
    start = tiny(tok)
    full, _ = train_simcse(cfg, encoder=copy.deepcopy(start), sentences=SENTENCES, device="cpu", progress=False)

    class Stop(Exception):
        pass

    def stop(step, history):
        if step == 5:
            raise Stop

    from minisent.training import loop

    with pytest.raises(Stop):
        enc = copy.deepcopy(start)
        enc.backbone.set_dropout(cfg.dropout)
        loop.fit(enc, UnsupervisedSimCSE(cfg.temperature, cfg.min_keep, cfg.p_delete, cfg.max_length),
                  SentenceBatches(SENTENCES, cfg.batch_size, seed=cfg.seed), cfg.steps, lr=cfg.lr, device="cpu",
                  progress=False, checkpoint_dir=tmp_path, checkpoint_every=2, callback=stop)
    resumed, _ = train_simcse(cfg, encoder=tiny(tok, seed=5), sentences=SENTENCES, device="cpu", progress=False,
                              checkpoint_dir=tmp_path)
    a, b = full.state_dict(), resumed.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_batches_never_hold_duplicates():
    sentences = SENTENCES[:40] + [s.upper() for s in SENTENCES[:40]] + SENTENCES[:10]
    for batch in itertools.islice(SentenceBatches(sentences, batch_size=16, seed=0), 20):
        keys = [normalize_text(s) for s in batch]
        assert len(batch) == 16 and len(set(keys)) == 16
    triplets = [NLITriplet(SENTENCES[i % 30], SENTENCES[40 + i], SENTENCES[100 + i % 50]) for i in range(60)]
    for batch in itertools.islice(TripletBatches(triplets, batch_size=12, seed=0), 20):
        texts = batch["anchor"] + batch["positive"] + batch["negative"]
        assert len({normalize_text(t) for t in texts}) == 36


# ----------------------------------------------------------------------- word2vec and config
def test_word2vec_init_keeps_the_geometry_of_the_word_vectors(tok):
    from gensim.models import KeyedVectors

    words = ["the", "garden", "school", "lunch", "hill", "farmer", "bird", "tree", "box", "apple", "dog", "kite"]
    kv = KeyedVectors(vector_size=8)
    kv.add_vectors(words, np.random.default_rng(0).normal(size=(len(words), 8)).astype(np.float32))
    enc = tiny(tok)
    before = enc.backbone.tok_emb.weight.detach().clone()
    n = word2vec_init_(enc, kv)
    vocab = enc.tokenizer.vocab
    rows = [vocab.index("\u2581" + w) for w in words if "\u2581" + w in vocab]
    assert n == len(rows) >= 8
    emb = enc.backbone.tok_emb.weight.detach()
    untouched = [i for i in range(len(vocab)) if i not in rows]
    assert torch.equal(emb[untouched], before[untouched])  # word pieces and specials keep their init
    # PCA is a rotation of the centered vectors (8 <= d = 32: nothing is cut), so cosines are kept
    X = np.stack([kv[vocab[i][1:]] for i in rows]).astype(np.float64)
    X -= X.mean(0)
    E = emb[rows].double().numpy()
    cos = lambda M: (M / np.linalg.norm(M, axis=1, keepdims=True)) @ (M / np.linalg.norm(M, axis=1, keepdims=True)).T
    assert np.allclose(cos(E), cos(X), atol=1e-5)
    assert abs(E.std() - before.std().item()) < 1e-3  # the scale of the table it replaces


def test_config_overrides_and_errors(tok):
    with pytest.raises(TypeError, match="unknown SimCSEConfig"):
        train_simcse(encoder=tiny(tok), sentences=SENTENCES, stepz=3)
    with pytest.raises(ValueError, match="start"):
        simcse.start_encoder("bert")
    assert SimCSEConfig().noise and not SimCSEConfig(min_keep=None, p_delete=0.0).noise


def test_cli_saves_an_encoder_that_loads(tok, tmp_path, monkeypatch, capsys):
    import minisent

    for module in (simcse, simcse_cli):
        monkeypatch.setattr(module, "start_encoder", lambda *a, **k: tiny(tok))
        monkeypatch.setattr(module, "unsup_sentences", lambda: SENTENCES)
    monkeypatch.setattr(simcse_cli, "sts_eval_fn", lambda **k: (lambda m: {"mini-STS": 1.0, "Lee": 2.0}))
    monkeypatch.setattr(simcse_cli, "DEFAULT_CONFIG", SimCSEConfig(batch_size=16, max_length=32, start="random"))
    enc, h = simcse_cli.train_simcse_cli(tmp_path / "out", steps=3, device="cpu")
    assert len(h["loss"]) == 3
    loaded = minisent.load(tmp_path / "out")
    assert np.allclose(loaded.encode(SENTENCES[:4]), enc.encode(SENTENCES[:4]), atol=1e-6)
    assert "saved to" in capsys.readouterr().out


def test_random_start_options(tok, monkeypatch):
    """start_encoder("random"): width, token-embedding scale, and SIF weights counted on the sentences given."""
    from minisent.nn.pooling import sif_token_weights

    monkeypatch.setattr(start, "corpus_bpe", lambda progress=True: tok)
    enc = simcse.start_encoder("random", d_model=32, pooling="weighted_mean", embedding_std=1.0, sentences=SENTENCES,
                               dropout=0.2)
    emb = enc.backbone.tok_emb.weight
    assert enc.dim == 32 and enc.backbone.config.d_ff == 128 and enc.backbone.config.dropout == 0.2
    assert emb[1:].std().item() == pytest.approx(1.0, rel=1e-4) and emb[0].abs().sum() == 0  # [PAD] stays zero
    torch.testing.assert_close(enc.pooling.token_weights, sif_token_weights(tok, SENTENCES))
    plain = simcse.start_encoder("random", d_model=32, sentences=SENTENCES)
    assert plain.pooling.name == "mean" and plain.backbone.tok_emb.weight[1:].std().item() < 0.05
