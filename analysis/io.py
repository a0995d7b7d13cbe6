"""File-system helpers shared by every writer of the package: atomic writes, hashing, quiet model loading.

Every file the package writes (processed tables, stage artefacts, caches, reports) goes through
:func:`atomic_write`: a temporary file in the target's folder, the umask's permission bits, then a
rename, so a reader never sees half a file and two writers never rename each other's temporary file.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import warnings
import zipfile
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from pathlib import Path

__all__ = ["file_mode", "dir_mode", "atomic_write", "atomic_write_bytes", "atomic_write_json", "atomic_write_frame",
           "sha256_file", "sha256_json", "tree_hash", "quiet_progress", "read_shard_rows", "cached_shard_keys", "write_shard"]


def file_mode() -> int:
    """Permission bits an ordinary ``open()`` would give a new file under the current umask.

    ``tempfile.mkstemp`` creates 0600 files; the package writes through temporary files and
    renames them, so it applies this mode first (tables and reports are meant to be shared).
    """
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def dir_mode() -> int:
    """Permission bits ``mkdir`` would give a new folder under the current umask (``mkdtemp`` gives 0700)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o777 & ~mask


def atomic_write(path: str | Path, write: Callable[[str], None]) -> Path:
    """Call ``write(tmp_path)`` on a unique temporary file beside ``path``, then rename it over ``path``.

    Args:
        path: The target; its folder is created when missing.
        write: Writes the whole content to the temporary path it is given (``np.savez``, ``to_parquet``, ...).

    Returns:
        ``path`` as a :class:`~pathlib.Path`. On any error the temporary file is removed and the target is
        left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=f".tmp{path.suffix}")
    os.close(handle)
    try:
        write(tmp)
        os.chmod(tmp, file_mode())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_write`)."""
    return atomic_write(path, lambda tmp: Path(tmp).write_bytes(data))


def atomic_write_json(path: str | Path, obj) -> Path:
    """Write ``obj`` as indented, key-sorted JSON (the same object always gives the same bytes)."""
    return atomic_write_bytes(path, (json.dumps(obj, indent=1, sort_keys=True) + "\n").encode("utf-8"))


def atomic_write_frame(frame, path: str | Path) -> Path:
    """Write a DataFrame to ``.parquet`` (without the index) or ``.csv``, atomically."""
    path = Path(path)
    if path.suffix == ".parquet":
        return atomic_write(path, lambda tmp: frame.to_parquet(tmp, index=False))
    if path.suffix == ".csv":
        return atomic_write(path, lambda tmp: frame.to_csv(tmp, index=False))
    raise ValueError(f"{path}: tables are written as .parquet or .csv, not {path.suffix!r}.")


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_json(obj) -> str:
    """Hex sha256 of ``obj``'s canonical JSON (sorted keys, no spaces): a key for parameters and manifests."""
    return hashlib.sha256(json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)
                          .encode("utf-8")).hexdigest()


def tree_hash(paths: Iterable[str | Path], *, root: str | Path, suffixes: tuple[str, ...] = (),
              skip: tuple[str, ...] = ()) -> str:
    """Hex sha256 over files and folders (recursively), by path relative to ``root`` and content.

    Args:
        paths: Files or folders. A folder contributes every file below it whose suffix is in ``suffixes``
            (all files when empty), in sorted order; ``__pycache__`` is skipped.
        root: Paths are named relative to this folder, so the hash does not depend on where the project lives.
        suffixes: Keep only these file suffixes inside folders (e.g. ``(".py",)`` for code).
        skip: File names left out inside folders (e.g. ``("plots.py",)``).

    Raises:
        FileNotFoundError: A path does not exist (a renamed module must not silently drop out of a hash).
    """
    root = Path(root)
    digest = hashlib.sha256()
    for item in paths:
        item = Path(item)
        if not item.exists():
            raise FileNotFoundError(f"{item}: listed in a code or resource hash but missing.")
        files = [item] if item.is_file() else sorted(
            p for p in item.rglob("*") if p.is_file() and "__pycache__" not in p.parts
            and (not suffixes or p.suffix in suffixes) and p.name not in skip)
        for f in files:
            digest.update(f.relative_to(root).as_posix().encode("utf-8") + b"\0")
            digest.update(hashlib.sha256(f.read_bytes()).digest())
    return digest.hexdigest()


@contextmanager
def quiet_progress():
    """No progress bars and no "IProgress not found" warning while loading or running models.

    Progress bars and that warning (tqdm.auto inside Jupyter without ipywidgets) would make a notebook's
    stored output depend on the run, which breaks nbval; the study shows no bars.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="IProgress not found")
        try:
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()
        except ImportError:  # transformers absent: nothing to silence
            pass
        yield


# Row caches (sentence vectors, target-model features) are folders of ``shard-*.npz`` files, each holding an
# array ``keys`` and an array of rows in the same order. A shard is written once, under a name derived from its
# keys, so concurrent writers (chunks, Dask workers, parallel notebooks) never clash. This index remembers, per
# shard path, its on-disk signature and where each key sits; rows themselves are read only when a call needs
# them, so a process holds the keys of a large cache, never all its vectors.
_SHARD_INDEX: dict[str, tuple[tuple[int, int], dict[str, int]]] = {}
_DAMAGED = (OSError, ValueError, KeyError, EOFError, IndexError, zipfile.BadZipFile)


def _shard_index(shard: Path) -> dict[str, int]:
    """Where each key of ``shard`` sits (read once per on-disk signature; raises on a damaged shard)."""
    import numpy as np

    stat = shard.stat()
    signature = (stat.st_mtime_ns, stat.st_size)
    hit = _SHARD_INDEX.get(str(shard))
    if hit is None or hit[0] != signature:
        with np.load(shard) as data:
            hit = (signature, {str(k): i for i, k in enumerate(data["keys"].tolist())})
        _SHARD_INDEX[str(shard)] = hit
    return hit[1]


def cached_shard_keys(folder: str | Path, wanted: Iterable[str]) -> set[str]:
    """The ``wanted`` keys that some readable shard of ``folder`` holds, from the key index alone (no rows read)."""
    folder = Path(folder)
    wanted = set(wanted)
    found: set[str] = set()
    if not wanted or not folder.is_dir():
        return found
    for shard in sorted(folder.glob("shard-*.npz")):
        if len(found) == len(wanted):
            break
        try:
            found |= wanted.intersection(_shard_index(shard))
        except _DAMAGED:
            _SHARD_INDEX.pop(str(shard), None)
            continue
    return found


def read_shard_rows(folder: str | Path, wanted: Iterable[str], *, field: str) -> dict:
    """The rows of ``wanted`` keys found in the shards of ``folder`` (``{key: row}``; absent keys are left out).

    Each shard is an ``.npz`` with arrays ``keys`` and ``field``. A damaged, truncated or vanished shard is
    skipped, so its rows count as missing and the caller computes them again.
    """
    import numpy as np

    folder = Path(folder)
    wanted = set(wanted)
    found: dict = {}
    if not wanted or not folder.is_dir():
        return found
    for shard in sorted(folder.glob("shard-*.npz")):
        if len(found) == len(wanted):
            break
        try:
            index = _shard_index(shard)
            need = [k for k in wanted if k in index and k not in found]
            if need:
                with np.load(shard) as data:
                    at = [index[k] for k in need]
                    if data["keys"][at].tolist() != need:  # rewritten under the same signature: index again
                        del _SHARD_INDEX[str(shard)]
                        continue
                    rows = data[field][at]  # a copy: the shard's array is freed
                found.update(zip(need, rows))
        except _DAMAGED:
            _SHARD_INDEX.pop(str(shard), None)  # vanished or damaged: forget it, so the index does not grow stale
            continue
    return found


def write_shard(folder: str | Path, keys: list[str], rows, *, field: str) -> Path | None:
    """Write ``rows`` (row i for ``keys[i]``) as one new shard of ``folder``, named by a hash of the keys.

    Raises:
        ValueError: the numbers of keys and rows differ.
    """
    import numpy as np

    if len(keys) != len(rows):
        raise ValueError(f"write_shard: {len(rows)} rows for {len(keys)} keys")
    if not keys:
        return None
    # Keys joined with a separator no key holds, so two different key lists never share a file name.
    path = Path(folder) / f"shard-{hashlib.sha1(chr(0).join(keys).encode('utf-8')).hexdigest()[:16]}.npz"
    arrays = {"keys": np.array(keys), field: np.asarray(rows)}
    return atomic_write(path, lambda tmp: np.savez(tmp, **arrays))
