"""The hand-written Transformer against torch's references, gradients, masks and positions."""
import math

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from minisent.nn.transformer import (Block, MultiHeadAttention, TransformerConfig, TransformerEncoder, attention,
                                     causal_mask, sinusoidal_positions)

B, T, D, H = 3, 7, 16, 4


def padding_mask(lengths, T=T, device="cpu"):
    return torch.arange(T, device=device)[None, :] < torch.tensor(lengths, device=device)[:, None]  # (B, T)


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("padded", [False, True])
def test_attention_equals_sdpa(device, causal, padded):
    q, k, v = (torch.randn(B, H, T, D // H, device=device) for _ in range(3))
    mask = padding_mask([7, 4, 1], device=device) if padded else None
    out, weights = attention(q, k, v, mask, causal)
    allowed = None
    if mask is not None:
        allowed = mask[:, None, None, :]
        if causal:
            allowed = allowed & causal_mask(T, device)
    ref = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed, is_causal=causal and allowed is None)
    torch.testing.assert_close(out, ref, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(weights.sum(-1), torch.ones(B, H, T, device=device))
    if padded:  # padding keys get exactly zero weight
        assert (weights[1, :, :, 4:] == 0).all() and (weights[2, :, :, 1:] == 0).all()
    if causal:  # nobody looks into the future
        assert (weights.triu(diagonal=1) == 0).all()


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("padded", [False, True])
def test_multi_head_equals_nn_multihead_attention(device, causal, padded):
    ours = MultiHeadAttention(D, H).to(device).eval()
    ref = nn.MultiheadAttention(D, H, batch_first=True).to(device).eval()
    with torch.no_grad():  # same layout: in_proj = [W_q; W_k; W_v]
        ref.in_proj_weight.copy_(ours.qkv.weight)
        ref.in_proj_bias.copy_(ours.qkv.bias)
        ref.out_proj.weight.copy_(ours.proj.weight)
        ref.out_proj.bias.copy_(ours.proj.bias)
    x = torch.randn(B, T, D, device=device)
    mask = padding_mask([7, 5, 2], device=device) if padded else None
    y, w = ours(x, mask, causal=causal, need_weights=True)
    y_ref, w_ref = ref(x, x, x, key_padding_mask=None if mask is None else ~mask,
                       attn_mask=~causal_mask(T, device) if causal else None,
                       need_weights=True, average_attn_weights=False)
    torch.testing.assert_close(y, y_ref, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(w, w_ref, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("causal", [False, True])
def test_fast_path_equals_hand_path(device, causal):
    torch.manual_seed(0)
    cfg = TransformerConfig(vocab_size=50, max_len=16, d_model=D, n_heads=H, n_layers=2, dropout=0.1, causal=causal)
    model = TransformerEncoder(cfg).to(device).eval()
    ids = torch.randint(5, 50, (B, T), device=device)
    mask = padding_mask([7, 3, 5], device=device)
    ids[~mask] = 0
    hand = model(ids, mask)
    fast = model.set_fast_attention(True)(ids, mask)
    torch.testing.assert_close(fast, hand, atol=1e-5, rtol=1e-5)
    # gradients agree too
    model.set_fast_attention(False)
    g_hand = torch.autograd.grad(model(ids, mask)[mask].sum(), model.blocks[0].attn.qkv.weight)[0]
    model.set_fast_attention(True)
    g_fast = torch.autograd.grad(model(ids, mask)[mask].sum(), model.blocks[0].attn.qkv.weight)[0]
    torch.testing.assert_close(g_fast, g_hand, atol=1e-5, rtol=1e-4)


def test_block_gradcheck_float64():
    torch.manual_seed(0)
    block = Block(d_model=8, n_heads=2, d_ff=16, dropout=0.0).double()
    x = torch.randn(2, 4, 8, dtype=torch.float64, requires_grad=True)
    mask = padding_mask([4, 2], T=4)
    assert torch.autograd.gradcheck(lambda x: block(x, mask)[0], (x,), eps=1e-6, atol=1e-5)
    assert torch.autograd.gradcheck(lambda x: block(x, mask, causal=True)[0], (x,), eps=1e-6, atol=1e-5)


def test_padding_does_not_change_real_tokens(device):
    cfg = TransformerConfig(vocab_size=50, max_len=16, d_model=D, n_heads=H, n_layers=2, dropout=0.0)
    model = TransformerEncoder(cfg).to(device).eval()
    ids = torch.randint(5, 50, (1, 5), device=device)
    short = model(ids, torch.ones_like(ids, dtype=torch.bool))  # (1, 5, d)
    padded_ids = torch.cat([ids, torch.zeros(1, 4, dtype=torch.long, device=device)], 1)
    long = model(padded_ids, padding_mask([5], T=9, device=device))  # (1, 9, d)
    torch.testing.assert_close(long[:, :5], short, atol=1e-5, rtol=1e-5)


def test_causal_means_no_peeking():
    cfg = TransformerConfig(vocab_size=50, max_len=16, d_model=D, n_heads=H, n_layers=2, dropout=0.0, causal=True)
    model = TransformerEncoder(cfg).eval()
    ids = torch.randint(5, 50, (1, 8))
    changed = ids.clone()
    changed[0, 5:] = 7  # change only the future of position 4
    torch.testing.assert_close(model(ids)[:, :5], model(changed)[:, :5])
    assert not torch.allclose(model(ids)[:, 5:], model(changed)[:, 5:])


def test_return_attention_shapes():
    cfg = TransformerConfig(vocab_size=50, max_len=16, d_model=D, n_heads=H, n_layers=3)
    model = TransformerEncoder(cfg).eval()
    hidden, maps = model(torch.randint(5, 50, (B, T)), return_attention=True)
    assert hidden.shape == (B, T, D)
    assert len(maps) == 3 and all(m.shape == (B, H, T, T) for m in maps)


def test_sinusoidal_positions():
    pe = sinusoidal_positions(10, 6)
    assert pe.shape == (10, 6)
    assert torch.allclose(pe[0], torch.tensor([0.0, 1.0] * 3))
    assert math.isclose(pe[3, 0].item(), math.sin(3), abs_tol=1e-6)
    assert math.isclose(pe[3, 3].item(), math.cos(3 / 10000 ** (2 / 6)), abs_tol=1e-6)
    cfg = TransformerConfig(vocab_size=50, max_len=16, d_model=D, n_heads=H, n_layers=1, positions="sinusoidal")
    model = TransformerEncoder(cfg)
    assert not any("pos" in name for name, _ in model.named_parameters())  # fixed, not learned
    assert model(torch.randint(5, 50, (2, 16))).shape == (2, 16, D)


def test_set_dropout_and_private_config():
    cfg = TransformerConfig(vocab_size=50, max_len=16, d_model=D, n_heads=H, n_layers=2, dropout=0.0)
    a, b = TransformerEncoder(cfg), TransformerEncoder(cfg)
    a.set_dropout(0.3).set_fast_attention(True)
    assert a.config.dropout == 0.3 and all(blk.attn.dropout == 0.3 and blk.drop.p == 0.3 for blk in a.blocks)
    assert b.config.dropout == 0.0 and not b.config.fast_attention and cfg.dropout == 0.0  # nothing shared
    ids = torch.randint(5, 50, (2, 8))
    a.train()
    assert not torch.allclose(a(ids), a(ids))  # dropout on: two passes differ (SimCSE's augmentation)


def test_clear_errors():
    with pytest.raises(ValueError, match="divisible"):
        TransformerConfig(d_model=10, n_heads=4)
    with pytest.raises(ValueError, match="positions"):
        TransformerConfig(positions="rotary")
    model = TransformerEncoder(TransformerConfig(vocab_size=50, max_len=8, d_model=D, n_heads=H, n_layers=1))
    with pytest.raises(ValueError, match="max_len"):
        model(torch.randint(5, 50, (1, 9)))


@pytest.mark.parametrize("positions", ["learned", "sinusoidal"])
def test_whole_encoder_equals_nn_transformer_encoder(device, positions):
    """The course's TransformerEncoder = embeddings + nn.TransformerEncoder(norm_first, gelu) + final LayerNorm,
    with every weight copied, on a padded batch (real tokens compared: padding is never read downstream)."""
    cfg = TransformerConfig(vocab_size=50, max_len=T, d_model=D, n_heads=H, n_layers=3, d_ff=24, dropout=0.0,
                            positions=positions)
    ours = TransformerEncoder(cfg).to(device).eval()
    with torch.no_grad():                       # move every weight off its init so nothing matches by chance
        for p in ours.parameters():
            p.add_(0.3 * torch.randn_like(p))
    layer = nn.TransformerEncoderLayer(D, H, 24, dropout=0.0, activation="gelu", batch_first=True, norm_first=True)
    ref = nn.TransformerEncoder(layer, 3, norm=nn.LayerNorm(D), enable_nested_tensor=False).to(device).eval()
    with torch.no_grad():
        for block, r in zip(ours.blocks, ref.layers):
            pairs = [(r.self_attn.in_proj_weight, block.attn.qkv.weight),
                     (r.self_attn.in_proj_bias, block.attn.qkv.bias),
                     (r.self_attn.out_proj.weight, block.attn.proj.weight),
                     (r.self_attn.out_proj.bias, block.attn.proj.bias),
                     (r.linear1.weight, block.mlp.fc.weight), (r.linear1.bias, block.mlp.fc.bias),
                     (r.linear2.weight, block.mlp.proj.weight), (r.linear2.bias, block.mlp.proj.bias),
                     (r.norm1.weight, block.ln1.weight), (r.norm1.bias, block.ln1.bias),
                     (r.norm2.weight, block.ln2.weight), (r.norm2.bias, block.ln2.bias)]
            for theirs, mine in pairs:
                theirs.copy_(mine)
        ref.norm.weight.copy_(ours.ln_f.weight)
        ref.norm.bias.copy_(ours.ln_f.bias)
    ids = torch.randint(1, 50, (B, T), device=device)
    mask = padding_mask([7, 4, 1], device=device)
    ids = ids.masked_fill(~mask, cfg.pad_id)
    with torch.no_grad():
        out = ours(ids, mask)                                                     # (B, T, d)
        expected = ref(ours.embed(ids), src_key_padding_mask=~mask)               # (B, T, d)
    torch.testing.assert_close(out[mask], expected[mask], atol=1e-5, rtol=1e-5)
    assert (out[mask] - ours.ln_f(ours.embed(ids))[mask]).abs().max() > 1e-2    # the blocks did change something
