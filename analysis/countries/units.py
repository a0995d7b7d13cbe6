"""The unit of measurement: one (sentence, country) pair, marked by its first direct reference.

A sentence that names China twice ("China ... Beijing ...") is one unit for China: sentiment and frames are
measured once per (sentence, country), not once per alias. The marked mention is the sentence's first *direct*
reference to the country (its name, demonym, capital or government); a sentence with none is marked by its first
*proxy* (a company, person, venue or other place; a dateline; a name that only contains a country word).
Direct references are the study's primary analysis; proxies are reported as a sensitivity analysis.
"""

from __future__ import annotations

import re
from functools import lru_cache

import pandas as pd

from analysis.paths import RESOURCES_DIR

__all__ = ["DIRECT_KINDS", "UNIT_COLUMNS", "load_capitals", "reference_class", "sentence_units"]

DIRECT_KINDS = frozenset({"name", "demonym", "government"})
UNIT_COLUMNS = ["doc_id", "para_id", "sent_id", "country", "alias", "kind", "start", "end", "reference",
                "n_mentions"]
# "KUALA LUMPUR (Reuters) -", "TOKYO, Jan 27 (Reuters) -", "BEIJING --": a place that opens a sentence in
# capitals and is followed by a news-agency dateline is where the story was filed, not a portrayal.
_DATELINE = re.compile(r"[A-Z][A-Z.'/ ]*[A-Z](?:,[^()\n]{0,30})?\s*(?:\([^)]{1,40}\))?"
                       r"(?:\s+-{1,2}\s*|\s*[\u2013\u2014]\s*|:\s)")


@lru_cache(maxsize=1)
def load_capitals() -> frozenset[tuple[str, str]]:
    """Return ``(country, alias)`` pairs of the gazetteer's places that are national capitals."""
    path = RESOURCES_DIR / "capitals.csv"
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = {"country", "alias"} - set(table.columns)
    if missing:
        raise ValueError(f"{path}: column(s) {sorted(missing)} missing; the file needs country,alias")
    return frozenset(zip(table["country"], table["alias"]))


def reference_class(country: str, alias: str, kind: str, sentence: str, start: int) -> str:
    """Classify one mention as ``direct`` or ``proxy`` (see the module docstring).

    Example:
        >>> reference_class("MYS", "Kuala Lumpur", "place", "KUALA LUMPUR (Reuters) - Malaysia said", 0)
        'proxy'
    """
    dateline = _DATELINE.match(sentence)
    if dateline and start < dateline.end() and sentence[start:start + 1].isupper():
        return "proxy"
    if kind in DIRECT_KINDS:
        return "direct"
    if kind == "place" and (country, alias) in load_capitals():
        return "direct"
    return "proxy"


def sentence_units(mentions: pd.DataFrame, sentences: pd.DataFrame) -> pd.DataFrame:
    """Collapse mentions to one row per (document, sentence, country).

    Args:
        mentions: :func:`analysis.countries.measure.detect_mentions` output.
        sentences: The sentences table the mentions were found in (``doc_id, sent_id, text``).

    Returns:
        DataFrame :data:`UNIT_COLUMNS`: the marked mention's columns, ``reference`` (``direct`` when any
        mention of the country in the sentence is direct) and ``n_mentions`` (mentions of the country in it).

    Raises:
        ValueError: a mention whose sentence is not in ``sentences`` (names it).
    """
    if mentions.empty:
        return pd.DataFrame({c: pd.Series(dtype=mentions[c].dtype if c in mentions else "object")
                             for c in UNIT_COLUMNS})
    text = sentences.set_index(["doc_id", "sent_id"])["text"]
    keys = list(zip(mentions["doc_id"], mentions["sent_id"]))
    missing = [k for k in keys if k not in text.index]
    if missing:
        raise ValueError(f"sentence_units: mention in doc_id={missing[0][0]!r} sent_id={missing[0][1]} has no "
                         "sentence; pass the sentences table the mentions were detected in")
    table = mentions.reset_index(drop=True).copy()
    table["reference"] = [reference_class(c, a, k, text.loc[key], s) for c, a, k, key, s in
                          zip(table["country"], table["alias"], table["kind"], keys, table["start"])]
    table["is_proxy"] = table["reference"] != "direct"
    table["order"] = range(len(table))
    group = ["doc_id", "sent_id", "country"]
    table["n_mentions"] = table.groupby(group)["order"].transform("size").astype("int64")
    table = table.sort_values([*group, "is_proxy", "order"], kind="stable")
    first = table.drop_duplicates(group, keep="first").sort_values("order", kind="stable")
    return first[UNIT_COLUMNS].reset_index(drop=True)
