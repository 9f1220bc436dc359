"""The static student (Model2Vec idea): its table against the teacher, its fast encode against the readable one
and a hand computation, safe save / load."""
import numpy as np
import pytest
import torch

from conftest import bpe_tokenizer, tiny_encoder
from minisent.nn.encoder import ModelFileError
from minisent.models import load_model
from minisent.training.static import StaticEncoder, is_static
from minisent.text.tokenize import CLS_ID, SEP_ID

SENTS = ["the cat sat on the mat", "a dog barked at the cat", "rain fell on the town", "the market rose today",
         "a bird sang in the garden", "the river flooded the old town"]


@pytest.fixture(scope="module")
def teacher():
    tok = bpe_tokenizer(SENTS, vocab_size=80)
    enc = tiny_encoder(tok, seed=3, pooling="weighted_mean", n_layers=2)
    enc.pooling.token_weights.copy_(torch.linspace(0.2, 1.0, tok.vocab_size))
    enc.pooling.token_weights[[0, CLS_ID, SEP_ID]] = 0.0
    return enc.eval()


def test_each_row_is_the_teachers_vector_of_that_token_alone(teacher):
    static = StaticEncoder.from_teacher(teacher, batch_size=7)
    assert static.table.shape == (teacher.tokenizer.vocab_size, teacher.dim)
    for t in (5, 17, teacher.tokenizer.vocab_size - 1):
        ids = torch.tensor([[CLS_ID, t, SEP_ID]])
        hidden = teacher.backbone(ids, torch.ones_like(ids, dtype=torch.bool))  # (1, 3, d)
        # [CLS] and [SEP] weigh 0 in the teacher's pooling: its vector is the token's own output
        np.testing.assert_allclose(static.table[t], hidden[0, 1].detach().numpy(), atol=1e-5)
    np.testing.assert_array_equal(static.token_weights, teacher.pooling.token_weights.numpy())


def test_encode_is_the_weighted_mean_by_hand(teacher):
    static = StaticEncoder.from_teacher(teacher)
    fast = static.encode(SENTS, batch_size=4)
    for i, s in enumerate(SENTS):
        ids = teacher.tokenizer.encode(s, add_special_tokens=False)
        w = static.token_weights[ids]
        by_hand = sum(w_k * static.table[t] for w_k, t in zip(w, ids)) / w.sum()
        np.testing.assert_allclose(fast[i], by_hand, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(static.embed_one(s), by_hand, rtol=1e-5, atol=1e-6)


def test_a_tiny_table_by_hand():
    tok = bpe_tokenizer(SENTS, vocab_size=80)
    table = np.zeros((tok.vocab_size, 2), dtype=np.float32)
    a, b = tok.encode("cat", add_special_tokens=False)[0], tok.encode("dog", add_special_tokens=False)[0]
    table[a], table[b] = [1, 0], [0, 3]
    weights = np.zeros(tok.vocab_size, dtype=np.float32)
    weights[a], weights[b] = 1.0, 3.0
    static = StaticEncoder(tok, table, weights)
    np.testing.assert_allclose(static.encode(["cat dog cat"])[0], [(1 + 1) / 5, 9 / 5], rtol=1e-6)   # (2 + 0, 0 + 9) / 5
    np.testing.assert_array_equal(static.encode(["the the"]), np.zeros((1, 2)))   # nothing weighed: zero vector
    np.testing.assert_array_equal(static.encode(["cat dog"]), static.encode(["dog cat"]))   # blind to word order
    with pytest.raises(ValueError, match="table must be"):
        StaticEncoder(tok, table[:5])
    with pytest.raises(ValueError, match="token_weights"):
        StaticEncoder(tok, table, weights[:5])


def test_save_load_roundtrip_and_damage(teacher, tmp_path):
    static = StaticEncoder.from_teacher(teacher)
    static.save(tmp_path / "s")
    assert is_static(tmp_path / "s") and not is_static(tmp_path)
    again = load_model(str(tmp_path / "s"))
    assert isinstance(again, StaticEncoder)
    np.testing.assert_array_equal(again.encode(SENTS), static.encode(SENTS))
    torch.save({"table": torch.zeros(3, 2)}, tmp_path / "s" / "weights.pt")
    with pytest.raises(ModelFileError, match="exactly"):
        StaticEncoder.load(tmp_path / "s")
    (tmp_path / "s" / "weights.pt").write_bytes(b"")
    with pytest.raises(ModelFileError, match="empty"):
        StaticEncoder.load(tmp_path / "s")
    (tmp_path / "s" / "config.json").write_text("{not json")
    with pytest.raises(ModelFileError, match="JSON"):
        StaticEncoder.load(tmp_path / "s")
