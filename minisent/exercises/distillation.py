"""Lesson 12: the distillation loss, checked against minisent.training.distill.mse_loss (values and gradients).

    def my_distill_mse(student, teacher):
        # student, teacher: (B, D) sentence vectors -> 1/(B D) sum_i ||student_i - teacher_i||^2 (a scalar tensor)
    check_distill_mse(my_distill_mse)
"""
from __future__ import annotations

import torch

from ..training.distill import mse_loss
from ._check import call, compare, compare_gradients, run_checker


def check_distill_mse(student_fn, quiet: bool = False) -> str:
    """Values on a batch, on a batch of one, with the student already equal to the teacher; gradients."""
    g = torch.Generator().manual_seed(0)
    s, t = torch.randn(6, 5, generator=g, dtype=torch.float64), torch.randn(6, 5, generator=g, dtype=torch.float64)
    cases = [(s, t, "on a batch of 6 vectors of 5 dimensions"), (s[:1], t[:1], "on a batch of one"),
             (3 * s, t, "with a student three times too long"), (t, t, "with the student equal to the teacher")]

    def body():
        for ss, tt, case in cases:
            diff = ss - tt
            compare("the distillation loss", call(student_fn, ss.clone(), tt.clone()), mse_loss(ss, tt), case,
                    atol=1e-9, mistakes={
                        "sum instead of averaging": (diff ** 2).sum(),
                        "divide by the batch size B only (that is the mean squared distance per sentence)":
                            (diff ** 2).sum(1).mean(),
                        "forget to square the differences (that is the L1 loss)": diff.abs().mean(),
                        "use 1 - cosine instead of the squared error":
                            (1 - torch.nn.functional.cosine_similarity(ss, tt, dim=1)).mean()})
        compare_gradients("the distillation loss", lambda a, b: call(student_fn, a, b), mse_loss,
                          {"student": s, "teacher": t}, "on a batch of 6")
    return run_checker("distill_mse", body, quiet)
