"""The command line: `python -m minisent --help`.

    python -m minisent data                         corpus statistics
    python -m minisent eval --model tfidf --sts FILE
    python -m minisent demo                         every model on every benchmark: the leaderboard
    python -m minisent search "a query" --model M   nearest Wikipedia sentences
    python -m minisent train mlm|triplet|simcse|simcse-sup --out DIR [--steps N --lr LR ...: the recipe's fields]
    python -m minisent download stsb                optional public sets (needs internet)
    python -m minisent models                       the built-in models, one line each
    python -m minisent warm                         train and cache every model the lessons use, now
"""
from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

from .training import recipes  # no torch: the train flags are built from it

# Each command imports what it needs inside its own function: `--help`, `data` or `models` must not wait for torch.


def _cmd_data(args) -> int:
    from . import data
    from .evaluation.leaderboard import format_table

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
    from .evaluation.tasks import sts_spearman
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
    from .evaluation.leaderboard import LEADERBOARD_COLUMNS, evaluate_all, format_table, ties_within_noise
    from .models import baseline_names, load_model

    t0 = time.perf_counter()
    print("minisent demo: every available model on every course benchmark (all numbers x 100, each with its "
          "bootstrap 95 % interval)")
    print(f"offline corpus: {len(data.corpus_sentences())} sentences; scored on the TEST split of every set "
          f"(data/README.md).\nmini STS and Lee: Spearman; Sections: accuracy on {len(data.section_yardstick())} "
          f"Wikipedia section triplets; QA: MRR@10 on {len(data.qa_pairs(split='test'))} questions;\n"
          f"topics: adjusted mutual information of k-means clusters; sentiment: 5-fold logistic-regression accuracy; paraphrase: F1 "
          f"(threshold tuned on the dev pairs)\n", flush=True)
    rows = []
    names = args.models.split(",") if args.models else baseline_names()
    for name in names:
        t = time.perf_counter()
        row = evaluate_all(name, load_model(name))
        rows.append(row)
        scores = "  ".join(f"{k} {row[k].value:.1f}" for k in LEADERBOARD_COLUMNS[1:])
        print(f"  {name:<14} {scores}   ({time.perf_counter() - t:.0f} s)", flush=True)
    print("\nLeaderboard (models in the order they were built; not ranked: see the ties below)\n" + format_table(rows))
    print("\n" + "\n".join(ties_within_noise(rows)))
    print(f"\ntotal {time.perf_counter() - t0:.0f} s")
    return 0


def _cmd_search(args) -> int:
    from .evaluation.index import search_wiki
    from .models import load_model

    for score, sentence in search_wiki(load_model(args.model), args.query, args.model, top_k=args.top_k):
        print(f"{score:.3f}  {sentence}")
    return 0


def _cmd_train(args) -> int:
    from .models import _call
    from .nn.encoder import check_save_target

    check_save_target(args.out)  # even with --overwrite, only a saved model (or an empty folder) is replaced
    from .training.distributed import launched_by_torchrun, process_group

    module, function = TRAINERS[args.trainer]
    scaling = {k: v for k, v in [("grad_cache_chunk", args.grad_cache_chunk), ("precision", args.precision),
                                 ("compile", args.compile or None)] if v is not None}
    if launched_by_torchrun() and args.trainer not in SCALABLE:
        raise ValueError(f"torchrun works with {' and '.join(SCALABLE)}, not {args.trainer}")
    with process_group(args.device) as device:  # under torchrun: join the other processes (minisent.training.distributed)
        _call(module, function, args.out, train_config(args), minutes=args.minutes, device=device, **scaling)
    return 0


def train_config(args) -> recipes.Recipe:
    """The recipe `train <objective>` runs: its default with the flags given. With --minutes and no --steps,
    the clock ends the run (steps: 1,000,000)."""
    default = recipes.default_recipe(args.trainer)
    given = recipes.given_fields(default, args)
    if args.minutes is not None and "steps" not in given:
        given["steps"] = 1_000_000
    return default.override(**given)


# objective -> (module, CLI entry function); each saves a SentenceEncoder that `eval --model DIR` reads.
# Each objective's flags are its recipe's fields (training/recipes.py): `train simcse --help` lists them.
TRAINERS = {
    "mlm": ("training.mlm", "train_mlm_cli"),
    "triplet": ("training.siamese", "train_triplet_cli"),
    "simcse": ("training.simcse_cli", "train_simcse_cli"),
    "simcse-sup": ("training.simcse_cli", "train_simcse_sup_cli"),
}
SCALABLE = ("simcse", "simcse-sup")  # objectives with gradient caching, gathered negatives under torchrun, AMP flags


def _cmd_download(args) -> int:
    from .data import download

    print(download(args.name, force=args.force))
    return 0


def _cmd_models(args) -> int:
    from .models import describe_models

    print(describe_models())
    return 0


def _cmd_warm(args) -> int:
    from . import data
    from .models import warm_cache

    start = time.time()
    warm_cache(report=(lambda line: None) if args.quiet else (lambda line: print(line, flush=True)))
    if not args.quiet:
        print(f"every model the lessons use is cached under {data.CACHE_DIR} ({time.time() - start:.0f} s)")
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

    s = sub.add_parser("train", help="train an encoder and save it to --out (`train simcse --help`: its flags)")
    # dest "trainer", not "objective": every recipe field is a flag, and "objective" is one of TripletConfig's
    objectives = s.add_subparsers(dest="trainer", required=True, metavar="{" + ",".join(TRAINERS) + "}")
    for objective in TRAINERS:
        o = objectives.add_parser(objective, help=f"train {objective} (flags: its recipe's fields)",
                                  description=f"Train {objective} and save the encoder to --out. Every recipe field "
                                              f"is a flag; a flag not given keeps the recipe's default.")
        o.add_argument("--out", required=True, help="directory to save the encoder in")
        o.add_argument("--overwrite", action="store_true",
                       help="replace a model already saved in --out (without it, an existing --out is refused)")
        o.add_argument("--minutes", type=float, help="wall-clock budget (default: the recipe's step count)")
        o.add_argument("--device", help="cuda | mps | cpu (default: best available, or $MINISENT_DEVICE)")
        recipes.add_flags(o.add_argument_group(f"the {objective} recipe"), recipes.default_recipe(objective))
        if objective in SCALABLE:
            g = o.add_argument_group("scaling (also under torchrun --nproc_per_node=N)")
            g.add_argument("--grad-cache-chunk", type=int, metavar="C",
                           help="gradient caching, embedding C texts at a time (same gradient, less memory)")
            g.add_argument("--precision", choices=["auto", "fp32", "bf16", "fp16"],
                           help="autocast dtype (default auto: bf16/fp16 on cuda, fp32 elsewhere)")
            g.add_argument("--compile", action="store_true", help="torch.compile the model (for GPUs)")
        o.set_defaults(func=_cmd_train, grad_cache_chunk=None, precision=None, compile=False)

    s = sub.add_parser("download", help="fetch an optional public data set into data/cache/ (needs internet)")
    s.add_argument("name")
    s.add_argument("--force", action="store_true")
    s.set_defaults(func=_cmd_download)

    s = sub.add_parser("models", help="list the built-in models with a one-line description each")
    s.set_defaults(func=_cmd_models)

    s = sub.add_parser("warm", help="train and cache every model the lessons use (about 10 CPU-minutes once; "
                                    "seconds when cached)")
    s.add_argument("--quiet", action="store_true", help="print nothing")
    s.set_defaults(func=_cmd_warm)
    return p


def check_args(args) -> None:
    """Every flag checked before any work starts: a bad number must not cost minutes of setup first."""
    def at_least(flag: str, value, low) -> None:
        if value is not None and not (value >= low and math.isfinite(value)):
            raise ValueError(f"{flag} must be a number >= {low}, got {value}")

    if args.command == "train":
        if args.minutes is not None and not (args.minutes > 0 and math.isfinite(args.minutes)):
            raise ValueError(f"--minutes must be a number > 0, got {args.minutes}")
        at_least("--grad-cache-chunk", args.grad_cache_chunk, 1)
        train_config(args).check(name=recipes.flag)
        out = Path(args.out)
        if out.exists() and not args.overwrite and (not out.is_dir() or any(out.iterdir())):
            raise FileExistsError(f"--out {out} already exists: pass --overwrite to replace it, "
                                  f"or choose another folder")
    if args.command == "search":
        at_least("--top-k", args.top_k, 1)
        if not args.query.strip():
            raise ValueError("empty query: give a non-empty sentence to search for")
    if args.command == "eval" and args.sts in ("mini", "lee"):
        for flag, value in (("--split", args.split), ("--format", args.format)):
            if value is not None:
                raise ValueError(f"{flag} applies to an STS-B or SICK file; --sts {args.sts} is one fixed set "
                                 f"without splits or formats")
    if args.command == "demo" and args.models is not None:
        from .models import baseline_names

        for name in args.models.split(","):
            if name not in baseline_names() and not Path(name).is_dir():
                raise ValueError(f"--models: unknown model {name!r}; use built-in names "
                                 f"({', '.join(baseline_names())}) or saved encoder folders, comma-separated")
    if getattr(args, "device", None) is not None or os.environ.get("MINISENT_DEVICE"):
        from .device import get_device

        get_device(getattr(args, "device", None))  # an unknown or absent device, said now, not after training


def main(argv: list[str] | None = None) -> int:
    """Run one command. A bad input (a flag, a file, a device) is one line `error: ...` and exit 2, never a
    traceback; anything else is a bug in minisent and keeps its traceback."""
    args = build_parser().parse_args(argv)
    try:
        check_args(args)
        return args.func(args)
    except (ValueError, OSError) as err:  # FileNotFoundError, ModelFileError, device.DeviceError are among them
        print("error: " + " ".join(str(err).split()), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
