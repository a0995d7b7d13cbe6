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
- ``html_block``: not applied to text; :func:`analysis.webpage.html_to_text`
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
_CANDIDATE_ENCODINGS = ["cp1252", "gb18030", "big5", "shift_jis", "euc_jp", "euc_kr", "cp1251",
                        "latin_1"]
_BOMS = [(codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"),
         (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16")]
# Leading bytes ("magic numbers") of binary formats that end up renamed .txt,
# with what to do about each.
_IMAGE = "an image holds no article text: remove it from the corpus (or OCR it if it is a scan)"
_ARCHIVE = "unpack it and put the text files it holds in the corpus instead"
_DOCUMENT = "extract its text (e.g. pdftotext, or 'Save as' plain text) into a UTF-8 .txt file"
_BINARY_SIGNATURES = [
    (b"\x89PNG\r\n\x1a\n", "a PNG image", _IMAGE), (b"GIF87a", "a GIF image", _IMAGE),
    (b"GIF89a", "a GIF image", _IMAGE), (b"\xff\xd8\xff", "a JPEG image", _IMAGE),
    (b"II*\x00", "a TIFF image", _IMAGE), (b"MM\x00*", "a TIFF image", _IMAGE),
    (b"%PDF-", "a PDF document", _DOCUMENT),
    (b"PK\x03\x04", "a ZIP archive (or a .docx/.xlsx/.odt/.epub, which are ZIP files)", _ARCHIVE),
    (b"PK\x05\x06", "an empty ZIP archive", _ARCHIVE), (b"\x1f\x8b", "a gzip archive", _ARCHIVE),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive", _ARCHIVE), (b"Rar!\x1a\x07", "a RAR archive", _ARCHIVE),
    (b"\xfd7zXZ\x00", "an xz archive", _ARCHIVE), (b"\x28\xb5\x2f\xfd", "a Zstandard archive", _ARCHIVE),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "a legacy Microsoft Office file (.doc/.xls/.ppt)", _DOCUMENT),
    (b"\x7fELF", "an ELF executable", "remove it from the corpus"),
    (b"SQLite format 3\x00", "an SQLite database", "export the articles to CSV or JSONL"),
]
# Bytes that no text in an ASCII-compatible encoding contains (tab, line breaks,
# form feed and ESC, which ISO-2022-JP uses, are allowed).
_CONTROL_BYTES = bytes(b for b in range(32) if b not in b"\t\n\x0b\x0c\r\x1b") + b"\x7f"
_SNIFF_BYTES = 1 << 16
_MAX_CONTROL_SHARE = 0.01
# Below this size valid UTF-8 is trusted whatever it holds: too few bytes to judge.
_MIN_SNIFF_SIZE = 1024
_UNICODE_WITHOUT_BOM = ("utf-32-le", "utf-32-be", "utf-16-le", "utf-16-be")
_JAPANESE_ENCODINGS = ("euc_jp", "shift_jis")
_ISO2022_JP_ESCAPES = (b"\x1b$B", b"\x1b$@", b"\x1b(J", b"\x1b(I")
_KANA = re.compile("[\u3040-\u30ff]")


class TextDecodeError(ValueError):
    """Bytes that cannot be decoded as text; the message names the source and the fix."""


class BinaryFileError(TextDecodeError):
    """Bytes of a binary file (image, PDF, archive, ...) where text was expected."""


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
    """Decode raw bytes, detecting the encoding; refuse binary files.

    Order:

    1. a byte-order mark wins;
    2. a known binary signature (PNG, JPEG, GIF, PDF, ZIP, ...) is refused;
    3. bytes holding control bytes (NUL, 0x01-0x1F: the high byte of every
       Latin, Cyrillic, Arabic, ... letter in UTF-16) are tried as UTF-16/UTF-32
       without BOM; the byte order whose reading looks like text wins;
    4. bytes still rich in control bytes are refused as binary (valid UTF-8
       under 1 KiB excepted: too short to judge);
    5. ISO-2022-JP (by its escape sequences), then strict UTF-8;
    6. charset-normalizer restricted to common news encodings (cp1252, GB18030,
       Big5, Shift_JIS, EUC-JP, EUC-KR, cp1251), with a kana check that
       prefers EUC-JP/Shift_JIS for Japanese;
    7. UTF-16 by plausibility, then Latin-1, which never fails.

    Args:
        data: The file content.
        source: Name used in error messages.

    Returns:
        ``(text, encoding)`` where encoding is the codec name used.

    Raises:
        TextDecodeError: ``data`` is not bytes; it has a byte-order mark but
            does not decode with it; or it reads as UTF-16/32 but is truncated.
        BinaryFileError: ``data`` is a binary file (the message names the type
            when it is recognised and says what to do).
    """
    if not isinstance(data, (bytes, bytearray)):
        raise TextDecodeError(f"{source}: expected bytes, got {type(data).__name__}")
    data = bytes(data)
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _decode_with_bom(data, encoding, source), encoding
    _refuse_known_binary(data, source)
    head = data[:_SNIFF_BYTES]
    utf8 = _strict(data, "utf-8")
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    # Control bytes (NUL above all) are what UTF-16/32 looks like byte by byte. Valid
    # UTF-8 (alphabetic scripts in UTF-16 can be) must also show the code-unit layout.
    if controls:
        unicode = _decode_unicode_without_bom(data, head, source, layout=utf8 is not None)
        if unicode is not None:
            return unicode
    share = controls / len(head) if head else 0.0
    if share >= _MAX_CONTROL_SHARE and (utf8 is None or len(data) >= _MIN_SNIFF_SIZE):
        raise BinaryFileError(
            f"{source}: looks like a binary file, not text: {share:.0%} of its first "
            f"{len(head):,} bytes are control bytes (NUL {head.count(0):,} times) that no text "
            "file contains, and it does not read as UTF-16/UTF-32 either. Remove it from the "
            "corpus, or convert it to a UTF-8 text file.")
    if any(escape in head for escape in _ISO2022_JP_ESCAPES):
        iso2022 = _strict(data, "iso2022_jp")
        if iso2022 is not None:
            return iso2022, "iso2022_jp"
    if utf8 is not None:
        return utf8, "utf-8"
    best = charset_normalizer.from_bytes(data, cp_isolation=_CANDIDATE_ENCODINGS).best()
    if best is not None:
        text, encoding = str(best), best.encoding
        if encoding not in _JAPANESE_ENCODINGS:
            return _prefer_japanese(data, text, encoding)
        return text, encoding
    return _decode_unicode_without_bom(data, head, source) or (data.decode("latin_1"), "latin_1")


def _strict(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def _decode_with_bom(data: bytes, encoding: str, source: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise TextDecodeError(
            f"{source}: starts with a {encoding} byte-order mark but byte {exc.start:,} does not "
            f"decode as {encoding} ({exc.reason}); the file is truncated or not text. "
            "Re-save it as UTF-8.") from exc


def _refuse_known_binary(data: bytes, source: str) -> None:
    for signature, kind, fix in _BINARY_SIGNATURES:
        if data.startswith(signature):
            raise BinaryFileError(f"{source}: this is {kind}, not text (it starts with that "
                                  f"format's signature bytes {signature[:4]!r}); {fix}.")


def _plausibility(text: str) -> float:
    """Share of characters ordinary text is made of: not control, unassigned, private use or U+FFFD.

    A character U+xx00 counts as implausible too (except the ideographic space
    and 一): every Latin letter read from UTF-16 in the wrong byte order becomes one.
    """
    good = sum(1 for ch in text if ch in "\t\n\r" or (
        ch.isprintable() and ch != "\ufffd" and (ord(ch) < 0x100 or ord(ch) & 0xFF or ch in "\u3000\u4e00")
        and unicodedata.category(ch) not in ("Co", "Cn", "Cs")))
    return good / len(text) if text else 0.0


# Where the high bytes of each code unit sit. In UTF-16/32 text of Latin, Greek,
# Cyrillic, Hebrew, Arabic, Indic or Thai script they are all below 0x20.
_HIGH_BYTE_LANES = {"utf-32-le": (2, 3), "utf-32-be": (0, 1), "utf-16-le": (1,), "utf-16-be": (0,)}
_LOW_BYTES = bytes(range(0x20))


def _has_unit_layout(head: bytes, encoding: str) -> bool:
    """True when the high byte(s) of ``encoding``'s code units are nearly all below 0x20.

    Needed before valid UTF-8 is re-read as UTF-16/32: a string with stray
    control characters has no such layout.
    """
    unit = 4 if "32" in encoding else 2
    lanes = [head[r::unit] for r in _HIGH_BYTE_LANES[encoding]]
    return len(head) >= 32 and all(
        len(lane) - len(lane.translate(None, _LOW_BYTES)) >= 0.9 * len(lane) for lane in lanes)


def _decode_unicode_without_bom(data: bytes, head: bytes, source: str, *,
                                layout: bool = False) -> tuple[str, str] | None:
    """Read as UTF-32/UTF-16 without byte-order mark when that looks like text; else None.

    Each byte order is scored on the first 64 KiB; the best reading must be
    mostly ordinary characters (:func:`_plausibility` >= 0.9), beat the Latin-1
    reading of the same bytes and decode strictly from end to end. With
    ``layout`` (the bytes are valid UTF-8 too) an encoding also needs its
    high-byte layout (:func:`_has_unit_layout`).

    Raises:
        TextDecodeError: The bytes read as UTF-16/32 but their number is not a
            whole number of code units (a truncated file).
    """
    if len(data) < 4:
        return None
    floor = max(0.9, _plausibility(head[:4096].decode("latin_1")) + 1e-9)
    scored = []
    for rank, encoding in enumerate(_UNICODE_WITHOUT_BOM):
        if layout and not _has_unit_layout(head, encoding):
            continue
        unit = 4 if "32" in encoding else 2
        sample = head[:len(head) - len(head) % unit].decode(encoding, errors="replace")
        scored.append((_plausibility(sample[:2048]), -rank, encoding))
    for score, _, encoding in sorted(scored, reverse=True):
        if score < floor:
            break
        unit = 4 if "32" in encoding else 2
        if len(data) % unit:
            raise TextDecodeError(
                f"{source}: reads as {encoding} text without byte-order mark, but its "
                f"{len(data):,} bytes are not a whole number of {unit}-byte code units: the file "
                "is truncated. Re-export it, preferably as UTF-8.")
        text = _strict(data, encoding)
        if text is not None:
            return text, encoding
    return None


def _kana_share(text: str) -> float:
    sample = text[:4096]
    letters = sum(1 for ch in sample if ch.isalpha() and ord(ch) > 0x24F)
    return len(_KANA.findall(sample)) / letters if letters else 0.0


def _prefer_japanese(data: bytes, text: str, encoding: str) -> tuple[str, str]:
    """Re-read as EUC-JP/Shift_JIS when that reading is Japanese (kana) and the chosen one is not more so.

    EUC-JP shares its byte ranges with GB2312/EUC-KR/Big5, so Japanese text is
    often *valid* in those codecs; kana, present in all running Japanese text,
    decide. GB2312 holds the kana at the same codes as EUC-JP, hence ``>=``.
    """
    chosen = _kana_share(text)
    for japanese in _JAPANESE_ENCODINGS:
        reading = _strict(data, japanese)
        if reading is not None and _kana_share(reading) >= max(0.1, chosen):
            return reading, japanese
    return text, encoding


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
