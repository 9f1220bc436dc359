"""How the course scores a sentence encoder: anything with `encode(list[str]) -> np.ndarray (n, d)`.

The names the lessons use, from three files:
    metrics.py      on arrays: cosine, cosine_matrix, spearman (x 100), bootstrap / paired_bootstrap -> Interval,
                    mrr_at_k / recall_at_k / ndcg_at_k, v_measure / adjusted_rand / adjusted_mutual_info, f1
    tasks.py        a model on a yardstick: sts_predictions / sts_spearman / sts_interval, lee_correlation,
                    triplet_accuracy, retrieval_scores, clustering_scores, linear_probe, paraphrase_detection, ...
    leaderboard.py  evaluate_all(name, model): the full leaderboard row (x 100); ties_within_noise, format_table

Every score of a finite test set is one draw (another set would give another): each comes with a bootstrap interval.
"""
from .leaderboard import (LEADERBOARD_COLUMNS, evaluate_all, format_table, leaderboard_row,  # noqa: F401
                          ties_within_noise)
from .metrics import (Interval, adjusted_mutual_info, adjusted_rand, best_threshold, bootstrap, cosine,  # noqa: F401
                      cosine_matrix, f1, mrr_at_k, ndcg_at_k, paired_bootstrap, recall_at_k, reciprocal_ranks,
                      spearman, v_measure)
from .tasks import (cluster, clustering_scores, lee_correlation, linear_probe, pair_similarities,  # noqa: F401
                    paraphrase_detection, paraphrase_interval, probe_correct, qa_mrr_interval, qa_retrieval_scores,
                    retrieval_scores, retrieve, section_interval, sentiment_interval, sentiment_probe, sts_eval_fn,
                    sts_interval, sts_predictions, sts_spearman, topic_interval, triplet_accuracy, triplet_correct)
