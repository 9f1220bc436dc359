"""DAN and GPT-style encoders (lesson 11) on STS-B dev and the offline yardsticks: `python benchmarks/bench_dan_gpt.py`.

STS-B dev (when `../shared/data/stsbenchmark/sts-dev.csv` exists; else those rows are skipped): Spearman x 100 with
its bootstrap 95 % interval, and paired bootstraps against `sif-word2vec` and `simcse`. Offline yardsticks: the
mini-STS and Lee TEST halves (reported; nothing was chosen on them). Encode speed: sentences per CPU-second
(`time.process_time`, one torch thread) encoding the mini-STS + Lee-test sentences. Seeds: DAN 0, 1, 2 (trained
here); GPT seed 0 (the cached built-ins). Prints a markdown section for benchmarks/RESULTS.md.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    from minisent import data
    from minisent.evaluation import evaluate
    from minisent.training.clm import Prompted, pretrained_clm, pretrained_gpt
    from minisent.training.dan import DEFAULT_DAN_CONFIG, pretrained_dan, train_dan
    from minisent.models import load_model

    dev_path = ROOT.parent / "shared" / "data" / "stsbenchmark" / "sts-dev.csv"
    sets = {"mini-STS test": data.mini_sts(split="test"), "Lee test": data.lee_pairs(split="test")}
    if dev_path.exists():
        sets = {"STS-B dev": data.read_stsb(dev_path), **sets}
    gold = {k: np.array([p.score for p in v]) for k, v in sets.items()}
    models = {"sif-word2vec": load_model("sif-word2vec"), "simcse": load_model("simcse"),
              "dan (seed 0)": pretrained_dan(progress=False)}
    lm = pretrained_clm(progress=False)
    for p in ("last_token", "mean", "position_weighted_mean"):
        models[f"gpt-lm, {p}"] = lm.with_pooling(p)
    models["gpt-lm, PromptEOL + last_token"] = Prompted(lm)
    models["gpt (SimCSE, last_token)"] = pretrained_gpt(progress=False)
    print("built-in caches ready", flush=True)
    for seed in (1, 2):
        models[f"dan (seed {seed})"] = train_dan(DEFAULT_DAN_CONFIG, seed=seed, progress=False)[0]
    preds = {name: {k: evaluate.sts_predictions(m, v) for k, v in sets.items()} for name, m in models.items()}

    def interval(a, k):
        return evaluate.bootstrap(evaluate.spearman, preds[a][k], gold[k])

    def paired(a, b, k):
        return evaluate.paired_bootstrap(evaluate.spearman, (preds[a][k], gold[k]), (preds[b][k], gold[k]))

    cols = list(sets)
    print("| model | " + " | ".join(cols) + " |")
    print("|---|" + "---|" * len(cols))
    for name in models:
        print(f"| {name} | " + " | ".join(str(interval(name, k)) for k in cols) + " |")
    dan_mean = {k: np.mean([interval(f"dan (seed {s})", k).value for s in range(3)]) for k in cols}
    dan_sd = {k: np.std([interval(f"dan (seed {s})", k).value for s in range(3)]) for k in cols}
    print("\nDAN mean ± sd over seeds 0-2: " + "; ".join(f"{k} {dan_mean[k]:.1f} ± {dan_sd[k]:.1f}" for k in cols))
    print("\nPaired bootstrap (A - B, same resampled pairs):\n")
    pairs = [("dan (seed 0)", "sif-word2vec"), ("dan (seed 0)", "simcse"), ("gpt (SimCSE, last_token)", "simcse"),
             ("gpt (SimCSE, last_token)", "gpt-lm, last_token"), ("gpt-lm, mean", "gpt-lm, last_token"),
             ("gpt-lm, position_weighted_mean", "gpt-lm, last_token"),
             ("gpt-lm, PromptEOL + last_token", "gpt-lm, last_token"), ("gpt (SimCSE, last_token)", "dan (seed 0)")]
    for a, b in pairs:
        print(f"* {a} − {b}: " + "; ".join(f"{k} {paired(a, b, k)}" for k in cols))
    sentences = list(dict.fromkeys(s for k in ("mini-STS test", "Lee test") for p in sets[k]
                                   for s in (p.sentence1, p.sentence2)))
    print(f"\nEncode speed ({len(sentences)} sentences, sentences per CPU-second, best of 3):\n")
    for name in ("sif-word2vec", "dan (seed 0)", "simcse", "gpt (SimCSE, last_token)"):
        best = 0.0
        for _ in range(3):
            t = time.process_time()
            models[name].encode(sentences)
            best = max(best, len(sentences) / max(time.process_time() - t, 1e-9))
        print(f"* {name}: {best:,.0f}")


if __name__ == "__main__":
    main()
