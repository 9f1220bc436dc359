"""Lesson 12: orthogonal Procrustes, checked against minisent.wordvec.align.procrustes.

    def my_procrustes(X, Y):
        # X, Y: (n, d) arrays, row i of X translates to row i of Y -> the orthogonal W (d, d) that
        # minimises ||X W - Y||: W = U V^T where U S V^T = svd(X^T Y)
    check_procrustes(my_procrustes)

The cases have n >= d pairs of full rank, where that W is unique.
"""
from __future__ import annotations

import numpy as np

from ..wordvec.align import procrustes
from ._check import call, compare, run_checker


def _rotation(rng, d):
    Q, R = np.linalg.qr(rng.standard_normal((d, d)))
    return Q * np.sign(np.diag(R))                        # (d, d) a random orthogonal matrix


def check_procrustes(student, quiet: bool = False) -> str:
    """Values on an exact rotation (recover it), on noisy pairs, on n = d pairs."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((12, 4))
    R = _rotation(rng, 4)
    Xs = rng.standard_normal((5, 5))
    cases = [(X, X @ R, "on pairs related by an exact rotation"),
             (X, X @ R + 0.3 * rng.standard_normal((12, 4)), "on noisy pairs (n = 12, d = 4)"),
             (Xs, Xs @ _rotation(rng, 5) + 0.5 * rng.standard_normal((5, 5)), "on n = d = 5 pairs")]

    def body():
        for XX, YY, case in cases:
            U, _, Vt = np.linalg.svd(XX.T @ YY)
            mistakes = {"transpose the map (V U^T instead of U V^T)": Vt.T @ U.T,
                        "solve unconstrained least squares (the best linear map, not a rotation)":
                            np.linalg.lstsq(XX, YY, rcond=None)[0],
                        "keep the singular values (X^T Y itself is not a rotation)": XX.T @ YY}
            W = call(student, XX.copy(), YY.copy())
            compare("W", W, procrustes(XX, YY), case, atol=1e-7, mistakes=mistakes)
    return run_checker("procrustes", body, quiet)
