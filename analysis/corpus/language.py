"""Deterministic language identification that holds up on short news snippets.

langdetect is random by design; ``DetectorFactory.seed = 0`` makes it
repeatable. On a headline-length text it is also easily fooled by names
("DeepSeek", "Liang Wenfeng"), so its answer is combined with the share of
common English function words (``analysis/resources/english_function_words.csv``):

- fewer than ``min_letters`` letters: ``"und"`` (undetermined);
- 20% or more non-Latin letters: Chinese ("zh"), Japanese and Korean are
  decided by script (Han / kana / Hangul shares), other scripts by langdetect
  on the non-Latin words;
- function-word share >= 0.25 on a Latin-script text -> ``"en"`` without
  calling langdetect (speed); >= ``english_share`` -> ``"en"`` even when
  langdetect disagrees (short English texts full of names);
- langdetect says ``"en"`` but the share is below ``english_share / 4`` on a
  text of 15+ words -> the second-best langdetect language (or ``"und"``).
"""

from __future__ import annotations

import re
from functools import lru_cache

import pandas as pd
from langdetect import DetectorFactory, detect_langs
from langdetect.lang_detect_exception import LangDetectException

from analysis.paths import RESOURCES_DIR

__all__ = ["detect_language"]

DetectorFactory.seed = 0
_WORD = re.compile(r"[^\W\d_]+")
_BEYOND_LATIN = re.compile("[\u0250-\U0010ffff]")
_MAX_CHARS = 2000
_LANGDETECT_CHARS = 600
# Running text in English has ~35-45% of these words; other Latin-script
# languages stay below ~15%, so above 25% langdetect (slow) is not consulted.
_CLEARLY_ENGLISH = 0.25


@lru_cache(maxsize=1)
def _function_words() -> frozenset:
    table = pd.read_csv(RESOURCES_DIR / "english_function_words.csv", dtype=str,
                        keep_default_na=False)
    return frozenset(table["word"].str.lower())


def _cjk_language(text: str) -> str:
    """"ja" if kana, "ko" if Hangul, "zh" if only Han ideographs dominate the non-Latin letters; else ""."""
    kana = sum(1 for ch in text if "\u3040" <= ch <= "\u30ff")
    hangul = sum(1 for ch in text if "\uac00" <= ch <= "\ud7af" or "\u1100" <= ch <= "\u11ff")
    han = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf")
    non_latin = sum(1 for ch in text if ch.isalpha() and ord(ch) > 0x24F)
    if not non_latin:
        return ""
    if hangul / non_latin >= 0.3:
        return "ko"
    if kana / non_latin >= 0.1:
        return "ja"
    if han / non_latin >= 0.6:
        return "zh"
    return ""


def detect_language(text: str, *, min_letters: int = 20,
                    english_share: float = 0.15) -> tuple[str, float, str]:
    """Identify the language of a text.

    Args:
        text: Any text; only the first 2,000 characters are read.
        min_letters: Below this many letters the answer is ``"und"``.
        english_share: Function-word share that marks a Latin-script text as English.

    Returns:
        ``(language, score, evidence)``: an ISO 639-1 code (or ``"und"``), the
        langdetect probability of that code (1.0 when decided by function
        words), and a short human-readable evidence string.
    """
    sample = text[:_MAX_CHARS]
    words = _WORD.findall(sample)
    letters = sum(map(len, words))
    if letters < min_letters:
        return "und", 0.0, f"only {letters} letters"
    non_latin = sum(map(str.isalpha, _BEYOND_LATIN.findall(sample))) / letters
    latin = 1.0 - non_latin
    function_words = _function_words()
    share = sum(w.lower() in function_words for w in words) / len(words)
    if non_latin >= 0.2:
        # Mixed-script snippets (Chinese with English product names): the
        # non-Latin script carries the language. langdetect confuses short
        # Han-script texts (Traditional Chinese -> "ko"), so CJK is decided by script.
        script = _cjk_language(sample)
        if script:
            return script, 1.0, f"script={script}; latin={latin:.2f}"
        sample = " ".join(w for w in words if any(ord(ch) > 0x24F for ch in w))
    if latin >= 0.9 and share >= _CLEARLY_ENGLISH:
        return "en", 1.0, f"langdetect=skipped; english_function_words={share:.2f}; latin={latin:.2f}"
    DetectorFactory.seed = 0
    try:
        ranked = [(c.lang, c.prob) for c in detect_langs(sample[:_LANGDETECT_CHARS])]
    except LangDetectException:
        ranked = []
    evidence = (f"langdetect={','.join(f'{code}:{p:.2f}' for code, p in ranked[:2]) or 'none'}; "
                f"english_function_words={share:.2f}; latin={latin:.2f}")
    if latin >= 0.9 and share >= english_share:
        return "en", 1.0, evidence
    if not ranked:
        return "und", 0.0, evidence
    code, prob = ranked[0]
    if code == "en" and share < english_share / 4 and len(words) >= 15:
        if len(ranked) > 1:
            return ranked[1][0], ranked[1][1], evidence
        return "und", 0.0, evidence
    return code, prob, evidence
