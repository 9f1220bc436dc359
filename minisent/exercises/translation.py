"""Lesson 12: BERTScore-style greedy token matching, checked against minisent.evaluation.mteval.greedy_match_f1.

    def my_greedy_match_f1(C, R):
        # C: (m, d) candidate token vectors, R: (n, d) reference token vectors (arrays) -> a float:
        # P = mean over candidate tokens of their best cosine with a reference token,
        # R = mean over reference tokens of their best cosine with a candidate token, F = 2 P R / (P + R)
    check_greedy_match_f1(my_greedy_match_f1)
"""
from __future__ import annotations

import numpy as np

from ..evaluation.mteval import greedy_match_f1
from ._check import call, compare, run_checker


def check_greedy_match_f1(student, quiet: bool = False) -> str:
    """Values on random tokens of very different lengths, m != n both ways, one candidate token."""
    rng = np.random.default_rng(0)
    C = rng.standard_normal((4, 3)) * np.array([[0.1], [1.0], [10.0], [3.0]])   # lengths matter if not normalised
    R = rng.standard_normal((6, 3)) * np.array([[5.0], [0.2], [1.0], [1.0], [2.0], [0.5]])
    cases = [(C, R, "on 4 candidate and 6 reference tokens"), (R, C, "on 6 candidate and 4 reference tokens"),
             (C[:1], R, "with a single candidate token"),
             (C, C[[2, 0]], "with a reference made of two candidate tokens")]

    def f1(p, r):
        return 2 * p * r / (p + r)

    def body():
        for CC, RR, case in cases:
            S = (CC / np.linalg.norm(CC, axis=1, keepdims=True)) @ (RR / np.linalg.norm(RR, axis=1, keepdims=True)).T
            dots = CC @ RR.T
            mistakes = {"forget to normalise the token vectors (dot products instead of cosines)":
                            f1(dots.max(1).mean(), dots.max(0).mean()),
                        "average P and R ((P + R) / 2) instead of their harmonic mean":
                            (S.max(1).mean() + S.max(0).mean()) / 2,
                        "average every cosine instead of each token's best match": S.mean(),
                        "return P only (every candidate token's best match, not the reference's)": S.max(1).mean()}
            compare("F", call(student, CC.copy(), RR.copy()), greedy_match_f1(CC, RR), case, atol=1e-9,
                    mistakes=mistakes)
    return run_checker("greedy_match_f1", body, quiet)
