"""SentenceEncoder = tokenizer + Transformer backbone + pooling (+ a projection head for training).

    sentences --tokenizer--> ids, mask (B, T) --backbone--> hidden (B, T, d) --pooling--> (B, d)

    enc = SentenceEncoder.create(tokenizer, TransformerConfig(d_model=128), pooling="mean")
    enc.encode(["A man plays a guitar.", "Someone is playing music."])   # np.ndarray (2, 128)
    z = enc(["...", "..."])            # differentiable torch (B, d), for training objectives
    enc.save("runs/my_encoder");  enc2 = load("runs/my_encoder")

The projection head (`projection_dim`) is used only by training objectives (`enc(x, project=True)`,
as in SimCLR / SimCSE): `encode` always returns the pooled vector before it.

On disk a saved encoder is a folder of three files, none of them a pickle:
    config.json     backbone config, pooling, projection, max_length
    tokenizer.json  the tokenizer (see `minisent.tokenize`)
    weights.pt      tensors only, read back with torch.load(weights_only=True)
"""
from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
import torch.nn as nn

from . import tokenize as tokenize_mod
from .device import get_device
from .inputs import check_sentences
from .pooling import Pooling
from .threads import cpu_threads
from .tokenize import Batch, Tokenizer
from .transformer import TransformerConfig, TransformerEncoder

FORMAT = "minisent.SentenceEncoder"
FORMAT_VERSION = 1
PROGRESS_THRESHOLD = 2000  # encode() shows a progress bar from this many sentences on (show_progress=None)


class SentenceEncoder(nn.Module):
    def __init__(self, tokenizer: Tokenizer, backbone: TransformerEncoder, pooling: str = "mean",
                 projection_dim: int | None = None, max_length: int | None = None):
        super().__init__()
        if tokenizer.vocab_size > backbone.config.vocab_size:
            raise ValueError(f"the tokenizer has {tokenizer.vocab_size} tokens but the backbone embeds only "
                             f"{backbone.config.vocab_size}: build it with vocab_size={tokenizer.vocab_size}")
        self.tokenizer = tokenizer
        self.backbone = backbone
        d = backbone.config.d_model
        self.pooling = Pooling(pooling, d, backbone.config.vocab_size)
        self.projection_dim = projection_dim
        # a small MLP on top, for contrastive training only (SimCLR found it helps the layer below)
        self.head = (nn.Sequential(nn.Linear(d, d), nn.GELU(), nn.Linear(d, projection_dim))
                     if projection_dim else None)
        self.max_length = min(max_length or backbone.config.max_len, backbone.config.max_len)
        self._warned_truncation = False

    @classmethod
    def create(cls, tokenizer: Tokenizer, config: TransformerConfig | None = None, pooling: str = "mean",
               projection_dim: int | None = None, max_length: int | None = None, seed: int | None = None):
        """A randomly initialized encoder whose vocabulary fits `tokenizer` (seeded when `seed` is given)."""
        config = config or TransformerConfig()
        if config.vocab_size != tokenizer.vocab_size:
            config = TransformerConfig(**{**config.to_dict(), "vocab_size": tokenizer.vocab_size})
        if seed is not None:
            torch.manual_seed(seed)
        return cls(tokenizer, TransformerEncoder(config), pooling, projection_dim, max_length)

    def with_pooling(self, pooling: str) -> "SentenceEncoder":
        """The same tokenizer and backbone (shared, not copied) with another pooling (token weights kept)."""
        other = SentenceEncoder(self.tokenizer, self.backbone, pooling, None, self.max_length).to(self.device)
        if pooling == "weighted_mean" and hasattr(self.pooling, "token_weights"):
            other.pooling.token_weights.copy_(self.pooling.token_weights)
        return other

    # ------------------------------------------------------------------------------ basics
    @property
    def dim(self) -> int:
        """Width of the vectors `encode` returns."""
        return self.backbone.config.d_model

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    def tokenize(self, sentences: Sequence[str]) -> Batch:
        """Sentences -> Batch(input_ids (B, T), attention_mask (B, T)), cut to max_length (warns once)."""
        batch = self.tokenizer(list(sentences), max_length=self.max_length)
        if batch.num_truncated and not self._warned_truncation:
            warnings.warn(f"{batch.num_truncated} sentence(s) longer than max_length={self.max_length} tokens "
                          f"were truncated (this warning is shown once per encoder)", stacklevel=3)
            self._warned_truncation = True
        return batch

    def _as_batch(self, inputs) -> tuple[torch.Tensor, torch.Tensor]:
        if isinstance(inputs, Batch):
            ids, mask = inputs.input_ids, inputs.attention_mask
        elif isinstance(inputs, dict):
            ids, mask = inputs["input_ids"], inputs["attention_mask"]
        elif isinstance(inputs, (tuple, list)) and len(inputs) == 2 and isinstance(inputs[0], torch.Tensor):
            ids, mask = inputs
        else:
            b = self.tokenize(check_sentences(inputs))
            ids, mask = b.input_ids, b.attention_mask
        dev = self.device
        return ids.to(dev), mask.to(dev).bool()

    # ---------------------------------------------------------------------------- forward
    def token_embeddings(self, inputs) -> tuple[torch.Tensor, torch.Tensor]:
        """Sentences or a batch -> hidden (B, T, d) and mask (B, T): the vectors before pooling."""
        ids, mask = self._as_batch(inputs)
        return self.backbone(ids, mask), mask

    def forward(self, inputs, project: bool = False) -> torch.Tensor:
        """Sentences (list[str]) or a Batch / {"input_ids", "attention_mask"} -> (B, d), differentiable.

        project=True adds the training-only projection head: (B, d) -> (B, projection_dim).
        """
        ids, mask = self._as_batch(inputs)  # (B, T), (B, T)
        hidden = self.backbone(ids, mask)  # (B, T, d)
        z = self.pooling(hidden, mask, ids)  # (B, d)
        if project:
            if self.head is None:
                raise ValueError("this encoder has no projection head (create it with projection_dim=...)")
            z = self.head(z)  # (B, projection_dim)
        return z

    @torch.no_grad()
    def encode(self, sentences: Sequence[str], batch_size: int = 64, normalize: bool = False,
               device=None, show_progress: bool | None = None) -> np.ndarray:
        """Sentences -> float32 array (n, d), in eval mode without gradients.

        Sentences are batched by length (less padding), then put back in the order given.
        `device` moves the model there first; `normalize` makes every row unit length.
        """
        sentences = check_sentences(sentences)
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if device is not None:
            self.to(get_device(device))
        if not sentences:
            return np.zeros((0, self.dim), dtype=np.float32)
        order = sorted(range(len(sentences)), key=lambda i: len(sentences[i]))
        starts = range(0, len(sentences), batch_size)
        if show_progress is None:
            show_progress = len(sentences) >= PROGRESS_THRESHOLD
        if show_progress:
            from .progress import tqdm
            starts = tqdm(starts, desc="encoding", unit="batch")
        was_training = self.training
        self.eval()
        try:
            out = np.zeros((len(sentences), self.dim), dtype=np.float32)
            with cpu_threads(1, self.device):  # small matrices: one thread is as fast, and robust to busy cores
                for s in starts:
                    idx = order[s:s + batch_size]
                    z = self([sentences[i] for i in idx])  # (b, d)
                    if normalize:
                        z = torch.nn.functional.normalize(z, dim=-1)
                    out[idx] = z.float().cpu().numpy()
        finally:
            self.train(was_training)
        return out

    # ------------------------------------------------------------------------- save / load
    def config_dict(self) -> dict:
        return {"format": FORMAT, "version": FORMAT_VERSION, "backbone": self.backbone.config.to_dict(),
                "pooling": self.pooling.name, "projection_dim": self.projection_dim,
                "max_length": self.max_length}

    def save(self, directory: str | Path) -> Path:
        """Write config.json, tokenizer.json and weights.pt (tensors only) into `directory`."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "config.json").write_text(json.dumps(self.config_dict(), indent=2), encoding="utf-8")
        self.tokenizer.save(directory / "tokenizer.json")
        state = {k: v.detach().cpu() for k, v in self.state_dict().items()}
        torch.save(state, directory / "weights.pt")
        return directory

    @classmethod
    def load(cls, directory: str | Path, device=None) -> "SentenceEncoder":
        """Rebuild a saved encoder. Only tensors are read from weights.pt (weights_only=True)."""
        directory = Path(directory)
        cfg_path = directory / "config.json"
        if not cfg_path.exists():
            raise FileNotFoundError(f"no saved encoder in {directory} (config.json is missing)")
        cfg = json.loads(cfg_path.read_text(encoding="utf-8"))
        if cfg.get("format") != FORMAT:
            raise ValueError(f"{cfg_path} is not a minisent SentenceEncoder config")
        if cfg.get("version", 0) > FORMAT_VERSION:
            raise ValueError(f"{directory} was saved by a newer minisent (format {cfg['version']})")
        tokenizer = tokenize_mod.load(directory / "tokenizer.json")
        backbone = TransformerEncoder(TransformerConfig(**cfg["backbone"]))
        model = cls(tokenizer, backbone, cfg["pooling"], cfg.get("projection_dim"), cfg.get("max_length"))
        state = torch.load(directory / "weights.pt", map_location="cpu", weights_only=True)
        model.load_state_dict(state)
        model.eval()
        return model.to(get_device(device))


def load(directory: str | Path, device=None) -> SentenceEncoder:
    """Load an encoder saved with `SentenceEncoder.save(directory)` (re-exported as `minisent.load`)."""
    return SentenceEncoder.load(directory, device)
