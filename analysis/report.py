"""Publishing figures and tables next to the data they were drawn from.

Notebooks call :func:`publish_figure` / :func:`publish_table`; every figure is
written as PNG and SVG together with the CSV behind it, so a reader can redraw
or audit it. The output folder comes from the ``report_dir`` notebook
parameter (``python -m analysis run --out ...``) or defaults to ``reports/``.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import pandas as pd

from .paths import REPORTS_DIR

__all__ = ["report_dir", "publish_figure", "publish_table", "atomic_write_bytes"]

_NAME = re.compile(r"^[a-z0-9][a-z0-9_\-]*$")


def report_dir(path: str | Path | None = None) -> Path:
    """Resolve (and create) the report folder: argument, ``$ANALYSIS_REPORT_DIR``, or ``reports/``."""
    folder = Path(path or os.environ.get("ANALYSIS_REPORT_DIR") or REPORTS_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file and rename, so readers never see half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


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
    fig.savefig(paths["png"], dpi=150, bbox_inches="tight", metadata={"Software": None})
    import matplotlib

    # A fixed hash salt makes SVG element ids (and so the file) identical across reruns.
    with matplotlib.rc_context({"svg.hashsalt": name}):
        fig.savefig(paths["svg"], bbox_inches="tight", metadata={"Date": None, "Creator": None})
    atomic_write_bytes(paths["csv"], data.to_csv(index=False, lineterminator="\n").encode("utf-8"))
    return paths
