"""Shared test fixtures, and the background warm-up of a full run."""
import os
import subprocess
import sys

import numpy as np
import pytest

from minisent.device import available_devices, seed_everything

DEVICES = available_devices()  # e.g. ["cuda", "cpu"]; tests that touch tensors run on each


# ------------------------------------------------------------------ the warm-up beside a full run
# The lessons train about ten CPU-minutes of models on first use (word vectors, MLM, SimCSE, DAN, GPT, the
# students), one thread each. When a run holds the unit tests and two or more notebooks, a second process
# (`python -m minisent warm`) trains them in lesson order on the second core while the unit tests and the first
# lessons run; a lesson that gets to a model first trains it itself, and whichever comes second waits on the
# cache's lock and reads the copy (`minisent.data.cache_lock`). The models are the same either way (seeded,
# one thread). While it runs, everything encodes on one thread (MINISENT_ENCODE_THREADS=1, inherited by the
# lessons' kernels; see minisent.threads): two 2-thread jobs on two cores slowed lessons 04 and 06 by 3-4x.
# MINISENT_WARM=0 switches the warm-up off.
_ENV = "MINISENT_ENCODE_THREADS"


class _WarmUp:
    """The background `python -m minisent warm` of a full run (registered as a plugin, so that its hooks see
    the notebooks' cells too, not only the items under tests/)."""

    def __init__(self):
        from minisent import threads

        self.before = os.environ.get(_ENV), threads.ENCODE_THREADS
        _set_encode_threads("1", 1)
        self.process = subprocess.Popen([sys.executable, "-m", "minisent", "warm", "--quiet"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def pytest_runtest_setup(self, item):
        if self.process is not None and self.process.poll() is not None:  # done: both cores are free again
            self.process = None
            _set_encode_threads(*self.before)

    def pytest_sessionfinish(self, session):
        if self.process is not None and self.process.poll() is None:  # a short run: unfinished work is never kept
            self.process.terminate()
            self.process.wait()


def pytest_collection_finish(session):
    notebooks = {str(item.fspath) for item in session.items if str(item.fspath).endswith(".ipynb")}
    plugins = session.config.pluginmanager
    if len(notebooks) >= 2 and os.environ.get("MINISENT_WARM", "1") != "0" and not plugins.has_plugin("minisent-warm"):
        plugins.register(_WarmUp(), "minisent-warm")


def _set_encode_threads(env_value, threads_now):
    """MINISENT_ENCODE_THREADS for the kernels and subprocesses this process starts (None: unset), and the
    thread count of this process's own encoding."""
    from minisent import threads

    if env_value is None:
        os.environ.pop(_ENV, None)
    else:
        os.environ[_ENV] = env_value
    threads.ENCODE_THREADS = threads_now


@pytest.fixture(params=DEVICES)
def device(request):
    """Every device this machine has (cuda / mps when present, always cpu)."""
    return request.param


@pytest.fixture(autouse=True)
def _seeded():
    seed_everything(0)
    yield


# ------------------------------------------------------------------ small models, shared by the test files
# Import them with `from conftest import ...` (pytest puts tests/ on the path for its conftest.py).

def tiny_config(tok, **overrides):
    """A TransformerConfig small enough for unit tests: d=32, 2 heads, 1 layer, d_ff=64, max_len=32."""
    from minisent.nn.transformer import TransformerConfig

    sizes = dict(max_len=32, d_model=32, n_heads=2, n_layers=1, d_ff=64, dropout=0.0)
    return TransformerConfig(vocab_size=tok.vocab_size, **{**sizes, **overrides})


def tiny_encoder(tok, seed=0, pooling="mean", projection_dim=None, **config):
    """An untrained, seeded SentenceEncoder on `tok` with `tiny_config(tok, **config)`."""
    from minisent.nn.encoder import SentenceEncoder

    return SentenceEncoder.create(tok, tiny_config(tok, **config), pooling=pooling,
                                  projection_dim=projection_dim, seed=seed)


def bpe_tokenizer(sentences, vocab_size=120):
    """A BPE tokenizer trained on `sentences`."""
    from minisent.text.tokenize import BPETokenizer

    return BPETokenizer.train(list(sentences), vocab_size=vocab_size)


class BagOfLetters:
    """A toy encoder: counts of a..z. Records every batch it is asked to encode."""

    def __init__(self):
        self.calls: list[list[str]] = []

    def encode(self, sentences):
        self.calls.append(list(sentences))
        out = np.zeros((len(sentences), 26), dtype=np.float32)
        for i, s in enumerate(sentences):
            for ch in s.lower():
                if "a" <= ch <= "z":
                    out[i, ord(ch) - ord("a")] += 1
        return out
