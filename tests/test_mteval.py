"""MT-evaluation scores: word overlap and BERTScore-style greedy matching against hand computations."""
import random

import numpy as np
import pytest
import torch

from conftest import bpe_tokenizer, tiny_encoder
from minisent.evaluation import mteval


def test_word_overlap_f1_by_hand():
    # candidate: the cat the mat (4 words); reference: the cat sat on the mat (6); clipped matches: the x2, cat, mat = 4
    assert mteval.word_overlap_f1("The cat the mat.", "the cat sat on the mat") == pytest.approx(2 * 1 * (4 / 6) / (1 + 4 / 6))
    assert mteval.word_overlap_f1("a b c", "x y") == 0.0
    assert mteval.word_overlap_f1("dog bites man", "man bites dog") == 1.0   # blind to order


def test_greedy_match_f1_by_hand():
    C = np.array([[1.0, 0.0], [0.0, 2.0]])                 # candidate tokens
    R = np.array([[1.0, 1.0], [3.0, 0.0], [-1.0, 0.0]])    # reference tokens
    # cosines: c1.r = [0.7071, 1, -1]; c2.r = [0.7071, 0, 0]
    P = (1 + 0.70710678) / 2
    Rc = (0.70710678 + 1 + 0) / 3
    assert mteval.greedy_match_f1(C, R) == pytest.approx(2 * P * Rc / (P + Rc), rel=1e-6)
    assert mteval.greedy_match_f1(C, C) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="non-empty"):
        mteval.greedy_match_f1(C[:0], R)


def test_token_f1_on_an_encoder():
    sents = ["the cat sat on the mat", "a dog barked at the cat", "rain fell on the town"]
    enc = tiny_encoder(bpe_tokenizer(sents, vocab_size=70), seed=0)
    V = mteval.token_vectors(enc, sents[0])
    ids = enc.tokenizer.encode(sents[0])                      # [CLS] ... [SEP]
    hidden, _ = enc.token_embeddings([sents[0]])
    np.testing.assert_allclose(V, hidden[0, 1:len(ids) - 1].detach().numpy(), atol=1e-6)
    batched = mteval.batch_token_vectors(enc, sents, batch_size=2)   # padded batches: the same vectors as alone
    for sentence, got in zip(sents, batched):
        n = len(enc.tokenizer.encode(sentence))
        alone = enc.token_embeddings([sentence])[0][0, 1:n - 1].detach().numpy()
        np.testing.assert_allclose(got, alone, atol=1e-5)
    scores = mteval.token_f1(enc, sents, [sents[0]] * 3)
    assert scores[0] == pytest.approx(1.0) and scores[1:].max() < 1.0
    cos = mteval.sentence_cosine(enc, sents, [sents[0]] * 3)
    assert cos[0] == pytest.approx(1.0, abs=1e-6)


def test_corruptions():
    rng = random.Random(0)
    s = "She baked a chocolate cake for the party."
    dropped = mteval.corrupt(s, "drop", rng)
    assert len(dropped.split()) == len(s.split()) - 1 and dropped.endswith(".")
    swapped = mteval.corrupt(s, "swap", rng)
    assert sorted(swapped.split()) != s.split() and sorted(swapped.rstrip(".").split()) == sorted(s.rstrip(".").split())
    wrong = mteval.corrupt(s, "wrong", rng, vocabulary=["river", "she"])
    assert "river" in wrong and len(wrong.split()) == len(s.split())
    with pytest.raises(ValueError, match="unknown corruption"):
        mteval.corrupt(s, "shout", rng)
    with pytest.raises(ValueError, match="vocabulary"):
        mteval.corrupt(s, "wrong", rng, vocabulary=["cake"])
