"""Optional downloads of bigger public sets, cached under CACHE_DIR/downloads/ (git-ignored).

The course never needs them: every lesson runs offline. They are here for readers who want the
real benchmarks (STS-B, SICK) or SimCSE's real training data (NLI triplets, one million Wikipedia
sentences), typically in the FULL runs on a GPU.

    DOWNLOADS              the table: name -> Download(url, sha256, filename, description, reader, ...)
    path_of(name)          where the usable file / folder lives once downloaded (no network)
    download(name, force)  fetch (streamed, progress bar) -> verify checksum -> extract -> path_of(name)
    load(name, **kw)       download(name) then read it with the table's reader, e.g. load("stsb", split="test")
"""
from __future__ import annotations

import hashlib
import http.client
import os
import shutil
import tarfile
import urllib.error
import urllib.request
import warnings
import zipfile
from pathlib import Path

from ..progress import tqdm

from . import readers
from .catalog import DOWNLOADS, Download, _entry, archive_of, downloads_dir, path_of  # noqa: F401 (the table, re-exported)


class DownloadUnavailable(OSError):
    """The file could not be fetched (offline, host down, HTTP error); the message says where to put it by hand."""


class ChecksumMismatch(OSError):
    """The bytes fetched (or placed by hand) are not the published file."""


# ---------------------------------------------------------------------------------- fetching
def _stream(url: str, dest: Path, label: str) -> dict[str, str]:
    """Copy `url` into `dest` chunk by chunk with a progress bar; returns the sha256 and md5 of the bytes."""
    digests = {"sha256": hashlib.sha256(), "md5": hashlib.md5()}
    request = urllib.request.Request(url, headers={"User-Agent": "minisent (course downloader)"})
    with urllib.request.urlopen(request, timeout=60) as response, open(dest, "wb") as out:
        total = int(response.headers.get("Content-Length") or 0) or None
        received = 0
        with tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=label) as bar:
            while chunk := response.read(1 << 20):
                out.write(chunk)
                for h in digests.values():
                    h.update(chunk)
                received += len(chunk)
                bar.update(len(chunk))
    if total is not None and received != total:
        raise OSError(f"connection closed after {received} of {total} bytes")
    return {k: h.hexdigest() for k, h in digests.items()}


def _file_digests(path: Path) -> dict[str, str]:
    digests = {"sha256": hashlib.sha256(), "md5": hashlib.md5()}
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            for h in digests.values():
                h.update(chunk)
    return {k: h.hexdigest() for k, h in digests.items()}


def _verify(d: Download, digests: dict[str, str], where: str) -> None:
    """Compare with every published checksum; warn (not fail) when none is known."""
    known = {"sha256": d.sha256, "md5": d.md5}
    for kind, expected in known.items():
        if expected is not None and digests[kind] != expected.lower():
            raise ChecksumMismatch(f"{d.filename} from {where} has {kind} {digests[kind]}, expected {expected}: "
                                   f"the file is damaged or not the published one. Delete it and download again")
    if all(v is None for v in known.values()):
        warnings.warn(f"the checksum of {d.filename} is unknown, so it was not verified "
                      f"(its sha256 is {digests['sha256']})", stacklevel=3)


def _fetch(d: Download, dest: Path) -> None:
    """Download `d` into `dest` via a .part file renamed at the end; try each URL in turn."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    failures, mismatch = [], None
    for url in (d.url, *d.mirrors):
        try:
            digests = _stream(url, part, d.filename)
            _verify(d, digests, url)
        except ChecksumMismatch as err:
            mismatch = err
            failures.append(f"{url}: {err}")
        except (OSError, http.client.HTTPException) as err:  # URLError, HTTPError, timeouts are OSErrors
            failures.append(f"{url}: {err}")
        else:
            os.replace(part, dest)  # atomic: `dest` is either absent or complete
            return
        finally:
            part.unlink(missing_ok=True)
    if mismatch is not None:
        raise mismatch
    raise DownloadUnavailable(
        f"could not download {d.filename} ({'; '.join(failures)}). Without internet access, fetch "
        f"{d.url} on another machine and place it at {dest} (exactly this path); it is verified"
        f"{' and extracted' if d.is_archive else ''} on the next call.")


# -------------------------------------------------------------------------------- extracting
def _safe_tar_members(tar: tarfile.TarFile, root: Path) -> list[tarfile.TarInfo]:
    """Members that stay inside `root` (no absolute paths, no '..', no links): for Pythons without tar filters."""
    root = root.resolve()
    members = []
    for m in tar.getmembers():
        if m.issym() or m.islnk() or not (root / m.name).resolve().is_relative_to(root):
            raise ValueError(f"refusing to extract {m.name!r}: it would leave {root}")
        members.append(m)
    return members


def _extract(archive: Path, d: Download) -> None:
    """Unpack `archive` into downloads/<extract_into>, through a temporary folder (no half-extracted state)."""
    root = downloads_dir() / d.extract_into
    tmp = downloads_dir() / f".{archive.name}.extracting"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        if archive.name.lower().endswith(".zip"):
            with zipfile.ZipFile(archive) as zf:
                zf.extractall(tmp)  # zipfile drops absolute paths and '..' itself
        else:
            with tarfile.open(archive, "r:*") as tf:
                if hasattr(tarfile, "data_filter"):
                    tf.extractall(tmp, filter="data")
                else:
                    tf.extractall(tmp, members=_safe_tar_members(tf, tmp))
        root.mkdir(parents=True, exist_ok=True)
        for entry in tmp.iterdir():
            final = root / entry.name
            if final.is_dir():
                shutil.rmtree(final)
            elif final.exists():
                final.unlink()
            os.replace(entry, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ------------------------------------------------------------------------------------ public
def download(name: str, force: bool = False) -> Path:
    """Make `name` available locally and return path_of(name).

    Already there -> returned at once (no network). Otherwise the file is fetched (or, when placed by
    hand at archive_of(name), taken from there), its checksum verified when known, archives extracted.
    force=True fetches again even when present.
    """
    d = _entry(name)
    target, archive = path_of(name), archive_of(name)
    if target.exists() and not force:
        return target
    if force or not archive.exists():
        _fetch(d, archive)
    else:  # placed by hand: check it is the published file before trusting it
        _verify(d, _file_digests(archive), str(archive))
    if d.is_archive:
        _extract(archive, d)
        if not target.exists():
            raise ChecksumMismatch(f"{archive} was extracted but holds no {d.target}: "
                                   f"it is not the expected archive; delete it and download again")
    return target


def load(name: str, **kwargs):
    """download(name), then read it with the table's reader: load("sick", split="test") -> list[STSPair]."""
    return getattr(readers, _entry(name).reader)(download(name), **kwargs)
