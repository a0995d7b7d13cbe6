"""Coding sheets out, codes in: the items a coder sees and the checks on what comes back.

A coder sees the guide and the items only. Each item carries the sentence, the marked mention (its characters
``from``..``to`` in the sentence) and one sentence of context on each side. The returned codes are one JSON
object per item, as the guide asks (``{"id": ..., "sentiment": ..., "frames": [...]}``), or a CSV with the same
fields (frames separated by ``;``).
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import pandas as pd

from analysis.corpus.segmentation import split_sentences

__all__ = ["SENTIMENTS", "CODE_COLUMNS", "CodesError", "sheet_items", "write_sheet", "write_sheet_html",
           "read_codes"]

SENTIMENTS = ("negative", "neutral", "positive")
CODE_COLUMNS = ["item_id", "coder", "sentiment", "frames", "unsure"]


class CodesError(ValueError):
    """Returned codes that cannot be used as they are; the message names the file, line and what to fix."""


def _context(text: str, start: int, end: int, n: int) -> str:
    spans = split_sentences(text)
    index = next((i for i, (s, e) in enumerate(spans) if s <= start < e), None)
    if index is None:
        return text[start:end]
    lo, hi = max(0, index - n), min(len(spans), index + n + 1)
    return text[spans[lo][0]:spans[hi - 1][1]]


def sheet_items(items: pd.DataFrame, docs: pd.DataFrame, *, context_sentences: int = 1) -> pd.DataFrame:
    """Join items to their documents' text and return what a coder sees.

    Args:
        items: Rows of :func:`analysis.annotation.items.extract_items` (``item_id, doc, country,
            sent_start, sent_end, mention_start, mention_end``).
        docs: ``doc, text``.
        context_sentences: Sentences of context on each side.

    Returns:
        DataFrame ``id, country, mention, from, to, sentence, context`` in item order.

    Raises:
        ValueError: an item's document is missing, or its offsets fall outside the text.
    """
    texts = dict(zip(docs["doc"].astype(str), docs["text"].astype(str)))
    rows = []
    for item in items.itertuples(index=False):
        text = texts.get(item.doc)
        if text is None or item.sent_end > len(text):
            raise ValueError(f"item {item.item_id}: document {item.doc!r} is missing or shorter than the "
                             "item's offsets; load the same version of the corpus the items were drawn from")
        sentence = text[item.sent_start:item.sent_end]
        rows.append({"id": item.item_id, "country": item.country,
                     "mention": sentence[item.mention_start:item.mention_end],
                     "from": int(item.mention_start), "to": int(item.mention_end), "sentence": sentence,
                     "context": _context(text, item.sent_start, item.sent_end, context_sentences)})
    return pd.DataFrame(rows, columns=["id", "country", "mention", "from", "to", "sentence", "context"])


def write_sheet(sheet: pd.DataFrame, path: str | Path) -> Path:
    """Write the coder's items: JSON lines (``.jsonl``), or a CSV (``.csv``) with empty code columns to fill."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".csv":
        sheet.assign(sentiment="", frames="", unsure="").to_csv(path, index=False, lineterminator="\n")
        return path
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for record in sheet.to_dict(orient="records"):
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def write_sheet_html(sheet: pd.DataFrame, guide_markdown: str, path: str | Path, *, title: str) -> Path:
    """Write a printable page: the guide, then each item with the mention highlighted and a code box."""
    parts = [f"<!doctype html><meta charset='utf-8'><title>{html.escape(title)}</title>",
             "<style>body{font:15px/1.45 Georgia,serif;max-width:46em;margin:2em auto}"
             "mark{background:#ffe08a}.item{border-top:1px solid #999;padding:.6em 0;page-break-inside:avoid}"
             ".ctx{color:#555;font-size:90%}.box{font-family:monospace;color:#333}</style>",
             f"<h1>{html.escape(title)}</h1><pre style='white-space:pre-wrap'>{html.escape(guide_markdown)}</pre>"]
    for row in sheet.itertuples(index=False):
        s = row.sentence
        marked = (html.escape(s[:row[3]]) + "<mark>" + html.escape(s[row[3]:row[4]]) + "</mark>"
                  + html.escape(s[row[4]:]))
        parts.append(f"<div class='item'><b>{html.escape(row.id)}</b> · target {html.escape(row.country)}"
                     f"<p>{marked}</p><p class='ctx'>{html.escape(row.context)}</p>"
                     "<p class='box'>sentiment: negative / neutral / positive &nbsp; frames: ________ "
                     "&nbsp; unsure: [ ]</p></div>")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts) + "\n", encoding="utf-8")
    return path


def _records(path: Path) -> list[tuple[int, dict]]:
    if path.suffix.lower() == ".csv":
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        out = []
        for number, row in enumerate(table.to_dict(orient="records"), start=2):
            row["frames"] = [f.strip() for f in row.get("frames", "").split(";") if f.strip()]
            row["unsure"] = str(row.get("unsure", "")).strip().lower() in {"1", "true", "yes", "x"}
            out.append((number, row))
        return out
    out = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise CodesError(f"{path} line {number}: not valid JSON ({error.msg}); write one JSON object "
                             "per line") from None
        if not isinstance(record, dict):
            raise CodesError(f"{path} line {number}: expected a JSON object with id, sentiment, frames")
        out.append((number, record))
    return out


def read_codes(path: str | Path, *, coder: str, item_ids, frames) -> pd.DataFrame:
    """Read and check one coder's codes.

    Args:
        path: JSON lines (``.jsonl``) or CSV with ``id, sentiment, frames[, unsure]``.
        coder: The coder's name, recorded with every code.
        item_ids: The ids of the sheet the coder was given; every one must be coded once.
        frames: The codebook's frame ids.

    Returns:
        DataFrame :data:`CODE_COLUMNS`; ``frames`` is a sorted tuple of frame ids.

    Raises:
        CodesError: an id not on the sheet, a duplicated or missing id, a sentiment not in
            :data:`SENTIMENTS`, or a frame not in the codebook; the message names file, line and id.
    """
    path = Path(path)
    if not path.exists():
        raise CodesError(f"codes of coder {coder!r} not found at {path}; every item needs two coders")
    wanted, known = list(item_ids), set(frames)
    expected, seen, rows = set(wanted), set(), []
    for number, record in _records(path):
        where = f"{path} line {number}"
        item = str(record.get("id", "")).strip()
        if item not in expected:
            raise CodesError(f"{where}: id {item!r} is not on this coder's sheet; check for a typo")
        if item in seen:
            raise CodesError(f"{where}: id {item!r} is coded twice; keep one line per item")
        label = str(record.get("sentiment", "")).strip().lower()
        if label not in SENTIMENTS:
            raise CodesError(f"{where} (id {item}): sentiment {record.get('sentiment')!r} is not one of "
                             f"{list(SENTIMENTS)}")
        chosen = record.get("frames") or []
        if isinstance(chosen, str) or not all(isinstance(f, str) for f in chosen):
            raise CodesError(f"{where} (id {item}): frames must be a list of frame ids")
        unknown = sorted(set(chosen) - known)
        if unknown:
            raise CodesError(f"{where} (id {item}): frame(s) {unknown} are not in the codebook; use "
                             f"{sorted(known)}")
        seen.add(item)
        rows.append({"item_id": item, "coder": coder, "sentiment": label, "frames": tuple(sorted(set(chosen))),
                     "unsure": bool(record.get("unsure", False))})
    lost = [i for i in wanted if i not in seen]
    if lost:
        raise CodesError(f"{path}: {len(lost)} item(s) of the sheet are not coded, first {lost[:3]}; "
                         "code every item")
    return pd.DataFrame(rows, columns=CODE_COLUMNS)
