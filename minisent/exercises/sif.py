"""Lesson 02: SIF word weights and common-component removal, checked against minisent.wordvec.averaging.

    def my_sif_weight(p, a):           # word probabilities p (array) -> a / (a + p), same shape
    def my_remove_pc(embeddings, k):   # (n, d) -> (n, d) without their first k (uncentered) principal directions
    check_sif_weight(my_sif_weight); check_remove_pc(my_remove_pc)
"""
from __future__ import annotations

import numpy as np

from ..wordvec.averaging import principal_components, remove_components, sif_weight
from ._check import Wrong, call, compare, run_checker


def check_sif_weight(student, quiet: bool = False) -> str:
    """Weights for rare, frequent and zero-probability words, for a = 1e-3 and a = 1e-4, and one word alone."""
    p = np.array([0.06, 0.01, 1e-3, 1e-4, 1e-6, 0.0])

    def body():
        for probs, a, case in [(p, 1e-3, "for a = 1e-3"), (p, 1e-4, "for a = 1e-4"),
                               (p[:1], 1e-3, "for a single word ('the', p = 0.06)")]:
            compare("the SIF weights", call(student, probs.copy(), a), sif_weight(probs, a), case, rtol=1e-6,
                    mistakes={"swap a and p (p / (a + p) gives frequent words the LARGER weight)": probs / (a + probs),
                              "forget the a in the denominator (a / p)": a / np.maximum(probs, 1e-300),
                              "use 1 / (a + p) (without a in the numerator)": 1 / (a + probs)})
    return run_checker("sif_weight", body, quiet)


def check_remove_pc(student, quiet: bool = False) -> str:
    """Remove k = 1 and k = 2 directions from clouds that lean one way, and from a batch of one;
    the result must also be orthogonal to the removed directions."""
    rng = np.random.default_rng(0)
    common = rng.normal(size=6)
    cloud = rng.normal(size=(12, 6)) * 0.5 + 3 * common      # sentence vectors sharing one direction
    cases = [(cloud, 1, "with k = 1"), (cloud, 2, "with k = 2"), (cloud[:1], 1, "on a batch of one (k = 1)")]

    def body():
        for e, k, case in cases:
            u = principal_components(e, k)
            expected = remove_components(e, u)
            centred = e - e.mean(0)
            u_centred = np.linalg.svd(centred, full_matrices=False)[2][:k] if len(e) > 1 else u
            got = call(student, e.copy(), k)
            compare("the embeddings after removal", got, expected, case, atol=1e-6,
                    mistakes={"center the embeddings first (SIF removes the UNcentered first singular vector)":
                                  remove_components(e, u_centred),
                              "return centered embeddings": remove_components(centred, u_centred),
                              "remove only the first direction whatever k is": remove_components(e, u[:1]),
                              "subtract the direction itself instead of each row's projection on it":
                                  [e - u.sum(0), e + u.sum(0)]})
            if abs(np.asarray(got, dtype=float) @ u.T).max() > 1e-6:
                raise Wrong(f"the result {case} still has a component along a removed direction.")
    return run_checker("remove_pc", body, quiet)
