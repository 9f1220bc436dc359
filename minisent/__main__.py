"""The command line: `python -m minisent --help`.

    python -m minisent data                         corpus statistics
    python -m minisent eval --model tfidf --sts FILE
    python -m minisent demo                         every model on every benchmark: the leaderboard
    python -m minisent search "a query" --model M   nearest Wikipedia sentences
    python -m minisent train mlm|triplet|simcse|simcse-sup --out DIR
    python -m minisent download stsb                optional public sets (needs internet)
"""
from __future__ import annotations

import argparse
import sys
import time


def _cmd_data(args) -> int:
    from . import data
    from .evaluate import format_table

    rows = data.corpus_stats()
    print("Offline corpora (built from the files gensim ships; cached in data/cache/):")
    print(format_table(rows))
    try:
        hand = [("mini_sts.tsv", len(data.mini_sts()), "sentence pairs with gold scores 0-5"),
                ("nli_triplets.csv", len(data.nli_triplets()), "premise, entailment, contradiction"),
                ("topic_sentences.tsv", len(data.topic_sentences()), "topic-labelled sentences"),
                ("qa_pairs.tsv", len(data.qa_pairs()), "question, answer passage")]
    except (AttributeError, FileNotFoundError) as err:
        print(f"\nhand-written sets unavailable: {err}")
        return 0
    print("\nHand-written sets (data/, written for this project):")
    print(format_table([{"file": f, "items": n, "what": w} for f, n, w in hand]))
    return 0


def _load_pairs(args):
    from . import data

    if args.sts == "mini":
        return data.mini_sts()
    if args.sts == "lee":
        return data.lee_pairs()
    fmt = args.format or data.guess_sts_format(args.sts)
    if fmt == "stsb":
        return data.read_stsb(args.sts, split=args.split)
    if fmt == "sick":
        return data.read_sick(args.sts, split=args.split)
    raise ValueError(f"unknown --format {fmt!r}; use stsb or sick")


def _cmd_eval(args) -> int:
    from .evaluate import sts_spearman
    from .models import load_model

    pairs = _load_pairs(args)
    model = load_model(args.model)
    score = sts_spearman(model, pairs)
    print(f"model: {args.model}")
    print(f"spearman: {score:.2f}")
    print(f"n: {len(pairs)}")
    return 0


def _cmd_demo(args) -> int:
    from . import data
    from .evaluate import LEADERBOARD_COLUMNS, evaluate_all, format_table, ties_within_noise
    from .models import baseline_names, load_model

    t0 = time.perf_counter()
    print("minisent demo: every available model on every course benchmark (all numbers x 100, each with its "
          "bootstrap 95 % interval)")
    print(f"offline corpus: {len(data.corpus_sentences())} sentences; scored on the TEST split of every set "
          f"(data/README.md).\nmini STS and Lee: Spearman; Sections: accuracy on {len(data.section_yardstick())} "
          f"Wikipedia section triplets; QA: MRR@10 on {len(data.qa_pairs(split='test'))} questions;\n"
          f"topics: V-measure of k-means; sentiment: 5-fold logistic-regression accuracy; paraphrase: F1 "
          f"(threshold tuned on the dev pairs)\n", flush=True)
    rows = []
    names = args.models.split(",") if args.models else baseline_names()
    for name in names:
        t = time.perf_counter()
        model = load_model(name)
        row = evaluate_all(name, model)
        rows.append(row)
        scores = "  ".join(f"{k} {row[k].value:.1f}" for k in LEADERBOARD_COLUMNS[1:])
        print(f"  {name:<14} {scores}   ({time.perf_counter() - t:.0f} s)", flush=True)
    print("\nLeaderboard (models in the order they were built; not ranked: see the ties below)\n" + format_table(rows))
    print("\n" + "\n".join(ties_within_noise(rows)))
    print(f"\ntotal {time.perf_counter() - t0:.0f} s")
    return 0


def _cmd_search(args) -> int:
    from .search import search_cli

    for score, sentence in search_cli(args.model, args.query, top_k=args.top_k):
        print(f"{score:.3f}  {sentence}")
    return 0


def _cmd_train(args) -> int:
    import importlib

    module, function = TRAINERS[args.objective]
    train = getattr(importlib.import_module(f"minisent.{module}"), function)
    train(args.out, minutes=args.minutes, steps=args.steps, device=args.device, seed=args.seed)
    return 0


# objective -> (module, CLI entry function); each saves a SentenceEncoder that `eval --model DIR` reads
TRAINERS = {
    "mlm": ("train", "train_mlm_cli"),
    "triplet": ("siamese", "train_triplet_cli"),
    "simcse": ("simcse", "train_simcse_cli"),
    "simcse-sup": ("simcse", "train_simcse_sup_cli"),
}


def _cmd_download(args) -> int:
    from .data import download

    path = download(args.name, force=args.force)
    print(path)
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m minisent", description="minisent: sentence embeddings from scratch")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("data", help="print the corpus statistics")
    s.set_defaults(func=_cmd_data)

    s = sub.add_parser("eval", help="Spearman x 100 of a model on an STS-style file")
    s.add_argument("--model", required=True, help="built-in name (e.g. tfidf) or a saved encoder directory")
    s.add_argument("--sts", default="mini",
                   help="an STS-B tsv or SICK file, or 'mini' (the hand-written set, default) or 'lee'")
    s.add_argument("--format", choices=["stsb", "sick"], help="file format (guessed from the file when not given)")
    s.add_argument("--split", help="TRAIN | TRIAL | TEST (SICK's SemEval_set column)")
    s.set_defaults(func=_cmd_eval)

    s = sub.add_parser("demo", help="the course in one command: every model on every benchmark, one leaderboard")
    s.add_argument("--models", help="comma-separated model names (default: every built-in model)")
    s.set_defaults(func=_cmd_demo)

    s = sub.add_parser("search", help="the offline Wikipedia sentences closest to a query")
    s.add_argument("query")
    s.add_argument("--model", default="tfidf", help="built-in name or a saved encoder directory (default tfidf)")
    s.add_argument("--top-k", type=int, default=5)
    s.set_defaults(func=_cmd_search)

    s = sub.add_parser("train", help="train an encoder and save it to --out")
    s.add_argument("objective", choices=list(TRAINERS))
    s.add_argument("--out", required=True, help="directory to save the encoder in")
    s.add_argument("--minutes", type=float, help="wall-clock budget (default: the course's step budget)")
    s.add_argument("--steps", type=int, help="number of optimisation steps")
    s.add_argument("--device", help="cuda | mps | cpu (default: best available, or $MINISENT_DEVICE)")
    s.add_argument("--seed", type=int, default=0)
    s.set_defaults(func=_cmd_train)

    s = sub.add_parser("download", help="fetch an optional public data set into data/cache/ (needs internet)")
    s.add_argument("name")
    s.add_argument("--force", action="store_true")
    s.set_defaults(func=_cmd_download)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (FileNotFoundError, ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
