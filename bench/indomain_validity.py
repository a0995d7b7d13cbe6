"""In-domain validity: sentiment toward the named country and sentence frames, on the study's own coded data.

Usage (from the repository root):

    .venv/bin/python bench/indomain_validity.py                # print JSON lines, write the validation tables
    .venv/bin/python bench/indomain_validity.py --write-heads  # also refit the shipped in-domain models
    .venv/bin/python bench/indomain_validity.py --only test    # the clean test alone (round r3)

Data: the coded items of ``analysis.annotation.gold.load_gold`` (rounds r1, r1b from
``../shared/datasets/ai_news_portrayal_dev`` and this project's round r2, whose text comes from the development
corpora and the collected pages in ``data/external/ai_news_pages``). Without them the script says so and stops.

Protocol (nothing is chosen on the sentences it is scored on):

* Cross-validation grouped by site (5 folds): the host of each item's page, with items whose sentences are
  identical (syndicated copies) merged into one group, so a site's articles and a story's copies are in one
  fold only (``analysis.validity.site_groups``).
* Hyper-parameters are chosen inside each training fold by an inner grouped cross-validation (nested), from
  small grids (``SENTIMENT_GRID``, ``FRAME_GRID``); the outer predictions are what is scored. The grids and the
  feature sets were themselves settled after exploratory runs on the same coded data, and a frame is called
  validated on its own cross-validated F1, so the figures may be slightly optimistic; new codes are the clean
  test.
* Intervals: 95% percentile bootstrap over articles (1,000 resamples).
* Sentiment: direct references (names, demonyms, capitals, governments) are the primary analysis; proxies
  (companies, people, other places, datelines) a sensitivity row. Frames: direct references only (the frames
  of a sentence do not depend on which name marks the country, and coders left proxies' frames empty).

Writes to ``analysis/resources/validity/``: ``indomain.csv`` (``analysis.validity.VALIDATION_COLUMNS``),
``indomain_sentiment.csv`` (per scorer, reference class and country), ``indomain_frames.csv`` (per frame) and
``agreement_r2.csv`` (the two first coders of round 2); ``--write-heads`` also rewrites the two shipped heads.
The clean test (round r3, pages collected after the heads were fitted; ``--only test`` runs it alone) writes
``indomain_test_sentiment.csv``, ``indomain_test_frames.csv`` and ``agreement_r3.csv``, and adds ``test_r3`` rows
to ``indomain.csv``. It scores the stored heads, so ``--write-heads`` reruns it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

os.environ.setdefault("TQDM_DISABLE", "1")

import numpy as np
import pandas as pd

from analysis.annotation.gold import load_gold
from analysis.framing.domain import HEAD_FILE as FRAME_HEAD_FILE
from analysis.framing.domain import DomainFrameHead, sentence_features
from analysis.framing.measure import load_codebook, score_frames
from analysis.paths import DatasetMissingError
from analysis.sentiment.measure import predict_target_sentiment
from analysis.validity import (VALIDATION_COLUMNS, VALIDITY_DIR, binary_f1, cluster_interval, coded_sentence_keys,
                               grouped_folds, macro_f1, sentence_shingles, site_groups, validation_row)

LABELS = ("negative", "neutral", "positive")
FRAME_GRID = [{"C_dense": 0.01, "C_words": 1.0}, {"C_dense": 0.01, "C_words": 3.0}, {"C_dense": 0.03, "C_words": 3.0}]
N_FOLDS = 5
MIN_REPORTED = 30  # frames with at least this many coded positives enter the headline macro-F1


def emit(record: dict) -> None:
    print(json.dumps(record, sort_keys=True), flush=True)


def _frame_table(gold: pd.DataFrame, frames: list[str]) -> pd.DataFrame:
    return pd.DataFrame({f: gold["frames"].map(lambda fs, f=f: f in fs) for f in frames})


def _head_macro(head_params, X, sentences, Y, groups, folds, frames) -> float:
    scores = []
    pred = pd.DataFrame(False, index=Y.index, columns=frames)
    for k in np.unique(folds):
        test = folds == k
        head = DomainFrameHead(n_splits=0, **head_params).fit(X[~test], [s for s, t in zip(sentences, test) if not t],
                                                              Y[~test], groups=groups[~test])
        p = head.predict(X[test], [s for s, t in zip(sentences, test) if t])
        for f in head.frames_:
            pred.loc[test, f] = p[f].to_numpy()
    for f in frames:
        if Y[f].sum() >= MIN_REPORTED:
            scores.append(binary_f1(Y[f], pred[f]))
    return float(np.mean(scores))


def frames_validity(gold: pd.DataFrame, frames: list[str], n_boot: int) -> tuple[list[dict], pd.DataFrame, dict]:
    direct = gold[gold["reference"] == "direct"].reset_index(drop=True)
    sentences = direct["sentence"].tolist()
    Y = _frame_table(direct, frames)
    groups = site_groups(direct["doc"], direct["sentence"])
    t0 = time.time()
    X = sentence_features(sentences)
    emit({"stage": "frame_features", "n": len(X), "seconds": round(time.time() - t0, 1)})
    outer = grouped_folds(list(groups), N_FOLDS)
    pred = pd.DataFrame(False, index=Y.index, columns=frames)
    chosen = []
    for k in range(N_FOLDS):
        train = outer != k
        inner = grouped_folds(list(groups[train]), N_FOLDS - 1)
        sub = [s for s, t in zip(sentences, train) if t]
        scores = [_head_macro(p, X[train], sub, Y[train].reset_index(drop=True), groups[train], inner, frames)
                  for p in FRAME_GRID]
        best = FRAME_GRID[int(np.argmax(scores))]
        chosen.append(best)
        head = DomainFrameHead(n_splits=0, **best).fit(X[train], sub, Y[train], groups=groups[train])
        test_sentences = [s for s, t in zip(sentences, ~train) if t]
        p = head.predict(X[~train], test_sentences)
        for f in head.frames_:
            pred.loc[~train, f] = p[f].to_numpy()
        emit({"stage": "frame_fold", "fold": k, "inner_macro_f1": [round(s, 4) for s in scores], "chosen": best})
    default = score_frames(sentences) >= 0.5
    fallback = [f for f in frames if Y[f].sum() < DomainFrameHead().min_positives]
    for f in fallback:  # frames without a head are scored by the label-free score, as in the study
        pred[f] = default[f].to_numpy()
    docs = direct["doc"].to_numpy()
    rows, per_frame = [], []
    for f in frames:
        n_pos = int(Y[f].sum())
        ours = cluster_interval(binary_f1, Y[f].to_numpy(), pred[f].to_numpy(), docs, n_boot=n_boot)
        base = binary_f1(Y[f], default[f])
        per_frame.append({"frame": f, "n_positive": n_pos, "f1": ours[0], "f1_low": ours[1], "f1_high": ours[2],
                          "default_f1": base, "exploratory": n_pos < MIN_REPORTED or ours[0] < 0.6})
        rows.append(validation_row(instrument="frames:indomain", data="ai_news_coded", split=f"cv_site:{f}",
                                   metric="f1", n=len(direct), estimate=ours, anchor="frames:default",
                                   anchor_value=base, note=f"{n_pos} coded positives"))
    table = pd.DataFrame(per_frame)
    big = [f for f in frames if Y[f].sum() >= MIN_REPORTED]

    def macro(y_true, y_pred):  # rows of boolean frame vectors packed as objects
        yt, yp = np.stack(y_true), np.stack(y_pred)
        return float(np.mean([binary_f1(yt[:, j], yp[:, j]) for j in range(yt.shape[1])]))

    gold_rows = list(Y[big].to_numpy())
    ours = cluster_interval(macro, gold_rows, list(pred[big].to_numpy()), docs, n_boot=n_boot)
    base = macro(gold_rows, list(default[big].to_numpy()))
    rows.insert(0, validation_row(instrument="frames:indomain", data="ai_news_coded", split="cv_site",
                                  metric=f"macro_f1_frames_ge{MIN_REPORTED}", n=len(direct), estimate=ours,
                                  anchor="frames:default", anchor_value=base,
                                  note=f"{len(big)} frames with >= {MIN_REPORTED} positives; direct references"))
    emit({"stage": "frames", "macro_f1": round(ours[0], 4), "interval": [round(ours[1], 4), round(ours[2], 4)],
          "default_macro_f1": round(base, 4)})
    final = pd.Series([json.dumps(c, sort_keys=True) for c in chosen]).value_counts().index[0]
    return rows, table, {"X": X, "sentences": sentences, "Y": Y, "groups": groups, "params": json.loads(final)}


def sentiment_validity(gold: pd.DataFrame, n_boot: int, predict_cv, *, split: str = "cv_site",
                       note: str = "direct = primary analysis; proxy = sensitivity") -> tuple[list[dict], pd.DataFrame]:
    """Score VADER, the shipped target model and the in-domain model (``predict_cv(data)``) per country."""
    data = gold[gold["sentiment"].notna()].reset_index(drop=True)
    spans = list(zip(data["mention_start"], data["mention_end"]))
    preds = {
        "sentiment:vader": predict_target_sentiment(data["sentence"], spans, scorer="vader")["label"].to_numpy(),
        "sentiment:target_newsmtsc": predict_target_sentiment(data["sentence"], spans, scorer="target")["label"].to_numpy(),
        "sentiment:indomain": predict_cv(data),
    }
    rows, detail = [], []
    for reference in ("direct", "proxy"):
        for country in ("all", "CHN", "JPN", "MYS"):
            mask = (data["reference"] == reference) & ((data["country"] == country) if country != "all" else True)
            if mask.sum() < 20:
                continue
            sub = data[mask]
            for name, pred in preds.items():
                est = cluster_interval(lambda a, b: macro_f1(a, b, LABELS), sub["sentiment"].to_numpy(),
                                       pred[mask.to_numpy()], sub["doc"].to_numpy(), n_boot=n_boot)
                detail.append({"instrument": name, "reference": reference, "country": country, "n": int(mask.sum()),
                               "macro_f1": est[0], "low": est[1], "high": est[2]})
    detail = pd.DataFrame(detail)
    for row in detail[detail["instrument"] == "sentiment:indomain"].itertuples():
        anchor = detail[(detail["instrument"] == "sentiment:target_newsmtsc") & (detail["reference"] == row.reference)
                        & (detail["country"] == row.country)]["macro_f1"].iloc[0]
        rows.append(validation_row(instrument="sentiment:indomain", data="ai_news_coded",
                                   split=f"{split}:{row.reference}:{row.country}", metric="macro_f1", n=row.n,
                                   estimate=(row.macro_f1, row.low, row.high), anchor="sentiment:target_newsmtsc",
                                   anchor_value=anchor, note=note))
    return rows, detail


def _host(doc: str) -> str:
    return str(doc).split("/")[0]


def _macro_frames(y_true, y_pred) -> float:  # rows of boolean frame vectors packed as objects
    yt, yp = np.stack(y_true).astype(bool), np.stack(y_pred).astype(bool)
    return float(np.mean([binary_f1(yt[:, j], yp[:, j]) for j in range(yt.shape[1])]))


def clean_test(train: pd.DataFrame, frames: list[str], n_boot: int) -> list[dict]:
    """Round r3: the shipped heads, as the study runs them, on items from pages collected after they were fitted.

    Nothing was chosen on these items. An article is dropped whole when one of its items shares a run of eight
    words with a training sentence of any country (another copy of a story, :func:`analysis.validity.sentence_shingles`;
    the frame head reads the sentence alone, so the country does not matter). Each head is compared with its
    anchor by a paired article bootstrap (:func:`analysis.validity.paired_difference`), on all test items and on
    those from sites that no training round has (the cross-validation kept sites apart; the test keeps pages
    apart). Writes ``indomain_test_sentiment.csv`` and ``indomain_test_frames.csv`` (the schemas of the
    cross-validated tables) and returns rows for ``indomain.csv`` (splits ``test_r3...``).
    """
    from analysis.annotation.gold import R3_DIR
    from analysis.framing.domain import indomain_sentence_scores
    from analysis.sentiment.domain import predict_domain_sentiment
    from analysis.validity import paired_difference

    if not (R3_DIR / "codes.csv").exists():
        emit({"stage": "clean_test", "skipped": f"{R3_DIR} has no codes"})
        return []
    test = load_gold(frames, rounds=("r3",))
    known = set(coded_sentence_keys(train)["shingle"])
    seen = np.array([any(h in known for h in sentence_shingles(t)) for t in test["sentence"]])
    dropped_docs = set(test.loc[seen, "doc"])
    out = test["doc"].isin(dropped_docs).to_numpy()
    test = test[~out].reset_index(drop=True)
    training_hosts = {_host(d) for d in train["doc"]}
    new_site = ~test["doc"].map(_host).isin(training_hosts).to_numpy()
    emit({"stage": "clean_test_gold", "items": len(test), "overlapping_items": int(seen.sum()),
          "dropped_articles": len(dropped_docs), "dropped_items": int(out.sum()),
          "items_from_new_sites": int(new_site.sum()), "missing_documents": test.attrs.get("missing_documents", 0),
          "outlets": int(test["outlet"].nunique()),
          "by_country_reference": {f"{c}/{r}": int(n) for (c, r), n in test.groupby(["country", "reference"]).size().items()}})
    agreement(frames, n_boot, name="r3")

    def shipped(data):
        spans = list(zip(data["mention_start"], data["mention_end"]))
        return predict_domain_sentiment(data["sentence"].tolist(), spans)["label"].to_numpy()

    note = "clean test: pages collected after the heads were fitted; nothing chosen on them"
    rows, detail = sentiment_validity(test, n_boot, shipped, split="test_r3", note=note)
    detail.round(4).to_csv(VALIDITY_DIR / "indomain_test_sentiment.csv", index=False, lineterminator="\n")
    emit({"stage": "clean_test_sentiment", "detail": detail[detail["reference"] == "direct"].round(4).to_dict(orient="records")})

    # Head minus anchor, paired: the same sentences, the same resampled articles.
    scored = test[test["sentiment"].notna()].reset_index(drop=True)
    spans = list(zip(scored["mention_start"], scored["mention_end"]))
    ours_label = shipped(scored)
    anchor_label = predict_target_sentiment(scored["sentence"], spans, scorer="target")["label"].to_numpy()
    scored_new = ~scored["doc"].map(_host).isin(training_hosts).to_numpy()

    def f1(a, b):
        return macro_f1(a, b, LABELS)

    for scope, mask in [(f"{c}", (scored["reference"] == "direct").to_numpy() & ((scored["country"] == c).to_numpy()
                                                                              if c != "all" else True))
                        for c in ("all", "CHN", "JPN", "MYS")] + [
                           ("all:new_sites", (scored["reference"] == "direct").to_numpy() & scored_new)]:
        gold = scored["sentiment"].to_numpy()[mask]
        docs = scored["doc"].to_numpy()[mask]
        if scope.endswith("new_sites"):
            level = cluster_interval(f1, gold, ours_label[mask], docs, n_boot=n_boot)
            rows.append(validation_row(instrument="sentiment:indomain", data="ai_news_coded",
                                       split="test_r3:direct:all:new_sites", metric="macro_f1", n=int(mask.sum()),
                                       estimate=level, anchor="sentiment:target_newsmtsc",
                                       anchor_value=f1(gold, anchor_label[mask]),
                                       note="clean test, items from sites no training round has"))
        diff = paired_difference(f1, gold, ours_label[mask], anchor_label[mask], docs, n_boot=n_boot)
        rows.append(validation_row(instrument="sentiment:indomain", data="ai_news_coded",
                                   split=f"test_r3:direct:{scope}", metric="macro_f1_minus_anchor", n=int(mask.sum()),
                                   estimate=diff, anchor="sentiment:target_newsmtsc",
                                   note="paired article bootstrap: the same sentences scored by both"))

    direct = test[test["reference"] == "direct"].reset_index(drop=True)
    sentences = direct["sentence"].tolist()
    Y = _frame_table(direct, frames)
    book = load_codebook()
    scores, _ = indomain_sentence_scores(sentences, book)
    pred = pd.DataFrame(scores >= 0.5, columns=list(book["id"]))
    default = score_frames(sentences) >= 0.5
    cv = pd.read_csv(VALIDITY_DIR / "indomain_frames.csv").set_index("frame")
    validated = [f for f in frames if cv.loc[f, "n_positive"] >= MIN_REPORTED]  # fixed by the training codes
    docs = direct["doc"].to_numpy()
    per_frame = []
    for f in frames:
        ours = cluster_interval(binary_f1, Y[f].to_numpy(), pred[f].to_numpy(), docs, n_boot=n_boot)
        per_frame.append({"frame": f, "n_positive": int(Y[f].sum()), "f1": ours[0], "f1_low": ours[1],
                          "f1_high": ours[2], "default_f1": binary_f1(Y[f], default[f]),
                          "exploratory": bool(cv.loc[f, "exploratory"])})
        rows.append(validation_row(instrument="frames:indomain", data="ai_news_coded", split=f"test_r3:{f}",
                                   metric="f1", n=len(direct), estimate=ours, anchor="frames:default",
                                   anchor_value=binary_f1(Y[f], default[f]), note=f"{int(Y[f].sum())} coded positives"))
    pd.DataFrame(per_frame).round(4).to_csv(VALIDITY_DIR / "indomain_test_frames.csv", index=False,
                                            lineterminator="\n")

    gold_rows, ours_rows, base_rows = (Y[validated].to_numpy(), pred[validated].to_numpy(),
                                       default[validated].to_numpy())
    ours = cluster_interval(_macro_frames, list(gold_rows), list(ours_rows), docs, n_boot=n_boot)
    base = _macro_frames(list(gold_rows), list(base_rows))
    rows.append(validation_row(instrument="frames:indomain", data="ai_news_coded", split="test_r3",
                               metric=f"macro_f1_frames_ge{MIN_REPORTED}", n=len(direct), estimate=ours,
                               anchor="frames:default", anchor_value=base,
                               note=f"the {len(validated)} frames with >= {MIN_REPORTED} positives in the training codes; {note}"))
    diff = paired_difference(_macro_frames, gold_rows, ours_rows, base_rows, docs, n_boot=n_boot)
    rows.append(validation_row(instrument="frames:indomain", data="ai_news_coded", split="test_r3",
                               metric="macro_f1_minus_anchor", n=len(direct), estimate=diff, anchor="frames:default",
                               note="paired article bootstrap: the same sentences scored by both"))
    new = ~direct["doc"].map(_host).isin(training_hosts).to_numpy()
    level = cluster_interval(_macro_frames, list(gold_rows[new]), list(ours_rows[new]), docs[new], n_boot=n_boot)
    rows.append(validation_row(instrument="frames:indomain", data="ai_news_coded", split="test_r3:new_sites",
                               metric=f"macro_f1_frames_ge{MIN_REPORTED}", n=int(new.sum()), estimate=level,
                               anchor="frames:default", anchor_value=_macro_frames(list(gold_rows[new]), list(base_rows[new])),
                               note="clean test, items from sites no training round has"))
    emit({"stage": "clean_test_frames", "macro_f1": round(ours[0], 4), "interval": [round(ours[1], 4), round(ours[2], 4)],
          "default_macro_f1": round(base, 4), "difference": [round(v, 4) for v in diff], "new_sites": [round(v, 4) for v in level],
          "per_frame": {r["frame"]: [r["n_positive"], round(r["f1"], 3)] for r in per_frame}})
    return rows


def agreement(frames: list[str], n_boot: int, name: str = "r2") -> pd.DataFrame:
    """A project round: agreement of the two independent coders (before the tie-break), from the committed codes."""
    from analysis.annotation.agreement import agreement_by_variable
    from analysis.annotation.store import read_round
    from analysis.annotation.gold import R2_DIR, R3_DIR

    codes = read_round({"r2": R2_DIR, "r3": R3_DIR}[name])["codes"]
    codes = codes[codes["role"] == "primary"].copy()
    codes["coder"] = codes["coder"].str.split("/").str[1]  # the slot: each batch had its own two coders
    table = agreement_by_variable(codes, frames, n_boot=n_boot, random_state=0)
    table.to_csv(VALIDITY_DIR / f"agreement_{name}.csv", index=False, lineterminator="\n")
    emit({"stage": "agreement", "round": name, "sentiment_alpha": float(table["alpha"].iloc[0])})
    return table


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write-heads", action="store_true")
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument("--only", choices=["frames", "sentiment", "agreement", "test"], default=None)
    args = parser.parse_args(argv)
    frames = load_codebook()["id"].tolist()
    try:
        gold = load_gold(frames)
    except (DatasetMissingError, FileNotFoundError) as error:
        print(f"bench/indomain_validity.py: skipped, coded data not available ({error})", file=sys.stderr)
        return 0
    emit({"stage": "gold", "items": len(gold), "missing_documents": gold.attrs["missing_documents"],
          "duplicates_dropped": gold.attrs["duplicates_dropped"],
          "no_majority": gold.attrs["no_majority"],
          "by_country_reference": {f"{c}/{r}": int(n) for (c, r), n in gold.groupby(["country", "reference"]).size().items()}})
    VALIDITY_DIR.mkdir(parents=True, exist_ok=True)
    agreement(frames, args.n_boot)
    rows = []
    if args.only == "agreement":
        return 0
    if args.only == "test":  # the clean test alone: the stored heads on round r3
        rows += clean_test(gold, frames, args.n_boot)
    if args.only in (None, "frames"):
        frame_rows, per_frame, fitted = frames_validity(gold, frames, args.n_boot)
        rows += frame_rows
        per_frame.round(4).to_csv(VALIDITY_DIR / "indomain_frames.csv", index=False, lineterminator="\n")
        if args.write_heads:
            head = DomainFrameHead(n_splits=0, **fitted["params"]).fit(fitted["X"], fitted["sentences"], fitted["Y"],
                                                                       groups=fitted["groups"])
            FRAME_HEAD_FILE.write_text(json.dumps(head.to_dict(), sort_keys=True) + "\n", encoding="utf-8")
            emit({"stage": "frame_head_written", "path": str(FRAME_HEAD_FILE), "params": fitted["params"]})
    if args.only in (None, "sentiment"):
        from indomain_sentiment import predict_cv, write_model

        sent_rows, detail = sentiment_validity(gold, args.n_boot, predict_cv)
        rows += sent_rows
        detail.round(4).to_csv(VALIDITY_DIR / "indomain_sentiment.csv", index=False, lineterminator="\n")
        emit({"stage": "sentiment", "detail": detail.round(4).to_dict(orient="records")})
        if args.write_heads:
            rows += write_model(gold)
    retested = args.only is None or (args.write_heads and args.only in ("frames", "sentiment"))
    if retested:  # the clean test scores the stored heads, so it is rerun whenever they are rewritten
        rows += clean_test(gold, frames, args.n_boot)
    table = pd.DataFrame(rows, columns=VALIDATION_COLUMNS)
    path = VALIDITY_DIR / "indomain.csv"
    if args.only is not None and path.exists():
        old = pd.read_csv(path)
        test_rows = old["split"].str.startswith("test_r3")
        if args.only == "test" or retested:
            keep = ~test_rows & ~old["instrument"].str.startswith(args.only)
        else:
            keep = ~old["instrument"].str.startswith(args.only) | test_rows
        table = pd.concat([old[keep], table], ignore_index=True)
    table.to_csv(path, index=False, lineterminator="\n")
    emit({"stage": "written", "path": str(path), "rows": len(table)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
