"""Project paths built from one root, and access to the shared public datasets.

Every path the package uses is derived here, so a study never hard-codes ``../``.
The shared benchmark datasets live outside the repository (they are never
committed); set ``ANALYSIS_SHARED_DATASETS`` to point elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
RESOURCES_DIR = PACKAGE_DIR / "resources"
PROJECT_ROOT = PACKAGE_DIR.parent
DATA_DIR = PROJECT_ROOT / "data"
RAW_DIR = DATA_DIR / "raw"
SEED_CORPUS_DIR = RAW_DIR / "seeds"
#: Regenerable caches; ``$ANALYSIS_INTERIM_DIR`` / ``$ANALYSIS_PROCESSED_DIR`` move them (the test
#: command points them at empty folders to prove a cold run reproduces the committed study).
INTERIM_DIR = Path(os.environ.get("ANALYSIS_INTERIM_DIR") or DATA_DIR / "interim")
PROCESSED_DIR = Path(os.environ.get("ANALYSIS_PROCESSED_DIR") or DATA_DIR / "processed")
#: Third-party pages collected for coding (the text is never committed; the annotations point into it).
COLLECTED_DIR = Path(os.environ.get("ANALYSIS_COLLECTED_DIR") or DATA_DIR / "external" / "ai_news_pages")
ANNOTATIONS_DIR = DATA_DIR / "annotations"
REPORTS_DIR = PROJECT_ROOT / "reports"
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"

__all__ = [
    "PACKAGE_DIR", "RESOURCES_DIR", "PROJECT_ROOT", "DATA_DIR", "RAW_DIR",
    "SEED_CORPUS_DIR", "INTERIM_DIR", "PROCESSED_DIR", "REPORTS_DIR", "COLLECTED_DIR", "ANNOTATIONS_DIR",
    "NOTEBOOKS_DIR", "DatasetMissingError", "shared_datasets_dir", "dataset_path",
]


class DatasetMissingError(FileNotFoundError):
    """A shared public dataset is not available on this machine."""


def shared_datasets_dir() -> Path:
    """Return the folder holding the shared public datasets.

    ``$ANALYSIS_SHARED_DATASETS`` wins; otherwise ``<project>/../shared/datasets``.
    """
    env = os.environ.get("ANALYSIS_SHARED_DATASETS")
    return Path(env) if env else PROJECT_ROOT.parent / "shared" / "datasets"


def dataset_path(name: str, filename: str | None = None) -> Path:
    """Locate a shared dataset folder (or a file inside it).

    Args:
        name: Dataset folder name, e.g. ``"newsmtsc"``.
        filename: Optional file inside that folder.

    Returns:
        The existing path.

    Raises:
        DatasetMissingError: The folder or file does not exist; the message says
            where it was looked for and how to point the package at a copy.
    """
    path = shared_datasets_dir() / name
    if filename is not None:
        path = path / filename
    if not path.exists():
        raise DatasetMissingError(
            f"Shared dataset {name!r} not found at {path}. This public benchmark data is "
            "not shipped with the package; place it there or set ANALYSIS_SHARED_DATASETS "
            "to the folder that contains it. Validation and benchmarks skip without it."
        )
    return path
