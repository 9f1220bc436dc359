"""The offline corpora built from gensim's test data (minisent.data.corpora) and their JSON cache."""
import json
from collections import Counter

import pytest

from minisent import data
from minisent.data import corpora


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    """Point the corpus cache at an empty folder; clear the in-memory copy before and after."""
    monkeypatch.setattr(corpora, "CACHE_DIR", tmp_path)
    corpora._corpus.cache_clear()
    yield tmp_path / corpora._CACHE_FILE
    corpora._corpus.cache_clear()  # later tests read the real cache again


# ---------------------------------------------------------------------------------- counts
def test_wiki_sentences():
    sentences = data.wiki_sentences()
    articles = data.wiki_articles()
    assert len(sentences) > 10_000 and len(articles) > 50
    assert all(isinstance(s, data.WikiSentence) and s.article and s.section and s.text for s in sentences)
    assert articles == list(dict.fromkeys(s.article for s in sentences))  # dump order, no repeats
    sections = Counter(s.section for s in sentences)
    assert sections["Introduction"] > 0
    assert sum(n for sec, n in sections.items() if sec != "Introduction") > len(sentences) / 2
    assert not {"References", "External links", "See also"} & set(sections)  # link lists are skipped
    # kept sentences are prose: 5..60 words ending in . ! ?, no markup left over
    assert all(5 <= len(s.text.split()) <= 60 and s.text[-1] in ".!?" for s in sentences)
    assert not any(ch in s.text for s in sentences for ch in "[]{}|=<>")


def test_lee():
    docs = data.lee_documents()
    pairs = data.lee_pairs()
    assert len(docs) == 50 and len(set(docs)) == 50
    assert len(pairs) == 50 * 49 // 2 == 1225
    assert all(0.0 <= p.score <= 1.0 for p in pairs)
    assert len({p.score for p in pairs}) > 20  # real ratings, not a constant
    assert all(p.sentence1 in docs and p.sentence2 in docs and p.sentence1 != p.sentence2 for p in pairs)
    assert len({(p.sentence1, p.sentence2) for p in pairs}) == 1225  # each unordered pair once
    background = data.lee_background()
    assert len(background) > 1000 and all(len(s.split()) >= 3 for s in background)


def test_word_pairs():
    ws, sl = data.wordsim353(), data.simlex999()
    assert len(ws) == 353 and len(sl) == 999
    assert all(0 <= p.score <= 10 for p in ws + sl)
    assert all(p.word1 == p.word1.lower() and p.word2 == p.word2.lower() and " " not in p.word1 for p in ws + sl)
    assert data.WordPair("tiger", "cat", 7.35) in ws


def test_sentiment_balanced():
    sents = data.sentiment_sentences()
    assert len(sents) == 200
    assert Counter(s.label for s in sents) == {"pos": 100, "neg": 100}
    assert all(s.text and not s.text.startswith("__label__") for s in sents)


def test_corpus_sentences_deduplicated():
    corpus = data.corpus_sentences()
    assert len(corpus) == len(set(corpus))
    wiki = {s.text for s in data.wiki_sentences()}
    assert wiki <= set(corpus) and set(data.lee_background()) <= set(corpus)
    assert len(corpus) == len(wiki | set(data.lee_background()))


def test_corpus_stats():
    rows = {r["source"]: r for r in data.corpus_stats()}
    assert rows["wordsim353"]["items"] == 353 and rows["lee-documents"]["unit"] == "document"
    assert all(0 < r["vocabulary"] <= r["tokens"] for r in rows.values())


# ------------------------------------------------------------------------------- tokenizing
@pytest.mark.parametrize("text, tokens", [
    ("The dog's bone, 3 days old!", ["the", "dog's", "bone", "3", "days", "old"]),
    ("Don't STOP", ["don't", "stop"]),
    ("snake_case and  tabs\there", ["snake", "case", "and", "tabs", "here"]),
    ("'quoted' words'", ["quoted", "words"]),  # outer quotes are not part of a word
    ("Café naïve über", ["café", "naïve", "über"]),
    ("e-mail, 3.5%", ["e", "mail", "3", "5"]),
    ("", []),
    ("?!...", []),
])
def test_tokenize_words(text, tokens):
    assert data.tokenize_words(text) == tokens


def test_tokenize_words_rejects_non_strings():
    with pytest.raises(TypeError, match="str"):
        data.tokenize_words(["a list"])


def test_split_sentences():
    assert data.split_sentences("It rained. Then it stopped! Was it over? 2 hours later it rained.") == [
        "It rained.", "Then it stopped!", "Was it over?", "2 hours later it rained."]
    assert data.split_sentences("Pi is 3.14 and e is 2.71.") == ["Pi is 3.14 and e is 2.71."]


# ------------------------------------------------------------------------------------ cache
def test_cache_rebuilt_when_deleted(fresh_cache):
    real = {"wiki": len(data.wiki_sentences()), "lee": data.lee_pairs()[:3]}  # built now, into tmp
    assert fresh_cache.exists()
    cached = json.loads(fresh_cache.read_text(encoding="utf-8"))
    assert cached["version"] == corpora.CACHE_VERSION and len(cached["wiki"]) == real["wiki"]
    fresh_cache.unlink()
    corpora._corpus.cache_clear()
    assert len(data.wiki_sentences()) == real["wiki"] and data.lee_pairs()[:3] == real["lee"]
    assert fresh_cache.exists() and not list(fresh_cache.parent.glob("*.tmp"))


@pytest.mark.parametrize("damage", [
    b'{"version": 1, "wiki": [{"article": "Anarch',  # cut off mid-write
    b'{"version": 1, "wiki": [\xff\xfe',              # not even UTF-8
    b"[]",                                             # valid JSON, wrong shape
    b'{"version": -1}',                                # an older cache format
])
def test_damaged_or_old_cache_is_rebuilt(fresh_cache, monkeypatch, damage):
    builds = []
    tiny = {"version": corpora.CACHE_VERSION, "wiki": [{"article": "A", "section": "Introduction", "text": "x."}],
            "lee_background": [], "lee_documents": [], "lee_pairs": [], "wordsim353": [], "simlex999": [],
            "sentiment": []}
    monkeypatch.setattr(corpora, "_build", lambda: builds.append(1) or tiny)  # the real build takes seconds
    fresh_cache.write_bytes(damage)
    assert data.wiki_sentences() == [data.WikiSentence("A", "Introduction", "x.")]
    assert len(builds) == 1
    assert json.loads(fresh_cache.read_text(encoding="utf-8")) == tiny  # repaired on disk
    corpora._corpus.cache_clear()
    data.wiki_sentences()
    assert len(builds) == 1  # the repaired cache is read, not rebuilt
