"""The machinery every checker shares: run the student's function, compare, say ONE sentence.

    verdict = run_checker("cosine", body)   # body() raises Wrong("...") at the first problem
    -> "correct" | "not implemented yet" | one sentence saying what is wrong

A checker never raises because of the student's code: a stub that raises NotImplementedError (or
returns None) gives "not implemented yet", any other exception is reported in the sentence. The
verdict is printed ("check_cosine: correct") and returned, so `assert check_x(f) == "correct"`
works in a solutions notebook.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch

CORRECT = "correct"
NOT_IMPLEMENTED = "not implemented yet"


class Wrong(Exception):
    """Raised inside a checker with the one sentence to show the student."""


class _NotImplemented(Exception):
    pass


def run_checker(name: str, body: Callable[[], None], quiet: bool = False) -> str:
    """Run body(); turn what happened into one sentence, print it as "check_<name>: ..." and return it."""
    try:
        body()
        verdict = CORRECT
    except (NotImplementedError, _NotImplemented):
        verdict = NOT_IMPLEMENTED
    except Wrong as w:
        verdict = str(w)
    except Exception as e:  # the student's code crashed: say how, in one line
        first = str(e).strip().splitlines()[0] if str(e).strip() else ""
        verdict = f"your function raised {type(e).__name__}" + (f": {first}" if first else "") + "."
    if not quiet:
        print(f"check_{name}: {verdict}")
    return verdict


def call(fn: Callable, *args, **kwargs):
    """Call the student's function; None back means a stub that was never filled in."""
    out = fn(*args, **kwargs)
    if out is None:
        raise _NotImplemented
    return out


def to_numpy(x) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().double().numpy()
    return np.asarray(x, dtype=np.float64)


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def compare(what: str, got, expected, case: str = "", atol: float = 1e-5, rtol: float = 1e-4,
            mistakes: dict | None = None) -> None:
    """Raise Wrong naming the shape or the first index where `got` differs from `expected`.

    case: where it happened ("with padding", "on a batch of one" ...), appended to the sentence.
    mistakes: {"description of a typical mistake": what that mistake returns (or a list of such
    alternatives)}; if `got` matches one, the sentence says so ("... - that is what you get when you
    forget the mask").
    """
    where = f" {case}" if case else ""
    try:
        g = to_numpy(got)
    except (TypeError, ValueError):
        raise Wrong(f"{what}{where} should be a number or an array, got {type(got).__name__}.") from None
    e = to_numpy(expected)
    if g.shape != e.shape:
        raise Wrong(f"wrong shape of {what}{where}: expected {e.shape}, got {g.shape}.")
    close = np.isclose(g, e, atol=atol, rtol=rtol) | (np.isnan(g) & np.isnan(e))
    if close.all():
        return
    hint = ""
    for description, wrong in (mistakes or {}).items():
        alternatives = wrong if isinstance(wrong, list) else [wrong]
        if any(w.shape == g.shape and np.allclose(g, w, atol=atol, rtol=rtol, equal_nan=True)
               for w in map(to_numpy, alternatives)):
            hint = f" - that is what you get when you {description}"
            break
    if g.ndim == 0:
        raise Wrong(f"wrong value of {what}{where}: expected {_fmt(e)}, got {_fmt(g)}{hint}.")
    idx = tuple(int(i) for i in np.argwhere(~close)[0])
    index = idx[0] if len(idx) == 1 else idx
    raise Wrong(f"wrong value of {what}{where} at index {index}: expected {_fmt(e[idx])}, got {_fmt(g[idx])}{hint}.")


def compare_gradients(what: str, student_fn: Callable, reference_fn: Callable, inputs: dict, case: str = "",
                      seed: int = 0, mistakes: dict | None = None) -> None:
    """Backpropagate a random weighting of each output through both functions; compare d/d(input).

    inputs: {name: float64 tensor}; both functions are called with fresh leaf copies, in this order.
    """
    def grads(fn):
        leaves = {k: v.detach().clone().requires_grad_(v.is_floating_point()) for k, v in inputs.items()}
        out = fn(*leaves.values())
        out = out[0] if isinstance(out, (tuple, list)) else out
        return out, leaves

    ref_out, ref_leaves = grads(reference_fn)
    g = torch.Generator().manual_seed(seed)
    weights = torch.randn(ref_out.shape, generator=g, dtype=ref_out.dtype)
    (ref_out * weights).sum().backward()
    out, leaves = grads(student_fn)
    if not isinstance(out, torch.Tensor) or not out.requires_grad:
        raise Wrong(f"no gradient flows through {what}{' ' + case if case else ''}: stay in torch (no .detach(), "
                    f".item(), .numpy() or torch.no_grad()) so autograd can train through it.")
    (out * weights.to(out.dtype)).sum().backward()
    for name, leaf in leaves.items():
        if not leaf.is_floating_point():
            continue
        expected = ref_leaves[name].grad
        got = leaf.grad if leaf.grad is not None else torch.zeros_like(leaf)
        try:
            compare(f"the gradient of {what} with respect to {name}", got, expected, case, atol=1e-6, rtol=1e-4,
                    mistakes=mistakes)
        except Wrong as w:
            raise Wrong(str(w).replace("wrong value of the gradient", "wrong gradient")) from None
