"""What sentence embeddings are for: semantic search, paraphrase mining and clustering (lesson 09).

    semantic_search(query_emb, corpus_emb, top_k)  -> (scores (q, k), indices (q, k)), best first
    paraphrase_mining(emb, top_k, threshold)       -> [(score, i, j), ...] with i < j, best first
    kmeans(emb, k) / agglomerative(emb, k=.. | distance_threshold=..) -> cluster labels (n,)
    community_detection(emb, threshold, min_size)  -> [[member indices], ...], biggest first
    SearchIndex(model, sentences).search("a query") -> [(score, sentence), ...]
    search_wiki(model, "a query", name)           -> the same over the offline Wikipedia sentences

The names the lessons use, from three files: nearest.py (search and mining in chunks, no (q, n) matrix),
clustering.py, index.py (an encoded corpus searched by text, cached on disk; the `search` command).
"""
from .clustering import agglomerative, community_detection, kmeans  # noqa: F401
from .index import SearchIndex, cached_index, encode_corpus, search_wiki, wiki_corpus  # noqa: F401
from .nearest import (CHUNK_SIZE, QUERY_CHUNK_SIZE, brute_force_search, merge_topk, paraphrase_mining,  # noqa: F401
                      semantic_search, topk_lowest_index)
