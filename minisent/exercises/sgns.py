"""Lesson 01: one skip-gram-with-negative-sampling update, checked against minisent.wordvec.sgns.

    def my_sgns_update(v, u_pos, u_neg, lr):
        # v (d,) center vector, u_pos (d,) its context's output vector, u_neg (K, d) the K noise words'
        # output vectors.  loss = -log sigma(u_pos . v) - sum_k log sigma(-u_neg[k] . v)
        # -> (v, u_pos, u_neg) after ONE plain gradient-descent step with learning rate lr
    check_sgns_update(my_sgns_update)
"""
from __future__ import annotations

import numpy as np
import torch

from ..wordvec.sgns import SkipGramNS, sgns_loss_reference
from ._check import Wrong, call, compare, run_checker


def reference_sgns_update(v, u_pos, u_neg, lr):
    """(v, u_pos, u_neg) after one SGD step on the SGNS loss of one (center, context) pair, via SkipGramNS."""
    K, d = u_neg.shape
    model = SkipGramNS(1 + K, d).double()
    with torch.no_grad():
        model.in_embed.weight[0] = torch.as_tensor(v)
        model.out_embed.weight[0] = torch.as_tensor(u_pos)
        model.out_embed.weight[1:] = torch.as_tensor(u_neg)
    loss = model(torch.tensor([0]), torch.tensor([0]), torch.arange(1, K + 1)[None])  # batch of one pair
    assert abs(loss.item() - sgns_loss_reference(v, u_pos, u_neg)) < 1e-9
    loss.backward()
    torch.optim.SGD(model.parameters(), lr=lr).step()
    out = model.out_embed.weight.detach().numpy()
    return model.in_embed.weight[0].detach().numpy().copy(), out[0].copy(), out[1:].copy()


def _sigma(x):
    return 1.0 / (1.0 + np.exp(-x))


def _typical_mistakes(v, u_pos, u_neg, lr):
    """What three common slips return, keyed by a description of the slip."""
    s_pos, s_neg = _sigma(u_pos @ v), _sigma(u_neg @ v)             # scalar, (K,)
    g_v = (s_pos - 1) * u_pos + s_neg @ u_neg                         # dL/dv
    g_pos, g_neg = (s_pos - 1) * v, s_neg[:, None] * v[None]          # dL/du_pos, dL/du_neg
    return {
        "add the gradient instead of subtracting it (the sign is wrong)":
            (v + lr * g_v, u_pos + lr * g_pos, u_neg + lr * g_neg),
        "use sigma(x) where the positive pair needs sigma(x) - 1":
            (v - lr * (s_pos * u_pos + s_neg @ u_neg), u_pos - lr * s_pos * v, u_neg - lr * g_neg),
        "update only v (u_pos and u_neg take a step too)":
            (v - lr * g_v, u_pos, u_neg),
        "update v with the already-updated output vectors (compute every gradient before changing anything)":
            (v - lr * ((s_pos - 1) * (u_pos - lr * g_pos) + s_neg @ (u_neg - lr * g_neg)),
             u_pos - lr * g_pos, u_neg - lr * g_neg),
    }


def check_sgns_update(student, quiet: bool = False) -> str:
    """One update on random vectors (K = 5 and K = 1), on word2vec's zero-initialised output vectors,
    and with a large learning rate; compares all three returned arrays."""
    rng = np.random.default_rng(0)
    d = 8
    cases = [(rng.normal(size=d), rng.normal(size=d), rng.normal(size=(5, d)), 0.1, "on random vectors, K = 5"),
             (rng.normal(size=d), rng.normal(size=d), rng.normal(size=(1, d)), 0.1, "with one negative (K = 1)"),
             (rng.uniform(-0.5 / d, 0.5 / d, size=d), np.zeros(d), np.zeros((3, d)), 0.5,
              "at word2vec's start (output vectors zero)"),
             (rng.normal(size=d), rng.normal(size=d), rng.normal(size=(4, d)), 2.0, "with a large learning rate")]

    def body():
        for v, u_pos, u_neg, lr, case in cases:
            expected = reference_sgns_update(v, u_pos, u_neg, lr)
            got = call(student, v.copy(), u_pos.copy(), u_neg.copy(), lr)
            if not isinstance(got, (tuple, list)) or len(got) != 3:
                raise Wrong("return three arrays: the new v, the new u_pos and the new u_neg.")
            mistakes = _typical_mistakes(v, u_pos, u_neg, lr)
            for i, name in enumerate(["the new v", "the new u_pos", "the new u_neg"]):
                compare(name, got[i], expected[i], case, atol=1e-8, rtol=1e-6,
                        mistakes={what: wrong[i] for what, wrong in mistakes.items()})
    return run_checker("sgns_update", body, quiet)
