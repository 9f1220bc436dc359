"""Progress bars: drawn where someone watches, silent in logs and pipes."""
import os
import subprocess
import sys

SCRIPT = "from minisent.progress import tqdm\nfor _ in tqdm(range(3), desc='work'): pass\n"


def _stderr(env_value):
    env = {k: v for k, v in os.environ.items() if k != "MINISENT_PROGRESS"}
    if env_value is not None:
        env["MINISENT_PROGRESS"] = env_value
    # stderr is a pipe here, as in a log file or CI
    return subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env).stderr


def test_quiet_when_not_a_terminal():
    assert "work" not in _stderr(None)


def test_forced_on_and_off():
    assert "work: 100%" in _stderr("1")
    assert _stderr("0") == ""
