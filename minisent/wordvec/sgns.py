"""Skip-gram with negative sampling (SGNS), written out in torch: what gensim's C loop does.

Skip-gram reads a corpus as (center, context) pairs -- every word and each neighbour within a
window -- and learns two tables of vectors, v (input, "center") and u (output, "context"), so
that u_o . v_c is large for pairs that occur and small for random "noise" pairs:

    loss(c, o) = -log sigma(u_o . v_c) - sum_{k=1..K} log sigma(-u_{n_k} . v_c),   n_k ~ P_noise

Three ingredients make it work on real text (Mikolov et al. 2013, "Distributed Representations
of Words and Phrases and their Compositionality"):

    subsampling   each occurrence of word w is kept with probability min(1, sqrt(t / f(w))),
                  f(w) = count(w) / total; frequent words ("the", "of") are mostly dropped
    noise table   negatives are drawn from the unigram distribution raised to 3/4,
                  P_noise(w) ∝ count(w)^0.75, via a big table of word ids (as the C code does)
    dynamic window each center uses a window b ~ Uniform{1..window}, so near words count more

After training, the rows of v are the word vectors (returned as gensim KeyedVectors, so the
same evaluation code serves gensim's models and this one).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from gensim.models import KeyedVectors

from ..device import get_device
from ..progress import tqdm
from ..threads import cpu_threads


# ------------------------------------------------------------------------------- vocabulary
@dataclass
class Vocab:
    """Words seen >= min_count times, most frequent first. words[i] has id i and counts[i] occurrences."""
    words: list[str]
    counts: np.ndarray  # (V,) int64
    index: dict[str, int] = field(repr=False)

    @classmethod
    def build(cls, sentences: list[list[str]], min_count: int = 1) -> "Vocab":
        counter = Counter(w for s in sentences for w in s)  # insertion order = first occurrence
        kept = sorted(((w, c) for w, c in counter.items() if c >= min_count), key=lambda wc: -wc[1])  # stable
        if not kept:
            raise ValueError(f"no word occurs min_count={min_count} times; lower min_count or give more text")
        words = [w for w, _ in kept]
        return cls(words, np.array([c for _, c in kept], dtype=np.int64), {w: i for i, w in enumerate(words)})

    def __len__(self) -> int:
        return len(self.words)

    def encode(self, sentences: list[list[str]]) -> list[np.ndarray]:
        """Token lists -> arrays of ids, dropping out-of-vocabulary words."""
        return [np.array([self.index[w] for w in s if w in self.index], dtype=np.int64) for s in sentences]


# ------------------------------------------------------------------- subsampling and noise
def keep_probabilities(counts: np.ndarray, t: float = 1e-3) -> np.ndarray:
    """P(keep an occurrence of w) = min(1, sqrt(t / f(w))), f(w) = count / total.  (V,) -> (V,)

    t = 0 switches subsampling off (every word kept)."""
    counts = np.asarray(counts, dtype=np.float64)
    if t <= 0:
        return np.ones_like(counts)
    freq = counts / counts.sum()
    return np.minimum(1.0, np.sqrt(t / freq))


def noise_distribution(counts: np.ndarray, power: float = 0.75) -> np.ndarray:
    """P_noise(w) = count(w)^power / sum_v count(v)^power.  (V,) -> (V,), sums to 1.

    power = 1 is the unigram distribution, 0 is uniform; 3/4 lifts rare words a little."""
    weights = np.asarray(counts, dtype=np.float64) ** power
    return weights / weights.sum()


def noise_table(counts: np.ndarray, power: float = 0.75, size: int = 1_000_000) -> np.ndarray:
    """A table of word ids in which word w fills ~ size * P_noise(w) slots.  -> (size,) int64

    Drawing a uniform random slot then draws w with probability P_noise(w): one randint per
    negative, no search. Every word gets at least one slot."""
    probs = noise_distribution(counts, power)
    slots = np.maximum(1, np.round(probs * size)).astype(np.int64)  # (V,)
    return np.repeat(np.arange(len(probs), dtype=np.int64), slots)


def skipgram_pairs(sentences: list[np.ndarray], window: int, keep_prob: np.ndarray | None,
                   rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(center, context) id pairs of one pass over the corpus.  -> two (P,) int64 arrays

    1. subsample: drop each token with probability 1 - keep_prob[token]
    2. each kept token draws its window b in 1..window; every token at distance <= b, in the
       same sentence, is one of its contexts (distance counted after subsampling, as word2vec does)
    """
    ids = [s[rng.random(len(s)) < keep_prob[s]] if keep_prob is not None else s for s in sentences]
    ids = [s for s in ids if len(s) > 1]
    if not ids:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    flat = np.concatenate(ids)                                        # (N,) all kept tokens in a row
    sent = np.repeat(np.arange(len(ids)), [len(s) for s in ids])      # (N,) which sentence each is in
    b = rng.integers(1, window + 1, size=len(flat))                   # (N,) each center's window
    centers, contexts = [], []
    for d in range(1, window + 1):             # vectorised over tokens: one shift per distance
        i = np.arange(len(flat) - d)           # left token i, right token i + d
        same = sent[i] == sent[i + d]
        right = same & (d <= b[i])             # i is the center, i + d its context
        left = same & (d <= b[i + d])          # i + d is the center, i its context
        centers += [flat[i[right]], flat[i[left] + d]]
        contexts += [flat[i[right] + d], flat[i[left]]]
    return np.concatenate(centers), np.concatenate(contexts)


# --------------------------------------------------------------------------------- the model
class SkipGramNS(nn.Module):
    """Two embedding tables and the SGNS loss. vocab_size V, dim d.

    in_embed  (V, d): v, the center vectors -- the word vectors we keep
    out_embed (V, d): u, the context vectors, used only for training
    Initialised as word2vec does: v ~ U(-0.5/d, 0.5/d), u = 0.
    """

    def __init__(self, vocab_size: int, dim: int):
        super().__init__()
        self.in_embed = nn.Embedding(vocab_size, dim)
        self.out_embed = nn.Embedding(vocab_size, dim)
        nn.init.uniform_(self.in_embed.weight, -0.5 / dim, 0.5 / dim)
        nn.init.zeros_(self.out_embed.weight)

    def forward(self, center: torch.Tensor, context: torch.Tensor, negatives: torch.Tensor) -> torch.Tensor:
        """center (B,), context (B,), negatives (B, K) word ids -> mean SGNS loss over the batch (scalar)."""
        v = self.in_embed(center)                                  # (B, d)
        u_pos = self.out_embed(context)                            # (B, d)
        u_neg = self.out_embed(negatives)                          # (B, K, d)
        pos = (u_pos * v).sum(-1)                                  # (B,)   u_o . v_c
        neg = torch.bmm(u_neg, v.unsqueeze(-1)).squeeze(-1)        # (B, K) u_nk . v_c
        # log sigma(x) computed stably; -log sigma(-x) = softplus(x)
        loss = -F.logsigmoid(pos) - F.logsigmoid(-neg).sum(-1)     # (B,)
        return loss.mean()


def sgns_loss_reference(v: np.ndarray, u_pos: np.ndarray, u_neg: np.ndarray) -> float:
    """The SGNS loss of ONE pair written as in the paper, in numpy, for checking the module.

    v (d,), u_pos (d,), u_neg (K, d)  ->  -log sigma(u_pos.v) - sum_k log sigma(-u_neg[k].v)"""
    sigma = lambda x: 1.0 / (1.0 + np.exp(-x))
    return float(-np.log(sigma(u_pos @ v)) - np.log(sigma(-(u_neg @ v))).sum())


# ------------------------------------------------------------------------------------ train
def _adam(params, lr: float, dev: torch.device) -> torch.optim.Optimizer:
    """torch's Adam; on the cpu and cuda its fused kernel (the same update in one pass over each table,
    tested equal to the plain one): the two dense (V, d) tables make the optimizer step most of a step's cost."""
    return torch.optim.Adam(params, lr=lr, fused=dev.type in ("cpu", "cuda"))


def train_sgns(sentences: list[list[str]], dim: int = 100, window: int = 5, min_count: int = 3,
               negative: int = 5, sample: float = 1e-3, ns_exponent: float = 0.75, steps: int = 1500,
               batch_size: int = 2048, lr: float = 0.01, seed: int = 0, device=None,
               progress: bool = True):
    """Train SGNS on tokenized sentences for a fixed number of steps (a budget that gives the same
    result on every machine, unlike a time budget).

    sentences: token lists (e.g. `[data.tokenize_words(s) for s in data.corpus_sentences()]`).
    Returns (wv, losses): gensim KeyedVectors of the center vectors v (each word with its corpus
    count, so `wv.get_vecattr(w, "count")` works as for gensim's models) and the loss of every step.

    Optimiser: Adam on the mean loss of a batch, lr decaying linearly to 0. word2vec itself uses
    plain SGD, one pair at a time, over many epochs; with a budget of ~2 passes over the corpus
    Adam gets much further (SGD at the same budget barely leaves the random start).
    Same seed -> same vectors (bit for bit on the cpu; on a GPU up to the rounding of kernels that
    sum in parallel): one numpy Generator for subsampling / windows / order, one torch Generator
    for the negatives, torch.manual_seed for the initial weights.
    """
    if steps < 1 or batch_size < 1 or negative < 1 or window < 1 or dim < 1:
        raise ValueError("steps, batch_size, negative, window and dim must all be >= 1")
    dev = get_device(device)
    rng = np.random.default_rng(seed)
    gen = torch.Generator().manual_seed(seed)  # negatives are drawn on the cpu, then moved
    torch.manual_seed(seed)                    # the initial weights

    vocab = Vocab.build(sentences, min_count)
    ids = vocab.encode(sentences)                                   # list of (len_i,) id arrays
    keep = keep_probabilities(vocab.counts, sample)                 # (V,)
    table = torch.from_numpy(noise_table(vocab.counts, ns_exponent))  # (~1e6,)

    losses: list[float] = []
    # one torch thread on the cpu: these (2048, 5, 100) ops are too small to split, and a thread
    # waiting for a busy core makes each step several times slower (see minisent/threads.py)
    with cpu_threads(1, dev):
        model = SkipGramNS(len(vocab), dim).to(dev)
        optim = _adam(model.parameters(), lr, dev)
        centers = contexts = np.zeros(0, np.int64)
        pos = 0
        for step in tqdm(range(steps), desc="SGNS", disable=not progress, mininterval=2.0):
            if pos + batch_size > len(centers):        # a new pass: fresh subsample, windows, order
                centers, contexts = skipgram_pairs(ids, window, keep, rng)
                if len(centers) == 0:
                    raise ValueError("the corpus gives no skip-gram pairs: sentences need >= 2 words "
                                     "seen min_count times")
                order = rng.permutation(len(centers))
                centers, contexts, pos = centers[order], contexts[order], 0
            c = torch.from_numpy(centers[pos:pos + batch_size]).to(dev)    # (B,)
            o = torch.from_numpy(contexts[pos:pos + batch_size]).to(dev)   # (B,)
            pos += batch_size
            slots = torch.randint(len(table), (len(c), negative), generator=gen)
            neg = table[slots].to(dev)                                      # (B, K)
            for group in optim.param_groups:                                # linear decay, like word2vec
                group["lr"] = lr * max(1e-4, 1.0 - step / steps)
            loss = model(c, o, neg)
            optim.zero_grad(set_to_none=True)
            loss.backward()
            optim.step()
            losses.append(loss.item())

    wv = KeyedVectors(dim)
    wv.add_vectors(vocab.words, model.in_embed.weight.detach().float().cpu().numpy())
    for w, c in zip(vocab.words, vocab.counts):
        wv.set_vecattr(w, "count", int(c))
    return wv, losses
