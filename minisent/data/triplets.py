"""Training triplets built from the offline corpus: the Wikipedia section-distinction task.

Dor et al. (2018), used by the SBERT paper: two sentences from the *same section* of an article should be
closer than a sentence from *another section of the same article*. Same article means same broad topic,
so the negative is hard: word overlap alone does not solve it.

    train, held_out = section_triplets()   # articles split first: no held-out article is ever trained on
    section_yardstick("test")              # each held-out sentence an anchor once: ~1,700 triplets, accuracy +-2 points
"""
from __future__ import annotations

import random
from collections import Counter, defaultdict

from .corpora import check_split, wiki_sentences
from .readers import NLITriplet


def _sections_by_article(min_section_size: int) -> dict[str, dict[str, list[str]]]:
    sentences = wiki_sentences()
    # a sentence repeated across sections or articles (related pages share text) would blur the task and
    # leak held-out articles into training: keep only sentences that occur in exactly one place
    seen = Counter(s.text for s in sentences)
    tree: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for s in sentences:
        if seen[s.text] == 1:
            tree[s.article][s.section].append(s.text)
    # keep sections big enough to draw an anchor and a distinct positive, and articles with >= 2 such sections
    out = {}
    for article, sections in tree.items():
        kept = {name: sents for name, sents in sections.items() if len(sents) >= min_section_size}
        if len(kept) >= 2:
            out[article] = kept
    return out


def split_articles(articles: list[str], held_out_fraction: float, seed: int) -> tuple[list[str], list[str]]:
    """Shuffle article titles with `seed` and cut: (train_articles, held_out_articles)."""
    if not 0 < held_out_fraction < 1:
        raise ValueError(f"held_out_fraction must be in (0, 1), got {held_out_fraction}")
    order = sorted(articles)
    random.Random(seed).shuffle(order)
    n_held = max(1, round(len(order) * held_out_fraction))
    return sorted(order[n_held:]), sorted(order[:n_held])


def _triplets_for(articles, tree, per_section: int, rng: random.Random) -> list[NLITriplet]:
    triplets = []
    for article in articles:
        sections = tree[article]
        names = sorted(sections)
        for name in names:
            sents = sections[name]
            others = [n for n in names if n != name]
            for _ in range(min(per_section, len(sents) // 2)):
                anchor, positive = rng.sample(sents, 2)
                negative = rng.choice(sections[rng.choice(others)])
                triplets.append(NLITriplet(anchor, positive, negative))
    return triplets


def section_triplets(held_out_fraction: float = 0.2, per_section: int = 4, min_section_size: int = 4,
                     seed: int = 0) -> tuple[list[NLITriplet], list[NLITriplet]]:
    """(train, held_out) triplets (anchor, positive: same section; negative: other section, same article).

    Articles are split *before* any triplet is drawn, so held-out triplets come only from articles the
    training triplets never touch. `per_section` caps the triplets drawn per section (big sections would
    otherwise dominate). Deterministic for a given seed.
    """
    tree = _sections_by_article(min_section_size)
    train_articles, held_articles = split_articles(list(tree), held_out_fraction, seed)
    rng = random.Random(seed)
    return (_triplets_for(train_articles, tree, per_section, rng),
            _triplets_for(held_articles, tree, per_section, rng))


def _every_anchor(articles, tree, rng: random.Random) -> list[NLITriplet]:
    """One triplet per sentence of these articles: it is the anchor, a random other sentence of its section the
    positive, a random sentence of a random other section of the same article the negative."""
    triplets = []
    for article in articles:
        sections = tree[article]
        names = sorted(sections)
        for name in names:
            others = [n for n in names if n != name]
            for anchor in sections[name]:
                positive = rng.choice([s for s in sections[name] if s != anchor])
                negative = rng.choice(sections[rng.choice(others)])
                triplets.append(NLITriplet(anchor, positive, negative))
    return triplets


def section_yardstick(split: str | None = "test", min_section_size: int = 4) -> list[NLITriplet]:
    """The Wikipedia section-distinction yardstick: triplets from articles no course model trains triplets on.

    The held-out articles of `section_triplets()` (default split) are halved by article (seed 0): "dev" for
    choosing, "test" for reporting, None both. Every sentence of a kept section is the anchor of one triplet.
    Fixed: the same triplets on every call and machine (given the same gensim test data).
    """
    check_split(split)
    tree = _sections_by_article(min_section_size)
    _, held_articles = split_articles(list(tree), 0.2, seed=0)           # section_triplets()' default split
    dev_articles, test_articles = split_articles(held_articles, 0.5, seed=0)
    articles = {"dev": dev_articles, "test": test_articles, None: held_articles}[split]
    return _every_anchor(articles, tree, random.Random(f"section-yardstick-{split}"))
