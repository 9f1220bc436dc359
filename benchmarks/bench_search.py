"""Semantic search at corpus scale: time and peak memory of encoding 25k sentences and searching them.

    python -m benchmarks.bench_search                  # markdown table, device cpu
    python -m benchmarks.bench_search --quick --device cuda

Rows:
  encode              SearchIndex(model, 25k sentences): every corpus sentence encoded once (progress bar)
  search (chunked)    100 questions (data.qa_pairs) -> top 10, minisent.evaluation.search.semantic_search
  search (full matrix) the same with the whole (100, n) cosine matrix at once (numpy, float64), as a
                      reference for time; the chunked result must equal it
  search synthetic    100 random queries in n random unit vectors (n = 200k, quick 50k; d = 256):
                      time grows with n, extra memory stays one chunk

The corpus is data.corpus_sentences()[:25000], repeated when there are fewer. Encoders (--encoder):
  transformer  the course's SimCSE architecture (tiny Transformer, d = 128, mean pooling) with random
               weights: trained weights cost the same time and memory (the default, "auto", full run)
  word2vec     the avg-word2vec baseline (trained on first use, cached)
  random       a stand-in without training: a random projection of the bag of words to d = 256 (each
               word gets a fixed random Gaussian vector seeded by its CRC32; a sentence is their mean);
               what --quick uses, so the quick run needs no cache.

Memory: peak resident set size (RSS) of this process during each step. On Linux the high-water mark
is reset before each step (/proc/self/clear_refs), so each row is that step's own peak; elsewhere
it is the process peak so far (resource.getrusage). "under 1 GB" says whether that peak stayed
below 1 GiB. On cuda, "gpu_peak_mb" is torch.cuda.max_memory_allocated during the step.
"""
from __future__ import annotations

import argparse
import resource
import sys
import time
import zlib
from pathlib import Path

import numpy as np
import torch

from minisent import data
from minisent.device import get_device
from minisent.evaluation.search import SearchIndex, brute_force_search, semantic_search

N_SENTENCES = 25_000
N_QUERIES = 100
DIM = 256
GiB = 1024 ** 3


# ------------------------------------------------------------------------------ encoders
class RandomProjectionEncoder:
    """Bag of words times a fixed random (vocabulary, d) matrix, averaged: encode(list[str]) -> (n, d)."""

    def __init__(self, dim: int = DIM):
        self.dim, self.vectors = dim, {}

    def _vector(self, word: str) -> np.ndarray:
        if word not in self.vectors:
            rng = np.random.default_rng(zlib.crc32(word.encode()))
            self.vectors[word] = rng.standard_normal(self.dim).astype(np.float32)
        return self.vectors[word]

    def encode(self, sentences: list[str]) -> np.ndarray:
        out = np.zeros((len(sentences), self.dim), dtype=np.float32)
        for i, s in enumerate(sentences):
            words = data.tokenize_words(s)
            if words:
                out[i] = np.mean([self._vector(w) for w in words], axis=0)
        return out


def pick_encoder(kind: str, device: torch.device):
    """("name", model) for --encoder transformer | word2vec | random ("auto" = transformer)."""
    if kind in ("auto", "transformer"):
        from minisent.training.simcse import start_encoder

        return "tiny Transformer (d=128)", start_encoder("random", device=device, progress=False)
    if kind == "word2vec":
        from minisent.wordvec import build_baseline

        return "avg-word2vec", build_baseline("avg-word2vec")
    return f"random-projection-{DIM}", RandomProjectionEncoder()


# -------------------------------------------------------------------------------- memory
def _reset_peak() -> bool:
    """Reset the kernel's RSS high-water mark (Linux); False where that is not possible."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _peak_rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kB on Linux, bytes on macOS
    return peak / (1024 * 1024 if sys.platform == "darwin" else 1024)


def measure(step: str, fn, device: torch.device) -> tuple[object, dict]:
    """Run fn() once; -> (its result, {"step", "seconds", "peak_rss_mb", "under 1 GB", "gpu_peak_mb"?})."""
    _reset_peak()
    if device.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    result = fn()
    if device.type == "cuda":
        torch.cuda.synchronize()
    row = {"step": step, "seconds": time.perf_counter() - t0, "peak_rss_mb": _peak_rss_mb()}
    row["under 1 GB"] = "yes" if row["peak_rss_mb"] * 1024 ** 2 < GiB else "NO"
    if device.type == "cuda":
        row["gpu_peak_mb"] = torch.cuda.max_memory_allocated() / 1024 ** 2
    return result, row


# ----------------------------------------------------------------------------------- run
def corpus(n: int) -> list[str]:
    sentences = data.corpus_sentences()[:n]
    return (sentences * (n // len(sentences) + 1))[:n]


def run(device: str = "cpu", quick: bool = False, encoder: str = "auto") -> list[dict]:
    dev = get_device(device)
    n = 5_000 if quick else N_SENTENCES
    n_synthetic = 50_000 if quick else 200_000
    name, model = pick_encoder("random" if quick and encoder == "auto" else encoder, dev)
    sentences = corpus(n)
    queries = [q.question for q in data.qa_pairs()][:N_QUERIES]
    rows = []

    index, row = measure(f"encode {n} sentences", lambda: SearchIndex(model, sentences, batch_size=1000,
                                                                     device=dev), dev)
    rows.append({**row, "encoder": name, "n": n, "d": index.embeddings.shape[1]})
    query_emb = np.asarray(model.encode(queries), dtype=np.float32)

    (scores, found), row = measure("search (chunked)", lambda: semantic_search(query_emb, index.embeddings, 10,
                                                                               device=dev), dev)
    rows.append({**row, "encoder": name, "n": n, "d": query_emb.shape[1]})
    (ref_scores, ref_found), row = measure("search (full matrix)",
                                           lambda: brute_force_search(query_emb, index.embeddings, 10), dev)
    rows.append({**row, "encoder": name, "n": n, "d": query_emb.shape[1]})
    if np.array_equal(found, ref_found):
        same = "yes"
    else:  # float32 vs float64 may swap two rows whose scores differ by ~1e-7
        same = "same scores" if np.allclose(scores, ref_scores, atol=1e-5) else "NO"
    rows[-2]["equals full"] = rows[-1]["equals full"] = same

    rng = np.random.default_rng(0)
    synthetic = rng.standard_normal((n_synthetic, DIM), dtype=np.float32)
    synthetic_q = rng.standard_normal((N_QUERIES, DIM), dtype=np.float32)
    _, row = measure("search synthetic", lambda: semantic_search(synthetic_q, synthetic, 10, device=dev), dev)
    rows.append({**row, "encoder": "random unit vectors", "n": n_synthetic, "d": DIM})
    columns = ["step", "encoder", "n", "d", "device", "seconds", "peak_rss_mb", "under 1 GB", "gpu_peak_mb",
               "equals full"]
    return [{c: dev.type if c == "device" else r[c] for c in columns if c in r or c == "device"} for r in rows]


def main(argv=None) -> int:
    from minisent.evaluation.leaderboard import format_table

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cpu")
    p.add_argument("--quick", action="store_true", help="5k sentences, 50k synthetic vectors")
    p.add_argument("--encoder", choices=["auto", "transformer", "word2vec", "random"], default="auto")
    args = p.parse_args(argv)
    rows = run(args.device, args.quick, args.encoder)
    print(format_table(rows, floatfmt="{:.3g}"))
    worst = max(r["peak_rss_mb"] for r in rows)
    print(f"\npeak RSS {worst:.0f} MB: {'under' if worst * 1024 ** 2 < GiB else 'OVER'} 1 GB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
