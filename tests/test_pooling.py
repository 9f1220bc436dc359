"""Poolings: numpy references, and padding never changes a pooled vector."""
import numpy as np
import pytest
import torch

from minisent.nn.pooling import (POOLINGS, AttentionPooling, Pooling, attention_pool, pool, sif_token_weights,
                                 weighted_mean_pool)


def lengths_mask(lengths, T):
    return torch.arange(T)[None, :] < torch.tensor(lengths)[:, None]


@pytest.mark.parametrize("name", POOLINGS)
def test_appending_padding_changes_nothing(device, name):
    torch.manual_seed(0)
    B, T, d = 4, 6, 5
    hidden = torch.randn(B, T, d, device=device)
    mask = lengths_mask([6, 3, 1, 4], T).to(device)
    pooler = Pooling(name, d, vocab_size=10).to(device)
    ids = torch.randint(0, 10, (B, T + 3), device=device)
    if name == "attention":
        with torch.no_grad():
            pooler.attention.query.normal_()  # a non-trivial query
    if name == "weighted_mean":
        with torch.no_grad():
            pooler.token_weights.uniform_(0.1, 1.0)  # non-trivial weights
    before = pooler(hidden, mask, ids[:, :T])
    # append 3 padding positions holding huge garbage, and scribble over the existing padding too
    garbage = 1e3 * torch.randn(B, T + 3, d, device=device)
    mask2 = torch.cat([mask, torch.zeros(B, 3, dtype=torch.bool, device=device)], 1)
    hidden2 = torch.where(mask2[..., None], torch.cat([hidden, hidden[:, :3]], 1), garbage)
    after = pooler(hidden2, mask2, ids)
    assert after.shape == (B, d)
    torch.testing.assert_close(after, before, atol=1e-5, rtol=1e-5)


def test_mean_and_max_equal_numpy():
    rng = np.random.default_rng(0)
    hidden = rng.normal(size=(3, 5, 4)).astype(np.float32)
    lengths = [5, 2, 3]
    mask = lengths_mask(lengths, 5)
    mean = pool("mean", torch.from_numpy(hidden), mask).numpy()
    mx = pool("max", torch.from_numpy(hidden), mask).numpy()
    for b, n in enumerate(lengths):
        np.testing.assert_allclose(mean[b], hidden[b, :n].mean(0), rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(mx[b], hidden[b, :n].max(0), rtol=1e-6, atol=1e-6)


def test_cls_and_last_token():
    hidden = torch.arange(2 * 4 * 3, dtype=torch.float32).view(2, 4, 3)
    mask = lengths_mask([4, 2], 4)
    torch.testing.assert_close(pool("cls", hidden, mask), hidden[:, 0])
    torch.testing.assert_close(pool("last_token", hidden, mask), torch.stack([hidden[0, 3], hidden[1, 1]]))
    left = torch.tensor([[False, False, True, True], [True, True, True, True]])  # left padding works too
    torch.testing.assert_close(pool("last_token", hidden, left), hidden[:, 3])
    torch.testing.assert_close(pool("mean", hidden, None), hidden.mean(1))  # no mask: every token is real


def test_attention_pooling_starts_as_mean_and_learns():
    torch.manual_seed(0)
    hidden = torch.randn(2, 5, 8)
    mask = lengths_mask([5, 3], 5)
    ap = AttentionPooling(8)
    torch.testing.assert_close(ap(hidden, mask), pool("mean", hidden, mask))  # zero query = uniform weights
    out, w = ap(hidden, mask, return_weights=True)
    torch.testing.assert_close(w.sum(1), torch.ones(2))
    assert (w[1, 3:] == 0).all()
    # a query pointing at one token's vector moves the weight there
    q = 50 * hidden[0, 2]
    _, w = attention_pool(hidden[:1], mask[:1], q, return_weights=True)
    assert w[0].argmax().item() == 2 and w[0, 2] > 0.9
    # the query receives a gradient
    ap(hidden, mask).pow(2).sum().backward()
    assert ap.query.grad is not None and ap.query.grad.abs().sum() > 0


def test_clear_errors():
    h = torch.randn(2, 3, 4)
    with pytest.raises(ValueError, match="unknown pooling"):
        pool("median", h)
    with pytest.raises(ValueError, match="query"):
        pool("attention", h)
    with pytest.raises(ValueError, match="mask"):
        pool("mean", h, torch.ones(2, 4, dtype=torch.bool))
    with pytest.raises(ValueError, match="d_model"):
        Pooling("attention")
    with pytest.raises(ValueError, match="weight per token"):
        pool("weighted_mean", h)
    with pytest.raises(ValueError, match="vocab_size"):
        Pooling("weighted_mean", 4)
    with pytest.raises(ValueError, match="token ids"):
        Pooling("weighted_mean", 4, vocab_size=5)(h)
    assert set(POOLINGS) == {"cls", "mean", "max", "last_token", "position_weighted_mean", "attention", "weighted_mean"}


def test_weighted_mean_equals_numpy_and_all_ones_is_mean():
    rng = np.random.default_rng(0)
    hidden = rng.normal(size=(3, 5, 4)).astype(np.float32)
    w = rng.uniform(0.1, 2.0, size=(3, 5)).astype(np.float32)
    lengths = [5, 2, 3]
    mask = lengths_mask(lengths, 5)
    got = weighted_mean_pool(torch.from_numpy(hidden), mask, torch.from_numpy(w)).numpy()
    for b, n in enumerate(lengths):
        np.testing.assert_allclose(got[b], np.average(hidden[b, :n], axis=0, weights=w[b, :n]), rtol=1e-5, atol=1e-6)
    ones = weighted_mean_pool(torch.from_numpy(hidden), mask, torch.ones(3, 5))
    torch.testing.assert_close(ones, pool("mean", torch.from_numpy(hidden), mask))


def test_sif_token_weights_by_hand():
    from minisent.text.tokenize import CLS_ID, PAD_ID, SEP_ID, WordTokenizer

    tok = WordTokenizer.train(["the cat sat", "the dog sat", "the end"], min_count=1)
    w = sif_token_weights(tok, ["the cat sat", "the dog sat", "the end"], a=0.1)  # 8 words: the 3/8, sat 2/8
    the, sat, cat = (tok.token_to_id[t] for t in ("the", "sat", "cat"))
    assert w[the].item() == pytest.approx(0.1 / (0.1 + 3 / 8))
    assert w[sat].item() == pytest.approx(0.1 / (0.1 + 2 / 8))
    assert w[cat].item() == pytest.approx(0.1 / (0.1 + 1 / 8))
    assert w[PAD_ID] == w[CLS_ID] == w[SEP_ID] == 0.0
    with pytest.raises(ValueError, match="no tokens"):
        sif_token_weights(tok, [""])


def test_weighted_mean_encoder_saves_its_weights(tmp_path):
    from minisent.nn.encoder import SentenceEncoder, load
    from minisent.text.tokenize import WordTokenizer
    from minisent.nn.transformer import TransformerConfig

    texts = ["the cat sat on the mat", "a dog ran", "the the the cat"]
    tok = WordTokenizer.train(texts, min_count=1)
    enc = SentenceEncoder.create(tok, TransformerConfig(d_model=8, n_heads=2, n_layers=1), "weighted_mean", seed=0).eval()
    enc.pooling.token_weights.copy_(sif_token_weights(tok, texts))
    hidden, mask = enc.token_embeddings(texts)
    ids = tok(texts).input_ids
    expected = weighted_mean_pool(hidden, mask, enc.pooling.token_weights[ids]).detach().numpy()
    np.testing.assert_allclose(enc.encode(texts), expected, rtol=1e-5, atol=1e-6)
    again = load(enc.save(tmp_path / "enc"))
    torch.testing.assert_close(again.pooling.token_weights, enc.pooling.token_weights)
    np.testing.assert_allclose(again.encode(texts), enc.encode(texts), rtol=1e-6, atol=1e-6)
    same = enc.with_pooling("weighted_mean")  # keeps the weights
    np.testing.assert_allclose(same.encode(texts), enc.encode(texts), rtol=1e-6, atol=1e-6)
