"""The Deep Averaging Network (minisent.training.dan): its average by hand, save/load, training through fit."""
import json

import numpy as np
import pytest
import torch

from conftest import bpe_tokenizer
from minisent.training.dan import _PRIME, DANConfig, DANEncoder, is_dan_folder, load, train_dan
from minisent.nn.encoder import ModelFileError
from minisent.models import load_model
from minisent.text.tokenize import SPECIAL_TOKENS

SENTENCES = ["the cat sat on the mat", "a dog barked at the cat", "the river flooded the old town",
             "stocks rose after the report", "a bird sang in the garden", "the dog slept all day long",
             "rain fell on the quiet town", "the market was calm today"]
TOK = bpe_tokenizer(SENTENCES, vocab_size=80)


def small(**kw) -> DANEncoder:
    torch.manual_seed(0)
    return DANEncoder(TOK, DANConfig(**{"d_model": 12, "d_out": 10, "bigram_buckets": 37, "bigram_std": 1.0, "dropout": 0.0, **kw}))


def test_average_by_hand():
    dan = small()
    dan.token_weights.uniform_(0.2, 1.0)                               # any weights
    dan.token_weights[: len(SPECIAL_TOKENS)] = 0.0
    batch = TOK(SENTENCES[:3])
    got = dan.average(batch.input_ids, batch.attention_mask)           # (3, 12)
    E, Eb, w = dan.embedding.weight.detach(), dan.bigrams.weight.detach(), dan.token_weights
    for row, s in enumerate(SENTENCES[:3]):
        ids = TOK.encode(s)                                            # [CLS] ... [SEP], no padding
        uni = sum(w[i] * E[i] for i in ids) / sum(w[i] for i in ids)
        words = [i for i in ids if i >= len(SPECIAL_TOKENS)]
        pairs = [(a * _PRIME + b) % 37 for a, b in zip(words, words[1:])]
        big = sum(Eb[p] for p in pairs) / len(pairs)
        torch.testing.assert_close(got[row], uni + big)


def test_without_layers_and_bigrams_it_is_the_plain_mean():
    dan = small(n_layers=0, bigram_buckets=0)
    assert dan.dim == 12
    ids = TOK.encode(SENTENCES[0], add_special_tokens=False)
    expected = dan.embedding.weight[ids].mean(0).detach().numpy()
    np.testing.assert_allclose(dan.encode([SENTENCES[0]])[0], expected, rtol=1e-5, atol=1e-6)


def test_layers_are_tanh_of_linear():
    dan = small(n_layers=2).eval()
    batch = TOK(SENTENCES[:2])
    x = dan.average(batch.input_ids, batch.attention_mask)
    l1, l2 = dan.layers[1], dan.layers[4]
    expected = torch.tanh(l2(torch.tanh(l1(x))))
    torch.testing.assert_close(dan((batch.input_ids, batch.attention_mask)), expected)


def test_word_order_only_through_bigrams():
    a, b = "the cat sat on the mat", "the mat sat on the cat"
    no_bigrams = small(bigram_buckets=0)
    np.testing.assert_allclose(*no_bigrams.encode([a, b]), rtol=1e-5, atol=1e-6)   # a bag: order is invisible
    with_bigrams = small()
    assert not np.allclose(*with_bigrams.encode([a, b]), atol=1e-4)


def test_save_load_identical(tmp_path):
    dan = small()
    dan.token_weights.uniform_(0.5, 1.0)
    dan.save(tmp_path / "dan")
    assert is_dan_folder(tmp_path / "dan") and not is_dan_folder(tmp_path)
    again = load(tmp_path / "dan")
    np.testing.assert_array_equal(again.encode(SENTENCES), dan.encode(SENTENCES))
    via_registry = load_model(str(tmp_path / "dan"))               # the command line's path to a saved model
    assert isinstance(via_registry, DANEncoder)
    np.testing.assert_array_equal(via_registry.encode(SENTENCES), dan.encode(SENTENCES))


def test_damaged_folder_is_a_clear_error(tmp_path):
    small().save(tmp_path / "dan")
    (tmp_path / "dan" / "weights.pt").write_bytes(b"")
    with pytest.raises(ModelFileError, match="empty"):
        load(tmp_path / "dan")
    small().save(tmp_path / "dan")
    cfg = json.loads((tmp_path / "dan" / "config.json").read_text())
    cfg["model"]["evil"] = 1
    (tmp_path / "dan" / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(ModelFileError, match="unknown model setting"):
        load(tmp_path / "dan")
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "nothing")


def test_project_is_refused():
    with pytest.raises(ValueError, match="no projection head"):
        small()(SENTENCES[:2], project=True)


def test_simcse_training_lowers_the_loss():
    dan = small(dropout=0.1)
    sentences = SENTENCES * 4
    _, history = train_dan(DANConfig(steps=30, batch_size=8, lr=3e-3, min_keep=None, p_delete=0.0), dan=dan,
                           sentences=sentences, progress=False)
    assert np.mean(history["loss"][-5:]) < np.mean(history["loss"][:5]) - 0.2
    assert history["config"]["steps"] == 30
    with pytest.raises(TypeError, match="unknown DANConfig"):
        train_dan(dan=dan, sentences=sentences, steps=1, bogus=1)
