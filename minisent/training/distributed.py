"""Training on several processes (GPUs, or CPU processes) with `torch.distributed`, launched by `torchrun`.

    torchrun --nproc_per_node=2 -m minisent train simcse --device cpu --steps 20 --out DIR

torchrun starts N copies of the same program and tells each who it is through environment variables
(RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT). In every copy ("rank"):

1. `process_group(device)` joins the group: backend "nccl" on CUDA GPUs (one GPU per rank: cuda:LOCAL_RANK),
   "gloo" on the CPU. Outside torchrun it does nothing, so one code path serves both.
2. `train.fit` wraps the model in DistributedDataParallel (DDP): rank 0's initial weights are copied to
   every rank, and after each backward pass the gradients are averaged over the ranks, so every rank takes
   the same optimizer step and the weights stay equal.
3. Each global batch of B rows is cut into W = WORLD_SIZE slices of b = B / W rows (`shard`): rank r
   embeds rows r*b ... (r+1)*b - 1, a different share of the data on every rank.
4. Contrastive losses need every row to see the negatives of all ranks, not only its own b - 1:
   `gather_rows` all-gathers the embeddings WITH gradient. Every rank then computes the loss of the whole
   global batch (the (B, B) logits are cheap next to the encoder), so the loss equals that of one process
   on the concatenated batch. Backward of the all-gather sends each rank the sum, over the W ranks, of the
   gradient with respect to its own rows (W identical copies here); DDP's average divides by W again:
   the weight update equals the single-process one (tests/test_distributed.py checks this).
5. Only rank 0 (`is_main()`) prints progress, evaluates, and writes checkpoints and the saved model.
"""
from __future__ import annotations

import os
from contextlib import contextmanager

import torch
import torch.distributed as dist

from ..device import get_device


def launched_by_torchrun() -> bool:
    """True when torchrun (or another launcher setting its variables) started this process."""
    return all(v in os.environ for v in ("RANK", "LOCAL_RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"))


def is_distributed() -> bool:
    """True inside an initialized process group of more than one process."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def rank() -> int:
    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


def world_size() -> int:
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def is_main() -> bool:
    """Rank 0 (or the only process): the one that prints, evaluates and writes files."""
    return rank() == 0


def barrier() -> None:
    if is_distributed():
        dist.barrier()


@contextmanager
def process_group(device=None):
    """Join torchrun's process group for the duration of the block; yields the device this rank uses."""
    if not launched_by_torchrun() or dist.is_initialized():
        yield device
        return

    kind = get_device(device).type
    if kind == "mps":
        raise ValueError("distributed training runs on cuda (nccl) or cpu (gloo), not mps: pass --device cpu")
    local = int(os.environ["LOCAL_RANK"])
    if kind == "cuda":
        if local >= torch.cuda.device_count():
            raise ValueError(f"LOCAL_RANK {local} but only {torch.cuda.device_count()} cuda device(s): "
                             f"use --nproc_per_node <= {torch.cuda.device_count()}")
        torch.cuda.set_device(local)
        dist.init_process_group("nccl", device_id=torch.device("cuda", local))
        this = f"cuda:{local}"
    else:
        dist.init_process_group("gloo")
        this = "cpu"
    try:
        yield this
    finally:
        dist.destroy_process_group()


@contextmanager
def main_process_first():
    """Rank 0 runs the block first (e.g. building a cache), the others after it finished (reading that cache)."""
    if not is_main():
        barrier()
    try:
        yield
    finally:
        if is_main():
            barrier()


def shard(batch):
    """This rank's slice of a global batch: rows rank*b ... (rank+1)*b - 1 of every list / tensor in it.

    batch: a list, tuple or tensor of B rows, or a dict of them; B must divide by the world size.
    """
    W = world_size()
    if W == 1:
        return batch
    if isinstance(batch, dict):
        return {k: shard(v) for k, v in batch.items()}
    if not isinstance(batch, (list, tuple, torch.Tensor)):
        raise ValueError(f"cannot split a batch of type {type(batch).__name__} over processes")
    if len(batch) % W:
        raise ValueError(f"the batch size {len(batch)} must be a multiple of the number of processes {W}")
    b = len(batch) // W
    return batch[rank() * b:(rank() + 1) * b]


def gather_rows(z: torch.Tensor, parts: int = 1) -> torch.Tensor:
    """All ranks' embeddings, with gradient: (parts * b, d) on each rank -> (parts * W * b, d).

    z holds `parts` blocks of b rows each (e.g. every sentence's first view, then every second view).
    Each block is gathered from the ranks in rank order, so the result is what one process would have
    embedded from the concatenated batch: [block 0 of rank 0, ..., of rank W-1, block 1 of rank 0, ...].
    """
    if not is_distributed():
        return z
    # lazy: a private torch module, needed only under torchrun
    from torch.distributed._functional_collectives import all_gather_single_autograd

    blocks = z.unflatten(0, (parts, -1))  # (parts, b, d)
    gathered = all_gather_single_autograd(blocks.contiguous(), 1, dist.group.WORLD)  # (parts, W * b, d)
    return gathered.flatten(0, 1)  # (parts * W * b, d)
