"""`python -m minisent train simcse|simcse-sup`, and the GPU recipe (`MINISENT_FULL=1`)."""
from __future__ import annotations

import os
import time
from dataclasses import replace
from pathlib import Path

from .. import data
from ..device import get_device
from ..evaluation.tasks import sts_eval_fn
from ..nn.encoder import SentenceEncoder
from ..nn.transformer import TransformerConfig
from ..text.tokenize import corpus_bpe
from .cache import save_with_history
from .distributed import is_main, main_process_first
from .loop import recent_loss
from .simcse import (DEFAULT_CONFIG, DEFAULT_SUP_CONFIG, SimCSEConfig, pretrained_simcse, train_simcse,
                     train_simcse_sup)
from .simcse_data import nli_training_triplets, unsup_sentences
from .start import start_encoder, word2vec_init_, word_tokenizer


# ------------------------------------------------------------------------- the GPU recipe
# For readers with a GPU (`MINISENT_FULL=1 python -m minisent train simcse ...`, alone or under torchrun): a tiny
# model 2x wider and 2x deeper than the course's, batch 512, on SimCSE's one-million-sentence Wikipedia file when
# it was downloaded (`python -m minisent download wiki1m`), else the offline corpus. Not tuned and not timed here
# (no GPU was available while writing it): a starting point, README "Scaling up" says what to expect.
GPU_MODEL = dict(d_model=256, n_heads=4, n_layers=4, d_ff=1024, max_len=128)
GPU_CONFIG = replace(DEFAULT_CONFIG, steps=2000, batch_size=512)  # 2000 x 512 = about one pass over wiki1m


def gpu_sentences(min_words: int = 4) -> list[str]:
    """wiki1m (one sentence a line) when downloaded, else `unsup_sentences()`."""
    path = data.path_of("wiki1m")
    if not path.exists():
        return unsup_sentences(min_words)
    with open(path, encoding="utf-8") as f:
        return [line.strip() for line in f if len(line.split()) >= min_words]


def gpu_encoder(config: SimCSEConfig = GPU_CONFIG, device=None, progress: bool = True) -> SentenceEncoder:
    """The GPU recipe's starting point: a GPU_MODEL-sized encoder with the course's tokenizer (and word2vec start)."""
    tok = corpus_bpe(progress=progress) if config.tokenizer == "bpe" else word_tokenizer()
    enc = SentenceEncoder.create(tok, TransformerConfig(**GPU_MODEL, dropout=config.dropout), pooling="mean",
                                 seed=config.seed)
    if config.start == "word2vec":
        from ..wordvec import train_vectors  # lazy: gensim takes seconds to import

        word2vec_init_(enc, train_vectors("skipgram", progress=progress))
    return enc.to(get_device(device))


# ------------------------------------------------------------------------------ command line
def _cli(kind: str, out, minutes, steps, device, seed, **fit_options) -> tuple[SentenceEncoder, dict]:
    """fit_options: grad_cache_chunk, precision, compile (see train.fit). MINISENT_FULL=1: the GPU recipe (simcse)."""
    full = kind == "simcse" and os.environ.get("MINISENT_FULL") == "1"
    default = GPU_CONFIG if full else DEFAULT_CONFIG if kind == "simcse" else DEFAULT_SUP_CONFIG
    if steps is None:
        steps = default.steps if minutes is None else 1_000_000
    cfg = replace(default, steps=steps, seed=seed)
    train = train_simcse if kind == "simcse" else train_simcse_sup
    with main_process_first():  # under torchrun: rank 0 builds any missing cache, the others then read it
        if full:
            fit_options.update(encoder=gpu_encoder(cfg, device), sentences=gpu_sentences())
        else:
            _build_caches(kind, cfg, device)
    t0 = time.perf_counter()
    encoder, history = train(cfg, device=device, eval_fn=sts_eval_fn(align_uniform=False),
                             max_seconds=None if minutes is None else 60.0 * minutes, **fit_options)
    if not is_main():  # under torchrun, rank 0 alone reports and saves
        return encoder, history
    path = save_with_history(encoder, history, out)
    first, last = history["eval"][0], history["eval"][-1]
    print(f"{kind}: {len(history['loss'])} steps in {time.perf_counter() - t0:.0f} s (start: {cfg.start}); "
          f"train loss (last 20 steps) {recent_loss(history):.3f}")
    print(f"mini-STS {first['mini-STS']:.2f} -> {last['mini-STS']:.2f}; Lee {first['Lee']:.2f} -> {last['Lee']:.2f} "
          f"(Spearman x 100, before -> after)")
    print(f"saved to {path}")
    return encoder, history


def _build_caches(kind: str, cfg: SimCSEConfig, device) -> None:
    """Build (or read) everything a SimCSE run reads from data/cache/: its start encoder and its data."""
    if cfg.start == "simcse":
        pretrained_simcse(device=device)
    else:
        start_encoder(cfg.start, tokenizer=cfg.tokenizer, device=device)
    unsup_sentences() if kind == "simcse" else nli_training_triplets()


def train_simcse_cli(out: str | Path, minutes: float | None = None, steps: int | None = None, device=None,
                     seed: int = 0, **fit_options) -> tuple[SentenceEncoder, dict]:
    """`python -m minisent train simcse --out DIR [--minutes M] [--steps N] [--device D] [--seed S]
    [--grad-cache-chunk C] [--precision P] [--compile]`, also under `torchrun --nproc_per_node=N`.

    The default recipe (DEFAULT_CONFIG.steps steps, or as many as fit in --minutes, the learning rate following
    the clock); prints mini-STS and Lee before and after and saves the encoder (+ history.json) to `out`,
    which `minisent.load(out)` and `python -m minisent eval --model out` read.
    """
    return _cli("simcse", out, minutes, steps, device, seed, **fit_options)


def train_simcse_sup_cli(out: str | Path, minutes: float | None = None, steps: int | None = None, device=None,
                         seed: int = 0, **fit_options) -> tuple[SentenceEncoder, dict]:
    """`python -m minisent train simcse-sup --out DIR [...]`: supervised SimCSE from `pretrained_simcse()`."""
    return _cli("simcse-sup", out, minutes, steps, device, seed, **fit_options)
