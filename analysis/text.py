"""Turning raw news bytes into clean article text, with every removal logged.

The steps, in the order :func:`analysis.corpus.load_corpus` applies them:

1. :func:`decode_bytes` detects the encoding (BOM, strict UTF-8, then
   charset-normalizer among the encodings news text arrives in) and decodes.
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

Headline rule (no regex): the first line of the document left after the head
rules is taken as the title when the caller has no title, the line has at most
``HEADLINE_MAX_WORDS`` words and ``HEADLINE_MAX_CHARS`` characters, does not end
with ``.``, ``,``, ``;`` or ``:`` and more text follows it. When the caller
already has a title, a first line equal to it (ignoring case and spaces) is
removed as a repeated headline.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import charset_normalizer
import ftfy
import ftfy.badness
import pandas as pd

from analysis.paths import RESOURCES_DIR

__all__ = [
    "BoilerplateRule", "CleanResult", "decode_bytes", "normalize_text", "load_boilerplate_rules",
    "clean_text", "parse_date", "has_mojibake", "HEADLINE_MAX_WORDS", "HEADLINE_MAX_CHARS",
]

HEADLINE_MAX_WORDS = 20
HEADLINE_MAX_CHARS = 160
RULES_PATH = RESOURCES_DIR / "boilerplate_rules.csv"
_RULE_COLUMNS = ["name", "scope", "pattern", "flags", "capture", "reason"]
_SCOPES = {"line", "head_line", "tail_line", "inline"}
# Encodings a non-UTF-8 news file plausibly uses; restricting the detector to
# them keeps it from picking exotic code pages for short texts.
_CANDIDATE_ENCODINGS = ["cp1252", "gb18030", "big5", "shift_jis", "euc_kr", "cp1251", "latin_1"]
_BOMS = [(codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"),
         (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16")]


class TextDecodeError(ValueError):
    """Bytes that no candidate encoding decodes."""


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


def decode_bytes(data: bytes, *, source: str = "<bytes>") -> tuple[str, str]:
    """Decode raw bytes, detecting the encoding.

    Order: a byte-order mark wins; then strict UTF-8; then charset-normalizer
    restricted to common news encodings (cp1252, GB18030, Big5, Shift-JIS,
    EUC-KR, cp1251); finally Latin-1, which never fails.

    Args:
        data: The file content.
        source: Name used in error messages.

    Returns:
        ``(text, encoding)`` where encoding is the codec name used.

    Raises:
        TextDecodeError: ``data`` is not bytes.
    """
    if not isinstance(data, (bytes, bytearray)):
        raise TextDecodeError(f"{source}: expected bytes, got {type(data).__name__}")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding), encoding
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(bytes(data), cp_isolation=_CANDIDATE_ENCODINGS).best()
    if best is not None:
        return str(best), best.encoding
    return data.decode("latin_1"), "latin_1"


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
                    "(rule documented in analysis.text).")


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
    removed: list[tuple[int, int]] = []
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
        removed.append((start, min(end + 1, len(text))))
    for rule in (r for r in rules if r.scope == "inline"):
        for match in rule.regex.finditer(text):
            # An earlier rule may already have cut part of this span; log only the rest.
            fresh = _subtract(match.start(), match.end(), removed)
            if not fresh:
                continue
            result.log.append({"rule": rule.name, "scope": rule.scope, "reason": rule.reason,
                               "removed_text": "".join(text[a:b] for a, b in fresh).strip(),
                               "start": fresh[0][0]})
            removed.extend(fresh)
    kept = _cut(text, removed)
    result.text = _tidy_whitespace(kept)
    result.log.sort(key=lambda row: row["start"])
    return result


def _subtract(start: int, end: int, removed: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The parts of [start, end) not covered by the ``removed`` intervals."""
    pieces = [(start, end)]
    for r_start, r_end in removed:
        pieces = [part for a, b in pieces
                  for part in ((a, min(b, r_start)), (max(a, r_end), b)) if part[1] > part[0]]
    return pieces


def _cut(text: str, removed: list[tuple[int, int]]) -> str:
    """``text`` without the ``removed`` intervals (which may overlap)."""
    out, position = [], 0
    for start, end in sorted(removed):
        if start > position:
            out.append(text[position:start])
        position = max(position, end)
    out.append(text[position:])
    return "".join(out)


_TRAILING_SPACE = re.compile(r"[ \t]+(?=\n)")
_BLANK_RUNS = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")


def _tidy_whitespace(text: str) -> str:
    """Delete trailing spaces and extra blank lines (deletions only)."""
    text = _TRAILING_SPACE.sub("", text)
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
