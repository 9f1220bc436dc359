"""GPT-style embeddings (minisent.training.clm): the causal mask against torch's, next-token loss by hand, SGPT pooling."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from conftest import bpe_tokenizer, tiny_encoder
from minisent.training.clm import PROMPT_EOL, NextTokenPrediction, Prompted, next_token_loss
from minisent.nn.pooling import Pooling, pool, position_weighted_mean_pool
from minisent.training.simcse import SentenceBatches
from minisent.training.loop import fit

SENTENCES = ["the cat sat on the mat", "a dog barked at the cat all night", "the river flooded the town",
             "stocks rose", "a bird sang in the old garden today", "the dog slept", "rain fell on the quiet town",
             "the market was calm"]
TOK = bpe_tokenizer(SENTENCES, vocab_size=90)


def causal(seed=0, **kw):
    return tiny_encoder(TOK, seed=seed, causal=True, n_layers=2, pooling="last_token", **kw).eval()


def test_causal_encoder_with_padding_equals_sdpa_is_causal():
    """The hand attention with key padding + causal mask, on a right-padded batch, gives at every real token
    what torch's fused kernel with is_causal=True (no mask at all) gives for the sentence alone."""
    enc = causal()
    batch = TOK(SENTENCES)                                          # (B, T), right padding
    hidden = enc.backbone(batch.input_ids, batch.attention_mask)   # hand-written attention
    fast = causal()
    fast.backbone.set_fast_attention(True)
    for i, s in enumerate(SENTENCES):
        ids = torch.tensor([TOK.encode(s)])                         # (1, n) alone, no padding
        alone = fast.backbone(ids, None)                            # -> F.scaled_dot_product_attention(is_causal=True)
        n = ids.shape[1]
        torch.testing.assert_close(hidden[i, :n], alone[0], rtol=1e-4, atol=1e-5)


def test_multi_head_causal_equals_sdpa():
    enc = causal()
    attn = enc.backbone.blocks[0].attn
    x = torch.randn(3, 7, 32)
    y, _ = attn(x, None, causal=True)                               # hand path
    q, k, v = attn.qkv(x).split(32, dim=2)
    q, k, v = (t.view(3, 7, 2, 16).transpose(1, 2) for t in (q, k, v))
    ref = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(3, 7, 32)
    torch.testing.assert_close(y, attn.proj(ref), rtol=1e-4, atol=1e-5)


def test_position_weighted_mean_by_hand():
    hidden = torch.arange(2 * 4 * 3, dtype=torch.float32).view(2, 4, 3)
    mask = torch.tensor([[True, True, True, False], [True, True, False, False]])
    expected = torch.stack([(1 * hidden[0, 0] + 2 * hidden[0, 1] + 3 * hidden[0, 2]) / 6,
                            (1 * hidden[1, 0] + 2 * hidden[1, 1]) / 3])
    torch.testing.assert_close(position_weighted_mean_pool(hidden, mask), expected)
    torch.testing.assert_close(pool("position_weighted_mean", hidden, mask), expected)
    torch.testing.assert_close(Pooling("position_weighted_mean")(hidden, mask), expected)
    left = torch.tensor([[False, True, True, True]])               # left padding: weights 1, 2, 3 on positions 1..3
    torch.testing.assert_close(position_weighted_mean_pool(hidden[:1], left),
                               ((hidden[0, 1] + 2 * hidden[0, 2] + 3 * hidden[0, 3]) / 6)[None])


def test_next_token_loss_by_hand():
    enc = causal()
    objective = NextTokenPrediction()
    loss, metrics = objective(enc, SENTENCES)
    E = enc.backbone.tok_emb.weight
    logps, hits = [], []
    for s in SENTENCES:                                             # one sentence at a time, no padding
        ids = torch.tensor([TOK.encode(s)])
        h = enc.backbone(ids)[0]                                    # (n, d)
        logits = h[:-1] @ E.T                                       # position t predicts token t + 1
        logps.append(F.cross_entropy(logits, ids[0, 1:], reduction="none"))
        hits.append(logits.argmax(-1) == ids[0, 1:])
    torch.testing.assert_close(loss, torch.cat(logps).mean(), rtol=1e-4, atol=1e-5)
    assert metrics["acc"] == pytest.approx(torch.cat(hits).float().mean().item())
    assert next_token_loss(enc, SENTENCES, batch_size=3)[0] == pytest.approx(loss.item(), rel=1e-4)


def test_next_token_needs_a_causal_model():
    with pytest.raises(ValueError, match="causal"):
        NextTokenPrediction()(tiny_encoder(TOK), SENTENCES)


def test_pretraining_lowers_the_loss():
    enc = causal()
    before = next_token_loss(enc, SENTENCES)[0]
    fit(enc, NextTokenPrediction(), SentenceBatches(SENTENCES, 4, seed=0), 40, lr=3e-3, progress=False)
    assert next_token_loss(enc, SENTENCES)[0] < before - 1.0


def test_only_the_last_token_sees_the_whole_sentence():
    enc = causal()
    a = torch.tensor([TOK.encode("the cat sat on the mat")])     # [CLS] ... [SEP]
    b = a.clone()
    b[0, -2] = TOK.encode("dog", add_special_tokens=False)[0]      # change the last word only
    ha, hb = enc.backbone(a), enc.backbone(b)                       # (1, n, d) each
    differs = [(ha[0, t] - hb[0, t]).abs().max().item() > 1e-6 for t in range(a.shape[1])]
    assert differs == [False] * (a.shape[1] - 2) + [True, True]     # the past never sees the future
    assert not torch.allclose(enc((a, torch.ones_like(a, dtype=torch.bool))),
                              enc((b, torch.ones_like(b, dtype=torch.bool))))   # last-token pooling does


def test_prompted_encoder():
    enc = causal(max_len=128)                                       # room for the prompt's many small BPE pieces
    wrapped = Prompted(enc)
    assert wrapped.dim == enc.dim
    short = ["stocks rose", "the dog slept"]
    np.testing.assert_array_equal(wrapped.encode(short), enc.encode([PROMPT_EOL.format(s) for s in short]))
    with pytest.raises(ValueError, match="exactly one"):
        Prompted(enc, "no slot")
