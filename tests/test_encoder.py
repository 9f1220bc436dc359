"""SentenceEncoder: encode contract, batching invariance, save -> load identity, truncation, devices."""
import json
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch

from conftest import tiny_encoder
from minisent.nn import encoder as encoder_mod
from minisent.nn.encoder import SentenceEncoder
from minisent.text.tokenize import BPETokenizer

SENTENCES = [
    "The river bank was flooded after the storm.",
    "She opened an account at the bank on Monday.",
    "The bank raised its interest rates again.",
    "We walked along the bank of the river at dawn.",
    "Low interest rates help people who borrow money.",
    "A heron stood still on the muddy bank.",
] * 2


@pytest.fixture(scope="module")
def tok():
    return BPETokenizer.train(SENTENCES, vocab_size=120)


def make(tok, pooling="mean", max_len=32, projection_dim=None):
    return tiny_encoder(tok, pooling=pooling, projection_dim=projection_dim, max_len=max_len, d_model=16, n_layers=2,
                        dropout=0.1)


def test_encode_contract(tok):
    enc = make(tok)
    emb = enc.encode(SENTENCES[:4])
    assert emb.shape == (4, 16) and emb.dtype == np.float32
    assert enc.encode([]).shape == (0, 16)
    with pytest.raises(TypeError, match="sentence 2"):
        enc.encode(["ok", "fine", None])
    with pytest.raises(TypeError, match="list"):
        enc.encode("one string")
    unit = enc.encode(SENTENCES[:4], normalize=True)
    np.testing.assert_allclose(np.linalg.norm(unit, axis=1), 1.0, rtol=1e-5)


@pytest.mark.parametrize("pooling", ["cls", "mean", "max", "last_token", "attention"])
def test_batch_size_and_order_do_not_matter(tok, pooling):
    enc = make(tok, pooling)
    one_by_one = enc.encode(SENTENCES[:6], batch_size=1)
    together = enc.encode(SENTENCES[:6], batch_size=6)
    np.testing.assert_allclose(together, one_by_one, atol=1e-5)
    reversed_ = enc.encode(SENTENCES[:6][::-1], batch_size=4)[::-1]
    np.testing.assert_allclose(reversed_, one_by_one, atol=1e-5)


def test_forward_is_differentiable_and_matches_encode(tok):
    enc = make(tok, projection_dim=8)
    enc.eval()
    z = enc(SENTENCES[:3])
    assert z.shape == (3, 16) and z.requires_grad
    np.testing.assert_allclose(z.detach().numpy(), enc.encode(SENTENCES[:3]), atol=1e-6)
    assert enc(SENTENCES[:3], project=True).shape == (3, 8)
    z.sum().backward()
    assert enc.backbone.tok_emb.weight.grad is not None
    with pytest.raises(ValueError, match="projection"):
        make(tok)(SENTENCES[:2], project=True)
    enc.train()
    enc.encode(SENTENCES[:2])
    assert enc.training  # encode restores the mode it found


def test_save_load_identity(tok, tmp_path):
    enc = make(tok, "attention", projection_dim=8)
    with torch.no_grad():
        enc.pooling.attention.query.normal_()
    enc.save(tmp_path / "enc")
    files = {p.name for p in (tmp_path / "enc").iterdir()}
    assert files == {"config.json", "tokenizer.json", "weights.pt"}
    cfg = json.loads((tmp_path / "enc" / "config.json").read_text())
    assert cfg["pooling"] == "attention" and cfg["backbone"]["d_model"] == 16
    # weights.pt holds tensors only: the safe loader reads it
    state = torch.load(tmp_path / "enc" / "weights.pt", weights_only=True)
    assert all(isinstance(v, torch.Tensor) for v in state.values())
    again = encoder_mod.load(tmp_path / "enc", device="cpu")
    np.testing.assert_array_equal(again.encode(SENTENCES), enc.encode(SENTENCES))
    with pytest.raises(FileNotFoundError):
        encoder_mod.load(tmp_path / "nothing here")


def test_long_input_is_truncated_with_one_warning(tok):
    enc = make(tok, max_len=12)
    long = " ".join(SENTENCES)  # far more than 12 tokens
    with pytest.warns(UserWarning, match="truncated"):
        first = enc.encode([long, "the bank"])
    assert first.shape == (2, 16) and np.isfinite(first).all()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a second time stays quiet
        enc.encode([long])


def test_same_embeddings_on_every_device(tok, device):
    enc = make(tok)
    cpu = enc.encode(SENTENCES, device="cpu")
    there = enc.encode(SENTENCES, device=device)
    assert enc.device.type == torch.device(device).type
    np.testing.assert_allclose(there, cpu, atol=1e-4)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU")
def test_cuda_matches_cpu(tok):
    enc = make(tok, "max")
    cpu = enc.encode(SENTENCES, device="cpu")
    np.testing.assert_allclose(enc.encode(SENTENCES, device="cuda"), cpu, atol=1e-4)
    enc.backbone.set_fast_attention(True)  # the fused kernel on the GPU agrees too
    np.testing.assert_allclose(enc.encode(SENTENCES, device="cuda"), cpu, atol=1e-4)


def test_with_pooling_shares_the_backbone(tok):
    enc = make(tok)
    other = enc.with_pooling("max")
    assert other.backbone is enc.backbone and other.pooling.name == "max"
    assert not np.allclose(other.encode(SENTENCES[:2]), enc.encode(SENTENCES[:2]))


def test_encode_runs_on_encode_threads_and_gives_the_same_vectors_on_one(tok):
    from minisent import threads
    from minisent.training.distill import CPUTimed

    enc = make(tok, max_len=32)
    seen = []
    enc.register_forward_hook(lambda module, args, out: seen.append(torch.get_num_threads()))
    before = torch.get_num_threads()
    many = enc.encode(SENTENCES)
    assert set(seen) == {threads.ENCODE_THREADS} and torch.get_num_threads() == before   # restored afterwards
    seen.clear()
    with threads.encoding_threads(1):
        one = enc.encode(SENTENCES)
    assert set(seen) == {1}
    np.testing.assert_allclose(many, one, atol=1e-6)
    seen.clear()
    CPUTimed(enc).encode(SENTENCES)                    # timed encoding: one thread, so a CPU-second is one core's
    assert set(seen) == {1}


def test_encode_threads_follow_the_environment():
    code = "from minisent import threads; print(threads.ENCODE_THREADS)"
    for env, expected in (({"MINISENT_ENCODE_THREADS": "1"}, "1"), ({}, str(min(2, os.cpu_count() or 1)))):
        run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                             env={**{k: v for k, v in os.environ.items() if k != "MINISENT_ENCODE_THREADS"}, **env})
        assert run.stdout.strip() == expected
