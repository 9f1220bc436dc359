"""`python -m minisent train simcse|simcse-sup`, and the GPU recipe (`MINISENT_FULL=1`)."""
from __future__ import annotations

import os
import time
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
from .recipes import DEFAULT_CONFIG, DEFAULT_SUP_CONFIG, GPU_CONFIG, SimCSEConfig
from .simcse import pretrained_simcse, train_simcse, train_simcse_sup
from .simcse_data import nli_training_triplets, unsup_sentences
from .start import start_encoder, word2vec_init_, word_tokenizer


# ------------------------------------------------------------------------- the GPU recipe
# For readers with a GPU (`MINISENT_FULL=1 python -m minisent train simcse ...`, alone or under torchrun): a tiny
# model 2x wider and 2x deeper than the course's, batch 512, on SimCSE's one-million-sentence Wikipedia file when
# it was downloaded (`python -m minisent download wiki1m`), else the offline corpus. Not tuned and not timed here
# (no GPU was available while writing it): a starting point, README "Scaling up" says what to expect.
GPU_MODEL = dict(d_model=256, n_heads=4, n_layers=4, d_ff=1024, max_len=128)  # the recipe: recipes.GPU_CONFIG


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
def train_simcse_cli(out: str | Path, config: SimCSEConfig = DEFAULT_CONFIG, *, minutes: float | None = None,
                     device=None, supervised: bool = False, **fit_options) -> tuple[SentenceEncoder, dict]:
    """`python -m minisent train simcse|simcse-sup --out DIR [--steps N] [--temperature T] ... [--minutes M]
    [--device D] [--grad-cache-chunk C] [--precision P] [--compile]`, also under `torchrun --nproc_per_node=N`.

    Trains `config` (unsupervised, or supervised on NLI triplets; for at most `minutes` when given, the learning
    rate following the clock), prints mini-STS and Lee before and after and saves the encoder (+ history.json) to
    `out`, which `minisent.load(out)` and `python -m minisent eval --model out` read. fit_options: grad_cache_chunk,
    precision, compile (see loop.fit). MINISENT_FULL=1 (unsupervised): GPU_MODEL on wiki1m (`gpu_sentences`).
    """
    full = not supervised and os.environ.get("MINISENT_FULL") == "1"
    with main_process_first():  # under torchrun: rank 0 builds any missing cache, the others then read it
        if full:
            fit_options.update(encoder=gpu_encoder(config, device), sentences=gpu_sentences())
        else:
            _build_caches(supervised, config, device)
    t0 = time.perf_counter()
    train = train_simcse_sup if supervised else train_simcse
    encoder, history = train(config, device=device, eval_fn=sts_eval_fn(align_uniform=False),
                             max_seconds=None if minutes is None else 60.0 * minutes, **fit_options)
    if not is_main():  # under torchrun, rank 0 alone reports and saves
        return encoder, history
    path = save_with_history(encoder, history, out)
    first, last = history["eval"][0], history["eval"][-1]
    print(f"{'simcse-sup' if supervised else 'simcse'}: {len(history['loss'])} steps in "
          f"{time.perf_counter() - t0:.0f} s (start: {config.start}); train loss (last 20 steps) "
          f"{recent_loss(history):.3f}")
    print(f"mini-STS {first['mini-STS']:.2f} -> {last['mini-STS']:.2f}; Lee {first['Lee']:.2f} -> {last['Lee']:.2f} "
          f"(Spearman x 100, before -> after)")
    print(f"saved to {path}")
    return encoder, history


def train_simcse_sup_cli(out: str | Path, config: SimCSEConfig = DEFAULT_SUP_CONFIG, **options):
    """`python -m minisent train simcse-sup ...`: `train_simcse_cli` on NLI triplets, from `pretrained_simcse()`."""
    return train_simcse_cli(out, config, supervised=True, **options)


def _build_caches(supervised: bool, cfg: SimCSEConfig, device) -> None:
    """Build (or read) everything a SimCSE run reads from data/cache/: its start encoder and its data."""
    if cfg.start == "simcse":
        pretrained_simcse(device=device)
    else:
        start_encoder(cfg.start, tokenizer=cfg.tokenizer, device=device)
    nli_training_triplets() if supervised else unsup_sentences()
