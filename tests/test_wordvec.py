"""minisent.wordvec: averaging against numpy references, SIF, OOV, determinism, file formats, SGNS."""
import warnings

import numpy as np
import pytest
import torch
from gensim.models import KeyedVectors
from gensim.test.utils import datapath

from minisent import data, wordvec
from minisent.wordvec import AveragingEncoder


# ----------------------------------------------------------------------------- tiny fixtures
WORDS = ["the", "cat", "sat", "on", "mat", "dog", "ran"]


@pytest.fixture
def tiny_kv():
    """7 words with random 6-d vectors and made-up training counts."""
    rng = np.random.default_rng(1)
    kv = KeyedVectors(6)
    kv.add_vectors(WORDS, rng.normal(size=(len(WORDS), 6)).astype(np.float32))
    for w, c in zip(WORDS, [500, 40, 30, 200, 10, 25, 5]):
        kv.set_vecattr(w, "count", c)
    return kv


REFERENCE = ["The cat sat on the mat.", "The dog ran.", "A dog sat on the cat.", "the the the mat",
             "Dogs and cats.", "The mat ran on."]


@pytest.fixture(scope="module")
def tiny_tokens():
    return wordvec.corpus_tokens()[:400]


def vec(kv, w):
    return kv[w].astype(np.float64)


# ------------------------------------------------------------------------------- averaging
def test_mean_equals_numpy_reference(tiny_kv):
    enc = AveragingEncoder(tiny_kv, weighting="mean")
    sents = ["The cat sat.", "dog dog ran unicorn", "On the mat, the cat!"]
    got = enc.encode(sents)
    ref = np.stack([np.mean([vec(tiny_kv, w) for w in ws], axis=0) for ws in
                    [["the", "cat", "sat"], ["dog", "dog", "ran"], ["on", "the", "mat", "the", "cat"]]])
    assert got.dtype == np.float32 and got.shape == (3, 6)
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-6)


def test_tfidf_weights_are_smoothed_idf(tiny_kv):
    enc = AveragingEncoder(tiny_kv, weighting="tfidf", reference_sentences=REFERENCE)
    n = len(REFERENCE)
    df = {"the": 5, "cat": 2, "mat": 3, "ran": 2, "dog": 2}   # counted by hand in REFERENCE
    for w, d in df.items():
        assert enc.weight(w) == pytest.approx(np.log((1 + n) / (1 + d)) + 1)
    got = enc.encode(["the cat the"])[0]
    ws = ["the", "cat", "the"]
    ref = sum(enc.weight(w) * vec(tiny_kv, w) for w in ws) / 3
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-6)


def test_sif_weights_match_formula(tiny_kv):
    counts = {w: int(tiny_kv.get_vecattr(w, "count")) for w in WORDS}
    total = sum(counts.values())
    enc = AveragingEncoder(tiny_kv, weighting="sif")  # counts stored with the vectors
    for w in WORDS:
        assert enc.weight(w) == pytest.approx(1e-3 / (1e-3 + counts[w] / total))
    assert enc.weight("the") < enc.weight("cat") < enc.weight("ran")  # frequent words count less
    got = enc.encode(["the dog ran"])[0]
    ref = sum(1e-3 / (1e-3 + counts[w] / total) * vec(tiny_kv, w) for w in ["the", "dog", "ran"]) / 3
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-7)
    # explicit counts win over stored ones; a different a changes the weights
    enc2 = AveragingEncoder(tiny_kv, weighting="sif", word_counts={"the": 1, "cat": 3}, a=0.1)
    assert enc2.weight("cat") == pytest.approx(0.1 / (0.1 + 3 / 4))
    assert enc2.weight("dog") == 1.0  # p = 0


def test_sif_counts_from_reference_when_vectors_have_none():
    kv = wordvec.load_glove_text(datapath("test_glove.txt"))  # a file with no counts
    ref = ["the of the and", "of a the"]
    enc = AveragingEncoder(kv, weighting="sif", reference_sentences=ref)
    total = 7
    assert enc.weight("the") == pytest.approx(1e-3 / (1e-3 + 3 / total))
    assert enc.weight("a") == pytest.approx(1e-3 / (1e-3 + 1 / total))


def test_component_removal_is_orthogonal_and_matches_svd(tiny_kv):
    enc = AveragingEncoder(tiny_kv, weighting="sif", remove_components=2, reference_sentences=REFERENCE)
    plain = AveragingEncoder(tiny_kv, weighting="sif", reference_sentences=REFERENCE)
    # the components are the top right singular vectors of the reference sentence vectors
    with pytest.warns(UserWarning):                               # "Dogs and cats." has no known word
        ref_emb = plain.encode(REFERENCE).astype(np.float64)
    _, _, vt = np.linalg.svd(ref_emb, full_matrices=False)
    np.testing.assert_allclose(np.abs(enc.components @ vt[:2].T), np.eye(2), atol=1e-5)
    sents = ["the cat sat on the mat", "dog ran", "mat"]
    out = enc.encode(sents).astype(np.float64)
    np.testing.assert_allclose(out @ enc.components.T, 0.0, atol=1e-6)   # orthogonal to what was removed
    before = plain.encode(sents).astype(np.float64)
    u = vt[:2]
    np.testing.assert_allclose(out, before - before @ u.T @ u, atol=1e-5)  # x - sum_j (u_j.x) u_j


def test_remove_components_function():
    rng = np.random.default_rng(0)
    e = rng.normal(size=(50, 8)) + 3.0                # a cloud that leans one way
    u = wordvec.principal_components(e, 1)
    assert u.shape == (1, 8) and np.linalg.norm(u) == pytest.approx(1.0)
    assert abs(u[0] @ np.ones(8) / np.sqrt(8)) > 0.95  # the common direction is found
    np.testing.assert_allclose(wordvec.remove_components(e, u) @ u.T, 0.0, atol=1e-9)
    with pytest.raises(ValueError):
        wordvec.principal_components(e, 9)


def test_oov_skip_and_empty_sentences(tiny_kv):
    enc = AveragingEncoder(tiny_kv)
    with pytest.warns(UserWarning, match="no word these vectors know"):
        out = enc.encode(["the cat", "zebra unicorn", "", "cat zebra", "!!!"])
    assert not np.isnan(out).any()
    assert enc.n_empty == 3 and enc.empty_indices == [1, 2, 4]
    np.testing.assert_array_equal(out[[1, 2, 4]], 0.0)
    np.testing.assert_allclose(out[3], tiny_kv["cat"], rtol=1e-6)    # the unknown word is skipped
    with warnings.catch_warnings():
        warnings.simplefilter("error")                                  # reported once, not again
        enc.encode(["unicorn"])
    assert enc.n_empty == 1
    enc.encode(["cat"])
    assert enc.n_empty == 0
    # zero rows stay zero after component removal, and the cosine is 0, not NaN
    sif = AveragingEncoder(tiny_kv, "sif", remove_components=1, reference_sentences=REFERENCE)
    with pytest.warns(UserWarning):
        z = sif.encode(["unicorn", "the cat"])
    np.testing.assert_array_equal(z[0], 0.0)
    from minisent.evaluation.metrics import cosine
    assert cosine(z[:1], z[1:])[0] == 0.0


def test_encode_contract(tiny_kv):
    enc = AveragingEncoder(tiny_kv)
    empty = enc.encode([])
    assert empty.shape == (0, 6) and empty.dtype == np.float32
    with pytest.raises(TypeError, match="index 1"):
        enc.encode(["the cat", 3])
    with pytest.raises(TypeError):
        enc.encode("the cat")
    with pytest.raises(ValueError, match="weighting"):
        AveragingEncoder(tiny_kv, weighting="max")
    with pytest.raises(ValueError, match="oov"):
        AveragingEncoder(tiny_kv, oov="guess")
    with pytest.raises(ValueError, match="fastText"):
        AveragingEncoder(tiny_kv, oov="subword")
    with pytest.raises(ValueError, match="remove_components"):
        AveragingEncoder(tiny_kv, remove_components=-1)


def test_word_order_blindness(tiny_kv):
    enc = AveragingEncoder(tiny_kv, "sif", remove_components=1, reference_sentences=REFERENCE)
    a, b = enc.encode(["the dog sat on the cat", "the cat sat on the dog"])
    np.testing.assert_allclose(a, b, rtol=1e-6)


# ------------------------------------------------------------------------------ gensim models
def test_gensim_same_seed_same_vectors(tiny_tokens):
    for model, extra in [("word2vec", dict(sg=1)), ("word2vec", dict(sg=0)), ("fasttext", dict(bucket=2000))]:
        kw = dict(model=model, vector_size=16, min_count=2, epochs=2, progress=False, **extra)
        a = wordvec.train_gensim(tiny_tokens, seed=3, **kw)
        b = wordvec.train_gensim(tiny_tokens, seed=3, **kw)
        c = wordvec.train_gensim(tiny_tokens, seed=4, **kw)
        assert a.index_to_key == b.index_to_key
        np.testing.assert_array_equal(a.vectors, b.vectors)
        assert not np.array_equal(a.vectors, c.vectors)
        assert a.get_vecattr("the", "count") == sum(s.count("the") for s in tiny_tokens)


def test_corpus_tokens_are_the_corpus_then_the_newsgroup_posts():
    texts = data.corpus_sentences() + data.newsgroup_sentences()
    tokens = wordvec.corpus_tokens()
    assert len(tokens) == len(texts) > len(data.corpus_sentences())
    for i in (0, len(data.corpus_sentences()), len(texts) - 1):      # first corpus sentence, first post sentence, last
        assert tokens[i] == data.tokenize_words(texts[i])


def test_train_vectors_caches(tmp_path, tiny_tokens):
    kw = dict(sentences=tiny_tokens, cache_dir=tmp_path, progress=False, vector_size=8, epochs=1, min_count=2)
    a = wordvec.train_vectors("cbow", **kw)
    files = list(tmp_path.glob("cbow-*.npz"))
    assert len(files) == 1
    b = wordvec.train_vectors("cbow", **kw)                         # read back from the file
    np.testing.assert_array_equal(a.vectors, b.vectors)
    wordvec.train_vectors("cbow", **{**kw, "window": 2})           # another setting, another file
    assert len(list(tmp_path.glob("cbow-*.npz"))) == 2
    with pytest.raises(ValueError, match="skipgram, cbow, fasttext"):
        wordvec.train_vectors("glove", **kw)


def test_fasttext_subwords_for_unseen_words(tmp_path, tiny_tokens):
    ft = wordvec.train_vectors("fasttext", sentences=tiny_tokens, cache=False, progress=False,
                               vector_size=8, epochs=1, min_count=2, bucket=2000)
    unseen = "anarchistically"
    assert unseen not in ft.key_to_index
    sub = AveragingEncoder(ft, oov="subword").encode([unseen])[0]
    np.testing.assert_allclose(sub, ft.get_vector(unseen), rtol=1e-6)
    assert np.linalg.norm(sub) > 0
    skip = AveragingEncoder(ft, oov="skip")
    with pytest.warns(UserWarning):
        assert not skip.encode([unseen]).any() and skip.n_empty == 1


# --------------------------------------------------------------------------------- file formats
def test_glove_text_matches_gensim_loader():
    path = datapath("test_glove.txt")
    ours = wordvec.load_glove_text(path)
    ref = KeyedVectors.load_word2vec_format(path, binary=False, no_header=True)
    assert ours.index_to_key == ref.index_to_key and ours.vector_size == 50
    np.testing.assert_array_equal(ours.vectors, ref.vectors)
    auto = wordvec.load_text_vectors(path)                          # no header -> GloVe
    np.testing.assert_array_equal(auto.vectors, ref.vectors)
    assert wordvec.load_glove_text(path, limit=10).index_to_key == ref.index_to_key[:10]


def test_word2vec_text_roundtrip(tmp_path):
    ref = KeyedVectors.load_word2vec_format(datapath("test_glove.txt"), binary=False, no_header=True)
    gensim_file = tmp_path / "g.txt"
    ref.save_word2vec_format(str(gensim_file), binary=False)       # written by gensim, header line
    ours = wordvec.load_word2vec_text(gensim_file)
    assert ours.index_to_key == ref.index_to_key
    np.testing.assert_allclose(ours.vectors, ref.vectors, rtol=1e-6)
    mine = wordvec.save_word2vec_text(ours, tmp_path / "m.txt")
    back = KeyedVectors.load_word2vec_format(str(mine), binary=False)  # and gensim reads ours
    np.testing.assert_array_equal(back.vectors, ours.vectors)
    with pytest.raises(ValueError, match="header"):
        wordvec.load_word2vec_text(datapath("test_glove.txt"))


def test_text_vectors_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="glove"):
        wordvec.load_glove_text(tmp_path / "missing.txt")
    bad = tmp_path / "bad.txt"
    bad.write_text("cat 0.1 0.2 0.3\ndog 0.1 0.2\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 2"):
        wordvec.load_glove_text(bad)
    cased = tmp_path / "cased.txt"
    cased.write_text("Apple 1 0\napple 0 1\nPear 2 2\n", encoding="utf-8")
    low = wordvec.load_glove_text(cased, lowercase=True)
    assert low.index_to_key == ["apple", "pear"] and low["apple"].tolist() == [1.0, 0.0]


# ------------------------------------------------------------------------------------ hand SGNS
def test_sgns_loss_equals_direct_formula(device):
    torch.manual_seed(0)
    model = wordvec.SkipGramNS(vocab_size=7, dim=5).to(device)
    with torch.no_grad():                                         # non-trivial weights on both tables
        model.in_embed.weight.normal_()
        model.out_embed.weight.normal_()
    center = torch.tensor([0, 3, 6], device=device)
    context = torch.tensor([1, 2, 0], device=device)
    negatives = torch.tensor([[2, 4, 5, 6], [0, 1, 1, 5], [3, 3, 2, 4]], device=device)
    loss = model(center, context, negatives).item()
    v = model.in_embed.weight.detach().cpu().double().numpy()
    u = model.out_embed.weight.detach().cpu().double().numpy()
    per_pair = []
    for c, o, negs in zip(center.tolist(), context.tolist(), negatives.tolist()):
        l = -np.log(1 / (1 + np.exp(-u[o] @ v[c])))
        l -= sum(np.log(1 / (1 + np.exp(u[k] @ v[c]))) for k in negs)
        per_pair.append(l)
        assert wordvec.sgns_loss_reference(v[c], u[o], u[negs]) == pytest.approx(l)
    assert loss == pytest.approx(np.mean(per_pair), rel=1e-5)


def test_noise_distribution_and_table():
    counts = np.array([1000, 100, 10, 1])
    p = wordvec.noise_distribution(counts)
    np.testing.assert_allclose(p, counts ** 0.75 / (counts ** 0.75).sum())
    assert p[3] > counts[3] / counts.sum()                          # rare words are lifted
    table = wordvec.noise_table(counts, size=100_000)
    freq = np.bincount(table, minlength=4) / len(table)
    np.testing.assert_allclose(freq, p, atol=1e-4)
    keep = wordvec.keep_probabilities(counts, t=1e-2)
    np.testing.assert_allclose(keep, np.minimum(1, np.sqrt(1e-2 / (counts / counts.sum()))))
    assert keep[0] < keep[1] <= keep[3] == 1.0
    np.testing.assert_array_equal(wordvec.keep_probabilities(counts, t=0), 1.0)


def test_skipgram_pairs_window_and_sentence_boundaries():
    rng = np.random.default_rng(0)
    sents = [np.array([0, 1, 2, 3]), np.array([4, 5])]
    c, o = wordvec.skipgram_pairs(sents, window=1, keep_prob=None, rng=rng)
    got = sorted(zip(c.tolist(), o.tolist()))
    assert got == sorted([(0, 1), (1, 0), (1, 2), (2, 1), (2, 3), (3, 2), (4, 5), (5, 4)])
    c, o = wordvec.skipgram_pairs(sents, window=3, keep_prob=None, rng=rng)
    pairs = set(zip(c.tolist(), o.tolist()))
    assert (3, 4) not in pairs and (4, 3) not in pairs              # never across sentences
    assert all(abs(a - b) <= 3 for a, b in pairs)
    # every center keeps at least its nearest neighbours (b >= 1)
    assert {(0, 1), (1, 0), (4, 5), (5, 4)} <= pairs


def test_sgns_same_seed_same_vectors_and_learns(device, tiny_tokens):
    kw = dict(dim=16, min_count=2, steps=30, batch_size=256, device=device, progress=False)
    a, losses = wordvec.train_sgns(tiny_tokens, seed=0, **kw)
    b, _ = wordvec.train_sgns(tiny_tokens, seed=0, **kw)
    c, _ = wordvec.train_sgns(tiny_tokens, seed=1, **kw)
    if device == "cpu":
        np.testing.assert_array_equal(a.vectors, b.vectors)                 # bit for bit
    else:                                                                   # GPU kernels may sum in any order
        np.testing.assert_allclose(a.vectors, b.vectors, rtol=1e-4, atol=1e-6)
    assert not np.allclose(a.vectors, c.vectors, rtol=1e-3)
    assert len(losses) == 30 and np.mean(losses[-5:]) < np.mean(losses[:5])
    assert losses[0] == pytest.approx(np.log(2) * 6, rel=1e-3)       # u = 0 at the start: 6 * log 2
    assert a.get_vecattr("the", "count") == sum(s.count("the") for s in tiny_tokens)


def test_sgns_fused_adam_equals_plain_adam(monkeypatch, tiny_tokens):
    import minisent.wordvec.sgns as sgns
    kw = dict(dim=16, min_count=2, steps=30, batch_size=256, device="cpu", progress=False)
    fused, fused_losses = wordvec.train_sgns(tiny_tokens, seed=0, **kw)
    monkeypatch.setattr(sgns, "_adam", lambda params, lr, dev: torch.optim.Adam(params, lr=lr))
    plain, plain_losses = wordvec.train_sgns(tiny_tokens, seed=0, **kw)
    np.testing.assert_allclose(fused.vectors, plain.vectors, rtol=1e-4, atol=1e-5)   # float rounding only
    np.testing.assert_allclose(fused_losses, plain_losses, rtol=1e-5)


def test_sgns_restores_torch_threads(tiny_tokens):
    before = torch.get_num_threads()
    wordvec.train_sgns(tiny_tokens[:50], dim=4, min_count=1, steps=2, batch_size=16, device="cpu", progress=False)
    assert torch.get_num_threads() == before


# -------------------------------------------------------------------------------------- baselines
def test_build_baseline_names(monkeypatch, tiny_tokens):
    assert wordvec.BASELINE_NAMES == ("avg-word2vec", "sif-word2vec", "avg-fasttext", "sif-fasttext")
    with pytest.raises(ValueError, match="avg-word2vec, sif-word2vec, avg-fasttext, sif-fasttext"):
        wordvec.build_baseline("sif-glove")
    # wire-up without the full training: a tiny model stands in for the cached one
    import minisent.wordvec.baselines as baselines
    trained = {}

    def fake_train(preset, progress=True):
        extra = dict(bucket=1000) if preset == "fasttext" else {}
        trained[preset] = wordvec.train_vectors(preset, sentences=tiny_tokens, cache=False, progress=False,
                                                vector_size=8, epochs=1, min_count=2, **extra)
        return trained[preset]

    monkeypatch.setattr(baselines, "train_vectors", fake_train)
    expect = {"avg-word2vec": ("skipgram", "mean", 0, "skip"), "sif-word2vec": ("skipgram", "sif", 1, "skip"),
              "avg-fasttext": ("fasttext", "mean", 0, "subword"), "sif-fasttext": ("fasttext", "sif", 1, "subword")}
    for name, (preset, weighting, k, oov) in expect.items():
        enc = wordvec.build_baseline(name)
        assert (enc.weighting, len(enc.components), enc.oov) == (weighting, k, oov)
        assert enc.vectors is trained[preset]
        assert enc.encode(["A cat sat on the mat."]).shape == (1, 8)


# ------------------------------------------------------------------------------- word-level evaluation
def test_analogy_accuracy_matches_gensim(tmp_path):
    rng = np.random.default_rng(0)
    countries = ["france", "spain", "italy", "japan", "china", "egypt"]
    capitals = ["paris", "madrid", "rome", "tokyo", "beijing", "cairo"]
    base = rng.normal(size=(6, 20))
    offset = rng.normal(size=20)
    noise = rng.normal(size=(6, 20)) * np.linspace(0.1, 2.0, 6)[:, None]   # later pairs break the pattern
    kv = KeyedVectors(20)
    kv.add_vectors(countries + capitals + ["filler"], np.vstack([base, base + offset + noise, rng.normal(size=(1, 20))]))
    lines = [": capital-common"]
    for i in range(6):
        for j in range(6):
            if i != j:
                lines.append(f"{countries[i].title()} {capitals[i].title()} {countries[j].title()} {capitals[j].title()}")
    lines += [": other", "france paris atlantis nowhere", "paris france rome italy"]
    path = tmp_path / "questions.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ours = wordvec.analogy_accuracy(kv, path)
    score, sections = kv.evaluate_word_analogies(str(path))
    total = sections[-1]
    assert ours["asked"] == len(total["correct"]) + len(total["incorrect"]) == 31   # the OOV question is skipped
    assert ours["correct"] == len(total["correct"]) and ours["accuracy"] == pytest.approx(score)
    assert 0 < ours["correct"] < ours["asked"]                                        # a non-trivial case
    assert ours["questions"] == 32 and set(ours["sections"]) == {"capital-common", "other"}


def test_word_pair_spearman_reference(tiny_kv):
    pairs = [data.WordPair("cat", "dog", 8.0), data.WordPair("cat", "mat", 3.0), data.WordPair("the", "ran", 1.0),
             data.WordPair("on", "sat", 2.0), data.WordPair("cat", "unicorn", 9.0)]
    rho, used = wordvec.word_pair_spearman(tiny_kv, pairs)
    assert used == 4
    from scipy.stats import spearmanr
    cos = [float(tiny_kv[p.word1] @ tiny_kv[p.word2] / np.linalg.norm(tiny_kv[p.word1]) / np.linalg.norm(tiny_kv[p.word2]))
           for p in pairs[:4]]
    assert rho == pytest.approx(100 * spearmanr(cos, [p.score for p in pairs[:4]]).statistic)
    with pytest.raises(ValueError, match="fastText"):
        wordvec.word_pair_spearman(tiny_kv, pairs, subwords=True)
