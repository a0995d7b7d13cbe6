"""The canonical articles table and the processed corpus (articles, paragraphs, sentences).

:func:`load_corpus` reads any supported input (see :mod:`analysis.corpus.sources`),
repairs and cleans the text (see :mod:`analysis.corpus.text`), fills dates and URLs the
text states, and identifies the language. :func:`prepare_corpus` then excludes
empty, too-short, non-English and duplicate documents (each with a reason),
segments the rest and writes the processed tables, reusing them while the
input files, the parameters and the pipeline code are unchanged.

Conventions:

- ``published`` is timezone-naive UTC (``datetime64[ns]``): aware inputs are
  converted to UTC then made naive; naive inputs and dates stated in the text
  are taken as UTC. Missing dates are ``NaT``. Bare numbers are Unix time
  (s/ms/us/ns) or YYYYMMDD when that lands in 1990-2100, else rejected; the
  order of ``NN/NN/YYYY`` dates is decided per input file (``dayfirst``). How
  each date was read, or why it was rejected, is in ``date_evidence``.
- ``doc_id``: the file stem for folder input; the ``id``-like column for
  tables; otherwise ``<file stem>_<row:05d>``.
- NewsAPI-style records: ``text`` is the description and the content snippet
  joined by a blank line (the title stays in ``title``); the "[+N chars]"
  truncation marker is removed by a logged rule.
"""

from __future__ import annotations

import hashlib
import json
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis.corpus.duplicates import find_duplicates
from analysis.io import atomic_write_frame, atomic_write_json, sha256_file as _sha256_file
from analysis.corpus.language import detect_language
from analysis.paths import PROJECT_ROOT, PROCESSED_DIR, SEED_CORPUS_DIR
from analysis.stages import StageError, code_hash, make_manifest
from analysis.corpus.segmentation import SENTENCE_COLUMNS, PARAGRAPH_COLUMNS, segment_articles
from analysis.corpus.sources import METADATA_FILE, CorpusInputError, read_records
from analysis.corpus.dates import check_dayfirst, resolve_dates
from analysis.corpus.text import clean_text, has_mojibake, load_boilerplate_rules, normalize_text, parse_date

__all__ = ["load_corpus", "load_corpus_audited", "load_prepared", "PARAGRAPH_COLUMNS", "SENTENCE_COLUMNS", "prepare_corpus", "CorpusTables", "CorpusInputError",
           "default_out_dir", "ARTICLE_COLUMNS", "EXCLUSION_COLUMNS", "CLEANING_LOG_COLUMNS"]

ARTICLE_COLUMNS = ["doc_id", "outlet", "published", "title", "text", "raw_text", "url",
                   "language", "source_path"]
AUDIT_COLUMNS = ["encoding", "date_evidence", "language_evidence", "n_chars", "mojibake_repaired"]
EXCLUSION_COLUMNS = ["doc_id", "source_path", "reason", "detail", "duplicate_of"]
CLEANING_LOG_COLUMNS = ["doc_id", "source_path", "rule", "scope", "reason", "removed_text", "start"]
PIPELINE_VERSION = "1"
_OUTPUTS = ["articles.parquet", "paragraphs.parquet", "sentences.parquet", "exclusions.csv",
            "cleaning_log.csv"]
_RESOURCE_FILES = ["boilerplate_rules.csv", "corpus_column_aliases.csv",
                   "sentence_abbreviations.csv", "sentence_starters.csv",
                   "english_function_words.csv"]


@dataclass
class CorpusTables:
    """The processed corpus.

    Attributes:
        articles: Kept documents; columns ARTICLE_COLUMNS + encoding,
            date_evidence, language_evidence, n_chars, mojibake_repaired (+ any
            extra input columns).
        paragraphs: doc_id, para_id, start, end, text.
        sentences: doc_id, para_id, sent_id, start, end, text.
        exclusions: doc_id, source_path, reason, detail, duplicate_of.
        cleaning_log: doc_id, source_path, rule, scope, reason, removed_text, start.
        out_dir: Folder the tables were written to.
        reused: True when the tables were read from an up-to-date cache.
        key: The corpus stage's key (input files, parameters, code); downstream stages record it.
    """

    articles: pd.DataFrame
    paragraphs: pd.DataFrame
    sentences: pd.DataFrame
    exclusions: pd.DataFrame
    cleaning_log: pd.DataFrame
    out_dir: Path
    reused: bool = False
    key: str = ""


def _text_of(record: dict) -> str:
    """Join a NewsAPI-style description and body, skipping a body that repeats it."""
    description = str(record.get("description") or "").strip()
    body = str(record.get("text") or "")
    if description and body.strip().startswith(description.rstrip("…. ")):
        return body
    return "\n\n".join(part for part in (description, body) if part.strip())


def _language_code(value) -> str:
    """'EN', 'en-US', 'en_GB', 'English' -> 'en'; other values lower-cased, region dropped."""
    code = re.split(r"[-_ ]", str(value or "").strip().lower())[0]
    return "en" if code in {"english", "eng"} else code


def _build_row(record: dict, *, clean: bool, rules, date: tuple[pd.Timestamp | None, str]
               ) -> tuple[dict, list[dict]]:
    body = _text_of(record)
    raw = record["raw_text"] if "raw_text" in record else body
    title = str(record.get("title") or "").strip()
    normalised = normalize_text(body)
    log = []
    if clean:
        result = clean_text(normalised, rules=rules, title=title)
        text, title, captured, log = result.text, title or result.title, result.captured, result.log
    else:
        text, captured = normalised.strip(), {}
    published, evidence = date
    if published is None and captured.get("published") and parse_date(captured["published"]) is not None:
        published = parse_date(captured["published"])
        evidence = f"text: {captured['published_evidence']}" + (f"; {evidence}" if evidence else "")
    language = _language_code(record.get("language"))
    if language:
        lang_evidence = "metadata"
    else:
        language, _, lang_evidence = detect_language(f"{title}\n{text}")
    row = {k: v for k, v in record.items() if k not in {"description", "row", "load_note"}}
    row.update(outlet=str(record.get("outlet") or ""), published=published, title=title,
               text=text, raw_text=raw, url=str(record.get("url") or captured.get("url") or ""),
               language=language, encoding=record.get("encoding", ""), date_evidence=evidence,
               language_evidence=lang_evidence, n_chars=len(text),
               mojibake_repaired=has_mojibake(body))
    if record.get("load_note"):
        row["load_note"] = record["load_note"]
    return row, log


def _assign_ids(records: list[dict], source: Path) -> None:
    for record in records:
        if record.get("doc_id") in (None, ""):
            record["doc_id"] = f"{Path(record['source_path']).stem}_{record['row']:05d}"
        record["doc_id"] = str(record["doc_id"])
    ids = pd.Series([r["doc_id"] for r in records])
    if ids.duplicated().any():
        dup = sorted(ids[ids.duplicated()].unique())[:10]
        raise CorpusInputError(f"{source}: duplicate document ids {dup}; ids must be unique "
                               "(rename the id column to load with generated ids).")


def _display_path(file: Path, corpus: Path) -> str:
    """A portable source path: relative to the project root, else to the corpus's parent folder."""
    file = file.resolve()
    for base in (PROJECT_ROOT, corpus.resolve().parent):
        if file.is_relative_to(base):
            return file.relative_to(base).as_posix()
    return file.as_posix()


def load_corpus_audited(path: str | Path, *, clean: bool = True, on_bad_lines: str = "error",
                        rules_path: str | Path | None = None, dayfirst: bool | None = None
                        ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Load a corpus and return the articles with their audit trail.

    Same arguments as :func:`load_corpus`.

    Returns:
        ``(articles, cleaning_log, problems)``: the table :func:`load_corpus`
        returns; the removals (CLEANING_LOG_COLUMNS); the input problems skipped
        with ``on_bad_lines="skip"`` (EXCLUSION_COLUMNS, reason bad_json_line,
        bad_csv_row or unreadable_file). How each date was read is in the
        articles' ``date_evidence`` column.
    """
    check_dayfirst(dayfirst)
    path = Path(path)
    records, problems = read_records(path, on_bad_lines=on_bad_lines)
    if not records:
        raise CorpusInputError(f"{path}: no readable documents.")
    _assign_ids(records, path)
    dates = resolve_dates(records, dayfirst=dayfirst, group_of=lambda record: str(
        path / METADATA_FILE if "published" in record.get("metadata_fields", "").split(",")
        else record["source_path"]))
    for item in records + problems:
        item["source_path"] = _display_path(Path(item["source_path"]), path)
    rules = load_boilerplate_rules(rules_path) if clean else None
    rows, log_rows = [], []
    for record, date in zip(records, dates):
        row, log = _build_row(record, clean=clean, rules=rules, date=date)
        rows.append(row)
        log_rows.extend({"doc_id": row["doc_id"], "source_path": row["source_path"], **entry}
                        for entry in log)
    table = pd.DataFrame(rows)
    extras = [c for c in table.columns if c not in ARTICLE_COLUMNS + AUDIT_COLUMNS]
    table = table[ARTICLE_COLUMNS + AUDIT_COLUMNS + extras]
    table["published"] = pd.to_datetime(table["published"]).astype("datetime64[ns]")
    for problem in problems:
        problem.setdefault("doc_id", f"{Path(problem['source_path']).stem}:line{problem['row']}")
        problem.setdefault("duplicate_of", "")
    return (table, pd.DataFrame(log_rows, columns=CLEANING_LOG_COLUMNS),
            pd.DataFrame(problems, columns=EXCLUSION_COLUMNS))


def load_corpus(path: str | Path, *, clean: bool = True, on_bad_lines: str = "error",
                rules_path: str | Path | None = None, dayfirst: bool | None = None
                ) -> pd.DataFrame:
    """Load a corpus into the canonical articles table.

    Args:
        path: A folder of .txt/.md/.html files (optional metadata.csv beside
            them), a single such file, or a .csv/.jsonl/.json/.parquet table.
        clean: Apply the boilerplate rules (``False``: decode and normalise only).
        on_bad_lines: ``"error"`` fails listing every bad JSON line / unreadable
            file; ``"skip"`` loads the rest and warns naming the lines skipped
            (:func:`load_corpus_audited` returns them as a table).
        rules_path: Alternative boilerplate rules CSV.
        dayfirst: Order of numeric dates such as ``01/02/2025`` (also with ``.``
            or ``-`` and two-digit years). ``None`` (default) decides per input
            file (per metadata.csv for a folder): day-first if some date there
            is valid only day-first (``13/02/2025``), month-first if some is
            valid only month-first, an error if both occur, and month-first
            (``DEFAULT_DAYFIRST``, with a warning) if every date is ambiguous.
            ``True``/``False`` forces the order; dates invalid in it are left
            empty and warned about. The order used is stated in date_evidence.
            Bare numbers are read as Unix seconds/milliseconds/microseconds/
            nanoseconds or YYYYMMDD when that gives a date in 1990-2100, and
            are otherwise rejected (left empty, warned about, never 1970).

    Returns:
        One row per document: doc_id, outlet, published (naive UTC, may be NaT),
        title, text (cleaned), raw_text (decoded input), url, language,
        source_path (relative to the project root, else to the corpus's parent
        folder, so outputs never hold machine-specific paths), plus encoding,
        date_evidence, language_evidence, n_chars, mojibake_repaired and any
        unmapped input columns. The removals are in
        :func:`load_corpus_audited`'s cleaning log.

    Raises:
        CorpusInputError: Missing path, empty/unreadable file, unsupported
            format, no text column, duplicate column names or several columns
            for one field, duplicate ids, bad lines (with "error"), or dates of
            one file that mix day-first and month-first order (with
            ``dayfirst=None``).
        ValueError: ``dayfirst`` or ``on_bad_lines`` is not an accepted value.

    Example:
        >>> articles = load_corpus(SEED_CORPUS_DIR)  # doctest: +SKIP
    """
    table, _, problems = load_corpus_audited(path, clean=clean, on_bad_lines=on_bad_lines,
                                             rules_path=rules_path, dayfirst=dayfirst)
    if len(problems):
        warnings.warn(f"{path}: skipped {len(problems)} bad input(s): "
                      + "; ".join(problems["detail"].head(20)), stacklevel=2)
    return table


def _exclude(articles: pd.DataFrame, *, min_chars: int, languages, threshold: float
             ) -> pd.DataFrame:
    """Decide exclusions in order: empty, too short, language, exact/near duplicate."""
    rows = []

    def add(mask, reason, detail):
        for doc_id, source, text in zip(articles.loc[mask, "doc_id"],
                                        articles.loc[mask, "source_path"], detail[mask]):
            rows.append((doc_id, source, reason, text, ""))

    excluded = pd.Series(False, index=articles.index)
    empty = articles["n_chars"] == 0
    add(empty, "empty", "no text left after decoding and cleaning"
        + articles.get("load_note", pd.Series("", index=articles.index)).fillna("")
        .map(lambda note: f" ({note})" if note else ""))
    excluded |= empty
    short = ~excluded & (articles["n_chars"] < min_chars)
    add(short, "too_short", articles["n_chars"].map(lambda n: f"{n} characters < min_chars={min_chars}"))
    excluded |= short
    foreign = ~excluded & ~articles["language"].isin(list(languages))
    add(foreign, "non_english" if tuple(languages) == ("en",) else "language_not_kept",
        articles["language"] + " (" + articles["language_evidence"] + ")")
    excluded |= foreign
    duplicates = find_duplicates(articles.loc[~excluded, ["doc_id", "text"]], threshold=threshold)
    source = dict(zip(articles["doc_id"], articles["source_path"]))
    for dup in duplicates.itertuples(index=False):
        rows.append((dup.doc_id, source[dup.doc_id], f"{dup.kind}_duplicate",
                     f"Jaccard similarity {dup.similarity:.3f} of 5-word shingles with "
                     f"{dup.duplicate_of} (threshold {threshold})", dup.duplicate_of))
    return pd.DataFrame(rows, columns=EXCLUSION_COLUMNS)


def _input_hashes(path: Path) -> dict[str, str]:
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    return {str(p.relative_to(path) if path.is_dir() else p.name): _sha256_file(p) for p in files}


def _code_hash() -> str:
    """The corpus subpackage's code, the io helpers and the reference data it reads."""
    return code_hash(["corpus", "io.py", "paths.py"], resources=_RESOURCE_FILES)


def default_out_dir(path: Path) -> Path:
    """data/processed for the seed corpus; data/processed/<stem>-<hash8> for any other corpus."""
    resolved = path.resolve()
    if resolved == SEED_CORPUS_DIR.resolve():
        return PROCESSED_DIR
    key = hashlib.sha256(str(resolved).encode("utf-8")).hexdigest()[:8]
    return PROCESSED_DIR / f"{resolved.stem}-{key}"


def _read_outputs(out_dir: Path) -> dict[str, pd.DataFrame]:
    tables = {name: pd.read_parquet(out_dir / f"{name}.parquet")
              for name in ("articles", "paragraphs", "sentences")}
    for name in ("exclusions", "cleaning_log"):
        tables[name] = pd.read_csv(out_dir / f"{name}.csv", dtype=str, keep_default_na=False)
    if "start" in tables["cleaning_log"]:
        tables["cleaning_log"]["start"] = tables["cleaning_log"]["start"].astype("int64")
    return tables


def prepare_corpus(path: str | Path | None = None, *, out_dir: str | Path | None = None,
                   min_chars: int = 100, near_duplicate_threshold: float = 0.8,
                   languages: tuple[str, ...] = ("en",), on_bad_lines: str = "error",
                   dayfirst: bool | None = None, force: bool = False) -> CorpusTables:
    """Load, clean, filter and segment a corpus; write and cache the processed tables.

    Args:
        path: Corpus path (see :func:`load_corpus`); ``None`` = the bundled seeds.
        out_dir: Output folder; ``None`` = ``data/processed`` for the seeds and
            ``data/processed/<stem>-<hash of path>`` for other corpora.
        min_chars: Documents with fewer cleaned characters are excluded (too_short).
        near_duplicate_threshold: Jaccard similarity above which a later document
            is a near duplicate of an earlier one.
        languages: Language codes kept; others are excluded (non_english).
        on_bad_lines: See :func:`load_corpus`; skipped inputs appear in exclusions.
        dayfirst: Order of NN/NN/YYYY dates; see :func:`load_corpus`.
        force: Rebuild even when the cache is up to date.

    The warnings raised while reading the corpus (rejected dates, for example) are stored with the tables and
    raised again when they are reused, so a run from a warm cache says what the first run said.

    Returns:
        :class:`CorpusTables`. Files written atomically to ``out_dir``:
        articles.parquet, paragraphs.parquet, sentences.parquet,
        exclusions.csv, cleaning_log.csv and manifest.json (input sha256s,
        parameters and a hash of the pipeline code and resources).

    Raises:
        CorpusInputError: See :func:`load_corpus`.
        ValueError: A parameter out of range.
    """
    path = Path(path) if path is not None else SEED_CORPUS_DIR
    if min_chars < 0:
        raise ValueError(f"min_chars must be >= 0, got {min_chars}")
    check_dayfirst(dayfirst)
    if not path.exists():
        raise CorpusInputError(f"{path}: no such file or folder. Pass the corpus folder or file.")
    out_dir = Path(out_dir) if out_dir is not None else default_out_dir(path)
    manifest = make_manifest("corpus", inputs=_input_hashes(path), code=_code_hash(),
                             params={"min_chars": min_chars, "languages": list(languages),
                                     "near_duplicate_threshold": near_duplicate_threshold,
                                     "on_bad_lines": on_bad_lines, "dayfirst": dayfirst})
    manifest_path = out_dir / "manifest.json"
    if (not force and manifest_path.exists() and all((out_dir / f).exists() for f in _OUTPUTS + [_WARNINGS])
            and json.loads(manifest_path.read_text(encoding="utf-8")) == manifest):
        _reissue(json.loads((out_dir / _WARNINGS).read_text(encoding="utf-8")))
        return CorpusTables(**_read_outputs(out_dir), out_dir=out_dir, reused=True, key=manifest["key"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        articles, cleaning_log, problems = load_corpus_audited(path, on_bad_lines=on_bad_lines,
                                                               dayfirst=dayfirst)
    issued = list(dict.fromkeys((w.category.__name__, str(w.message)) for w in caught))
    exclusions = _exclude(articles, min_chars=min_chars, languages=languages,
                          threshold=near_duplicate_threshold)
    exclusions = pd.concat([problems, exclusions], ignore_index=True) if len(problems) else exclusions
    kept = articles[~articles["doc_id"].isin(exclusions["doc_id"])].reset_index(drop=True)
    paragraphs, sentences = segment_articles(kept)
    tables = {"articles": kept, "paragraphs": paragraphs, "sentences": sentences,
              "exclusions": exclusions, "cleaning_log": cleaning_log}
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest_path.unlink(missing_ok=True)
    for name, frame in tables.items():
        atomic_write_frame(frame, out_dir / (f"{name}.parquet" if name in {"articles", "paragraphs",
                                                                           "sentences"} else f"{name}.csv"))
    atomic_write_json(out_dir / _WARNINGS, [list(w) for w in issued])
    atomic_write_json(manifest_path, manifest)
    _reissue(issued)
    return CorpusTables(**_read_outputs(out_dir), out_dir=out_dir, reused=False, key=manifest["key"])


#: The warnings that reading the corpus raised (bad dates, repaired encodings...), kept with the prepared tables
#: so that a run that reuses them says the same as the run that made them.
_WARNINGS = "warnings.json"
_CATEGORIES = {c.__name__: c for c in (UserWarning, FutureWarning, DeprecationWarning, RuntimeWarning)}


def _reissue(issued) -> None:
    """Raise the recorded warnings again, in order, at the caller of :func:`prepare_corpus`."""
    for category, message in issued:
        warnings.warn(message, _CATEGORIES.get(category, UserWarning), stacklevel=3)


def load_prepared(path: str | Path | None = None, *, out_dir: str | Path | None = None,
                  dayfirst: bool | None = None) -> CorpusTables:
    """The processed corpus as :func:`prepare_corpus` (notebook 01) wrote it, with the parameters it used.

    Notebooks 02-06 read the corpus this way, so they analyse exactly the documents 01 reported
    (whatever ``min_chars`` or duplicate threshold it ran with) instead of preparing their own.

    Args:
        path: Corpus path; ``None`` = the bundled seeds.
        out_dir: As in :func:`prepare_corpus`.
        dayfirst: Must equal the order 01 used for NN/NN/YYYY dates.

    Raises:
        StageError: Not prepared yet, or the input files, the corpus code or ``dayfirst`` changed since;
            the message says to run 01_corpus.
    """
    path = Path(path) if path is not None else SEED_CORPUS_DIR
    if not path.exists():
        raise CorpusInputError(f"{path}: no such file or folder. Pass the corpus folder or file.")
    out_dir = Path(out_dir) if out_dir is not None else default_out_dir(path)
    manifest_path = out_dir / "manifest.json"
    rerun = "Run 01_corpus first (python -m analysis run runs every notebook in order)."
    if not manifest_path.is_file() or not all((out_dir / f).exists() for f in _OUTPUTS):
        raise StageError(f"{path} has not been prepared in {out_dir}. {rerun}")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    if manifest.get("inputs") != _input_hashes(path) or manifest.get("code") != _code_hash():
        raise StageError(f"{path}: the input files or the corpus code changed since it was prepared. {rerun}")
    if manifest["params"].get("dayfirst") != dayfirst:
        raise StageError(f"{path} was prepared with dayfirst={manifest['params'].get('dayfirst')!r}, this notebook "
                         f"has dayfirst={dayfirst!r}. Run 01_corpus with the same date order.")
    return CorpusTables(**_read_outputs(out_dir), out_dir=out_dir, reused=True, key=manifest["key"])
