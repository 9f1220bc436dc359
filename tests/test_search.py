"""minisent.evaluation.search: chunked search and mining equal brute force; clustering; SearchIndex; errors."""
import numpy as np
import pytest
import scipy.sparse
import torch

from minisent.evaluation import search
from minisent.wordvec.tfidf import TfidfEncoder
from minisent.evaluation.search import (SearchIndex, agglomerative, brute_force_search, community_detection, kmeans,
                                        paraphrase_mining, semantic_search, topk_lowest_index)


def quarter_vectors(n, d=16, seed=0):
    """Rows with exactly four entries of +-1: norm 2, so every cosine is a multiple of 1/4 and is
    computed exactly in any order on any device -- lots of exact ties to test tie-breaking on."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n, d), dtype=np.float32)
    for row in x:
        row[rng.choice(d, 4, replace=False)] = rng.choice([-1.0, 1.0], 4)
    return x


# ------------------------------------------------------------------------ semantic_search
def test_topk_lowest_index_breaks_ties_by_column():
    scores = torch.tensor([[0.5, 1.0, 0.5, 0.5, 0.0],     # a tie that crosses the k-th place
                           [0.0, 0.25, 0.75, 0.25, 0.75]])
    values, cols = topk_lowest_index(scores, 2)
    assert cols.tolist() == [[1, 0], [2, 4]]
    assert values.tolist() == [[1.0, 0.5], [0.75, 0.75]]
    values, cols = topk_lowest_index(scores, 3)
    assert cols.tolist() == [[1, 0, 2], [2, 4, 1]]
    values, cols = topk_lowest_index(torch.tensor([[0.25, 1.0, 0.5, 0.5, 0.5]]), 4)   # no tie crosses: fast path
    assert cols.tolist() == [[1, 2, 3, 4]] and values.tolist() == [[1.0, 0.5, 0.5, 0.5]]


@pytest.mark.parametrize("chunk_size", [1, 7, 64, 1000])
@pytest.mark.parametrize("top_k", [1, 5, 250])
def test_equals_brute_force_with_ties(device, chunk_size, top_k):
    corpus, queries = quarter_vectors(200), quarter_vectors(13, seed=1)
    corpus[50] = corpus[150] = corpus[3]                   # exact duplicates, far apart
    queries[0] = corpus[3]
    scores, index = semantic_search(queries, corpus, top_k, chunk_size=chunk_size, query_chunk_size=4,
                                    device=device)
    ref_scores, ref_index = brute_force_search(queries, corpus, top_k)
    assert index.shape == (13, min(top_k, 200)) and index.dtype == np.int64 and scores.dtype == np.float32
    np.testing.assert_array_equal(index, ref_index)
    np.testing.assert_array_equal(scores, ref_scores)
    assert index[0, :3].tolist() == [3, 50, 150][:top_k]   # the duplicates, lower index first


@pytest.mark.parametrize("chunk_size", [1, 33, 500])
def test_equals_brute_force_on_random_data(device, chunk_size):
    rng = np.random.default_rng(0)
    corpus, queries = rng.normal(size=(500, 24)), rng.normal(size=(30, 24))    # float64: scored in float64
    if device == "mps":
        corpus, queries = corpus.astype(np.float32), queries.astype(np.float32)
    scores, index = semantic_search(queries, corpus, 10, chunk_size=chunk_size, query_chunk_size=7, device=device)
    ref_scores, ref_index = brute_force_search(queries, corpus, 10)
    np.testing.assert_array_equal(index, ref_index)
    np.testing.assert_allclose(scores, ref_scores, atol=1e-5)


def test_torch_in_torch_out(device):
    corpus = torch.from_numpy(quarter_vectors(40)).to(device)
    scores, index = semantic_search(corpus[:3], corpus, 4, chunk_size=9)
    assert isinstance(scores, torch.Tensor) and scores.device.type == torch.device(device).type
    assert index[:, 0].tolist() == [0, 1, 2] and torch.allclose(scores[:, 0].cpu(), torch.ones(3))


def test_top_k_larger_than_corpus_returns_everything_sorted():
    corpus = quarter_vectors(6)
    scores, index = semantic_search(corpus[:2], corpus, top_k=100, chunk_size=4)
    assert index.shape == (2, 6) and sorted(index[0].tolist()) == list(range(6))
    assert np.all(np.diff(scores, axis=1) <= 0)


def test_sparse_corpus_and_zero_rows():
    corpus = quarter_vectors(80)
    corpus[5] = 0.0                                        # a zero vector: cosine 0 with anything
    queries = quarter_vectors(5, seed=2)
    dense = semantic_search(queries, corpus, 80, chunk_size=16, device="cpu")
    sparse = semantic_search(queries, scipy.sparse.csr_matrix(corpus), 80, chunk_size=16, device="cpu")
    np.testing.assert_array_equal(dense[1], sparse[1])
    np.testing.assert_array_equal(dense[0], sparse[0])
    assert np.all(dense[0][dense[1] == 5] == 0.0)


def test_errors_say_what_is_wrong():
    corpus = quarter_vectors(10)
    with pytest.raises(ValueError, match="corpus_emb is empty"):
        semantic_search(corpus[:1], np.zeros((0, 16)))
    with pytest.raises(ValueError, match="query_emb is empty"):
        semantic_search(np.zeros((0, 16)), corpus)
    with pytest.raises(ValueError, match="dimension 8 but corpus_emb has dimension 16"):
        semantic_search(np.ones((1, 8)), corpus)
    with pytest.raises(ValueError, match=r"2-D.*x\[None, :\]"):
        semantic_search(corpus[0], corpus)
    with pytest.raises(ValueError, match="top_k must be >= 1"):
        semantic_search(corpus, corpus, top_k=0)
    bad = corpus.copy()
    bad[7, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        semantic_search(corpus, bad, device="cpu")
    with pytest.raises(ValueError, match="emb is empty"):
        paraphrase_mining(np.zeros((0, 4)))


# ---------------------------------------------------------------------- paraphrase mining
def brute_force_mining(emb, top_k, threshold):
    sims = brute_force_search(emb, emb, len(emb))            # every row fully sorted, ties by index
    pairs = {}
    for i, (row_scores, row_index) in enumerate(zip(*sims)):
        others = [(s, j) for s, j in zip(row_scores, row_index) if j != i][:top_k]
        for s, j in others:
            if s >= threshold:
                pairs.setdefault((min(i, j), max(i, j)), s)
    return sorted(((float(s), i, j) for (i, j), s in pairs.items()), key=lambda t: (-t[0], t[1], t[2]))


@pytest.mark.parametrize("chunk_size", [1, 5, 100])
@pytest.mark.parametrize("top_k,threshold", [(1, 0.0), (3, 0.5), (50, -1.0)])
def test_paraphrase_mining_equals_brute_force(device, chunk_size, top_k, threshold):
    emb = quarter_vectors(60, d=8)                          # d=8: many equal scores
    emb[40] = emb[10]                                       # a duplicate pair with score 1
    got = paraphrase_mining(emb, top_k, threshold, chunk_size=chunk_size, query_chunk_size=16, device=device)
    assert got == brute_force_mining(emb, top_k, threshold)
    assert all(i < j for _, i, j in got)
    if threshold <= 0.5:
        assert got[0] == (1.0, 10, 40)


def test_paraphrase_mining_on_text_pairs():
    emb = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.99, 0.1, 0.0], [0.0, 0.0, 1.0]])
    got = paraphrase_mining(emb, top_k=2, threshold=0.9)
    assert [(i, j) for _, i, j in got] == [(0, 2)]
    assert got[0][0] == pytest.approx(0.99 / np.hypot(0.99, 0.1))


# ----------------------------------------------------------------------------- clustering
def blobs(sizes, d=8, spread=0.02, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(len(sizes), d))
    points = [c + spread * rng.normal(size=(s, d)) for c, s in zip(centres, sizes)]
    return np.concatenate(points), np.repeat(np.arange(len(sizes)), sizes)


def same_partition(a, b):
    return len(set(zip(a, b))) == len(set(a)) == len(set(b))


def test_community_detection_on_a_constructed_case(device):
    x, _ = blobs([6, 4, 2])
    rng = np.random.default_rng(1)
    outliers = np.eye(8)[:3] * 5 + 0.01 * rng.normal(size=(3, 8))   # far from each other and the blobs
    emb = np.concatenate([x[6:10], outliers, x[:6], x[10:]])          # blob B at 0..3, blob A at 7..12
    got = community_detection(emb, threshold=0.95, min_size=3, chunk_size=5, device=device)
    assert got == [[7, 8, 9, 10, 11, 12], [0, 1, 2, 3]]               # the pair (13, 14) is below min_size
    assert community_detection(emb, threshold=0.95, min_size=2, device=device)[-1] == [13, 14]
    assert community_detection(emb, threshold=0.95, min_size=7, device=device) == []


def test_community_detection_takes_each_row_once():
    # two overlapping neighbourhoods: the centre with more neighbours wins, the other keeps the rest
    angles = np.radians([0, 5, 10, 15, 20, 25, 30])
    emb = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    cos_limit = np.cos(np.radians(10.5))                               # neighbours within 10 degrees
    got = community_detection(emb, threshold=cos_limit, min_size=2)
    assert got == [[0, 1, 2, 3, 4], [5, 6]]   # centre 2 (5 neighbours, lowest index of the ties) first; 3, 4 are taken
    assert sorted(i for c in got for i in c) == sorted(set(i for c in got for i in c))


def test_kmeans_and_agglomerative_recover_blobs():
    x, labels = blobs([10, 7, 5])
    assert same_partition(kmeans(x, 3, seed=0), labels)
    assert same_partition(agglomerative(x, k=3), labels)
    assert same_partition(agglomerative(x, k=3, linkage="ward"), labels)
    assert same_partition(agglomerative(x, distance_threshold=0.1), labels)
    with pytest.raises(ValueError, match="exactly one of k or distance_threshold"):
        agglomerative(x, k=3, distance_threshold=0.1)
    with pytest.raises(ValueError, match="k must be between 1"):
        kmeans(x, 100)


def test_clustering_ignores_all_zero_columns():
    # TF-IDF vectors are mostly columns no row uses; padding with them must change nothing
    x, labels = blobs([10, 7, 5])
    padded = np.concatenate([np.zeros((len(x), 50)), x, np.zeros((len(x), 50))], axis=1)
    np.testing.assert_array_equal(kmeans(padded, 3, seed=0), kmeans(x, 3, seed=0))
    np.testing.assert_array_equal(agglomerative(padded, k=3), agglomerative(x, k=3))
    assert same_partition(kmeans(padded, 3, seed=0), labels)


# ---------------------------------------------------------------------------- SearchIndex
class BagOfLetters:
    def encode(self, sentences):
        out = np.zeros((len(sentences), 26), dtype=np.float32)
        for i, s in enumerate(sentences):
            for ch in s.lower():
                if "a" <= ch <= "z":
                    out[i, ord(ch) - 97] += 1
        return out


SENTENCES = ["the cat sat on the mat", "dogs bark at night", "a cat on a mat", "stock markets fell",
             "zebra", "the quick brown fox"]


def test_search_index_answers_text_queries():
    index = SearchIndex(BagOfLetters(), SENTENCES, batch_size=4, show_progress=False)
    assert len(index) == 6 and index.embeddings.shape == (6, 26)
    hits = index.search("dogs bark at night", top_k=2)
    assert hits[0][1] == "dogs bark at night" and hits[0][0] == pytest.approx(1.0)
    ref_scores, ref_index = brute_force_search(BagOfLetters().encode(["zebra!"]), BagOfLetters().encode(SENTENCES), 6)
    assert [s for _, s in index.search("zebra!", top_k=10)] == [SENTENCES[i] for i in ref_index[0]]
    both = index.search(["zebra", "stock markets fell"], top_k=1)
    assert [h[0][1] for h in both] == ["zebra", "stock markets fell"]
    with pytest.raises(ValueError, match="empty query"):
        index.search("  ")
    with pytest.raises(ValueError, match="at least one sentence"):
        SearchIndex(BagOfLetters(), [])


def test_search_index_keeps_sparse_vectors_sparse():
    from minisent.wordvec.tfidf import TfidfEncoder

    model = TfidfEncoder(SENTENCES * 3 + [f"word{i} filler{i}" for i in range(100)])
    index = SearchIndex(model, SENTENCES, show_progress=False)
    assert scipy.sparse.issparse(index.embeddings)          # 6 x ~220 with a few non-zeros a row
    dense_scores, dense_index = brute_force_search(model.encode(["a cat on the mat"]), model.encode(SENTENCES), 6)
    hits = index.search("a cat on the mat", top_k=6)
    assert [s for _, s in hits] == [SENTENCES[i] for i in dense_index[0]]
    np.testing.assert_allclose([sc for sc, _ in hits], dense_scores[0], atol=1e-6)


def test_search_wiki_finds_a_wikipedia_sentence_and_caches(monkeypatch, tmp_path):
    from minisent import data
    from minisent.evaluation import index

    corpus = index.wiki_corpus()[:1500]
    monkeypatch.setattr(index, "wiki_corpus", lambda: corpus)
    monkeypatch.setattr(data, "CACHE_DIR", tmp_path)
    first = index.search_wiki(TfidfEncoder(), corpus[123], "tfidf", top_k=3, show_progress=False)
    assert first[0][1] == corpus[123] and first[0][0] == pytest.approx(1.0, abs=1e-5)
    cached = list((tmp_path / "search").glob("tfidf-*.npz"))
    assert len(cached) == 1
    assert index.search_wiki(TfidfEncoder(), corpus[123], "tfidf", top_k=3, show_progress=False) == first
    with pytest.raises(ValueError, match="empty query"):
        search.search_wiki(TfidfEncoder(), "", "tfidf")
