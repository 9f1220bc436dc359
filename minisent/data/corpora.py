"""Offline corpora built from the files the installed gensim wheel ships in `gensim/test/test_data`.

Nothing here is downloaded and nothing from these files is committed: the first call parses them
(about 2 s) and writes one JSON file under `data/cache/`; later calls read that file.

    wiki_sentences()      sentences of a shortened English Wikipedia dump, each with article + section
    lee_background()      sentences of the Lee background news corpus (300 Australian news stories)
    lee_documents()       the 50 Lee documents that people rated for similarity
    lee_pairs()           the 1225 document pairs with their mean human rating (0..1)
    wordsim353()          WordSim353 word pairs with human relatedness (0..10)
    simlex999()           SimLex-999 word pairs with human similarity (0..10)
    sentiment_sentences() 200 movie-review sentences labelled pos / neg
    corpus_sentences()    the plain training corpus: wiki + Lee background sentences, deduplicated
    newsgroup_sentences() prose sentences of 200 Usenet posts (alt.atheism, sci.space; 1993), extra training text
"""
from __future__ import annotations

import bz2
import copyreg
import io
import json
import os
import pickle
import re
import zlib
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .paths import CACHE_DIR

CACHE_VERSION = 2
_CACHE_FILE = "offline_corpus_v%d.json" % CACHE_VERSION
WIKI_DUMP = "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"


# ----------------------------------------------------------------------------------- records
@dataclass(frozen=True)
class WikiSentence:
    article: str
    section: str  # "Introduction" for the text before the first heading
    text: str


@dataclass(frozen=True)
class STSPair:
    sentence1: str
    sentence2: str
    score: float
    category: str = ""  # hand-written sets say what kind of pair it is (paraphrase, negation, ...)


@dataclass(frozen=True)
class WordPair:
    word1: str
    word2: str
    score: float


@dataclass(frozen=True)
class LabelledSentence:
    text: str
    label: str


# ------------------------------------------------------------------------------- tokenizing
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")


def tokenize_words(text: str) -> list[str]:
    """Lowercase word tokens: letters/digits runs, keeping one inner apostrophe ("don't").

    The one word tokenizer every averaging model, TF-IDF and word2vec share, so they agree
    on what a word is.  "The dog's bone, 3 days old!" -> ["the", "dog's", "bone", "3", "days", "old"]
    """
    if not isinstance(text, str):
        raise TypeError(f"tokenize_words expects a str, got {type(text).__name__}")
    return _WORD.findall(text.lower().replace("\u2019", "'"))  # curly apostrophe -> straight


_SENT_END = re.compile(r"(?<=[.!?])[\"')\]]?\s+(?=[\"'(\[]?[A-Z0-9])")


def split_sentences(paragraph: str) -> list[str]:
    """Split a paragraph after . ! ? when the next word starts a sentence (capital or digit).

    Deliberately simple (no abbreviations list): good enough for the course, easy to read.
    """
    return [s.strip() for s in _SENT_END.split(paragraph) if s.strip()]


# ---------------------------------------------------------------------------- gensim files
def gensim_test_file(name: str) -> Path:
    """Path of a file in the installed gensim's test-data folder (raises if gensim lacks it)."""
    from gensim.test.utils import datapath  # lazy: gensim takes seconds to import, and most of data never needs it

    path = Path(datapath(name))
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: this gensim install does not ship its test data "
                                f"(reinstall it with `pip install --force-reinstall gensim`)")
    return path


# Sections that hold lists of links and citations, not prose.
_SKIP_SECTIONS = {"see also", "references", "external links", "further reading", "notes", "bibliography",
                  "sources", "citations", "footnotes", "works cited", "notes and references"}
_HEADING = re.compile(r"^(={2,6})\s*(.*?)\s*\1\s*$")


def _clean_line(line: str) -> str:
    line = re.sub(r"'{2,}", "", line)         # bold / italic quotes
    line = re.sub(r"\s+", " ", line)
    line = re.sub(r"\s+([,.;:!?)])", r"\1", line)
    line = re.sub(r"\(\s*[,;]?\s*\)", "", line)  # "( )" left where links were removed
    return line.strip()


def _keep_sentence(s: str) -> bool:
    words = s.split()
    if not (5 <= len(words) <= 60) or s[-1] not in ".!?":
        return False
    letters = sum(ch.isalpha() for ch in s)
    return letters >= 0.6 * len(s) and not re.search(r"[{}|=<>\[\]]", s) and not _HOLE.search(s)


# Where filter_wiki dropped a template (a number with units, a pronunciation) it leaves a hole:
# "a land area of, it had", "written as.", "particularly,,,, and". Such sentences are dropped.
_HOLE = re.compile(r"[,;:]\s*[,;:.)]|\(\s*[,;)]|\b(of|to|between|from|by|at|about|than|the|a|an|as)[,.;:]")


def _parse_wiki() -> list[WikiSentence]:
    from gensim.corpora.wikicorpus import extract_pages, filter_wiki  # lazy: as gensim_test_file

    out: list[WikiSentence] = []
    with bz2.open(gensim_test_file(WIKI_DUMP)) as fh:
        for title, wikitext, _pageid in extract_pages(fh, filter_namespaces=("0",)):
            lowered = wikitext.lstrip().lower()
            if lowered.startswith("#redirect") or ":" in title or "disambiguation" in title.lower():
                continue
            section = "Introduction"
            for raw in filter_wiki(wikitext).splitlines():
                heading = _HEADING.match(raw.strip())
                if heading:
                    section = heading.group(2).strip() or section
                    continue
                if section.lower() in _SKIP_SECTIONS or raw.lstrip().startswith(("*", "#", "|", "!", "{", ":", ";")):
                    continue
                for sent in split_sentences(_clean_line(raw)):
                    if _keep_sentence(sent):
                        out.append(WikiSentence(title, section, sent))
    return out


def _read_lines(path: Path) -> list[str]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")  # the Lee files are Latin-1 (their pound signs)
    return [line.strip() for line in text.splitlines() if line.strip()]


def _parse_word_pairs(path: Path) -> list[WordPair]:
    pairs = []
    for line in _read_lines(path):
        if line.startswith("#"):
            continue
        w1, w2, score = line.split("\t")[:3]
        pairs.append(WordPair(w1.lower(), w2.lower(), float(score)))
    return pairs


def _build() -> dict:
    lee_docs = _read_lines(gensim_test_file("lee.cor"))
    background = _read_lines(gensim_test_file("lee_background.cor"))
    sims = np.loadtxt(gensim_test_file("similarities0-1.txt"))  # (50, 50), upper triangle filled
    i, j = np.triu_indices(len(lee_docs), k=1)
    sentiment = []
    for line in _read_lines(gensim_test_file("pang_lee_polarity.cor")):
        label, text = line.split(" ", 1)
        sentiment.append({"text": text.strip(), "label": label.replace("__label__", "")})
    return {
        "version": CACHE_VERSION,
        "wiki": [asdict(s) for s in _parse_wiki()],
        "lee_background": [s for doc in background for s in split_sentences(doc) if len(s.split()) >= 3],
        "lee_documents": lee_docs,
        "lee_pairs": [[int(a), int(b), float(sims[a, b])] for a, b in zip(i, j)],
        "wordsim353": [asdict(p) for p in _parse_word_pairs(gensim_test_file("wordsim353.tsv"))],
        "simlex999": [asdict(p) for p in _parse_word_pairs(gensim_test_file("simlex999.txt"))],
        "sentiment": sentiment,
    }


@lru_cache(maxsize=1)
def _corpus() -> dict:
    """Load the cached JSON, building it first when it is missing or from an older version."""
    path = CACHE_DIR / _CACHE_FILE
    if path.exists():
        try:
            cached = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(cached, dict) and cached.get("version") == CACHE_VERSION:
                return cached
        except (ValueError, OSError):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            pass  # a damaged cache: rebuild it
    built = _build()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")  # one per process: parallel builders never share it
    tmp.write_text(json.dumps(built), encoding="utf-8")
    tmp.replace(path)  # atomic: a crash never leaves a truncated cache behind
    return built


# --------------------------------------------------------------------------- dev / test
SPLITS = ("dev", "test")


def check_split(split: str | None) -> str | None:
    """None (everything), "dev" (for choosing recipes and settings) or "test" (for reporting); else ValueError."""
    if split is not None and split not in SPLITS:
        raise ValueError(f"split must be 'dev', 'test' or None, got {split!r}")
    return split


def dev_test_split(items: list, split: str | None) -> list:
    """Rows 0, 2, 4, ... are dev, rows 1, 3, 5, ... test; None keeps all. Files grouped by category or topic
    (every hand-written set) thus give each half the same mix: a deterministic, stratified split."""
    return list(items) if check_split(split) is None else list(items)[SPLITS.index(split)::2]


# ------------------------------------------------------------------------------ public API
def wiki_sentences() -> list[WikiSentence]:
    """Sentences of the shortened English Wikipedia dump, in article order, each with its section."""
    return [WikiSentence(**d) for d in _corpus()["wiki"]]


def wiki_articles() -> list[str]:
    """Article titles in dump order (only articles that kept at least one sentence)."""
    return list(dict.fromkeys(d["article"] for d in _corpus()["wiki"]))


def lee_background() -> list[str]:
    """Sentences of the Lee background corpus (300 news stories, split into sentences)."""
    return list(_corpus()["lee_background"])


def lee_documents() -> list[str]:
    """The 50 short news documents of Lee et al. (2005) that people rated pairwise."""
    return list(_corpus()["lee_documents"])


def lee_pairs(split: str | None = None) -> list[STSPair]:
    """Pairs of the 50 Lee documents with their mean human similarity in [0, 1].

    split=None: all 1225 pairs. "dev": the 300 pairs between documents 0, 2, 4, ... (for choosing);
    "test": the 300 between documents 1, 3, 5, ... (for reporting). Splitting by document, not by pair,
    keeps every document on one side; the 625 pairs across the halves belong to neither.
    """
    keep = {None: (0, 1), "dev": (0,), "test": (1,)}[check_split(split)]
    docs = _corpus()["lee_documents"]
    return [STSPair(docs[a], docs[b], s, "lee") for a, b, s in _corpus()["lee_pairs"]
            if split is None or (a % 2 in keep and b % 2 in keep)]


def wordsim353() -> list[WordPair]:
    """WordSim353 pairs: human relatedness 0..10 (relatedness: "cup"/"coffee" scores high)."""
    return [WordPair(**d) for d in _corpus()["wordsim353"]]


def simlex999() -> list[WordPair]:
    """SimLex-999 pairs: human similarity 0..10 (similarity, not relatedness: "cup"/"coffee" scores low)."""
    return [WordPair(**d) for d in _corpus()["simlex999"]]


def sentiment_sentences() -> list[LabelledSentence]:
    """200 short movie-review sentences labelled "pos" or "neg" (balanced)."""
    return [LabelledSentence(**d) for d in _corpus()["sentiment"]]


def corpus_sentences() -> list[str]:
    """The plain-sentence training corpus: Wikipedia then Lee background sentences, duplicates removed."""
    texts = [s.text for s in wiki_sentences()] + lee_background()
    return list(dict.fromkeys(texts))


class _BunchReader(pickle.Unpickler):
    """Reads gensim's `mini_newsgroup` (a zlib-compressed pickle of a scikit-learn Bunch of 200 posts).

    Only the few plain classes that file needs are allowed, so nothing else in a pickle can run."""

    ALLOWED = {("copy_reg", "_reconstructor"): copyreg._reconstructor, ("__builtin__", "object"): object,
               ("__builtin__", "dict"): dict, ("sklearn.datasets.base", "Bunch"): dict,
               ("numpy", "ndarray"): np.ndarray, ("numpy", "dtype"): np.dtype,
               ("numpy.core.multiarray", "_reconstruct"): np.ndarray.__reduce__(np.zeros(1))[0]}

    def find_class(self, module, name):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"mini_newsgroup: unexpected class {module}.{name}")
        return self.ALLOWED[(module, name)]


def _post_sentences(post: str) -> list[str]:
    """The author's own prose of one Usenet post: no header, quoted lines, attribution lines or signature."""
    body = post.partition("\n\n")[2].split("\n-- \n")[0]
    out = []
    for paragraph in re.split(r"\n\s*\n", body):
        lines = [l for l in paragraph.splitlines()
                 if not l.lstrip().startswith((">", "|", ":")) and not re.search(r"\b(writes|wrote):", l)]
        out += [s for s in split_sentences(_clean_line(" ".join(lines))) if _keep_sentence(s)]
    return out


@lru_cache(maxsize=1)
def _newsgroup_sentences() -> tuple[str, ...]:
    raw = zlib.decompress(gensim_test_file("mini_newsgroup").read_bytes())
    posts = _BunchReader(io.BytesIO(raw), encoding="latin-1").load()["data"]
    return tuple(dict.fromkeys(s for post in posts for s in _post_sentences(post)))


def newsgroup_sentences() -> list[str]:
    """About 1,600 prose sentences (30 k words) of the 200 Usenet posts (alt.atheism, sci.space, 1993) in gensim's
    test data: extra training text for the word vectors (parsed in well under a second, not cached)."""
    return list(_newsgroup_sentences())


def corpus_stats() -> list[dict]:
    """Items, tokens and vocabulary size per source (what `python -m minisent data` prints).

    Each row: {"source", "unit" (what an item is), "items", "tokens", "vocabulary"}.
    """
    rows = []
    sources = {
        "wikipedia": ("sentence", [s.text for s in wiki_sentences()]),
        "lee-background": ("sentence", lee_background()),
        "lee-documents": ("document", lee_documents()),
        "newsgroups": ("sentence", newsgroup_sentences()),
        "sentiment": ("sentence", [s.text for s in sentiment_sentences()]),
        "wordsim353": ("word pair", [f"{p.word1} {p.word2}" for p in wordsim353()]),
        "simlex999": ("word pair", [f"{p.word1} {p.word2}" for p in simlex999()]),
    }
    for name, (unit, texts) in sources.items():
        tokens = [t for s in texts for t in tokenize_words(s)]
        rows.append({"source": name, "unit": unit, "items": len(texts), "tokens": len(tokens),
                     "vocabulary": len(set(tokens))})
    return rows
