"""The command line, run as a user runs it (a subprocess), plus in-process checks of its parts."""
import subprocess
import sys
from pathlib import Path

import pytest

from minisent.__main__ import main
from minisent.evaluate import LEADERBOARD_COLUMNS

FIXTURES = Path(__file__).parent / "fixtures"


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "minisent", *args], capture_output=True, text=True, timeout=300)


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
    from minisent import evaluate
    from minisent.tfidf import TfidfEncoder

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
    from minisent import data, search

    corpus = search.wiki_corpus()[:800]
    monkeypatch.setattr(search, "wiki_corpus", lambda: corpus)
    monkeypatch.setattr(data, "CACHE_DIR", tmp_path)
    assert main(["search", corpus[42], "--model", "tfidf", "--top-k", "2"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and out[0] == f"1.000  {corpus[42]}"
    assert float(out[1].split()[0]) <= 1.0
