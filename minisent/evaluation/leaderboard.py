"""The course leaderboard: every model on every yardstick, each score x 100 with its bootstrap interval."""
from __future__ import annotations

from .. import data
from ..contract import Encoder
from .metrics import Interval
from .tasks import (lee_correlation, paraphrase_interval, qa_mrr_interval, section_interval, sentiment_interval,
                    sts_interval, sts_spearman, topic_interval)


def leaderboard_row(name: str, model: Encoder) -> dict:
    """{"model": name, "mini-STS": Spearman x 100, "Lee": Spearman x 100}, rounded to 0.01."""
    return {"model": name,
            "mini-STS": round(sts_spearman(model, data.mini_sts()), 2),
            "Lee": round(lee_correlation(model), 2)}


def format_table(rows: list[dict], floatfmt: str = "{:.2f}") -> str:
    """Rows of dicts -> a markdown table (columns in first-seen order)."""
    if not rows:
        return "(no rows)"
    cols = list(dict.fromkeys(k for r in rows for k in r))
    cell = lambda v: floatfmt.format(v) if isinstance(v, float) else ("" if v is None else str(v))
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    lines += ["| " + " | ".join(cell(r.get(c)) for c in cols) + " |" for r in rows]
    return "\n".join(lines)


LEADERBOARD_COLUMNS = ("model", "mini-STS", "Lee", "Sections", "QA MRR@10", "Topic AMI", "Sentiment probe",
                       "Paraphrase F1")


def evaluate_all(name: str, model: Encoder, split: str | None = "test", **kw) -> dict:
    """One full leaderboard row: {"model": name, column: Interval (x 100, with its bootstrap 95 % interval)}.

    mini-STS / Lee     Spearman of cosine vs gold on data.mini_sts(split) / data.lee_pairs(split)
    Sections           accuracy on the section-distinction yardstick, data.section_yardstick(split)
    QA MRR@10          question -> passage retrieval on data.qa_pairs(split)
    Topic AMI          adjusted mutual information of k-means clusters and gold topics on
                       data.topic_sentences(split), k = number of topics (0 = chance)
    Sentiment probe    5-fold logistic-regression accuracy on all 200 data.sentiment_sentences() (no split:
                       every sentence is scored by a probe that never saw it)
    Paraphrase F1      gold >= 4.0 is a paraphrase; threshold tuned on mini-STS dev, F1 on mini-STS test
                       (split="dev": tuned and scored on the two halves of mini-STS dev)
    split: "test" (default: for reporting), "dev" (for choosing) or None (every item).
    kw: n_boot, seed, level of `bootstrap`.
    """
    data.check_split(split)
    row = {"model": name,
           "mini-STS": sts_interval(model, data.mini_sts(split=split), **kw),
           "Lee": sts_interval(model, data.lee_pairs(split=split), **kw),
           "Sections": section_interval(model, split, **kw),
           "QA MRR@10": qa_mrr_interval(model, data.qa_pairs(split=split), **kw),
           "Topic AMI": topic_interval(model, data.topic_sentences(split=split), **kw),
           "Sentiment probe": sentiment_interval(model, **kw),
           "Paraphrase F1": paraphrase_interval(model, data.mini_sts(split="dev") if split == "dev" else None, **kw)}
    return {c: row[c] for c in LEADERBOARD_COLUMNS}


def ties_within_noise(rows: list[dict]) -> list[str]:
    """One line per Interval column: the best model and every model whose interval overlaps the best one's.

    Overlapping intervals do not establish an order (a paired bootstrap, `paired_bootstrap`, can still
    separate two models that share their errors); a leaderboard should not be sorted by such a column."""
    lines = []
    columns = [c for c in dict.fromkeys(k for r in rows for k in r) if isinstance(rows[0].get(c), Interval)]
    for column in columns:
        best = max(rows, key=lambda r: r[column].value)
        tied = [r["model"] for r in rows if r is not best and r[column].overlaps(best[column])]
        lines.append(f"{column}: best {best['model']} {best[column]}; " +
                     (f"ties within noise (intervals overlap): {', '.join(tied)}" if tied else "clear of the rest"))
    return lines
