"""How good is every built-in model, on the course's development yardstick: `python benchmarks/quality.py`.

Scores every model of `python -m minisent demo` on the STS Benchmark's dev split (1,500 pairs, Spearman x 100)
with its bootstrap 95 % interval, the paired difference to `tfidf` (the same resampled pairs for both), and the
time each took to train. STS-B dev decides every recipe and setting of the course, so these are development
numbers, not held-out results. The files are read from `../shared/data/stsbenchmark/sts-dev.csv` (relative to
the repository root) or from the `python -m minisent download stsb` cache; without them this prints one line and
exits cleanly. The table is written to benchmarks/RESULTS.md (between the `quality` markers).

Train time: wall seconds from the model's training history for the cached Transformers (their own training,
not their start point's); CPU seconds of `load_model` measured in this run for TF-IDF (fitting the IDF) and the
word vectors (training them and fitting the averaging encoder; "cached" when they were read from data/cache/
instead -- delete data/cache/wordvec to measure them).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))  # run from anywhere: `python benchmarks/quality.py`



def stsb_dev_path() -> Path | None:
    """The STS-B dev file: the shared development copy, else the download cache; None when neither exists."""
    from minisent.data import path_of

    shared = ROOT.parent / "shared" / "data" / "stsbenchmark" / "sts-dev.csv"
    if shared.exists():
        return shared
    downloaded = path_of("stsb")                      # the extracted folder; no network
    return next(iter(sorted(downloaded.rglob("sts-dev.csv"))), None) if downloaded.is_dir() else None


def _history_seconds(name: str) -> str:
    """Wall seconds of a cached Transformer's own training, from history.json in its cache folder."""
    from minisent.data import CACHE_DIR

    folder = {"mlm": "mlm_default_*", "simcse": "simcse_default_*", "simcse-sup": "simcse_sup_default_*"}.get(name)
    if folder is None:
        return "n/a"
    for history in sorted(CACHE_DIR.glob(f"{folder}/history.json")):
        times = json.loads(history.read_text()).get("time_s") or []
        if times:
            return f"{times[-1]:.0f} (wall, history)"
    return "n/a"


def _preset(name: str) -> str | None:
    from minisent.wordvec.baselines import BASELINES

    return BASELINES[name][0] if name in BASELINES else None


def _wordvec_cached(name: str) -> bool:
    from minisent.wordvec.baselines import BASELINES
    from minisent.wordvec.gensim_models import PRESETS, cache_path, corpus_tokens

    preset = BASELINES[name][0]
    return cache_path(preset, {**PRESETS[preset], "seed": 0}, corpus_tokens()).exists()


def run(device: str = "cpu", quick: bool = False, models: dict | None = None) -> list[dict]:
    """One row per built-in model; one 'skipped' row when the STS-B dev file is absent (benchmarks/run.py).
    models: a dict that receives every loaded model by name (for `power_rows`)."""
    from minisent import data
    from minisent.evaluation import evaluate
    from minisent.models import MODELS, baseline_names, load_model

    path = stsb_dev_path()
    if path is None:
        return [{"skipped": "STS-B dev not found (../shared/data/stsbenchmark/ or `python -m minisent download stsb`)"}]
    pairs = data.read_stsb(path)
    gold = [p.score for p in pairs]
    n_boot = 200 if quick else 1000
    predictions, rows, trained_here = {}, [], {}
    for name in baseline_names():
        cached = _preset(name) is not None and _wordvec_cached(name)
        cpu = time.process_time()
        model = load_model(name)
        cpu = time.process_time() - cpu
        if models is not None:
            models[name] = model
        predictions[name] = evaluate.sts_predictions(model, pairs)
        score = evaluate.bootstrap(evaluate.spearman, predictions[name], gold, n_boot=n_boot)
        if MODELS[name].module.startswith(("training.", "pretrained.")):
            trained = _history_seconds(name)
        elif not cached:
            trained = trained_here[_preset(name)] = f"{cpu:.0f} (CPU)"
        else:                                         # the vectors another baseline trained in this run, or cached
            trained = trained_here.get(_preset(name), "cached")
        diff = evaluate.paired_bootstrap(evaluate.spearman, (predictions[name], gold),
                                         (predictions["tfidf"], gold), n_boot=n_boot)
        rows.append({"model": name, "STS-B dev": str(score),
                     "minus tfidf (paired)": "0 (itself)" if name == "tfidf" else str(diff),
                     "differs from tfidf": "-" if name == "tfidf" else ("yes" if diff.excludes(0) else "tie"),
                     "train s": trained})
        print(f"  {name:<14} {score}   vs tfidf {rows[-1]['minus tfidf (paired)']}   train {trained}", flush=True)
    return rows


POWER_PAIRS = (("sif-word2vec", "avg-word2vec"), ("sif-word2vec", "sif-fasttext"), ("sif-word2vec", "tfidf"),
               ("simcse", "sif-word2vec"))


def power_rows(models: dict) -> list[dict]:
    """Which yardstick can tell two models apart? For each pair: A - B with its paired 95 % interval on the
    offline test splits (mini-STS, Lee, Sections) and on STS-B dev, and the interval's half-width (the smallest
    difference that yardstick can detect)."""
    from minisent import data
    from minisent.evaluation import evaluate

    stsb = data.read_stsb(stsb_dev_path())
    sets = {"mini-STS test": data.mini_sts(split="test"), "Lee test": data.lee_pairs(split="test"),
            "STS-B dev": stsb}
    triplets = data.section_yardstick("test")
    cols = {}                                                        # (yardstick, model) -> per-item columns
    for name, model in models.items():
        for label, pairs in sets.items():
            cols[label, name] = (evaluate.sts_predictions(model, pairs), [p.score for p in pairs])
        cols["Sections test", name] = (100.0 * evaluate.triplet_correct(model, triplets),)
    rows = []
    for a, b in POWER_PAIRS:
        if a not in models or b not in models:
            continue
        row = {"A - B": f"{a} - {b}"}
        for label in ("mini-STS test", "Lee test", "Sections test", "STS-B dev"):
            metric = np.mean if label == "Sections test" else evaluate.spearman
            d = evaluate.paired_bootstrap(metric, cols[label, a], cols[label, b])
            row[label] = f"{d} ±{(d.high - d.low) / 2:.1f}"
        rows.append(row)
    return rows


def write_section(text: str, name: str = "quality", results: Path = HERE / "RESULTS.md") -> None:
    """Put `text` between the `<!-- name:start -->` / `<!-- name:end -->` markers of RESULTS.md (appended the
    first time), so each benchmark rewrites its own section and nothing else."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    old = results.read_text(encoding="utf-8") if results.exists() else "# Benchmark results\n"
    block = f"{start}\n{text}\n{end}"
    if start in old and end in old:
        new = old[:old.index(start)] + block + old[old.index(end) + len(end):]
    else:
        new = old.rstrip("\n") + "\n\n" + block + "\n"
    results.write_text(new, encoding="utf-8")


def main(argv=None) -> int:
    argparse.ArgumentParser(description=__doc__).parse_args(argv)  # no options: --help explains, before the long run
    from minisent import data
    from minisent.evaluation.leaderboard import format_table

    t0 = time.perf_counter()
    models: dict = {}
    rows = run(models=models)
    if "skipped" in rows[0]:
        print(f"quality: skipped, {rows[0]['skipped']}")
        return 0
    power = power_rows(models)
    text = ("## quality: every built-in model on STS-B dev\n\n"
            "Spearman x 100 on the STS Benchmark dev split (1,500 pairs), with its percentile bootstrap 95 % "
            "interval (1,000 resamples of the pairs); `minus tfidf`: the paired bootstrap of the difference "
            "(the same resampled pairs for both models). Dev numbers: every recipe is chosen on this split. "
            "Written by `python benchmarks/quality.py` (seed 0 of every model; wall times on a shared 2-core "
            "machine are inflated by other jobs).\n\n" + format_table(rows) +
            "\n\n### Which yardstick can tell two models apart?\n\n"
            "A - B with its paired bootstrap 95 % interval and the interval's half-width (the smallest difference "
            "the yardstick detects): Spearman x 100 on the mini-STS test half (175 pairs), the Lee test half (300 "
            "pairs) and STS-B dev (1,500 pairs); accuracy x 100 on the Wikipedia section-distinction test triplets "
            f"({len(data.section_yardstick('test'))} triplets from held-out articles).\n\n"
            + format_table(power) + f"\n\n({time.perf_counter() - t0:.0f} s)")
    print("\n" + text)
    write_section(text)
    print(f"written {HERE / 'RESULTS.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
