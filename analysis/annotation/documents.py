"""The documents coded sentences point into, and the coded development rounds given with them.

Document key (``doc``): the page identity of :func:`analysis.annotation.sources.normalise_url`, so the same page
has the same key in every corpus. Each document's text has a sha256 (``text_sha256``); a stand-off annotation
records it, and joining an annotation to a different version of the text is an error, not silent drift.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd

from analysis import paths
from analysis.annotation.sources import is_heldout, load_heldout, normalise_url

__all__ = ["DOC_COLUMNS", "DEV_DATASET", "text_sha256", "load_dev_documents", "load_collected_documents",
           "load_documents", "load_dev_rounds", "heldout_path"]

DOC_COLUMNS = ["doc", "source", "outlet", "published", "url", "text", "text_sha256"]
DEV_DATASET = "ai_news_portrayal_dev"
DEV_FILES = ("deepseek_news_2025.csv", "asia_ai_news_dev.csv")
DEV_ROUNDS = {"r1": "coded_sentences_r1.jsonl", "r1b": "coded_sentences_r1b.jsonl"}


def text_sha256(text: str) -> str:
    """Return the sha256 hex digest of a document's text (UTF-8)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def heldout_path() -> Path:
    """The held-out list of the shared annotation folder (``../shared/annotation/heldout_url_sha256.txt``)."""
    return paths.shared_datasets_dir().parent / "annotation" / "heldout_url_sha256.txt"


def _frame(table: pd.DataFrame, source: str) -> pd.DataFrame:
    out = pd.DataFrame({
        "doc": table["url"].map(normalise_url), "source": source,
        "outlet": table["outlet"].fillna("").astype(str).str.strip(),
        "published": table["published"].fillna("").astype(str).str.slice(0, 10),
        "url": table["url"].astype(str), "text": table["text"].fillna("").astype(str)})
    out["text_sha256"] = out["text"].map(text_sha256)
    return out


def load_dev_documents() -> pd.DataFrame:
    """Load the development corpora's documents (DeepSeek full texts and Asian outlets' leads).

    Returns:
        DataFrame :data:`DOC_COLUMNS`, one row per page; ``source`` names the file.

    Raises:
        DatasetMissingError: the shared development data is absent.
    """
    frames = []
    for name in DEV_FILES:
        table = pd.read_csv(paths.dataset_path(DEV_DATASET, name), dtype=str, keep_default_na=False)
        frames.append(_frame(table, name))
    return pd.concat(frames, ignore_index=True)


def load_collected_documents(folder: str | Path | None = None) -> pd.DataFrame:
    """Load pages collected for coding: every ``*.jsonl`` in ``folder`` (url, outlet, published, text).

    Raises:
        ValueError: a line that is not JSON or lacks a field (names file and line), or a held-out page.
    """
    folder = Path(folder) if folder is not None else paths.COLLECTED_DIR
    heldout = load_heldout(heldout_path()) if heldout_path().exists() else frozenset()
    rows = []
    for path in sorted(folder.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise ValueError(f"{path} line {number}: not valid JSON ({error.msg})") from None
            missing = {"url", "outlet", "text"} - set(record)
            if missing:
                raise ValueError(f"{path} line {number}: field(s) {sorted(missing)} missing")
            if is_heldout(record["url"], heldout):
                raise ValueError(f"{path} line {number}: {record['url']} is a held-out page; remove it "
                                 "(held-out pages are never collected, coded or tuned on)")
            rows.append({"url": record["url"], "outlet": record["outlet"],
                         "published": record.get("published", ""), "text": record["text"],
                         "source": f"collected/{path.name}"})
    if not rows:
        return pd.DataFrame(columns=DOC_COLUMNS)
    table = pd.DataFrame(rows)
    out = _frame(table, "")
    out["source"] = table["source"].to_numpy()
    return out


def load_documents(*, collected: bool = True) -> pd.DataFrame:
    """Development documents plus collected pages, one row per page (the first copy of a page wins)."""
    parts = [load_dev_documents()]
    if collected and paths.COLLECTED_DIR.exists():
        parts.append(load_collected_documents())
    docs = pd.concat(parts, ignore_index=True)
    return docs.drop_duplicates("doc", keep="first").reset_index(drop=True)


def load_dev_rounds() -> pd.DataFrame:
    """Load the given double-coded rounds (r1, r1b) with the sentence located in its document.

    Returns:
        DataFrame ``item_id, round, doc, outlet, country, sent_start, sent_end, mention_start, mention_end,
        coder_1_sentiment, coder_1_frames, coder_2_sentiment, coder_2_frames``; ``sent_start`` is -1 when the
        sentence is not found verbatim in the document (transcription drift).
    """
    docs = load_dev_documents()
    by_row = {}
    for name in DEV_FILES:
        part = docs[docs["source"] == name].reset_index(drop=True)
        for i, (doc, text) in enumerate(zip(part["doc"], part["text"])):
            by_row[f"{name} row {i}"] = (doc, text)
    rows = []
    for round_name, filename in DEV_ROUNDS.items():
        path = paths.dataset_path(DEV_DATASET, filename)
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            r = json.loads(line)
            doc, text = by_row.get(r["doc"], (None, ""))
            start = text.find(r["sentence"]) if doc else -1
            rows.append({"item_id": f"{round_name}:{r['id']}", "round": round_name, "doc": doc,
                         "outlet": r["outlet"], "country": r["country"], "sentence": r["sentence"],
                         "sent_start": start, "sent_end": start + len(r["sentence"]) if start >= 0 else -1,
                         "mention_start": r["from"], "mention_end": r["to"],
                         "coder_1_sentiment": r["coder_1"]["sentiment"],
                         "coder_1_frames": tuple(sorted(r["coder_1"]["frames"])),
                         "coder_2_sentiment": r["coder_2"]["sentiment"],
                         "coder_2_frames": tuple(sorted(r["coder_2"]["frames"]))})
    return pd.DataFrame(rows)
