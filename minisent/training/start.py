"""Where training starts: one function for every objective's starting encoder.

    start_encoder("random")     the MLM architecture, randomly initialized (SimCSE's default start, lesson 07)
    start_encoder("mlm")        the course's MLM-pretrained encoder (lesson 03; the triplet network's start)
    start_encoder("word2vec")   random, with whole-word token embeddings taken from word2vec (lesson 01)
"""
from __future__ import annotations

import json
from typing import Sequence

import numpy as np
import torch

from .. import data
from ..device import get_device
from ..nn.encoder import SentenceEncoder
from ..nn.pooling import sif_token_weights
from ..nn.transformer import TransformerConfig
from ..text.saved import load_tokenizer
from ..text.tokenize import SPACE, SPECIAL_TOKENS, WordTokenizer, corpus_bpe
from .mlm import pretrained_mlm
from .recipes import DEFAULT_MLM_CONFIG
from .simcse_data import unsup_sentences


def word2vec_init_(encoder: SentenceEncoder, vectors) -> int:
    """Set the token embeddings of whole-word tokens from word vectors, in place; returns how many were set.

    A token is a whole word when it is in the word-vector vocabulary: a word-level token as it is,
    a BPE token without its "▁" (word-start) mark ("▁river" -> "river"); word pieces keep their
    random init. The (n, k) word vectors are mapped to d_model columns by PCA (their top d_model
    directions when k > d_model; all k, zero-padded, when k <= d_model), then scaled so that their
    entries have the standard deviation of the embedding table they replace.
    """
    emb = encoder.backbone.tok_emb.weight  # (V, d)
    d = emb.shape[1]
    rows, words = [], []
    for i, tok in enumerate(encoder.tokenizer.vocab):
        if tok in SPECIAL_TOKENS:
            continue
        if encoder.tokenizer.kind == "bpe":
            if not tok.startswith(SPACE):
                continue
            tok = tok[1:]
        if tok in vectors.key_to_index:
            rows.append(i)
            words.append(tok)
    if not rows:
        return 0
    X = np.stack([vectors[w] for w in words]).astype(np.float64)  # (n, k)
    X -= X.mean(0)
    _, _, Vt = np.linalg.svd(X, full_matrices=False)  # principal directions (k, k)
    P = X @ Vt[:d].T  # (n, min(k, d))
    if P.shape[1] < d:
        P = np.concatenate([P, np.zeros((len(P), d - P.shape[1]))], axis=1)  # (n, d)
    with torch.no_grad():
        P = P / P.std() * float(emb.std())
        emb[torch.tensor(rows)] = torch.as_tensor(P, dtype=emb.dtype, device=emb.device)
    return len(rows)


def word_tokenizer(vocab_size: int = 8000):
    """A word-level tokenizer of the offline corpus (8000 words; the rest -> [UNK]), cached in data/cache/."""
    path = data.CACHE_DIR / f"words_{vocab_size}_v1.json"
    if path.exists():
        try:
            return load_tokenizer(path)
        except (ValueError, KeyError, json.JSONDecodeError):
            pass
    tok = WordTokenizer.train(data.corpus_sentences(), vocab_size=vocab_size)
    tok.save(path)
    return tok


def start_encoder(start: str = "mlm", *, dropout: float = 0.1, seed: int = 0, device=None,
                  progress: bool = True, tokenizer: str = "bpe", d_model: int | None = None, pooling: str = "mean",
                  embedding_std: float | None = None, sentences: Sequence[str] | None = None) -> SentenceEncoder:
    """A starting point for SimCSE, with dropout set to `dropout`:

    "random"    the MLM architecture (2 layers, d_model wide, default 128), randomly initialized
    "mlm"       the cached MLM-pretrained encoder (`train.pretrained_mlm()`, ~100 s to train if missing; d = 128)
    "word2vec"  random, but whole-word token embeddings taken from the skip-gram word2vec vectors
    tokenizer: "bpe" (the course's subword tokenizer) or "word" (8000 words), for "random" / "word2vec".
    pooling: any of `pooling.POOLINGS`; "weighted_mean" gets SIF weights from the token counts of `sentences`
        (default: `unsup_sentences()`, the training corpus).
    embedding_std: rescale a random start's token embeddings to this std (None: keep the backbone's 0.02).
        nn.Embedding's own default, 1.0, lets each token, not its position (std 0.02), dominate its vector.
    """
    if tokenizer not in ("bpe", "word"):
        raise ValueError(f"unknown tokenizer {tokenizer!r}: use 'bpe' or 'word'")
    if start == "mlm":
        enc = pretrained_mlm(device=device, progress=progress)
        if pooling != "mean":
            enc = enc.with_pooling(pooling)
    elif start in ("random", "word2vec"):
        tok = corpus_bpe(progress=progress) if tokenizer == "bpe" else word_tokenizer()
        cfg = {**DEFAULT_MLM_CONFIG.architecture(), "d_model": d_model or DEFAULT_MLM_CONFIG.d_model}
        cfg["d_ff"] = 4 * cfg["d_model"]
        enc = SentenceEncoder.create(tok, TransformerConfig(**cfg), pooling=pooling, seed=seed)
        if embedding_std is not None:
            with torch.no_grad():
                weight = enc.backbone.tok_emb.weight  # (V, d), N(0, 0.02) with a zero [PAD] row
                weight.mul_(embedding_std / weight[1:].std())
        if start == "word2vec":
            from ..wordvec import train_vectors  # lazy: gensim takes seconds to import

            word2vec_init_(enc, train_vectors("skipgram", progress=progress))
    else:
        raise ValueError(f"unknown start {start!r}: use 'mlm', 'random' or 'word2vec'")
    if pooling == "weighted_mean":
        texts = unsup_sentences() if sentences is None else sentences
        enc.pooling.token_weights.copy_(sif_token_weights(enc.tokenizer, texts))
    enc.backbone.set_dropout(dropout)
    return enc.to(get_device(device))

