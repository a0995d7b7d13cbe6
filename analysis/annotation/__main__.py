"""Command line for coding a new corpus: ``python -m analysis.annotation sheets|agreement``.

    python -m analysis.annotation sheets --corpus my_articles.csv --per-country 150 --out coding/
    python -m analysis.annotation agreement --sheet coding/items.jsonl --codes coding/a.jsonl coding/b.jsonl

``sheets`` draws (sentence, country) items stratified by country × outlet × likely frame and writes
``items.jsonl``, ``items.csv``, a printable ``items.html`` that carries the guide, and ``items_key.csv`` (the
stand-off key: document, offsets; keep it, it is what the codes are joined to). ``agreement`` checks every
coder's file and writes ``agreement.csv`` (Krippendorff's alpha per variable with a bootstrap interval),
``confusion.csv`` and ``adjudication.csv`` (the disagreements, with empty decision columns) next to the sheet.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from analysis.annotation.agreement import adjudication_table, agreement_by_variable, confusion_between_coders
from analysis.annotation.items import extract_items, sample_items
from analysis.annotation.sheets import read_codes, sheet_items, write_sheet, write_sheet_html


def _guide(path: str | None) -> str:
    from analysis.annotation.documents import heldout_path

    guide = Path(path) if path else heldout_path().parent / "CODING_GUIDE.md"
    if not guide.is_file():
        raise SystemExit(f"coding guide not found at {guide}; pass --guide PATH (the construct the coders follow)")
    return guide.read_text(encoding="utf-8")


def _likely_frames(items: pd.DataFrame, docs: pd.DataFrame) -> pd.Series:
    from analysis.framing.measure import _dictionary_sentence_scores, load_codebook

    text = dict(zip(docs["doc"], docs["text"]))
    sentences = [text[d][a:b] for d, a, b in zip(items["doc"], items["sent_start"], items["sent_end"])]
    book = load_codebook()
    scores = _dictionary_sentence_scores(sentences, book)
    ids = book["id"].tolist()
    return pd.Series([ids[j] if scores[i, j] > 0 else "none" for i, j in enumerate(scores.argmax(axis=1))],
                     index=items.index)


def sheets(args) -> int:
    from analysis.corpus.prepare import prepare_corpus

    tables = prepare_corpus(args.corpus)
    docs = tables.articles.rename(columns={"doc_id": "doc"})
    if "outlet" not in docs:
        docs["outlet"] = ""
    items = extract_items(docs[["doc", "outlet", "text"]], countries=args.countries.split(","))
    items["likely_frame"] = _likely_frames(items, docs)
    pool = items if args.include_proxies else items[items["reference"] == "direct"]
    quotas = {c: args.per_country for c in args.countries.split(",")}
    sample = sample_items(pool, quotas, strata=("outlet", "likely_frame"), per_doc=args.per_doc,
                          random_state=args.seed).reset_index(drop=True)
    if sample.empty:
        raise SystemExit(f"{args.corpus}: no sentence names {args.countries} by a direct reference"
                         f"{'' if args.include_proxies else ' (try --include-proxies)'}; nothing to code, no sheet written")
    sheet = sheet_items(sample, docs)
    sheet["id"] = [f"i{k:04d}" for k in range(len(sheet))]
    out = Path(args.out)
    write_sheet(sheet, out / "items.jsonl")
    write_sheet(sheet, out / "items.csv")
    write_sheet_html(sheet, _guide(args.guide), out / "items.html", title="Coding sheet")
    sample.assign(id=sheet["id"]).to_csv(out / "items_key.csv", index=False, lineterminator="\n")
    print(f"{len(sheet)} items ({sample.groupby('country').size().to_dict()}) written to {out}")
    return 0


def agreement(args) -> int:
    from analysis.framing.measure import load_codebook

    frames = load_codebook()["id"].tolist()
    sheet = pd.read_json(args.sheet, lines=True)
    codes = pd.concat([read_codes(path, coder=Path(path).stem, item_ids=sheet["id"], frames=frames)
                       for path in args.codes], ignore_index=True)
    out = Path(args.sheet).parent
    table = agreement_by_variable(codes, frames, n_boot=args.n_boot, random_state=args.seed)
    table.to_csv(out / "agreement.csv", index=False, lineterminator="\n")
    coders = sorted(codes["coder"].unique())
    confusion_between_coders(codes, (coders[0], coders[1])).to_csv(out / "confusion.csv", lineterminator="\n")
    adjudication_table(codes).to_csv(out / "adjudication.csv", index=False, lineterminator="\n")
    print(table.to_string(index=False))
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analysis.annotation", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("sheets", help="draw items from a corpus and write coding sheets")
    s.add_argument("--corpus", required=True)
    s.add_argument("--out", required=True)
    s.add_argument("--countries", default="CHN,JPN,MYS")
    s.add_argument("--per-country", type=int, default=100)
    s.add_argument("--per-doc", type=int, default=6)
    s.add_argument("--include-proxies", action="store_true")
    s.add_argument("--guide", default=None)
    s.add_argument("--seed", type=int, default=0)
    a = sub.add_parser("agreement", help="check coders' files, report alpha, write the adjudication table")
    a.add_argument("--sheet", required=True)
    a.add_argument("--codes", nargs="+", required=True)
    a.add_argument("--n-boot", type=int, default=1000)
    a.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    return sheets(args) if args.command == "sheets" else agreement(args)


if __name__ == "__main__":
    sys.exit(main())
