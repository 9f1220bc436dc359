"""Distillation: a small student learns to put each sentence where a teacher puts it.

Reimers & Gurevych (2020) train a student encoder s(.) to reproduce a teacher t(.) with the mean
squared error between their sentence vectors, over a batch of B sentences with D dimensions:

    L = 1/(B D) sum_i || s(x_i) - t(x_i) ||^2

The teacher is anything with `encode(sentences) -> (n, D)` (the published MiniLM of lesson 13, or
the course's own best encoder in lesson 12): its vectors are computed once, cached in data/cache/
as .npy, and become fixed regression targets. No labels are needed, only sentences.

When the student is narrower than the teacher (128 vs 384 dimensions), the targets are first
projected onto the teacher's top principal directions (`pca_targets`): the best rank-d linear copy
of the teacher's inner products, so cosines between targets stay close to the teacher's.

    teacher = load_model("minilm")
    T = teacher_embeddings(teacher, "minilm", sentences)          # (n, 384), cached
    targets, _ = pca_targets(T, student.dim)                     # (n, 128)
    history = distill(student, sentences, targets, steps=300)     # the course's fit loop
"""
from __future__ import annotations

import hashlib
import os
from typing import Sequence

import numpy as np
import torch

DISTILL_CACHE_VERSION = 1


# ---------------------------------------------------------------------------------- the loss
def mse_loss(student: torch.Tensor, teacher: torch.Tensor) -> torch.Tensor:
    """(B, D), (B, D) -> scalar: the mean over every entry of (student - teacher)^2 (= F.mse_loss)."""
    if student.shape != teacher.shape:
        raise ValueError(f"student vectors {tuple(student.shape)} and teacher vectors {tuple(teacher.shape)} "
                         f"must have the same shape (project the teacher's with pca_targets)")
    return ((student - teacher) ** 2).mean()


class Distillation:
    """objective(model, sentences) -> (MSE to the teachers' vectors, metrics), for `train.fit`.

    `targets[i]` is the teacher's vector of `sentences[i]`; a batch is a list of those sentences.
    """

    def __init__(self, sentences: Sequence[str], targets: np.ndarray | torch.Tensor, max_length: int = 64):
        targets = torch.as_tensor(np.asarray(targets, dtype=np.float32))
        if targets.ndim != 2 or len(targets) != len(sentences):
            raise ValueError(f"targets must be (n, D) with n = {len(sentences)} sentences, got {tuple(targets.shape)}")
        self.row = {s: i for i, s in enumerate(sentences)}
        self.targets = targets  # (n, D)
        self.max_length = max_length

    def __call__(self, model, batch: list[str]) -> tuple[torch.Tensor, dict]:
        from .simcse import embed

        z = embed(model, batch, self.max_length)  # (B, d), differentiable
        t = self.targets[[self.row[s] for s in batch]].to(z.device)  # (B, D)
        loss = mse_loss(z, t)
        with torch.no_grad():
            cos = torch.nn.functional.cosine_similarity(z, t, dim=-1).mean().item()
        return loss, {"cos_to_teacher": cos}


# ---------------------------------------------------------------------------- the targets
def corpus_key(sentences: Sequence[str]) -> str:
    """A short fingerprint of a list of sentences (their order included): the cache key of their vectors."""
    h = hashlib.sha1()
    for s in sentences:
        h.update(s.encode("utf-8") + b"\n")
    return h.hexdigest()[:12]


def teacher_embeddings(teacher, name: str, sentences: Sequence[str], *, batch_size: int = 64,
                       cache: bool = True, show_progress: bool | None = None) -> np.ndarray:
    """teacher.encode(sentences) as float32 (n, D), cached as data/cache/distill/<name>_<corpus key>.npy.

    The key is the teacher's name plus a fingerprint of the sentences, so another corpus (or another
    corpus version) never reads stale vectors. The .npy is read with allow_pickle=False.
    """
    from .. import data

    sentences = list(sentences)
    if not name or any(c in name for c in "/\\ "):
        raise ValueError(f"teacher name {name!r} must be a non-empty word (it names a cache file)")
    path = data.CACHE_DIR / "distill" / f"{name}_v{DISTILL_CACHE_VERSION}_{corpus_key(sentences)}.npy"
    if cache and path.exists():
        try:
            X = np.load(path, allow_pickle=False)
            if X.shape[0] == len(sentences):
                return X
        except (OSError, ValueError):
            pass  # damaged: encode again
    X = np.asarray(teacher.encode(sentences, batch_size=batch_size, show_progress=show_progress), dtype=np.float32)
    if cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.stem}.tmp{os.getpid()}.npy")
        np.save(tmp, X, allow_pickle=False)
        tmp.replace(path)  # atomic: a crash never leaves half a file
    return X


def pca_targets(X: np.ndarray, d: int) -> tuple[np.ndarray, np.ndarray]:
    """(n, D) teacher vectors -> ((n, d) targets, (D, d) projection P), targets = X P.

    P holds the top-d right singular vectors of X (not centered): X P P^T is the best rank-d copy
    of X, so (X P)(X P)^T is the best rank-d copy of the teacher's inner products X X^T.
    """
    X = np.asarray(X, dtype=np.float32)
    if not 1 <= d <= X.shape[1]:
        raise ValueError(f"d must be between 1 and the teacher's width {X.shape[1]}, got {d}")
    if d == X.shape[1]:
        return X, np.eye(d, dtype=np.float32)
    _, _, Vt = np.linalg.svd(X.astype(np.float64), full_matrices=False)  # Vt: (D, D), rows by singular value
    P = Vt[:d].T.astype(np.float32)  # (D, d)
    return X @ P, P


# ---------------------------------------------------------------------------------- training
def distill(student, sentences: Sequence[str], targets: np.ndarray, *, steps: int = 300, batch_size: int = 64,
            lr: float = 5e-4, max_length: int = 64, seed: int = 0, device=None, progress: bool = True,
            eval_fn=None, eval_every: int | None = None) -> dict:
    """Train `student` (a SentenceEncoder, in place) so that student.encode(s) ~ targets of s. -> fit's history."""
    from .simcse import SentenceBatches
    from .train import fit

    sentences = list(sentences)
    if student.dim != np.shape(targets)[1]:
        raise ValueError(f"the student's vectors have {student.dim} dimensions, the targets {np.shape(targets)[1]}: "
                         f"use pca_targets(targets, {student.dim})")
    objective = Distillation(sentences, targets, max_length)
    batches = SentenceBatches(sentences, batch_size, seed=seed)
    history = fit(student, objective, batches, steps, lr=lr, seed=seed, device=device, progress=progress,
                  desc="distillation", eval_fn=eval_fn, eval_every=eval_every)
    history["config"] = {"steps": steps, "batch_size": batch_size, "lr": lr, "max_length": max_length,
                         "seed": seed, "n_sentences": len(sentences)}
    return history
