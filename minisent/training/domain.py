"""Domain adaptation: carry on unsupervised training on text of the domain the encoder will be used in.

An encoder learns the words and the habits of its training text. Moved to another domain (here: from
encyclopaedia prose to Australian news of 2001), it meets words it has rarely seen and topics it never had
to tell apart. The cheapest remedy needs no labels: continue the same unsupervised objective (SimCSE) on
sentences of the new domain (Gururangan et al. 2020 do the same with masked-LM pretraining, "don't stop
pretraining"). The risk is forgetting: what the encoder knew of the old domain can get worse. Mixing some
source text into the new training stream (a "replay" share) is the standard way to limit it.

    news_stories()              the 300 Lee background stories, each a list of sentences
    news_split()                (train stories, held-out stories): adaptation trains only on the first
    news_yardstick(split)       in-domain sentence task on held-out stories: same story vs another story
    adapt(encoder, ...)         a copy of `encoder` after `steps` of SimCSE on news (+ a share of Wikipedia)
    pretrained_news()           the built-in `simcse-news`: `simcse` adapted with DEFAULT_ADAPT_CONFIG, cached
    pretrained_news(source_share=0.5)   the same with half of the stream Wikipedia (replay), cached

The in-domain document task is the Lee ratings (`data.lee_pairs`: 50 news documents of the same source and
year, rated by people); the out-of-domain yardstick is the Wikipedia section task (`data.section_yardstick`).
"""
from __future__ import annotations

import copy
import random
from typing import Sequence

from .. import data
from ..data import NLITriplet, dev_test_split
from ..data.corpora import _read_lines, gensim_test_file, split_sentences
from .cache import cached_encoder
from .distill import student_cache_dir
from .recipes import DEFAULT_ADAPT_CONFIG, AdaptConfig, resolve
from .simcse import pretrained_simcse, train_simcse

HELD_OUT_EVERY = 5            # stories 0, 5, 10, ... are held out of adaptation (60 of 300)


def news_stories() -> list[list[str]]:
    """The Lee background corpus as 300 stories, each a list of its sentences (>= 3 words), in file order."""
    stories = [[s for s in split_sentences(doc) if len(s.split()) >= 3]
               for doc in _read_lines(gensim_test_file("lee_background.cor"))]
    return [s for s in stories if s]


def news_split() -> tuple[list[list[str]], list[list[str]]]:
    """(train stories, held-out stories): every HELD_OUT_EVERY-th story is held out."""
    stories = news_stories()
    return ([s for i, s in enumerate(stories) if i % HELD_OUT_EVERY],
            [s for i, s in enumerate(stories) if i % HELD_OUT_EVERY == 0])


def news_sentences() -> list[str]:
    """Sentences of the training stories (what adaptation trains on), duplicates removed."""
    return list(dict.fromkeys(s for story in news_split()[0] for s in story))


def news_yardstick(split: str | None = "test") -> list:
    """Triplets (anchor, positive: another sentence of the same story, negative: a sentence of another held-out
    story) with every sentence of the held-out stories an anchor once. "dev": held-out stories 0, 2, 4, ...;
    "test": 1, 3, 5, ...; None: both. Fixed (seeded by the split)."""
    stories = [s for s in dev_test_split(news_split()[1], split) if len(s) >= 2]
    rng = random.Random(f"news-yardstick-{split}")
    triplets = []
    for k, story in enumerate(stories):
        for anchor in story:
            positive = rng.choice([s for s in story if s != anchor] or story)
            other = rng.choice([s for j, s in enumerate(stories) if j != k])
            triplets.append(NLITriplet(anchor, positive, rng.choice(other)))
    return triplets


def training_stream(source_share: float = 0.0, seed: int = 0, source: Sequence[str] | None = None) -> list[str]:
    """The adaptation sentences: every news training sentence, plus source (Wikipedia) sentences so that they
    make up `source_share` of the whole (0: news only; 0.5: as many Wikipedia as news sentences)."""
    if not 0 <= source_share < 1:
        raise ValueError(f"source_share must be in [0, 1), got {source_share}")
    news = news_sentences()
    if source_share == 0:
        return news
    source = [s.text for s in data.wiki_sentences()] if source is None else list(source)
    n = min(len(source), round(len(news) * source_share / (1 - source_share)))
    return news + random.Random(seed).sample(source, n)


def adapt(encoder, config: AdaptConfig | None = None, *, device=None, progress: bool = True, **overrides):
    """A copy of `encoder` trained config.steps more steps of unsupervised SimCSE (the course's default noise) on
    `training_stream(config.source_share)`. config: an AdaptConfig (default DEFAULT_ADAPT_CONFIG); keywords naming
    its fields override it. The original is left untouched. -> (adapted encoder, fit history)."""
    cfg, _ = resolve(config, DEFAULT_ADAPT_CONFIG, overrides)
    return train_simcse(encoder=copy.deepcopy(encoder), sentences=training_stream(cfg.source_share, cfg.seed),
                        steps=cfg.steps, batch_size=cfg.batch_size, lr=cfg.lr, seed=cfg.seed, device=device,
                        progress=progress)


def pretrained_news(device=None, progress: bool = True, source_share: float = DEFAULT_ADAPT_CONFIG.source_share):
    """The built-in `simcse-news`: `simcse` adapted to the Lee news with DEFAULT_ADAPT_CONFIG, trained once, cached.

    source_share=0.5: the same run with half of the stream Wikipedia ("replay", lesson 12), cached beside it."""
    cfg = DEFAULT_ADAPT_CONFIG.override(source_share=source_share)

    def build():
        return adapt(pretrained_simcse(device=device, progress=progress), cfg, device=device, progress=progress)

    return cached_encoder(student_cache_dir("news", {**cfg.to_dict(), "held_out_every": HELD_OUT_EVERY}), build, device)
