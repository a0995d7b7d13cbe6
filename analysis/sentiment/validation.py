"""Validation of the sentiment scorers: NewsMTSC (the neighbouring task) and the in-domain codes (the study's own).

Every table here is read by notebook 04 and by the synthesis; the in-domain figures come from
``bench/indomain_validity.py`` (site-grouped nested cross-validation on the coded AI-news sentences).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from analysis.paths import DatasetMissingError, dataset_path
from analysis.sentiment import measure as sm
from analysis.validity import VALIDITY_DIR, format_cell, load_indomain_validation

__all__ = ["POLARITY_LABELS", "EVAL_SPLITS", "PUBLISHED_NEWSSENTIMENT", "load_newsmtsc", "score_split", "evaluate_scorers",
           "validation_table", "read_validation_metrics", "indomain_sentiment_table", "validity_rows"]

POLARITY_LABELS = {2.0: "negative", 4.0: "neutral", 6.0: "positive"}
EVAL_SPLITS = ("dev_rw", "dev_mt", "test_mt")
# NewsSentiment (Hamborg & Donnay 2021, RoBERTa, needs a hub download): the paper's real-world test figure.
PUBLISHED_NEWSSENTIMENT = {"scorer": "NewsSentiment (published)", "split": "test_rw", "n": 803, "macro_f1": 0.831,
                           "accuracy": float("nan"),
                           "source": "Hamborg & Donnay 2021, published; test_rw is withheld in our copy"}


def load_newsmtsc(split: str) -> pd.DataFrame:
    """One row per annotated target of a NewsMTSC split.

    Returns:
        DataFrame ``sentence``, ``start``, ``end``, ``mention``, ``label``, ``sentence_id``.

    Raises:
        DatasetMissingError: The shared dataset is absent.
        ValueError: A target's offsets do not slice its mention (names file and line).
    """
    path = dataset_path("newsmtsc", f"{split}.jsonl")
    rows = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            rec = json.loads(line)
            text = rec["sentence_normalized"]
            for t in rec["targets"]:
                if text[t["from"]:t["to"]] != t["mention"]:
                    raise ValueError(f"{path}:{lineno}: target {t['mention']!r} not at {t['from']}:{t['to']}.")
                rows.append((text, t["from"], t["to"], t["mention"], POLARITY_LABELS[t["polarity"]],
                             rec["primary_gid"]))
    return pd.DataFrame(rows, columns=["sentence", "start", "end", "mention", "label", "sentence_id"])


def score_split(y_true, y_pred) -> dict[str, float]:
    """Macro-F1 and accuracy over the three labels."""
    from sklearn.metrics import accuracy_score, f1_score

    return {"macro_f1": float(f1_score(y_true, y_pred, labels=list(sm.LABELS), average="macro", zero_division=0)),
            "accuracy": float(accuracy_score(y_true, y_pred))}


def evaluate_scorers(scorers=sm.SCORERS, splits=EVAL_SPLITS, *, batch_size: int = 64) -> pd.DataFrame:
    """Score NewsMTSC splits now with :func:`analysis.sentiment.measure.predict_target_sentiment`.

    Returns:
        DataFrame ``scorer``, ``split``, ``n``, ``macro_f1``, ``accuracy``, ``source``.

    Raises:
        DatasetMissingError: The shared NewsMTSC copy is absent.
    """
    rows = []
    for split in splits:
        df = load_newsmtsc(split)
        for scorer in scorers:
            pred = sm.predict_target_sentiment(df.sentence, zip(df.start, df.end), scorer=scorer,
                                               batch_size=batch_size)["label"]
            rows.append({"scorer": scorer, "split": split, "n": len(df), **score_split(df.label, pred),
                         "source": "recomputed now"})
    return pd.DataFrame(rows, columns=["scorer", "split", "n", "macro_f1", "accuracy", "source"])


def validation_table(*, recompute=(), folder=sm.SENTIMENT_DIR) -> pd.DataFrame:
    """Validation of the scorers on NewsMTSC next to the published NewsSentiment figure.

    Args:
        recompute: Scorers to re-score now on the shared data (``("vader",)`` takes seconds,
            ``"target"`` minutes on a 2-core CPU); the others show the figures stored by
            the training command. Without the shared data the stored figures are kept
            and ``table.attrs["note"]`` says why.
        folder: Artefact folder holding ``validation_metrics.csv``.

    Returns:
        DataFrame ``scorer``, ``split``, ``n``, ``macro_f1``, ``accuracy``, ``source``, metrics
        rounded to 3 decimals.
    """
    stored = read_validation_metrics(folder)
    note = ""
    if recompute:
        try:
            fresh = evaluate_scorers(list(recompute))
            stored = pd.concat([stored[~stored["scorer"].isin(list(recompute))], fresh], ignore_index=True)
        except DatasetMissingError as exc:
            note = f"NewsMTSC not available, showing stored figures only: {exc}"
    table = pd.concat([stored, pd.DataFrame([PUBLISHED_NEWSSENTIMENT])], ignore_index=True)
    table = table.round({"macro_f1": 3, "accuracy": 3})
    table.attrs["note"] = note
    return table


def read_validation_metrics(folder: str | Path = sm.SENTIMENT_DIR) -> pd.DataFrame:
    """Validation figures stored by the training command (no recomputation).

    Returns:
        DataFrame ``scorer``, ``split``, ``n``, ``macro_f1``, ``accuracy``, ``source``.
    """
    path = Path(folder) / sm.METRICS_FILE
    if not path.is_file():
        raise sm.SentimentModelError(f"{path} is missing; run `python -m analysis.sentiment train` to recreate it.")
    return pd.read_csv(path)


def indomain_sentiment_table(folder: str | Path = VALIDITY_DIR, *, name: str = "indomain_sentiment.csv") -> pd.DataFrame:
    """Macro-F1 [95% CI] per reference class and country for VADER, the NewsMTSC model and the in-domain head.

    ``name="indomain_test_sentiment.csv"`` gives the clean test (round r3: new pages, shipped head) instead of
    the cross-validation on the training rounds.

    Returns:
        DataFrame ``reference, country, n`` and one column per instrument (formatted estimate and interval),
        direct references first.
    """
    detail = load_indomain_validation(name, folder)
    detail["cell"] = [format_cell(v, lo, hi) for v, lo, hi in zip(detail["macro_f1"], detail["low"], detail["high"])]
    table = detail.pivot_table(index=["reference", "country", "n"], columns="instrument", values="cell",
                               aggfunc="first").reset_index()
    table.columns.name = None
    order = {"direct": 0, "proxy": 1}
    table = table.sort_values(["reference", "country"], key=lambda col: col.map(order) if col.name == "reference"
                              else col.map({"all": "0"}).fillna(col), kind="stable")
    names = {"sentiment:vader": "VADER (sentence)", "sentiment:target_newsmtsc": "target model (NewsMTSC)",
             "sentiment:indomain": "in-domain head (study default)"}
    return table.rename(columns=names)[["reference", "country", "n", *[n for n in names.values() if n in
                                                                         table.rename(columns=names).columns]]]


_INDOMAIN_PICKS = [("cv_site:direct:all", "sentiment toward the named country (in-domain head)"),
                   ("cv_site:direct:CHN", "  - China"), ("cv_site:direct:JPN", "  - Japan"),
                   ("cv_site:direct:MYS", "  - Malaysia"), ("cv_site:proxy:all", "  - proxies only (sensitivity)")]


def validity_rows(folder: str | Path = sm.SENTIMENT_DIR) -> pd.DataFrame:
    """The sentiment instrument's validity in the package's one schema (:data:`analysis.validity.VALIDATION_COLUMNS`).

    In-domain first (coded AI-news sentences, cross-validated by site, 95% article-bootstrap interval), then
    NewsMTSC (the neighbouring task) beside VADER.
    """
    from analysis.validity import VALIDATION_COLUMNS

    indomain = load_indomain_validation()
    rows = []
    picks = [(split, label, "CV by site") for split, label in _INDOMAIN_PICKS]
    picks += [(split.replace("cv_site", "test_r3"), label, "clean test, new pages") for split, label in _INDOMAIN_PICKS]
    for split, label, design in picks:
        hit = indomain[(indomain["instrument"] == "sentiment:indomain") & (indomain["split"] == split)
                       & (indomain["metric"] == "macro_f1")]  # not the paired head-minus-anchor rows
        if len(hit):
            r = hit.iloc[0]
            rows.append({"instrument": label, "data": f"coded AI-news sentences (n={int(r['n'])}), {design}",
                         "split": split, "metric": "macro-F1 [95% CI]", "n": int(r["n"]), "ours": float(r["ours"]),
                         "ours_low": float(r["ours_low"]), "ours_high": float(r["ours_high"]),
                         "anchor": "NewsMTSC-trained target model", "anchor_value": float(r["anchor_value"]),
                         "note": str(r["note"])})
    metrics = read_validation_metrics(folder)
    for split in EVAL_SPLITS:
        sub = metrics[metrics["split"] == split].set_index("scorer")
        if "target" not in sub.index:
            continue
        rows.append({"instrument": "sentiment toward a target (our MiniLM scorer)", "data": f"NewsMTSC {split}",
                     "split": split, "metric": "macro-F1", "n": int(sub.loc["target", "n"]),
                     "ours": float(sub.loc["target", "macro_f1"]), "ours_low": float("nan"),
                     "ours_high": float("nan"), "anchor": "VADER on the sentence (same run)",
                     "anchor_value": float(sub.loc["vader", "macro_f1"]) if "vader" in sub.index else float("nan"),
                     "note": "NewsSentiment (Hamborg & Donnay 2021) reports 0.831 on the rw test split"})
    return pd.DataFrame(rows, columns=VALIDATION_COLUMNS)
