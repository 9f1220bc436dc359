"""Deep Averaging Network (Iyyer et al., 2015), the cheap half of the Universal Sentence Encoder (Cer et al., 2018).

Average first, think after: no token ever looks at another, so word order is lost except inside bigrams.

    ids (B, T) --embedding--> (B, T, d) --SIF-weighted mean--> u (B, d)        the bag of tokens
    bigram ids (B, T-1) --hashed embedding--> (B, T-1, d) --mean--> b (B, d)    the bag of adjacent pairs
    x = u + b --> n_layers x [Dropout, Linear, tanh] --> (B, d_out)             depth after averaging

Compared with SIF averaging (lesson 02) a DAN only adds the feed-forward layers on top and learns its
vectors; compared with the Transformer (lesson 03) it has no attention, so it encodes in one pass of a few
small matrix products, whatever the length. It is trained here with the course's unsupervised SimCSE
objective (`simcse.UnsupervisedSimCSE`, batches from `simcse.SentenceBatches`, the loop `train.fit`):

    dan, history = train_dan(DANConfig(steps=100))
    dan.encode(["A man plays a guitar."])      # np.ndarray (1, d_out), the contract of `minisent.contract`
    dan.save("runs/dan");  minisent.training.dan.load("runs/dan")
    pretrained_dan()                           # the course default (DEFAULT_DAN_CONFIG), trained once, cached
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch
import torch.nn as nn

from ..contract import DEFAULT_BATCH_SIZE, encode_batches
from ..device import get_device
from ..inputs import check_sentences
from ..nn.encoder import (ModelFileError, _check_state, _first_line, read_config, read_tensors, read_tokenizer,
                          replace_folder)
from ..nn.pooling import mean_pool, sif_token_weights, weighted_mean_pool
from ..text.tokenize import SPECIAL_TOKENS, Tokenizer, corpus_bpe
from ..threads import cpu_threads
from .cache import load_or_train, save_with_history
from .loop import fit
from .recipes import DEFAULT_DAN_CONFIG, DANConfig, resolve
from .simcse import UnsupervisedSimCSE, _cache_dir
from .simcse_data import SentenceBatches, unsup_sentences

FORMAT = "minisent.DAN"
FORMAT_VERSION = 1
_PRIME = 1_000_003  # bigram (a, b) -> bucket (a * _PRIME + b) mod n_buckets


# the recipe, DANConfig, is in recipes.py beside the others; the fields that make the model (saved in config.json):
MODEL_FIELDS = ("d_model", "d_out", "n_layers", "bigram_buckets", "embedding_std", "bigram_std", "sif", "dropout",
                "max_length")


class DANEncoder(nn.Module):
    """tokenizer + embeddings + average + feed-forward layers. forward(inputs) -> (B, d_out), differentiable."""

    def __init__(self, tokenizer: Tokenizer, config: DANConfig | None = None):
        super().__init__()
        self.tokenizer = tokenizer
        self.config = c = config or DANConfig()
        V = tokenizer.vocab_size
        self.embedding = nn.Embedding(V, c.d_model, padding_idx=0)
        nn.init.normal_(self.embedding.weight, std=c.embedding_std)
        self.bigrams = nn.Embedding(c.bigram_buckets, c.d_model) if c.bigram_buckets else None
        if self.bigrams is not None:
            nn.init.normal_(self.bigrams.weight, std=c.bigram_std)
        with torch.no_grad():
            self.embedding.weight[0].zero_()  # [PAD]
        # one weight per token id for the unigram average: 1 until set (e.g. SIF weights); 0 for special tokens
        weights = torch.ones(V)
        weights[: len(SPECIAL_TOKENS)] = 0.0
        self.register_buffer("token_weights", weights)
        layers, width = [], c.d_model
        for _ in range(c.n_layers):
            layers += [nn.Dropout(c.dropout), nn.Linear(width, c.d_out), nn.Tanh()]
            width = c.d_out
        self.layers = nn.Sequential(*layers)
        self.dim = width  # width of the vectors `encode` returns

    @property
    def device(self) -> torch.device:
        return self.embedding.weight.device

    def average(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """ids, mask (B, T) -> x (B, d): the (SIF-weighted) mean of the token vectors + the mean of the bigram vectors."""
        x = weighted_mean_pool(self.embedding(ids), mask, self.token_weights[ids])  # (B, d)
        if self.bigrams is not None and ids.shape[1] > 1:
            real = mask & (ids >= len(SPECIAL_TOKENS))  # (B, T) words, not [CLS] / [SEP] / [PAD]
            buckets = (ids[:, :-1] * _PRIME + ids[:, 1:]) % self.config.bigram_buckets  # (B, T-1) hashed bigrams
            pair_mask = real[:, :-1] & real[:, 1:]  # (B, T-1): both tokens of the pair are words
            x = x + mean_pool(self.bigrams(buckets), pair_mask)  # (B, d); no bigram -> + 0
        return x

    def forward(self, inputs, project: bool = False) -> torch.Tensor:
        """Sentences (list[str]) or (input_ids, attention_mask) (B, T) -> (B, d_out)."""
        if project:
            raise ValueError("a DAN has no projection head: train it with project=False")
        if isinstance(inputs, (tuple, list)) and len(inputs) == 2 and isinstance(inputs[0], torch.Tensor):
            ids, mask = inputs
        else:
            batch = self.tokenizer(check_sentences(inputs), max_length=self.config.max_length)
            ids, mask = batch.input_ids, batch.attention_mask
        ids, mask = ids.to(self.device), mask.to(self.device).bool()
        return self.layers(self.average(ids, mask))  # (B, d) -> (B, d_out)

    @torch.no_grad()
    def encode(self, sentences: Sequence[str], batch_size: int = DEFAULT_BATCH_SIZE, normalize: bool = False,
               show_progress: bool | None = None) -> np.ndarray:
        """Sentences -> float32 array (n, d_out), eval mode, no gradients (the contract of `minisent.contract`)."""
        sentences = check_sentences(sentences)
        was_training = self.training
        self.eval()
        try:
            with cpu_threads(1, self.device):
                return encode_batches(sentences, lambda idx: self([sentences[i] for i in idx]).float().cpu().numpy(),
                                      self.dim, batch_size=batch_size, normalize=normalize,
                                      show_progress=show_progress)
        finally:
            self.train(was_training)

    # ------------------------------------------------------------------------- save / load
    def save(self, directory: str | Path, extras: Callable[[Path], None] | None = None) -> Path:
        """config.json, tokenizer.json, weights.pt (tensors only) into `directory`, swapped in atomically."""
        def write(folder: Path) -> None:
            cfg = {"format": FORMAT, "version": FORMAT_VERSION,
                   "model": {k: getattr(self.config, k) for k in MODEL_FIELDS}}
            (folder / "config.json").write_text(json.dumps(cfg, indent=2), encoding="utf-8")
            self.tokenizer.save(folder / "tokenizer.json")
            torch.save({k: v.detach().cpu() for k, v in self.state_dict().items()}, folder / "weights.pt")
            if extras is not None:
                extras(folder)

        return replace_folder(directory, write)


def is_dan_folder(directory: str | Path) -> bool:
    """True when `directory` holds a saved DAN (its config.json names the DAN format)."""
    try:
        return json.loads((Path(directory) / "config.json").read_text(encoding="utf-8")).get("format") == FORMAT
    except (OSError, ValueError, AttributeError):
        return False


def load(directory: str | Path, device=None) -> DANEncoder:
    """A DAN saved with `.save(directory)`. Only tensors are read (weights_only=True): no code runs.
    A damaged folder is a ModelFileError naming the file (as `encoder.load`)."""
    directory = Path(directory)
    cfg_path = directory / "config.json"
    cfg = read_config(directory, FORMAT, "DAN")
    if not isinstance(cfg.get("model"), dict):
        raise ModelFileError(f"{cfg_path} has no \"model\" settings: the file is damaged; save the model again")
    if not isinstance(cfg.get("version"), int) or cfg["version"] > FORMAT_VERSION:
        raise ModelFileError(f"{cfg_path} has format version {cfg.get('version')!r}; this minisent reads "
                             f"{FORMAT_VERSION}")
    unknown = sorted(set(cfg["model"]) - set(MODEL_FIELDS))
    if unknown:
        raise ModelFileError(f"{cfg_path} has unknown model setting(s) {unknown}; known: {list(MODEL_FIELDS)}")
    tokenizer = read_tokenizer(directory)
    try:
        model = DANEncoder(tokenizer, DANConfig(**cfg["model"]))
    except (TypeError, ValueError, RuntimeError) as err:
        raise ModelFileError(f"{cfg_path}: {_first_line(err)}") from err
    weights = directory / "weights.pt"
    model.load_state_dict(_check_state(read_tensors(weights), model.state_dict(), weights))
    return model.eval().to(get_device(device))


# ------------------------------------------------------------------------------- training
def create_dan(config: DANConfig | None = None, tokenizer: Tokenizer | None = None,
               sentences: Sequence[str] | None = None, progress: bool = True) -> DANEncoder:
    """A seeded, untrained DAN on the course's BPE tokenizer; SIF weights from `sentences` (default: the corpus)."""
    config = config or DANConfig()
    tokenizer = tokenizer or corpus_bpe(progress=progress)
    torch.manual_seed(config.seed)
    dan = DANEncoder(tokenizer, config)
    if config.sif:
        dan.token_weights.copy_(sif_token_weights(tokenizer, unsup_sentences() if sentences is None else sentences))
    return dan


def train_dan(config: DANConfig | None = None, *, dan: DANEncoder | None = None, sentences: Sequence[str] | None = None,
              device=None, progress: bool = True, **overrides) -> tuple[DANEncoder, dict]:
    """Unsupervised SimCSE on a DAN: the same objective, batches and loop as `simcse.train_simcse`.

    config: a DANConfig (default DEFAULT_DAN_CONFIG); keyword overrides change its fields.
    -> (the trained DAN, the fit history + "config")."""
    cfg, _ = resolve(config, DEFAULT_DAN_CONFIG, overrides)
    sentences = unsup_sentences() if sentences is None else list(sentences)
    dan = dan if dan is not None else create_dan(cfg, sentences=sentences, progress=progress)
    objective = UnsupervisedSimCSE(cfg.temperature, cfg.min_keep, cfg.p_delete, cfg.train_length)
    batches = SentenceBatches(sentences, cfg.batch_size, seed=cfg.seed)
    history = fit(dan, objective, batches, cfg.steps, lr=cfg.lr, seed=cfg.seed, device=device, progress=progress,
                  desc="DAN (SimCSE)")
    history["config"] = cfg.to_dict()
    return dan, history


def pretrained_dan(device=None, progress: bool = True) -> DANEncoder:
    """The course's DAN (DEFAULT_DAN_CONFIG), trained on first use, then read from data/cache/."""
    path = _cache_dir("dan_default", DEFAULT_DAN_CONFIG.to_dict())
    dan, _ = load_or_train(path, lambda p: (load(p, device), None),
                           lambda: train_dan(DEFAULT_DAN_CONFIG, device=device, progress=progress),
                           lambda run, p: save_with_history(*run, p))
    return dan.eval().to(get_device(device))
