"""Stage artefacts: each step of the study writes its tables once and passes them on as files.

A stage (``corpus``, ``mentions``, ``topics``, ``sentiment``, ``frames``) is written to
``<corpus folder>/stages/<name>/``: one ``.parquet`` file per table, optional extra files (the
saved topic model) and ``manifest.json`` last. The manifest records

- ``inputs``: the keys of the stages it reads (the corpus stage records its input files' sha256s),
- ``params``: the parameters that change its result (scorer, codebook content hash, unit, seed, ...),
- ``code``: a hash of the source of the subpackages that compute it and of the reference data they read,
  computed from the files themselves (no hand-kept list of modules),

and its ``key`` is the sha256 of those three. A rerun reuses a stage whose manifest equals the one it
would write, and recomputes it when an input, a parameter or the code changed. Downstream stages name
their inputs by key, so a change propagates. To force a recomputation, delete the stage's folder (or
the whole ``data/processed``), or pass ``force=True`` to the stage function.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis.io import atomic_write_frame, atomic_write_json, sha256_json, tree_hash
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

    def __getitem__(self, table: str) -> pd.DataFrame:
        return self.tables[table]


def code_hash(code: Iterable[str], resources: Iterable[str] = ()) -> str:
    """Hash of the ``.py`` files of ``code`` (subpackages or modules, relative to ``analysis/``) and of the
    ``resources`` files or folders (relative to ``analysis/resources/``).

    Raises:
        FileNotFoundError: A named module or resource does not exist.
    """
    code_part = tree_hash([PACKAGE_DIR / c for c in code], root=PACKAGE_DIR, suffixes=_CODE_SUFFIXES)
    resource_part = tree_hash([RESOURCES_DIR / r for r in resources], root=PACKAGE_DIR)
    return sha256_json([code_part, resource_part])


def make_manifest(name: str, *, inputs: dict, params: dict, code: str) -> dict:
    """The manifest a stage would write; ``key`` hashes everything else."""
    body = {"stage": name, "inputs": inputs, "params": params, "code": code}
    return {**body, "key": sha256_json(body)}


def stage_dir(root: str | Path, name: str) -> Path:
    """``<root>/stages/<name>``, where ``root`` is the corpus's processed folder."""
    return Path(root) / "stages" / name


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
        frame = pd.read_parquet(folder / f"{table}.parquet")
        frame.attrs.update(manifest["attrs"].get(table, {}))
        tables[table] = frame
    return Stage(name=manifest["stage"], tables=tables, manifest=manifest, folder=folder, reused=True)


def write_stage(folder: str | Path, manifest: dict, tables: dict[str, pd.DataFrame], *,
                extra: Callable[[Path], list[str]] | None = None) -> Stage:
    """Write ``tables`` (and what ``extra(folder)`` writes, returning the file names) then the manifest.

    The old manifest is removed first, so a crash midway leaves no artefact that looks current.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MANIFEST).unlink(missing_ok=True)
    files, attrs = [], {}
    for table, frame in tables.items():
        atomic_write_frame(frame, folder / f"{table}.parquet")
        files.append(f"{table}.parquet")
        if frame.attrs:
            attrs[table] = json.loads(json.dumps(frame.attrs, default=str))
    if extra is not None:
        files += list(extra(folder))
    full = {**manifest, "tables": list(tables), "files": files, "attrs": attrs}
    atomic_write_json(folder / MANIFEST, full)
    return Stage(name=manifest["stage"], tables=tables, manifest=full, folder=folder, reused=False)


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
    tables = compute()
    if folder.exists():
        shutil.rmtree(folder)  # stale files of an older artefact must not linger beside the new one
    return write_stage(folder, wanted, tables, extra=extra)


def read_stage(root: str | Path, name: str, *, written_by: str, expect: dict | None = None,
               inputs: dict | None = None) -> Stage:
    """Read a stage written by another notebook, checking that it belongs to this corpus and these parameters.

    Args:
        root: The corpus's processed folder.
        name: Stage name.
        written_by: The notebook that writes it (named in the error).
        expect: Parameters that must equal the stored ones (e.g. the codebook's hash).
        inputs: Input keys that must equal the stored ones (e.g. the current corpus key).

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
    for what, want, have in (("inputs", inputs, stage.manifest["inputs"]), ("parameters", expect,
                                                                           stage.manifest["params"])):
        for k, v in (want or {}).items():
            if have.get(k) != v:
                raise StageError(f"The {name} stage in {folder} was computed with other {what} ({k}: "
                                 f"{have.get(k)!r}, this notebook needs {v!r}). Rerun {written_by} with the same "
                                 "parameters first.")
    return stage
