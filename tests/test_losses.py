"""minisent.losses against torch's own losses and against plain python loops."""
import math

import pytest
import torch
import torch.nn.functional as F

from minisent import losses as L
from minisent.losses_fast import info_nce_blocked, info_nce_fast


def randn(*shape, device="cpu", dtype=torch.float32, grad=False):
    return torch.randn(*shape, device=device, dtype=dtype, requires_grad=grad)


def f64_or_skip(device):
    if device == "mps":
        pytest.skip("mps has no float64")
    return torch.float64


def cosine_matrix(a, b):
    return F.normalize(a, dim=1, eps=1e-6) @ F.normalize(b, dim=1, eps=1e-6).T


def grads(loss, *xs):
    return torch.autograd.grad(loss, xs)


def assert_close_grads(g1, g2, **tol):
    for a, b in zip(g1, g2):
        torch.testing.assert_close(a, b, **tol)


# ----------------------------------------------------------------------------- building blocks

def test_logsumexp_log_softmax_match_torch(device):
    x = randn(7, 11, device=device) * 30
    torch.testing.assert_close(L.logsumexp(x, dim=1), torch.logsumexp(x, dim=1))
    torch.testing.assert_close(L.logsumexp(x, dim=0, keepdim=True), torch.logsumexp(x, dim=0, keepdim=True))
    torch.testing.assert_close(L.log_softmax(x, dim=1), F.log_softmax(x, dim=1))


def test_logsumexp_does_not_overflow(device):
    x = torch.tensor([[1000.0, 1000.0], [-1000.0, -1000.0]], device=device)
    naive = x.exp().sum(1).log()
    assert not torch.isfinite(naive).all()                 # the naive formula breaks ...
    out = L.logsumexp(x, dim=1)                            # ... the written-out one does not
    torch.testing.assert_close(out, torch.tensor([1000 + math.log(2), -1000 + math.log(2)], device=device))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_matches_torch(device, reduction):
    logits = randn(9, 13, device=device, grad=True)
    targets = torch.randint(0, 13, (9,), device=device)
    ours = L.cross_entropy(logits, targets, reduction=reduction)
    ref = F.cross_entropy(logits, targets, reduction=reduction)
    torch.testing.assert_close(ours, ref)
    w = torch.rand_like(ref)                               # a non-uniform upstream gradient
    assert_close_grads(grads((ours * w).sum(), logits), grads((ref * w).sum(), logits))
    # and the readable autograd path gives the same numbers
    readable = -L.log_softmax(logits, dim=1).gather(1, targets[:, None]).squeeze(1)
    torch.testing.assert_close(L.cross_entropy(logits, targets, reduction="none"), readable)


def test_cross_entropy_masked_columns_get_no_gradient(device):
    logits = randn(4, 6, device=device, grad=True)
    mask = torch.zeros(4, 6, dtype=torch.bool, device=device)
    mask[:, 5] = True
    targets = torch.arange(4, device=device)
    loss = L.cross_entropy(logits.masked_fill(mask, -math.inf), targets)
    torch.testing.assert_close(loss, F.cross_entropy(logits[:, :5], targets))
    (g,) = grads(loss, logits)
    assert torch.isfinite(g).all() and (g[:, 5] == 0).all()


def test_pairwise_distances_match_cdist(device):
    x, y = randn(6, 5, device=device), randn(4, 5, device=device)
    torch.testing.assert_close(L.pairwise_distances(x, y), torch.cdist(x, y), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(L.pairwise_distances(x, y, distance="cosine"), 1 - cosine_matrix(x, y))


# ----------------------------------------------------------------------------- InfoNCE

def info_nce_loop(q, k, tau):
    """The definition, one row at a time in plain python floats."""
    total = 0.0
    for i in range(len(q)):
        sims = [F.cosine_similarity(q[i], k[j], dim=0).item() / tau for j in range(len(k))]
        total += -(sims[i] - math.log(sum(math.exp(s) for s in sims)))
    return total / len(q)


@pytest.mark.parametrize("tau", [0.05, 0.5, 1.0])
def test_info_nce_equals_cross_entropy_and_loop(device, tau):
    q, k = randn(16, 8, device=device, grad=True), randn(16, 8, device=device, grad=True)
    ours = L.info_nce(q, k, temperature=tau)
    ref = F.cross_entropy(cosine_matrix(q, k) / tau, torch.arange(16, device=device))
    torch.testing.assert_close(ours, ref)
    assert_close_grads(grads(ours, q, k), grads(ref, q, k), atol=1e-5, rtol=1e-4)
    assert ours.item() == pytest.approx(info_nce_loop(q.detach().cpu(), k.detach().cpu(), tau), rel=1e-4)


def test_info_nce_reduction_none(device):
    q, k = randn(5, 3, device=device), randn(5, 3, device=device)
    per_row = L.info_nce(q, k, 0.1, reduction="none")
    ref = F.cross_entropy(cosine_matrix(q, k) / 0.1, torch.arange(5, device=device), reduction="none")
    torch.testing.assert_close(per_row, ref)
    torch.testing.assert_close(L.info_nce(q, k, 0.1, reduction="sum"), ref.sum())


@pytest.mark.parametrize("weight", [0.0, 1.5, -2.0])
def test_info_nce_hard_negatives_equal_cross_entropy_over_2B(device, weight):
    B, tau = 12, 0.05
    q, k, h = (randn(B, 6, device=device, grad=True) for _ in range(3))
    ours = L.info_nce(q, k, tau, hard_negatives=h, hard_negative_weight=weight)
    logits = torch.cat([cosine_matrix(q, k), cosine_matrix(q, h)], dim=1) / tau      # (B, 2B)
    weights = torch.zeros(B, 2 * B, device=device)
    weights[torch.arange(B), B + torch.arange(B)] = weight                           # SimCSE's z3_weight
    ref = F.cross_entropy(logits + weights, torch.arange(B, device=device))
    torch.testing.assert_close(ours, ref)
    assert_close_grads(grads(ours, q, k, h), grads(ref, q, k, h), atol=1e-5, rtol=1e-4)


def test_info_nce_hard_negative_weight_makes_loss_grow(device):
    q, k, h = (randn(8, 4, device=device) for _ in range(3))
    values = [L.info_nce(q, k, 0.1, hard_negatives=h, hard_negative_weight=w).item() for w in (-1, 0, 1, 2)]
    assert values == sorted(values) and values[0] < values[-1]


def test_info_nce_symmetric_is_average_of_both_directions(device):
    q, k = randn(10, 5, device=device, grad=True), randn(10, 5, device=device, grad=True)
    sim, t = cosine_matrix(q, k) / 0.07, torch.arange(10, device=device)
    ref = 0.5 * (F.cross_entropy(sim, t) + F.cross_entropy(sim.T, t))
    ours = L.info_nce(q, k, 0.07, symmetric=True)
    torch.testing.assert_close(ours, ref)
    assert_close_grads(grads(ours, q, k), grads(ref, q, k), atol=1e-5, rtol=1e-4)
    # both directions from the function itself
    torch.testing.assert_close(ours, 0.5 * (L.info_nce(q, k, 0.07) + L.info_nce(k, q, 0.07)))


def test_info_nce_groups_remove_false_negatives(device):
    B, tau = 8, 0.1
    q, k = randn(B, 4, device=device, grad=True), randn(B, 4, device=device, grad=True)
    groups = torch.tensor([0, 1, 2, 0, 3, 1, 4, 5], device=device)                  # rows 0,3 and 1,5 repeat
    ours = L.info_nce(q, k, tau, groups=groups)
    same = (groups[:, None] == groups[None, :]) & ~torch.eye(B, dtype=torch.bool, device=device)
    ref = F.cross_entropy((cosine_matrix(q, k) / tau).masked_fill(same, -math.inf), torch.arange(B, device=device))
    torch.testing.assert_close(ours, ref)
    assert_close_grads(grads(ours, q, k), grads(ref, q, k), atol=1e-5, rtol=1e-4)
    # a boolean mask says the same thing
    torch.testing.assert_close(L.info_nce(q, k, tau, exclude=same), ours)
    # the mask changes the loss (there were duplicates to remove)
    assert abs(L.info_nce(q, k, tau).item() - ours.item()) > 1e-4


def test_info_nce_identical_duplicates_do_not_count_as_negatives(device):
    # the same pair twice: without the mask its twin is an impossible negative
    q, k = randn(4, 3, device=device), randn(4, 3, device=device)
    q[3], k[3] = q[0], k[0]
    groups = [0, 1, 2, 0]
    plain = L.info_nce(q, k, 0.1, reduction="none")
    masked = L.info_nce(q, k, 0.1, groups=groups, reduction="none")
    assert (masked[[0, 3]] < plain[[0, 3]]).all()
    torch.testing.assert_close(masked[[1, 2]], plain[[1, 2]])


def test_info_nce_exclude_with_hard_negatives_and_symmetric(device):
    B, tau = 6, 0.2
    q, k, h = (randn(B, 4, device=device, grad=True) for _ in range(3))
    exclude = torch.zeros(B, 2 * B, dtype=torch.bool, device=device)
    exclude[0, 1] = exclude[2, B + 4] = True
    ours = L.info_nce(q, k, tau, hard_negatives=h, exclude=exclude, symmetric=True)
    t = torch.arange(B, device=device)
    fwd = torch.cat([cosine_matrix(q, k), cosine_matrix(q, h)], 1) / tau
    back = cosine_matrix(k, q) / tau
    ref = 0.5 * (F.cross_entropy(fwd.masked_fill(exclude, -math.inf), t)
                 + F.cross_entropy(back.masked_fill(exclude[:, :B].T, -math.inf), t))
    torch.testing.assert_close(ours, ref)
    assert_close_grads(grads(ours, q, k, h), grads(ref, q, k, h), atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("B", [2, 8, 64])
def test_info_nce_is_ln_B_when_all_similarities_are_equal(device, B):
    v = randn(1, 5, device=device)
    same = v.expand(B, 5)                                  # every cosine is 1
    assert L.info_nce(same, same, 0.05).item() == pytest.approx(math.log(B), rel=1e-5)
    zeros = torch.zeros(B, 5, device=device)               # every cosine is 0, and no NaN
    assert L.info_nce(zeros, zeros, 0.05).item() == pytest.approx(math.log(B), rel=1e-5)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_info_nce_low_precision_is_stable_at_tau_001(device, dtype):
    B, tau = 32, 0.01
    base = randn(B, 16, device=device)
    q = (base + 0.1 * randn(B, 16, device=device)).to(dtype).requires_grad_()
    k = base.to(dtype).requires_grad_()
    assert not torch.isfinite((cosine_matrix(q.detach(), k.detach()).to(dtype) / tau).exp()).all(), \
        "exp(1/tau) must overflow this dtype, or the test shows nothing"
    loss = L.info_nce(q, k, tau)
    assert loss.dtype == torch.float32 and torch.isfinite(loss)
    ref = F.cross_entropy(cosine_matrix(q.detach().float(), k.detach().float()) / tau, torch.arange(B, device=device))
    assert loss.item() == pytest.approx(ref.item(), rel=1e-4, abs=1e-4)
    gq, gk = grads(loss, q, k)
    assert gq.dtype == dtype and torch.isfinite(gq).all() and torch.isfinite(gk).all()
    # the plain cross-entropy on low-precision logits too (magnitude 1/tau = 100)
    logits = (cosine_matrix(q.detach().float(), k.detach().float()) / tau).to(dtype)
    out = L.cross_entropy(logits, torch.arange(B, device=device))
    assert torch.isfinite(out)
    assert out.item() == pytest.approx(F.cross_entropy(logits.float(), torch.arange(B, device=device)).item(), rel=1e-4)


def test_zero_vectors_give_no_nan(device):
    x = randn(6, 4, device=device)
    x[2] = 0
    x.requires_grad_()
    y = randn(6, 4, device=device)
    labels = torch.tensor([1, 0, 1, 0, 1, 0], device=device)
    outs = [
        L.info_nce(x, y, 0.05), L.info_nce(x, y, 0.05, hard_negatives=y.flip(0), symmetric=True),
        L.contrastive_loss(x, y, labels), L.contrastive_loss(x, y, labels, distance="euclidean"),
        L.triplet_loss(x, y, y.flip(0), distance="cosine"), L.triplet_loss(x, x, y),
        L.batch_triplet_loss(x, [0, 0, 1, 1, 2, 2], mining="all"),
        L.batch_triplet_loss(x, [0, 0, 1, 1, 2, 2], distance="cosine", mining="semi-hard"),
        L.alignment(x, y), L.uniformity(x),
    ]
    for out in outs:
        assert torch.isfinite(out), out
        (g,) = grads(out, x)
        assert torch.isfinite(g).all()


# ----------------------------------------------------------------------------- contrastive

def contrastive_loop(x1, x2, labels, margin, distance):
    total = []
    for a, b, y in zip(x1, x2, labels.tolist()):
        if distance == "cosine":
            d = 1 - F.cosine_similarity(a, b, dim=0).item()
        else:
            d = math.sqrt(sum((u - v) ** 2 for u, v in zip(a.tolist(), b.tolist())))
        total.append(0.5 * d * d if y == 1 else 0.5 * max(0.0, margin - d) ** 2)
    return total


@pytest.mark.parametrize("distance,margin", [("cosine", 0.5), ("cosine", 1.2), ("euclidean", 1.0), ("euclidean", 3.0)])
def test_contrastive_equals_loop(device, distance, margin):
    x1, x2 = randn(20, 5, device=device), randn(20, 5, device=device)
    labels = torch.randint(0, 2, (20,), device=device)
    ours = L.contrastive_loss(x1, x2, labels, margin=margin, distance=distance, reduction="none")
    ref = contrastive_loop(x1.cpu(), x2.cpu(), labels.cpu(), margin, distance)
    assert ours.tolist() == pytest.approx(ref, rel=1e-4, abs=1e-6)
    assert L.contrastive_loss(x1, x2, labels, margin=margin, distance=distance).item() == \
        pytest.approx(sum(ref) / len(ref), rel=1e-4)
    # some pairs are beyond the margin and contribute exactly zero
    if distance == "euclidean" and margin == 1.0:
        assert any(r == 0 for r, y in zip(ref, labels.tolist()) if y == 0)


def test_contrastive_accepts_bool_labels(device):
    x1, x2 = randn(4, 3, device=device), randn(4, 3, device=device)
    b = torch.tensor([True, False, True, False], device=device)
    torch.testing.assert_close(L.contrastive_loss(x1, x2, b), L.contrastive_loss(x1, x2, b.long()))


# ----------------------------------------------------------------------------- triplet

@pytest.mark.parametrize("margin", [0.0, 0.5, 1.0, 3.0])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_triplet_equals_torch_euclidean(device, margin, reduction):
    a, p, n = (randn(32, 8, device=device, grad=True) for _ in range(3))
    ours = L.triplet_loss(a, p, n, margin=margin, reduction=reduction)
    ref = F.triplet_margin_loss(a, p, n, margin=margin, reduction=reduction) if margin > 0 else \
        (F.pairwise_distance(a, p) - F.pairwise_distance(a, n)).clamp_min(0)    # torch forbids margin 0
    if margin == 0:
        ref = {"mean": ref.mean(), "sum": ref.sum(), "none": ref}[reduction]
    torch.testing.assert_close(ours, ref, atol=1e-5, rtol=1e-5)
    w = torch.rand_like(ref)
    assert_close_grads(grads((ours * w).sum(), a, p, n), grads((ref * w).sum(), a, p, n), atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("margin", [0.1, 0.5])
def test_triplet_equals_torch_cosine(device, margin):
    a, p, n = (randn(32, 8, device=device, grad=True) for _ in range(3))
    ours = L.triplet_loss(a, p, n, margin=margin, distance="cosine")
    ref = F.triplet_margin_with_distance_loss(
        a, p, n, distance_function=lambda x, y: 1 - F.cosine_similarity(x, y), margin=margin)
    torch.testing.assert_close(ours, ref)
    assert_close_grads(grads(ours, a, p, n), grads(ref, a, p, n), atol=1e-5, rtol=1e-4)


def brute_force_mining(x, labels, margin, distance, mining):
    """Every triplet by nested loops, distances one pair at a time; returns (loss, triplets, n_active)."""
    B = len(x)
    lab = labels.tolist()

    def d(i, j):
        if distance == "cosine":
            return 1 - F.cosine_similarity(x[i], x[j], dim=0).item()
        return (x[i] - x[j]).norm().item()

    def hinge(a, p, n):
        return max(0.0, d(a, p) - d(a, n) + margin)

    pos = {a: [p for p in range(B) if p != a and lab[p] == lab[a]] for a in range(B)}
    neg = {a: [n for n in range(B) if lab[n] != lab[a]] for a in range(B)}
    chosen = []
    if mining == "all":
        chosen = [(a, p, n) for a in range(B) for p in pos[a] for n in neg[a]]
    elif mining == "hard":
        for a in range(B):
            if pos[a] and neg[a]:
                chosen.append((a, max(pos[a], key=lambda p: d(a, p)), min(neg[a], key=lambda n: d(a, n))))
    else:
        for a in range(B):
            for p in pos[a]:
                if not neg[a]:
                    continue
                further = [n for n in neg[a] if d(a, n) > d(a, p)]
                n = min(further, key=lambda n: d(a, n)) if further else max(neg[a], key=lambda n: d(a, n))
                chosen.append((a, p, n))
    values = [hinge(*t) for t in chosen]
    n_active = sum(v > 0 for v in values)
    if not chosen:
        loss = 0.0
    elif mining == "all":
        loss = sum(values) / max(n_active, 1)
    else:
        loss = sum(values) / len(values)
    return loss, sorted(chosen), n_active


@pytest.mark.parametrize("mining", ["all", "hard", "semi-hard"])
@pytest.mark.parametrize("distance,margin", [("euclidean", 1.0), ("euclidean", 0.2), ("cosine", 0.3)])
def test_mining_equals_brute_force(device, mining, distance, margin):
    dtype = f64_or_skip(device) if device != "mps" else torch.float32
    x = randn(14, 3, device=device, dtype=dtype)
    labels = torch.tensor([0, 0, 0, 1, 1, 1, 1, 2, 2, 3, 4, 4, 4, 5], device=device)   # 3 and 5 have no positive
    loss, mined = L.batch_triplet_loss(x, labels, margin=margin, distance=distance, mining=mining,
                                       return_triplets=True)
    ref_loss, ref_triplets, ref_active = brute_force_mining(x.cpu(), labels.cpu(), margin, distance, mining)
    assert loss.item() == pytest.approx(ref_loss, rel=1e-5, abs=1e-7)
    assert sorted(map(tuple, mined.triplets.tolist())) == ref_triplets
    assert mined.n_active == ref_active
    assert mined.losses.shape == (len(ref_triplets),)


def test_mining_counts_and_empty_batches(device):
    x = randn(6, 2, device=device, grad=True)
    _, mined = L.batch_triplet_loss(x, [0, 0, 1, 1, 2, 2], mining="all", return_triplets=True)
    assert len(mined.triplets) == 6 * 1 * 4                # each anchor: 1 positive x 4 negatives
    for labels in ([0, 1, 2, 3, 4, 5], [7] * 6):           # no positives / no negatives
        loss, mined = L.batch_triplet_loss(x, labels, return_triplets=True)
        assert loss.item() == 0 and mined.n_active == 0 and mined.triplets.shape == (0, 3)
        loss.backward()                                    # still differentiable


def test_hard_mining_is_at_least_semi_hard_is_at_least_zero(device):
    x = randn(40, 4, device=device)
    labels = torch.arange(40, device=device) % 5
    hard = L.batch_triplet_loss(x, labels, mining="hard").item()
    semi = L.batch_triplet_loss(x, labels, mining="semi-hard").item()
    assert hard >= semi >= 0 and hard > 0


# ----------------------------------------------------------------------------- alignment / uniformity

def test_alignment_uniformity_match_wang_isola(device):
    x, y = randn(30, 6, device=device), randn(30, 6, device=device)
    xn, yn = F.normalize(x, dim=1), F.normalize(y, dim=1)
    torch.testing.assert_close(L.alignment(x, y), (xn - yn).norm(dim=1).pow(2).mean())
    torch.testing.assert_close(L.alignment(x, y, alpha=1), (xn - yn).norm(dim=1).mean())
    ref = torch.pdist(xn.cpu().double(), p=2).pow(2).mul(-2).exp().mean().log()
    assert L.uniformity(x).item() == pytest.approx(ref.item(), rel=1e-4)
    assert L.uniformity(x, t=5).item() == pytest.approx(
        torch.pdist(xn.cpu().double()).pow(2).mul(-5).exp().mean().log().item(), rel=1e-4)


def test_uniformity_extremes(device):
    collapsed = randn(1, 3, device=device).expand(20, 3)
    assert L.uniformity(collapsed).item() == pytest.approx(0.0, abs=1e-5)     # the maximum
    assert L.alignment(collapsed, collapsed).item() == pytest.approx(0.0, abs=1e-5)
    th = torch.arange(64, device=device) * 2 * math.pi / 64
    circle = torch.stack([th.cos(), th.sin()], 1)
    assert L.uniformity(circle).item() < -1.5


# ----------------------------------------------------------------------------- gradcheck

def _gradcheck(fn, *shapes, device, seed=0):
    dtype = f64_or_skip(device)
    g = torch.Generator().manual_seed(seed)
    xs = [torch.randn(*s, generator=g, dtype=dtype).to(device).requires_grad_() for s in shapes]
    assert torch.autograd.gradcheck(fn, xs, eps=1e-6, atol=1e-5, rtol=1e-4)


GRADCHECK_CASES = {
    "log_softmax": (lambda z: L.log_softmax(z, dim=1), [(4, 5)]),
    "cross_entropy": (lambda z: L.cross_entropy(z, torch.tensor([0, 3, 1, 4], device=z.device), reduction="none"),
                      [(4, 5)]),
    "info_nce": (lambda q, k: L.info_nce(q, k, 0.3, reduction="none"), [(5, 3), (5, 3)]),
    "info_nce_hard_weight_symmetric": (
        lambda q, k, h: L.info_nce(q, k, 0.5, hard_negatives=h, hard_negative_weight=0.7, symmetric=True,
                                   reduction="none"), [(5, 3), (5, 3), (5, 3)]),
    "info_nce_groups": (lambda q, k: L.info_nce(q, k, 0.2, groups=[0, 1, 0, 2, 1]), [(5, 3), (5, 3)]),
    "contrastive_cosine": (lambda a, b: L.contrastive_loss(a, b, torch.tensor([1, 0, 1, 0, 0], device=a.device),
                                                           margin=1.5, reduction="none"), [(5, 3), (5, 3)]),
    "contrastive_euclidean": (lambda a, b: L.contrastive_loss(a, b, torch.tensor([1, 0, 1, 0, 0], device=a.device),
                                                              margin=3.0, distance="euclidean"), [(5, 3), (5, 3)]),
    "triplet_euclidean": (lambda a, p, n: L.triplet_loss(a, p, n, margin=2.0, reduction="none"),
                          [(6, 3), (6, 3), (6, 3)]),
    "triplet_cosine": (lambda a, p, n: L.triplet_loss(a, p, n, margin=1.0, distance="cosine", reduction="none"),
                       [(6, 3), (6, 3), (6, 3)]),
    "mining_all": (lambda x: L.batch_triplet_loss(x, [0, 0, 1, 1, 2, 2, 0], margin=2.0, mining="all"), [(7, 3)]),
    "mining_hard": (lambda x: L.batch_triplet_loss(x, [0, 0, 1, 1, 2, 2, 0], margin=2.0, mining="hard"), [(7, 3)]),
    "mining_semi_hard": (lambda x: L.batch_triplet_loss(x, [0, 0, 1, 1, 2, 2, 0], margin=2.0, mining="semi-hard",
                                                        distance="cosine"), [(7, 3)]),
    "alignment": (lambda a, b: L.alignment(a, b), [(5, 3), (5, 3)]),
    "uniformity": (lambda a: L.uniformity(a), [(6, 3)]),
    "info_nce_fast": (lambda q, k: info_nce_fast(q, k, 0.3, reduction="none"), [(5, 3), (5, 3)]),
    "info_nce_fast_hard_weight_symmetric_groups": (
        lambda q, k, h: info_nce_fast(q, k, 0.5, hard_negatives=h, hard_negative_weight=0.7, symmetric=True,
                                        groups=[0, 1, 0, 2, 1]), [(5, 3), (5, 3), (5, 3)]),
    "info_nce_blocked_hard_weight_symmetric_groups": (
        lambda q, k, h: info_nce_blocked(q, k, 0.5, hard_negatives=h, hard_negative_weight=0.7, symmetric=True,
                                         groups=[0, 1, 0, 2, 1], reduction="none", block=2), [(5, 3), (5, 3), (5, 3)]),
}


@pytest.mark.parametrize("name", list(GRADCHECK_CASES))
def test_gradcheck(device, name):
    fn, shapes = GRADCHECK_CASES[name]
    _gradcheck(fn, *shapes, device=device)


# ----------------------------------------------------------------------------- the fast path

FAST_CASES = {
    "plain": dict(),
    "hard negatives, weight": dict(hard=True, hard_negative_weight=1.3),
    "symmetric, sum": dict(symmetric=True, reduction="sum"),
    "groups, none": dict(groups=[0, 1, 0, 2, 3, 2, 4, 5], reduction="none"),
    "everything": dict(hard=True, hard_negative_weight=-0.4, symmetric=True, groups=[0, 1, 0, 2, 3, 2, 4, 5],
                       exclude=torch.eye(8, 16, dtype=torch.bool).roll(3, 1)),
}


def fast_case_inputs(device, case: str):
    """(q, k[, hard negatives]) of 8 rows in float64 with gradients, and info_nce's keyword options, for FAST_CASES[case]."""
    dtype = f64_or_skip(device)
    options = dict(FAST_CASES[case])
    xs = [randn(8, 5, device=device, dtype=dtype, grad=True) for _ in range(3 if options.pop("hard", False) else 2)]
    if len(xs) == 3:
        options["hard_negatives"] = xs[2]
    if "exclude" in options:
        options["exclude"] = options["exclude"].to(device)
    return xs, options


@pytest.mark.parametrize("case", list(FAST_CASES))
def test_info_nce_fast_equals_readable_values_and_gradients(device, case):
    xs, options = fast_case_inputs(device, case)
    readable = L.info_nce(xs[0], xs[1], 0.1, **options)
    fast = info_nce_fast(xs[0], xs[1], 0.1, **options)
    torch.testing.assert_close(fast, readable, rtol=1e-12, atol=1e-12)
    upstream = torch.rand_like(readable)                     # a non-uniform upstream gradient for "none"
    assert_close_grads(grads((fast * upstream).sum(), *xs), grads((readable * upstream).sum(), *xs),
                       rtol=1e-10, atol=1e-12)


def test_info_nce_fast_low_precision_and_zero_rows(device):
    q, k = randn(6, 4, device=device), randn(6, 4, device=device)
    q[1] = 0
    for dtype in (torch.float16, torch.bfloat16):
        a = L.info_nce(q.to(dtype), k.to(dtype), 0.01)
        b = info_nce_fast(q.to(dtype), k.to(dtype), 0.01)
        assert a.dtype == b.dtype == torch.float32 and torch.isfinite(b)
        torch.testing.assert_close(a, b)


# ----------------------------------------------------------------------------- the blocked path (memory)

@pytest.mark.parametrize("block", [1, 3, 8, 100])
@pytest.mark.parametrize("temperature", [0.05, 0.7])
@pytest.mark.parametrize("case", list(FAST_CASES))
def test_info_nce_blocked_equals_readable_values_and_gradients(device, case, temperature, block):
    """Blocks of query rows (3 does not divide B = 8; 100 is one block) give info_nce's loss and gradients."""
    xs, options = fast_case_inputs(device, case)
    readable = L.info_nce(xs[0], xs[1], temperature, **options)
    blocked = info_nce_blocked(xs[0], xs[1], temperature, block=block, **options)
    torch.testing.assert_close(blocked, readable, rtol=1e-12, atol=1e-12)
    upstream = torch.rand_like(readable)                     # a non-uniform upstream gradient for "none"
    got, ref = grads((blocked * upstream).sum(), *xs), grads((readable * upstream).sum(), *xs)
    assert_close_grads(got, ref, rtol=1e-10, atol=1e-12)
    assert all(g.abs().max() > 1e-4 for g in ref)            # every input really gets a gradient


class _LargestTensor(torch.utils._python_dispatch.TorchDispatchMode):
    """Records the most elements of any tensor an op makes (forward and backward)."""

    def __init__(self):
        super().__init__()
        self.largest = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for t in torch.utils._pytree.tree_flatten(out)[0]:
            if isinstance(t, torch.Tensor):
                self.largest = max(self.largest, t.numel())
        return out


@pytest.mark.parametrize("symmetric", [False, True])
def test_info_nce_blocked_never_makes_a_batch_by_batch_matrix(symmetric):
    """Forward and backward, no tensor reaches B x 2B elements: the largest is one block's logits (block x 2B)."""
    B, d, block = 64, 4, 8
    largest = {}
    for name, fn in (("readable", L.info_nce), ("blocked", lambda *a, **kw: info_nce_blocked(*a, block=block, **kw))):
        xs = [randn(B, d, grad=True) for _ in range(3)]
        with _LargestTensor() as seen:
            fn(xs[0], xs[1], 0.1, hard_negatives=xs[2], hard_negative_weight=0.5, symmetric=symmetric).backward()
        assert all(x.grad is not None for x in xs)
        largest[name] = seen.largest
    assert largest["readable"] == B * 2 * B                  # the check sees the (B, 2B) logits of info_nce
    assert largest["blocked"] == block * 2 * B


def test_info_nce_blocked_low_precision_and_bad_block():
    q, k = randn(6, 4), randn(6, 4)
    for dtype in (torch.float16, torch.bfloat16):
        a = L.info_nce(q.to(dtype), k.to(dtype), 0.01)
        b = info_nce_blocked(q.to(dtype), k.to(dtype), 0.01, block=4)
        assert a.dtype == b.dtype == torch.float32
        torch.testing.assert_close(a, b)
    for bad in (0, -2, 2.5, None):
        with pytest.raises(ValueError, match="block must be an int >= 1"):
            info_nce_blocked(q, k, 0.1, block=bad)


# ----------------------------------------------------------------------------- degenerate input (issue 14)

def test_uniformity_of_zero_vectors_is_the_worst_value_not_the_best(device):
    assert L.uniformity(torch.zeros(5, 3, device=device)).item() == pytest.approx(0.0, abs=1e-6)
    # half zero rows, half one unit vector: the real squared distances are 0 and 1 (never 2 - 2 cos = 2)
    x = torch.cat([torch.zeros(2, 3), torch.tensor([[1.0, 0, 0]] * 2)]).to(device)
    expected = math.log((2 * 1 + 4 * math.exp(-2.0)) / 6)     # 2 pairs at distance 0, 4 pairs at 1
    assert L.uniformity(x).item() == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("weight", [float("inf"), float("-inf"), float("nan")])
def test_info_nce_rejects_non_finite_hard_negative_weight(device, weight):
    q, k, h = randn(4, 3, device=device), randn(4, 3, device=device), randn(4, 3, device=device)
    for fn in (L.info_nce, info_nce_fast):
        with pytest.raises(ValueError, match="hard_negative_weight must be a finite number"):
            fn(q, k, 0.1, hard_negatives=h, hard_negative_weight=weight)


def test_empty_batches_are_rejected(device):
    empty = torch.zeros(0, 3, device=device)
    cases = [lambda: L.triplet_loss(empty, empty, empty), lambda: L.contrastive_loss(empty, empty, []),
             lambda: L.batch_triplet_loss(empty, []), lambda: L.alignment(empty, empty)]
    for fn in cases:
        with pytest.raises(ValueError, match="at least 1 row"):
            fn()


# ----------------------------------------------------------------------------- bad input

def test_bad_input_errors(device):
    q, k = randn(4, 3, device=device), randn(4, 3, device=device)
    cases = [
        (lambda: L.info_nce(q, k, 0.0), "temperature must be"),
        (lambda: L.info_nce(q, k, -0.1), "temperature must be"),
        (lambda: L.info_nce(q, k, float("nan")), "temperature must be"),
        (lambda: L.info_nce(q[:1], k[:1], 0.1), "at least 2 row"),
        (lambda: L.info_nce(q, k[:3], 0.1), "same shape"),
        (lambda: L.info_nce(q, randn(4, 5, device=device), 0.1), "same shape"),
        (lambda: L.info_nce(q[0], k[0], 0.1), "2-D"),
        (lambda: L.info_nce(q, k, 0.1, hard_negatives=k[:2]), "same shape"),
        (lambda: L.info_nce(q, k, 0.1, hard_negative_weight=1.0), "needs hard_negatives"),
        (lambda: L.info_nce(q, k, 0.1, hard_negatives=k, hard_negative_weight=float("nan")), "must be a finite"),
        (lambda: L.info_nce(q, k, torch.tensor(0.1)), "temperature must be"),
        (lambda: L.info_nce(q, k, 0.1, groups=[0, 1, 2]), "groups must be 1-D with one entry per row"),
        (lambda: L.info_nce(q, k, 0.1, exclude=torch.zeros(4, 5, dtype=torch.bool)), "exclude must be"),
        (lambda: L.info_nce(q, k, 0.1, exclude=torch.zeros(4, 4)), "exclude must be a bool"),
        (lambda: L.info_nce(q, k, 0.1, reduction="avg"), "reduction must be"),
        (lambda: L.contrastive_loss(q, k, [1, 0, 1]), "labels must be 1-D with one entry per row"),
        (lambda: L.contrastive_loss(q, k, [1, 0, 2, 1]), "labels must be 0"),
        (lambda: L.contrastive_loss(q, k[:2], [1, 0, 1, 0]), "same shape"),
        (lambda: L.contrastive_loss(q, k, [1, 0, 1, 0], distance="manhattan"), "distance must be"),
        (lambda: L.contrastive_loss(q, k, [1, 0, 1, 0], margin=-1), "margin must be"),
        (lambda: L.triplet_loss(q, k, k[:3]), "same shape"),
        (lambda: L.triplet_loss(q, k, k, margin=float("inf")), "margin must be"),
        (lambda: L.batch_triplet_loss(q, [0, 1, 0]), "labels must be 1-D with one entry per row"),
        (lambda: L.batch_triplet_loss(q, [[0, 1], [0, 1]]), "labels must be 1-D"),
        (lambda: L.batch_triplet_loss(q, [0, 1, 0, 1], mining="easy"), "mining must be"),
        (lambda: L.cross_entropy(q, torch.tensor([0, 1]), reduction="mean"), "targets must be 1-D"),
        (lambda: L.alignment(q, k[:2]), "same shape"),
        (lambda: L.uniformity(q[:1]), "at least 2 row"),
        (lambda: L.info_nce(q.long(), k.long(), 0.1), "floating-point"),
    ]
    for fn, message in cases:
        with pytest.raises(ValueError, match=message):
            fn()
    with pytest.raises(TypeError, match="torch.Tensor"):
        L.info_nce(q.tolist(), k, 0.1)


# ----------------------------------------------------------------------------- behaviour

@pytest.mark.parametrize("loss_name", ["info_nce", "triplet", "contrastive"])
def test_a_gradient_step_lowers_each_loss(device, loss_name):
    B = 16
    q, k = randn(B, 4, device=device, grad=True), randn(B, 4, device=device, grad=True)
    labels = torch.randint(0, 2, (B,), device=device)
    fns = {
        "info_nce": lambda: L.info_nce(q, k, 0.1),
        "triplet": lambda: L.batch_triplet_loss(torch.cat([q, k]), torch.arange(2 * B, device=device) % 4,
                                                margin=1.0, mining="all"),
        "contrastive": lambda: L.contrastive_loss(q, k, labels, margin=1.0),
    }
    before = fns[loss_name]()
    gq, gk = grads(before, q, k)
    with torch.no_grad():
        q -= 1e-2 * gq
        k -= 1e-2 * gk
    assert fns[loss_name]().item() < before.item()
