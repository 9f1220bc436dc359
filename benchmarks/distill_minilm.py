"""Distil all-MiniLM-L6-v2 into the course's SimCSE encoder, scored on STS-B dev: `python benchmarks/distill_minilm.py`.

Lesson 13, section 10. The student starts as the cached `simcse` (lesson 07's recipe) and learns, by MSE, MiniLM's
vectors of the whole offline corpus projected onto their top `simcse.dim` principal directions (`pca_targets`).
The recipe (600 steps of 64 sentences, learning rate 5e-4) was fixed before this measurement. Reported: Spearman x 100
on the STS Benchmark dev split with bootstrap 95 % intervals, paired differences, and the student's cosine to its
targets before and after. Needs `../shared/data/stsbenchmark/sts-dev.csv` (or the `download stsb` cache); without it,
one line and a clean exit. Writes the `distill_minilm` section of benchmarks/RESULTS.md.
"""
from __future__ import annotations

import argparse
import copy
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run from anywhere

STEPS, BATCH, LR = 600, 64, 5e-4


def main(argv=None) -> int:
    argparse.ArgumentParser(description=__doc__).parse_args(argv)  # no options: --help explains, before the long run
    from benchmarks.quality import stsb_dev_path, write_section
    from minisent import data
    from minisent.evaluation import evaluate
    from minisent.evaluation.leaderboard import format_table
    from minisent.inputs import normalize_rows
    from minisent.models import load_model
    from minisent.training import distill
    from minisent.training.simcse_data import unsup_sentences

    path = stsb_dev_path()
    if path is None:
        print("distill_minilm: skipped, STS-B dev not found")
        return 0
    t0 = time.perf_counter()
    pairs = data.read_stsb(path)
    gold = [p.score for p in pairs]
    teacher, start = load_model("minilm"), load_model("simcse")
    sentences = unsup_sentences()
    T = distill.teacher_embeddings(teacher, "minilm", sentences)               # (n, 384)
    targets, _ = distill.pca_targets(T, start.dim)                             # (n, 256)
    student = copy.deepcopy(start)

    def cos_to_targets(model) -> float:
        rows = np.random.default_rng(0).choice(len(sentences), 2000, replace=False)
        S = model.encode([sentences[i] for i in rows], normalize=True)       # (2000, d)
        return float(np.mean(np.sum(S * normalize_rows(targets[rows]), axis=1)))

    cos_before = cos_to_targets(start)
    distill.distill(student, sentences, targets, steps=STEPS, batch_size=BATCH, lr=LR, seed=0)
    student.eval()
    cos_after = cos_to_targets(student)
    models = {"minilm (teacher)": teacher, "tfidf": load_model("tfidf"),
              "simcse (the student's start)": start, f"simcse + {STEPS} steps of MSE to minilm": student}
    preds = {name: evaluate.sts_predictions(m, pairs) for name, m in models.items()}
    rows = [{"model": name, "STS-B dev": str(evaluate.bootstrap(evaluate.spearman, p, gold))}
            for name, p in preds.items()]
    student_name, start_name = list(models)[3], list(models)[2]
    diffs = {f"student - {b}": evaluate.paired_bootstrap(evaluate.spearman, (preds[student_name], gold),
                                                         (preds[b], gold)) for b in (start_name, "tfidf")}
    text = (f"## distill_minilm: all-MiniLM-L6-v2 distilled into `simcse`, on STS-B dev\n\n"
            f"Spearman x 100 on the STS Benchmark dev split (1,500 pairs), bootstrap 95 % intervals (1,000 resamples of "
            f"the pairs). The student starts as `simcse` and learns MiniLM's vectors of the {len(sentences):,} offline "
            f"corpus sentences, projected to {start.dim} dimensions (`distill.pca_targets`): {STEPS} steps of {BATCH}, "
            f"learning rate {LR}, seed 0; the recipe was fixed before measuring. Written by "
            f"`python benchmarks/distill_minilm.py`.\n\n" + format_table(rows) + "\n\n"
            + "\n".join(f"* {k} (paired): {v}" for k, v in diffs.items())
            + f"\n* mean cosine of the student's vectors to its targets (2,000 corpus sentences): "
              f"{round(cos_before, 2) + 0.0:.2f} before, {round(cos_after, 2) + 0.0:.2f} after"
            + f"\n\n({time.perf_counter() - t0:.0f} s)")
    print(text)
    write_section(text, "distill_minilm")
    return 0


if __name__ == "__main__":
    sys.exit(main())
