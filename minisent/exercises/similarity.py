"""Lesson 00: cosine similarity and Spearman's rank correlation, checked against minisent.evaluation.evaluate.

    def my_cosine(a, b):        # a, b: (n, d) arrays -> (n,) row-wise cosine; a zero row gives 0
    def my_spearman(x, y):      # two sequences of n numbers -> Spearman x 100 (ties: average ranks)
    check_cosine(my_cosine); check_spearman(my_spearman)
"""
from __future__ import annotations

import numpy as np
from scipy.stats import pearsonr

from ..evaluation.evaluate import cosine, spearman
from ._check import Wrong, call, compare, run_checker


def check_cosine(student, quiet: bool = False) -> str:
    """Row-wise cosine on random rows, a batch of one, scaled copies, opposite rows and a zero row."""
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(6, 5)), rng.normal(size=(6, 5))
    a[1] = 3.0 * b[1]           # same direction, other length: cosine 1
    a[2] = -b[2]                # opposite: cosine -1
    zero_a, zero_b = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    zero_a[0] = 0.0             # a zero vector: cosine 0 by convention, not NaN

    def dot(x, y):
        return (x * y).sum(1)

    def body():
        for x, y, case in [(a, b, "on random rows"), (a[:1], b[:1], "on a batch of one"),
                           (zero_a, zero_b, "when one row is all zeros (the answer there is 0)")]:
            compare("the cosines", call(student, x.copy(), y.copy()), cosine(x, y), case,
                    mistakes={"return the dot product without dividing by the two lengths": dot(x, y),
                              "divide by the length of one vector only": dot(x, y) / np.maximum(np.linalg.norm(x, axis=1), 1e-300),
                              "return a distance 1 - cos instead of the cosine": 1 - cosine(x, y)})
    return run_checker("cosine", body, quiet)


def _average_ranks(x) -> np.ndarray:
    return np.argsort(np.argsort(x)).astype(float) + 1


def check_spearman(student, quiet: bool = False) -> str:
    """Spearman x 100 on random data, a perfect and a reversed order, data with ties, and two points."""
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=20), rng.normal(size=20)
    y_corr = x + 0.5 * rng.normal(size=20)
    x_ties = np.array([1, 2, 2, 3, 3, 3, 4, 5, 5, 6], dtype=float)
    y_ties = np.array([2, 1, 3, 3, 5, 4, 6, 6, 8, 7], dtype=float)

    def no_tie_formula(a, b):          # 1 - 6 sum d^2 / (n (n^2 - 1)) with ranks by position: exact only without ties
        d = _average_ranks(a) - _average_ranks(b)
        n = len(a)
        return 100 * (1 - 6 * (d ** 2).sum() / (n * (n * n - 1)))

    def body():
        cases = [(x, y_corr, "on correlated random data"), (x, y, "on independent random data"),
                 (x, 2 * x + 1, "on a perfect increasing relation"), (x, -x ** 3, "on a perfect decreasing relation"),
                 (x_ties, y_ties, "on data with ties (tied values share their average rank)"),
                 (np.array([1.0, 2.0]), np.array([3.0, 5.0]), "on two points")]
        for a, b, case in cases:
            expected = spearman(a, b)
            got = call(student, list(a), list(b))
            mistakes = {"return the correlation in [-1, 1]: minisent reports Spearman x 100": expected / 100,
                        "use Pearson on the raw values instead of on the ranks": 100 * pearsonr(a, b).statistic,
                        "use 1 - 6 sum d^2 / (n (n^2 - 1)), which is exact only when there are no ties":
                            no_tie_formula(a, b)}
            compare("Spearman's rho x 100", got, expected, case, atol=1e-6, mistakes=mistakes)
    return run_checker("spearman", body, quiet)
