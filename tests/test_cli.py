"""The command line, run as a user runs it (a subprocess), plus in-process checks of its parts."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from minisent.__main__ import main
from minisent.evaluation.leaderboard import LEADERBOARD_COLUMNS

FIXTURES = Path(__file__).parent / "fixtures"


def run_cli(*args, **env):
    """`python -m minisent ARGS` in a subprocess; keyword arguments are set in its environment."""
    return subprocess.run([sys.executable, "-m", "minisent", *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **env})


def test_help_lists_every_command():
    out = run_cli("--help").stdout
    for command in ("data", "eval", "demo", "train", "download"):
        assert command in out


def test_data_prints_corpus_statistics():
    result = run_cli("data")
    assert result.returncode == 0, result.stderr
    for source in ("wikipedia", "lee-background", "wordsim353", "simlex999", "mini_sts.tsv"):
        assert source in result.stdout


def test_eval_last_two_lines_are_spearman_and_n(tmp_path):
    # a tiny STS-B file where TF-IDF must order the pairs perfectly
    rows = [("main-news", "a", "2024", "1", "5.0", "the river flooded the town", "the river flooded the town"),
            ("main-news", "a", "2024", "2", "2.5", "the river flooded the old town", "the river was calm"),
            ("main-news", "a", "2024", "3", "0.0", "markets fell sharply", "the river flooded the town")]
    sts = tmp_path / "tiny-sts.csv"
    sts.write_text("\n".join("\t".join(r) for r in rows) + "\n", encoding="utf-8")
    result = run_cli("eval", "--model", "tfidf", "--sts", str(sts), "--format", "stsb")
    assert result.returncode == 0, result.stderr
    last_two = result.stdout.strip().splitlines()[-2:]
    assert last_two == ["spearman: 100.00", "n: 3"]


def test_eval_on_the_lee_ratings_matches_the_library():
    from minisent.evaluation import evaluate
    from minisent.wordvec.tfidf import TfidfEncoder

    expected = evaluate.lee_correlation(TfidfEncoder())
    result = run_cli("eval", "--model", "tfidf", "--sts", "lee")
    assert result.stdout.strip().splitlines()[-2:] == [f"spearman: {expected:.2f}", "n: 1225"]


def test_unknown_model_is_a_clear_error(capsys):
    assert main(["eval", "--model", "no-such-model", "--sts", "mini"]) == 2
    err = capsys.readouterr().err
    assert "unknown model 'no-such-model'" in err and "tfidf" in err


def test_missing_sts_file_names_the_path(capsys, tmp_path):
    missing = tmp_path / "nope.tsv"
    assert main(["eval", "--model", "tfidf", "--sts", str(missing), "--format", "stsb"]) == 2
    assert str(missing) in capsys.readouterr().err


def test_demo_prints_a_leaderboard_with_tfidf():
    result = run_cli("demo", "--models", "tfidf")
    assert result.returncode == 0, result.stderr
    assert "Leaderboard" in result.stdout
    lines = result.stdout.splitlines()
    title = next(i for i, line in enumerate(lines) if line.startswith("Leaderboard (models in the order"))
    header = [c.strip() for c in lines[title + 1].strip("|").split("|")]
    assert tuple(header) == LEADERBOARD_COLUMNS          # similarity, sections, retrieval, clustering, probe, paraphrase
    table = [line for line in lines if line.startswith("| tfidf")]
    assert len(table) == 1
    cells = [c.strip() for c in table[0].strip("|").split("|")]
    assert len(cells) == len(LEADERBOARD_COLUMNS)
    for cell in cells[1:]:                               # "33.6 [18.3, 46.3]": a score inside its interval
        value, low, high = map(float, cell.replace("[", "").replace("]", "").replace(",", "").split())
        assert -100 <= low <= value <= high <= 100, cell
    assert "Sections: best tfidf" in result.stdout       # one model: the ties list names no other


def test_search_prints_the_nearest_sentences(monkeypatch, tmp_path, capsys):
    from minisent import data
    from minisent.evaluation import index

    corpus = index.wiki_corpus()[:800]
    monkeypatch.setattr(index, "wiki_corpus", lambda: corpus)
    monkeypatch.setattr(data, "CACHE_DIR", tmp_path)
    assert main(["search", corpus[42], "--model", "tfidf", "--top-k", "2"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and out[0] == f"1.000  {corpus[42]}"
    assert float(out[1].split()[0]) <= 1.0


# ------------------------------------------------- bad input: exit 2, one line `error: ...`, no traceback
def assert_one_line_error(result, *words):
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for word in words:
        assert word in lines[0], lines[0]


@pytest.mark.parametrize("args, words", [
    (["train", "mlm", "--minutes", "0"], ["--minutes", "> 0"]),
    (["train", "mlm", "--minutes", "-1"], ["--minutes", "-1"]),
    (["train", "simcse", "--minutes", "nan"], ["--minutes", "nan"]),
    (["train", "triplet", "--steps", "-1"], ["--steps", "> 0"]),
    (["train", "simcse", "--temperature", "0"], ["--temperature", "> 0"]),
    (["train", "simcse", "--lr", "nan"], ["--lr", "nan"]),
    (["train", "simcse-sup", "--batch-size", "1"], ["--batch-size", ">= 2"]),
    (["train", "simcse", "--pooling", "median"], ["--pooling", "'median'", "weighted_mean"]),
    (["train", "triplet", "--mining", "hardest"], ["--mining", "semi-hard"]),
    (["train", "mlm", "--warmup", "1.5"], ["--warmup", "[0, 1)"]),
    (["train", "mlm", "--seed", "-3"], ["--seed"]),
    (["train", "mlm", "--device", "banana"], ["'banana'", "devices here: ", "cpu"]),
])
def test_bad_train_flags_are_refused_before_any_work(args, words, tmp_path):
    out = tmp_path / "model"
    result = run_cli(*args, "--out", str(out), MINISENT_CACHE_DIR=str(tmp_path / "cache"))
    assert_one_line_error(result, *words)
    assert result.stdout == "" and not out.exists() and not (tmp_path / "cache").exists()  # no work was started


@pytest.mark.parametrize("args, words", [
    (["search", "the moon", "--top-k", "0"], ["--top-k"]),
    (["eval", "--model", "tfidf", "--sts", "mini", "--split", "test"], ["--split", "mini"]),
    (["eval", "--model", "tfidf", "--sts", "lee", "--format", "sick"], ["--format", "lee"]),
    (["demo", "--models", "tfidf,no-such-model"], ["no-such-model"]),
])
def test_bad_flags_of_other_commands_are_refused_before_any_work(args, words, tmp_path):
    result = run_cli(*args, MINISENT_CACHE_DIR=str(tmp_path / "cache"))
    assert_one_line_error(result, *words)
    assert result.stdout == "" and not (tmp_path / "cache").exists()


def test_a_device_that_is_not_here_is_one_line_error(monkeypatch):
    monkeypatch.setenv("MINISENT_DEVICE", "banana")
    assert_one_line_error(run_cli("eval", "--model", "tfidf"), "MINISENT_DEVICE='banana'", "devices here: ")
    if not torch.cuda.is_available():
        monkeypatch.setenv("MINISENT_DEVICE", "cuda")
        assert_one_line_error(run_cli("search", "the moon"), "no CUDA GPU", "devices here: ")


def test_a_damaged_model_folder_is_one_line_error(tmp_path):
    from minisent.nn.encoder import SentenceEncoder
    from minisent.text.tokenize import WordTokenizer
    from minisent.nn.transformer import TransformerConfig

    tok = WordTokenizer.train(["a small model for a test"], min_count=1)
    folder = tmp_path / "model"
    SentenceEncoder.create(tok, TransformerConfig(vocab_size=tok.vocab_size, d_model=8, n_heads=2, n_layers=1)).save(
        folder)
    (folder / "weights.pt").write_bytes(b"")
    assert_one_line_error(run_cli("eval", "--model", str(folder)), str(folder / "weights.pt"), "empty")
    (folder / "config.json").write_text('{"format": "minisent.SentenceEncoder", "version": 1}')
    assert_one_line_error(run_cli("search", "a", "--model", str(folder)), str(folder / "config.json"), "backbone")


def test_train_out_an_existing_model_needs_overwrite(tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    result = run_cli("train", "mlm", "--out", str(folder), "--steps", "1")
    assert_one_line_error(result, str(folder), "--overwrite")
    assert (folder / "config.json").read_text() == "{}"


def test_a_latin1_sts_file_is_one_line_error_naming_the_line(tmp_path):
    sts = tmp_path / "sts.csv"
    sts.write_bytes("main-news\tf\t2024\t1\t4.0\tA caf\u00e9 opened.\tA cafe opened.\n".encode("latin-1"))
    assert_one_line_error(run_cli("eval", "--model", "tfidf", "--sts", str(sts)), f"{sts}, line 1", "UTF-8")


def test_warm_trains_what_the_lessons_use_in_order(monkeypatch, capsys):
    import importlib

    from minisent import models

    for entry in models.WARM_ORDER:       # every entry names a built-in model or a function that exists
        if isinstance(entry, str):
            assert entry in models.MODELS
        else:
            assert callable(getattr(importlib.import_module(f"minisent.{entry[1]}"), entry[2]))
    built = []
    monkeypatch.setattr(models, "load_model", built.append)
    monkeypatch.setattr(models.importlib, "import_module",
                        lambda name: type("M", (), {"train_vectors": lambda **k: built.append(k["name"]),
                                                    "pretrained_news": lambda **k: built.append(k["source_share"])}))
    assert main(["warm"]) == 0
    assert built == ["cbow", "sif-word2vec", "sif-fasttext", "mlm", "simcse", "simcse-sup", "dan", "gpt-lm", "gpt",
                     "simcse-small", "simcse-static", "simcse-news", 0.5]
    out = capsys.readouterr().out
    assert out.startswith("word vectors: cbow (lesson 01) ...") and "every model the lessons use is cached" in out
    built.clear()
    assert main(["warm", "--quiet"]) == 0 and capsys.readouterr().out == "" and len(built) == 13
