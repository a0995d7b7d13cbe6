"""Reading corpus files of every supported format into raw records.

This module only *reads*: it turns a path into a list of raw record dicts with
canonical keys (see ``analysis/resources/corpus_column_aliases.csv``) and a
list of problems (bad JSON lines, unreadable files). Cleaning, dates and the
canonical table are built by :mod:`analysis.corpus.prepare`.

Supported inputs: a folder of ``.txt``/``.md``/``.html``/``.htm`` files (with an
optional ``metadata.csv`` beside them, matched on the ``doc_file`` column), a
single such file, ``.csv``, ``.jsonl``, ``.json`` (a list of records or a
NewsAPI response ``{"articles": [...]}``) and ``.parquet``. Column names are
matched case-insensitively; nested JSON (``source.name``) is flattened first.
A CSV may be comma-, semicolon-, tab- or pipe-delimited (detected, with a
warning when it is not commas). Nothing is ignored silently: duplicate column
names, a JSON key given twice and two columns for one field (``body`` and
``text``) are errors.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import warnings
from functools import lru_cache
from pathlib import Path

import pandas as pd

from analysis.corpus.encodings import TextDecodeError, decode_bytes
from analysis.paths import RESOURCES_DIR
from analysis.corpus.webpage import html_to_text

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


def map_columns(columns, *, source: str, require_text: bool = True) -> dict[str, str]:
    """Map found column names to canonical names, case-insensitively.

    Args:
        columns: Column names as found in the input.
        source: File name for error messages.
        require_text: Raise when no column maps to a text field (``False`` for
            metadata.csv, whose rows describe files that hold the text).

    Returns:
        ``{found_name: canonical_name}`` for every column that maps.

    Raises:
        CorpusInputError: Two or more columns map to the same field (``body``
            and ``text``; ``Date`` and ``published``): loading one would
            silently ignore the other, so the message names them all and asks
            to rename or drop all but one. Or no text-like column; the message
            lists the columns found and the names accepted.
    """
    canonical_of: dict[str, str] = {}
    for canonical, alias in _aliases():
        canonical_of.setdefault(alias, canonical)
    found: dict[str, list] = {}
    for col in columns:
        canonical = canonical_of.get(str(col).strip().lower())
        if canonical is not None:
            found.setdefault(canonical, []).append(col)
    clashes = {canonical: cols for canonical, cols in found.items() if len(cols) > 1}
    if clashes:
        listing = "; ".join(f"{[str(c) for c in cols]} all map to '{canonical}'"
                            for canonical, cols in clashes.items())
        raise CorpusInputError(
            f"{source}: several columns map to the same field: {listing}. Only one could be "
            "used and the other would be ignored; rename all but one (to a name not in "
            "analysis/resources/corpus_column_aliases.csv to keep it as an extra column) or "
            "drop them.")
    mapping = {cols[0]: canonical for canonical, cols in found.items()}
    if require_text and not set(found) & set(TEXT_FIELDS):
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
    if frame.columns.duplicated().any():  # a record dict would keep only the last of them
        dup = sorted(set(frame.columns[frame.columns.duplicated()]))
        raise CorpusInputError(f"{source}: duplicate column name(s) {dup}; only one of each could "
                               "be loaded. Rename or drop the duplicates.")
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


class _DuplicateKeyError(ValueError):
    """A JSON object names one key twice (``json`` would silently keep the last value)."""


def _unique_keys(pairs: list) -> dict:
    obj = {}
    for key, value in pairs:
        if key in obj:
            raise _DuplicateKeyError(key)
        obj[key] = value
    return obj


def _flat_clash(obj: dict, prefix: str = "", seen: set | None = None) -> str | None:
    """The first column name that flattening ``obj`` (as json_normalize does) would produce twice."""
    seen = set() if seen is None else seen
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            clash = _flat_clash(value, f"{name}.", seen)
            if clash:
                return clash
        elif name in seen:
            return name
        else:
            seen.add(name)
    return None


def _read_jsonl(path: Path) -> tuple[pd.DataFrame, list[dict]]:
    text, _ = decode_bytes(_read_bytes(path), source=str(path))
    rows, problems = [], []
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line, object_pairs_hook=_unique_keys)
        except json.JSONDecodeError as exc:
            problems.append({"source_path": str(path), "row": line_no, "reason": "bad_json_line",
                             "detail": f"line {line_no}: {exc.msg} (column {exc.colno})"})
            continue
        except _DuplicateKeyError as exc:
            problems.append({"source_path": str(path), "row": line_no, "reason": "bad_json_line",
                             "detail": f"line {line_no}: the key {exc.args[0]!r} appears twice "
                                       "(rename or remove one)"})
            continue
        if not isinstance(obj, dict):
            problems.append({"source_path": str(path), "row": line_no, "reason": "bad_json_line",
                             "detail": f"line {line_no}: a {type(obj).__name__}, not an object"})
            continue
        if clash := _flat_clash(obj):
            problems.append({"source_path": str(path), "row": line_no, "reason": "bad_json_line",
                             "detail": f"line {line_no}: the field {clash!r} is given twice (once "
                                       "nested, once dotted); rename or remove one"})
            continue
        rows.append(obj)
    frame = pd.json_normalize(rows) if rows else pd.DataFrame()
    return frame, problems


DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_SNIFF_ROWS = 50


def _sniff_delimiter(stream: io.StringIO) -> str:
    """Pick the delimiter that splits the header into 2+ columns and fits the most rows.

    Each of comma, semicolon, tab and pipe is tried on the first rows; a
    delimiter counts only if the header splits into two or more columns on it,
    and the one giving the largest share of the first 50 rows the header's
    field count wins (comma on ties). No candidate -> comma (a one-column CSV).
    """
    best, best_key = ",", None
    for delimiter in DELIMITERS:
        stream.seek(0)
        try:
            rows = [r for r in itertools.islice(csv.reader(stream, delimiter=delimiter),
                                                _SNIFF_ROWS + 1) if r]
        except csv.Error:
            continue
        if not rows or len(rows[0]) < 2:
            continue
        body = rows[1:]
        fit = sum(len(r) == len(rows[0]) for r in body) / len(body) if body else 1.0
        key = (fit, delimiter == ",", len(rows[0]))
        if best_key is None or key > best_key:
            best, best_key = delimiter, key
    stream.seek(0)
    return best


def _read_csv(path: Path) -> tuple[pd.DataFrame, list[dict]]:
    """Read a CSV with the csv module so that *every* malformed row is reported by line.

    The delimiter is detected (see :func:`_sniff_delimiter`); a file that is not
    comma-delimited is read with its own delimiter and a warning says so.
    """
    text, _ = decode_bytes(_read_bytes(path), source=str(path))
    stream = io.StringIO(text, newline="")
    delimiter = _sniff_delimiter(stream)
    reader = csv.reader(stream, delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise CorpusInputError(f"{path}: no header row.") from None
    except csv.Error as exc:
        raise CorpusInputError(f"{path}: the header row does not parse as CSV ({exc}); fix its "
                               "quoting.") from exc
    how = "" if delimiter == "," else f" (read as {DELIMITERS[delimiter]}-delimited)"
    if how:
        warnings.warn(f"{path}: this file is {DELIMITERS[delimiter]}-delimited, not "
                      f"comma-delimited; read it with {delimiter!r} as the delimiter "
                      f"({len(header)} columns: {header}).", stacklevel=4)
    duplicated = sorted({name for name in header if header.count(name) > 1})
    if duplicated:
        raise CorpusInputError(f"{path}: duplicate column name(s) {duplicated} in the header"
                               f"{how}; only one of each could be loaded. Rename or drop the "
                               "duplicates.")
    rows, problems, start_line = [], [], reader.line_num + 1
    try:
        for fields in reader:
            if fields and len(fields) != len(header):
                problems.append({"source_path": str(path), "row": start_line, "reason": "bad_csv_row",
                                 "detail": f"line {start_line}: {len(fields)} fields, header has "
                                           f"{len(header)}{how}"})
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
        obj = json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        raise CorpusInputError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg}). "
                               "For one record per line use the .jsonl extension.") from exc
    except _DuplicateKeyError as exc:
        raise CorpusInputError(f"{path}: an object has the key {exc.args[0]!r} twice, so one of "
                               "its values would be lost; rename or remove one.") from exc
    if isinstance(obj, dict) and isinstance(obj.get("articles"), list):
        obj = obj["articles"]
    if not isinstance(obj, list) or not all(isinstance(o, dict) for o in obj):
        raise CorpusInputError(f"{path}: expected a list of article objects or a NewsAPI "
                               "response with an 'articles' list.")
    for number, record in enumerate(obj, start=1):
        if clash := _flat_clash(record):
            raise CorpusInputError(f"{path}: article {number} gives the field {clash!r} twice (once "
                                   "nested, once dotted), so one value would be lost; rename or "
                                   "remove one.")
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
    frame, problems = _read_csv(path)
    if problems:
        raise CorpusInputError(f"{path}: {len(problems)} malformed row(s): "
                               + "; ".join(p["detail"] for p in problems) + ". Fix them.")
    frame = frame.rename(columns=map_columns(frame.columns, source=str(path), require_text=False))
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
        except (CorpusInputError, TextDecodeError) as exc:  # a binary or undecodable file is a bad input too
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
        on_bad_lines: ``"error"`` raises listing every bad JSON line (including
            an object with a key given twice), CSV row (wrong number of fields)
            or unreadable file;
            ``"skip"`` returns them as problems and goes on with the rest.

    Returns:
        ``(records, problems)``. Each record has ``source_path``, ``row`` and the
        canonical keys found (text, description, title, outlet, published, url,
        language, doc_id, ...); each problem has source_path, row, reason
        (bad_json_line, bad_csv_row, unreadable_file), detail.

    Raises:
        CorpusInputError: Missing path, zero-byte or unreadable file, unsupported
            extension, no text column, duplicate column names (or a .json key
            given twice), several columns mapping to one field, a malformed
            metadata.csv, or bad lines with ``on_bad_lines="error"``.

    Warns:
        UserWarning: A CSV read with a delimiter other than a comma.
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
