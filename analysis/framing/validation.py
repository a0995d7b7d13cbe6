"""Validation against human coders: coding sheets, Krippendorff's alpha, precision/recall/F1.

Workflow: :func:`export_coding_sheet` draws a stratified sample of passages and
writes a CSV with one empty 0/1 column per frame; each coder fills in a copy;
:func:`read_coding_sheets` validates and stacks the copies;
:func:`agreement_table` reports alpha between the coders and between each
automatic scorer and the coders' majority, and :func:`frame_metrics` the
per-frame precision, recall and F1 of a scorer.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis.validity import VALIDITY_DIR, format_cell, load_indomain_validation

__all__ = ["CodingSheetError", "SHEET_META", "export_coding_sheet", "read_coding_sheets",
           "krippendorff_alpha", "consensus_codes", "agreement_table", "frame_metrics", "indomain_frame_table", "validity_rows"]

SHEET_META = ["unit_id", "stratum", "text", "coder", "notes"]
_TRUE = {"1", "1.0", "yes", "y", "true", "x"}
_FALSE = {"0", "0.0", "no", "n", "false"}


class CodingSheetError(ValueError):
    """A coding sheet is malformed (the message names the sheet, row and column)."""


def export_coding_sheet(
    units: pd.DataFrame, *, frames: list[str], n_per_stratum: int = 20, stratify_by: str | None = "stratum",
    random_state: int = 0, path: str | Path | None = None,
) -> pd.DataFrame:
    """Draw a stratified sample of units for hand coding and lay it out as a blank sheet.

    Args:
        units: Table with ``unit_id`` (unique) and ``text``, plus the ``stratify_by``
            column (e.g. country, or country crossed with the predicted frame).
        frames: Frame ids, one blank column each (coders write 1 or 0).
        n_per_stratum: Units drawn per stratum (all of a smaller stratum).
        stratify_by: Column to stratify on; ``None`` for a simple random sample of
            ``n_per_stratum`` units.
        random_state: Seed for the sample.
        path: If given, the sheet is also written there as UTF-8 CSV.

    Returns:
        DataFrame with columns ``unit_id``, ``stratum``, ``text``, ``coder``
        (blank), one blank column per frame, ``notes`` (blank), sorted by stratum
        then ``unit_id``.

    Raises:
        ValueError: Missing columns or duplicate ``unit_id``.
    """
    need = ["unit_id", "text"] + ([stratify_by] if stratify_by else [])
    missing = [c for c in need if c not in units.columns]
    if missing:
        raise ValueError(f"export_coding_sheet: columns {missing} missing (has {list(units.columns)}).")
    dup = units["unit_id"][units["unit_id"].duplicated()].tolist()
    if dup:
        raise ValueError(f"export_coding_sheet: duplicate unit_id values {dup[:5]}; ids must be unique.")
    table = units.assign(stratum=units[stratify_by].astype(str) if stratify_by else "all")
    picked = [g.sample(n=min(n_per_stratum, len(g)), random_state=random_state)
              for _, g in table.groupby("stratum", sort=True)]
    sample = pd.concat(picked) if picked else table.iloc[:0]
    sheet = sample[["unit_id", "stratum", "text"]].assign(coder="")
    for f in frames:
        sheet[f] = ""
    sheet["notes"] = ""
    sheet = sheet.sort_values(["stratum", "unit_id"]).reset_index(drop=True)
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        sheet.to_csv(path, index=False, lineterminator="\n")
    return sheet


def _parse_cell(value, where: str) -> int:
    text = "" if pd.isna(value) else str(value).strip().lower()
    if text in _TRUE:
        return 1
    if text in _FALSE:
        return 0
    raise CodingSheetError(f"{where}: value {value!r} is not a code; write 1 (frame present) or 0 (absent).")


def read_coding_sheets(sheets, *, frames: list[str], expected_units=None) -> pd.DataFrame:
    """Validate one or several filled coding sheets and stack them in long form.

    Args:
        sheets: A path, a DataFrame, or a list of them (one per coder). The coder
            name is the ``coder`` column if filled, else the file stem, else
            ``coder_<i>``.
        frames: The codebook's frame ids; a sheet column that is neither a frame
            id nor one of :data:`SHEET_META` is an error (a typo in a frame id).
        expected_units: Optional unit ids every sheet must contain (the exported sample).

    Returns:
        Long DataFrame ``unit_id``, ``coder``, ``frame``, ``value`` (0/1 int).

    Raises:
        CodingSheetError: Unknown frame column, a missing frame column, a blank or
            invalid cell, a duplicate or missing unit; the message names the sheet,
            the row (1-based, as in a spreadsheet, header = row 1) and the column.
    """
    items = sheets if isinstance(sheets, list) else [sheets]
    out = []
    for i, item in enumerate(items):
        name = str(item) if isinstance(item, (str, Path)) else f"sheet #{i}"
        is_file = isinstance(item, (str, Path))
        df = pd.read_csv(item, dtype=str, keep_default_na=False) if is_file else item.copy()
        unknown = [c for c in df.columns if c not in SHEET_META and c not in frames]
        if unknown:
            raise CodingSheetError(f"{name}: unknown frame id column(s) {unknown}; known frames are "
                                   f"{frames}.")
        absent = [c for c in ["unit_id", *frames] if c not in df.columns]
        if absent:
            raise CodingSheetError(f"{name}: column(s) {absent} missing; code every frame of the codebook.")
        dup = df["unit_id"][df["unit_id"].duplicated()].tolist()
        if dup:
            raise CodingSheetError(f"{name}: unit_id {dup[0]!r} appears more than once; keep one row "
                                   "per unit.")
        if expected_units is not None:
            lost = [u for u in expected_units if u not in set(df["unit_id"])]
            if lost:
                raise CodingSheetError(f"{name}: {len(lost)} unit(s) of the sample are missing, first "
                                       f"{lost[:3]}; restore those rows and code them.")
        coder = _coder_name(df, item, i)
        for r, row in enumerate(df.itertuples(index=False), start=2):
            rec = row._asdict()
            for f in frames:
                val = _parse_cell(rec[f], f"{name}, row {r} (unit {rec['unit_id']}), column {f!r}")
                out.append({"unit_id": rec["unit_id"], "coder": coder, "frame": f, "value": val})
    return pd.DataFrame(out, columns=["unit_id", "coder", "frame", "value"])


def _coder_name(df: pd.DataFrame, item, i: int) -> str:
    if "coder" in df.columns:
        names = {str(v).strip() for v in df["coder"] if str(v).strip()}
        if len(names) == 1:
            return names.pop()
    return Path(item).stem if isinstance(item, (str, Path)) else f"coder_{i}"


def krippendorff_alpha(data) -> float:
    """Krippendorff's alpha for nominal data.

    Args:
        data: ``(n_coders, n_units)`` array-like; NaN (or None) marks a missing
            code. Units coded by fewer than two coders are ignored (they cannot disagree).

    Returns:
        ``1 - D_o / D_e`` from the coincidence matrix (the ``krippendorff`` package); NaN when fewer than two
        pairable values exist or when all values are identical (no variation, so
        agreement is undefined).

    Example:
        >>> round(krippendorff_alpha([[1, 1, 0, 0], [1, 1, 0, 1]]), 4)
        0.5333
    """
    import krippendorff

    # The krippendorff package computes the same coincidence-matrix alpha (equal to 1e-16 on the 15 variables of
    # round 2, data/annotations/ai_news_r2); this wrapper keeps the NaN cases it would reject.
    arr = np.asarray(pd.DataFrame(data).astype(float).to_numpy())
    if np.unique(arr[~np.isnan(arr)]).size < 2 or (np.sum(~np.isnan(arr), axis=0) >= 2).sum() == 0:
        return float("nan")
    return float(krippendorff.alpha(reliability_data=arr, level_of_measurement="nominal"))


def consensus_codes(codings: pd.DataFrame) -> pd.DataFrame:
    """Majority code per unit and frame (ties are left out and counted in ``n_ties``).

    Returns:
        DataFrame ``unit_id``, ``frame``, ``value`` (0/1), ``n_coders``, plus the
        attribute ``attrs["n_ties"]``.
    """
    g = codings.groupby(["unit_id", "frame"])["value"].agg(["mean", "count"]).reset_index()
    ties = g["mean"] == 0.5
    out = g[~ties].assign(value=lambda d: (d["mean"] > 0.5).astype(int)).rename(columns={"count": "n_coders"})
    out = out[["unit_id", "frame", "value", "n_coders"]].reset_index(drop=True)
    out.attrs["n_ties"] = int(ties.sum())
    return out


def agreement_table(codings: pd.DataFrame, *,
                    predictions: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """Krippendorff's alpha per frame: among coders, and each scorer against the coders' majority.

    Args:
        codings: Output of :func:`read_coding_sheets`.
        predictions: ``{scorer_name: boolean DataFrame indexed by unit_id, one column per frame}``.

    Returns:
        DataFrame ``comparison`` (``"coders"`` or ``"<scorer> vs majority"``),
        ``frame``, ``alpha``, ``n_units``.
    """
    rows = []
    for frame, sub in codings.groupby("frame", sort=False):
        wide = sub.pivot(index="coder", columns="unit_id", values="value")
        rows.append({"comparison": "coders", "frame": frame, "alpha": krippendorff_alpha(wide),
                     "n_units": int((wide.notna().sum() >= 2).sum())})
    gold = consensus_codes(codings)
    for name, pred in (predictions or {}).items():
        for frame, sub in gold.groupby("frame", sort=False):
            if frame not in pred.columns:
                continue
            shared = sub[sub["unit_id"].isin(pred.index)]
            auto = pred.loc[shared["unit_id"], frame].astype(int).to_numpy()
            alpha = krippendorff_alpha([shared["value"].to_numpy(), auto])
            rows.append({"comparison": f"{name} vs majority", "frame": frame, "alpha": alpha,
                         "n_units": len(shared)})
    return pd.DataFrame(rows, columns=["comparison", "frame", "alpha", "n_units"])


def frame_metrics(gold: pd.DataFrame, predicted: pd.DataFrame) -> pd.DataFrame:
    """Per-frame precision, recall and F1, plus their unweighted (macro) mean.

    Args:
        gold: Boolean DataFrame, one column per frame.
        predicted: Boolean DataFrame with the same index and the gold columns.

    Returns:
        DataFrame ``frame``, ``precision``, ``recall``, ``f1``, ``support`` (gold
        positives); the last row has ``frame == "macro"``. A score with a zero
        denominator is 0 (scikit-learn's ``zero_division=0``).

    Raises:
        ValueError: Shapes or columns differ.
    """
    missing = [c for c in gold.columns if c not in predicted.columns]
    if missing or len(gold) != len(predicted):
        raise ValueError(f"frame_metrics: predictions lack frames {missing} or have {len(predicted)} rows "
                         f"for {len(gold)} gold rows.")
    rows = []
    for f in gold.columns:
        g = gold[f].astype(bool).to_numpy()
        p = predicted[f].astype(bool).to_numpy()
        tp, fp, fn = int((g & p).sum()), int((~g & p).sum()), int((g & ~p).sum())
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        rows.append({"frame": str(f), "precision": prec, "recall": rec, "f1": f1, "support": int(g.sum())})
    table = pd.DataFrame(rows, columns=["frame", "precision", "recall", "f1", "support"])
    macro = {"frame": "macro", "precision": table["precision"].mean(), "recall": table["recall"].mean(),
             "f1": table["f1"].mean(), "support": int(table["support"].sum())}
    return pd.concat([table, pd.DataFrame([macro])], ignore_index=True)


def indomain_frame_table(folder: str | Path = VALIDITY_DIR, *, name: str = "indomain_frames.csv") -> pd.DataFrame:
    """Per frame: coded positives, in-domain F1 [95% CI], the label-free default's F1, and its status.

    ``status`` is ``validated`` (at least 30 coded positives and F1 >= 0.60 in the cross-validation) or
    ``exploratory``. ``name="indomain_test_frames.csv"`` gives the clean test (round r3: new pages, shipped head);
    its status column is the cross-validation's, so a frame is not re-labelled on the test.
    """
    table = load_indomain_validation(name, folder)
    return pd.DataFrame({
        "frame": table["frame"], "n_positive": table["n_positive"],
        "f1_indomain": [format_cell(v, lo, hi) for v, lo, hi in zip(table["f1"], table["f1_low"], table["f1_high"])],
        "f1_default": table["default_f1"].round(3),
        "status": np.where(table["exploratory"].astype(bool), "exploratory", "validated")})


def validity_rows() -> pd.DataFrame:
    """The frame instrument's validity in the package's one schema (:data:`analysis.validity.VALIDATION_COLUMNS`).

    In-domain first (the heads on coded AI-news sentences, cross-validated by site), then each public frame
    data set: the study's label-free default beside the dictionary, and the best scorer beside the published
    model (or the dictionary).
    """
    from analysis.paths import RESOURCES_DIR
    from analysis.validity import VALIDATION_COLUMNS

    nan = float("nan")
    rows = []
    indomain = load_indomain_validation()
    for split, design in (("cv_site", "CV by site"), ("test_r3", "clean test, new pages")):
        hit = indomain[(indomain["instrument"] == "frames:indomain") & (indomain["split"] == split)
                       & indomain["metric"].str.startswith("macro_f1_frames")]  # not the paired difference
        if not len(hit):
            continue
        r = hit.iloc[0]
        rows.append({"instrument": "frames of the sentence (in-domain heads)",
                     "data": f"coded AI-news sentences (n={int(r['n'])}), {design}", "split": split,
                     "metric": "macro-F1 [95% CI]", "n": int(r["n"]), "ours": float(r["ours"]),
                     "ours_low": float(r["ours_low"]), "ours_high": float(r["ours_high"]),
                     "anchor": "label-free default scorer", "anchor_value": float(r["anchor_value"]),
                     "note": str(r["note"])})
    table = pd.read_csv(RESOURCES_DIR / "frames" / "validation.csv")
    for dataset, sub in table.groupby("dataset", sort=True):
        main = sub[sub["main_setting"].eq(True)] if "main_setting" in sub else sub.drop_duplicates("scorer")
        default = main[main["scorer"] == "combined"]
        dictionary = main[main["scorer"] == "dictionary"]["macro_f1"]
        if len(default):  # the scorer behind the country x frame tables when a codebook has no trained head
            row = default.iloc[0]
            rows.append({"instrument": "frames (default scorer of the study: dictionary-seeded + zero-shot)",
                         "data": dataset, "split": str(row["setting"]), "metric": "macro-F1",
                         "n": int(row["n_units"]), "ours": float(row["macro_f1"]), "ours_low": nan, "ours_high": nan,
                         "anchor": "dictionary scorer (its default setting)",
                         "anchor_value": float(dictionary.iloc[0]) if len(dictionary) else nan,
                         "note": str(row["setting"])})
        # Best scorer as each runs without options, on the whole data set (not a fold subset or a side
        # setting), so the anchor is the dictionary on the same units.
        best = main.loc[main["macro_f1"].idxmax()]
        published = best.get("published_macro_f1", np.nan)
        rows.append({"instrument": f"frames ({best['scorer']} scorer, best on this data)", "data": dataset,
                     "split": str(best["setting"]), "metric": "macro-F1", "n": int(best["n_units"]),
                     "ours": float(best["macro_f1"]), "ours_low": nan, "ours_high": nan,
                     "anchor": "published model" if np.isfinite(published) else "dictionary scorer",
                     "anchor_value": float(published) if np.isfinite(published) else float(dictionary.max()),
                     "note": str(best["setting"])})
    return pd.DataFrame(rows, columns=VALIDATION_COLUMNS)
