"""Tokenizers: text -> integer ids a Transformer can embed, and back.

Two tokenizers share one interface (`Tokenizer`):

    WordTokenizer   one id per word (`data.tokenize_words`); unseen words -> [UNK]
    BPETokenizer    byte-pair encoding: start from characters, repeatedly merge the most frequent
                    adjacent pair into a new symbol, until the vocabulary has the size asked for.
                    Frequent words become one token ("▁the"), rare words split into pieces
                    ("▁tark", "ov", "sky"), so nothing is ever out of vocabulary except a character
                    never seen in training (-> [UNK]).

Every tokenizer reserves the same special tokens, with the same ids:

    [PAD]=0  padding, ignored by attention and pooling
    [UNK]=1  anything the vocabulary cannot spell
    [CLS]=2  put first in every sequence (its vector is the "cls" pooling)
    [SEP]=3  put last
    [MASK]=4 what masked-language-model pretraining hides a token behind

and batch-encodes a list of sentences into two (B, T) tensors: `input_ids` (padded with 0) and
`attention_mask` (True at real tokens, False at padding).

    tok = corpus_bpe()                         # trained once on data.corpus_sentences(), then cached
    tok.tokens("The river bank.")              # ['▁the', '▁river', '▁bank', '▁.'] (the "▁" marks a space)
    batch = tok(["a short one", "a longer sentence here"], max_length=16)
    batch.input_ids.shape, batch.attention_mask.shape   # (2, T), (2, T)
    tok.decode(batch.input_ids[0])             # 'a short one'

Here: the word-level tokenizer and the names the lessons use. The shared base class, the special tokens and
batching: base.py; byte-pair encoding and the course's cached tokenizer: bpe.py.
"""
from __future__ import annotations

from collections import Counter
from typing import Iterable

from ..data import tokenize_words
from .base import (CLS, CLS_ID, FORMAT_VERSION, MASK, MASK_ID, PAD, PAD_ID, SEP, SEP_ID, SPACE,  # noqa: F401
                   SPECIAL_TOKENS, UNK, UNK_ID, Batch, Tokenizer, pad_batch)
from .bpe import BPETokenizer, corpus_bpe, merge_pair, pre_tokenize  # noqa: F401


class WordTokenizer(Tokenizer):
    """One token per word, words as `data.tokenize_words` finds them (punctuation is dropped).

    The simplest tokenizer, and what lessons 01-02 used. Its weakness: every word not in the
    vocabulary becomes the same [UNK], and the vocabulary grows with the corpus.
    """

    kind = "word"

    @classmethod
    def train(cls, sentences: Iterable[str], vocab_size: int = 8000, min_count: int = 2) -> "WordTokenizer":
        """Keep the `vocab_size - 5` most frequent words seen at least `min_count` times."""
        counts = Counter(w for s in sentences for w in tokenize_words(s))
        ranked = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
        return cls(SPECIAL_TOKENS + ranked[:max(0, vocab_size - len(SPECIAL_TOKENS))])

    def tokens(self, text: str) -> list[str]:
        return tokenize_words(self.normalize(text))

    def _join(self, tokens: list[str]) -> str:
        return " ".join(tokens)
