"""Country attribution: which of the study's actors a sentence talks about.

The instrument is data, not code. ``resources/gazetteer.csv`` lists every alias
(names, demonyms, places, governments, people, organisations) with its country
code and ``kind``; ``resources/gazetteer_exclusions.csv`` lists regular
expressions for text that looks like a country but is not one (outlets such as
"South China Morning Post", seas, "US$"). Matching is one Aho-Corasick pass per
sentence, then word-boundary and case checks, then the exclusion mask, then
leftmost-longest selection so "Bank of China" is one organisation mention and
not also the name "China".

Matching rules (all tested in ``tests/test_countries.py``):

* Aliases match on word boundaries; a possessive ("China's", "U.S.'s") or a
  hyphen ("US-China", "Sino-Japanese") is a boundary. A possessive whose
  apostrophe a news feed dropped ("Chinas", "OpenAIs") matches names, places,
  people and organisations, unless that spelling is an alias itself
  ("Americans") or excluded ("the Americas"); ``end`` then stops before the "s".
* ``case_sensitive`` aliases match their exact spelling or, when at least four
  characters long, the all-capitals form used in headlines ("CHINA'S AI");
  other aliases match in any case ("chinese", "DEEPSEEK").
* Curly and straight apostrophes are equivalent, and any run of whitespace
  (a line break inside "Kuala\\nLumpur") matches the single space of an alias.
* A candidate overlapping an exclusion match is dropped. Exclusions use
  look-arounds to mask only part of a phrase (``Chinese(?=-American)``).
* Coreference is not resolved: "Son" after "Masayoshi Son", or "Liang" after
  "Liang Wenfeng", is not a mention.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

import ahocorasick
import numpy as np
import pandas as pd

from analysis.countries.gazetteer import (
    APOSTROPHES, KINDS, SPACE_RUN, GazetteerError, canonical_alias, compile_exclusions, country_names,
    country_palette, load_country_table, load_exclusions, load_gazetteer,
)

__all__ = [
    "KINDS", "MENTION_COLUMNS", "SALIENCE_COLUMNS", "GazetteerError", "load_gazetteer", "load_exclusions",
    "detect_mentions", "select_kinds", "article_salience", "primary_country", "load_country_table", "country_palette",
    "country_names",
]

MENTION_COLUMNS = ["doc_id", "para_id", "sent_id", "country", "alias", "kind", "start", "end"]
_ODD_SPACE = re.compile(r"[^\S ]| {2,}")
_MIN_UPPER_LEN = 4
_BARE_POSSESSIVE_KINDS = {"name", "place", "person", "organisation"}
#: Scripts written without spaces between words (Han, kana, Hangul): an alias in them ("中国", "マレーシア")
#: has no word boundary to check, or it would never match inside "中国的".
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f]")


def _word_edge(ch: str) -> bool:
    """Whether an alias edge ``ch`` needs a word boundary beside it (letters and digits, not CJK)."""
    return ch.isalnum() and not _UNSPACED.match(ch)


class _Matcher:
    """Compiled gazetteer + exclusions (internal; built once per gazetteer)."""

    def __init__(self, gazetteer: pd.DataFrame, exclusions: pd.DataFrame):
        columns = ["country", "alias", "kind", "case_sensitive"]
        self.rows = list(gazetteer[columns].itertuples(index=False, name=None))
        # Case-insensitive aliases are searched in lower-cased text; case-sensitive ones in the text
        # as written (exact and headline capitals), so "US" never floods on "because" or "business".
        self.folded, self.exact = ahocorasick.Automaton(), ahocorasick.Automaton()
        taken = {canonical_alias(alias) for _, alias, _, _ in self.rows}
        for i, (_, alias, kind, case_sensitive) in enumerate(self.rows):
            automaton = self.exact if case_sensitive else self.folded
            if case_sensitive:
                exact = SPACE_RUN.sub(" ", alias.strip()).translate(APOSTROPHES)
                keys = {exact, exact.upper() if len(exact) >= _MIN_UPPER_LEN else exact}
            else:
                keys = {canonical_alias(alias)}
            for key in keys:
                automaton.add_word(key, (len(key), i, _word_edge(alias[0]), _word_edge(alias[-1]), 0))
                # News feeds often lose the apostrophe of a possessive ("Chinas", "OpenAIs"): accept
                # alias + "s" for proper nouns unless that spelling is itself an alias ("Americans").
                if kind in _BARE_POSSESSIVE_KINDS and key[-1:].isalpha() and key[-1] != "s" and _word_edge(key[-1]):
                    # "CHINAS" in a headline, but never "USS" or "SMICS"
                    headline = key.isupper() and len(key) >= _MIN_UPPER_LEN and key[-1] != "S"
                    for plural in {key + "s", key + "S" if headline else key + "s"}:
                        if canonical_alias(plural) not in taken:
                            automaton.add_word(plural, (len(plural), i, _word_edge(alias[0]), True, 1))
        for automaton in (self.folded, self.exact):
            automaton.make_automaton()
        self.exclusion = compile_exclusions(exclusions["pattern"])

    def _candidates(self, automaton, haystack: str, norm: str, found: list) -> None:
        if automaton.kind == ahocorasick.EMPTY:
            return
        n = len(norm)
        for last, (length, row, left_word, right_word, trim) in automaton.iter(haystack):
            start, end = last - length + 1, last + 1
            if left_word and start > 0 and norm[start - 1].isalnum():
                continue
            if right_word and end < n and norm[end].isalnum():
                continue
            found.append((start, end, row, trim))

    def scan(self, text: str) -> list[tuple[int, int, int]]:
        """Return ``(start, end, gazetteer_row)`` for each mention in ``text``."""
        # Cheap containment tests first: most sentences are plain ASCII with single spaces.
        ascii_text = text.isascii()
        if (not ascii_text or "  " in text or "\n" in text or "\t" in text or "\r" in text
                or "\x0b" in text or "\x0c" in text) and _ODD_SPACE.search(text):
            norm, offsets = _collapse_space(text)
        else:
            norm, offsets = text, None
        if not ascii_text:
            norm = norm.translate(APOSTROPHES)
        lowered = norm.lower()
        if len(lowered) != len(norm):  # a few characters lower-case to two; keep offsets aligned
            lowered = "".join(c.lower() if len(c.lower()) == 1 else c for c in norm)
        found = []
        self._candidates(self.folded, lowered, norm, found)
        self._candidates(self.exact, norm, norm, found)
        if not found:
            return []
        if self.exclusion is not None:
            masks = [m.span() for m in self.exclusion.finditer(norm) if m.end() > m.start()]
            if masks:
                found = [f for f in found if not any(f[0] < e and s < f[1] for s, e in masks)]
        found.sort(key=lambda f: (f[0], -(f[1] - f[0])))
        kept, reach = [], -1
        for start, end, row, trim in found:
            if start >= reach:
                kept.append((start, end - trim, row))
                reach = end
        if offsets is not None:
            kept = [(offsets[s], offsets[e - 1] + 1, r) for s, e, r in kept]
        return kept


def _collapse_space(text: str) -> tuple[str, list[int]]:
    """Collapse whitespace runs to one space; return the text and each char's original offset."""
    pieces, offsets, pos = [], [], 0
    for m in SPACE_RUN.finditer(text):
        pieces.append(text[pos:m.start()])
        offsets.extend(range(pos, m.start()))
        pieces.append(" ")
        offsets.append(m.start())
        pos = m.end()
    pieces.append(text[pos:])
    offsets.extend(range(pos, len(text)))
    return "".join(pieces), offsets


@lru_cache(maxsize=1)
def _default_matcher() -> _Matcher:
    return _Matcher(load_gazetteer(), load_exclusions())


def _matcher_for(gazetteer, exclusions) -> tuple[_Matcher, pd.DataFrame]:
    if gazetteer is None and exclusions is None:
        matcher = _default_matcher()
    else:
        matcher = _Matcher(load_gazetteer(gazetteer), load_exclusions(exclusions))
    return matcher, matcher.rows


def _sentence_frame(sentences) -> pd.DataFrame:
    if isinstance(sentences, pd.DataFrame):
        if "text" not in sentences.columns:
            raise ValueError(f"detect_mentions needs a 'text' column; got columns {list(sentences.columns)}.")
        frame = sentences
        if "doc_id" not in frame.columns:
            frame = frame.assign(doc_id=range(len(frame)))
        for col in ("para_id", "sent_id"):
            if col not in frame.columns:
                frame = frame.assign(**{col: 0})
        return frame
    if isinstance(sentences, str):
        raise ValueError("detect_mentions got one string; pass a list of strings or the sentences table.")
    texts = list(sentences)
    return pd.DataFrame({"doc_id": range(len(texts)), "para_id": 0, "sent_id": 0, "text": texts})


def detect_mentions(sentences, *, gazetteer=None, exclusions=None,
                    kinds: Iterable[str] | None = None) -> pd.DataFrame:
    """Find every reference to a gazetteer country in each sentence.

    Args:
        sentences: The sentences table (``doc_id, para_id, sent_id, text``;
            a missing ``para_id``/``sent_id`` is taken as 0, a missing
            ``doc_id`` as the row position, so an articles table works too),
            or a list of strings, where ``doc_id`` is the list position and
            ``para_id = sent_id = 0``. Missing text (None/NaN) has no mentions.
        gazetteer: Path or DataFrame for :func:`load_gazetteer`; ``None`` uses
            the bundled file.
        exclusions: Path or DataFrame for :func:`load_exclusions`; ``None`` uses
            the bundled file.
        kinds: Keep only mentions of these kinds (e.g. ``["name", "demonym"]``
            for direct references). Applied after longest-match selection, so
            "Bank of China" never falls back to the name "China".

    Returns:
        DataFrame ``doc_id, para_id, sent_id, country, alias, kind, start, end``,
        one row per mention in text order; ``alias`` is the gazetteer's
        spelling, ``start``/``end`` are character offsets into the sentence
        text (``text[start:end]`` is the surface form).

    Raises:
        ValueError: No ``text`` column, an unknown kind, or a malformed
            gazetteer/exclusion file (:class:`GazetteerError`).

    Example:
        >>> text = "The South China Morning Post says China's DeepSeek leads."
        >>> detect_mentions([text])[["country", "alias"]]
          country     alias
        0     CHN     China
        1     CHN  DeepSeek
    """
    keep = None if kinds is None else set(kinds)
    if keep is not None and keep - set(KINDS):
        raise ValueError(f"detect_mentions: unknown kind(s) {sorted(keep - set(KINDS))}; use {list(KINDS)}.")
    matcher, rows = _matcher_for(gazetteer, exclusions)
    frame = _sentence_frame(sentences)
    hits, starts, ends, found_rows = [], [], [], []
    scan = matcher.scan
    for position, text in enumerate(frame["text"].tolist()):
        if not isinstance(text, str) or not text:
            continue
        for start, end, row in scan(text):
            if keep is None or rows[row][2] in keep:
                hits.append(position)
                starts.append(start)
                ends.append(end)
                found_rows.append(row)
    # Build columns in bulk: a Python tuple per mention is the slow part on large corpora.
    picked = frame.iloc[hits]
    out = pd.DataFrame({
        "doc_id": picked["doc_id"].to_numpy(), "para_id": picked["para_id"].to_numpy(),
        "sent_id": picked["sent_id"].to_numpy(),
        "country": pd.array([rows[r][0] for r in found_rows], dtype="str"),
        "alias": pd.array([rows[r][1] for r in found_rows], dtype="str"),
        "kind": pd.array([rows[r][2] for r in found_rows], dtype="str"),
        "start": np.asarray(starts, dtype="int64"), "end": np.asarray(ends, dtype="int64"),
    })
    return out[MENTION_COLUMNS]


def select_kinds(mentions: pd.DataFrame, kinds: Iterable[str] | None = None) -> pd.DataFrame:
    """Only the mentions of these kinds (``None``: all), as ``detect_mentions(..., kinds=kinds)`` finds them.

    Raises:
        ValueError: An unknown kind (names the known ones).
    """
    if kinds is None:
        return mentions
    keep = set(kinds)
    if keep - set(KINDS):
        raise ValueError(f"select_kinds: unknown kind(s) {sorted(keep - set(KINDS))}; use {list(KINDS)}.")
    return mentions[mentions["kind"].isin(keep)].reset_index(drop=True)


SALIENCE_COLUMNS = ["doc_id", "country", "n_mentions", "share_of_mentions", "first_sent_id",
                    "first_position", "in_title", "is_primary"]


def article_salience(mentions: pd.DataFrame, articles: pd.DataFrame | None = None,
                     sentences: pd.DataFrame | None = None, *, gazetteer=None,
                     exclusions=None) -> pd.DataFrame:
    """How prominent each country is in each article.

    Args:
        mentions: Output of :func:`detect_mentions` on the sentences table
            (filter it by ``kind`` first to count only direct references).
        articles: Optional articles table (``doc_id, title``); titles are
            searched with the same gazetteer to fill ``in_title``.
        sentences: Optional sentences table (``doc_id, sent_id``) giving each
            article's sentence count, for ``first_position``.
        gazetteer, exclusions: As in :func:`detect_mentions`, for titles.

    Returns:
        DataFrame ``doc_id, country, n_mentions, share_of_mentions,
        first_sent_id, first_position, in_title, is_primary``, one row per
        article and mentioned country. ``share_of_mentions`` is the country's
        share of the article's mentions (all countries); ``first_position`` is
        ``first_sent_id / n_sentences`` (0 = first sentence; NaN without
        ``sentences``); ``in_title`` is a nullable boolean (NA without
        ``articles``); ``is_primary`` marks the country :func:`primary_country`
        picks (no row is primary in a tied article). A country mentioned only
        in the title has ``n_mentions = 0``.
    """
    missing = [c for c in ("doc_id", "sent_id", "country") if c not in mentions.columns]
    if missing:
        raise ValueError(f"article_salience: mentions lacks columns {missing}; pass detect_mentions output.")
    grouped = mentions.groupby(["doc_id", "country"], sort=True)
    table = grouped.agg(n_mentions=("sent_id", "size"), first_sent_id=("sent_id", "min")).reset_index()
    if articles is not None:
        if not {"doc_id", "title"} <= set(articles.columns):
            raise ValueError(f"article_salience: articles needs doc_id and title; got {list(articles.columns)}.")
        heads = articles[["doc_id", "title"]].rename(columns={"title": "text"})
        titles = detect_mentions(heads, gazetteer=gazetteer, exclusions=exclusions)
        title_pairs = titles[["doc_id", "country"]].drop_duplicates().assign(in_title=True)
        table = table.merge(title_pairs, on=["doc_id", "country"], how="outer")
        table["n_mentions"] = table["n_mentions"].fillna(0).astype("int64")
        table["in_title"] = table["in_title"].astype("boolean").fillna(False)
    else:
        table["in_title"] = pd.array([pd.NA] * len(table), dtype="boolean")
    table["first_sent_id"] = table["first_sent_id"].astype("Int64")  # NA for a title-only country
    totals = table.groupby("doc_id")["n_mentions"].transform("sum")
    table["share_of_mentions"] = (table["n_mentions"] / totals.where(totals > 0)).fillna(0.0)
    if sentences is not None:
        n_sent = sentences.groupby("doc_id")["sent_id"].size()
        n_of_doc = table["doc_id"].map(n_sent).astype(float)
        table["first_position"] = table["first_sent_id"].astype(float) / n_of_doc
    else:
        table["first_position"] = float("nan")
    table = table.sort_values(["doc_id", "country"]).reset_index(drop=True)
    primary = primary_country(table)
    winners = set(zip(primary["doc_id"], primary["primary_country"]))
    table["is_primary"] = [(d, c) in winners for d, c in zip(table["doc_id"], table["country"])]
    return table[SALIENCE_COLUMNS]


def primary_country(salience: pd.DataFrame, articles: pd.DataFrame | None = None) -> pd.DataFrame:
    """The country an article is mainly about.

    The country with most body mentions wins; ties are broken by presence in the
    title, then by the earliest first mention. Anything still tied is reported
    as ``"tie"`` with the tied codes listed; an article without any mention is
    ``"none"`` (listed only when ``articles`` is given, since otherwise it is
    unknown).

    Args:
        salience: Output of :func:`article_salience` (``doc_id, country,
            n_mentions, first_sent_id, in_title``).
        articles: Optional articles table (``doc_id``) so unmentioned articles appear.

    Returns:
        DataFrame ``doc_id, primary_country, tied_countries, n_mentions``:
        ``tied_countries`` is ``"|"``-joined codes (empty unless a tie);
        ``n_mentions`` is the winner's count (0 for ``"none"``).
    """
    rows = []
    ranked = salience.assign(
        _title=salience["in_title"].astype("boolean").fillna(False).astype(int),
        _first=salience["first_sent_id"].astype(float).fillna(float("inf")),
    ).sort_values(["doc_id", "n_mentions", "_title", "_first", "country"],
                  ascending=[True, False, False, True, True])
    for doc_id, sub in ranked.groupby("doc_id", sort=True):
        top = sub.iloc[0]
        same = sub[(sub["n_mentions"] == top["n_mentions"]) & (sub["_title"] == top["_title"])
                   & (sub["_first"] == top["_first"])]
        if len(same) > 1:
            rows.append((doc_id, "tie", "|".join(sorted(same["country"])), int(top["n_mentions"])))
        else:
            rows.append((doc_id, top["country"], "", int(top["n_mentions"])))
    out = pd.DataFrame(rows, columns=["doc_id", "primary_country", "tied_countries", "n_mentions"])
    if articles is not None:
        absent = sorted(set(articles["doc_id"]) - set(out["doc_id"]), key=str)
        none = pd.DataFrame({"doc_id": absent, "primary_country": "none", "tied_countries": "",
                             "n_mentions": 0})
        out = pd.concat([out, none], ignore_index=True) if len(none) else out
    return out.astype({"n_mentions": "int64"})
