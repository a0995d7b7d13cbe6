"""Tests for analysis.framing.validation: coding sheets, Krippendorff's alpha, per-frame metrics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.framing.validation import (CodingSheetError, agreement_table, consensus_codes, export_coding_sheet,
                                  frame_metrics, krippendorff_alpha, read_coding_sheets)

FRAMES = ["conflict", "economic"]
NAN = np.nan


# ---------------------------------------------------------------- alpha
@pytest.mark.parametrize("data, expected", [
    # Hand computation: coincidences o00=2, o01=o10=1, o11=4; n=8; Do=2/8; De=(64-9-25)/56; alpha=1-Do/De.
    ([[1, 1, 0, 0], [1, 1, 0, 1]], 1 - (2 / 8) / (30 / 56)),
    # Krippendorff (2011) "Computing Krippendorff's alpha-reliability": nominal example, missing data, 0.743.
    ([[1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
      [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
      [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
      [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN]], 0.743421052631579),
    ([[0, 1, 0, 1], [0, 1, 0, 1]], 1.0),
    # Total disagreement: Do = 8/8, De = (64 - 16 - 16) / 56, alpha = 1 - 56/32 = -0.75.
    ([[0, 1, 0, 1], [1, 0, 1, 0]], -0.75),
])
def test_krippendorff_alpha_matches_hand_computed_values(data, expected):
    assert krippendorff_alpha(data) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("data", [[[1, 1, 1], [1, 1, 1]], [[1, NAN], [NAN, 0]], [[NAN, NAN]]])
def test_krippendorff_alpha_is_undefined_without_variation_or_pairs(data):
    assert np.isnan(krippendorff_alpha(data))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.sampled_from([0, 1, 2]), min_size=6, max_size=6), min_size=2, max_size=4))
def test_krippendorff_alpha_bounded_and_invariant_to_coder_order(rows):
    a = krippendorff_alpha(rows)
    b = krippendorff_alpha(rows[::-1])
    if np.isnan(a):
        assert np.isnan(b)
    else:
        assert a <= 1.0 + 1e-12 and a == pytest.approx(b)


# ---------------------------------------------------------------- metrics
def test_frame_metrics_hand_example():
    gold = pd.DataFrame({"a": [1, 1, 0, 0], "b": [0, 0, 0, 0]}).astype(bool)
    pred = pd.DataFrame({"a": [1, 0, 1, 0], "b": [0, 0, 0, 1]}).astype(bool)
    m = frame_metrics(gold, pred).set_index("frame")
    assert m.loc["a", "precision"] == 0.5 and m.loc["a", "recall"] == 0.5 and m.loc["a", "f1"] == 0.5
    assert m.loc["b", "f1"] == 0.0 and m.loc["b", "support"] == 0
    assert m.loc["macro", "f1"] == 0.25
    with pytest.raises(ValueError, match="lack frames"):
        frame_metrics(gold, pred[["a"]])


# ---------------------------------------------------------------- sheets
def _units(n=30):
    return pd.DataFrame({"unit_id": [f"u{i:02d}" for i in range(n)], "text": [f"text {i}" for i in range(n)],
                         "stratum": ["CHN", "JPN", "MYS"] * (n // 3)})


def test_export_is_stratified_reproducible_and_written(tmp_path):
    path = tmp_path / "sheet.csv"
    sheet = export_coding_sheet(_units(), frames=FRAMES, n_per_stratum=4, random_state=3, path=path)
    assert sheet["stratum"].value_counts().to_dict() == {"CHN": 4, "JPN": 4, "MYS": 4}
    assert list(sheet.columns) == ["unit_id", "stratum", "text", "coder", *FRAMES, "notes"]
    again = export_coding_sheet(_units(), frames=FRAMES, n_per_stratum=4, random_state=3)
    assert again["unit_id"].tolist() == sheet["unit_id"].tolist()
    assert pd.read_csv(path)["unit_id"].tolist() == sheet["unit_id"].tolist()
    small = export_coding_sheet(_units().head(4), frames=FRAMES, n_per_stratum=10)
    assert len(small) == 4


def test_export_rejects_duplicate_ids():
    units = _units()
    units.loc[1, "unit_id"] = "u00"
    with pytest.raises(ValueError, match="duplicate unit_id"):
        export_coding_sheet(units, frames=FRAMES)


def _filled(sheet, coder, values):
    out = sheet.copy()
    out["coder"] = coder
    for f, vals in values.items():
        out[f] = vals
    return out


def test_read_sheets_and_agreement(tmp_path):
    sheet = export_coding_sheet(_units(6), frames=FRAMES, n_per_stratum=2)
    a = _filled(sheet, "ana", {"conflict": [1, 1, 0, 0, 1, 0],
                               "economic": ["yes", "no", "no", "no", "yes", "no"]})
    b = _filled(sheet, "ben", {"conflict": [1, 1, 0, 0, 1, 1], "economic": [1, 0, 0, 0, 1, 0]})
    a.to_csv(tmp_path / "ana.csv", index=False)
    codings = read_coding_sheets([tmp_path / "ana.csv", b], frames=FRAMES, expected_units=sheet["unit_id"])
    assert set(codings["coder"]) == {"ana", "ben"} and len(codings) == 24
    table = agreement_table(codings, predictions={
        "perfect": pd.DataFrame({"economic": [True, False, False, False, True, False]},
                                index=sheet["unit_id"])})
    coders = table[table["comparison"] == "coders"].set_index("frame")["alpha"]
    assert coders["economic"] == pytest.approx(1.0)
    assert coders["conflict"] < 1.0
    perfect = table[table["comparison"] == "perfect vs majority"]
    assert perfect["alpha"].iloc[0] == pytest.approx(1.0) and perfect["n_units"].iloc[0] == 6
    cons = consensus_codes(codings)
    assert cons.attrs["n_ties"] == 1  # unit 6, conflict: 0 vs 1


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d.rename(columns={"economic": "econmic"}), "unknown frame id column(s) ['econmic']"),
    (lambda d: d.drop(columns=["economic"]), "column(s) ['economic'] missing"),
    (lambda d: d.assign(conflict=["1", "", "0", "0", "1", "0"]), "row 3 (unit"),
    (lambda d: d.assign(conflict=["1", "maybe", "0", "0", "1", "0"]), "'maybe' is not a code"),
    (lambda d: d.iloc[1:], "unit(s) of the sample are missing"),
    (lambda d: pd.concat([d, d.iloc[:1]]), "appears more than once"),
])
def test_bad_sheets_raise_errors_naming_row_and_column(mutate, message):
    sheet = _filled(export_coding_sheet(_units(6), frames=FRAMES, n_per_stratum=2), "ana",
                    {"conflict": ["1", "1", "0", "0", "1", "0"], "economic": ["0"] * 6})
    with pytest.raises(CodingSheetError) as info:
        read_coding_sheets(mutate(sheet), frames=FRAMES, expected_units=sheet["unit_id"])
    assert message in str(info.value)
