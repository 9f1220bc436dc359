from collections import defaultdict

import pytest

from minisent import data
from minisent.data.triplets import section_triplets, split_articles


@pytest.fixture(scope="module")
def where():
    """sentence text -> set of (article, section) it occurs in."""
    index = defaultdict(set)
    for s in data.wiki_sentences():
        index[s.text].add((s.article, s.section))
    return index


@pytest.fixture(scope="module")
def triplets():
    return section_triplets(held_out_fraction=0.2, seed=0)


def test_held_out_articles_never_appear_in_training(triplets, where):
    train, held = triplets
    articles = lambda ts: {a for t in ts for s in (t.anchor, t.positive, t.negative) for a, _ in where[s]}
    assert len(train) > 1000 and len(held) > 200
    assert not articles(train) & articles(held)


def test_positive_shares_the_section_and_negative_does_not(triplets, where):
    train, held = triplets
    for t in train[:500] + held[:200]:
        anchor_places = where[t.anchor]
        assert anchor_places & where[t.positive], "anchor and positive come from one section"
        articles = {a for a, _ in anchor_places}
        neg_places = where[t.negative]
        assert {a for a, _ in neg_places} & articles, "negative comes from the same article"
        assert not (neg_places & anchor_places), "negative comes from another section"
        assert t.anchor != t.positive


def test_same_seed_same_triplets_other_seed_other_split():
    assert section_triplets(seed=1) == section_triplets(seed=1)
    assert section_triplets(seed=1)[1] != section_triplets(seed=2)[1]


def test_split_articles_is_a_partition_and_checks_its_fraction():
    names = [f"a{i}" for i in range(10)]
    train, held = split_articles(names, 0.3, seed=0)
    assert sorted(train + held) == sorted(names) and len(held) == 3
    with pytest.raises(ValueError, match="held_out_fraction"):
        split_articles(names, 1.5, seed=0)
