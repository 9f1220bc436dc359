"""Lesson 05: InfoNCE and the triplet loss, checked against minisent.losses (values and gradients).

    def my_info_nce(query, key, temperature):
        # query, key: (B, d); row i of key is query i's positive, the other rows its negatives
        # -> mean over i of  -log softmax_j(cos(q_i, k_j) / temperature)[i]   (a scalar tensor)
    def my_triplet_loss(anchor, positive, negative, margin):
        # (B, d) each -> mean over i of max(0, ||a_i - p_i|| - ||a_i - n_i|| + margin)
    check_info_nce(my_info_nce); check_triplet_loss(my_triplet_loss)
"""
from __future__ import annotations

import torch

from .. import losses
from ._check import call, compare, compare_gradients, run_checker


def _rand(g, *shape):
    return torch.randn(*shape, generator=g, dtype=torch.float64)


def _ce_diag(logits):
    return (logits.logsumexp(1) - logits.diagonal()).mean()


def check_info_nce(student, quiet: bool = False) -> str:
    """Values at tau = 0.05, 1 and 0.01 (large logits: needs a stable log-sum-exp), on the smallest batch
    (B = 2) and on vectors of very different lengths; gradients for query and key."""
    g = torch.Generator().manual_seed(0)
    q, k = _rand(g, 6, 8), _rand(g, 6, 8)
    k_close = q + 0.3 * _rand(g, 6, 8)                     # positives near their queries
    scaled = q * torch.tensor([0.1, 1, 10, 100, 1, 1], dtype=torch.float64)[:, None]
    cases = [(q, k_close, 0.05, "at temperature 0.05"), (q, k, 1.0, "at temperature 1"),
             (q, k_close, 0.01, "at temperature 0.01 (logits up to 100)"),
             (q[:2], k_close[:2], 0.05, "on the smallest batch (B = 2)"),
             (scaled, k_close, 0.1, "on vectors of very different lengths")]

    def body():
        for qq, kk, tau, case in cases:
            cos = torch.nn.functional.normalize(qq, dim=-1) @ torch.nn.functional.normalize(kk, dim=-1).T   # (B, B)
            mistakes = {"forget the temperature (divide by 1)": _ce_diag(cos),
                        "use dot products without normalizing to cosines": _ce_diag(qq @ kk.T / tau),
                        "flip the sign (minimize log p instead of -log p)": -_ce_diag(cos / tau),
                        "multiply by the temperature instead of dividing": _ce_diag(cos * tau),
                        "put every positive in column 0 instead of on the diagonal":
                            ((cos / tau).logsumexp(1) - cos[:, 0] / tau).mean()}
            compare("the InfoNCE loss", call(student, qq.clone(), kk.clone(), tau),
                    losses.info_nce(qq, kk, temperature=tau), case, atol=1e-6, rtol=1e-5, mistakes=mistakes)
        compare_gradients("the InfoNCE loss", lambda a, b: call(student, a, b, 0.05),
                          lambda a, b: losses.info_nce(a, b, temperature=0.05),
                          {"query": q, "key": k_close}, "at temperature 0.05")
    return run_checker("info_nce", body, quiet)


def check_triplet_loss(student, quiet: bool = False) -> str:
    """Values with active and inactive triplets, margins 1 and 0.2, a batch of one; gradients for all three."""
    g = torch.Generator().manual_seed(1)
    a, p, n = _rand(g, 8, 5), _rand(g, 8, 5), _rand(g, 8, 5)
    p_close = a + 0.2 * _rand(g, 8, 5)                    # some triplets already satisfied
    cases = [(a, p, n, 1.0, "with margin 1"), (a, p_close, n, 1.0, "with easy triplets (some loss terms 0)"),
             (a, p, n, 0.2, "with margin 0.2"), (a[:1], p[:1], n[:1], 1.0, "on a batch of one")]

    def body():
        for aa, pp, nn, m, case in cases:
            d_ap, d_an = (aa - pp).norm(dim=1), (aa - nn).norm(dim=1)
            mistakes = {"forget the max(0, .) hinge": (d_ap - d_an + m).mean(),
                        "swap the positive and the negative (the sign is wrong)": (d_an - d_ap + m).clamp_min(0).mean(),
                        "use squared distances": (d_ap ** 2 - d_an ** 2 + m).clamp_min(0).mean(),
                        "forget the margin": (d_ap - d_an).clamp_min(0).mean()}
            compare("the triplet loss", call(student, aa.clone(), pp.clone(), nn.clone(), m),
                    losses.triplet_loss(aa, pp, nn, margin=m, distance="euclidean"), case, atol=1e-6,
                    mistakes=mistakes)
        compare_gradients("the triplet loss", lambda x, y, z: call(student, x, y, z, 1.0),
                          lambda x, y, z: losses.triplet_loss(x, y, z, margin=1.0, distance="euclidean"),
                          {"anchor": a, "positive": p_close, "negative": n}, "with margin 1")
    return run_checker("triplet_loss", body, quiet)
