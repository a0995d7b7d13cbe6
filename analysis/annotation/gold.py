"""The in-domain gold standard: every coded (sentence, country) item, with its text joined at load time.

Sources:

* ``r1``, ``r1b``: the development data's double-coded sentences (``../shared``; never copied here), with a
  third, blind coder's codes for the items the two coders differed on (``data/annotations/ai_news_r1_tiebreak``).
* ``r2``: this project's round (``data/annotations/ai_news_r2``): items drawn with :mod:`analysis.annotation.items`
  from the development corpora and from collected pages, two independent coders each, a third on disputes.
* ``r3``: the clean test (``data/annotations/ai_news_r3``): items from pages collected after every instrument was
  chosen and fitted on r1-r2, coded the same way. It is never trained or tuned on; :func:`load_gold` leaves it out
  unless asked.

Gold is the majority of an item's coders (:func:`analysis.annotation.store.majority_gold`).
"""

from __future__ import annotations

import pandas as pd

from analysis import paths
from analysis.annotation.documents import load_dev_rounds, load_documents
from analysis.annotation.store import join_text, majority_gold, read_round
from analysis.countries.measure import detect_mentions
from analysis.countries.units import reference_class

__all__ = ["GOLD_COLUMNS", "R2_DIR", "R3_DIR", "R1_TIEBREAK_DIR", "TRAINING_ROUNDS", "load_round_codes", "load_gold"]

GOLD_COLUMNS = ["item_id", "round", "doc", "outlet", "source", "country", "reference", "sentence", "mention_start",
                "mention_end", "sentiment", "frames", "agreed_sentiment", "n_coders"]
R2_DIR = paths.ANNOTATIONS_DIR / "ai_news_r2"
R3_DIR = paths.ANNOTATIONS_DIR / "ai_news_r3"
R1_TIEBREAK_DIR = paths.ANNOTATIONS_DIR / "ai_news_r1_tiebreak"
#: The rounds the shipped heads are fitted and chosen on; ``r3`` is the clean test.
TRAINING_ROUNDS = ("r1", "r1b", "r2")
_PROJECT_ROUNDS = {"r2": R2_DIR, "r3": R3_DIR}


def _dev_reference(sentence: str, country: str, start: int, end: int) -> str:
    """Direct or proxy for a given-round item: the class of the gazetteer mention at its marked span."""
    found = detect_mentions([sentence])
    hit = found[(found["country"] == country) & (found["start"] < end) & (found["end"] > start)]
    if hit.empty:  # the given rounds' regex found a name the gazetteer does not treat as this country
        return "proxy"
    row = hit.iloc[0]
    return reference_class(country, row["alias"], row["kind"], sentence, int(row["start"]))


def _dev_codes() -> tuple[pd.DataFrame, pd.DataFrame]:
    rounds = load_dev_rounds()
    codes = pd.concat([pd.DataFrame({"item_id": rounds["item_id"], "coder": f"{rnd}_{c}", "role": "primary",
                                     "sentiment": rounds[f"{c}_sentiment"], "frames": rounds[f"{c}_frames"]})
                       for c in ("coder_1", "coder_2") for rnd in [""]], ignore_index=True)
    codes["coder"] = codes["coder"].str.lstrip("_")
    tiebreak_path = R1_TIEBREAK_DIR / "codes.csv"
    if tiebreak_path.exists():
        extra = pd.read_csv(tiebreak_path, dtype={"frames": str}, keep_default_na=False)
        extra["frames"] = extra["frames"].map(lambda s: tuple(f for f in s.split(";") if f))
        codes = pd.concat([codes, extra[["item_id", "coder", "role", "sentiment", "frames"]]], ignore_index=True)
    return rounds, codes


def load_round_codes() -> pd.DataFrame:
    """Every code of every round, the clean test r3 included (``item_id, round, coder, role, sentiment, frames``)."""
    rounds, dev = _dev_codes()
    dev["round"] = dev["item_id"].str.split(":").str[0]
    own = [read_round(folder)["codes"].assign(round=name) for name, folder in _PROJECT_ROUNDS.items()
           if (folder / "codes.csv").exists()]
    return pd.concat([dev, *own], ignore_index=True)[["item_id", "round", "coder", "role", "sentiment", "frames"]]


def load_gold(frames, *, rounds=TRAINING_ROUNDS) -> pd.DataFrame:
    """Load the coded items with their sentences and majority gold codes.

    Args:
        frames: The codebook's frame ids (order of the ``frames`` tuples).
        rounds: Which rounds to load (by default the training rounds; ``("r3",)`` is the clean test).

    Returns:
        DataFrame :data:`GOLD_COLUMNS`. ``reference`` is ``direct`` or ``proxy``
        (:func:`analysis.annotation.items.reference_class`; the development rounds were drawn with a regex of
        names, demonyms and capitals; each is classified here from the gazetteer mention at its span). A
        sentence coded in two rounds is kept once, the first time (``result.attrs["duplicates_dropped"]``).
        Items whose document text is not on this machine
        are dropped and counted in ``result.attrs["missing_documents"]``; items without a sentiment majority
        keep ``sentiment`` NaN (``result.attrs["no_majority"]``).

    Raises:
        DatasetMissingError: the shared development data is absent.
    """
    unknown = sorted(set(rounds) - {"r1", "r1b", *_PROJECT_ROUNDS})
    if unknown:
        raise ValueError(f"load_gold: unknown round(s) {unknown}; the rounds are r1, r1b, {', '.join(_PROJECT_ROUNDS)}")
    parts, missing, no_majority = [], 0, 0
    if {"r1", "r1b"} & set(rounds):
        dev, codes = _dev_codes()
        dev = dev[dev["round"].isin(rounds)]
        gold = majority_gold(codes[codes["item_id"].isin(set(dev["item_id"]))], frames)
        no_majority += gold.attrs["no_majority"]
        docs = load_documents(collected=False).set_index("doc")
        table = dev.merge(gold, on="item_id")
        table["reference"] = [_dev_reference(s, c, a, b) for s, c, a, b in
                              zip(table["sentence"], table["country"], table["mention_start"], table["mention_end"])]
        table["source"] = table["doc"].map(docs["source"])
        table["mention_start"] = table["mention_start"].astype("int64")
        parts.append(table)
    for name in [r for r in _PROJECT_ROUNDS if r in rounds]:
        data = read_round(_PROJECT_ROUNDS[name])
        items = join_text(data["items"], data["documents"], load_documents(collected=True))
        missing += items.attrs["missing_documents"]
        gold = majority_gold(data["codes"][data["codes"]["item_id"].isin(set(items["item_id"]))], frames)
        no_majority += gold.attrs["no_majority"]
        parts.append(items.merge(gold, on="item_id").assign(round=name))
    out = pd.concat(parts, ignore_index=True)[GOLD_COLUMNS]
    # The same sentence can be drawn in two rounds (r2 did not exclude r1/r1b sentences found again in
    # another copy of the story): keep the first coding, so no sentence counts twice or sits in two folds.
    key = out["sentence"].str.lower().str.split().str.join(" ") + "|" + out["country"]
    duplicated = key.duplicated(keep="first")
    out = out[~duplicated].reset_index(drop=True)
    out.attrs["duplicates_dropped"] = int(duplicated.sum())
    out.attrs["missing_documents"] = missing
    out.attrs["no_majority"] = no_majority
    return out
