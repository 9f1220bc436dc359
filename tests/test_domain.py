"""Domain adaptation: the news split keeps held-out stories out of training, the yardstick is built from them,
the replay share is what it says, and adapting trains a copy, never the original."""
import numpy as np
import pytest

from conftest import bpe_tokenizer, tiny_encoder
from minisent.training import domain


def test_held_out_stories_never_reach_training():
    train, held = domain.news_split()
    assert len(train) + len(held) == len(domain.news_stories()) and len(held) == 60
    held_sents = {s for story in held for s in story}
    train_sents = set(domain.news_sentences())
    assert len(train_sents) > 1500 and not (train_sents & held_sents - {s for st in train for s in st})
    story_of = {s: k for k, story in enumerate(held) for s in story}
    for split in ("dev", "test"):
        triplets = domain.news_yardstick(split)
        assert len(triplets) > 200
        for t in triplets[:50]:
            assert t.anchor in held_sents and story_of[t.positive] == story_of[t.anchor] != story_of[t.negative]
    dev_anchors = {t.anchor for t in domain.news_yardstick("dev")}
    assert not dev_anchors & {t.anchor for t in domain.news_yardstick("test")}


def test_source_share():
    news = domain.news_sentences()
    assert domain.training_stream(0.0) == news
    mixed = domain.training_stream(0.5, source=[f"wiki sentence {i}" for i in range(10_000)])
    assert mixed[:len(news)] == news and len(mixed) == 2 * len(news)
    with pytest.raises(ValueError, match="source_share"):
        domain.training_stream(1.0)


def test_adapt_trains_a_copy():
    news = domain.news_sentences()[:200]
    enc = tiny_encoder(bpe_tokenizer(news, vocab_size=200), seed=0, dropout=0.1, max_len=64)
    before = enc.encode(news[:5])
    adapted, history = domain.adapt(enc, steps=3, batch_size=8, lr=1e-3, progress=False, device="cpu")
    np.testing.assert_array_equal(enc.encode(news[:5]), before)
    assert np.abs(adapted.encode(news[:5]) - before).max() > 1e-4 and len(history["loss"]) == 3
