"""The one encode() contract (minisent.contract), checked the same way over every registered model.

Each built-in model gets a cheap stand-in of the same class and options: TfidfEncoder fitted on a few
sentences, the averaging baselines' exact AveragingEncoder options on tiny gensim vectors, and an untrained
tiny SentenceEncoder for the Transformer models. A model added to the registry without a stand-in here
fails `test_every_registered_model_has_a_stand_in`.
"""
import inspect

import numpy as np
import pytest
from gensim.models import FastText, Word2Vec

from conftest import bpe_tokenizer, tiny_encoder
from minisent import data
from minisent.contract import DEFAULT_BATCH_SIZE, Encoder
from minisent.models import MODELS
from minisent.wordvec.tfidf import TfidfEncoder
from minisent.wordvec import BASELINES, AveragingEncoder

SENTENCES = [
    "the cat sat on the mat", "a dog barked at the cat all night long", "the market fell sharply today",
    "stocks and bonds rose after the report", "a bird sang in the old garden", "the river flooded the town",
    "the cat chased a bird across the garden", "rain fell on the quiet town for three days",
    "the dog slept", "markets were calm", "a long report on the river and the town and the market",
]


def _vectors(kind: str):
    tokens = [data.tokenize_words(s) for s in SENTENCES] * 5
    cls = FastText if kind == "fasttext" else Word2Vec
    return cls(tokens, vector_size=12, window=3, min_count=1, epochs=5, seed=0, workers=1).wv


def build(name: str):
    """A cheap stand-in for the registered model `name`: same class, same options."""
    if name == "tfidf":
        return TfidfEncoder(reference_sentences=SENTENCES)
    if name in BASELINES:
        preset, options = BASELINES[name]
        return AveragingEncoder(_vectors(preset), reference_sentences=SENTENCES, **options)
    if MODELS[name].module in ("training.mlm", "training.simcse", "training.distill", "training.domain"):
        return tiny_encoder(bpe_tokenizer(SENTENCES, vocab_size=90), d_model=16, n_layers=2, seed=1)
    if MODELS[name].module == "training.clm":                 # the causal Transformer, last-token pooling
        return tiny_encoder(bpe_tokenizer(SENTENCES, vocab_size=90), d_model=16, n_layers=2, seed=1, causal=True,
                            pooling="last_token")
    if MODELS[name].module == "training.dan":
        from minisent.training.dan import DANConfig, DANEncoder
        return DANEncoder(bpe_tokenizer(SENTENCES, vocab_size=90), DANConfig(d_model=16, d_out=16, bigram_buckets=50))
    if MODELS[name].module == "pretrained.minilm":   # the same class as load_minilm returns, on a tiny backbone
        from minisent.pretrained.minilm import PretrainedEncoder
        enc = tiny_encoder(bpe_tokenizer(SENTENCES, vocab_size=90), d_model=16, n_layers=2, seed=1)
        return PretrainedEncoder(enc.tokenizer, enc.backbone, "mean")
    if MODELS[name].module == "training.static":   # a static student of the tiny Transformer stand-in
        from minisent.training.static import StaticEncoder
        return StaticEncoder.from_teacher(tiny_encoder(bpe_tokenizer(SENTENCES, vocab_size=90), d_model=16, seed=1))
    raise KeyError(name)


@pytest.fixture(scope="module", params=list(MODELS))
def model(request):
    return build(request.param)


def test_every_registered_model_has_a_stand_in():
    for name in MODELS:
        assert isinstance(build(name), Encoder), name


def test_signature(model):
    params = inspect.signature(model.encode).parameters
    assert params["batch_size"].default == DEFAULT_BATCH_SIZE
    assert params["normalize"].default is False and params["show_progress"].default is None
    assert not any(p.kind is p.VAR_KEYWORD for p in params.values())      # nothing swallowed silently


def test_shape_dtype_and_empty_input(model):
    emb = model.encode(SENTENCES)
    assert emb.shape == (len(SENTENCES), model.dim) and emb.dtype == np.float32
    assert np.isfinite(emb).all() and np.abs(emb).sum(1).min() > 0      # every sentence got a vector
    empty = model.encode([])
    assert empty.shape == (0, model.dim) and empty.dtype == np.float32


def test_one_sentence_equals_its_row_in_a_batch(model):
    emb = model.encode(SENTENCES)
    for i in (0, 8):
        np.testing.assert_allclose(model.encode([SENTENCES[i]])[0], emb[i], rtol=1e-5, atol=1e-6)


def test_order_is_preserved(model):
    emb = model.encode(SENTENCES)
    perm = np.random.default_rng(0).permutation(len(SENTENCES))
    np.testing.assert_allclose(model.encode([SENTENCES[i] for i in perm]), emb[perm], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("batch_size", [1, 3, 1000])
def test_batch_size_does_not_change_results(model, batch_size):
    np.testing.assert_allclose(model.encode(SENTENCES, batch_size=batch_size), model.encode(SENTENCES),
                               rtol=1e-5, atol=1e-6)


def test_normalize(model):
    raw = model.encode(SENTENCES)
    unit = model.encode(SENTENCES, normalize=True)
    assert unit.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(unit, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(unit, raw / np.linalg.norm(raw, axis=1, keepdims=True), rtol=1e-5, atol=1e-6)


def test_progress_bar_changes_nothing(model, capsys):
    np.testing.assert_array_equal(model.encode(SENTENCES, batch_size=4, show_progress=True),
                                  model.encode(SENTENCES, batch_size=4, show_progress=False))
    assert "encoding" in capsys.readouterr().err


def test_bad_input(model):
    with pytest.raises(TypeError, match="not a single str"):
        model.encode("one sentence")
    with pytest.raises(TypeError, match="sentence 1"):
        model.encode(["fine", 3])
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="batch_size must be an int >= 1"):
            model.encode(SENTENCES, batch_size=bad)


def test_models_command_lists_every_registered_model_once(capsys):
    from minisent.__main__ import main

    assert main(["models"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == list(MODELS)
    for line, (name, model) in zip(lines, MODELS.items()):
        assert line.split(None, 1)[1] == model.description and "\n" not in model.description
