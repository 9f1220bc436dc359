"""How the word-vector presets were chosen: `python benchmarks/tune_wordvec.py [PRESET ...] [--seeds 0,1,2]`.

Trains each candidate (gensim, one worker, no cache) on the word vectors' training text (`wordvec.corpus_tokens()`)
and prints one JSON line per seed: the training CPU seconds and STS-B dev Spearman x 100 (with its bootstrap 95 %
interval) of the mean and of the SIF (+ first component removed) sentence vectors. With two or more seeds, one summary
line per sentence vector: mean +- sd over the seeds, the bootstrap interval of that mean (the same resampled pairs for
every seed) and its paired difference to `tfidf`. Needs the STS-B dev file
(see benchmarks/quality.py); skips with one line without it. Budget: <= 60 CPU-seconds of training per model.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# the candidates measured (benchmarks/RESULTS.md, "word vectors"); "skipgram" / "fasttext" are the chosen presets
CANDIDATES = {
    "sg-old": dict(model="word2vec", sg=1, vector_size=100, window=5, min_count=3, negative=5, sample=1e-3,
                   alpha=0.05, epochs=10),
    "sg-e30-n10": dict(model="word2vec", sg=1, vector_size=100, window=5, min_count=2, negative=10, sample=1e-4,
                       epochs=30),
    "sg-e15-n10": dict(model="word2vec", sg=1, vector_size=100, window=5, min_count=2, negative=10, sample=1e-4,
                       epochs=15),
    "ft-e10-n10": dict(model="fasttext", sg=1, vector_size=100, window=5, min_count=2, negative=10, sample=1e-4,
                       epochs=10, min_n=3, max_n=5, bucket=50_000),
}


def main(argv=None) -> int:
    from benchmarks.quality import stsb_dev_path
    import numpy as np

    from minisent import data
    from minisent.evaluation import evaluate
    from minisent.models import load_model
    from minisent.wordvec import PRESETS, corpus_tokens, train_gensim
    from minisent.wordvec.averaging import AveragingEncoder

    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("names", nargs="*", default=["skipgram", "fasttext"])
    p.add_argument("--seeds", default="0,1,2")
    args = p.parse_args(argv)
    path = stsb_dev_path()
    if path is None:
        print("tune_wordvec: skipped, STS-B dev not found")
        return 0
    dev = data.read_stsb(path)
    tokens = corpus_tokens()
    reference = [" ".join(t) for t in tokens]
    gold = [p.score for p in dev]
    tfidf = evaluate.sts_predictions(load_model("tfidf"), dev)

    def seed_mean(*columns):                       # columns: one prediction column per seed, then the gold scores
        return float(np.mean([evaluate.spearman(c, columns[-1]) for c in columns[:-1]]))

    for name in args.names:
        predictions = {"mean": [], "sif": []}
        params = dict(PRESETS.get(name) or CANDIDATES[name])
        model = params.pop("model")
        for seed in map(int, args.seeds.split(",")):
            cpu = time.process_time()
            wv = train_gensim(tokens, model=model, seed=seed, progress=False, **params)
            cpu = time.process_time() - cpu
            oov = "subword" if model == "fasttext" else "skip"
            scores = {}
            for w in ("mean", "sif"):
                encoder = AveragingEncoder(wv, weighting=w, remove_components=int(w == "sif"), oov=oov,
                                           reference_sentences=reference)
                predictions[w].append(evaluate.sts_predictions(encoder, dev))
                scores[w] = str(evaluate.bootstrap(evaluate.spearman, predictions[w][-1], gold))
            print(json.dumps({"name": name, "seed": seed, "cpu_s": round(cpu, 1), **scores, "params": params}),
                  flush=True)
        for w, columns in predictions.items():
            if len(columns) < 2:
                continue
            per_seed = [evaluate.spearman(c, gold) for c in columns]
            interval = evaluate.bootstrap(seed_mean, *columns, gold)
            minus_tfidf = evaluate.paired_bootstrap(seed_mean, (*columns, gold), (tfidf, gold))
            print(json.dumps({"name": name, "vectors": w, "seeds": args.seeds,
                              "mean_sd": f"{np.mean(per_seed):.1f} +- {np.std(per_seed, ddof=1):.1f}",
                              "interval_of_mean": str(interval), "minus_tfidf_paired": str(minus_tfidf)}),
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
