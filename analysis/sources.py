"""Reading corpus files of every supported format into raw records.

This module only *reads*: it turns a path into a list of raw record dicts with
canonical keys (see ``analysis/resources/corpus_column_aliases.csv``) and a
list of problems (bad JSON lines, unreadable files). Cleaning, dates and the
canonical table are built by :mod:`analysis.corpus`.

Supported inputs: a folder of ``.txt``/``.md``/``.html``/``.htm`` files (with an
optional ``metadata.csv`` beside them, matched on the ``doc_file`` column), a
single such file, ``.csv``, ``.jsonl``, ``.json`` (a list of records or a
NewsAPI response ``{"articles": [...]}``) and ``.parquet``. Column names are
matched case-insensitively; nested JSON (``source.name``) is flattened first.
"""

from __future__ import annotations

import csv
import io
import json
from functools import lru_cache
from pathlib import Path

import pandas as pd

from analysis.paths import RESOURCES_DIR
from analysis.text import decode_bytes
from analysis.webpage import html_to_text

__all__ = ["CorpusInputError", "read_records", "map_columns", "DOCUMENT_SUFFIXES"]

DOCUMENT_SUFFIXES = {".txt", ".md", ".html", ".htm"}
TABLE_SUFFIXES = {".csv", ".jsonl", ".json", ".parquet"}
METADATA_FILE = "metadata.csv"
TEXT_FIELDS = ("text", "description")


class CorpusInputError(ValueError):
    """Input that cannot be read as a corpus; the message names the file/row and the fix."""


@lru_cache(maxsize=1)
def _aliases() -> tuple[tuple[str, str], ...]:
    table = pd.read_csv(RESOURCES_DIR / "corpus_column_aliases.csv", dtype=str,
                        keep_default_na=False)
    return tuple(zip(table["canonical"], table["alias"].str.lower()))


def map_columns(columns, *, source: str) -> dict[str, str]:
    """Map found column names to canonical names, case-insensitively.

    Args:
        columns: Column names as found in the input.
        source: File name for error messages.

    Returns:
        ``{found_name: canonical_name}`` for every column that maps (the first
        alias in the aliases file wins when several columns map to one name).

    Raises:
        CorpusInputError: No text-like column; the message lists the columns
            found and the names accepted.
    """
    lower = {}
    for col in columns:
        lower.setdefault(str(col).strip().lower(), col)
    mapping, taken = {}, set()
    for canonical, alias in _aliases():
        if canonical in taken or alias not in lower or lower[alias] in mapping:
            continue
        mapping[lower[alias]] = canonical
        taken.add(canonical)
    if not taken & set(TEXT_FIELDS):
        accepted = sorted({a for c, a in _aliases() if c in TEXT_FIELDS})
        raise CorpusInputError(
            f"{source}: no text column. Columns found: {sorted(map(str, columns))}. "
            f"Expected one of: {accepted} (case-insensitive). Rename the column holding "
            "the article text or add it to analysis/resources/corpus_column_aliases.csv.")
    return mapping


def _check_readable(path: Path) -> None:
    if not path.exists():
        raise CorpusInputError(f"{path}: no such file or folder. Pass the corpus folder or file.")
    if path.is_file() and path.stat().st_size == 0:
        raise CorpusInputError(f"{path}: the file is empty (0 bytes); nothing to load.")


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CorpusInputError(f"{path}: cannot read the file ({exc.strerror}); "
                               "check its permissions.") from exc


def _records_from_frame(frame: pd.DataFrame, *, source: Path) -> list[dict]:
    frame = frame.rename(columns=lambda c: str(c))
    mapping = map_columns(frame.columns, source=str(source))
    renamed = frame.rename(columns=mapping)
    records = []
    for row_no, row in enumerate(renamed.to_dict("records")):
        record = {k: _scalar(v) for k, v in row.items()}
        record["source_path"] = str(source)
        record["row"] = row_no
        records.append(record)
    return records


def _scalar(value):
    """JSON-encode lists/dicts so every column is parquet-friendly; NaN -> None."""
    if isinstance(value, (list, dict, tuple)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if hasattr(value, "tolist") and not isinstance(value, str):
        return json.dumps(value.tolist(), ensure_ascii=False)
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return value


def _read_jsonl(path: Path) -> tuple[pd.DataFrame, list[dict]]:
    text, _ = decode_bytes(_read_bytes(path), source=str(path))
    rows, problems = [], []
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append({"source_path": str(path), "row": line_no, "reason": "bad_json_line",
                             "detail": f"line {line_no}: {exc.msg} (column {exc.colno})"})
            continue
        if not isinstance(obj, dict):
            problems.append({"source_path": str(path), "row": line_no, "reason": "bad_json_line",
                             "detail": f"line {line_no}: a {type(obj).__name__}, not an object"})
            continue
        rows.append(obj)
    frame = pd.json_normalize(rows) if rows else pd.DataFrame()
    return frame, problems


def _read_csv(path: Path) -> tuple[pd.DataFrame, list[dict]]:
    """Read a CSV with the csv module so that *every* malformed row is reported by line."""
    text, _ = decode_bytes(_read_bytes(path), source=str(path))
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise CorpusInputError(f"{path}: no header row.") from None
    rows, problems, start_line = [], [], reader.line_num + 1
    try:
        for fields in reader:
            if fields and len(fields) != len(header):
                problems.append({"source_path": str(path), "row": start_line, "reason": "bad_csv_row",
                                 "detail": f"line {start_line}: {len(fields)} fields, header has "
                                           f"{len(header)}"})
            elif fields:
                rows.append(fields)
            start_line = reader.line_num + 1
    except csv.Error as exc:
        raise CorpusInputError(f"{path} line {reader.line_num}: CSV does not parse ({exc}); fix the "
                               "quoting of that row.") from exc
    return pd.DataFrame(rows, columns=header, dtype=str), problems


def _read_json(path: Path) -> pd.DataFrame:
    text, _ = decode_bytes(_read_bytes(path), source=str(path))
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CorpusInputError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg}). "
                               "For one record per line use the .jsonl extension.") from exc
    if isinstance(obj, dict) and isinstance(obj.get("articles"), list):
        obj = obj["articles"]
    if not isinstance(obj, list) or not all(isinstance(o, dict) for o in obj):
        raise CorpusInputError(f"{path}: expected a list of article objects or a NewsAPI "
                               "response with an 'articles' list.")
    return pd.json_normalize(obj)


def _read_table(path: Path, on_bad_lines: str) -> tuple[list[dict], list[dict]]:
    suffix = path.suffix.lower()
    problems: list[dict] = []
    if suffix == ".csv":
        frame, problems = _read_csv(path)
    elif suffix == ".jsonl":
        frame, problems = _read_jsonl(path)
    elif suffix == ".json":
        frame = _read_json(path)
    else:
        try:
            frame = pd.read_parquet(path)
        except (OSError, ValueError) as exc:
            raise CorpusInputError(f"{path}: cannot read as parquet ({exc}).") from exc
    if problems and on_bad_lines == "error":
        listing = "; ".join(p["detail"] for p in problems)
        raise CorpusInputError(f"{path}: {len(problems)} line(s) are malformed: {listing}. Fix "
                               "them, or pass on_bad_lines='skip' to load the rest and report them.")
    if frame.empty:
        raise CorpusInputError(f"{path}: no records found.")
    return _records_from_frame(frame, source=path), problems


def _read_document(path: Path) -> dict:
    data = _read_bytes(path)
    record = {"source_path": str(path), "doc_id": path.stem, "doc_file": path.name, "row": 0}
    if not data:
        record.update(text="", raw_text="", encoding="", load_note="zero-byte file")
        return record
    text, encoding = decode_bytes(data, source=str(path))
    record.update(raw_text=text, encoding=encoding)
    if path.suffix.lower() in {".html", ".htm"}:
        page = html_to_text(text)
        record["text"] = page.pop("text")
        record.update({k: v for k, v in page.items() if v})
    else:
        record["text"] = text
    return record


def _read_metadata(path: Path) -> dict[str, dict]:
    text, _ = decode_bytes(_read_bytes(path), source=str(path))
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    lower = {c.lower(): c for c in frame.columns}
    mapping = {}
    for canonical, alias in _aliases():
        if alias in lower and canonical not in mapping.values() and lower[alias] not in mapping:
            mapping[lower[alias]] = canonical
    frame = frame.rename(columns=mapping)
    if "doc_file" not in frame.columns:
        raise CorpusInputError(f"{path}: metadata needs a 'doc_file' column naming each file; "
                               f"columns found: {list(frame.columns)}.")
    return {str(row["doc_file"]).strip(): {k: v for k, v in row.items() if v != "" and k != "doc_file"}
            for row in frame.to_dict("records")}


def _read_folder(folder: Path, on_bad_lines: str) -> tuple[list[dict], list[dict]]:
    files = sorted(p for p in folder.rglob("*")
                   if p.is_file() and p.suffix.lower() in DOCUMENT_SUFFIXES)
    if not files:
        raise CorpusInputError(f"{folder}: no {sorted(DOCUMENT_SUFFIXES)} files in this folder.")
    stems = pd.Series([p.stem for p in files])
    if stems.duplicated().any():
        clash = sorted(stems[stems.duplicated()].unique())
        raise CorpusInputError(f"{folder}: several files share the stem(s) {clash}; doc_id is the "
                               "file stem, so rename them.")
    metadata_path = folder / METADATA_FILE
    metadata = _read_metadata(metadata_path) if metadata_path.exists() else {}
    names = {p.name for p in files} | {p.stem for p in files}
    unknown = sorted(set(metadata) - names)
    if unknown:
        raise CorpusInputError(f"{metadata_path}: rows for files that do not exist: {unknown}.")
    records, problems = [], []
    for path in files:
        try:
            record = _read_document(path)
        except CorpusInputError as exc:
            if on_bad_lines == "error":
                raise
            problems.append({"source_path": str(path), "row": 0, "doc_id": path.stem,
                             "reason": "unreadable_file", "detail": str(exc)})
            continue
        extra = metadata.get(path.name) or metadata.get(path.stem) or {}
        record.update(extra)
        record["metadata_fields"] = ",".join(sorted(extra))
        records.append(record)
    return records, problems


def read_records(path: str | Path, *, on_bad_lines: str = "error") -> tuple[list[dict], list[dict]]:
    """Read a corpus path into raw records with canonical keys.

    Args:
        path: Folder, document file, .csv, .jsonl, .json or .parquet.
        on_bad_lines: ``"error"`` raises listing every bad JSON line, CSV row
            (wrong number of fields) or unreadable file;
            ``"skip"`` returns them as problems and goes on with the rest.

    Returns:
        ``(records, problems)``. Each record has ``source_path``, ``row`` and the
        canonical keys found (text, description, title, outlet, published, url,
        language, doc_id, ...); each problem has source_path, row, reason
        (bad_json_line, bad_csv_row, unreadable_file), detail.

    Raises:
        CorpusInputError: Missing path, zero-byte or unreadable file, unsupported
            extension, no text column, or bad lines with ``on_bad_lines="error"``.
    """
    if on_bad_lines not in {"error", "skip"}:
        raise ValueError(f"on_bad_lines must be 'error' or 'skip', got {on_bad_lines!r}")
    path = Path(path)
    _check_readable(path)
    if path.is_dir():
        return _read_folder(path, on_bad_lines)
    suffix = path.suffix.lower()
    if suffix in DOCUMENT_SUFFIXES:
        return [_read_document(path)], []
    if suffix in TABLE_SUFFIXES:
        return _read_table(path, on_bad_lines)
    raise CorpusInputError(f"{path}: unsupported extension {suffix!r}; use a folder of "
                           f"{sorted(DOCUMENT_SUFFIXES)} files or one of {sorted(TABLE_SUFFIXES)}.")
