"""DistinctBatchSampler: no duplicate (false negative) ever shares a batch; nothing is lost; reproducible."""
import random
from collections import Counter

import pytest

from minisent.training.sampler import DistinctBatchSampler, normalize_text


def _texts_with_duplicates(n=400, distinct=150, seed=0):
    rng = random.Random(seed)
    base = [f"Sentence number {i} is here." for i in range(distinct)]
    # the same sentence in other surface forms: case, spacing, punctuation
    variants = lambda s: [s, s.upper(), "  " + s.lower().replace(".", " !"), s.replace(" ", "  ")]
    return [rng.choice(variants(rng.choice(base))) for _ in range(n)]


def test_normalize_text():
    assert normalize_text("The  Cat!") == normalize_text("the cat") == "the cat"
    assert normalize_text("Don't stop.") == "don't stop"
    assert normalize_text("A dog.") != normalize_text("A cat.")


@pytest.mark.parametrize("batch_size", [2, 16, 64])
@pytest.mark.parametrize("drop_last", [True, False])
def test_no_duplicates_in_a_batch(batch_size, drop_last):
    texts = _texts_with_duplicates()
    keys = [normalize_text(t) for t in texts]
    assert len(set(keys)) < len(keys) / 2  # the test set really is full of duplicates
    sampler = DistinctBatchSampler.from_texts(texts, batch_size, seed=1, drop_last=drop_last)
    for epoch in range(3):
        sampler.set_epoch(epoch)
        batches = list(sampler)
        assert batches
        for b in batches:
            assert len({keys[i] for i in b}) == len(b), "a duplicate shared a batch"
            assert 2 <= len(b) <= batch_size
            if drop_last:
                assert len(b) == batch_size
        seen = [i for b in batches for i in b]
        assert len(seen) == len(set(seen))  # no item twice in an epoch
        if not drop_last:  # every item is used, except a few at the very end that clash with the last batch
            missing = set(range(len(texts))) - set(seen)
            assert len(missing) <= 5
            assert {keys[i] for i in missing} <= {keys[i] for i in seen}  # only duplicates are left out


def test_random_batches_would_have_duplicates():
    """The reference: plain shuffled batches of the same data do put duplicates together."""
    texts = _texts_with_duplicates()
    keys = [normalize_text(t) for t in texts]
    order = list(range(len(texts)))
    random.Random(0).shuffle(order)
    clashes = sum(len({keys[i] for i in order[s:s + 64]}) < 64 for s in range(0, 384, 64))
    assert clashes > 0


def test_group_ids_and_several_keys():
    # group ids: items 0..99 in 10 groups
    groups = [i % 10 for i in range(100)]
    s = DistinctBatchSampler(groups, batch_size=10, seed=3)
    batches = list(s)
    assert len(batches) == 10 and all(sorted(groups[i] for i in b) == list(range(10)) for b in batches)
    # several keys per item (e.g. an NLI triplet's three texts): no key may repeat inside a batch
    triplets = [(f"p{i % 30}", f"h{i}", f"c{i % 45}") for i in range(300)]
    s = DistinctBatchSampler(triplets, batch_size=16, seed=0)
    for b in s:
        ks = [k for i in b for k in triplets[i]]
        assert len(ks) == len(set(ks))


def test_reproducible_and_reshuffled():
    texts = _texts_with_duplicates()
    a = DistinctBatchSampler.from_texts(texts, 32, seed=5)
    b = DistinctBatchSampler.from_texts(texts, 32, seed=5)
    assert list(a) == list(b)
    first = list(a)
    a.set_epoch(1)
    assert list(a) != first  # a new shuffle each epoch
    c = DistinctBatchSampler.from_texts(texts, 32, seed=6)
    assert list(c) != first


def test_without_duplicates_it_is_a_plain_shuffle():
    s = DistinctBatchSampler(list(range(100)), batch_size=10, seed=0)
    batches = list(s)
    assert len(s) == len(batches) == 10
    assert sorted(i for b in batches for i in b) == list(range(100))


def test_bad_input():
    with pytest.raises(ValueError, match="batch_size"):
        DistinctBatchSampler([1, 2, 3], batch_size=1)
    with pytest.raises(ValueError, match="distinct keys"):
        DistinctBatchSampler(["a", "a", "b"], batch_size=3)
    with pytest.raises(ValueError, match="no items"):
        DistinctBatchSampler([], batch_size=2)


def test_works_as_a_dataloader_batch_sampler():
    torch = pytest.importorskip("torch")
    data = [f"s{i % 20}" for i in range(60)]
    s = DistinctBatchSampler.from_texts(data, batch_size=8, seed=0)
    loader = torch.utils.data.DataLoader(data, batch_sampler=s, collate_fn=list)
    for batch in loader:
        assert len(set(batch)) == len(batch) == 8
    assert Counter(len(b) for b in loader)[8] == len(list(s))
