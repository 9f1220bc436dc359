"""Distributed data parallel with gathered negatives (minisent.training.distributed), on the CPU with 2 gloo processes:
the loss, the gradients and the weights after one step equal those of ONE process on the concatenated batch
(unsupervised and supervised SimCSE, with and without gradient caching, float64, dropout 0); and
`torchrun --nproc_per_node=2 -m minisent train simcse` saves a model that minisent.load reads."""
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from minisent.training import distributed
from minisent.training.simcse import SupervisedSimCSE, UnsupervisedSimCSE
from minisent.text.tokenize import BPETokenizer
from minisent.training.loop import fit

from test_simcse import SENTENCES, tiny

ROOT = Path(__file__).resolve().parents[1]
WORLD = 2
B = 8  # global batch: 4 rows per process


def global_batches():
    unsup = [SENTENCES[:B], SENTENCES[B:2 * B]]
    sup = [{"anchor": SENTENCES[i:i + B], "positive": SENTENCES[40 + i:40 + i + B],
            "negative": SENTENCES[80 + i:80 + i + B]} for i in (0, B)]
    return {"unsup": (UnsupervisedSimCSE(0.05), unsup), "sup": (SupervisedSimCSE(0.05, hard_negative_weight=0.3), sup)}


def run_cases() -> dict:
    """Two steps of every case from the same initial weights: {case: {"loss", "grad", "weights"}}."""
    tok = BPETokenizer.train(SENTENCES, vocab_size=120)
    out = {}
    for name, (objective, batches) in global_batches().items():
        for chunk in (None, 3):
            model = tiny(tok, dropout=0.0, seed=0).double()
            h = fit(model, objective, batches, 2, lr=1e-3, clip=None, device="cpu", progress=False,
                    grad_cache_chunk=chunk)
            out[f"{name} chunk={chunk}"] = {
                "loss": h["loss"], "grad_norm": h["grad_norm"],
                "grad": {n: p.grad.clone() for n, p in model.named_parameters()},  # of the last step
                "weights": {n: p.detach().clone() for n, p in model.named_parameters()}}
    return out


def _worker(rank: int, port: int, out_dir: str) -> None:
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=WORLD)
    try:
        assert distributed.is_distributed() and distributed.world_size() == WORLD
        torch.save(run_cases(), Path(out_dir) / f"rank{rank}.pt")
    finally:
        dist.destroy_process_group()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def two_process_results(tmp_path_factory):
    out = tmp_path_factory.mktemp("ddp")
    mp.spawn(_worker, args=(free_port(), str(out)), nprocs=WORLD, join=True)
    return [torch.load(out / f"rank{r}.pt", weights_only=True) for r in range(WORLD)]


def test_two_processes_equal_one_process_on_the_concatenated_batch(two_process_results):
    single = run_cases()
    for case, ref in single.items():
        for rank, results in enumerate(two_process_results):
            got = results[case]
            assert got["loss"] == pytest.approx(ref["loss"], abs=1e-10), (case, rank)
            assert got["grad_norm"] == pytest.approx(ref["grad_norm"], rel=1e-9), (case, rank)
            for n in ref["grad"]:
                assert torch.allclose(got["grad"][n], ref["grad"][n], rtol=0, atol=1e-10), (case, rank, n)
                assert torch.allclose(got["weights"][n], ref["weights"][n], rtol=0, atol=1e-10), (case, rank, n)
        assert ref["grad_norm"][0] > 1e-2  # a real gradient, not a trivially equal zero


def test_each_process_gets_its_own_slice_and_all_rows_come_back(monkeypatch):
    """shard and gather_rows, in a process that pretends to be rank 1 of 2 (the gather itself is tested above)."""
    monkeypatch.setattr(distributed, "world_size", lambda: 2)
    monkeypatch.setattr(distributed, "rank", lambda: 1)
    assert distributed.shard(list("abcdef")) == list("def")
    assert distributed.shard({"a": [1, 2], "t": torch.arange(4)})["t"].tolist() == [2, 3]
    with pytest.raises(ValueError, match="multiple of the number of processes"):
        distributed.shard(list("abc"))


def test_outside_torchrun_nothing_changes():
    z = torch.randn(6, 3)
    assert distributed.gather_rows(z, 2) is z
    assert distributed.shard([1, 2, 3]) == [1, 2, 3]
    with distributed.process_group("cpu") as device:
        assert device == "cpu" and not dist.is_initialized()


@pytest.mark.skipif(not (ROOT / "data" / "cache").exists() and not os.environ.get("CI"),
                    reason="builds the corpus caches first")
def test_torchrun_two_processes_trains_and_saves_a_loadable_model(tmp_path):
    """The command line under torchrun, end to end. Two steps are enough: that 2 processes train like one is
    proven exactly above; here what counts is that both ranks run the CLI, rank 0 alone saves, and the model loads."""
    out = tmp_path / "model"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", f"--master_port={free_port()}",
           "-m", "minisent", "train", "simcse", "--device", "cpu", "--steps", "2", "--out", str(out)]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.count("saved to") == 1  # rank 0 alone reports and saves
    import minisent

    model = minisent.load(out)
    assert len(json.loads((out / "history.json").read_text())["loss"]) == 2
    X = model.encode(["a cat sat on the mat .", "the stock market fell ."])
    assert X.shape == (2, model.dim) and abs(float((X[0] * X[1]).sum())) > 0
