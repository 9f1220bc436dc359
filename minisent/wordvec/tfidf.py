"""TF-IDF bag of words: the lexical baseline every learned model is measured against.

A sentence becomes a vector with one dimension per vocabulary word:
    x[w] = tf(w, sentence) * idf(w),   idf(w) = ln((1 + N) / (1 + df(w))) + 1
and cosine between two such vectors rewards shared rare words. It knows nothing of meaning
("car" and "automobile" share no dimension) yet is strong on STS-style data, so it stays on
every leaderboard of the course.
"""
from __future__ import annotations

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from .. import data
from ..contract import DEFAULT_BATCH_SIZE, encode_batches
from ..inputs import check_sentences


class TfidfEncoder:
    """TF-IDF vectors with IDF fitted on a reference corpus (default: the offline training corpus).

    encode(list[str]) -> np.ndarray (n, V) float32, V = vocabulary size (words seen >= min_df times),
    with the options of every encoder (`minisent.contract`).
    """

    def __init__(self, reference_sentences: list[str] | None = None, min_df: int = 1, sublinear_tf: bool = True):
        reference = data.corpus_sentences() if reference_sentences is None else check_sentences(reference_sentences)
        self.vectorizer = TfidfVectorizer(tokenizer=data.tokenize_words, lowercase=False, token_pattern=None,
                                          min_df=min_df, sublinear_tf=sublinear_tf, dtype=np.float32)
        self.vectorizer.fit(reference)
        self.dim = len(self.vectorizer.vocabulary_)

    def encode(self, sentences: list[str], *, batch_size: int = DEFAULT_BATCH_SIZE, normalize: bool = False,
               show_progress: bool | None = None) -> np.ndarray:
        """Sentences -> (n, V) float32 TF-IDF rows (each row already has unit length unless it has no known word)."""
        sentences = check_sentences(sentences)
        return encode_batches(sentences, lambda idx: self.vectorizer.transform([sentences[i] for i in idx]).toarray(),
                              self.dim, batch_size=batch_size, normalize=normalize, show_progress=show_progress)
