"""Stage artefacts: each step of the study writes its tables once and passes them on as files.

The processed corpus (written by :func:`analysis.corpus.prepare_corpus` into the corpus's processed
folder itself) is the first stage; the others (``mentions``, ``topics``, ``sentiment``, ``frames``) are
written to ``<corpus folder>/stages/<name>/``: one ``.parquet`` file per table, optional extra files
(the saved topic model) and ``manifest.json``. The manifest records

- ``inputs``: what the stage read: the corpus stage's key, and the content hash of upstream stages,
- ``params``: the parameters that change its result (scorer, codebook content hash, unit, seed, ...),
- ``code``: a hash of the source of the subpackages that compute it (every module but ``plots.py``),
  of this module and of the reference data they read, computed from the files themselves (no hand-kept
  list of modules),

its ``key`` is the sha256 of those three, and ``content`` hashes the tables it holds. A rerun reuses a
stage whose manifest equals the one it would write, and recomputes it when an input, a parameter or the
code changed; a downstream stage recomputes only when an upstream stage's tables changed. A stage is
written into a temporary folder and renamed into place, so readers and concurrent writers never see half
of one. To force a recomputation, delete the stage's folder (or the whole ``data/processed``), or pass
``force=True`` to the stage function.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis.io import atomic_write_frame, atomic_write_json, dir_mode, sha256_json, tree_hash
from analysis.paths import PACKAGE_DIR, RESOURCES_DIR

__all__ = ["StageError", "Stage", "code_hash", "make_manifest", "stage_dir", "load_stage", "write_stage",
           "run_stage", "read_stage", "MANIFEST"]

MANIFEST = "manifest.json"
_CODE_SUFFIXES = (".py",)


class StageError(ValueError):
    """A stage artefact is missing, incomplete or was computed from other inputs or parameters."""


@dataclass
class Stage:
    """A stage's tables and manifest, as read from (or just written to) its folder.

    Attributes:
        name: Stage name.
        tables: Table name -> DataFrame (``attrs`` restored from the manifest).
        manifest: ``stage``, ``key``, ``inputs``, ``params``, ``code``, ``files``, ``attrs``.
        folder: Where the artefact lives.
        reused: True when read from an up-to-date artefact instead of computed.
    """

    name: str
    tables: dict[str, pd.DataFrame]
    manifest: dict
    folder: Path
    reused: bool = False
    extra: dict = field(default_factory=dict)

    @property
    def key(self) -> str:
        return self.manifest["key"]

    @property
    def params(self) -> dict:
        return self.manifest["params"]

    @property
    def content(self) -> str:
        """Hash of the stage's tables (what a downstream stage records as its input)."""
        return self.manifest["content"]

    def __getitem__(self, table: str) -> pd.DataFrame:
        return self.tables[table]


def code_hash(code: Iterable[str], resources: Iterable[str] = ()) -> str:
    """Hash of the ``.py`` files of ``code`` (subpackages or modules, relative to ``analysis/``) and of the
    ``resources`` files or folders (relative to ``analysis/resources/``).

    A subpackage's ``plots.py`` is left out (a figure never changes a stage's tables); everything else in it
    counts, so a new or renamed module invalidates the stages computed from the subpackage.

    Raises:
        FileNotFoundError: A named module or resource does not exist.
    """
    code_part = tree_hash([PACKAGE_DIR / c for c in code], root=PACKAGE_DIR, suffixes=_CODE_SUFFIXES,
                          skip=("plots.py",))
    resource_part = tree_hash([RESOURCES_DIR / r for r in resources], root=PACKAGE_DIR)
    return sha256_json([code_part, resource_part])


def make_manifest(name: str, *, inputs: dict, params: dict, code: str) -> dict:
    """The manifest a stage would write; ``key`` hashes everything else."""
    body = {"stage": name, "inputs": inputs, "params": params, "code": code}
    return {**body, "key": sha256_json(body)}


def stage_dir(root: str | Path, name: str) -> Path:
    """``<root>/stages/<name>``, where ``root`` is the corpus's processed folder."""
    return Path(root) / "stages" / name


def content_hash(tables: dict[str, pd.DataFrame]) -> str:
    """Hash of tables' names, columns, dtypes and values (row order included, index ignored)."""
    parts = []
    for name in sorted(tables):
        frame = tables[name]
        values = pd.util.hash_pandas_object(frame, index=False).to_numpy() if len(frame.columns) else []
        parts.append([name, [str(c) for c in frame.columns], [str(t) for t in frame.dtypes],
                      sha256_json([int(v) for v in values])])
    return sha256_json(parts)


def _read_manifest(folder: Path) -> dict | None:
    path = folder / MANIFEST
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return None


def _same(stored: dict | None, wanted: dict) -> bool:
    return stored is not None and all(stored.get(k) == wanted[k] for k in ("stage", "key", "inputs", "params",
                                                                          "code"))


def _swap_into_place(work: Path, folder: Path) -> None:
    old = None
    try:
        if folder.exists():
            old = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.old-"))
            os.replace(folder, old / folder.name)
        os.replace(work, folder)
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def load_stage(folder: str | Path, name: str | None = None) -> Stage:
    """Read the artefact in ``folder``.

    Raises:
        StageError: No manifest, or a file it lists is missing.
    """
    folder = Path(folder)
    manifest = _read_manifest(folder)
    if manifest is None:
        raise StageError(f"{folder}: no stage artefact here (no {MANIFEST}).")
    missing = [f for f in manifest["files"] if not (folder / f).exists()]
    if missing:
        raise StageError(f"{folder}: the stage artefact is incomplete ({', '.join(missing)} missing); delete the "
                         "folder and rerun the notebook that writes it.")
    tables = {}
    for table in manifest["tables"]:
        try:
            frame = pd.read_parquet(folder / f"{table}.parquet")
        except (OSError, ValueError) as exc:  # removed or replaced while being read
            raise StageError(f"{folder}: {table}.parquet could not be read ({exc}).") from None
        frame.attrs.update(manifest["attrs"].get(table, {}))
        tables[table] = frame
    return Stage(name=manifest["stage"], tables=tables, manifest=manifest, folder=folder, reused=True)


def write_stage(folder: str | Path, manifest: dict, tables: dict[str, pd.DataFrame], *,
                extra: Callable[[Path], None] | None = None) -> Stage:
    """Write ``tables`` (and what ``extra(folder)`` writes) and the manifest, then swap the folder into place.

    Everything is written into a fresh temporary folder beside ``folder``, which then replaces it by
    rename: a crash midway leaves the old artefact (or none), never a mix, and two writers never write
    into one folder. The returned stage is read back from disk, so a first run and a rerun see the same
    tables (dtypes included).
    """
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.tmp-"))
    try:
        os.chmod(work, dir_mode())  # mkdtemp makes 0700 folders; artefacts are ordinary, shared folders
        attrs = {}
        for table, frame in tables.items():
            atomic_write_frame(frame, work / f"{table}.parquet")
            if frame.attrs:
                attrs[table] = json.loads(json.dumps(frame.attrs, default=str))
        if extra is not None:
            extra(work)
        files = sorted(p.relative_to(work).as_posix() for p in work.rglob("*") if p.is_file())
        full = {**manifest, "tables": list(tables), "files": files, "attrs": attrs,
                "content": content_hash(tables)}
        atomic_write_json(work / MANIFEST, full)
        for attempt in range(5):
            try:
                _swap_into_place(work, folder)
                break
            except OSError:  # another process swapped its artefact in meanwhile (a stage several notebooks use)
                if _same(_read_manifest(folder), manifest):
                    break    # the same inputs, parameters and code: its tables are these tables; keep them
                if attempt == 4:
                    raise
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    for attempt in range(20):  # a concurrent writer may be swapping the folder this instant
        try:
            stage = load_stage(folder, manifest["stage"])
            break
        except (StageError, OSError):
            if attempt == 19:
                raise
            time.sleep(0.05)
    stage.reused = False
    return stage


def run_stage(root: str | Path, name: str, *, inputs: dict, params: dict, code: str,
              compute: Callable[[], dict[str, pd.DataFrame]], extra: Callable[[Path], list[str]] | None = None,
              force: bool = False) -> Stage:
    """Reuse the stage's artefact when its manifest is current, else ``compute()`` and write it.

    Args:
        root: The corpus's processed folder (:attr:`analysis.corpus.CorpusTables.out_dir`).
        name: Stage name (its folder under ``root/stages``).
        inputs: Keys of the stages read (or input file hashes).
        params: Parameters that change the result (JSON-serialisable).
        code: :func:`code_hash` of the code and resources that compute it.
        compute: Returns the stage's tables.
        extra: Writes further files into the folder (called after ``compute``); returns their names.
        force: Recompute even when the artefact is current.
    """
    folder = stage_dir(root, name)
    wanted = make_manifest(name, inputs=inputs, params=params, code=code)
    if not force and _same(_read_manifest(folder), wanted):
        try:
            return load_stage(folder, name)
        except StageError:
            pass  # incomplete: recompute below
    return write_stage(folder, wanted, compute(), extra=extra)


def read_stage(root: str | Path, name: str, *, written_by: str, expect: dict | None = None,
               inputs: dict | None = None, code: str | None = None) -> Stage:
    """Read a stage written by another notebook, checking that it belongs to this corpus and these parameters.

    Args:
        root: The corpus's processed folder.
        name: Stage name.
        written_by: The notebook that writes it (named in the error).
        expect: Parameters that must equal the stored ones (e.g. the codebook's hash).
        inputs: Input keys that must equal the stored ones (e.g. the current corpus key).
        code: The current code hash of the stage; a stage computed by other code is refused.

    Raises:
        StageError: Missing, incomplete, or computed with other inputs or parameters; the message says which
            notebook to run.
    """
    folder = stage_dir(root, name)
    try:
        stage = load_stage(folder, name)
    except StageError as exc:
        raise StageError(f"The {name} stage of this corpus is not available ({exc}). Run {written_by} first "
                         "(python -m analysis run runs every notebook in order).") from None
    if code is not None and stage.manifest["code"] != code:
        raise StageError(f"The {name} stage in {folder} was computed by another version of the code. Rerun "
                         f"{written_by} first.")
    for what, want, have in (("inputs", inputs, stage.manifest["inputs"]), ("parameters", expect,
                                                                           stage.manifest["params"])):
        for k, v in (want or {}).items():
            if have.get(k) != v:
                raise StageError(f"The {name} stage in {folder} was computed with other {what} ({k}: "
                                 f"{have.get(k)!r}, this notebook needs {v!r}). Rerun {written_by} with the same "
                                 "parameters first.")
    return stage
