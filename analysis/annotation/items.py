"""Coding units: one item per (sentence, country), found with the project's own segmenter and gazetteer.

A sentence that names China twice ("China ... Beijing ...") is one item for China: the study scores one
sentiment per (sentence, country), not one per alias. The marked mention is the sentence's first *direct*
reference to the country (its name, demonym, capital or government) or, when the sentence has none, its first
proxy (a company, person, venue or other place; a dateline; a name that only contains a country word).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.countries.measure import detect_mentions
from analysis.countries.units import DIRECT_KINDS, load_capitals, reference_class, sentence_units
from analysis.corpus.segmentation import segment_articles

__all__ = ["ITEM_COLUMNS", "STUDY_COUNTRIES", "DIRECT_KINDS", "load_capitals", "reference_class",
           "extract_items", "sample_items"]

STUDY_COUNTRIES = ("CHN", "JPN", "MYS")
ITEM_COLUMNS = ["item_id", "doc", "outlet", "country", "sent_start", "sent_end", "mention_start",
                "mention_end", "alias", "kind", "reference", "n_mentions"]


def extract_items(docs: pd.DataFrame, *, countries=STUDY_COUNTRIES) -> pd.DataFrame:
    """Return one coding unit per (document, sentence, study country).

    Args:
        docs: Table ``doc, outlet, text``; ``doc`` is the document key (unique).
        countries: The countries to keep (ISO alpha-3 codes of the gazetteer).

    Returns:
        DataFrame :data:`ITEM_COLUMNS`. ``sent_start``/``sent_end`` index the document text;
        ``mention_start``/``mention_end`` index the sentence; ``reference`` is ``direct`` or ``proxy``
        (the marked mention's class; a sentence with any direct reference is ``direct``); ``item_id``
        is ``doc#sent_start:country``, stable as long as the text is unchanged.

    Raises:
        ValueError: a missing column or a duplicated document key (the message names it).
    """
    missing = {"doc", "outlet", "text"} - set(docs.columns)
    if missing:
        raise ValueError(f"extract_items: column(s) {sorted(missing)} missing; give doc, outlet, text")
    dup = docs["doc"][docs["doc"].duplicated()].tolist()
    if dup:
        raise ValueError(f"extract_items: document key {dup[0]!r} appears more than once; keys must be unique")
    articles = pd.DataFrame({"doc_id": docs["doc"].astype(str), "text": docs["text"].fillna("").astype(str)})
    _, sentences = segment_articles(articles)
    found = detect_mentions(sentences)
    units = sentence_units(found[found["country"].isin(list(countries))], sentences)
    if units.empty:
        return pd.DataFrame(columns=ITEM_COLUMNS)
    spans = sentences.set_index(["doc_id", "sent_id"])[["start", "end"]]
    located = spans.loc[list(zip(units["doc_id"], units["sent_id"]))]
    items = units.rename(columns={"doc_id": "doc", "start": "mention_start", "end": "mention_end"})
    items["sent_start"] = located["start"].to_numpy()
    items["sent_end"] = located["end"].to_numpy()
    outlets = dict(zip(docs["doc"].astype(str), docs["outlet"].fillna("").astype(str)))
    items["outlet"] = items["doc"].map(outlets)
    items["item_id"] = items["doc"] + "#" + items["sent_start"].astype(str) + ":" + items["country"]
    items = items.sort_values(["doc", "sent_id", "country"], kind="stable")
    for col in ("sent_start", "sent_end", "mention_start", "mention_end", "n_mentions"):
        items[col] = items[col].astype("int64")
    return items[ITEM_COLUMNS].reset_index(drop=True)


def sample_items(items: pd.DataFrame, quotas: dict[str, int], *, strata=("outlet",), per_doc: int = 6,
                 random_state: int = 0) -> pd.DataFrame:
    """Draw a stratified sample: per country, one item per stratum in turn until the quota is met.

    Equal allocation across strata (for example outlet × likely frame) gives small outlets and rare frames
    enough items; ``per_doc`` caps the items drawn from one document and country, so one long article
    cannot fill a quota.

    Args:
        items: Output of :func:`extract_items`, plus any stratum columns.
        quotas: Items wanted per country, e.g. ``{"JPN": 250}``; a country with fewer candidates gives all
            it has (the shortfall shows in the returned counts).
        strata: Columns that define the strata within a country.
        per_doc: Most items per (document, country).
        random_state: Seed of the order within and across strata.

    Returns:
        The drawn rows of ``items`` with a ``stratum`` column, in drawing order.
    """
    missing = set(strata) - set(items.columns)
    if missing:
        raise ValueError(f"sample_items: stratum column(s) {sorted(missing)} not in the items table")
    rng = np.random.default_rng(random_state)
    out = []
    for country in sorted(quotas):
        pool = items[items["country"] == country]
        pool = pool.iloc[rng.permutation(len(pool))]
        pool = pool[pool.groupby("doc").cumcount() < per_doc]
        if pool.empty:  # nothing to draw for this country: the shortfall shows in the counts
            continue
        stratum = pool[list(strata)].astype(str).agg(" | ".join, axis=1) if strata else pd.Series("all", pool.index)
        pool = pool.assign(stratum=stratum.to_numpy())
        queues = {key: list(group.index) for key, group in pool.groupby("stratum", sort=True)}
        order = [list(queues)[i] for i in rng.permutation(len(queues))]
        taken: list = []
        while len(taken) < quotas[country] and any(queues[k] for k in order):
            for key in order:
                if queues[key] and len(taken) < quotas[country]:
                    taken.append(queues[key].pop(0))
        out.append(pool.loc[taken])
    return pd.concat(out) if out else items.iloc[:0].assign(stratum=[])
