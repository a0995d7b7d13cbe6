"""Stand-off annotation rounds on disk: items, codes and documents without any third-party text.

A round is a folder of ``data/annotations/`` with:

* ``documents.csv``: ``doc, source, url, outlet, published, text_sha256, n_chars``;
* ``items.csv``: ``item_id, doc, country, sent_start, sent_end, mention_start, mention_end, alias, kind,
  reference, stratum, batch``;
* ``codes.csv``: ``item_id, coder, role, sentiment, frames, unsure, coded_on``; ``role`` is ``primary`` for
  the two independent coders and ``tiebreak`` for the third coder who saw only the disputed items, blind;
  ``frames`` joins frame ids with ``;``.

:func:`join_text` puts the sentences back from the documents at load time and refuses a document whose text no
longer has the recorded sha256.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis.io import atomic_write_bytes

from analysis.annotation.documents import text_sha256
from analysis.annotation.sheets import SENTIMENTS

__all__ = ["ROUND_FILES", "write_round", "read_round", "join_text", "majority_gold"]

ROUND_FILES = ("documents.csv", "items.csv", "codes.csv")
DOCUMENT_COLUMNS = ["doc", "source", "url", "outlet", "published", "text_sha256", "n_chars"]
ITEM_COLUMNS = ["item_id", "doc", "country", "sent_start", "sent_end", "mention_start", "mention_end", "alias",
                "kind", "reference", "stratum", "batch"]
CODE_COLUMNS = ["item_id", "coder", "role", "sentiment", "frames", "unsure", "coded_on"]


def _write_csv(table: pd.DataFrame, path: Path) -> None:
    atomic_write_bytes(path, table.to_csv(index=False, lineterminator="\n").encode("utf-8"))


def write_round(folder: str | Path, *, documents: pd.DataFrame, items: pd.DataFrame, codes: pd.DataFrame) -> Path:
    """Write a round's three files (sorted, so a rewrite of the same round is byte-identical)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    docs = documents.assign(n_chars=documents["text"].str.len()) if "text" in documents else documents
    docs = docs[docs["doc"].isin(set(items["doc"]))][DOCUMENT_COLUMNS].sort_values("doc", kind="stable")
    _write_csv(docs, folder / "documents.csv")
    _write_csv(items[ITEM_COLUMNS].sort_values("item_id", kind="stable"), folder / "items.csv")
    out = codes.copy()
    out["frames"] = out["frames"].map(lambda fs: ";".join(sorted(fs)))
    _write_csv(out[CODE_COLUMNS].sort_values(["item_id", "role", "coder"], kind="stable"), folder / "codes.csv")
    return folder


def read_round(folder: str | Path) -> dict[str, pd.DataFrame]:
    """Read a round; ``codes.frames`` becomes a tuple of frame ids.

    Raises:
        FileNotFoundError: a file of :data:`ROUND_FILES` is missing (names it).
        ValueError: a code names an unknown item, or a sentiment outside :data:`SENTIMENTS` (names the row).
    """
    folder = Path(folder)
    for name in ROUND_FILES:
        if not (folder / name).is_file():
            raise FileNotFoundError(f"{folder / name} is missing; a round needs {list(ROUND_FILES)}")
    documents = pd.read_csv(folder / "documents.csv", dtype={"published": str}, keep_default_na=False)
    items = pd.read_csv(folder / "items.csv", keep_default_na=False)
    codes = pd.read_csv(folder / "codes.csv", dtype={"frames": str}, keep_default_na=False)
    codes["frames"] = codes["frames"].map(lambda s: tuple(f for f in s.split(";") if f))
    codes["unsure"] = codes["unsure"].astype(str).str.lower().isin({"true", "1"})
    unknown = ~codes["item_id"].isin(set(items["item_id"]))
    if unknown.any():
        row = int(np.flatnonzero(unknown)[0]) + 2
        raise ValueError(f"{folder / 'codes.csv'} row {row}: item {codes['item_id'][unknown].iloc[0]!r} is not in "
                         "items.csv")
    bad = ~codes["sentiment"].isin(SENTIMENTS)
    if bad.any():
        row = int(np.flatnonzero(bad)[0]) + 2
        raise ValueError(f"{folder / 'codes.csv'} row {row}: sentiment {codes['sentiment'][bad].iloc[0]!r} is not "
                         f"one of {list(SENTIMENTS)}")
    return {"documents": documents, "items": items, "codes": codes}


def join_text(items: pd.DataFrame, documents: pd.DataFrame, texts: pd.DataFrame) -> pd.DataFrame:
    """Add ``sentence`` (and ``outlet``, ``url``, ``published``) to stand-off items from the documents' text.

    Args:
        items: A round's items.
        documents: The round's ``documents.csv`` (with ``text_sha256``).
        texts: ``doc, text`` of the source corpora (e.g. :func:`analysis.annotation.documents.load_documents`).

    Returns:
        ``items`` with ``sentence, outlet, url, published``; items whose document is not available are dropped
        and counted in ``result.attrs["missing_documents"]``.

    Raises:
        ValueError: a document's text differs from the recorded version (sha256), naming the document.
    """
    available = dict(zip(texts["doc"], texts["text"]))
    meta = documents.set_index("doc")
    keep, sentences, missing = [], [], set()
    for i, row in enumerate(items.itertuples(index=False)):
        text = available.get(row.doc)
        if text is None:
            missing.add(row.doc)
            continue
        if text_sha256(text) != meta.at[row.doc, "text_sha256"]:
            raise ValueError(f"document {row.doc!r}: its text differs from the version that was coded "
                             "(sha256 mismatch); load the same version of the corpus, or recode its items")
        keep.append(i)
        sentences.append(text[row.sent_start:row.sent_end])
    out = items.iloc[keep].copy()
    out["sentence"] = sentences
    for col in ("outlet", "url", "published", "source"):
        out[col] = out["doc"].map(meta[col])
    out.attrs["missing_documents"] = len(missing)
    return out.reset_index(drop=True)


def majority_gold(codes: pd.DataFrame, frames) -> pd.DataFrame:
    """Gold codes by majority: the two primary coders where they agree, the tie-breaking coder where not.

    Returns:
        DataFrame ``item_id, sentiment, frames, agreed_sentiment, n_coders``; ``sentiment`` is NaN when no
        label has a majority (three different labels), and such items are counted in
        ``result.attrs["no_majority"]``. A frame is present when more than half of the item's coders marked it.
    """
    rows, unresolved = [], 0
    for item, group in codes.groupby("item_id", sort=True):
        primary = group[group["role"] == "primary"]
        counts = group["sentiment"].value_counts()
        top = counts[counts == counts.max()]
        sentiment = top.index[0] if len(top) == 1 and counts.max() * 2 > len(group) else np.nan
        unresolved += int(pd.isna(sentiment))
        chosen = tuple(f for f in frames if sum(f in fs for fs in group["frames"]) * 2 > len(group))
        rows.append({"item_id": item, "sentiment": sentiment, "frames": chosen,
                     "agreed_sentiment": primary["sentiment"].nunique() == 1, "n_coders": len(group)})
    out = pd.DataFrame(rows, columns=["item_id", "sentiment", "frames", "agreed_sentiment", "n_coders"])
    out.attrs["no_majority"] = unresolved
    return out
