"""Checkers for the course's implement-it-yourself exercises.

Write the function, then hand it to its checker. The checker runs it beside minisent's own
implementation on random and edge-case inputs (padding, ties, small temperatures, a batch of one),
compares values -- and, for torch functions, gradients via autograd -- and prints and returns ONE
sentence: "correct", "not implemented yet" (for a stub that raises NotImplementedError or returns
None), or what is wrong, where, and, when it recognises a typical mistake, which one.

    from minisent.exercises import check_cosine
    def my_cosine(a, b):
        raise NotImplementedError
    check_cosine(my_cosine)          # prints "check_cosine: not implemented yet"

lesson  checker                 the student writes                                   reference
00      check_cosine            cosine(a, b)  (n, d), (n, d) -> (n,)                 evaluate.cosine
00      check_spearman          spearman(x, y) -> rho x 100                          evaluate.spearman
01      check_sgns_update       sgns_update(v, u_pos, u_neg, lr) -> new (v, u_pos, u_neg)  wordvec.sgns.SkipGramNS
02      check_sif_weight        sif_weight(p, a) -> a / (a + p)                      wordvec.averaging.sif_weight
02      check_remove_pc         remove_pc(embeddings, k) -> (n, d)                   wordvec.averaging.remove_components
03      check_attention         attention(q, k, v, mask) -> (B, h, T, dh)            transformer.attention
04      check_mean_pool         mean_pool(hidden, mask) -> (B, d)                    pooling.mean_pool
04      check_attention_pool    attention_pool(hidden, mask, query) -> (B, d)        pooling.attention_pool
05      check_info_nce          info_nce(query, key, temperature) -> scalar          losses.info_nce
05      check_triplet_loss      triplet_loss(anchor, positive, negative, margin)     losses.triplet_loss
07      check_simcse_step       simcse_step(model, sentences, optimizer, temperature) -> float  simcse.UnsupervisedSimCSE
09      check_recall_at_k       recall_at_k(ranked, relevant, k) -> float            evaluate.recall_at_k
09      check_mrr_at_k          mrr_at_k(ranked, relevant, k) -> float               evaluate.mrr_at_k
11      check_causal_attention  causal_attention(q, k, v, mask) -> (B, h, T, dh)     transformer.attention(causal=True)
11      check_last_token_pool   last_token_pool(hidden, mask) -> (B, d)              pooling.last_token_pool
11      check_position_weighted_pool  position_weighted_pool(hidden, mask) -> (B, d) pooling.position_weighted_mean_pool
12      check_distill_mse       distill_mse(student, teacher) -> scalar              distill.mse_loss
12      check_procrustes        procrustes(X, Y) -> orthogonal W (d, d)              align.procrustes
12      check_greedy_match_f1   greedy_match_f1(C, R) -> float (BERTScore's F)       mteval.greedy_match_f1
"""
from ._check import CORRECT, NOT_IMPLEMENTED
from .alignment import check_procrustes
from .attention import check_attention, check_causal_attention
from .distillation import check_distill_mse
from .losses import check_info_nce, check_triplet_loss
from .pooling import (check_attention_pool, check_last_token_pool, check_mean_pool,
                      check_position_weighted_pool)
from .retrieval import check_mrr_at_k, check_recall_at_k
from .sgns import check_sgns_update
from .sif import check_remove_pc, check_sif_weight
from .simcse import check_simcse_step
from .similarity import check_cosine, check_spearman
from .translation import check_greedy_match_f1

__all__ = ["CORRECT", "NOT_IMPLEMENTED", "check_cosine", "check_spearman", "check_sgns_update", "check_sif_weight",
           "check_remove_pc", "check_attention", "check_mean_pool", "check_attention_pool", "check_info_nce",
           "check_triplet_loss", "check_simcse_step", "check_recall_at_k", "check_mrr_at_k", "check_causal_attention",
           "check_last_token_pool", "check_position_weighted_pool", "check_distill_mse", "check_procrustes",
           "check_greedy_match_f1"]
