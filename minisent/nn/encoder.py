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
    tokenizer.json  the tokenizer (see `minisent.text.tokenize`)
    weights.pt      tensors only, read back with torch.load(weights_only=True)
"""
from __future__ import annotations

import json
import os
import shutil
import warnings
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch
import torch.nn as nn

from ..contract import DEFAULT_BATCH_SIZE, encode_batches
from ..device import get_device
from ..inputs import check_sentences
from ..text.saved import load_tokenizer
from ..text.tokenize import Batch, Tokenizer
from .. import threads
from .pooling import Pooling
from .transformer import TransformerConfig, TransformerEncoder

FORMAT = "minisent.SentenceEncoder"
FORMAT_VERSION = 1


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
    def encode(self, sentences: Sequence[str], batch_size: int = DEFAULT_BATCH_SIZE, normalize: bool = False,
               device=None, show_progress: bool | None = None) -> np.ndarray:
        """Sentences -> float32 array (n, d), in eval mode without gradients (the contract of `minisent.contract`).

        Sentences are batched by length (less padding), then put back in the order given.
        `device` moves the model there first; `normalize` makes every row unit length.
        """
        sentences = check_sentences(sentences)
        if device is not None:
            self.to(get_device(device))
        was_training = self.training
        self.eval()
        try:
            with threads.cpu_threads(threads.ENCODE_THREADS, self.device):  # 2 on the cpu: see minisent.threads
                return encode_batches(sentences, lambda idx: self([sentences[i] for i in idx]).float().cpu().numpy(),
                                      self.dim, batch_size=batch_size, normalize=normalize,
                                      show_progress=show_progress)
        finally:
            self.train(was_training)

    # ------------------------------------------------------------------------- save / load
    def config_dict(self) -> dict:
        return {"format": FORMAT, "version": FORMAT_VERSION, "backbone": self.backbone.config.to_dict(),
                "pooling": self.pooling.name, "projection_dim": self.projection_dim,
                "max_length": self.max_length}

    def save(self, directory: str | Path, extras: Callable[[Path], None] | None = None) -> Path:
        """Write config.json, tokenizer.json and weights.pt (tensors only) into `directory`, atomically.

        The folder always holds the old model or the new one, never a mix (see `replace_folder`).
        `extras(folder)` may add files of its own (a training history, a head) before the swap.
        """
        def write(folder: Path) -> None:
            (folder / "config.json").write_text(json.dumps(self.config_dict(), indent=2), encoding="utf-8")
            self.tokenizer.save(folder / "tokenizer.json")
            torch.save({k: v.detach().cpu() for k, v in self.state_dict().items()}, folder / "weights.pt")
            if extras is not None:
                extras(folder)

        return replace_folder(directory, write)

    @classmethod
    def load(cls, directory: str | Path, device=None) -> "SentenceEncoder":
        """Rebuild a saved encoder. Only tensors are read from weights.pt (weights_only=True): no code runs.

        A folder without config.json is a FileNotFoundError; a damaged file in it is a ModelFileError.
        """
        directory = Path(directory)
        cfg_path = directory / "config.json"
        cfg = _read_config(directory)
        tokenizer = read_tokenizer(directory)
        try:
            backbone = TransformerEncoder(TransformerConfig(**cfg["backbone"]))
            model = cls(tokenizer, backbone, cfg["pooling"], cfg.get("projection_dim"), cfg.get("max_length"))
        except (TypeError, ValueError) as err:  # an unknown backbone setting, an impossible value
            raise ModelFileError(f"{cfg_path}: {_first_line(err)}") from err
        weights = directory / "weights.pt"
        model.load_state_dict(_check_state(read_tensors(weights), model.state_dict(), weights))
        model.eval()
        return model.to(get_device(device))


class ModelFileError(ValueError):
    """A saved model folder that cannot be read back; the message names the file and what is wrong with it."""


CONFIG_KEYS = {"format", "version", "backbone", "pooling", "projection_dim", "max_length"}


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0] if text else ''}"


def read_config(directory: Path, fmt: str, what: str) -> dict:
    """A saved model's config.json as a dict whose "format" is `fmt` (every saved model of the course has one).

    No config.json is a FileNotFoundError (not a saved model at all); one that is not JSON or not of this
    format is a ModelFileError naming the file. `what` names the model in the messages.
    """
    path = Path(directory) / "config.json"
    if not path.is_file():
        raise FileNotFoundError(f"no saved {what} in {directory} (config.json is missing)")
    try:
        cfg = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as err:  # JSONDecodeError and UnicodeDecodeError both are
        raise ModelFileError(f"{path} is not valid JSON ({_first_line(err)}): the file is damaged") from None
    if not isinstance(cfg, dict) or cfg.get("format") != fmt:
        raise ModelFileError(f"{path} is not a minisent {what} config (no \"format\": \"{fmt}\")")
    return cfg


def read_tokenizer(directory: Path) -> Tokenizer:
    """A saved model's tokenizer.json; missing or damaged is a ModelFileError naming the file."""
    path = Path(directory) / "tokenizer.json"
    try:
        return load_tokenizer(path)
    except FileNotFoundError:
        raise ModelFileError(f"{path} is missing: save the model again") from None
    except (ValueError, KeyError, TypeError) as err:  # not JSON / not UTF-8 / a missing field
        raise ModelFileError(f"{path} is damaged: {_first_line(err)}") from err


def _read_config(directory: Path) -> dict:
    """config.json as a dict, checked: our format, a version we know, every key known, backbone and pooling there."""
    cfg = read_config(directory, FORMAT, "SentenceEncoder")
    path = Path(directory) / "config.json"
    if not isinstance(cfg.get("version", 0), int) or cfg.get("version", 0) > FORMAT_VERSION:
        raise ModelFileError(f"{path} was saved by a newer minisent (format version {cfg.get('version')!r}); "
                             f"this one reads version {FORMAT_VERSION}")
    unknown = sorted(set(cfg) - CONFIG_KEYS)
    if unknown:
        raise ModelFileError(f"{path} has unknown key(s) {unknown}; known: {sorted(CONFIG_KEYS)}")
    missing = [k for k in ("backbone", "pooling") if k not in cfg]
    if missing or not isinstance(cfg["backbone"], dict):
        raise ModelFileError(f"{path} lacks {missing or ['a backbone dict']}: the file is damaged; "
                             f"save the model again")
    return cfg


def read_tensors(path: str | Path) -> dict[str, torch.Tensor]:
    """A dict of tensors written by torch.save, read with weights_only=True (tensors, numbers, strings and
    containers only: no code in the file can run). Missing, empty, truncated, foreign: a ModelFileError."""
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path} is missing: the model folder is incomplete; save the model again")
    if path.stat().st_size == 0:
        raise ModelFileError(f"{path} is empty (0 bytes): an interrupted save? Save the model again")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # damaged bytes surface as EOFError, RuntimeError, UnpicklingError, IndexError, ...
        raise ModelFileError(f"{path} cannot be read as saved tensors ({_first_line(err)}): the file is damaged "
                             f"or not written by torch.save; save the model again") from err
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ModelFileError(f"{path} does not hold a dict of tensors (found {type(state).__name__})")
    return state


def _check_state(state: dict, expected: dict, path: Path) -> dict:
    """`state` when it has exactly the tensors of `expected` with the same shapes, else a ModelFileError."""
    missing = [k for k in expected if k not in state]
    unknown = [k for k in state if k not in expected]
    wrong = [f"{k} {tuple(state[k].shape)} (config wants {tuple(v.shape)})"
             for k, v in expected.items() if k in state and state[k].shape != v.shape]
    for what, names in (("lacks", missing), ("has unknown tensor(s)", unknown), ("has wrong shapes:", wrong)):
        if names:
            shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
            raise ModelFileError(f"{path} {what} {shown}: weights.pt does not match config.json")
    return state


def check_save_target(directory: str | Path) -> Path:
    """Path(directory) when a model may be saved there: a new or empty folder, or one holding a saved model
    (config.json), which the save replaces. A file, or a folder holding anything else, is a FileExistsError."""
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise FileExistsError(f"{directory} is a file, not a folder: choose another place to save the model")
    if directory.is_dir() and any(directory.iterdir()) and not (directory / "config.json").is_file():
        raise FileExistsError(f"{directory} holds other files, not a saved model: choose a new or empty folder "
                              f"(saving replaces the whole folder)")
    return directory


def replace_folder(directory: str | Path, write: Callable[[Path], None]) -> Path:
    """Fill a fresh temporary sibling of `directory` with write(tmp), then swap it into place.

    The old folder (if any) is renamed aside, the new one renamed in, the old one removed: renames are
    atomic, so a failure while writing leaves the old folder untouched (and no temporary left behind);
    a crash in the instant between the two renames leaves the old model in `.<name>.old<pid>` beside it.
    Only an empty folder or a saved model is replaced (`check_save_target`): a typo never deletes other files.
    """
    directory = check_save_target(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = directory.with_name(f".{directory.name}.tmp{os.getpid()}")
    old = directory.with_name(f".{directory.name}.old{os.getpid()}")
    for leftover in (tmp, old):
        shutil.rmtree(leftover, ignore_errors=True)
    tmp.mkdir()
    try:
        write(tmp)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if directory.exists():
        directory.rename(old)
    tmp.rename(directory)
    shutil.rmtree(old, ignore_errors=True)
    return directory


def load(directory: str | Path, device=None) -> SentenceEncoder:
    """Load an encoder saved with `SentenceEncoder.save(directory)` (re-exported as `minisent.load`)."""
    return SentenceEncoder.load(directory, device)
