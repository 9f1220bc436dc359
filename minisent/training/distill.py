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

Lesson 12 distils for *cost*: the course's own `simcse` teaches a smaller Transformer (fewer layers,
narrower; `smaller_student` starts it from every other teacher layer where the shapes allow) and a static
table of token vectors (`minisent.training.static`). Both are built-in models, trained once and cached:

    student = pretrained_student()          # "simcse-small": 1 layer, d = 128, MSE to simcse's vectors
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import replace
from typing import Sequence

import numpy as np
import torch

from .. import data
from ..nn.encoder import SentenceEncoder
from ..nn.transformer import TransformerEncoder
from ..threads import encoding_threads
from .cache import cache_dir, cached_encoder
from .contrastive import embed
from .loop import fit
from .recipes import DEFAULT_CONFIG, DEFAULT_STUDENT_CONFIG, StudentConfig, resolve
from .simcse import pretrained_simcse
from .simcse_data import SentenceBatches, unsup_sentences

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
        z = embed(model, batch, self.max_length)  # (B, d), differentiable
        t = self.targets[[self.row[s] for s in batch]].to(z.device)  # (B, D)
        loss = mse_loss(z, t)
        with torch.no_grad():
            cos = torch.nn.functional.cosine_similarity(z, t, dim=-1).mean().item()
        return loss, {"cos_to_teacher": cos}


# ---------------------------------------------------------------------------- the targets
def teacher_embeddings(teacher, name: str, sentences: Sequence[str], *,
                       show_progress: bool | None = None) -> np.ndarray:
    """teacher.encode(sentences) as float32 (n, D), cached as data/cache/distill/<name>_<corpus key>.npy.

    The key is the teacher's name plus a fingerprint of the sentences, so another corpus (or another
    corpus version) never reads stale vectors.
    """
    sentences = list(sentences)
    if not name or any(c in name for c in "/\\ "):
        raise ValueError(f"teacher name {name!r} must be a non-empty word (it names a cache file)")
    key = hashlib.sha1("".join(s + "\n" for s in sentences).encode("utf-8")).hexdigest()[:12]  # order included
    path = data.CACHE_DIR / "distill" / f"{name}_v{DISTILL_CACHE_VERSION}_{key}.npy"
    if path.exists():
        try:
            X = np.load(path, allow_pickle=False)
            if X.shape[0] == len(sentences):
                return X
        except (OSError, ValueError):
            pass  # damaged: encode again
    X = np.asarray(teacher.encode(sentences, batch_size=64, show_progress=show_progress), dtype=np.float32)
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


# ------------------------------------------------------------------- a smaller student (lesson 12)
def teacher_layers(n_teacher: int, n_student: int) -> list[int]:
    """Which teacher layer starts each student layer: every other one, evenly spread (DistilBERT keeps one
    layer of two). 12 -> 6: [0, 2, 4, 6, 8, 10]; 2 -> 1: [0]; 6 -> 3: [0, 2, 4]."""
    if not 1 <= n_student <= n_teacher:
        raise ValueError(f"a student has between 1 and {n_teacher} layers (the teacher's), got {n_student}")
    return [i * n_teacher // n_student for i in range(n_student)]


def smaller_student(teacher, n_layers: int, d_model: int | None = None, n_heads: int | None = None,
                    directions: np.ndarray | None = None, seed: int = 0):
    """A SentenceEncoder with the teacher's tokenizer and pooling, `n_layers` layers of width `d_model`.

    Same width: the token and position embeddings, the final LayerNorm and layer `teacher_layers(...)[i]` of the
    teacher are copied into student layer i (the student starts as the teacher with layers left out).
    Narrower: the blocks cannot be copied (their matrices are d x d); the embedding tables are projected onto
    `directions` (D, d) (e.g. the P of `pca_targets`, so the student starts in the space of its targets), the
    blocks start random.
    """
    tc = teacher.backbone.config
    d = d_model or tc.d_model
    layers = teacher_layers(tc.n_layers, n_layers)
    if d > tc.d_model:
        raise ValueError(f"a student is not wider than its teacher ({tc.d_model}), got d_model={d}")
    cfg = replace(tc, n_layers=n_layers, d_model=d, d_ff=tc.d_ff if d == tc.d_model else 4 * d,
                  n_heads=n_heads or tc.n_heads)
    torch.manual_seed(seed)
    student = SentenceEncoder(teacher.tokenizer, TransformerEncoder(cfg), teacher.pooling.name,
                              max_length=teacher.max_length).to(teacher.device)
    if hasattr(teacher.pooling, "token_weights"):
        student.pooling.token_weights.copy_(teacher.pooling.token_weights)
    s, t = student.backbone, teacher.backbone
    with torch.no_grad():
        if d == tc.d_model:
            s.tok_emb.load_state_dict(t.tok_emb.state_dict())
            if tc.positions == "learned":
                s.pos_emb.load_state_dict(t.pos_emb.state_dict())
            s.ln_f.load_state_dict(t.ln_f.state_dict())
            for mine, theirs in zip(s.blocks, layers):
                mine.load_state_dict(t.blocks[theirs].state_dict())
        else:
            if directions is None or np.shape(directions) != (tc.d_model, d):
                raise ValueError(f"a narrower student needs directions of shape ({tc.d_model}, {d}), "
                                 f"e.g. the P of pca_targets")
            P = torch.as_tensor(np.asarray(directions), dtype=s.tok_emb.weight.dtype, device=s.tok_emb.weight.device)
            s.tok_emb.weight.copy_(t.tok_emb.weight @ P)  # (V, D) @ (D, d) -> (V, d)
            if tc.positions == "learned":
                s.pos_emb.weight.copy_(t.pos_emb.weight @ P)
    return student


# ------------------------------------------------------------------ the course's students, cached
STUDENT_CACHE_VERSION = 1


def student_cache_dir(kind: str, recipe: dict | None = None):
    """data/cache/<kind>_student_<hash>: the hash covers the teacher's recipe and the student's (default
    DEFAULT_STUDENT_CONFIG), so a changed default never reads a stale student."""
    return cache_dir(f"{kind}_student", STUDENT_CACHE_VERSION, kind, DEFAULT_CONFIG.to_dict(),
                     recipe or DEFAULT_STUDENT_CONFIG.to_dict())


def train_student(config: StudentConfig | None = None, *, device=None, progress: bool = True, **overrides):
    """A `smaller_student` of the course's `simcse` trained with MSE on its vectors.

    config: a StudentConfig (default DEFAULT_STUDENT_CONFIG); keywords naming its fields override it
        (train_student(d_model=256)). -> (student, history). The teacher's vectors of a seeded sample of
    config.n_sentences sentences of SimCSE's training corpus are projected to the student's width with
    `pca_targets`, and the student's embeddings start from the same projection.
    """
    cfg, _ = resolve(config, DEFAULT_STUDENT_CONFIG, overrides)
    teacher = pretrained_simcse(device=device, progress=progress)
    corpus = unsup_sentences()
    rows = np.random.default_rng(cfg.seed).choice(len(corpus), min(cfg.n_sentences, len(corpus)), replace=False)
    sentences = [corpus[i] for i in sorted(rows)]
    name = "simcse_" + hashlib.sha1(json.dumps(DEFAULT_CONFIG.to_dict(), sort_keys=True).encode()).hexdigest()[:8]
    T = teacher_embeddings(teacher, name, sentences, show_progress=progress)  # (n, D)
    targets, P = pca_targets(T, cfg.d_model)  # (n, d), (D, d)
    student = smaller_student(teacher, cfg.n_layers, cfg.d_model, cfg.n_heads, directions=P, seed=cfg.seed)
    history = distill(student, sentences, targets, steps=cfg.steps, batch_size=cfg.batch_size, lr=cfg.lr,
                      max_length=cfg.max_length, seed=cfg.seed, device=device, progress=progress)
    return student.eval(), history


def pretrained_student(device=None, progress: bool = True):
    """The built-in `simcse-small`: DEFAULT_STUDENT_CONFIG distilled from `simcse`, trained on first use, cached."""
    return cached_encoder(student_cache_dir("small"), lambda: train_student(device=device, progress=progress), device)


class CPUTimed:
    """An encoder wrapped so that its encode() also adds up the sentences and the CPU-seconds of this process
    (`time.process_time`) it took: the speed of encoding a lesson does anyway, without a second pass to time.

        timed = CPUTimed(model); evaluate.triplet_correct(timed, triplets); timed.speed   # sentences / CPU-s
    """

    def __init__(self, model):
        self.model, self.sentences, self.cpu_s = model, 0, 0.0

    def encode(self, sentences, *args, **kwargs):
        start = time.process_time()
        with encoding_threads(1):   # a CPU-second is then a second of one core, for every model alike
            out = self.model.encode(sentences, *args, **kwargs)
        self.cpu_s += time.process_time() - start
        self.sentences += len(sentences)
        return out

    @property
    def speed(self) -> float:
        return self.sentences / max(self.cpu_s, 1e-9)


def encode_speed(model, sentences: Sequence[str], batch_size: int = 64) -> float:
    """Sentences encoded per CPU-second of this process (`time.process_time`, after a warm-up batch).

    CPU time, not wall time: on a shared machine the wall clock mostly measures the other jobs."""
    sentences = list(sentences)
    model.encode(sentences[:batch_size], batch_size=batch_size)  # warm-up: first-call allocations, caches
    timed = CPUTimed(model)
    timed.encode(sentences, batch_size=batch_size)
    return timed.speed
