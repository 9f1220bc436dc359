"""The course's training recipes, side by side: one dataclass per objective, in one style.

    MLMConfig      masked-language-model pretraining (lesson 03)          DEFAULT_MLM_CONFIG
    TripletConfig  the triplet / Siamese network (lesson 06)              DEFAULT_TRIPLET_CONFIG
    SimCSEConfig   unsupervised and supervised SimCSE (lessons 07-08)     DEFAULT_CONFIG, DEFAULT_SUP_CONFIG
    DANConfig      a Deep Averaging Network and its SimCSE run (lesson 11) DEFAULT_DAN_CONFIG
    GPTConfig      next-token pre-training (lesson 11)                    DEFAULT_GPT_CONFIG, then GPT_SIMCSE_CONFIG
    StudentConfig  distilling simcse into a smaller student (lesson 12)   DEFAULT_STUDENT_CONFIG
    AdaptConfig    SimCSE on the Lee news, domain adaptation (lesson 12)  DEFAULT_ADAPT_CONFIG

A config is plain data. The same object
    - is overridden by keyword:   train_simcse(temperature=0.1), i.e. DEFAULT_CONFIG.override(temperature=0.1)
    - names the cache:            cache_dir("simcse_default", DEFAULT_CONFIG.to_dict())  (training/cache.py)
    - becomes the command line:   python -m minisent train simcse --temperature 0.1  (one flag per field, `add_flags`)
The comment beside a field is its `--help` text. No torch at import (the checks that need torch's modules import
them when they run): `python -m minisent --help` stays instant.
"""
from __future__ import annotations

import argparse
import inspect
import math
import os
import re
from dataclasses import asdict, dataclass, fields, replace


class Recipe:
    """What every recipe shares: to_dict, override (keyword changes, unknown names refused) and check."""
    choices: dict = {}                              # field -> its allowed values
    positive = ("steps", "batch_size", "lr")        # fields that must be > 0

    def to_dict(self) -> dict:
        return asdict(self)

    def override(self, **changes):
        """A copy with some fields changed; a name that is not a field is a TypeError listing the fields."""
        unknown = set(changes) - set(asdict(self))
        if unknown:
            raise TypeError(f"unknown {type(self).__name__} field(s) {sorted(unknown)}; known: {sorted(asdict(self))}")
        return replace(self, **changes)

    def check(self, name=lambda field: field):
        """Raise ValueError for a value no run can use; `name(field)` is how the message names it (the CLI: a flag)."""
        for field in self.positive:
            value = getattr(self, field)
            if not (value > 0 and math.isfinite(value)):
                raise ValueError(f"{name(field)} must be a number > 0, got {value}")
        for field, allowed in self.choices.items():
            self._one_of(field, allowed, name)
        if not 0 <= getattr(self, "warmup", 0) < 1:
            raise ValueError(f"{name('warmup')} is a fraction of the run, in [0, 1); got {self.warmup}")
        if not 0 <= getattr(self, "dropout", 0) < 1:
            raise ValueError(f"{name('dropout')} must be in [0, 1); got {self.dropout}")
        if not 0 <= self.seed < 2**32:
            raise ValueError(f"{name('seed')} must be in [0, 2**32); got {self.seed}")
        return self

    def _one_of(self, field: str, allowed, name) -> None:
        if getattr(self, field) not in allowed:
            raise ValueError(f"{name(field)} must be one of {', '.join(map(str, allowed))}; "
                             f"got {getattr(self, field)!r}")


# ------------------------------------------------------------------------------------ lesson 03
@dataclass
class MLMConfig(Recipe):
    """The course's MLM run: sized by steps to take about a minute on a 2-core laptop CPU. Dropout is off: 500
    steps of 64 sentences is 1.6 passes over the corpus, far from over-fitting (SimCSE turns it on later)."""
    d_model: int = 128            # width of the encoder
    n_heads: int = 4              # attention heads per layer
    n_layers: int = 2             # Transformer layers
    d_ff: int = 512               # hidden width of each layer's MLP
    dropout: float = 0.0          # dropout on embeddings, attention and residuals
    max_len: int = 256            # longest input, in tokens (training sentences are cut at 128)
    steps: int = 500              # optimizer steps (the budget: steps, not minutes, so runs reproduce)
    batch_size: int = 64          # sentences per step
    lr: float = 1e-3              # peak AdamW learning rate (linear warm-up, cosine decay)
    warmup: float = 0.2           # fraction of the run (long: benchmarks/RESULTS.md, "Experiment log")
    seed: int = 0                 # seeds the start, the batch order and every random draw
    positive = Recipe.positive + ("d_model", "n_heads", "n_layers", "d_ff", "max_len")

    def architecture(self) -> dict:
        """TransformerConfig's keyword arguments (all but vocab_size, which the tokenizer gives)."""
        return {k: getattr(self, k) for k in ("d_model", "n_heads", "n_layers", "d_ff", "dropout", "max_len")}


# ------------------------------------------------------------------------------------ lesson 06
SOURCES = ("sections", "nli", "both")


@dataclass
class TripletConfig(Recipe):
    """The triplet network's recipe, chosen on held-out section-triplet accuracy (benchmarks/RESULTS.md)."""
    steps: int = 150              # optimizer steps
    batch_size: int = 32          # triplets per step
    lr: float = 5e-4              # peak AdamW learning rate (linear warm-up, cosine decay)
    warmup: float = 0.1           # fraction of the run
    margin: float = 0.3           # the triplet loss wants d(a, n) >= d(a, p) + margin
    distance: str = "cosine"      # "cosine" or "euclidean"
    mining: str | None = None     # None (the given triplets) or "all", "hard", "semi-hard" inside each batch
    objective: str = "triplet"    # "triplet", or "contrastive" (Siamese pairs made from the triplets)
    source: str = "sections"      # training triplets: "sections" (Wikipedia), "nli" (hand-written) or "both"
    init: str = "mlm"             # start: "mlm" (the cached MLM encoder) or "random" (the same shape, untrained)
    dropout: float = 0.0          # dropout while training
    seed: int = 0                 # seeds the start, the batch order and every random draw
    choices = {"objective": ("triplet", "contrastive"), "source": SOURCES, "init": ("mlm", "random")}

    def check(self, name=lambda field: field):
        from ..losses import DISTANCES, MINING  # lazy: losses imports torch, which `--help` does not need

        self._one_of("distance", DISTANCES, name)
        self._one_of("mining", (None, *MINING), name)
        if not self.margin >= 0:
            raise ValueError(f"{name('margin')} must be >= 0, got {self.margin}")
        return super().check(name)


# --------------------------------------------------------------------------------- lessons 07-08
@dataclass
class SimCSEConfig(Recipe):
    """One SimCSE run. The defaults are the recipe that measured best on STS-B dev (lesson 07; what was tried:
    benchmarks/RESULTS.md, "SimCSE recipe on STS-B dev")."""
    steps: int = 150              # optimizer steps (the budget: steps, not minutes, so runs reproduce)
    batch_size: int = 128         # B: each sentence has B - 1 in-batch negatives
    temperature: float = 0.05     # tau of InfoNCE
    lr: float = 3e-4              # peak AdamW learning rate (linear warm-up, cosine decay)
    weight_decay: float = 0.01    # AdamW's, on weight matrices only
    warmup: float = 0.05          # fraction of the run
    dropout: float = 0.1          # SimCSE's noise: dropout on embeddings, attention and residuals
    min_keep: float | None = 0.3  # discrete noise: crop to a random span keeping >= this share (None: no crop)
    p_delete: float = 0.4         # ... then delete each word with this probability (0: none)
    max_length: int = 64          # tokens per training sentence (longer ones are cut)
    start: str = "random"         # "random", "word2vec", "mlm" (the cached MLM encoder) or "simcse" (supervised only)
    tokenizer: str = "bpe"        # "bpe" (subwords: no word is out of vocabulary) or "word"; random / word2vec starts
    d_model: int = 256            # width of a random / word2vec start (the MLM start keeps its own 128)
    pooling: str = "weighted_mean"  # "weighted_mean" (SIF weights of the training corpus), "mean", "cls" ...
    embedding_std: float | None = 1.0  # std of a random start's token embeddings (None: the backbone's 0.02)
    freeze_embeddings: bool = False  # keep the token embedding table fixed (e.g. the word2vec vectors)
    projection_dim: int | None = None  # train through an MLP head of this width (SimCLR); encode() skips it
    hard_negative_weight: float = 0.0  # supervised only: log-weight on each premise's own contradiction
    use_hard_negatives: bool = True    # supervised only: False = entailment pairs with in-batch negatives only
    seed: int = 0                 # seeds the start, the batch order and every random draw
    positive = Recipe.positive + ("temperature", "max_length", "d_model")
    choices = {"start": ("random", "word2vec", "mlm", "simcse"), "tokenizer": ("bpe", "word")}

    @property
    def noise(self) -> bool:
        """Whether views get discrete noise on top of dropout."""
        return self.min_keep is not None or self.p_delete > 0

    def check(self, name=lambda field: field):
        if self.batch_size < 2:
            raise ValueError(f"{name('batch_size')} must be >= 2 (a sentence needs another to be told apart from), "
                             f"got {self.batch_size}")
        if self.min_keep is not None and not 0 < self.min_keep <= 1:
            raise ValueError(f"{name('min_keep')} must be in (0, 1] (or none), got {self.min_keep}")
        if not 0 <= self.p_delete < 1:
            raise ValueError(f"{name('p_delete')} must be in [0, 1), got {self.p_delete}")
        from ..nn.pooling import POOLINGS  # lazy: it imports torch, which `--help` does not need

        self._one_of("pooling", POOLINGS, name)
        return super().check(name)


# ------------------------------------------------------------------------------------ lesson 11
@dataclass
class DANConfig(Recipe):
    """One DAN and its SimCSE training run. Defaults: the course recipe (benchmarks/RESULTS.md, "DAN and GPT-style")."""
    d_model: int = 256            # width of the token (and bigram) embeddings
    d_out: int = 256              # width of every feed-forward layer, so of the sentence vector
    n_layers: int = 2             # feed-forward layers after the average (0: the average itself)
    bigram_buckets: int = 20000   # hashed bigram table size (0: unigrams only)
    embedding_std: float = 1.0    # std of the random token embeddings at the start
    bigram_std: float = 0.0       # std of the random bigram embeddings at the start (0: they start at zero, learned)
    sif: bool = True              # SIF-weight the unigram average (weights from the training corpus)
    dropout: float = 0.1          # before every feed-forward layer (SimCSE's noise)
    max_length: int = 256         # tokens per text when encoding (longer ones are cut)
    steps: int = 150              # optimizer steps of unsupervised SimCSE (as SimCSEConfig)
    batch_size: int = 128         # B: each sentence has B - 1 in-batch negatives
    temperature: float = 0.05     # tau of InfoNCE
    lr: float = 1e-3              # peak AdamW learning rate
    min_keep: float | None = 0.3  # discrete noise: crop to a random span keeping >= this share (None: no crop)
    p_delete: float = 0.4         # ... then delete each word with this probability (0: none)
    train_length: int = 64        # tokens per training sentence (as SimCSEConfig.max_length)
    seed: int = 0                 # seeds the start, the batch order and every random draw
    positive = Recipe.positive + ("temperature", "d_model", "d_out", "train_length")


@dataclass
class GPTConfig(Recipe):
    """Next-token pre-training of the MLM encoder's architecture with a causal mask; sized by steps."""
    steps: int = 200              # optimizer steps
    batch_size: int = 32          # sentences per step
    lr: float = 1e-3              # peak AdamW learning rate (linear warm-up, cosine decay)
    warmup: float = 0.2           # fraction of the run
    seed: int = 0                 # seeds the start, the batch order and every random draw


# ------------------------------------------------------------------------------------ lesson 12
@dataclass
class StudentConfig(Recipe):
    """A smaller student distilled from simcse, sized for lesson 12's budget: the teacher encodes 5,000 corpus
    sentences once (a seeded sample), the student sees each about 2.5 times."""
    n_layers: int = 1             # the student's Transformer layers (the teacher has 2)
    d_model: int = 128            # the student's width (the teacher's 256 projected by PCA)
    n_heads: int = 4              # attention heads per layer
    n_sentences: int = 5000       # corpus sentences the teacher encodes once
    steps: int = 200              # optimizer steps of MSE on the teacher's vectors
    batch_size: int = 64          # sentences per step
    lr: float = 1e-3              # peak AdamW learning rate
    max_length: int = 64          # tokens per training sentence
    seed: int = 0                 # seeds the sample, the start and the batch order
    positive = Recipe.positive + ("n_layers", "d_model", "n_heads", "n_sentences", "max_length")


@dataclass
class AdaptConfig(Recipe):
    """More unsupervised SimCSE (the course's noise) for `steps` steps on the Lee news, from simcse."""
    steps: int = 60               # optimizer steps
    batch_size: int = 64          # sentences per step
    lr: float = 3e-4              # peak AdamW learning rate
    source_share: float = 0.0     # share of each batch drawn from the Wikipedia corpus ("replay": 0.5)
    seed: int = 0                 # seeds the batch order and every random draw

    def check(self, name=lambda field: field):
        if not 0 <= self.source_share < 1:
            raise ValueError(f"{name('source_share')} must be in [0, 1), got {self.source_share}")
        return super().check(name)


DEFAULT_MLM_CONFIG = MLMConfig()
DEFAULT_TRIPLET_CONFIG = TripletConfig()
# Sized by steps: 150 steps of 128 sentences take about 2 CPU-minutes on this 2-core machine (one thread).
DEFAULT_CONFIG = SimCSEConfig()
# Supervised, on top of the default unsupervised encoder: 25 steps (~3 passes over the 553 hand-written triplets),
# chosen on STS-B dev (benchmarks/RESULTS.md, "Supervised SimCSE on STS-B dev"). tau = 0.2 was chosen on mini-STS
# with an earlier recipe (lesson 08 re-checks it on the offline sets' dev halves).
DEFAULT_SUP_CONFIG = SimCSEConfig(steps=25, batch_size=64, lr=3e-4, temperature=0.2, min_keep=None, p_delete=0.0,
                                  start="simcse")
DEFAULT_DAN_CONFIG = DANConfig()
DEFAULT_GPT_CONFIG = GPTConfig()
# then unsupervised SimCSE, last-token pooling (chosen on STS-B dev: benchmarks/RESULTS.md, "DAN and GPT-style")
GPT_SIMCSE_CONFIG = replace(DEFAULT_CONFIG, steps=100, batch_size=64, lr=3e-4, temperature=0.05, min_keep=0.3,
                            p_delete=0.4)
DEFAULT_STUDENT_CONFIG = StudentConfig()
DEFAULT_ADAPT_CONFIG = AdaptConfig()
# For readers with a GPU (MINISENT_FULL=1): batch 512 for 2000 steps, about one pass over SimCSE's wiki1m file.
GPU_CONFIG = replace(DEFAULT_CONFIG, steps=2000, batch_size=512)


def resolve(config: Recipe | None, default: Recipe, options: dict, passthrough: tuple = ()) -> tuple[Recipe, dict]:
    """A train function's keywords -> (config (default when None) with the options that name its fields, checked;
    the options named in `passthrough`). Any other name is a TypeError that lists the fields."""
    if config is not None and not isinstance(config, type(default)):
        raise TypeError(f"config must be a {type(default).__name__}, got {type(config).__name__} "
                        f"(pass an encoder as encoder=...)")
    config = (default if config is None else config).override(
        **{k: v for k, v in options.items() if k not in passthrough})
    return config.check(), {k: v for k, v in options.items() if k in passthrough}


def default_recipe(objective: str) -> Recipe:
    """The recipe `python -m minisent train <objective>` starts from (simcse: GPU_CONFIG when MINISENT_FULL=1)."""
    if objective == "simcse" and os.environ.get("MINISENT_FULL") == "1":
        return GPU_CONFIG
    return {"mlm": DEFAULT_MLM_CONFIG, "triplet": DEFAULT_TRIPLET_CONFIG, "simcse": DEFAULT_CONFIG,
            "simcse-sup": DEFAULT_SUP_CONFIG}[objective]


# ------------------------------------------------------------------------------ the command line
def flag(field: str) -> str:
    return "--" + field.replace("_", "-")


def add_flags(parser: argparse.ArgumentParser, recipe: Recipe) -> None:
    """One flag per field of `recipe` (--batch-size for batch_size ...), its help the field's comment and default.
    A flag not given stays out of the parsed namespace, so `given_fields` finds only what the user set."""
    notes = field_notes(type(recipe))
    for f in fields(recipe):
        default = getattr(recipe, f.name)
        common = dict(dest=f.name, default=argparse.SUPPRESS, help=f"{notes.get(f.name, '')} (default: {default})")
        if f.type == "bool":
            parser.add_argument(flag(f.name), action=argparse.BooleanOptionalAction, **common)
        else:
            parser.add_argument(flag(f.name), type=_parser_for(f.type), metavar=f.type.split(" |")[0].upper(),
                                **common)


def given_fields(recipe: Recipe, args: argparse.Namespace) -> dict:
    """{field: value} for every flag of `recipe` given on the command line."""
    return {f.name: getattr(args, f.name) for f in fields(recipe) if hasattr(args, f.name)}


def _parser_for(annotation: str):
    """The argparse `type` for a field annotation such as "int", "float | None", "str | None"."""
    base = {"int": int, "float": float, "str": str}[annotation.split(" |")[0]]
    if "None" not in annotation:
        return base

    def parse(text: str):
        return None if text.lower() == "none" else base(text)
    parse.__name__ = base.__name__  # argparse names the type in "invalid int value: 'x'"
    return parse


def field_notes(cls) -> dict[str, str]:
    """{field: the comment beside it in the class's source}: the --help text, written once, where it is read."""
    try:
        source = inspect.getsource(cls)
    except (OSError, TypeError):  # no source (a frozen install): flags without notes
        return {}
    return dict(re.findall(r"^\s+(\w+): [^=\n]+= [^#\n]+#\s*(.+)$", source, flags=re.M))
