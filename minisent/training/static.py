"""A static student: one vector per token, computed once from a teacher, averaged at inference.

The Model2Vec idea (Tulkens & van Dongen 2024): a Transformer spends its time letting tokens look at
each other. Drop that. Ask the teacher once, for every token t of its vocabulary, where it puts the
one-token sentence "[CLS] t [SEP]", and keep that vector as a row of a table E (V, d):

    E[t] = teacher( [CLS] t [SEP] )                       (V, d), computed once
    s(x) = sum_t w_t E[t] / sum_t w_t   over the tokens t of sentence x

with the teacher's own token weights w (the SIF weights a / (a + p(t)) of the course's `simcse`;
1 for every ordinary token when the teacher mean-pools). Encoding is then a table lookup and a
weighted mean: no attention, no matrix multiply per token, hundreds of times cheaper than running
the teacher. What is lost is every effect of context and word order: "dog bites man" and
"man bites dog" get the same vector.

    static = StaticEncoder.from_teacher(load_model("simcse"))
    static.encode(["a sentence"])              # np.ndarray (1, d), the `minisent.contract` encode
    static.save("runs/static"); StaticEncoder.load("runs/static")
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import numpy as np
import scipy.sparse as sp
import torch

from ..contract import DEFAULT_BATCH_SIZE, encode_batches
from ..inputs import check_sentences
from ..nn.encoder import ModelFileError, read_config, read_tensors, read_tokenizer, replace_folder
from ..text.tokenize import CLS_ID, MASK_ID, PAD_ID, SEP_ID, pad_batch
from .cache import load_or_train
from .distill import student_cache_dir
from .simcse import pretrained_simcse

FORMAT = "minisent.StaticEncoder"
FORMAT_VERSION = 1


class StaticEncoder:
    """table (V, d): one vector per token id; token_weights (V,): its weight in the sentence mean (0 = ignored)."""

    def __init__(self, tokenizer, table: np.ndarray, token_weights: np.ndarray | None = None,
                 max_length: int | None = None):
        table = np.asarray(table, dtype=np.float32)
        if table.ndim != 2 or table.shape[0] != tokenizer.vocab_size:
            raise ValueError(f"table must be (vocab_size={tokenizer.vocab_size}, d), got {table.shape}")
        if token_weights is None:
            token_weights = np.ones(tokenizer.vocab_size, dtype=np.float32)
            token_weights[[PAD_ID, CLS_ID, SEP_ID, MASK_ID]] = 0.0
        token_weights = np.asarray(token_weights, dtype=np.float32)
        if token_weights.shape != (tokenizer.vocab_size,):
            raise ValueError(f"token_weights must be (vocab_size={tokenizer.vocab_size},), got {token_weights.shape}")
        self.tokenizer, self.table, self.token_weights = tokenizer, table, token_weights
        self.max_length = max_length
        self.dim = table.shape[1]

    # --------------------------------------------------------------------- from a teacher
    @classmethod
    @torch.no_grad()
    def from_teacher(cls, teacher, batch_size: int = 512) -> "StaticEncoder":
        """Distil a SentenceEncoder into a table: row t = the teacher's pooled vector of "[CLS] t [SEP]".

        The teacher's pooling keeps its meaning: with SIF-weighted pooling ([CLS] and [SEP] weigh 0) row t is
        the teacher's output at t itself, seen together with [CLS] and [SEP]. Its token weights become ours.
        """
        V = teacher.tokenizer.vocab_size
        was_training = teacher.training
        teacher.eval()
        rows = []
        try:
            for start in range(0, V, batch_size):
                ids, mask = pad_batch([[CLS_ID, t, SEP_ID] for t in range(start, min(V, start + batch_size))])
                rows.append(teacher((ids.to(teacher.device), mask.to(teacher.device))).float().cpu())  # (b, d)
        finally:
            teacher.train(was_training)
        weights = teacher.pooling.token_weights.cpu().numpy() if teacher.pooling.name == "weighted_mean" else None
        return cls(teacher.tokenizer, torch.cat(rows).numpy(), weights, teacher.max_length)  # (V, d)

    # ---------------------------------------------------------------------------- encode
    def token_ids(self, sentence: str) -> list[int]:
        """The sentence's token ids, without [CLS] / [SEP] (they weigh nothing), cut to max_length."""
        return self.tokenizer.encode(sentence, add_special_tokens=False, max_length=self.max_length)

    def embed_one(self, sentence: str) -> np.ndarray:
        """The readable form, one sentence -> (d,): the weighted mean of its tokens' rows of the table."""
        ids = self.token_ids(sentence)
        w = self.token_weights[ids]                                  # (n_tokens,)
        if w.sum() == 0:
            return np.zeros(self.dim, dtype=np.float32)              # nothing to average: the zero vector
        return (w[:, None] * self.table[ids]).sum(0) / w.sum()       # (d,)

    def weight_matrix(self, sentences: Sequence[str]) -> sp.csr_matrix:
        """(n, V) sparse: row i holds w_t / sum w for every token t of sentence i (a repeated token adds up)."""
        rows, cols = [], []
        for i, s in enumerate(sentences):
            ids = self.token_ids(s)
            rows += [i] * len(ids)
            cols += ids
        M = sp.csr_matrix((self.token_weights[cols], (rows, cols)), shape=(len(sentences), self.tokenizer.vocab_size))
        total = np.asarray(M.sum(1)).ravel()                          # (n,)
        return sp.diags(1.0 / np.where(total > 0, total, 1.0)) @ M

    def encode(self, sentences: Sequence[str], *, batch_size: int = DEFAULT_BATCH_SIZE, normalize: bool = False,
               show_progress: bool | None = None) -> np.ndarray:
        """Sentences -> (n, d) float32 (the contract of `minisent.contract`). The fast form of `embed_one`:
        one sparse (n, V) weight matrix times the (V, d) table per batch (tested equal)."""
        sentences = check_sentences(sentences)
        return encode_batches(sentences, lambda idx: self.weight_matrix([sentences[i] for i in idx]) @ self.table,
                              self.dim, batch_size=batch_size, normalize=normalize, show_progress=show_progress)

    # ------------------------------------------------------------------------ save / load
    def save(self, directory: str | Path) -> Path:
        """config.json, tokenizer.json and weights.pt (tensors only), swapped into `directory` atomically."""
        def write(folder: Path) -> None:
            config = {"format": FORMAT, "version": FORMAT_VERSION, "dim": self.dim, "max_length": self.max_length}
            (folder / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
            self.tokenizer.save(folder / "tokenizer.json")
            torch.save({"table": torch.from_numpy(self.table), "token_weights": torch.from_numpy(self.token_weights)},
                       folder / "weights.pt")
            (folder / "history.json").write_text("{}", encoding="utf-8")  # the mark of a complete cache copy

        return replace_folder(directory, write)

    @classmethod
    def load(cls, directory: str | Path) -> "StaticEncoder":
        """Read a saved StaticEncoder (weights_only tensors, JSON): a damaged file is a ModelFileError naming it."""
        directory = Path(directory)
        config = read_config(directory, FORMAT, "StaticEncoder")
        tokenizer = read_tokenizer(directory)
        state = read_tensors(directory / "weights.pt")
        if set(state) != {"table", "token_weights"}:
            raise ModelFileError(f"{directory / 'weights.pt'} must hold exactly 'table' and 'token_weights', "
                                 f"found {sorted(state)}")
        try:
            return cls(tokenizer, state["table"].numpy(), state["token_weights"].numpy(), config.get("max_length"))
        except ValueError as err:
            raise ModelFileError(f"{directory / 'weights.pt'} does not fit tokenizer.json: {err}") from None


def is_static(directory: str | Path) -> bool:
    """Whether `directory` holds a saved StaticEncoder (its config.json says so)."""
    try:
        return json.loads((Path(directory) / "config.json").read_text(encoding="utf-8")).get("format") == FORMAT
    except (OSError, ValueError, AttributeError):
        return False


def pretrained_static(device=None, progress: bool = True) -> StaticEncoder:
    """The course's static student of `simcse` (built in seconds from the cached teacher, then cached)."""
    def build() -> StaticEncoder:
        return StaticEncoder.from_teacher(pretrained_simcse(device=device, progress=progress))

    return load_or_train(student_cache_dir("static"), StaticEncoder.load, build, StaticEncoder.save)
