"""Publishing figures and tables next to the data they were drawn from.

Notebooks call :func:`publish_figure` / :func:`publish_table`; every figure is
written as PNG and SVG together with the CSV behind it, so a reader can redraw
or audit it. The output folder comes from the ``report_dir`` notebook
parameter (``python -m analysis run --out ...``) or defaults to ``reports/``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd

from analysis.io import atomic_write, atomic_write_bytes
from analysis.paths import REPORTS_DIR

__all__ = ["report_dir", "publish_figure", "publish_table", "compare_reports"]

_NAME = re.compile(r"^[a-z0-9][a-z0-9_\-]*$")


def report_dir(path: str | Path | None = None) -> Path:
    """Resolve (and create) the report folder: argument, ``$ANALYSIS_REPORT_DIR``, or ``reports/``."""
    folder = Path(path or os.environ.get("ANALYSIS_REPORT_DIR") or REPORTS_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _check_name(name: str) -> None:
    if not _NAME.match(name):
        raise ValueError(f"Report item name {name!r} must be lower-case letters, digits, '_' or '-'.")


def publish_table(table: pd.DataFrame, name: str, *, out_dir: str | Path | None = None) -> Path:
    """Save ``table`` as ``<out>/tables/<name>.csv`` and return the path."""
    _check_name(name)
    path = report_dir(out_dir) / "tables" / f"{name}.csv"
    atomic_write_bytes(path, table.to_csv(index=False, lineterminator="\n").encode("utf-8"))
    return path


def publish_figure(fig, data: pd.DataFrame, name: str, *, out_dir: str | Path | None = None) -> dict[str, Path]:
    """Save ``fig`` as PNG and SVG plus the CSV it was drawn from under ``<out>/figures/``.

    SVG metadata dates are fixed so reruns produce identical files.

    Returns:
        ``{"png": path, "svg": path, "csv": path}``.
    """
    _check_name(name)
    folder = report_dir(out_dir) / "figures"
    folder.mkdir(parents=True, exist_ok=True)
    paths = {ext: folder / f"{name}.{ext}" for ext in ("png", "svg", "csv")}
    atomic_write(paths["png"], lambda tmp: fig.savefig(tmp, format="png", dpi=150, bbox_inches="tight",
                                                       metadata={"Software": None}))
    import matplotlib

    # A fixed hash salt makes SVG element ids (and so the file) identical across reruns.
    with matplotlib.rc_context({"svg.hashsalt": name}):
        atomic_write(paths["svg"], lambda tmp: fig.savefig(tmp, format="svg", bbox_inches="tight",
                                                           metadata={"Date": None, "Creator": None}))
    atomic_write_bytes(paths["csv"], data.to_csv(index=False, lineterminator="\n").encode("utf-8"))
    return paths


def compare_reports(candidate: str | Path, reference: str | Path = REPORTS_DIR, *, partial: bool = False
                    ) -> pd.DataFrame:
    """Compare, byte for byte, the tables and figures of a rerun with a reference report folder.

    Every file that ``candidate`` has under ``tables/`` and ``figures/`` must exist in
    ``reference`` with the same bytes, and (unless ``partial``) every such file of
    ``reference`` must have been written by the rerun: this is how a rerun on another
    machine (or under another CPU setting) shows that it reproduces the committed study.

    Args:
        candidate: Report folder written by a rerun (``python -m analysis run --out``,
            or ``$ANALYSIS_REPORT_DIR`` of a notebook run).
        reference: Folder to compare with; default the committed ``reports/``.
        partial: The rerun covered only some notebooks (``--only``): files it did not
            write are not reported.

    Returns:
        DataFrame ``file`` (relative path), ``status`` (``same``, ``differs``,
        ``missing in reference`` or ``missing in candidate``), sorted by file.

    Raises:
        ValueError: ``candidate`` has no ``tables/`` or ``figures/`` files to compare.
    """
    candidate, reference = Path(candidate), Path(reference)
    files = sorted(p.relative_to(candidate) for sub in ("tables", "figures") if (candidate / sub).is_dir()
                   for p in (candidate / sub).iterdir() if p.is_file() and not p.name.startswith("."))
    if not files:
        raise ValueError(f"{candidate} has no files under tables/ or figures/ to compare; pass the folder a "
                         "rerun wrote (its --out or $ANALYSIS_REPORT_DIR).")
    rows = []
    for rel in files:
        ref = reference / rel
        status = ("missing in reference" if not ref.is_file()
                  else "same" if ref.read_bytes() == (candidate / rel).read_bytes() else "differs")
        rows.append({"file": rel.as_posix(), "status": status})
    if not partial:
        written = set(files)
        for sub in ("tables", "figures"):
            if (reference / sub).is_dir():
                rows += [{"file": p.relative_to(reference).as_posix(), "status": "missing in candidate"}
                         for p in (reference / sub).iterdir()
                         if p.is_file() and not p.name.startswith(".") and p.relative_to(reference) not in written]
    return pd.DataFrame(rows, columns=["file", "status"]).sort_values("file", kind="stable").reset_index(drop=True)
