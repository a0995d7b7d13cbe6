"""Detecting the encoding of raw news bytes, and refusing bytes that are not text.

:func:`decode_bytes` tries, in order: a byte-order mark; known binary signatures
(PNG, PDF, ZIP, ...: refused with :class:`BinaryFileError`, naming the type and
what to do); UTF-16/32 without a BOM (recognised by where their zero bytes sit);
strict UTF-8; ISO-2022-JP escapes; then charset-normalizer among the encodings
news text arrives in, preferring EUC-JP or Shift_JIS when a Chinese or Korean
reading of the same bytes is really Japanese. Bytes with many control characters
are refused as binary. Used by :mod:`analysis.corpus.text` (which re-exports the names).
"""

from __future__ import annotations

import codecs
import re
import unicodedata

import charset_normalizer

__all__ = ["TextDecodeError", "BinaryFileError", "decode_bytes"]

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
