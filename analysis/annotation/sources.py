"""Where coded sentences come from: page identity, the held-out list and source documents."""

from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.parse import urlsplit

__all__ = ["normalise_url", "url_sha256", "load_heldout", "is_heldout"]


def normalise_url(url: str) -> str:
    """Return the page identity used by the held-out list: host without ``www.`` plus path.

    The host is lower-cased; scheme, query string, fragment and a trailing ``/`` are dropped.

    Example:
        >>> normalise_url("https://www.example.com/news/a-b/?x=1")
        'example.com/news/a-b'
    """
    if not isinstance(url, str) or not url.strip():
        raise ValueError(f"not a URL: {url!r}; give the page's full address (https://host/path)")
    text = url.strip()
    if "://" not in text:
        text = "//" + text
    parts = urlsplit(text)
    host = (parts.hostname or "").lower()
    if not host:
        raise ValueError(f"URL {url!r} has no host; give the page's full address (https://host/path)")
    if host.startswith("www."):
        host = host[4:]
    return host + parts.path.rstrip("/")


def url_sha256(url: str) -> str:
    """Return the sha256 hex digest of :func:`normalise_url` (the held-out list's key)."""
    return hashlib.sha256(normalise_url(url).encode("utf-8")).hexdigest()


def load_heldout(path: str | Path) -> frozenset[str]:
    """Read a held-out list: one sha256 hex digest per line; blank lines and ``#`` comments are skipped.

    Raises:
        ValueError: a line is not a 64-character hex digest (the message names the line).
    """
    path = Path(path)
    keys = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.strip().lower()
        if not line or line.startswith("#"):
            continue
        if len(line) != 64 or any(c not in "0123456789abcdef" for c in line):
            raise ValueError(f"{path} line {number}: {line[:20]!r} is not a sha256 hex digest")
        keys.add(line)
    return frozenset(keys)


def is_heldout(url: str, heldout: frozenset[str]) -> bool:
    """Return True when the page is on the held-out list and must not be collected, coded or tuned on."""
    return url_sha256(url) in heldout
