"""Publication dates of news records: numbers, day/month order, time zones.

Used by :mod:`analysis.corpus.prepare`. A date is read once, with its evidence kept:

- timezone-aware values are converted to UTC and made naive; naive values are
  taken as UTC;
- a bare number is Unix time (seconds, milliseconds, microseconds or
  nanoseconds) or ``YYYYMMDD`` when that lands between 1990 and 2100, and is
  rejected otherwise (never silently 1970); a year alone is not a date;
- the order of ``NN/NN/YYYY`` dates is decided per input file: a date valid
  only day-first (``13/02/2025``) makes the file day-first and vice versa; both
  kinds in one file is an error naming the rows; a file whose dates are all
  ambiguous is read month-first (:data:`DEFAULT_DAYFIRST`) with a warning;
  ``dayfirst=True/False`` sets the order explicitly.
"""

from __future__ import annotations

import math
import re
import warnings

import pandas as pd

from analysis.corpus.sources import CorpusInputError
from analysis.corpus.text import parse_date

__all__ = ["DEFAULT_DAYFIRST", "resolve_dates", "check_dayfirst", "parse_published"]


def parse_published(value) -> pd.Timestamp | None:
    """Parse a metadata date (not a bare number) to naive UTC; None when empty or unparseable."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        return parse_date(str(value))
    if pd.isna(stamp):
        return None
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp


# Dates a news corpus can plausibly hold; a number is read as Unix time only if it lands here.
_EARLIEST, _LATEST = pd.Timestamp("1990-01-01"), pd.Timestamp("2100-01-01")
_EPOCH_UNITS = (("s", "seconds", 1), ("ms", "milliseconds", 10**3),
                ("us", "microseconds", 10**6), ("ns", "nanoseconds", 10**9))
_NUMBER = re.compile(r"\s*[+-]?\d+(?:\.\d+)?\s*")
_NUMERIC_DATE = re.compile(r"\s*(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})(?!\d)(.*)", re.S)
_ORDER = {True: "day-first (DD/MM/YYYY)", False: "month-first (MM/DD/YYYY)"}
DEFAULT_DAYFIRST = False  # pandas' and dateutil's convention; used only when every date is ambiguous


def _read_number(value) -> tuple[pd.Timestamp | None, str]:
    """A bare number as a date: YYYYMMDD or Unix time (s/ms/us/ns), else ``(None, why not)``."""
    text = str(value).strip()
    number = value if isinstance(value, (int, float)) else (
        float(text) if "." in text else int(text))
    try:
        approx = float(number)
    except OverflowError:  # an integer beyond float range: certainly no date
        approx = math.inf
    if approx.is_integer() and 19900101 <= approx <= 21001231:
        try:
            return pd.Timestamp(str(int(number))), "YYYYMMDD"
        except ValueError:
            pass
    for unit, name, scale in _EPOCH_UNITS:
        if _EARLIEST.timestamp() <= approx / scale < _LATEST.timestamp():
            return pd.Timestamp(number, unit=unit), f"Unix {name}"
    if approx.is_integer() and _EARLIEST.year <= approx < _LATEST.year:
        return None, "a year alone is not a date (month and day missing); give the full date"
    return None, ("not a plausible date: as Unix seconds, milliseconds, microseconds or "
                  f"nanoseconds it falls outside {_EARLIEST.year}-{_LATEST.year}, and it is "
                  "not YYYYMMDD")


def _day_month(match: re.Match, dayfirst: bool) -> tuple[int, int, int] | None:
    """(year, month, day) of an NN/NN/YY(YY) match read in the given order; None if no such day."""
    first, _, second, year, _ = match.groups()
    day, month = (int(first), int(second)) if dayfirst else (int(second), int(first))
    year = int(year) + (0 if len(year) == 4 else 2000 if int(year) < 69 else 1900)  # POSIX %y
    try:
        pd.Timestamp(year=year, month=month, day=day)
    except ValueError:
        return None
    return year, month, day


def _where(record: dict) -> str:
    where = f"doc_id {record['doc_id']!r}"
    return where if "doc_file" in record else f"row {record['row'] + 1} ({where})"


def _resolve_order(source: str, matches: dict[int, re.Match], records: list[dict],
                   dayfirst: bool | None) -> tuple[bool, str]:
    """Choose the day/month order of one file's NN/NN/YYYY dates: ``(dayfirst, why)``."""
    if dayfirst is not None:
        return dayfirst, f"dayfirst={dayfirst}"
    only, ambiguous = {True: [], False: []}, []
    for i, match in matches.items():
        valid = {order: _day_month(match, order) is not None for order in (True, False)}
        if valid[True] != valid[False]:
            only[valid[True]].append(i)
        elif valid[True] and int(match.group(1)) != int(match.group(3)):
            ambiguous.append(i)

    def show(rows):
        return ", ".join(f"{_where(records[i])}: {records[i]['published']!r}" for i in rows[:5])

    if only[True] and only[False]:
        raise CorpusInputError(
            f"{source}: the published dates mix day-first and month-first order. Valid only "
            f"day-first: {show(only[True])}. Valid only month-first: {show(only[False])}. Fix "
            "those values, or pass dayfirst=True or dayfirst=False to choose the order (dates "
            "invalid in that order are then left empty and reported).")
    for order in (True, False):
        if only[order]:
            return order, f"inferred from {show(only[order][:1])}"
    if ambiguous:
        warnings.warn(
            f"{source}: {len(ambiguous)} published date(s) such as {show(ambiguous[:1])} are "
            f"valid both day-first and month-first; read them {_ORDER[DEFAULT_DAYFIRST]}, the "
            "default. Pass dayfirst=True if they are DD/MM/YYYY.", stacklevel=4)
    return DEFAULT_DAYFIRST, "default: no date in the file decides the order"


def _metadata_date(value) -> tuple[pd.Timestamp | None, str]:
    """Parse one metadata date that is not NN/NN/YYYY: ``(published or None, evidence)``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, ""
    if not isinstance(value, bool) and (isinstance(value, (int, float))
                                        or (isinstance(value, str) and _NUMBER.fullmatch(value))):
        stamp, how = _read_number(value)
        return stamp, f"metadata: {value} ({how})" if stamp is not None else \
            f"rejected metadata date {value}: {how}"
    stamp = None if isinstance(value, bool) else parse_published(value)
    return stamp, f"metadata: {value}" if stamp is not None else f"unparseable metadata date: {value}"


def resolve_dates(records: list[dict], *, dayfirst: bool | None, group_of
                   ) -> list[tuple[pd.Timestamp | None, str]]:
    """Parse each record's metadata date, deciding NN/NN/YYYY order per input file.

    Args:
        records: Raw records (with doc_id, row and the raw ``published`` value).
        dayfirst: ``True``/``False`` forces the order; ``None`` infers it per file.
        group_of: ``record -> name of the file its date came from``.

    Returns:
        One ``(published or None, date evidence)`` per record. Numbers are Unix
        time or YYYYMMDD, never 1970; implausible numbers and dates invalid in
        the chosen order are left empty, explained in the evidence and warned
        about, naming the file and rows.

    Raises:
        CorpusInputError: With ``dayfirst=None``, a file whose dates are valid
            only day-first in some rows and only month-first in others.
    """
    results = [(None, "")] * len(records)
    groups: dict[str, dict[int, re.Match]] = {}
    for i, record in enumerate(records):
        match = _NUMERIC_DATE.fullmatch(v) if isinstance(v := record.get("published"), str) else None
        if match is None:
            results[i] = _metadata_date(v)
        else:
            groups.setdefault(group_of(record), {})[i] = match
    for source, matches in groups.items():
        order, why = _resolve_order(source, matches, records, dayfirst)
        for i, match in matches.items():
            ymd, value = _day_month(match, order), records[i]["published"]
            stamp = None if ymd is None else parse_published(
                "{:04d}-{:02d}-{:02d}".format(*ymd) + match.group(5))
            results[i] = (stamp, f"metadata: {value} (read {_ORDER[order]}; {why})"
                          if stamp is not None else
                          f"rejected metadata date {value}: not a valid {_ORDER[order]} date")
    rejected: dict[str, list[str]] = {}
    for record, (_, evidence) in zip(records, results):
        if evidence.startswith("rejected"):
            rejected.setdefault(group_of(record), []).append(
                f"{_where(record)}: {record['published']!r}")
    for source, where in rejected.items():
        warnings.warn(f"{source}: {len(where)} published date(s) rejected and left empty (the "
                      f"reason is in date_evidence): {'; '.join(where[:10])}. Fix them in the "
                      "input.", stacklevel=4)
    return results


def check_dayfirst(dayfirst) -> None:
    """Refuse a ``dayfirst`` that is not True, False or None (a ValueError saying what each means)."""
    if dayfirst is not None and not isinstance(dayfirst, bool):
        raise ValueError(f"dayfirst must be True (NN/NN/YYYY dates are DD/MM/YYYY), False "
                         f"(MM/DD/YYYY) or None (decide per input file), got {dayfirst!r}")
