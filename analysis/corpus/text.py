"""Turning raw news bytes into clean article text, with every removal logged.

The steps, in the order :func:`analysis.corpus.prepare.load_corpus` applies them:

1. :func:`decode_bytes` (from :mod:`analysis.corpus.encodings`) detects the encoding
   and decodes, refusing binary files.
2. :func:`normalize_text` repairs mojibake with ftfy, unifies line breaks and
   applies Unicode NFC. It is the only step that may *change* characters.
3. :func:`clean_text` applies the boilerplate rules of
   ``analysis/resources/boilerplate_rules.csv`` and detects a headline. It only
   *deletes* text (the cleaned text is a subsequence of the normalised input),
   and every deletion is returned as a log row.

Dates stated in the head of the text ("Published January 29, 2025",
"31 January 2025") are captured by rules whose ``capture`` column is
``published``; :func:`parse_date` turns the captured string into a timestamp.

Rule scopes (column ``scope`` of the rules file):

- ``line``: a whole line (stripped) matches; removed wherever it is.
- ``head_line``: a whole line matches and sits in the head of the document
  (before the first body line; blank lines, other head lines and a detected
  headline may precede it).
- ``tail_line``: a whole line matches and sits at the end of the document.
- ``inline``: the matched span is removed wherever it occurs.
- ``html_block``: not applied to text; :func:`analysis.corpus.webpage.html_to_text`
  drops an HTML element when the pattern matches one of its class names, its
  id, role or aria-label (split into lower-case words joined by ``-``).

Headline rule (no regex): the first line of the document left after the head
rules is taken as the title when the caller has no title, the line has at most
``HEADLINE_MAX_WORDS`` words and ``HEADLINE_MAX_CHARS`` characters, does not end
with ``.``, ``,``, ``;`` or ``:`` and more text follows it. When the caller
already has a title, a first line equal to it (ignoring case and spaces) is
removed as a repeated headline.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import ftfy
import ftfy.badness
import pandas as pd

from analysis.corpus.encodings import BinaryFileError, TextDecodeError, decode_bytes
from analysis.paths import RESOURCES_DIR

__all__ = [
    "BoilerplateRule", "CleanResult", "TextDecodeError", "BinaryFileError", "decode_bytes",
    "normalize_text", "load_boilerplate_rules", "clean_text", "parse_date", "has_mojibake",
    "HEADLINE_MAX_WORDS", "HEADLINE_MAX_CHARS",
]

HEADLINE_MAX_WORDS = 20
HEADLINE_MAX_CHARS = 160
RULES_PATH = RESOURCES_DIR / "boilerplate_rules.csv"
_RULE_COLUMNS = ["name", "scope", "pattern", "flags", "capture", "reason"]
_SCOPES = {"line", "head_line", "tail_line", "inline", "html_block"}
# Encodings a non-UTF-8 news file plausibly uses; restricting the detector to
# them keeps it from picking exotic code pages for short texts.
@dataclass(frozen=True)
class BoilerplateRule:
    """One row of the boilerplate rules file, compiled."""

    name: str
    scope: str
    regex: re.Pattern
    capture: str
    reason: str


@dataclass
class CleanResult:
    """Output of :func:`clean_text`.

    Attributes:
        text: The cleaned text.
        title: Headline detected in the text ("" when none).
        captured: Metadata captured by rules, e.g. ``{"url": ..., "published": ...}``
            plus ``published_evidence`` (the whole line the date came from).
        log: One dict per removal with keys ``rule``, ``scope``, ``reason``,
            ``removed_text``, ``start`` (offset in the normalised input).
    """

    text: str
    title: str = ""
    captured: dict = field(default_factory=dict)
    log: list = field(default_factory=list)


def normalize_text(text: str) -> str:
    """Repair mojibake and normalise characters (the only step that changes characters).

    ftfy fixes text decoded with the wrong codec ("donâ€™t" -> "don't"), HTML
    entities, curly quotes (straightened so aliases match) and control
    characters; line breaks become ``\\n``; the result is NFC.
    """
    fixed = ftfy.fix_text(text)
    fixed = fixed.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    return unicodedata.normalize("NFC", fixed)


# A UTF-8 lead byte shown as Latin-1/cp1252 followed by a continuation byte
# shown the same way ("â€", "Ã©"): the cheap pre-check before ftfy's slower test.
_MOJIBAKE_HINT = re.compile("[\u00c2-\u00f4][\u0080-\u00bf\u0152-\u0178\u0192\u02c6-\u02dc\u2013-\u203a\u20ac\u2122]")


def has_mojibake(text: str) -> bool:
    """True when ``text`` shows signs of having been decoded with the wrong codec ("â€™")."""
    return bool(_MOJIBAKE_HINT.search(text)) and bool(ftfy.badness.is_bad(text))


@lru_cache(maxsize=8)
def _load_rules_cached(path: str) -> tuple[BoilerplateRule, ...]:
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in _RULE_COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(f"{path}: boilerplate rules file lacks columns {missing}; "
                         f"expected {_RULE_COLUMNS}, found {list(table.columns)}.")
    rules = []
    for row_no, row in enumerate(table.itertuples(index=False), start=2):
        if row.scope not in _SCOPES:
            raise ValueError(f"{path} line {row_no}: scope {row.scope!r} not one of {sorted(_SCOPES)}.")
        flags = (re.IGNORECASE if "i" in row.flags else 0) | (re.MULTILINE if "m" in row.flags else 0)
        try:
            regex = re.compile(row.pattern, flags)
        except re.error as exc:
            raise ValueError(f"{path} line {row_no} ({row.name}): bad regex: {exc}") from exc
        rules.append(BoilerplateRule(row.name, row.scope, regex, row.capture, row.reason))
    return tuple(rules)


def load_boilerplate_rules(path: str | Path | None = None) -> tuple[BoilerplateRule, ...]:
    """Read and compile the boilerplate rules file.

    Args:
        path: CSV with columns name, scope, pattern, flags, capture, reason;
            default ``analysis/resources/boilerplate_rules.csv``.

    Raises:
        ValueError: Missing columns, an unknown scope or a regex that does not compile.
    """
    return _load_rules_cached(str(path or RULES_PATH))


def _line_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each line, end excluding the newline."""
    spans, start = [], 0
    for line in text.split("\n"):
        spans.append((start, start + len(line)))
        start += len(line) + 1
    return spans


def _match_line(line: str, rules) -> tuple[BoilerplateRule, re.Match] | None:
    stripped = line.strip()
    if not stripped:
        return None
    for rule in rules:
        match = rule.regex.fullmatch(stripped)
        if match:
            return rule, match
    return None


def _is_headline(line: str, rest: str) -> bool:
    stripped = line.strip()
    return (0 < len(stripped) <= HEADLINE_MAX_CHARS
            and len(stripped.split()) <= HEADLINE_MAX_WORDS
            and stripped[-1] not in ".,;:"
            and len(rest.strip()) > len(stripped))


def _same_title(a: str, b: str) -> bool:
    return " ".join(a.lower().split()) == " ".join(b.lower().split())


def _plan_line_removals(text: str, rules, title: str) -> tuple[dict, str]:
    """Decide which lines go; returns {line_index: (rule_name, match|None)} and the title found."""
    spans = _line_spans(text)
    lines = [text[s:e] for s, e in spans]
    anywhere = [r for r in rules if r.scope == "line"]
    head = [r for r in rules if r.scope == "head_line"] + anywhere
    tail = [r for r in rules if r.scope == "tail_line"] + anywhere
    plan, found_title = {}, ""
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        hit = _match_line(line, head)
        if hit:
            plan[i] = (hit[0].name, hit[1])
        elif title and _same_title(line, title) and not found_title:
            plan[i], found_title = ("headline", None), line.strip()
        elif not title and not found_title and _is_headline(line, text[spans[i][1]:]):
            plan[i], found_title = ("headline", None), line.strip().lstrip("#").strip()
        else:
            break
    for i in range(len(lines) - 1, -1, -1):
        if i in plan or not lines[i].strip():
            continue
        hit = _match_line(lines[i], tail)
        if not hit:
            break
        plan[i] = (hit[0].name, hit[1])
    for i, line in enumerate(lines):
        if i not in plan:
            hit = _match_line(line, anywhere)
            if hit:
                plan[i] = (hit[0].name, hit[1])
    return plan, found_title


_HEADLINE_REASON = ("Headline at the top of the body; moved to the title column "
                    "(rule documented in analysis.corpus.text).")


def clean_text(text: str, *, rules=None, title: str = "") -> CleanResult:
    """Remove boilerplate from normalised text, logging every removal.

    Only deletes: the output is a subsequence of ``text``. Whole lines matched by
    a line rule are removed with their newline; inline matches are cut out; runs
    of more than one blank line are reduced to one and the ends are stripped.

    Args:
        text: Output of :func:`normalize_text`.
        rules: Compiled rules (default: :func:`load_boilerplate_rules`).
        title: The title already known from metadata ("" if none); when empty,
            a headline line at the top is moved out of the text into ``title``.

    Returns:
        A :class:`CleanResult`; its ``log`` rows have keys rule, scope, reason,
        removed_text, start.
    """
    rules = load_boilerplate_rules() if rules is None else rules
    by_name = {r.name: r for r in rules}
    plan, found_title = _plan_line_removals(text, rules, title)
    result = CleanResult(text="", title="" if title else found_title)
    spans = _line_spans(text)
    line_removals: list[tuple[int, int]] = []
    for i, (name, match) in sorted(plan.items()):
        start, end = spans[i]
        rule = by_name.get(name)
        result.log.append({"rule": name, "scope": rule.scope if rule else "headline",
                           "reason": rule.reason if rule else _HEADLINE_REASON,
                           "removed_text": text[start:end].strip(), "start": start})
        if rule and rule.capture and match is not None:
            value = match.groupdict().get(rule.capture) or match.group(0)
            if rule.capture not in result.captured:
                result.captured[rule.capture] = value.strip()
                result.captured[f"{rule.capture}_evidence"] = text[start:end].strip()
        line_removals.append((start, min(end + 1, len(text))))
    removed = _merge_spans(line_removals)
    for rule in (r for r in rules if r.scope == "inline"):
        removed = _apply_inline_rule(text, rule, removed, result.log)
    result.text = _tidy_whitespace(_cut(text, removed))
    result.log.sort(key=lambda row: row["start"])
    return result


def _apply_inline_rule(text: str, rule: BoilerplateRule, removed: list[tuple[int, int]],
                       log: list) -> list[tuple[int, int]]:
    """Cut one inline rule's matches, logging only what earlier rules left; returns the new ``removed``.

    An earlier rule may already have cut part of a match, so only the rest is
    logged. Matches of one regex come in order and do not overlap, so one
    forward sweep over the (sorted, disjoint) ``removed`` spans serves all of
    them: linear in matches + removals, where subtracting each match from every
    earlier removal was quadratic (a 50 MB file never finished). A zero-width
    match removes nothing and is not logged.
    """
    matches = [m for m in rule.regex.finditer(text) if m.end() > m.start()]
    fresh_spans = []
    for match, fresh in zip(matches, _uncovered([m.span() for m in matches], removed)):
        if not fresh:
            continue
        log.append({"rule": rule.name, "scope": rule.scope, "reason": rule.reason,
                    "removed_text": "".join(text[a:b] for a, b in fresh).strip(),
                    "start": fresh[0][0]})
        fresh_spans.extend(fresh)
    return _merge_spans(removed + fresh_spans) if fresh_spans else removed


def _merge_spans(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The union of (start, end) spans as sorted, disjoint, non-empty spans."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):  # two sorted runs: Timsort merges them in linear time
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _uncovered(spans: list[tuple[int, int]], covered: list[tuple[int, int]]
               ) -> list[list[tuple[int, int]]]:
    """For each span, its parts outside ``covered``, in order.

    Args:
        spans: (start, end) spans sorted by start and not overlapping (regex matches).
        covered: Sorted, disjoint spans (output of :func:`_merge_spans`).

    Returns:
        One list of (start, end) pieces per span (empty when fully covered).
    """
    result, j = [], 0
    for start, end in spans:
        while j < len(covered) and covered[j][1] <= start:
            j += 1  # later spans start later, so a span ending before this one never matters again
        pieces, position, k = [], start, j
        while k < len(covered) and covered[k][0] < end:
            if covered[k][0] > position:
                pieces.append((position, covered[k][0]))
            position = max(position, covered[k][1])
            k += 1
        if position < end:
            pieces.append((position, end))
        result.append(pieces)
    return result


def _cut(text: str, removed: list[tuple[int, int]]) -> str:
    """``text`` without the ``removed`` intervals (which may overlap)."""
    out, position = [], 0
    for start, end in sorted(removed):
        if start > position:
            out.append(text[position:start])
        position = max(position, end)
    out.append(text[position:])
    return "".join(out)


_BLANK_RUNS = re.compile(r"\n{3,}")


def _tidy_whitespace(text: str) -> str:
    """Delete trailing spaces and extra blank lines (deletions only).

    Line by line rather than with ``[ \\t]+(?=\\n)``: that regex backtracks
    quadratically on a long run of spaces that does not end a line.
    """
    text = "\n".join(line.rstrip(" \t") for line in text.split("\n"))
    text = _BLANK_RUNS.sub("\n\n", text)
    return text.strip()


_MONTHS = ("jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
           "sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?")
_DATE_PATTERNS = [
    re.compile(r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"),
    re.compile(rf"(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<mon>{_MONTHS})\.?,?\s+(?P<y>\d{{4}})", re.I),
    re.compile(rf"(?P<mon>{_MONTHS})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>\d{{4}})", re.I),
]


def parse_date(value: str) -> pd.Timestamp | None:
    """Find and parse one calendar date (with a year) in a short string.

    Accepts ISO ``2025-01-29``, ``29 January 2025``, ``January 29, 2025``,
    ``Jan. 29, 2025`` and ``Jan 29th 2025``. A date without a year
    ("November 28") or an impossible date returns ``None`` rather than a guess.

    Returns:
        A timezone-naive timestamp at midnight, or ``None``.
    """
    for pattern in _DATE_PATTERNS:
        match = pattern.search(value)
        if not match:
            continue
        parts = match.groupdict()
        month = int(parts["m"]) if parts.get("m") else _month_number(parts["mon"])
        try:
            return pd.Timestamp(year=int(parts["y"]), month=month, day=int(parts["d"]))
        except ValueError:
            return None
    return None


def _month_number(name: str) -> int:
    names = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    return names.index(name[:3].lower()) + 1
