"""The training loop, one for every objective: it knows nothing of any model or loss.

    history = fit(model, objective, batches, steps=500, lr=1e-3)

- `model`      the nn.Module being trained (a SentenceEncoder, a bare TransformerEncoder, ...)
- `objective`  a callable  objective(model, batch) -> (loss tensor, {"name": float, ...});
               when it is an nn.Module its own parameters (an MLM head, a temperature) train too
- `batches`    any iterable of batches (dicts / Batch / tensors, moved to the device here);
               it is re-started when it runs out, so `steps` alone decides how long training is

Each step: forward -> loss -> backward -> clip the gradient norm -> AdamW step with the learning
rate of a linear warm-up followed by a cosine decay. The returned `history` dict holds one entry
per step ("step", "loss", "lr", "grad_norm", "time_s" and every metric) for plotting.

Budgets are step counts, not minutes, so a run is reproducible: on the CPU, the same seed gives
the same weights. (GPUs may differ in the last bits.) Checkpoints and resuming: `checkpoint.py`.
"""
from __future__ import annotations

import math
import random
import time
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import torch
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel

from .. import threads
from ..device import get_device
from ..progress import tqdm
from ..text.tokenize import Batch
from . import distributed, gradcache
from .checkpoint import CHECKPOINT_FILE, resume_run, save_checkpoint

def lr_at(progress: float, peak: float, warmup: float = 0.05, min_ratio: float = 0.1) -> float:
    """Learning rate at `progress` in [0, 1] of the run: a linear warm-up from 0 to `peak` over the first
    `warmup` fraction, then a cosine decay down to min_ratio * peak at the end."""
    if progress < warmup:
        return peak * progress / warmup
    rest = min(1.0, (progress - warmup) / max(1e-12, 1 - warmup))
    return peak * (min_ratio + (1 - min_ratio) * 0.5 * (1 + math.cos(math.pi * rest)))


def to_device(batch, device):
    """Move a batch (tensor, Batch, dict / list / tuple of them) to `device`; other values pass through."""
    if isinstance(batch, (torch.Tensor, Batch)):
        return batch.to(device)
    if isinstance(batch, dict):
        return {k: to_device(v, device) for k, v in batch.items()}
    if isinstance(batch, (list, tuple)):
        return type(batch)(to_device(v, device) for v in batch)
    return batch


def _parameter_groups(modules, weight_decay: float) -> list[dict]:
    """Decay matrices (dim >= 2), not biases / LayerNorm gains; each shared parameter counted once."""
    seen, decay, no_decay = set(), [], []
    for m in modules:
        if not isinstance(m, nn.Module):
            continue
        for p in m.parameters():
            if p.requires_grad and id(p) not in seen:
                seen.add(id(p))
                (decay if p.dim() >= 2 else no_decay).append(p)
    if not decay and not no_decay:
        raise ValueError("nothing to train: neither the model nor the objective has trainable parameters")
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def _forever(batches: Iterable):
    while True:
        empty = True
        for b in batches:
            empty = False
            yield b
        if empty:
            raise ValueError("the batches iterable is empty")


def _autocast_dtype(precision: str, dev: torch.device) -> torch.dtype | None:
    """The autocast dtype for `precision` on `dev`, or None for plain float32."""
    if precision not in ("auto", "fp32", "bf16", "fp16"):
        raise ValueError(f"precision must be 'auto', 'fp32', 'bf16' or 'fp16', got {precision!r}")
    if precision == "auto":
        if dev.type != "cuda":
            return None  # on the cpu autocast is slower than float32 for these small models
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if precision == "fp16" and dev.type != "cuda":
        raise ValueError(f"precision='fp16' needs a cuda device (got {dev.type}); use 'bf16' or 'fp32'")
    return {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}[precision]


def fit(model: nn.Module, objective: Callable, batches: Iterable, steps: int, *, lr: float = 1e-3,
        weight_decay: float = 0.01, warmup: int | float = 0.05, min_lr_ratio: float = 0.1, clip: float = 1.0,
        betas: tuple[float, float] = (0.9, 0.98), device=None, seed: int = 0, progress: bool = True,
        desc: str = "training", max_seconds: float | None = None,
        callback: Callable[[int, dict], None] | None = None, cpu_threads: int | None = 1,
        eval_fn: Callable[[nn.Module], dict] | None = None, eval_every: int | None = None,
        checkpoint_dir: str | Path | None = None, checkpoint_every: int | None = None, resume: bool = True,
        precision: str = "auto", grad_cache_chunk: int | None = None, compile: bool = False) -> dict:
    """Train `model` for `steps` optimizer steps; returns the history dict (lists, one entry per step).

    warmup: a fraction of the run when < 1, else a number of steps. clip: max gradient norm (None: none).
    max_seconds: stop after this much wall time, with the learning-rate schedule following the clock
    (for command-line use; a timed run is not reproducible).
    callback(step, history) is called after every step.
    cpu_threads: torch threads while training on the cpu (1: see `minisent.threads`; None: torch's setting).

    eval_fn(model) -> {"name": float}: called (in eval mode, without gradients) before the first step,
        every `eval_every` steps and after the last; each result goes into history["eval"] as
        {"step": s, "name": value, ...}. The progress bar shows the latest values beside the loss.
    checkpoint_dir, checkpoint_every: save model + objective + optimizer + step + history + every RNG
        state to checkpoint_dir/checkpoint.pt every `checkpoint_every` steps and after the last step.
        With resume=True, a checkpoint found there is loaded first and the run goes on from its step:
        on the cpu the weights end bit-for-bit as in a run that was never interrupted. For that,
        `batches` must restart the same stream each time it is iterated (MLMBatches, SentenceBatches
        ... do): the batches already used are drawn again and skipped.
    precision: "auto" (bf16 autocast on a cuda GPU that supports it, else fp16 with a GradScaler;
        fp32 on cpu and mps), or "fp32", "bf16", "fp16" (fp16 on cuda only).
    grad_cache_chunk: embed the batch in chunks of this many texts with gradient caching
        (`minisent.training.gradcache`: the same gradient, memory of one chunk); the objective needs texts / embed_texts / loss.
    compile: run the model through `torch.compile` (worth it on a GPU; the first steps are slow while it compiles).
    Under torchrun (`minisent.training.distributed`): the model is wrapped in DistributedDataParallel, each process
        trains on its slice of every batch (`distributed.shard`), and only rank 0 shows progress, evaluates
        and writes checkpoints.
    """
    dev = get_device(device)
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    for name, every in (("eval_every", eval_every), ("checkpoint_every", checkpoint_every),
                        ("grad_cache_chunk", grad_cache_chunk)):
        if every is not None and every < 1:
            raise ValueError(f"{name} must be >= 1 (or None), got {every}")
    if checkpoint_every is not None and checkpoint_dir is None:
        raise ValueError("checkpoint_every needs checkpoint_dir (where to write the checkpoints)")
    if grad_cache_chunk and not all(hasattr(objective, a) for a in ("texts", "embed_texts", "loss")):
        raise ValueError(f"grad_cache_chunk needs an objective with texts / embed_texts / loss (minisent.training.gradcache), "
                         f"not {type(objective).__name__}")
    multi = distributed.is_distributed()
    if multi and max_seconds is not None:
        raise ValueError("a time budget cannot split over processes (each has its own clock): give a step count")
    if multi and isinstance(objective, nn.Module) and any(True for _ in objective.parameters()):
        raise ValueError("distributed training needs an objective without parameters of its own (e.g. SimCSE)")
    main = distributed.is_main()  # rank 0 alone shows progress, evaluates and writes checkpoints
    progress, eval_fn = progress and main, eval_fn if main else None
    amp_dtype = _autocast_dtype(precision, dev)
    with threads.cpu_threads(cpu_threads, dev):
        # dropout masks (and whatever else an objective draws): the same seed, the same run; each process its own draws
        torch.manual_seed(seed + distributed.rank())
        np.random.seed(seed)
        random.seed(seed)
        model.to(dev).train()
        if isinstance(objective, nn.Module):
            objective.to(dev).train()
        optimizer = torch.optim.AdamW(_parameter_groups([model, objective], weight_decay), lr=lr, betas=betas)
        # float16 has a narrow range: scale the loss up so small gradients do not flush to zero (bfloat16 needs none)
        scaler = torch.amp.GradScaler(dev.type) if amp_dtype == torch.float16 else None
        warmup_frac = warmup if warmup < 1 else warmup / steps
        params = [p for g in optimizer.param_groups for p in g["params"]]
        train_model = model  # what the objective calls: the model, inside DDP and/or compiled
        if multi:  # rank 0's weights are copied to every rank; gradients are averaged over ranks in backward
            train_model = DistributedDataParallel(model, device_ids=[dev.index] if dev.type == "cuda" else None,
                                                  forward_sync_buffers=False)  # buffers are constants
        if compile:
            train_model = torch.compile(train_model)

        def autocast():  # the forward passes in amp_dtype where it is safe (the losses compute in float32)
            return torch.autocast(dev.type, dtype=amp_dtype, enabled=amp_dtype is not None)

        def backward(loss):
            (loss if scaler is None else scaler.scale(loss)).backward()

        history: dict[str, list] = {"step": [], "loss": [], "lr": [], "grad_norm": [], "time_s": []}
        if eval_fn is not None:
            history["eval"] = []
        start, t_before = 0, 0.0
        ckpt = Path(checkpoint_dir) / CHECKPOINT_FILE if checkpoint_dir is not None else None
        if ckpt is not None and resume and ckpt.exists():
            history, start = resume_run(ckpt, steps, model, objective, optimizer, scaler, dev)
            t_before = history["time_s"][-1] if history["time_s"] else 0.0

        def evaluate(step: int) -> None:
            model.eval()
            with torch.no_grad():
                result = eval_fn(model)
            model.train()
            history["eval"].append({"step": step, **{k: float(v) for k, v in result.items()}})

        bar = tqdm(total=steps if max_seconds is None else None, initial=start, desc=desc, disable=not progress,
                   mininterval=3.0)
        smooth, t0 = None, time.perf_counter() - t_before
        stream = _forever(batches)
        for _ in range(start):  # resuming: the same stream, past the batches already trained on
            next(stream)
        if eval_fn is not None and start == 0:
            evaluate(0)  # where the run starts from
        for step in range(start, steps):
            # progress through the run: by steps, or by the clock when a time budget runs out first
            progress_frac = (step + 1) / steps
            if max_seconds is not None:
                progress_frac = max(progress_frac, (time.perf_counter() - t0) / max_seconds)
            rate = lr_at(progress_frac, lr, warmup_frac, min_lr_ratio)
            for g in optimizer.param_groups:
                g["lr"] = rate
            batch = to_device(distributed.shard(next(stream)), dev)  # this process's rows of the batch
            optimizer.zero_grad(set_to_none=True)
            if grad_cache_chunk:  # forward and backward chunk by chunk (minisent.training.gradcache)
                loss, metrics = gradcache.cached_step(train_model, objective, batch, grad_cache_chunk,
                                                      backward=backward, autocast=autocast, by_length=True)
            else:
                with autocast():
                    loss, metrics = objective(train_model, batch)
                backward(loss)
            if not torch.isfinite(loss):
                bar.close()
                raise FloatingPointError(f"loss became {loss.item()} at step {step}: lower the learning rate")
            if scaler is None:
                norm = torch.nn.utils.clip_grad_norm_(params, clip if clip else float("inf"))
                optimizer.step()
            else:
                scaler.unscale_(optimizer)  # true gradients, so that clipping sees their real norm
                norm = torch.nn.utils.clip_grad_norm_(params, clip if clip else float("inf"))
                scaler.step(optimizer)  # skipped when a gradient overflowed; the scale then shrinks
                scaler.update()

            value = loss.item()
            smooth = value if smooth is None else 0.95 * smooth + 0.05 * value
            history["step"].append(step + 1)
            history["loss"].append(value)
            history["lr"].append(rate)
            history["grad_norm"].append(float(norm))
            history["time_s"].append(time.perf_counter() - t0)
            for k, v in (metrics or {}).items():
                history.setdefault(k, []).append(float(v))
            done = step + 1 == steps or (max_seconds is not None and history["time_s"][-1] > max_seconds)
            if eval_fn is not None and (done or (eval_every and (step + 1) % eval_every == 0)):
                evaluate(step + 1)
            bar.update(1)
            if step % 10 == 0 or done or (eval_fn is not None and history["eval"][-1]["step"] == step + 1):
                shown = ({k: f"{v:.3g}" for k, v in list(history["eval"][-1].items())[1:3]}
                         if history.get("eval") else {})
                bar.set_postfix(loss=f"{smooth:.3f}", **shown, refresh=False)  # at the next (rate-limited) refresh
            if main and ckpt is not None and (done or (checkpoint_every and (step + 1) % checkpoint_every == 0)):
                save_checkpoint(ckpt, step + 1, steps, model, objective, optimizer, scaler, history)
            if callback is not None:
                callback(step + 1, history)
            if done:
                break
        bar.close()
        model.eval()
        return history


def recent_loss(history: dict, steps: int = 20) -> float:
    """Mean training loss of the last `steps` steps: what the command-line summaries print."""
    tail = history["loss"][-steps:]
    return sum(tail) / len(tail)

