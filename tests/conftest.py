"""Shared fixtures: access to the public datasets (skip cleanly when absent)."""

from __future__ import annotations

import os

import pytest

from analysis.paths import DatasetMissingError, dataset_path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture
def shared_dataset():
    """Return a function ``(name, filename=None) -> Path`` that skips the test when the data is missing."""

    def _get(name: str, filename: str | None = None):
        try:
            return dataset_path(name, filename)
        except DatasetMissingError as exc:
            pytest.skip(str(exc))

    return _get
