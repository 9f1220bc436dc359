"""Read a .safetensors file by hand: no pickle, so reading it can never run code.

The format (Hugging Face, 2022) is three parts, one after the other:

    8 bytes    N, the header length, an unsigned 64-bit little-endian integer
    N bytes    a JSON header: {"name": {"dtype": "F32", "shape": [d0, d1], "data_offsets": [begin, end]}, ...}
               plus an optional "__metadata__": {str: str}
    the rest   raw tensor bytes, little-endian, row-major; each tensor is bytes [begin, end) of this part

    header = read_header("model.safetensors")     # {"name": {"dtype", "shape", "data_offsets"}}
    tensors = load_file("model.safetensors")      # {"name": torch.Tensor}, like safetensors.torch.load_file
"""
from __future__ import annotations

import json
import math
import struct
import sys
from pathlib import Path

import torch

DTYPES = {  # the header's dtype names -> torch dtypes
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8,
    "BOOL": torch.bool,
}
MAX_HEADER = 100 * 1024 * 1024  # the format's own limit on N: a larger value means a damaged file


def _split(raw: bytes | bytearray, name: str) -> tuple[dict, int]:
    """raw file bytes -> (header dict without __metadata__, offset where the tensor bytes start)."""
    if len(raw) < 8:
        raise ValueError(f"{name} is not a safetensors file: {len(raw)} bytes, shorter than the 8-byte header length")
    (n,) = struct.unpack("<Q", raw[:8])  # "<Q": little-endian unsigned 64-bit
    if n > MAX_HEADER or 8 + n > len(raw):
        raise ValueError(f"{name} is not a safetensors file: header length {n} does not fit in {len(raw)} bytes")
    header = json.loads(bytes(raw[8:8 + n]).decode("utf-8"))
    if not isinstance(header, dict):
        raise ValueError(f"{name}: the safetensors header is not a JSON object")
    header.pop("__metadata__", None)
    return header, 8 + n


def read_header(path: str | Path) -> dict:
    """Only the JSON header (reads 8 + N bytes, not the tensors): {name: {dtype, shape, data_offsets}}."""
    path = Path(path)
    with open(path, "rb") as fh:
        head = fh.read(8)
        if len(head) == 8:
            head += fh.read(min(struct.unpack("<Q", head)[0], MAX_HEADER))
    return _split(head, str(path))[0]


def load_file(path: str | Path) -> dict[str, torch.Tensor]:
    """Every tensor of a .safetensors file, on the CPU, in the header's order of names.

    The file is read once into one writable buffer; each tensor is a view of its own bytes
    (`torch.frombuffer`), so nothing is copied twice.
    """
    if sys.byteorder != "little":
        raise RuntimeError("this reader assumes a little-endian machine (the file's byte order)")
    path = Path(path)
    raw = bytearray(path.read_bytes())
    header, start = _split(raw, str(path))
    data_size = len(raw) - start
    tensors = {}
    for name, info in header.items():
        dtype = DTYPES.get(info.get("dtype"))
        if dtype is None:
            raise ValueError(f"{path}: tensor {name!r} has unsupported dtype {info.get('dtype')!r}")
        shape = [int(s) for s in info["shape"]]
        begin, end = (int(o) for o in info["data_offsets"])
        count = math.prod(shape)  # 1 for a scalar (shape [])
        if not 0 <= begin <= end <= data_size or end - begin != count * dtype.itemsize:
            raise ValueError(f"{path}: tensor {name!r} has offsets [{begin}, {end}) that do not hold "
                             f"{count} x {dtype.itemsize} bytes inside the {data_size} data bytes")
        flat = torch.frombuffer(raw, dtype=dtype, count=count, offset=start + begin) if count else \
            torch.empty(0, dtype=dtype)
        tensors[name] = flat.view(shape)
    return tensors
