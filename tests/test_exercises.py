"""Each checker in minisent.exercises, checked: a correct answer passes, a stub says "not implemented
yet" without raising, and three typical wrong answers each fail with a sentence that names the slip."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy.stats import rankdata

from minisent import exercises as ex


def stub(*args, **kwargs):
    raise NotImplementedError


# ------------------------------------------------------------------ 00: cosine, Spearman
def cosine(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    norms = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    return np.where(norms > 0, (a * b).sum(1) / np.where(norms > 0, norms, 1), 0.0)


def spearman(x, y):
    rx, ry = rankdata(x), rankdata(y)
    rx, ry = rx - rx.mean(), ry - ry.mean()
    den = math.sqrt((rx ** 2).sum() * (ry ** 2).sum())
    return 0.0 if den == 0 else 100 * float((rx * ry).sum() / den)


def spearman_formula(x, y):
    n = len(x)
    d = rankdata(x, method="ordinal") - rankdata(y, method="ordinal")
    return 100 * (1 - 6 * (d ** 2).sum() / (n * (n * n - 1)))


# ------------------------------------------------------------------ 01: one SGNS update
def sigma(x):
    return 1 / (1 + np.exp(-x))


def sgns_update(v, u_pos, u_neg, lr):
    g_pos = sigma(u_pos @ v) - 1                   # d loss / d (u_pos . v)
    g_neg = sigma(u_neg @ v)                       # (K,) d loss / d (u_neg[k] . v)
    grad_v = g_pos * u_pos + g_neg @ u_neg
    return v - lr * grad_v, u_pos - lr * g_pos * v, u_neg - lr * g_neg[:, None] * v


def sgns_update_sign(v, u_pos, u_neg, lr):
    new = sgns_update(v, u_pos, u_neg, lr)
    return tuple(2 * old - n for old, n in zip((v, u_pos, u_neg), new))


def sgns_update_sigma(v, u_pos, u_neg, lr):
    g_pos, g_neg = sigma(u_pos @ v), sigma(u_neg @ v)
    return v - lr * (g_pos * u_pos + g_neg @ u_neg), u_pos - lr * g_pos * v, u_neg - lr * g_neg[:, None] * v


def sgns_update_v_only(v, u_pos, u_neg, lr):
    return sgns_update(v, u_pos, u_neg, lr)[0], u_pos, u_neg


# ------------------------------------------------------------------ 02: SIF
def sif_weight(p, a):
    return a / (a + np.asarray(p, float))


def remove_pc(e, k):
    u = np.linalg.svd(e, full_matrices=False)[2][:k]       # (k, d)
    return e - e @ u.T @ u


def remove_pc_centred(e, k):
    u = np.linalg.svd(e - e.mean(0), full_matrices=False)[2][:k] if len(e) > 1 else np.linalg.svd(e)[2][:k]
    return e - e @ u.T @ u


def remove_pc_first_only(e, k):
    return remove_pc(e, 1)


# ------------------------------------------------------------------ 03: attention
def attention(q, k, v, mask):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask[:, None, None, :], float("-inf"))
    return scores.softmax(-1) @ v


def attention_no_mask(q, k, v, mask):
    return attention(q, k, v, None)


def attention_no_scale(q, k, v, mask):
    return attention(q * math.sqrt(q.shape[-1]), k, v, mask)


def attention_wrong_dim(q, k, v, mask):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask[:, None, None, :], float("-inf"))
    return scores.softmax(-2).nan_to_num(0.0) @ v


def attention_detached(q, k, v, mask):
    return attention(q.detach(), k.detach(), v.detach(), mask)


# ------------------------------------------------------------------ 04: pooling
def mean_pool(h, mask):
    m = mask.to(h.dtype).unsqueeze(-1)
    return (h * m).sum(1) / m.sum(1)


def attention_pool(h, mask, query):
    scores = (h @ query / math.sqrt(h.shape[-1])).masked_fill(~mask, float("-inf"))
    return (scores.softmax(1).unsqueeze(-1) * h).sum(1)


# ------------------------------------------------------------------ 05: losses
def info_nce(q, k, tau):
    logits = F.normalize(q, dim=-1) @ F.normalize(k, dim=-1).T / tau
    return F.cross_entropy(logits, torch.arange(len(q)))


def info_nce_no_tau(q, k, tau):
    return info_nce(q, k, 1.0)


def info_nce_dot(q, k, tau):
    return F.cross_entropy(q @ k.T / tau, torch.arange(len(q)))


def info_nce_sign(q, k, tau):
    return -info_nce(q, k, tau)


def triplet(a, p, n, margin):
    return F.relu((a - p).norm(dim=1) - (a - n).norm(dim=1) + margin).mean()


# ------------------------------------------------------------------ 07: SimCSE step
def simcse_step(model, sentences, optimizer, temperature):
    model.train()
    z1, z2 = model(sentences), model(sentences)
    loss = info_nce(z1, z2, temperature)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


def simcse_step_eval(model, sentences, optimizer, temperature):
    model.eval()
    z1, z2 = model(sentences), model(sentences)
    loss = info_nce(z1, z2, temperature)
    optimizer.zero_grad(); loss.backward(); optimizer.step()
    return loss.item()


def simcse_step_no_tau(model, sentences, optimizer, temperature):
    return simcse_step(model, sentences, optimizer, 1.0)


def simcse_step_no_zero_grad(model, sentences, optimizer, temperature):
    model.train()
    z1, z2 = model(sentences), model(sentences)
    loss = info_nce(z1, z2, temperature)
    loss.backward(); optimizer.step()
    return loss.item()


def simcse_step_once(model, sentences, optimizer, temperature):
    model.train()
    z = model(sentences)
    loss = info_nce(z, z, temperature)
    optimizer.zero_grad(); loss.backward(); optimizer.step()
    return loss.item()


# ------------------------------------------------------------------ 09: retrieval
def recall_at_k(ranked, relevant, k):
    return float(np.mean([len(set(r[:k]) & rel) / len(rel) for r, rel in zip(ranked, relevant)]))


def mrr_at_k(ranked, relevant, k):
    total = 0.0
    for r, rel in zip(ranked, relevant):
        for rank, doc in enumerate(r[:k], start=1):
            if doc in rel:
                total += 1 / rank
                break
    return total / len(ranked)


def mrr_from_zero(ranked, relevant, k):   # enumerate() from 0, then 1 / (index + 2): first place scores 1/2
    return float(np.mean([next((1 / (i + 2) for i, d in enumerate(r[:k]) if d in rel), 0.0)
                          for r, rel in zip(ranked, relevant)]))


# ------------------------------------------------------------------ 11: causal attention, causal poolings
def causal_attention(q, k, v, mask):        # torch's own attention: an independent reference
    T = q.shape[-2]
    allowed = torch.ones(T, T, dtype=torch.bool).tril()
    if mask is not None:
        allowed = allowed & mask[:, None, None, :]
    return F.scaled_dot_product_attention(q, k, v, attn_mask=allowed)


def causal_attention_future(q, k, v, mask):  # triu: every token sees itself and the future only
    allowed = torch.ones(q.shape[-2], q.shape[-2], dtype=torch.bool).triu()
    allowed = allowed if mask is None else allowed & mask[:, None, None, :]
    return F.scaled_dot_product_attention(q, k, v, attn_mask=allowed)


def causal_attention_sdpa(q, k, v, mask):   # is_causal=True ignores padding: right only where no key is padding
    return F.scaled_dot_product_attention(q, k, v, is_causal=True)


def last_token_pool(h, mask):
    return torch.stack([h[b, int(mask[b].nonzero().max())] for b in range(len(h))])


def position_weighted_pool(h, mask):
    w = mask.to(h.dtype).cumsum(1) * mask                       # (B, T) 1..n at real tokens, 0 at padding
    return (w[..., None] * h).sum(1) / w.sum(1, keepdim=True)


# ------------------------------------------------------------------ 12: distillation, Procrustes, BERTScore
def procrustes(X, Y):
    from scipy.linalg import orthogonal_procrustes
    return orthogonal_procrustes(X, Y)[0]


def cosines(C, R):
    return np.array([[c @ r / (np.linalg.norm(c) * np.linalg.norm(r)) for r in R] for c in C])   # (m, n)


def greedy_f1(C, R, similarity=cosines, mean=lambda p, r: 2 * p * r / (p + r)):
    S = similarity(C, R)
    return mean(S.max(1).mean(), S.max(0).mean())


# ------------------------------------------------------------------ the table of cases
# checker: (correct answer, [(wrong answer, words the verdict must contain), ... three of them])
CASES = {
    "cosine": (cosine, [(lambda a, b: (np.asarray(a) * b).sum(1), "dot product"),
                        (lambda a, b: 1 - cosine(a, b), "distance"),
                        (lambda a, b: np.asarray(a) @ np.asarray(b).T, "wrong shape")]),
    "spearman": (spearman, [(lambda x, y: spearman(x, y) / 100, "x 100"),
                            (spearman_formula, "no ties"),
                            (lambda x, y: 100 * np.corrcoef(x, y)[0, 1], "Pearson")]),
    "sgns_update": (sgns_update, [(sgns_update_sign, "sign"), (sgns_update_sigma, "sigma(x) - 1"),
                                  (sgns_update_v_only, "update only v")]),
    "sif_weight": (sif_weight, [(lambda p, a: np.asarray(p) / (a + np.asarray(p)), "swap a and p"),
                                (lambda p, a: 1 / (a + np.asarray(p)), "numerator"),
                                (lambda p, a: np.full(3, a), "wrong shape")]),
    "remove_pc": (remove_pc, [(remove_pc_centred, "center"), (remove_pc_first_only, "k = 2"),
                              (lambda e, k: e - np.linalg.svd(e)[2][:1], "projection")]),
    "attention": (attention, [(attention_no_mask, "mask"), (attention_no_scale, "sqrt(dh)"),
                              (attention_wrong_dim, "dim=-2")]),
    "mean_pool": (mean_pool, [(lambda h, m: h.mean(1), "forget the mask"),
                              (lambda h, m: (h * m.unsqueeze(-1)).sum(1) / h.shape[1], "full length T"),
                              (lambda h, m: mean_pool(h, m).detach(), "no gradient")]),
    "attention_pool": (attention_pool, [(lambda h, m, q: attention_pool(h, torch.ones_like(m), q), "mask"),
                                        (lambda h, m, q: attention_pool(h, m, q * math.sqrt(h.shape[-1])),
                                         "sqrt(d)"),
                                        (lambda h, m, q: mean_pool(h, m), "ignore the query")]),
    "info_nce": (info_nce, [(info_nce_no_tau, "temperature"), (info_nce_dot, "normalizing"),
                            (info_nce_sign, "sign")]),
    "triplet_loss": (triplet, [(lambda a, p, n, m: ((a - p).norm(dim=1) - (a - n).norm(dim=1) + m).mean(), "hinge"),
                               (lambda a, p, n, m: triplet(a, n, p, m), "sign"),
                               (lambda a, p, n, m: triplet(a, p, n, 0.0), "margin")]),
    "simcse_step": (simcse_step, [(simcse_step_no_tau, "temperature"), (simcse_step_no_zero_grad, "zero_grad"),
                                  (simcse_step_eval, "eval mode")]),
    "recall_at_k": (recall_at_k, [(lambda r, rel, k: recall_at_k(r, rel, k + 1), "off by one"),
                                  (lambda r, rel, k: float(np.mean([bool(set(x[:k]) & s) for x, s in zip(r, rel)])),
                                   "hit rate"),
                                  (lambda r, rel, k: float(np.mean([len(set(x[:k]) & s) / k for x, s in zip(r, rel)])),
                                   "precision")]),
    "mrr_at_k": (mrr_at_k, [(mrr_from_zero, "off by one"),
                            (lambda r, rel, k: mrr_at_k(r, rel, 100), "ignore k"),
                            (lambda r, rel, k: mrr_at_k(r, rel, k + 1), "top k + 1")]),
    "causal_attention": (causal_attention, [(attention, "forget the causal mask"),
                                            (causal_attention_future, "instead of the future"),
                                            (causal_attention_sdpa, "forget the padding mask")]),
    "last_token_pool": (last_token_pool, [(lambda h, m: h[:, -1], "position -1"),
                                          (lambda h, m: h[:, 0], "first token"),
                                          (lambda h, m: h[torch.arange(len(h)), m.sum(1) - 2], "off by one")]),
    "position_weighted_pool": (position_weighted_pool,
                               [(lambda h, m: position_weighted_pool(h, torch.ones_like(m)), "forget the mask"),
                                (lambda h, m: ((m.cumsum(1) * m)[..., None] * h).sum(1), "divide by the sum"),
                                (mean_pool, "mean pooling")]),
    "distill_mse": (lambda s, t: F.mse_loss(s, t), [(lambda s, t: ((s - t) ** 2).sum(), "sum instead"),
                                                   (lambda s, t: ((s - t) ** 2).sum(1).mean(), "batch size B only"),
                                                   (lambda s, t: (s - t).abs().mean(), "L1")]),
    "procrustes": (procrustes, [(lambda X, Y: procrustes(X, Y).T, "transpose"),
                                (lambda X, Y: np.linalg.lstsq(X, Y, rcond=None)[0], "least squares"),
                                (lambda X, Y: X.T @ Y, "singular values")]),
    "greedy_match_f1": (greedy_f1, [(lambda C, R: greedy_f1(C, R, similarity=lambda a, b: a @ b.T), "normalise"),
                                    (lambda C, R: greedy_f1(C, R, mean=lambda p, r: (p + r) / 2), "harmonic"),
                                    (lambda C, R: float(cosines(C, R).mean()), "best match")]),
}


def checker(name):
    return getattr(ex, f"check_{name}")


@pytest.mark.parametrize("name", sorted(CASES))
def test_correct_answer_passes(name, capsys):
    assert checker(name)(CASES[name][0]) == "correct"
    assert capsys.readouterr().out == f"check_{name}: correct\n"


@pytest.mark.parametrize("name", sorted(CASES))
def test_stub_is_not_implemented_yet(name):
    assert checker(name)(stub, quiet=True) == "not implemented yet"
    assert checker(name)(lambda *a: None, quiet=True) == "not implemented yet"   # a body left as `pass`


@pytest.mark.parametrize("name,i", [(n, i) for n in sorted(CASES) for i in range(3)])
def test_typical_mistake_is_named(name, i):
    wrong, words = CASES[name][1][i]
    verdict = checker(name)(wrong, quiet=True)
    assert verdict != "correct"
    assert words in verdict, verdict
    assert verdict.endswith(".") and "\n" not in verdict        # one sentence


def test_a_crash_is_reported_not_raised():
    verdict = ex.check_cosine(lambda a, b: 1 / 0, quiet=True)
    assert verdict == "your function raised ZeroDivisionError: division by zero."


def test_sgns_update_sign_mistake_is_recognised():
    verdict = ex.check_sgns_update(sgns_update_sign, quiet=True)
    assert verdict.startswith("wrong value of the new v on random vectors, K = 5 at index ")
    assert verdict.endswith("that is what you get when you add the gradient instead of subtracting it "
                            "(the sign is wrong).")


def test_simcse_step_encoding_once_is_caught():
    assert "encodes every sentence twice" in ex.check_simcse_step(simcse_step_once, quiet=True)


def test_causal_reference_is_torchs_is_causal_sdpa():
    """Without padding the checker's reference (the package's causal attention) is torch's is_causal=True."""
    g = torch.Generator().manual_seed(3)
    q, k, v = (torch.randn(2, 2, 6, 4, generator=g, dtype=torch.float64) for _ in range(3))
    assert ex.check_causal_attention(causal_attention_sdpa, quiet=True) != "correct"     # it misses left padding
    from minisent.nn.transformer import attention as package_attention
    torch.testing.assert_close(package_attention(q, k, v, None, causal=True)[0],
                               F.scaled_dot_product_attention(q, k, v, is_causal=True))


def test_wrong_gradient_is_reported():
    class Ste(torch.autograd.Function):  # right values, gradient 2x too large
        @staticmethod
        def forward(ctx, h):
            return h.clone()

        @staticmethod
        def backward(ctx, g):
            return 2 * g

    verdict = ex.check_mean_pool(lambda h, m: mean_pool(Ste.apply(h), m), quiet=True)
    assert verdict.startswith("wrong gradient of the pooled vectors with respect to hidden with padding at index ")
