"""Hand-checked gold mentions and the precision and recall of country detection against them.

A gold file lists every reference to a study country in a corpus, keyed by
document and a short unique context (``left + surface + right``) rather than
by sentence ids, so it survives any sentence segmentation and the mild text
normalisation of cleaning (curly/straight quotes, whitespace). The seed-corpus
gold is ``analysis/resources/gold/seed_mentions.csv``.

Annotation decisions for the seed gold (every sentence of the five articles
was read):

* ``codebook`` rows are references the gazetteer is designed to catch: names,
  demonyms, places (including "University of Tokyo" -> Tokyo and the all-caps
  dateline "KUALA LUMPUR"), governments, leaders, and the listed flagship
  organisations and people (DeepSeek, SoftBank, OpenAI, Nvidia, ...).
* ``beyond`` rows are true references outside the instrument's design,
  reported but not scored: "Son" alone after "Masayoshi Son" (coreference;
  "Son" is too ambiguous to list), "Liang Wenbo" (seed 001's mistaken name for
  DeepSeek founder Liang Wenfeng: misnamings are not added as aliases, so the
  instrument is not tuned to one article's error) and "Liang" alone.
* Not references: regions ("Southeast Asia", "Latin America", "the West"),
  "the country" (coreference), unlisted minor firms and people whose country
  is not stated in the text (Silverlake Axis, Dyna.AI, Shota Imai), the outlet
  "Reference News Network" and the project name "Stargate".
"""

from __future__ import annotations

import re

import pandas as pd

from analysis.countries.measure import detect_mentions
from analysis.paths import RESOURCES_DIR

__all__ = ["GOLD_COLUMNS", "EVALUATION_COLUMNS", "SCORE_COLUMNS", "SEED_GOLD_PATH", "load_mention_gold", "evaluate_mentions", "validity_rows"]

GOLD_COLUMNS = ["doc_id", "left", "surface", "right", "country", "kind", "scope", "note"]
# The hand-checked gold for data/raw/seeds is reference data of the package (analysis/resources/gold/).
SEED_GOLD_PATH = RESOURCES_DIR / "gold" / "seed_mentions.csv"
EVALUATION_COLUMNS = ["doc_id", "field", "start", "end", "surface", "country", "scope", "status", "note"]
SCORE_COLUMNS = ["scope", "n_gold", "n_detected", "true_positives", "false_positives", "false_negatives", "precision",
                 "recall", "n_unlocated"]


def load_mention_gold(path=None) -> pd.DataFrame:
    """Read a hand-checked gold file of country mentions (default: the seed-corpus gold).

    Each row is one reference, keyed by ``doc_id`` and its context so it survives
    any segmentation: ``left + surface + right`` is a unique string of the
    article (title or text), with ``left``/``right`` up to ~24 characters on the
    same line. ``scope`` is ``codebook`` (the gazetteer should find it) or
    ``beyond`` (a true reference outside the instrument's design, such as
    coreference "Son" for Masayoshi Son; reported, not scored).

    Returns:
        DataFrame with :data:`GOLD_COLUMNS`.

    Raises:
        ValueError: A missing column, an empty surface, or an unknown scope, naming the row.
    """
    path = SEED_GOLD_PATH if path is None else path
    gold = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in GOLD_COLUMNS if c not in gold.columns]
    if missing:
        raise ValueError(f"{path}: gold file lacks columns {missing}.")
    for i, rec in enumerate(gold.itertuples(index=False), start=1):
        if not rec.surface or rec.scope not in ("codebook", "beyond"):
            raise ValueError(
                f"{path} row {i}: empty surface or scope {rec.scope!r} not in (codebook, beyond).")
    return gold[GOLD_COLUMNS]


def _flexible(fragment: str) -> str:
    """Regex for ``fragment`` tolerant of cleaning: curly or straight quotes, any whitespace run."""
    out = []
    for ch in fragment:
        if ch in "'\u2019\u2018":
            out.append("['\u2019\u2018]")
        elif ch in '"\u201c\u201d':
            out.append('["\u201c\u201d]')
        elif ch.isspace():
            if not out or out[-1] != r"\s+":
                out.append(r"\s+")
        else:
            out.append(re.escape(ch))
    return "".join(out)


def _locate_gold(gold: pd.DataFrame, articles: pd.DataFrame) -> pd.DataFrame:
    fields = articles.set_index("doc_id")[["text", "title"]].to_dict("index")
    located = []
    for rec in gold.itertuples(index=False):
        pattern = re.compile(_flexible(rec.left) + "(" + _flexible(rec.surface) + ")" + _flexible(rec.right))
        where = (None, -1, -1)
        for field in ("text", "title"):
            value = fields.get(rec.doc_id, {}).get(field)
            m = pattern.search(value) if isinstance(value, str) else None
            if m:
                where = (field, m.start(1), m.end(1))
                break
        located.append(where)
    return gold.assign(field=[w[0] for w in located], start=[w[1] for w in located],
                       end=[w[2] for w in located])


def evaluate_mentions(mentions: pd.DataFrame, sentences: pd.DataFrame, articles: pd.DataFrame,
                      gold: pd.DataFrame, *, gazetteer=None,
                      exclusions=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Precision and recall of detected mentions against a gold file.

    Detected mentions are placed in the article by adding the sentence's
    ``start``; titles are searched separately (``field = "title"``), since the
    corpus keeps the title apart from the text. A detection matches a gold row
    with the same document, field, start offset and country.

    Args:
        mentions: :func:`detect_mentions` output on ``sentences``.
        sentences: Sentences table (``doc_id, sent_id, start``).
        articles: Articles table (``doc_id, title, text``).
        gold: :func:`load_mention_gold` output.
        gazetteer, exclusions: As in :func:`detect_mentions`, for titles.

    Returns:
        ``(summary, detail)``. ``summary``: one row per scope (``codebook``;
        ``all`` adding the ``beyond`` rows to the gold) with ``n_gold,
        n_detected, true_positives, false_positives, false_negatives,
        precision, recall, n_unlocated`` (gold rows whose context is not in the
        corpus, e.g. a document it excluded; they are left out of the scores).
        ``detail``: :data:`EVALUATION_COLUMNS`, one row per gold or detected
        mention, ``status`` in ``tp, fp, fn, unlocated``.
    """
    docs = set(gold["doc_id"])
    body = mentions[mentions["doc_id"].isin(docs)].merge(
        sentences[["doc_id", "sent_id", "start"]].rename(columns={"start": "offset"}),
        on=["doc_id", "sent_id"])
    body = body.assign(field="text", start=body["start"] + body["offset"], end=body["end"] + body["offset"])
    arts = articles[articles["doc_id"].isin(docs)]
    titles = detect_mentions(arts[["doc_id", "title"]].rename(columns={"title": "text"}),
                             gazetteer=gazetteer, exclusions=exclusions).assign(field="title")
    detected = pd.concat([body, titles], ignore_index=True)[["doc_id", "field", "start", "end", "country"]]
    located = _locate_gold(gold, arts)
    key = ["doc_id", "field", "start", "country"]
    joined = located[located["field"].notna()].merge(detected, on=key, how="outer", suffixes=("", "_det"),
                                                     indicator=True)
    joined["status"] = joined["_merge"].map({"both": "tp", "left_only": "fn", "right_only": "fp"}).astype(str)
    joined["end"] = joined["end"].fillna(joined["end_det"])
    joined["scope"] = joined["scope"].fillna("detected")
    unlocated = located[located["field"].isna()].assign(status="unlocated")
    detail = pd.concat([joined, unlocated], ignore_index=True)
    text_of = arts.set_index("doc_id")[["text", "title"]].to_dict("index")
    fields = zip(detail["surface"], detail["doc_id"], detail["field"].fillna("text"), detail["start"],
                 detail["end"])
    detail["surface"] = [s if isinstance(s, str) else text_of[d][f][int(a):int(b)] for s, d, f, a, b in fields]
    detail = detail.astype({"start": "int64", "end": "int64"}).fillna({"note": ""})
    detail = detail.sort_values(["doc_id", "field", "start"]).reset_index(drop=True)[EVALUATION_COLUMNS]
    return _score(detail), detail


def _score(detail: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for scope, gold_scopes in (("codebook", {"codebook"}), ("all", {"codebook", "beyond"})):
        # 'beyond' rows the matcher did find are true positives in both scopes.
        sub = detail[detail["scope"].isin(gold_scopes | {"detected"})
                     | ((detail["scope"] == "beyond") & (detail["status"] == "tp"))]
        tp = int((sub["status"] == "tp").sum())
        fp = int((sub["status"] == "fp").sum())
        fn = int((sub["status"] == "fn").sum())
        rows.append({"scope": scope, "n_gold": tp + fn, "n_detected": tp + fp, "true_positives": tp,
                     "false_positives": fp, "false_negatives": fn,
                     "precision": tp / (tp + fp) if tp + fp else float("nan"),
                     "recall": tp / (tp + fn) if tp + fn else float("nan"),
                     "n_unlocated": int(((detail["status"] == "unlocated")
                                         & detail["scope"].isin(gold_scopes)).sum())})
    return pd.DataFrame(rows, columns=SCORE_COLUMNS)


def validity_rows(gold_summary: pd.DataFrame) -> pd.DataFrame:
    """Country detection's validity in the package's one schema (:data:`analysis.validity.VALIDATION_COLUMNS`).

    Args:
        gold_summary: :func:`evaluate_mentions`' summary (as the mentions stage stores it); empty when the
            corpus holds none of the gold articles (a user's own corpus), and then so is the result.
    """
    from analysis.validity import VALIDATION_COLUMNS

    if gold_summary.empty:
        return pd.DataFrame(columns=VALIDATION_COLUMNS)
    s = gold_summary.set_index("scope").loc["codebook"]
    targets = {"precision": 0.98, "recall": 0.95}
    return pd.DataFrame([{"instrument": "country mentions (gazetteer matcher)",
                          "data": "5 bundled articles, hand-coded gold", "split": "all", "metric": metric,
                          "n": int(s["n_gold"]), "ours": float(s[metric]), "ours_low": float("nan"),
                          "ours_high": float("nan"), "anchor": "target set in the issue",
                          "anchor_value": targets[metric], "note": f"{int(s['n_gold'])} gold mentions"}
                         for metric in ("precision", "recall")], columns=VALIDATION_COLUMNS)
