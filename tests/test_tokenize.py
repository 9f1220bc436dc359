"""Tokenizers: BPE merges equal a naive reference, round trips, batching, unseen characters, save/load."""
from collections import Counter

import pytest
import torch

from minisent.text.saved import load_tokenizer
from minisent.text.tokenize import (CLS_ID, MASK_ID, PAD_ID, SEP_ID, SPACE, SPECIAL_TOKENS, UNK_ID, BPETokenizer,
                                    WordTokenizer, pre_tokenize)

CORPUS = [
    "The river bank was flooded after the storm.",
    "She opened an account at the bank on Monday.",
    "The bank raised its interest rates again.",
    "We walked along the bank of the river at dawn.",
    "Low interest rates help people who borrow money.",
    "The storm flooded the lower town near the river.",
    "Money in the bank earns a little interest each year.",
    "A heron stood still on the muddy bank.",
    "They borrowed money to buy a house in 1998.",
    "Don't swim in the river when it's flooded!",
] * 3


@pytest.fixture(scope="module")
def bpe():
    return BPETokenizer.train(CORPUS, vocab_size=150)


def naive_bpe_merges(sentences, vocab_size):
    """Reference: recount every pair from scratch before each merge (slow, obviously right)."""
    dummy = BPETokenizer(SPECIAL_TOKENS, [])
    chunks = Counter(c for s in sentences for c in pre_tokenize(dummy.normalize(s)))
    vocab = SPECIAL_TOKENS + sorted({ch for c in chunks for ch in c})
    words = {c: [vocab.index(ch) for ch in c] for c in chunks}
    merges = []
    while len(vocab) < vocab_size:
        counts = Counter()
        for c, ids in words.items():
            for p in zip(ids, ids[1:]):
                counts[p] += chunks[c]
        if not counts:
            break
        best = min(counts, key=lambda p: (-counts[p], p))  # most frequent, ties -> smallest ids
        if counts[best] < 2:
            break
        new = len(vocab)
        vocab.append(vocab[best[0]] + vocab[best[1]])
        merges.append(best)
        for c, ids in words.items():
            out, i = [], 0
            while i < len(ids):
                if i + 1 < len(ids) and (ids[i], ids[i + 1]) == best:
                    out.append(new)
                    i += 2
                else:
                    out.append(ids[i])
                    i += 1
            words[c] = out
    return vocab, merges


def test_special_token_ids(bpe):
    assert bpe.vocab[:5] == ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    assert (PAD_ID, UNK_ID, CLS_ID, SEP_ID, MASK_ID) == (0, 1, 2, 3, 4)


def test_incremental_bpe_equals_naive_reference(bpe):
    vocab, merges = naive_bpe_merges(CORPUS, 150)
    assert bpe.merges == merges
    assert bpe.vocab == vocab
    assert bpe.vocab_size == 150


def test_frequent_words_become_single_tokens(bpe):
    assert bpe.tokens("the bank") == [SPACE + "the", SPACE + "bank"]


def test_round_trip(bpe):
    # any text spelled with characters seen in training comes back (normalized: lowercase, single spaces)
    for s in CORPUS[:10] + ["  The   RIVER   bank.  ", "unseen words. a heron's stormy bank!"]:
        ids = bpe.encode(s)
        assert ids[0] == CLS_ID and ids[-1] == SEP_ID
        assert bpe.decode(ids) == " ".join(s.lower().split())


def test_unseen_characters_never_crash(bpe):
    ids = bpe.encode("café ☃ 東京 🙂")
    assert UNK_ID in ids
    assert all(0 <= i < bpe.vocab_size for i in ids)
    assert "[UNK]" in bpe.decode(ids)


def test_batch_padding_and_mask(bpe):
    texts = ["the bank", "the river bank was flooded after the storm", ""]
    batch = bpe(texts)
    lengths = [len(bpe.encode(t)) for t in texts]
    assert batch.input_ids.shape == (3, max(lengths)) and batch.input_ids.dtype == torch.long
    assert batch.attention_mask.dtype == torch.bool
    assert batch.attention_mask.sum(1).tolist() == lengths
    assert (batch.input_ids[~batch.attention_mask] == PAD_ID).all()
    assert batch.input_ids[2].tolist()[:2] == [CLS_ID, SEP_ID]  # an empty text is [CLS] [SEP]
    assert batch.num_truncated == 0


def test_truncation_keeps_cls_and_sep(bpe):
    batch = bpe(["the river bank was flooded after the storm", "the bank"], max_length=5)
    assert batch.input_ids.shape == (2, 5)
    assert batch.input_ids[0, 0] == CLS_ID and batch.input_ids[0, -1] == SEP_ID
    assert batch.num_truncated == 1
    with pytest.raises(ValueError, match="max_length"):
        bpe(["the bank"], max_length=1)


def test_bad_input_is_a_clear_error(bpe):
    with pytest.raises(TypeError, match="item 1"):
        bpe(["fine", 3])
    with pytest.raises(TypeError, match="list"):
        bpe("a single string")


def test_save_load_identical(bpe, tmp_path):
    path = bpe.save(tmp_path / "tok.json")
    again = load_tokenizer(path)
    assert isinstance(again, BPETokenizer)
    assert again.vocab == bpe.vocab and again.merges == bpe.merges
    texts = CORPUS[:5] + ["café ☃"]
    assert torch.equal(again(texts).input_ids, bpe(texts).input_ids)


def test_word_tokenizer(tmp_path):
    tok = WordTokenizer.train(CORPUS, vocab_size=20, min_count=2)
    assert tok.vocab[:5] == SPECIAL_TOKENS and tok.vocab_size == 20
    assert tok.vocab[5] == "the"  # the most frequent word first
    ids = tok.encode("The bank of the xylophone!", add_special_tokens=False)
    assert ids[0] == tok.token_to_id["the"] and UNK_ID in ids
    assert tok.decode(tok.encode("the river bank")) == "the river bank"
    again = load_tokenizer(tok.save(tmp_path / "w.json"))
    assert isinstance(again, WordTokenizer) and again.vocab == tok.vocab
