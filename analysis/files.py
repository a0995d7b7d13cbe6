"""Small file-system helpers shared by the writers of the package."""

from __future__ import annotations

import os

__all__ = ["file_mode"]


def file_mode() -> int:
    """Permission bits an ordinary ``open()`` would give a new file under the current umask.

    ``tempfile.mkstemp`` creates 0600 files; the package writes through temporary files and
    renames them, so it applies this mode first (tables and reports are meant to be shared).
    """
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask
