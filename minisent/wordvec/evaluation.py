"""How good are word vectors? Two classic intrinsic tests.

word_pair_spearman   WordSim353 / SimLex-999: rank word pairs by cosine, compare with people
                     (Spearman x 100). WordSim353 scores relatedness ("coffee"/"cup" high),
                     SimLex-999 similarity proper ("coffee"/"cup" low) -- harder for context-window
                     vectors, which learn relatedness.
analogy_accuracy     "man is to king as woman is to ?": the word w maximising
                     cos(w, king - man + woman) over the vocabulary, the three question words
                     excluded (3CosAdd, Mikolov et al. 2013; the same rule as gensim's
                     KeyedVectors.evaluate_word_analogies, computed here for all questions at once).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from gensim.models import KeyedVectors
from scipy.stats import spearmanr

from ..data.corpora import WordPair, gensim_test_file
from ..inputs import normalize_rows

ANALOGIES = "questions-words.txt"  # Mikolov's 19,544 analogy questions, shipped with gensim


def word_pair_spearman(wv: KeyedVectors, pairs: list[WordPair], subwords: bool = False) -> tuple[float, int]:
    """(Spearman x 100 of cosine vs human score, number of pairs used).

    Pairs with a word the vectors do not know are left out (the count says how many were used),
    unless subwords=True and the vectors are fastText's, which have a vector for any word."""
    if subwords and not hasattr(wv, "buckets_word"):
        raise ValueError("subwords=True needs fastText vectors")
    known = (lambda w: True) if subwords else (lambda w: w in wv.key_to_index)
    used = [p for p in pairs if known(p.word1) and known(p.word2)]
    if len(used) < 2:
        return 0.0, len(used)
    sims = [float(wv.similarity(p.word1, p.word2)) for p in used]
    return float(spearmanr(sims, [p.score for p in used]).statistic * 100), len(used)


def read_analogies(path=None) -> list[tuple[str, str, str, str, str]]:
    """(section, a, b, c, d) questions "a is to b as c is to d", lowercased, from the
    questions-words.txt format (': section' lines, then 'a b c d' lines)."""
    path = Path(path) if path is not None else gensim_test_file(ANALOGIES)
    questions, section = [], None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.startswith(": "):
            section = line[2:].strip()
        elif line.strip():
            if section is None:
                raise ValueError(f"{path}, line {number}: a question before the first ': section' line")
            words = line.lower().split()
            if len(words) == 4:
                questions.append((section, *words))
    return questions


def analogy_accuracy(wv: KeyedVectors, path=None, restrict_vocab: int | None = None,
                     batch_size: int = 1024) -> dict:
    """3CosAdd accuracy over the questions whose four words are among the first `restrict_vocab`
    words of the vocabulary (default: all of it).

    Returns {"accuracy": correct / asked, "correct": int, "asked": int, "questions": int (in the file),
             "sections": {section: (correct, asked)}}.
    """
    keys = wv.index_to_key[:restrict_vocab] if restrict_vocab else wv.index_to_key
    index = {k.lower(): i for i, k in reversed(list(enumerate(keys)))}   # first (most frequent) wins
    unit = normalize_rows(wv.vectors[:len(keys)].astype(np.float64))         # (R, d)
    questions = read_analogies(path)
    asked = [(s, *(index[w] for w in q)) for s, *q in questions if all(w in index for w in q)]
    sections = {s: [0, 0] for s, *_ in asked}                                # section -> [correct, asked]
    correct = 0
    for start in range(0, len(asked), batch_size):
        chunk = asked[start:start + batch_size]
        a, b, c, d = (np.array([q[j] for q in chunk]) for j in range(1, 5))   # (Q,) ids each
        target = unit[b] - unit[a] + unit[c]                                     # (Q, d) king - man + woman
        scores = target @ unit.T                                                 # (Q, R)
        rows = np.arange(len(chunk))
        scores[rows, a] = scores[rows, b] = scores[rows, c] = -np.inf           # never answer a question word
        hit = scores.argmax(axis=1) == d                                         # (Q,)
        correct += int(hit.sum())
        for (s, *_), h in zip(chunk, hit):
            sections[s][0] += int(h)
            sections[s][1] += 1
    return {"accuracy": correct / len(asked) if asked else 0.0, "correct": correct, "asked": len(asked),
            "questions": len(questions), "sections": {s: tuple(v) for s, v in sections.items()}}
