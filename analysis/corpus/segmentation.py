"""Paragraph and sentence segmentation with character offsets into the cleaned text.

Paragraphs: when the text contains blank lines, paragraphs are the blocks
between them (single newlines inside a block are hard wraps); otherwise every
non-empty line is a paragraph (the layout of most scraped plain-text news).

Sentences: a rule-based splitter tuned to news text. A candidate boundary is
``.``, ``!``, ``?`` or ``…`` (optionally followed by closing quotes/brackets),
then whitespace, then an opening quote, bracket, digit or capital letter. It is
rejected after an abbreviation listed in
``analysis/resources/sentence_abbreviations.csv`` that cannot end a sentence
("Dr.", "Jan."; matched case-sensitively, so "said no." still ends), and after
an abbreviation that *can* end a sentence ("U.S.", "Inc.") or a single capital
("J. Smith") unless the next word is a common sentence opener from
``analysis/resources/sentence_starters.csv`` ("Plan B. The ...").
Decimals ("$6.5 million") never split because no space follows the point.
"""

from __future__ import annotations

import re
from functools import lru_cache

import pandas as pd

from analysis.paths import RESOURCES_DIR

__all__ = ["split_paragraphs", "split_sentences", "segment_articles",
           "PARAGRAPH_COLUMNS", "SENTENCE_COLUMNS"]

PARAGRAPH_COLUMNS = ["doc_id", "para_id", "start", "end", "text"]
SENTENCE_COLUMNS = ["doc_id", "para_id", "sent_id", "start", "end", "text"]

_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_BOUNDARY = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s+[\"'“‘(\[]*[A-Z0-9])")
_NEXT_WORD = re.compile(r"\s+[\"'“‘(\[]*([A-Za-z]+)")


@lru_cache(maxsize=1)
def _abbreviations() -> tuple[frozenset, frozenset]:
    table = pd.read_csv(RESOURCES_DIR / "sentence_abbreviations.csv", dtype=str,
                        keep_default_na=False)
    can_end = table["can_end_sentence"].str.lower() == "true"
    never = frozenset(table.loc[~can_end, "abbreviation"])
    maybe = frozenset(table.loc[can_end, "abbreviation"])
    return never, maybe


@lru_cache(maxsize=1)
def _starters() -> frozenset:
    table = pd.read_csv(RESOURCES_DIR / "sentence_starters.csv", dtype=str, keep_default_na=False)
    return frozenset(table["word"])


def split_paragraphs(text: str) -> list[tuple[int, int]]:
    """Return ``(start, end)`` offsets of the paragraphs of ``text`` (stripped spans)."""
    if _BLANK_LINE.search(text.strip()):
        pieces = [(m.start(), m.end()) for m in re.finditer(r"(?:(?!\n[ \t]*\n).)+", text, re.S)]
    else:
        pieces = [(m.start(), m.end()) for m in re.finditer(r"[^\n]+", text)]
    return [span for span in (_strip_span(text, s, e) for s, e in pieces) if span[1] > span[0]]


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _known(word: str, table: frozenset) -> bool:
    """Case-sensitive lookup ("no." is a word, "No." a number sign); a lower-case
    entry also matches its capitalised form at the start of a sentence ("E.g.")."""
    return word in table or (word[:1].isupper() and word[:1].lower() + word[1:] in table)


def _next_is_starter(text: str, position: int) -> bool:
    following = _NEXT_WORD.match(text, position)
    return bool(following and following.group(1) in _starters())


def _is_boundary(text: str, match: re.Match) -> bool:
    if match.group(0)[0] != ".":
        return True
    tokens = text[max(0, match.start() - 40):match.start()].split()
    word = tokens[-1].lstrip("\"'“‘([") if tokens else ""
    if not word or not word[-1].isalpha():
        return True
    never, maybe = _abbreviations()
    if _known(word, never):
        return False
    if _known(word, maybe) or (len(word) == 1 and word.isupper()):
        # "U.S. The", "Plan B. The" end a sentence; "U.S. President", "J. Smith" do not.
        return _next_is_starter(text, match.end())
    return True


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Return ``(start, end)`` offsets of the sentences in ``text[start:end]``.

    Offsets are absolute (into ``text``) and stripped of surrounding spaces.
    """
    end = len(text) if end is None else end
    spans, current = [], start
    for match in _BOUNDARY.finditer(text, start, end):
        if _is_boundary(text, match):
            spans.append(_strip_span(text, current, match.end()))
            current = match.end()
    spans.append(_strip_span(text, current, end))
    return [span for span in spans if span[1] > span[0]]


def segment_articles(articles: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split articles into paragraphs and sentences.

    Args:
        articles: Table with columns ``doc_id`` and ``text`` (cleaned).

    Returns:
        ``(paragraphs, sentences)``. paragraphs: doc_id, para_id (0-based within
        the doc), start, end, text. sentences: doc_id, para_id, sent_id (0-based,
        unique within the doc), start, end, text. Offsets index the article's
        ``text``, so ``text[start:end]`` equals the row's text.
    """
    para_rows, sent_rows = [], []
    for doc_id, text in zip(articles["doc_id"], articles["text"]):
        sent_id = 0
        for para_id, (p_start, p_end) in enumerate(split_paragraphs(text)):
            para_rows.append((doc_id, para_id, p_start, p_end, text[p_start:p_end]))
            for s_start, s_end in split_sentences(text, p_start, p_end):
                sent_rows.append((doc_id, para_id, sent_id, s_start, s_end, text[s_start:s_end]))
                sent_id += 1
    paragraphs = pd.DataFrame(para_rows, columns=PARAGRAPH_COLUMNS)
    sentences = pd.DataFrame(sent_rows, columns=SENTENCE_COLUMNS)
    for table in (paragraphs, sentences):
        table["doc_id"] = table["doc_id"].astype(str)
        for col in ("para_id", "start", "end") + (("sent_id",) if "sent_id" in table else ()):
            table[col] = table[col].astype("int64")
    return paragraphs, sentences
