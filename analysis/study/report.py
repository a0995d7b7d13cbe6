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

__all__ = ["report_dir", "publish_figure", "publish_table", "compare_reports", "QUOTE_WORDS", "shorten_quote",
           "quote_passages"]

#: Most words of third-party text a committed report quotes in one passage (the study's data rule).
QUOTE_WORDS = 30
ELLIPSIS = "\u2026"

_NAME = re.compile(r"^[a-z0-9][a-z0-9_\-]*$")


def report_dir(path: str | Path | None = None) -> Path:
    """Resolve (and create) the report folder: argument, ``$ANALYSIS_REPORT_DIR``, or ``reports/``."""
    folder = Path(path or os.environ.get("ANALYSIS_REPORT_DIR") or REPORTS_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _check_quote_words(max_words) -> int | None:
    if max_words is None:
        return None
    if isinstance(max_words, bool) or not isinstance(max_words, int) or max_words < 1:
        raise ValueError(f"quote_words must be a positive whole number of words (or None for whole passages), "
                         f"got {max_words!r}; the committed reports use {QUOTE_WORDS}.")
    return max_words


def _bare(word: str) -> str:
    """A word without surrounding punctuation or a possessive, lower-cased ("Japan's," -> "japan")."""
    word = word.strip(".,;:!?()[]{}\"'\u201c\u201d\u2018\u2019\u2014\u2013-").lower()
    for suffix in ("'s", "\u2019s"):
        if word.endswith(suffix):
            word = word[: -len(suffix)]
    return word


def _find_words(words: list[str], needle: str) -> int | None:
    """Index of the first word where the words of ``needle`` stand in sequence (whole words), else a word that
    begins with its first word ("Chinese-developed" for "Chinese"), else None."""
    target = [_bare(w) for w in str(needle).split() if _bare(w)]
    if not target:
        return None
    bare = [_bare(w) for w in words]
    k = len(target)
    for i in range(len(bare) - k + 1):
        if bare[i:i + k] == target:
            return i
    return next((i for i, w in enumerate(bare) if w.startswith(target[0])), None)


def shorten_quote(text, max_words: int | None = QUOTE_WORDS, *, around: str | None = None):
    """Return at most ``max_words`` words of ``text``, marking each cut with an ellipsis.

    The window keeps the first whole-word occurrence of ``around`` (e.g. the country mention the passage is
    evidence for; punctuation and a possessive are ignored, so "Japan's," is found for "Japan") near its middle;
    without ``around``, or when it is not found, the passage's first words are kept.
    Whitespace inside the kept words is normalised to single spaces only when the passage is cut.

    Args:
        text: The passage; a missing value (None, NaN) is returned unchanged.
        max_words: Most words kept; ``None`` keeps the whole passage (for a report that stays private).
        around: Text to keep in the window, matched case-insensitively.

    Raises:
        ValueError: ``max_words`` is not a positive whole number or None.
    """
    max_words = _check_quote_words(max_words)
    if max_words is None or not isinstance(text, str):
        return text
    words = text.split()
    if len(words) <= max_words:
        return text
    start = 0
    hit = _find_words(words, around) if around else None
    if hit is not None:
        start = min(max(hit - max_words // 2, 0), len(words) - max_words)
    kept = " ".join(words[start:start + max_words])
    return (ELLIPSIS + " " if start > 0 else "") + kept + (" " + ELLIPSIS if start + max_words < len(words) else "")


def quote_passages(table: pd.DataFrame, columns, max_words: int | None = QUOTE_WORDS, *,
                   around: str | None = None, articles: pd.DataFrame | None = None) -> pd.DataFrame:
    """Cut the passages of ``table`` to ``max_words`` words and set each beside its outlet and link.

    Used by every notebook cell that shows article text, so that a report written with the default quotes no
    passage longer than :data:`QUOTE_WORDS` words (the data rule for committed reports of third-party text).

    Args:
        table: Rows with passages (and a ``doc_id`` column to attribute them).
        columns: The text columns to cut; a column the table lacks is an error (a renamed column would
            otherwise pass uncut).
        max_words: Most words per passage; ``None`` keeps whole passages.
        around: Name of a column holding text to keep inside each window (e.g. ``alias``).
        articles: The corpus articles (``doc_id``, ``outlet`` and, when the corpus has it, ``url``): their outlet
            and link are added after ``doc_id`` where the table does not have them. With their ``text``, quotes
            of one article that overlap or adjoin each other are trimmed so that together they never give a
            run of more than ``max_words`` consecutive words of it (two adjacent sentences quoted in two rows).

    Returns:
        A copy of ``table``.

    Raises:
        ValueError: A column named in ``columns`` or ``around`` is missing, or ``max_words`` is invalid.
    """
    _check_quote_words(max_words)
    columns = [columns] if isinstance(columns, str) else list(columns)
    missing = [c for c in columns + ([around] if around else []) if c not in table.columns]
    if missing:
        raise ValueError(f"quote_passages: column(s) {missing} not in the table (columns: {list(table.columns)}).")
    out = table.copy()
    for col in columns:
        hints = out[around] if around else [None] * len(out)
        out[col] = [shorten_quote(text, max_words, around=str(hint).split("|")[0] if isinstance(hint, str) else None)
                    for text, hint in zip(out[col], hints)]
    if max_words is not None and articles is not None and "doc_id" in out.columns and "text" in articles.columns:
        texts = articles.drop_duplicates("doc_id").set_index("doc_id")["text"]
        for col in columns:
            out[col] = _separate(out[col], out["doc_id"], texts, max_words)
    if articles is not None and "doc_id" in out.columns:
        extra = [c for c in ("outlet", "url") if c in articles.columns and c not in out.columns]
        if extra:
            lookup = articles.drop_duplicates("doc_id").set_index("doc_id")[extra]
            at = list(out.columns).index("doc_id") + 1
            for offset, col in enumerate(extra):
                out.insert(at + offset, col, out["doc_id"].map(lookup[col]).fillna("").to_numpy())
    return out


def _locate(words: list[str], article: list[str]) -> tuple[int, int] | None:
    """Word span of ``words`` (a quote, ellipses removed) in ``article``, or None when it is not found verbatim."""
    if not words:
        return None
    first = words[0]
    for i, w in enumerate(article):
        if w == first and article[i:i + len(words)] == words:
            return i, i + len(words)
    return None


def _separate(passages: pd.Series, doc_ids: pd.Series, texts: pd.Series, max_words: int) -> list:
    """Trim quotes of one article so that no run of more than ``max_words`` of its words is quoted in all."""
    kept: dict[str, list[tuple[int, int]]] = {}
    out = []
    for passage, doc in zip(passages, doc_ids):
        if not isinstance(passage, str) or doc not in texts.index or not isinstance(texts[doc], str):
            out.append(passage)
            continue
        article = texts[doc].split()
        words = [w for w in passage.split() if w != ELLIPSIS]
        span = _locate(words, article)
        if span is None:
            out.append(passage)
            continue
        spans = kept.setdefault(doc, [])
        if _joint_run(spans, span) <= max_words:  # alone, or repeating words already quoted
            spans.append(span)
            out.append(passage)
            continue
        covered = set()
        for a, b in spans:
            covered.update(range(a - 1, b + 1))  # a trimmed quote may not touch another: a one-word gap at least
        run = _longest_run([i for i in range(*span) if i not in covered])
        if len(run) < 3:
            out.append(ELLIPSIS + " (overlaps a passage quoted above) " + ELLIPSIS)
            continue
        a, b = run[0], run[-1] + 1
        spans.append((a, b))
        out.append((ELLIPSIS + " " if a > 0 else "") + " ".join(article[a:b]) + (" " + ELLIPSIS if b < len(article) else ""))
    return out


def _longest_run(positions: list[int]) -> list[int]:
    best, current = [], []
    for p in positions:
        current = current + [p] if current and p == current[-1] + 1 else [p]
        if len(current) > len(best):
            best = current
    return best


def _joint_run(spans: list[tuple[int, int]], span: tuple[int, int]) -> int:
    """Length of the longest run of consecutive quoted words once ``span`` is added to ``spans``."""
    covered = sorted({i for a, b in spans + [span] for i in range(a, b)})
    return len(_longest_run(covered))


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
