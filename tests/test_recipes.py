"""One config style: each objective's recipe is a dataclass that keyword options override, the cache key names and
the command line turns into flags (minisent/training/recipes.py)."""
from dataclasses import fields

import pytest

from minisent.__main__ import TRAINERS, build_parser, main, train_config
from minisent.training import recipes
from minisent.training.recipes import DEFAULT_CONFIG, DEFAULT_TRIPLET_CONFIG, SimCSEConfig

DEFAULTS = {objective: recipes.default_recipe(objective) for objective in TRAINERS}


@pytest.mark.parametrize("objective", list(TRAINERS))
def test_help_lists_every_field_with_its_note_and_default(objective, capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["train", objective, "--help"])
    text = "".join(capsys.readouterr().out.split())      # argparse wraps lines (even at a hyphen)
    notes = recipes.field_notes(type(DEFAULTS[objective]))
    for f in fields(DEFAULTS[objective]):
        assert notes[f.name] and recipes.flag(f.name) in text
        assert "".join(f"{notes[f.name]} (default: {getattr(DEFAULTS[objective], f.name)})".split()) in text


@pytest.mark.parametrize("objective", list(TRAINERS))
def test_the_flags_given_reach_the_recipe_and_nothing_else_moves(objective, tmp_path, monkeypatch):
    import importlib

    seen = []
    module, function = TRAINERS[objective]
    monkeypatch.setattr(importlib.import_module(f"minisent.{module}"), function,
                        lambda out, config, minutes=None, device=None, **scaling: seen.append((config, minutes)))
    args = ["train", objective, "--out", str(tmp_path / "m"), "--steps", "3", "--batch-size", "7", "--lr", "0.01",
            "--seed", "5"]
    assert main(args) == 0
    assert seen == [(DEFAULTS[objective].override(steps=3, batch_size=7, lr=0.01, seed=5), None)]
    assert main(["train", objective, "--out", str(tmp_path / "n"), "--minutes", "0.5"]) == 0
    assert seen[-1] == (DEFAULTS[objective].override(steps=1_000_000), 0.5)  # the clock ends a timed run


def test_simcse_flags_of_every_kind_parse():
    args = build_parser().parse_args(["train", "simcse", "--out", "x", "--temperature", "0.1", "--min-keep", "none",
                                      "--freeze-embeddings", "--no-use-hard-negatives", "--pooling", "mean",
                                      "--projection-dim", "32", "--embedding-std", "None"])
    assert train_config(args) == DEFAULT_CONFIG.override(temperature=0.1, min_keep=None, freeze_embeddings=True,
                                                          use_hard_negatives=False, pooling="mean", projection_dim=32,
                                                          embedding_std=None)


def test_no_recipe_field_is_shadowed_by_the_command_line_s_own_flags(tmp_path):
    args = build_parser().parse_args(["train", "triplet", "--out", "x", "--objective", "contrastive"])
    assert args.trainer == "triplet" and train_config(args) == DEFAULT_TRIPLET_CONFIG.override(objective="contrastive")
    for objective in TRAINERS:  # the train parser's own destinations, with every flag given
        own = vars(build_parser().parse_args(["train", objective, "--out", "x"]))
        assert not set(own) & {f.name for f in fields(DEFAULTS[objective])}, objective


def test_resolve_overrides_checks_and_passes_the_rest_through():
    cfg, rest = recipes.resolve(None, DEFAULT_CONFIG, {"temperature": 0.2, "eval_every": 5}, ("eval_every",))
    assert cfg == DEFAULT_CONFIG.override(temperature=0.2) and rest == {"eval_every": 5}
    with pytest.raises(TypeError, match="temprature.*known: .*temperature"):
        recipes.resolve(None, DEFAULT_CONFIG, {"temprature": 0.2})
    with pytest.raises(TypeError, match="config must be a TripletConfig.*encoder="):
        recipes.resolve(object(), DEFAULT_TRIPLET_CONFIG, {})
    with pytest.raises(ValueError, match="temperature must be a number > 0"):
        recipes.resolve(SimCSEConfig(temperature=-1.0), DEFAULT_CONFIG, {})
    with pytest.raises(ValueError, match="margin must be >= 0"):
        recipes.resolve(None, DEFAULT_TRIPLET_CONFIG, {"margin": -0.1})


def test_every_default_recipe_passes_its_own_check():
    for recipe in (*DEFAULTS.values(), recipes.DEFAULT_SUP_CONFIG, recipes.GPU_CONFIG):
        assert recipe.check() is recipe


def test_the_cache_keys_follow_the_recipe(monkeypatch):
    from minisent.training import mlm

    before = mlm.mlm_cache_dir()
    monkeypatch.setattr(mlm, "DEFAULT_MLM_CONFIG", mlm.DEFAULT_MLM_CONFIG.override(lr=2e-3))
    assert mlm.mlm_cache_dir() != before and mlm.mlm_cache_dir().name.startswith("mlm_default_")
