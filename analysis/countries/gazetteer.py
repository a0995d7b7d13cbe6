"""The gazetteer as data: loading and validating aliases, exclusions and country colours.

Three CSV files in ``analysis/resources/`` make up the instrument; a user adds a
country or an alias by editing them or by passing their own file (or
DataFrame) to any function here or in :mod:`analysis.countries.measure`:

* ``gazetteer.csv``: ``country, alias, kind, case_sensitive, note``;
* ``gazetteer_exclusions.csv``: ``pattern, reason, example`` (regular expressions
  for text that looks like a country but is not one);
* ``country_colours.csv``: ``country, display_name, colour``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from analysis.paths import RESOURCES_DIR

__all__ = [
    "KINDS", "GazetteerError", "load_gazetteer", "load_exclusions", "load_country_table",
    "country_palette", "country_names", "canonical_alias", "compile_exclusions",
]

KINDS = ("name", "demonym", "place", "government", "person", "organisation")
GAZETTEER_PATH = RESOURCES_DIR / "gazetteer.csv"
EXCLUSIONS_PATH = RESOURCES_DIR / "gazetteer_exclusions.csv"
COUNTRY_TABLE_PATH = RESOURCES_DIR / "country_colours.csv"

_GAZETTEER_COLUMNS = ["country", "alias", "kind", "case_sensitive"]
_TRUE, _FALSE = {"true", "1", "yes"}, {"false", "0", "no"}
APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})
SPACE_RUN = re.compile(r"\s+")


class GazetteerError(ValueError):
    """A gazetteer or exclusion file is malformed; the message names the file and row."""


def _read_csv(source, what: str) -> tuple[pd.DataFrame, str]:
    if isinstance(source, pd.DataFrame):
        return source.copy(), f"<{what} DataFrame>"
    path = Path(source)
    if not path.exists():
        raise GazetteerError(f"{what} file {path} does not exist; pass an existing CSV path.")
    return pd.read_csv(path, dtype=str, keep_default_na=False), str(path)


def canonical_alias(alias: str) -> str:
    """Search key of an alias: one space per whitespace run, straight apostrophes, lower case."""
    return SPACE_RUN.sub(" ", alias.strip()).translate(APOSTROPHES).lower()


def load_gazetteer(path=None) -> pd.DataFrame:
    """Read and validate a gazetteer (aliases of the study's countries).

    Args:
        path: CSV path or DataFrame; ``None`` reads ``resources/gazetteer.csv``.
            Required columns ``country, alias, kind, case_sensitive``; ``note``
            is optional. ``kind`` is one of :data:`KINDS`.

    Returns:
        DataFrame ``country, alias, kind, case_sensitive (bool), note, row``
        (``row`` is the 1-based data row of the file, for error messages).

    Raises:
        GazetteerError: A missing column, an empty alias or country, an unknown
            kind or case flag, or one alias listed twice (in any case), with the
            offending row numbers.
    """
    table, name = _read_csv(GAZETTEER_PATH if path is None else path, "gazetteer")
    missing = [c for c in _GAZETTEER_COLUMNS if c not in table.columns]
    if missing:
        raise GazetteerError(f"{name}: missing column(s) {missing}; a gazetteer needs {_GAZETTEER_COLUMNS}.")
    table = table.fillna("").astype(str)
    if "note" not in table.columns:
        table["note"] = ""
    table["row"] = range(1, len(table) + 1)
    flags = []
    for rec in table.itertuples(index=False):
        where = f"{name} row {rec.row} (alias {rec.alias!r})"
        if not rec.alias.strip() or not rec.country.strip():
            raise GazetteerError(f"{where}: empty alias or country; fill it in or delete the row.")
        if rec.kind not in KINDS:
            raise GazetteerError(f"{where}: kind {rec.kind!r} is not one of {list(KINDS)}.")
        flag = rec.case_sensitive.strip().lower()
        if flag not in _TRUE | _FALSE:
            raise GazetteerError(
                f"{where}: case_sensitive must be true or false, got {rec.case_sensitive!r}.")
        flags.append(flag in _TRUE)
    table["case_sensitive"] = flags
    table["alias"] = table["alias"].str.strip()
    table["country"] = table["country"].str.strip()
    keys = table["alias"].map(canonical_alias)
    dup = keys[keys.duplicated(keep=False)]
    if not dup.empty:
        key = dup.iloc[0]
        rows = table.loc[keys == key, ["row", "country"]].to_records(index=False).tolist()
        raise GazetteerError(
            f"{name}: alias {key!r} is listed more than once (rows, countries: {rows}); "
            "an alias must map to exactly one country and kind: keep one row.")
    return table[["country", "alias", "kind", "case_sensitive", "note", "row"]].reset_index(drop=True)


def load_exclusions(path=None) -> pd.DataFrame:
    """Read and validate the exclusion patterns (text that must not count as a country).

    Args:
        path: CSV path or DataFrame with a ``pattern`` column (Python regular
            expression, case-sensitive unless it sets ``(?i)``) and optional
            ``reason`` and ``example``; ``None`` reads the bundled file.

    Returns:
        DataFrame ``pattern, reason, example, row``.

    Raises:
        GazetteerError: Missing ``pattern`` column, an empty pattern, an invalid
            regular expression, or a named group (reserved), naming the row.
    """
    table, name = _read_csv(EXCLUSIONS_PATH if path is None else path, "exclusions")
    if "pattern" not in table.columns:
        raise GazetteerError(f"{name}: missing column 'pattern' (columns: {list(table.columns)}).")
    table = table.fillna("").astype(str)
    for col in ("reason", "example"):
        if col not in table.columns:
            table[col] = ""
    table["row"] = range(1, len(table) + 1)
    for rec in table.itertuples(index=False):
        if not rec.pattern.strip():
            raise GazetteerError(f"{name} row {rec.row}: empty pattern; fill it in or delete the row.")
        try:
            compiled = re.compile(rec.pattern)
        except re.error as exc:
            raise GazetteerError(
                f"{name} row {rec.row}: invalid regular expression {rec.pattern!r}: {exc}.") from exc
        if compiled.groupindex:
            raise GazetteerError(
                f"{name} row {rec.row}: named groups are reserved; use (?:...) in {rec.pattern!r}.")
        try:
            compile_exclusions([rec.pattern, r"\bx"])
        except re.error as exc:
            raise GazetteerError(f"{name} row {rec.row}: {rec.pattern!r} cannot be combined with other rows "
                                 f"({exc}); "
                                 "put inline flags at the very start, e.g. (?i)...") from exc
    return table[["pattern", "reason", "example", "row"]].reset_index(drop=True)


_LEADING_FLAGS = re.compile(r"^\(\?([aiLmsux]+)\)")
_SIMPLE_GROUP = re.compile(r"\(\?:([^()]*)\)(?![?*{])")


def _starts_with_word(rest: str) -> bool:
    """Whether every match of ``rest`` begins with a letter or digit (so a leading \\b is (?<!\\w))."""
    if rest[:1].isalnum():
        return True
    m = _SIMPLE_GROUP.match(rest)
    return bool(m) and all(alt[:1].isalnum() for alt in m.group(1).split("|"))


def compile_exclusions(patterns) -> re.Pattern | None:
    """One compiled pattern for all exclusion rows (branch ``x<i>`` is row ``i``).

    Rows written as ``\\b`` + word are gathered behind a single ``(?<!\\w)``
    so the engine skips positions inside words once rather than once per row;
    the rest are tried as written. A leading global flag such as ``(?i)`` is
    scoped to its own row.
    """
    fast, slow = [], []
    for i, pattern in enumerate(patterns):
        flags = _LEADING_FLAGS.match(pattern)
        if flags:
            pattern = f"(?{flags.group(1)}:{pattern[flags.end():]})"
        if pattern.startswith(r"\b") and _starts_with_word(pattern[2:]):
            fast.append(f"(?P<x{i}>{pattern[2:]})")
        else:
            slow.append(f"(?P<x{i}>{pattern})")
    branches = ([r"(?<!\w)(?:" + "|".join(fast) + ")"] if fast else []) + slow
    return re.compile("|".join(branches)) if branches else None


def load_country_table(path=None) -> pd.DataFrame:
    """Read the country display names and colours (``country, display_name, colour``).

    Raises:
        GazetteerError: A missing column, a duplicated country or a colour that is not ``#rrggbb``.
    """
    table, name = _read_csv(COUNTRY_TABLE_PATH if path is None else path, "country table")
    missing = [c for c in ("country", "display_name", "colour") if c not in table.columns]
    if missing:
        raise GazetteerError(f"{name}: missing column(s) {missing}.")
    for i, rec in enumerate(table.itertuples(index=False), start=1):
        if not re.fullmatch(r"#[0-9a-fA-F]{6}", str(rec.colour)):
            raise GazetteerError(f"{name} row {i}: colour {rec.colour!r} is not of the form #rrggbb.")
    if table["country"].duplicated().any():
        twice = table.loc[table["country"].duplicated(), "country"].iloc[0]
        raise GazetteerError(f"{name}: country {twice!r} listed twice.")
    return table[["country", "display_name", "colour"]].reset_index(drop=True)


def country_palette(countries: Sequence[str] | None = None, *, path=None) -> dict[str, str]:
    """Colour per country code, for consistent figures across notebooks.

    Args:
        countries: Codes to return (in this order); ``None`` returns all.
            A code missing from the table gets a neutral grey rather than an error,
            so a user's new country still plots.
        path: Optional replacement for ``resources/country_colours.csv``.

    Returns:
        ``{code: "#rrggbb"}``.
    """
    table = load_country_table(path)
    colours = dict(zip(table["country"], table["colour"]))
    if countries is None:
        return colours
    return {c: colours.get(c, "#999999") for c in countries}


def country_names(*, path=None) -> dict[str, str]:
    """Display name per country code (``{"CHN": "China", ...}``) from the country table."""
    table = load_country_table(path)
    return dict(zip(table["country"], table["display_name"]))
