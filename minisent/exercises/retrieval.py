"""Lesson 09: recall@k and MRR@k, checked against minisent.evaluation.evaluate.

    def my_recall_at_k(ranked, relevant, k):  # ranked: per query a list of ids, best first;
                                              # relevant: per query a set of ids -> mean over queries of
                                              # |relevant among the top k| / |relevant|
    def my_mrr_at_k(ranked, relevant, k):     # mean over queries of 1 / rank of the first relevant id in
                                              # the top k (ranks start at 1), 0 when none is there
    check_recall_at_k(my_recall_at_k); check_mrr_at_k(my_mrr_at_k)
"""
from __future__ import annotations

import numpy as np

from ..evaluation.evaluate import mrr_at_k, recall_at_k
from ._check import call, compare, run_checker

RANKED = [[3, 1, 4, 0, 5, 9, 2, 6],      # first relevant at rank 2
          [7, 2, 8, 1, 0, 3, 4, 5],      # first relevant at rank 1, a second one at rank 6
          [5, 6, 7, 8, 9, 0, 1, 2],      # relevant only at rank 8
          [0, 1, 2, 3, 4, 5, 6, 7]]      # three relevant, at ranks 3, 4, 9 (not retrieved)
RELEVANT = [{1}, {7, 3}, {2}, {2, 3, 42}]


def _cases():
    return [(RANKED, RELEVANT, 5, "on four queries with k = 5"), (RANKED, RELEVANT, 1, "with k = 1"),
            (RANKED, RELEVANT, 8, "with k = 8 (the whole list)"), (RANKED[:1], RELEVANT[:1], 3, "on one query"),
            (RANKED[2:3], RELEVANT[2:3], 5, "when no relevant id is in the top k")]


def _first_rank(ranking, rel, k):
    return next((r for r, doc in enumerate(ranking[:k], start=1) if doc in rel), None)


def check_recall_at_k(student, quiet: bool = False) -> str:
    def body():
        for ranked, relevant, k, case in _cases():
            hit = np.mean([any(d in rel for d in r[:k]) for r, rel in zip(ranked, relevant)])
            mistakes = {"count a query as 1 as soon as one relevant id is found (that is the hit rate)": hit,
                        "divide by k instead of by the number of relevant ids (that is precision@k)":
                            np.mean([len(rel & set(r[:k])) / k for r, rel in zip(ranked, relevant)]),
                        "look at the top k + 1 (off by one)": recall_at_k(ranked, relevant, k + 1),
                        "look at the top k - 1 (off by one)":
                            np.mean([len(rel & set(r[:k - 1])) / len(rel) for r, rel in zip(ranked, relevant)])}
            got = call(student, [list(r) for r in ranked], [set(s) for s in relevant], k)
            compare("recall@k", got, recall_at_k(ranked, relevant, k), case, atol=1e-9, mistakes=mistakes)
    return run_checker("recall_at_k", body, quiet)


def check_mrr_at_k(student, quiet: bool = False) -> str:
    def body():
        for ranked, relevant, k, case in _cases():
            def mean_rr(rank_to_score, kk=k):
                scores = []
                for r, rel in zip(ranked, relevant):
                    rank = _first_rank(r, rel, kk)
                    scores.append(0.0 if rank is None else rank_to_score(rank))
                return np.mean(scores)
            mistakes = {"score the first place 1/2 instead of 1 (off by one: ranks start at 1)":
                            mean_rr(lambda r: 1 / (r + 1)),
                        "ignore k (search the whole ranking)": mean_rr(lambda r: 1 / r, kk=None),
                        "return the mean rank instead of the mean reciprocal rank": mean_rr(lambda r: r),
                        "look at the top k + 1 (off by one)": mrr_at_k(ranked, relevant, k + 1)}
            got = call(student, [list(r) for r in ranked], [set(s) for s in relevant], k)
            compare("MRR@k", got, mrr_at_k(ranked, relevant, k), case, atol=1e-9, mistakes=mistakes)
    return run_checker("mrr_at_k", body, quiet)
