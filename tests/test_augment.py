import random

import pytest

from minisent.text.augment import crop, delete_words, noisy_view, two_views

WORDS = "the quick brown fox jumps over the lazy dog today".split()


def test_crop_is_contiguous_and_keeps_the_minimum():
    rng = random.Random(0)
    lengths = set()
    for _ in range(500):
        span = crop(WORDS, rng, min_keep=0.3)
        lengths.add(len(span))
        assert 3 <= len(span) <= len(WORDS)
        # contiguous: the span occurs as a slice of the sentence
        assert any(WORDS[i:i + len(span)] == span for i in range(len(WORDS) - len(span) + 1))
    assert lengths == set(range(3, 11))  # every allowed length occurs


def test_delete_words_rate_and_never_empty():
    rng = random.Random(0)
    kept = [len(delete_words(WORDS, rng, p=0.4)) for _ in range(4000)]
    assert min(kept) >= 1
    assert abs(sum(kept) / (4000 * len(WORDS)) - 0.6) < 0.02  # about 60 % survive
    assert delete_words(WORDS, rng, p=0.0) == WORDS
    assert delete_words([], rng, p=0.5) == []


def test_views_are_seeded_and_differ_between_the_two_views():
    a1, b1 = two_views([" ".join(WORDS)] * 20, random.Random(3))
    a2, b2 = two_views([" ".join(WORDS)] * 20, random.Random(3))
    assert (a1, b1) == (a2, b2)
    assert sum(x != y for x, y in zip(a1, b1)) >= 15
    assert all(set(v.split()) <= set(WORDS) for v in a1 + b1)


def test_bad_parameters_are_clear_errors():
    with pytest.raises(ValueError, match="min_keep"):
        crop(WORDS, random.Random(0), min_keep=0)
    with pytest.raises(ValueError, match="probability"):
        delete_words(WORDS, random.Random(0), p=1.0)
    assert noisy_view("one", random.Random(0)) == "one"
