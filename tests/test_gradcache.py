"""Gradient caching (minisent.training.gradcache): the parameter gradients equal those of the whole batch embedded with one
graph, in float64 to 1e-8, for unsupervised SimCSE (two dropout views) and supervised SimCSE (hard negatives),
with dropout on; the random state replay is what makes them equal; fit(grad_cache_chunk=...) trains the same."""
import copy

import pytest
import torch

from minisent.training import gradcache
from minisent.training.simcse import SentenceBatches, SupervisedSimCSE, UnsupervisedSimCSE
from minisent.training.loop import fit

from test_simcse import SENTENCES, tiny, tok  # noqa: F401  (tok is a fixture)


def sup_batch(n=12):
    s = SENTENCES
    return {"anchor": s[:n], "positive": s[40:40 + n], "negative": s[80:80 + n]}


CASES = {
    "unsupervised": (lambda: UnsupervisedSimCSE(temperature=0.05), lambda: SENTENCES[:12]),
    "unsupervised + word noise": (lambda: UnsupervisedSimCSE(0.05, min_keep=0.3, p_delete=0.4), lambda: SENTENCES[:12]),
    "supervised": (lambda: SupervisedSimCSE(temperature=0.05, hard_negative_weight=0.5), sup_batch),
}


def grads(model):
    return {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}


def full_batch_grads(model, objective, batch, chunk_size, seed, by_length=False):
    """The reference: the whole batch embedded with ONE graph and backpropagated once. Its dropout masks are
    drawn chunk by chunk in the same order as gradcache's first pass (same seed), so both use the same masks."""
    model.zero_grad()
    torch.manual_seed(seed)
    texts = objective.texts(batch)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i])) if by_length else list(range(len(texts)))
    pieces = [objective.embed_texts(model, [texts[i] for i in order[s:s + chunk_size]])
              for s in range(0, len(texts), chunk_size)]
    z = torch.cat(pieces)[torch.argsort(torch.tensor(order))]  # (N, d) in batch order, one graph over every row
    loss, _ = objective.loss(z)
    loss.backward()
    return loss.detach(), grads(model)


def cached_grads(model, objective, batch, chunk_size, seed, replay_rng=True, by_length=False):
    model.zero_grad()
    torch.manual_seed(seed)
    loss, _ = gradcache.cached_step(model, objective, batch, chunk_size, replay_rng=replay_rng, by_length=by_length)
    return loss, grads(model)


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("chunk_size,by_length", [(5, False), (8, False), (5, True)])
def test_cached_gradients_equal_the_full_batch_float64_dropout_on(tok, case, chunk_size, by_length):
    make_objective, make_batch = CASES[case]
    model = tiny(tok, dropout=0.3).double().train()
    objective, batch = make_objective(), make_batch()
    loss_ref, ref = full_batch_grads(model, objective, batch, chunk_size, seed=7, by_length=by_length)
    loss, got = cached_grads(model, objective, batch, chunk_size, seed=7, by_length=by_length)
    assert abs(loss.item() - loss_ref.item()) < 1e-10
    assert ref.keys() == got.keys() and len(ref) > 5
    for name in ref:
        assert torch.allclose(got[name], ref[name], rtol=0, atol=1e-8), name
    # not vacuous: the gradients are far from zero, and dropout is really on (another seed changes them)
    assert max(g.abs().max().item() for g in ref.values()) > 1e-3
    _, other = full_batch_grads(model, objective, batch, chunk_size, seed=8)
    assert max((other[n] - ref[n]).abs().max().item() for n in ref) > 1e-4


@pytest.mark.parametrize("case", ["unsupervised", "supervised"])
def test_without_replaying_the_random_state_the_gradients_are_wrong(tok, case):
    make_objective, make_batch = CASES[case]
    model = tiny(tok, dropout=0.3).double().train()
    objective, batch = make_objective(), make_batch()
    _, ref = full_batch_grads(model, objective, batch, 5, seed=3)
    _, bad = cached_grads(model, objective, batch, 5, seed=3, replay_rng=False)
    assert max((bad[n] - ref[n]).abs().max().item() for n in ref) > 1e-4


def test_one_chunk_is_the_objectives_own_full_batch_step(tok):
    """chunk_size >= N: gradcache runs exactly objective(model, batch), dropout on (its own length-sorted embed)."""
    model = tiny(tok, dropout=0.3).double().train()
    objective = UnsupervisedSimCSE(0.05)
    model.zero_grad()
    torch.manual_seed(1)
    loss_ref, _ = objective(model, SENTENCES[:12])
    loss_ref.backward()
    ref = grads(model)
    loss, got = cached_grads(model, objective, SENTENCES[:12], 1000, seed=1)
    assert abs(loss.item() - loss_ref.item()) < 1e-10
    assert all(torch.allclose(got[n], ref[n], rtol=0, atol=1e-8) for n in ref)


def test_the_random_state_after_a_step_is_as_after_the_first_pass(tok):
    """Pass 3 replays saved states and puts the generator back: the next step draws what it would without caching."""
    model = tiny(tok, dropout=0.3).double().train()
    objective = UnsupervisedSimCSE(0.05)
    torch.manual_seed(5)
    texts = objective.texts(SENTENCES[:12])
    with torch.no_grad():
        for s in range(0, len(texts), 5):
            objective.embed_texts(model, texts[s:s + 5])
    expected = torch.rand(3)
    torch.manual_seed(5)
    gradcache.cached_step(model, objective, SENTENCES[:12], 5)
    assert torch.equal(torch.rand(3), expected)


def test_fit_with_gradient_caching_trains_like_fit_without(tok):
    """Dropout off (so the chunking of the masks cannot matter): 3 steps end at the same weights."""
    base = tiny(tok, dropout=0.0)
    runs = []
    for chunk in (None, 7):
        model = copy.deepcopy(base)
        h = fit(model, UnsupervisedSimCSE(0.05), SentenceBatches(SENTENCES, 16), 3, lr=1e-3, device="cpu",
                progress=False, grad_cache_chunk=chunk)
        runs.append((model, h))
    (m1, h1), (m2, h2) = runs
    assert h1["loss"] == pytest.approx(h2["loss"], abs=1e-5)
    moved = 0.0
    for (n, p1), p2, p0 in zip(m1.named_parameters(), m2.parameters(), base.parameters()):
        assert torch.allclose(p1, p2, atol=1e-5), n
        moved = max(moved, (p1 - p0).abs().max().item())
    assert moved > 1e-4  # the weights did change


def test_fit_with_gradient_caching_in_bfloat16_autocast(tok):
    model = tiny(tok, dropout=0.1)
    h = fit(model, SupervisedSimCSE(0.05), [sup_batch(8)], 2, device="cpu", progress=False, precision="bf16",
            grad_cache_chunk=6)
    assert len(h["loss"]) == 2 and all(torch.isfinite(torch.tensor(h["loss"])))


def test_bad_chunk_size(tok):
    model = tiny(tok)
    with pytest.raises(ValueError, match="grad_cache_chunk"):
        fit(model, UnsupervisedSimCSE(), SentenceBatches(SENTENCES, 8), 1, progress=False, grad_cache_chunk=0)
    with pytest.raises(ValueError, match="texts / embed_texts / loss"):
        fit(model, lambda m, b: (m(b).sum(), {}), [SENTENCES[:4]], 1, progress=False, grad_cache_chunk=2)
    with pytest.raises(ValueError, match="chunk_size"):
        gradcache.cached_step(model, UnsupervisedSimCSE(), SENTENCES[:8], 0)


def test_pair_metrics_without_a_batch_by_batch_matrix_equal_the_matrix_ones():
    """Large batches log their metrics block by block (no (B, B) matrix): the same numbers as the full matrix."""
    from minisent.training.contrastive import pair_metrics

    g = torch.Generator().manual_seed(0)
    b = torch.randn(50, 8, generator=g)
    a = torch.cat([b[:20] + 0.1 * torch.randn(20, 8, generator=g), torch.randn(30, 8, generator=g)])
    got = pair_metrics(a, b, block=7)
    cos = torch.nn.functional.normalize(a, dim=1) @ torch.nn.functional.normalize(b, dim=1).T
    off = cos[~torch.eye(50, dtype=torch.bool)]
    assert got["acc"] == pytest.approx((cos.argmax(1) == torch.arange(50)).float().mean().item())
    assert got["acc"] > 0.3  # the 20 near pairs are found
    assert got["pos_cos"] == pytest.approx(cos.diagonal().mean().item(), abs=1e-6)
    assert got["neg_cos"] == pytest.approx(off.mean().item(), abs=1e-6)
