"""Lesson 12's measurements: `python benchmarks/bench_lesson12.py` writes them into benchmarks/RESULTS.md.

1. Quality vs speed of every built-in model (read from the registry): accuracy x 100 on the Wikipedia section
   test triplets with its bootstrap 95 % interval, STS-B dev Spearman x 100 when the files are there (the
   development yardstick), and encode speed in sentences per CPU-second (1,000 corpus sentences, one thread).
2. Domain adaptation: `simcse` before and after `domain.DEFAULT_ADAPT_CONFIG` (news only, and with half Wikipedia
   replay), on the test halves of the Lee ratings, the held-out news stories and the Wikipedia sections, each
   change with its paired bootstrap interval (1,000 resamples, seed 0).
The recipes were chosen on the dev halves (the Experiment log in RESULTS.md says how); these are test numbers.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def quality_speed() -> list[dict]:
    from minisent import data
    from minisent.training import distill
    from minisent.evaluation import evaluate
    from minisent.models import baseline_names, load_model
    from benchmarks.quality import stsb_dev_path

    sents = [s.text for s in data.wiki_sentences()][:1000]
    stsb = data.read_stsb(stsb_dev_path()) if stsb_dev_path() else None
    rows = []
    for name in baseline_names():
        model = load_model(name)
        row = {"model": name, "Sections test": str(evaluate.section_interval(model, "test")),
               "STS-B dev": str(evaluate.sts_interval(model, stsb)) if stsb else "n/a",
               "sentences / CPU-s": f"{distill.encode_speed(model, sents):,.0f}"}
        print(row, flush=True)
        rows.append(row)
    return rows


def domain_rows() -> list[dict]:
    from minisent import data
    from minisent.training import domain
    from minisent.evaluation import evaluate
    from minisent.training.simcse import pretrained_simcse

    source = pretrained_simcse()
    models = {"simcse (source)": source, "simcse-news": domain.pretrained_news()}
    cpu = time.process_time()
    models["news + half Wikipedia"] = domain.pretrained_news(source_share=0.5, progress=False)   # cached as lesson 12's
    print(f"mixed adaptation ready: {time.process_time() - cpu:.0f} CPU-s (trained now, or cached)", flush=True)
    lee = data.lee_pairs("test")
    gold = np.array([p.score for p in lee])
    cols = {}
    for name, m in models.items():
        cols[name] = {"Lee test": (evaluate.sts_predictions(m, lee), gold),
                      "news test": (100.0 * evaluate.triplet_correct(m, domain.news_yardstick("test")),),
                      "Sections test": (100.0 * evaluate.triplet_correct(m, data.section_yardstick("test")),)}
    rows = []
    for name in models:
        row = {"model": name}
        for label, c in cols[name].items():
            metric = evaluate.spearman if label == "Lee test" else np.mean
            row[label] = str(evaluate.bootstrap(metric, *c))
            if name != "simcse (source)":
                row[label] += f"; change {evaluate.paired_bootstrap(metric, c, cols['simcse (source)'][label])}"
        print(row, flush=True)
        rows.append(row)
    return rows


def main() -> int:
    from minisent.evaluation.leaderboard import format_table

    t0 = time.perf_counter()
    text = ("## lesson 12: quality vs speed, and domain adaptation\n\n"
            "Written by `python benchmarks/bench_lesson12.py`. Seeds 0; intervals: percentile bootstrap 95 % (1,000 "
            "resamples, seed 0). Speeds: sentences per CPU-second of one thread on this shared 2-core machine "
            "(CPU time, since the wall clock measures the other jobs).\n\n### Quality vs speed (every built-in model)\n\n"
            + format_table(quality_speed()) +
            "\n\n### Domain adaptation (test halves; change = paired bootstrap against the source)\n\n"
            + format_table(domain_rows()) + f"\n\n({time.perf_counter() - t0:.0f} s wall)")
    from benchmarks.quality import write_section

    write_section(text, "lesson12")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
