"""benchmarks/run.py refuses bad input before any work, and --only rewrites only the tables it runs."""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import run  # noqa: E402

OLD = """# Benchmark results

Machine: old.

## bench_attention

| old attention table |

(1 s)

## bench_losses

| old losses table |

(2 s)

## Experiment log

kept by hand
"""


def test_unknown_module_is_one_line_error_and_nothing_is_written(tmp_path, capsys):
    out = tmp_path / "RESULTS.md"
    out.write_text(OLD)
    assert run.main(["--only", "losses", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --only: unknown benchmark losses;") and "bench_losses" in err
    assert out.read_text() == OLD


def test_absent_device_is_one_line_error(tmp_path, capsys, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert run.main(["--device", "cuda", "--only", "bench_losses", "--out", str(tmp_path / "R.md")]) == 2
    assert capsys.readouterr().err.startswith("error: ")
    assert not (tmp_path / "R.md").exists()


def test_only_keeps_the_other_tables_and_the_log(tmp_path, monkeypatch):
    out = tmp_path / "RESULTS.md"
    out.write_text(OLD)
    fake = type("M", (), {"run": staticmethod(lambda device, quick: [{"what": "new losses row"}])})
    monkeypatch.setattr(run.importlib, "import_module", lambda name: fake)
    assert run.main(["--only", "bench_losses", "--out", str(out)]) == 0
    text = out.read_text()
    assert "| old attention table |" in text                     # not run: kept as it was
    assert "new losses row" in text and "| old losses table |" not in text
    assert text.rstrip().endswith("## Experiment log\n\nkept by hand")
    assert text.index("## bench_attention") < text.index("## bench_losses") < text.index("## Experiment log")
