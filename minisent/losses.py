"""Losses that shape an embedding space, written out by hand. Pull matching things together, push the rest apart.

    contrastive_loss    labelled pairs (Hadsell, Chopra & LeCun 2006)
    triplet_loss        given (anchor, positive, negative) (FaceNet, Schroff et al. 2015)
    batch_triplet_loss  triplets mined from labels: all / hard / semi-hard
    info_nce            in-batch softmax over cosines / temperature (CPC, SimCLR's NT-Xent, SimCSE)
    alignment, uniformity   how close positives are / how evenly points cover the sphere (Wang & Isola 2020)

B = batch size (rows), d = embedding width. Each loss is the readable formula on the small helpers that come
first; no ready-made torch loss is called (those are what the tests compare to). `minisent.losses_fast` holds
`info_nce_fast`: `info_nce` with its backward derived by hand; benchmarks/bench_losses.py times both.
"""
from __future__ import annotations

import math
import numbers
from typing import NamedTuple

import torch
from torch import Tensor

from .inputs import EPS as NORM_EPS, normalize_rows

__all__ = ["normalize", "pairwise_distances", "logsumexp", "log_softmax", "cross_entropy", "contrastive_loss",
           "triplet_loss", "batch_triplet_loss", "MinedTriplets", "info_nce", "alignment", "uniformity"]

DISTANCES = ("euclidean", "cosine")
MINING = ("all", "hard", "semi-hard")
REDUCTIONS = ("mean", "sum", "none")
EPS = 1e-6  # under the square root of a distance: two equal points get a finite gradient, not NaN
normalize = normalize_rows  # x / max(||x||, eps) per row, (B, d) -> (B, d); a zero row stays zero


# ----------------------------------------------------------------------------- input checks (public boundary)
def _check(name: str, x, rows: int = 1, like: Tensor | None = None) -> None:
    """x must be a float (B, d) tensor with at least `rows` rows (and the shape of `like`)."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of shape (B, d), got {type(x).__name__}")
    if x.dim() != 2 or not x.is_floating_point():
        raise ValueError(f"{name} must be a 2-D floating-point tensor (B, d), got {x.dtype} {tuple(x.shape)}")
    if like is not None and x.shape != like.shape:
        raise ValueError(f"{name} must have the same shape as the first input, {tuple(like.shape)}; got "
                         f"{tuple(x.shape)}")
    if x.shape[0] < rows:
        raise ValueError(f"{name} needs at least {rows} row(s), got B={x.shape[0]}")


def _finite(x) -> bool:
    return isinstance(x, numbers.Real) and math.isfinite(x)


def _check_options(distance=None, reduction=None, margin=None, mining=None) -> None:
    for name, value, choices in (("distance", distance, DISTANCES), ("reduction", reduction, REDUCTIONS),
                                 ("mining", mining, MINING)):
        if value is not None and value not in choices:
            raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")
    if margin is not None and not (_finite(margin) and margin >= 0):
        raise ValueError(f"margin must be a finite number >= 0, got {margin!r}")


def _labels(name: str, labels, n: int, device) -> Tensor:
    labels = torch.as_tensor(labels, device=device)
    if labels.dim() != 1 or labels.shape[0] != n:
        raise ValueError(f"{name} must be 1-D with one entry per row ({n}); got shape {tuple(labels.shape)}")
    return labels


def _reduce(per_item: Tensor, reduction: str) -> Tensor:
    return per_item.mean() if reduction == "mean" else per_item.sum() if reduction == "sum" else per_item


def _f32(x: Tensor) -> Tensor:
    """float16 / bfloat16 -> float32: exp(1/0.01) = e^100 overflows float16, so softmaxes run in float32."""
    return x.float() if x.dtype in (torch.float16, torch.bfloat16) else x


# ----------------------------------------------------------------------------- building blocks
def _squared_distances(x: Tensor, y: Tensor) -> Tensor:
    """||x_i - y_j||^2 = ||x_i||^2 + ||y_j||^2 - 2 x_i.y_j, one matmul: (N, d), (M, d) -> (N, M), clamped >= 0."""
    return ((x * x).sum(1)[:, None] + (y * y).sum(1)[None, :] - 2.0 * (x @ y.T)).clamp_min(0.0)


def pairwise_distances(x: Tensor, y: Tensor | None = None, distance: str = "euclidean", eps: float = EPS) -> Tensor:
    """All distances between the rows of x (N, d) and y (M, d) -> (N, M); y defaults to x.

        euclidean:  sqrt(||x_i - y_j||^2 + eps^2)      cosine:  1 - cos(x_i, y_j)   (0 same direction, 2 opposite)
    """
    _check_options(distance=distance)
    y = x if y is None else y
    if distance == "cosine":
        return 1.0 - normalize(x) @ normalize(y).T
    return (_squared_distances(x, y) + eps * eps).sqrt()


def _rowwise_distance(a: Tensor, b: Tensor, distance: str) -> Tensor:
    """Distance between row i of a and row i of b: (B, d), (B, d) -> (B,)."""
    if distance == "cosine":
        return 1.0 - (normalize(a) * normalize(b)).sum(-1)
    return (a - b).norm(dim=-1)        # torch's norm gives gradient 0 (not NaN) where a == b


def logsumexp(x: Tensor, dim: int = -1, keepdim: bool = False) -> Tensor:
    """log sum_j exp(x_j) = m + log sum_j exp(x_j - m), m = max_j x_j: every exp() <= 1, one = 1 (no overflow)."""
    m = x.amax(dim=dim, keepdim=True).detach()     # a constant shift: it cancels in the math
    out = m + (x - m).exp().sum(dim=dim, keepdim=True).log()
    return out if keepdim else out.squeeze(dim)


def log_softmax(x: Tensor, dim: int = -1) -> Tensor:
    """log softmax(x)_j = x_j - logsumexp(x).  Same shape as x."""
    return x - logsumexp(x, dim=dim, keepdim=True)


def cross_entropy(logits: Tensor, targets, reduction: str = "mean") -> Tensor:
    """Softmax cross-entropy: loss_i = -log softmax(logits_i)[t_i] = logsumexp(logits_i) - logits_i[t_i].

    logits (N, C); targets (N,) ints in [0, C). -> scalar, or (N,) for reduction="none". Columns set to
    -inf take no probability and get no gradient (that is how masks work). Its gradient is the textbook
    softmax(logits_i) - onehot(t_i). float16 / bfloat16 logits are computed in float32.
    """
    _check("logits", logits)
    _check_options(reduction=reduction)
    targets = _labels("targets", targets, logits.shape[0], logits.device).long()
    log_p = log_softmax(_f32(logits), dim=1)                                   # (N, C)
    return _reduce(-log_p.gather(1, targets[:, None]).squeeze(1), reduction)   # pick the target: (N,)


# ----------------------------------------------------------------------------- contrastive and triplet
def contrastive_loss(x1: Tensor, x2: Tensor, labels, margin: float = 0.5, distance: str = "cosine",
                     reduction: str = "mean") -> Tensor:
    """Contrastive loss on labelled pairs (Hadsell, Chopra & LeCun 2006).

        d_i = distance(x1_i, x2_i);   loss_i = y_i d_i^2 / 2  +  (1 - y_i) max(0, margin - d_i)^2 / 2

    x1, x2: (B, d), B >= 1; labels (B,): 1 = similar (pull together), 0 = dissimilar (push apart until
    `margin` away, then leave alone; Hadsell et al. write Y=0 for similar). -> scalar, or (B,) for "none".
    """
    _check("x1", x1)
    _check("x2", x2, like=x1)
    _check_options(distance, reduction, margin)
    labels = _labels("labels", labels, x1.shape[0], x1.device)
    if not bool(((labels == 0) | (labels == 1)).all()):
        raise ValueError("labels must be 0 (dissimilar pair) or 1 (similar pair)")
    y = labels.to(x1.dtype)
    d = _rowwise_distance(x1, x2, distance)                          # (B,)
    pull = y * d.pow(2)                                              # similar: shrink d
    push = (1 - y) * (margin - d).clamp_min(0).pow(2)                # dissimilar: grow d up to margin
    return _reduce(0.5 * (pull + push), reduction)


def triplet_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0,
                 distance: str = "euclidean", reduction: str = "mean") -> Tensor:
    """Triplet loss on given triplets (FaceNet):  loss_i = max(0, d(a_i, p_i) - d(a_i, n_i) + margin).

    anchor, positive, negative: (B, d), B >= 1. Zero once the negative is `margin` further than the
    positive: only active triplets give gradient. "euclidean" matches F.triplet_margin_loss; "cosine"
    uses d = 1 - cos. -> scalar, or (B,) for reduction="none".
    """
    _check("anchor", anchor)
    _check("positive", positive, like=anchor)
    _check("negative", negative, like=anchor)
    _check_options(distance, reduction, margin)
    d_ap = _rowwise_distance(anchor, positive, distance)             # (B,)
    d_an = _rowwise_distance(anchor, negative, distance)             # (B,)
    return _reduce((d_ap - d_an + margin).clamp_min(0), reduction)


class MinedTriplets(NamedTuple):
    """What batch_triplet_loss used: triplets (T, 3) long rows (anchor, positive, negative),
    their hinge values `losses` (T,) (detached), and `n_active`, how many are > 0."""
    triplets: Tensor
    losses: Tensor
    n_active: int


def batch_triplet_loss(embeddings: Tensor, labels, margin: float = 1.0, distance: str = "euclidean",
                       mining: str = "hard", return_triplets: bool = False, eps: float = EPS):
    """Triplet loss with the triplets mined inside a labelled batch.

    embeddings (B, d); labels (B,): equal labels are positives of each other, different ones negatives.
    With D = pairwise_distances(embeddings) (B, B):
      "all"       every valid (a, p, n), a != p; loss = mean hinge max(0, D[a,p] - D[a,n] + margin) over
                  the *active* triplets (Hermans et al. 2017: the many easy ones would dilute the gradient).
      "hard"      per anchor the furthest positive and the closest negative; mean over anchors with both.
      "semi-hard" per positive pair (a, p) the closest negative further than p (FaceNet), else the
                  furthest negative; mean over pairs whose anchor has a negative.
    -> the scalar loss, or (loss, MinedTriplets) when return_triplets=True. A batch with no valid
    triplet (one class, or all labels distinct) gives 0 (still differentiable).
    """
    _check("embeddings", embeddings)
    _check_options(distance, margin=margin, mining=mining)
    labels = _labels("labels", labels, embeddings.shape[0], embeddings.device)

    D = pairwise_distances(embeddings, distance=distance, eps=eps)  # (B, B), differentiable
    Dc = D.detach()                                                 # mining only picks indices
    same = labels[:, None] == labels[None, :]                       # (B, B)
    is_pos = same & ~torch.eye(len(labels), dtype=torch.bool, device=D.device)   # (a, p)
    is_neg = ~same                                                  # (a, n)
    if mining == "all":
        a, p, n = (is_pos[:, :, None] & is_neg[:, None, :]).nonzero(as_tuple=True)   # (T,) each
    elif mining == "hard":
        a = (is_pos.any(1) & is_neg.any(1)).nonzero(as_tuple=True)[0]
        p = Dc.masked_fill(~is_pos, -math.inf).argmax(1)[a]                          # furthest positive
        n = Dc.masked_fill(~is_neg, math.inf).argmin(1)[a]                           # closest negative
    else:  # semi-hard
        a, p = is_pos.nonzero(as_tuple=True)                                          # (P,) positive pairs
        d_ap, d_an, neg = Dc[a, p][:, None], Dc[a], is_neg[a]                         # (P,1) (P,B) (P,B)
        further = neg & (d_an > d_ap)
        semi = d_an.masked_fill(~further, math.inf).argmin(1)                         # closest beyond p
        fallback = d_an.masked_fill(~neg, -math.inf).argmax(1)                        # furthest overall
        n = torch.where(further.any(1), semi, fallback)
        keep = neg.any(1)
        a, p, n = a[keep], p[keep], n[keep]

    hinge = (D[a, p] - D[a, n] + margin).clamp_min(0)                                 # (T,)
    n_active = int((hinge.detach() > 0).sum())
    if hinge.numel() == 0:
        loss = D.sum() * 0.0                       # no triplet: 0, but keep the graph
    else:
        loss = hinge.sum() / max(n_active, 1) if mining == "all" else hinge.mean()
    if not return_triplets:
        return loss
    return loss, MinedTriplets(torch.stack([a, p, n], 1), hinge.detach(), n_active)


# ----------------------------------------------------------------------------- InfoNCE
def info_nce(query: Tensor, key: Tensor, temperature: float = 0.05, *, hard_negatives: Tensor | None = None,
             hard_negative_weight: float = 0.0, symmetric: bool = False, groups=None, exclude: Tensor | None = None,
             reduction: str = "mean", eps: float = NORM_EPS) -> Tensor:
    """InfoNCE / NT-Xent: for each query, a B-way classification of which key is its own.

        s_ij = cos(q_i, k_j) / temperature;   loss_i = -log softmax(s_i)[i] = logsumexp_j(s_ij) - s_ii

    query, key (B, d), B >= 2: key i is query i's positive, the other keys its negatives; equal s give ln B.
    hard_negatives (B, d): one more block of negatives (supervised SimCSE), logits (B, 2B); weight w is
        added to (i, B + i), each query's own hard negative (a log-weight; 0 = plain).
    symmetric: average with the keys classifying the queries (CLIP); that direction has no hard negatives.
    groups (B,): key j is no negative for query i when groups[i] == groups[j] (duplicates);
    exclude bool (B, B) or (B, 2B): True = not a negative. The positive is never excluded.
    -> scalar, or (B,) for reduction="none". float16 / bfloat16 inputs are computed in float32.
    """
    mask = _check_info_nce(query, key, temperature, hard_negatives, hard_negative_weight, groups, exclude, reduction)
    q, k = normalize(_f32(query), eps), normalize(_f32(key), eps)          # (B, d) unit rows
    logits = q @ k.T / temperature                                         # (B, B) cosine / τ, positives on the diagonal
    if hard_negatives is not None:
        h = normalize(_f32(hard_negatives), eps)                           # (B, d)
        own = hard_negative_weight * torch.eye(len(q), dtype=q.dtype, device=q.device)   # w at (i, i) of the block
        logits = torch.cat([logits, q @ h.T / temperature + own], dim=1)   # (B, 2B)
    if mask is not None:
        logits = logits.masked_fill(mask, -math.inf)                       # probability 0, gradient 0
    loss = -log_softmax(logits, dim=1).diagonal()                          # pick the positive: (B,)
    if symmetric:
        back = logits[:, :len(q)].T                                        # (B, B): key j classifies the queries
        loss = 0.5 * (loss - log_softmax(back, dim=1).diagonal())
    return _reduce(loss, reduction)


def _check_info_nce(query, key, temperature, hard_negatives, weight, groups, exclude, reduction) -> Tensor | None:
    """The checks of info_nce and losses_fast.info_nce_fast. -> (B, C) bool mask of non-negative columns, or None."""
    _check("query", query, rows=2)
    _check("key", key, like=query)
    _check_options(reduction=reduction)
    if not (_finite(temperature) and temperature > 0):
        raise ValueError(f"temperature must be a number > 0 (typical: 0.05 .. 1), got {temperature!r}")
    if not _finite(weight):
        raise ValueError(f"hard_negative_weight must be a finite number (a log-weight; 0 = plain), got {weight!r}")
    if hard_negatives is not None:
        _check("hard_negatives", hard_negatives, like=query)
    elif weight != 0:
        raise ValueError("hard_negative_weight needs hard_negatives (a (B, d) tensor); pass them or leave it at 0")
    if groups is None and exclude is None:
        return None
    B = query.shape[0]
    C = B if hard_negatives is None else 2 * B
    mask = torch.zeros(B, C, dtype=torch.bool, device=query.device)
    if groups is not None:
        g = _labels("groups", groups, B, query.device)
        mask[:, :B] = g[:, None] == g[None, :]
    if exclude is not None:
        exclude = torch.as_tensor(exclude, device=query.device)
        if exclude.dtype != torch.bool or exclude.shape not in ((B, B), (B, C)):
            raise ValueError(f"exclude must be a bool tensor of shape ({B}, {B})" + (f" or ({B}, {C})" if C > B else "")
                             + f"; got {exclude.dtype} {tuple(exclude.shape)}")
        mask[:, :exclude.shape[1]] |= exclude
    mask[:, :B].fill_diagonal_(False)       # the positive is never masked
    return mask


# ----------------------------------------------------------------------------- alignment / uniformity
def alignment(x: Tensor, y: Tensor, alpha: float = 2.0, eps: float = NORM_EPS) -> Tensor:
    """Alignment (Wang & Isola 2020), lower is better:  mean_i ||x^_i - y^_i||^alpha,  x^ = x / ||x||.

    x, y (B, d). Rows are normalised first (a zero row stays zero); for unit rows alpha=2 gives [0, 4].
    """
    _check("x", x)
    _check("y", y, like=x)
    return (normalize(_f32(x), eps) - normalize(_f32(y), eps)).norm(dim=1).pow(alpha).mean()


def uniformity(x: Tensor, t: float = 2.0, eps: float = NORM_EPS) -> Tensor:
    """Uniformity (Wang & Isola 2020), lower is better:  log mean_{i<j} exp(-t ||x^_i - x^_j||^2).

    x (B, d), B >= 2. Rows are normalised first, then the real squared distances are used: points on one
    spot give 0 (the worst), and so do all-zero rows (a zero row stays zero); evenly spread points score
    below 0 (B points on the circle, t=2: about -1.58 as B grows).
    """
    _check("x", x, rows=2)
    x = normalize(_f32(x), eps)
    sq = _squared_distances(x, x)                                          # (B, B)
    i, j = torch.triu_indices(len(x), len(x), offset=1, device=x.device)   # each pair once
    return logsumexp(-t * sq[i, j], dim=0) - math.log(len(i))
