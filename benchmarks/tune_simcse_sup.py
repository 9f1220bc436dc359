"""Does supervised SimCSE on the 553 hand-written triplets add to its unsupervised start? On STS-B dev:
`python benchmarks/tune_simcse_sup.py [CANDIDATE ...] [--seeds 0,1,2]`.

Every run starts from the course's unsupervised encoder (`simcse.pretrained_simcse()`, the default recipe, seed 0,
cached) and trains supervised SimCSE with one candidate recipe and one seed (the seed of the supervised run: its
batches and dropout), on one torch thread. One JSON line per run: training CPU seconds and the STS-B dev curve
(Spearman x 100 every 25 steps); then per candidate the mean +- sd over seeds, the bootstrap 95 % interval of that
mean and its paired difference to the start (the same resampled pairs). Needs the STS-B dev file (see
benchmarks/quality.py); skips with one line without it. Results: benchmarks/RESULTS.md, "Supervised SimCSE".
"""
from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# overrides of simcse.DEFAULT_SUP_CONFIG
CANDIDATES = {
    "default": {},                          # DEFAULT_SUP_CONFIG: 25 steps, chosen from the two runs below
    "steps100": dict(steps=100),            # the earlier default (measured as "default" before the change)
    "steps25": dict(steps=25),
    "tau0.05": dict(temperature=0.05),      # not run (time)
}


def main(argv=None) -> int:
    import numpy as np
    import torch

    from benchmarks.quality import stsb_dev_path
    from minisent import data
    from minisent.evaluation import evaluate
    from minisent.training import simcse

    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("names", nargs="*", default=["default"])
    p.add_argument("--seeds", default="0,1,2")
    args = p.parse_args(argv)
    path = stsb_dev_path()
    if path is None:
        print("tune_simcse_sup: skipped, STS-B dev not found")
        return 0
    torch.set_num_threads(1)
    dev = data.read_stsb(path)
    gold = [p.score for p in dev]
    start = simcse.pretrained_simcse(device="cpu", progress=False)
    start_pred = evaluate.sts_predictions(start, dev)
    print(json.dumps({"name": "unsupervised start", "STS-B dev": str(evaluate.bootstrap(evaluate.spearman, start_pred,
                                                                                         gold))}), flush=True)
    eval_fn = lambda model: {"STS-B dev": evaluate.sts_spearman(model, dev)}

    def seed_mean(*columns):                       # one prediction column per seed, then the gold scores
        return float(np.mean([evaluate.spearman(c, columns[-1]) for c in columns[:-1]]))

    for name in args.names:
        columns = []
        for seed in map(int, args.seeds.split(",")):
            cfg = replace(simcse.DEFAULT_SUP_CONFIG, seed=seed, **CANDIDATES[name])
            cpu = time.process_time()
            model, history = simcse.train_simcse_sup(cfg, encoder=copy.deepcopy(start), device="cpu", progress=False,
                                                     eval_fn=eval_fn, eval_every=25)
            cpu = time.process_time() - cpu
            columns.append(evaluate.sts_predictions(model.eval(), dev))
            curve = [round(e["STS-B dev"], 1) for e in history["eval"]]
            print(json.dumps({"name": name, "seed": seed, "cpu_s (incl. evals)": round(cpu, 1),
                              "steps": [e["step"] for e in history["eval"]], "STS-B dev curve": curve,
                              "final": str(evaluate.bootstrap(evaluate.spearman, columns[-1], gold))}), flush=True)
        per_seed = [evaluate.spearman(c, gold) for c in columns]
        summary = {"name": name, "seeds": args.seeds,
                   "mean_sd": f"{np.mean(per_seed):.1f} +- {np.std(per_seed, ddof=1) if len(per_seed) > 1 else 0:.1f}",
                   "interval_of_mean": str(evaluate.bootstrap(seed_mean, *columns, gold)),
                   "minus_start_paired": str(evaluate.paired_bootstrap(seed_mean, (*columns, gold),
                                                                       (start_pred, gold)))}
        print(json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
