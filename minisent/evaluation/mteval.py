"""Scoring a machine translation against a reference translation, with embeddings and without.

A translation system is judged by comparing its output (the candidate) with a human translation (the
reference). Three scores, from the crudest:

    word_overlap_f1(c, r)   unigram F1 of the two bags of words (counts clipped): the core of BLEU / chrF-style
                            metrics. "automobile" for "car" earns nothing; a shuffled sentence keeps full marks.
    sentence_cosine(model, c, r)   cos(model(c), model(r)): one vector per sentence (any `encode()` model).
    greedy_match_f1(C, R)   BERTScore (Zhang et al. 2020) without its IDF weights and rescaling: with contextual
                            token vectors C (m, d) of the candidate and R (n, d) of the reference,
                                P = 1/m sum_i max_j cos(c_i, r_j)     every candidate token finds its best match
                                R = 1/n sum_j max_i cos(c_i, r_j)     every reference token finds its best match
                                F = 2 P R / (P + R)
    token_f1(model, c, r)   greedy_match_f1 on a SentenceEncoder's token vectors ([CLS] / [SEP] left out).

`corrupt(sentence, kind, rng)` makes the wrong candidates lesson 12 ranks against a correct one: a word
dropped, two words swapped, or a word replaced by a word from another sentence.
"""
from __future__ import annotations

import random
from collections import Counter
from typing import Sequence

import numpy as np
import torch

from ..data import tokenize_words
from ..inputs import normalize_rows
from ..text.tokenize import CLS_ID, SEP_ID
from .metrics import cosine

CORRUPTIONS = ("drop", "swap", "wrong")


def word_overlap_f1(candidate: str, reference: str) -> float:
    """Unigram F1 of lowercase words: matches = sum over words of min(count in c, count in r) (clipped)."""
    c, r = Counter(tokenize_words(candidate)), Counter(tokenize_words(reference))
    matches = sum((c & r).values())
    if matches == 0:
        return 0.0
    precision, recall = matches / sum(c.values()), matches / sum(r.values())
    return 2 * precision * recall / (precision + recall)


def sentence_cosine(model, candidates: Sequence[str], references: Sequence[str]) -> np.ndarray:
    """cos(model(candidate_i), model(reference_i)) for each i. -> (n,)"""
    if len(candidates) != len(references):
        raise ValueError(f"{len(candidates)} candidates but {len(references)} references")
    return cosine(model.encode(list(candidates)), model.encode(list(references)))


def greedy_match_f1(C: np.ndarray, R: np.ndarray) -> float:
    """BERTScore's F from candidate token vectors C (m, d) and reference token vectors R (n, d)."""
    C, R = np.asarray(C, dtype=np.float64), np.asarray(R, dtype=np.float64)
    if C.ndim != 2 or R.ndim != 2 or C.shape[1] != R.shape[1] or not len(C) or not len(R):
        raise ValueError(f"greedy_match_f1 needs non-empty (m, d) and (n, d) arrays, got {C.shape} and {R.shape}")
    S = normalize_rows(C) @ normalize_rows(R).T   # (m, n): cos(c_i, r_j)
    precision = S.max(1).mean()                   # each candidate token's best reference token
    recall = S.max(0).mean()                      # each reference token's best candidate token
    return float(2 * precision * recall / (precision + recall))


def token_vectors(model, sentence: str) -> np.ndarray:
    """A SentenceEncoder's contextual vectors of one sentence's tokens, [CLS] and [SEP] left out. -> (T, d)"""
    return batch_token_vectors(model, [sentence])[0]


@torch.no_grad()
def batch_token_vectors(model, sentences: Sequence[str], batch_size: int = 64) -> list[np.ndarray]:
    """`token_vectors` of each sentence, computed a padded batch at a time (padding is masked, so each
    sentence's vectors are the ones it gets alone). -> [(T_i, d)]"""
    model.eval()
    out = []
    for start in range(0, len(sentences), batch_size):
        chunk = list(sentences[start:start + batch_size])
        hidden, mask = model.token_embeddings(chunk)             # (B, T, d), (B, T)
        ids, _ = model._as_batch(chunk)                          # (B, T)
        keep = mask & (ids != CLS_ID) & (ids != SEP_ID)          # (B, T)
        out += [hidden[i, keep[i]].float().cpu().numpy() for i in range(len(chunk))]
    return out


def token_f1(model, candidates: Sequence[str], references: Sequence[str]) -> np.ndarray:
    """greedy_match_f1 of each candidate against its reference, on `model`'s token vectors. -> (n,)"""
    if len(candidates) != len(references):
        raise ValueError(f"{len(candidates)} candidates but {len(references)} references")
    unique = list(dict.fromkeys([*candidates, *references]))    # each distinct sentence encoded once
    vectors = dict(zip(unique, batch_token_vectors(model, unique)))
    return np.array([greedy_match_f1(vectors[c], vectors[r]) for c, r in zip(candidates, references)])


def corrupt(sentence: str, kind: str, rng: random.Random, vocabulary: Sequence[str] = ()) -> str:
    """One wrong version of `sentence` (words split on spaces, end punctuation kept in place):

    "drop"   delete one word;   "swap"   exchange two words (never two equal ones);
    "wrong"  replace one word with a word of `vocabulary` that the sentence does not contain.
    """
    if kind not in CORRUPTIONS:
        raise ValueError(f"unknown corruption {kind!r}; choose one of {', '.join(CORRUPTIONS)}")
    words = sentence.rstrip(".!?").split()
    end = sentence[len(sentence.rstrip(".!?")):]
    if len(words) < 3:
        raise ValueError(f"a sentence to corrupt needs at least 3 words, got {sentence!r}")
    i = rng.randrange(len(words))
    if kind == "drop":
        words = words[:i] + words[i + 1:]
    elif kind == "swap":
        j = rng.choice([k for k in range(len(words)) if words[k].lower() != words[i].lower()])
        words[i], words[j] = words[j], words[i]
    else:
        own = {w.lower() for w in words}
        choices = [w for w in vocabulary if w.lower() not in own]
        if not choices:
            raise ValueError("'wrong' needs a vocabulary with a word the sentence does not contain")
        words[i] = rng.choice(choices)
    return " ".join(words) + end
