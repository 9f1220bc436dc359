"""Distillation (Reimers & Gurevych 2020): the loss against F.mse_loss, the cached teacher vectors,
the PCA targets against an SVD reference, and a short run that brings the student to its teacher."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from minisent.training import distill
from minisent.training.distill import Distillation, mse_loss, pca_targets, teacher_embeddings
from minisent.nn.encoder import SentenceEncoder
from minisent.text.tokenize import WordTokenizer
from minisent.nn.transformer import TransformerConfig


def test_mse_loss_equals_torch_and_its_gradient(device):
    s = torch.randn(16, 24, device=device, requires_grad=True)
    t = torch.randn(16, 24, device=device)
    ours, ref = mse_loss(s, t), F.mse_loss(s, t)
    torch.testing.assert_close(ours, ref)
    g_ours, = torch.autograd.grad(ours, s)
    g_ref, = torch.autograd.grad(F.mse_loss(s, t), s)
    torch.testing.assert_close(g_ours, g_ref)
    with pytest.raises(ValueError, match="same shape"):
        mse_loss(s, t[:, :8])


def test_pca_targets_keep_the_teachers_inner_products():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3)) @ rng.normal(size=(3, 12)) + 0.01 * rng.normal(size=(200, 12))  # ~rank 3
    Y, P = pca_targets(X, 3)
    assert Y.shape == (200, 3) and P.shape == (12, 3)
    np.testing.assert_allclose(P.T @ P, np.eye(3), atol=1e-5)  # orthonormal directions
    U, S, Vt = np.linalg.svd(X, full_matrices=False)
    best = (U[:, :3] * S[:3]) @ (U[:, :3] * S[:3]).T  # Eckart-Young: best rank-3 Gram matrix
    np.testing.assert_allclose(Y @ Y.T, best, atol=1e-3)
    with pytest.raises(ValueError, match="between 1"):
        pca_targets(X, 13)


class CountingTeacher:
    """A teacher with encode(): a fixed random vector per sentence; counts its calls."""
    calls = 0

    def encode(self, sentences, batch_size=64, show_progress=None):
        CountingTeacher.calls += 1
        return np.stack([np.random.default_rng(abs(hash(s)) % 2 ** 32).normal(size=6) for s in sentences])


def test_teacher_embeddings_are_cached_as_plain_npy(tmp_path, monkeypatch):
    from minisent import data

    monkeypatch.setattr(data, "CACHE_DIR", tmp_path)
    sents = ["one sentence", "another one", "a third"]
    a = teacher_embeddings(CountingTeacher(), "toy", sents)
    b = teacher_embeddings(CountingTeacher(), "toy", sents)
    assert CountingTeacher.calls == 1 and np.array_equal(a, b) and a.dtype == np.float32
    files = list((tmp_path / "distill").glob("toy_*.npy"))
    assert len(files) == 1 and np.array_equal(np.load(files[0], allow_pickle=False), a)
    teacher_embeddings(CountingTeacher(), "toy", sents[:2])  # another corpus: another key, encoded again
    assert CountingTeacher.calls == 2 and len(list((tmp_path / "distill").glob("toy_*.npy"))) == 2
    with pytest.raises(ValueError, match="teacher name"):
        teacher_embeddings(CountingTeacher(), "a/b", sents)


def test_a_short_run_moves_the_student_to_its_teacher():
    sents = [f"sentence {w} about {v}" for w in ("cats", "dogs", "rain", "code", "music", "tea", "chess", "boats")
             for v in ("mornings", "rivers", "cities", "winter")]
    tok = WordTokenizer.train(sents, vocab_size=60, min_count=1)
    student = SentenceEncoder.create(tok, TransformerConfig(d_model=16, n_heads=2, n_layers=1, max_len=16), seed=0)
    targets = np.random.default_rng(1).normal(size=(len(sents), 16)).astype(np.float32) * 0.5  # (32, 16)
    before = mse_loss(torch.from_numpy(student.encode(sents)), torch.from_numpy(targets)).item()
    history = distill.distill(student, sents, targets, steps=150, batch_size=16, lr=3e-3, progress=False,
                              device="cpu")
    after = mse_loss(torch.from_numpy(student.encode(sents)), torch.from_numpy(targets)).item()
    assert after < 0.6 * before
    assert np.mean(history["loss"][-10:]) < np.mean(history["loss"][:10])
    with pytest.raises(ValueError, match="pca_targets"):
        distill.distill(student, sents, targets[:, :8], steps=1, progress=False)
    with pytest.raises(ValueError, match="targets must be"):
        Distillation(sents, targets[:3])


# ------------------------------------------------------------------ lesson 12: smaller students
def test_teacher_layers_keeps_every_other_one():
    assert distill.teacher_layers(12, 6) == [0, 2, 4, 6, 8, 10]
    assert distill.teacher_layers(2, 1) == [0] and distill.teacher_layers(6, 3) == [0, 2, 4]
    assert distill.teacher_layers(4, 4) == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="between 1 and 2"):
        distill.teacher_layers(2, 3)


def _teacher():
    from conftest import bpe_tokenizer, tiny_encoder

    sents = ["the cat sat on the mat", "a dog barked at the cat", "rain fell on the town", "the river rose"]
    enc = tiny_encoder(bpe_tokenizer(sents, vocab_size=70), seed=2, n_layers=2, pooling="weighted_mean")
    enc.pooling.token_weights.uniform_(0.1, 1.0)
    return enc.eval(), sents


def test_same_width_student_is_the_teacher_without_its_second_layer():
    teacher, sents = _teacher()
    student = distill.smaller_student(teacher, 1).eval()
    assert student.backbone.config.n_layers == 1
    torch.testing.assert_close(student.pooling.token_weights, teacher.pooling.token_weights)
    b = teacher.tokenize(sents)
    t = teacher.backbone
    with torch.no_grad():   # the teacher's own forward pass with block 1 left out
        x, _ = t.blocks[0](t.embed(b.input_ids), b.attention_mask.bool())
        expected = teacher.pooling(t.ln_f(x), b.attention_mask, b.input_ids)
    np.testing.assert_allclose(student.encode(sents), expected.numpy(), rtol=1e-5, atol=1e-6)


def test_narrower_student_starts_from_the_projected_embeddings():
    teacher, sents = _teacher()
    P, _ = np.linalg.qr(np.random.default_rng(0).normal(size=(32, 16)))
    student = distill.smaller_student(teacher, 1, d_model=16, n_heads=2, directions=P)
    expected = teacher.backbone.tok_emb.weight.detach().numpy() @ P
    np.testing.assert_allclose(student.backbone.tok_emb.weight.detach().numpy(), expected, rtol=1e-5, atol=1e-6)
    assert student.encode(sents).shape == (len(sents), 16)
    with pytest.raises(ValueError, match="directions"):
        distill.smaller_student(teacher, 1, d_model=16, n_heads=2)
    with pytest.raises(ValueError, match="not wider"):
        distill.smaller_student(teacher, 1, d_model=64)


def test_cpu_timed_counts_the_sentences_and_forwards_encode():
    class Slow:
        def encode(self, sentences, batch_size=64):
            x = 0.0
            for i in range(200_000):              # some CPU work per call
                x += i
            return np.ones((len(sentences), 2))
    timed = distill.CPUTimed(Slow())
    assert timed.encode(["a", "b", "c"]).shape == (3, 2) and timed.encode(["d"], batch_size=1).shape == (1, 2)
    assert timed.sentences == 4 and timed.cpu_s > 0
    assert timed.speed == pytest.approx(4 / timed.cpu_s)
    assert distill.encode_speed(Slow(), ["x"] * 10) > 0
