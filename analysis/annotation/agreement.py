"""Agreement between coders and the adjudicated gold standard.

Krippendorff's alpha comes from :func:`analysis.framing.validation.krippendorff_alpha` (the ``krippendorff`` package,
nominal level): sentiment is one nominal variable,
each frame a binary one. Intervals are percentile bootstraps over items (Hayes & Krippendorff 2007 resample
units, not codes), seeded.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.annotation.sheets import SENTIMENTS
from analysis.numerics import round_significant
from analysis.framing.validation import krippendorff_alpha

__all__ = ["AGREEMENT_COLUMNS", "variable_matrix", "alpha", "agreement_by_variable", "confusion_between_coders",
           "adjudication_table", "gold_codes"]

AGREEMENT_COLUMNS = ["variable", "n_items", "n_positive", "percent_agreement", "alpha", "alpha_low", "alpha_high"]


def variable_matrix(codes: pd.DataFrame, variable: str) -> pd.DataFrame:
    """Return items × coders for one variable: ``sentiment`` (labels) or a frame id (0/1)."""
    if variable == "sentiment":
        values = codes["sentiment"]
    else:
        values = codes["frames"].map(lambda fs: int(variable in fs))
    table = codes.assign(value=values.to_numpy()).pivot(index="item_id", columns="coder", values="value")
    return table.sort_index()


def alpha(matrix: pd.DataFrame) -> float:
    """Krippendorff's alpha (nominal) of an items × coders table; NaN when there is no variation at all."""
    categories = sorted({v for v in matrix.to_numpy().ravel() if isinstance(v, str) or not pd.isna(v)}, key=str)
    if len(categories) < 2:
        return float("nan")
    lookup = {c: i for i, c in enumerate(categories)}
    data = np.array([[lookup[v] if (isinstance(v, str) or not pd.isna(v)) else np.nan for v in row]
                     for row in matrix.T.to_numpy()], dtype=float)
    return krippendorff_alpha(data)


def _bootstrap(matrix: pd.DataFrame, n_boot: int, rng: np.random.Generator) -> tuple[float, float]:
    values = []
    for _ in range(n_boot):
        pick = rng.integers(0, len(matrix), len(matrix))
        a = alpha(matrix.iloc[pick])
        if not np.isnan(a):
            values.append(a)
    if len(values) < n_boot // 2:
        return float("nan"), float("nan")
    return float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5))


def agreement_by_variable(codes: pd.DataFrame, frames, *, n_boot: int = 1000, random_state: int = 0) -> pd.DataFrame:
    """Alpha per variable with a 95% bootstrap interval, and raw agreement.

    Args:
        codes: Long codes (``item_id, coder, sentiment, frames``), two or more coders per item.
        frames: The codebook's frame ids.
        n_boot: Bootstrap resamples of items.
        random_state: Seed.

    Returns:
        DataFrame :data:`AGREEMENT_COLUMNS`, sentiment first, then frames in codebook order.
        ``n_positive`` counts items that any coder marked (frames only).

    Raises:
        ValueError: an item has fewer than two coders (the message names it).
    """
    per_item = codes.groupby("item_id")["coder"].nunique()
    single = per_item[per_item < 2]
    if len(single):
        raise ValueError(f"item {single.index[0]!r} has one coder; agreement needs two coders per item "
                         f"({len(single)} item(s) affected)")
    rng = np.random.default_rng(random_state)
    rows = []
    for variable in ["sentiment", *frames]:
        matrix = variable_matrix(codes, variable)
        same = matrix.nunique(axis=1, dropna=True) == 1
        positive = int((matrix == 1).any(axis=1).sum()) if variable != "sentiment" else len(matrix)
        low, high = _bootstrap(matrix, n_boot, rng)
        rows.append({"variable": variable, "n_items": len(matrix), "n_positive": positive,
                     "percent_agreement": float(same.mean()), "alpha": alpha(matrix),
                     "alpha_low": low, "alpha_high": high})
    table = pd.DataFrame(rows, columns=AGREEMENT_COLUMNS)
    for col in ("percent_agreement", "alpha", "alpha_low", "alpha_high"):
        table[col] = table[col].map(round_significant)
    return table


def confusion_between_coders(codes: pd.DataFrame, coders: tuple[str, str]) -> pd.DataFrame:
    """Sentiment cross-table of two coders (rows: first coder, columns: second), all labels shown."""
    first, second = coders
    wide = codes.pivot(index="item_id", columns="coder", values="sentiment").dropna(subset=[first, second])
    table = pd.crosstab(pd.Categorical(wide[first], SENTIMENTS), pd.Categorical(wide[second], SENTIMENTS),
                        dropna=False)
    table.index.name, table.columns.name = first, second
    return table


def adjudication_table(codes: pd.DataFrame) -> pd.DataFrame:
    """Items on which coders differ: one row per item and variable, with each coder's code.

    Returns:
        DataFrame ``item_id, variable, codes`` (``coder=value; ...``) and empty ``decision, adjudicator,
        note`` columns for the adjudicator to fill.
    """
    rows = []
    for item, group in codes.groupby("item_id", sort=True):
        group = group.sort_values("coder", kind="stable")
        labels = group["sentiment"].tolist()
        if len(set(labels)) > 1:
            rows.append({"item_id": item, "variable": "sentiment",
                         "codes": "; ".join(f"{c}={v}" for c, v in zip(group["coder"], labels))})
        frame_sets = [set(fs) for fs in group["frames"]]
        for frame in sorted(set().union(*frame_sets) - set.intersection(*frame_sets)):
            rows.append({"item_id": item, "variable": frame,
                         "codes": "; ".join(f"{c}={int(frame in fs)}" for c, fs in zip(group["coder"], frame_sets))})
    table = pd.DataFrame(rows, columns=["item_id", "variable", "codes"])
    return table.assign(decision="", adjudicator="", note="")


def gold_codes(codes: pd.DataFrame, decisions: pd.DataFrame | None = None) -> pd.DataFrame:
    """The gold standard: codes where coders agree, the adjudicator's decision where they differ.

    Args:
        codes: Long codes of two or more coders.
        decisions: Filled :func:`adjudication_table` (``item_id, variable, decision``); ``decision`` is a
            sentiment label, or 0/1 for a frame. ``None`` keeps only what the coders agree on.

    Returns:
        DataFrame ``item_id, sentiment, frames, adjudicated``; ``sentiment`` is NaN where coders differ and
        no decision was made; a frame that coders differ on counts as present only if decided so.

    Raises:
        ValueError: a decision that is not a valid label (names the item).
    """
    decided = {}
    if decisions is not None:
        for row in decisions.itertuples(index=False):
            value = str(row.decision).strip().lower()
            if row.variable == "sentiment" and value not in SENTIMENTS:
                raise ValueError(f"adjudication of {row.item_id}: {row.decision!r} is not one of {list(SENTIMENTS)}")
            if row.variable != "sentiment" and value not in {"0", "1"}:
                raise ValueError(f"adjudication of {row.item_id} / {row.variable}: decision must be 0 or 1")
            decided[(row.item_id, row.variable)] = value
    rows = []
    for item, group in codes.groupby("item_id", sort=True):
        labels = set(group["sentiment"])
        sentiment = labels.pop() if len(labels) == 1 else decided.get((item, "sentiment"), np.nan)
        frame_sets = [set(fs) for fs in group["frames"]]
        agreed = set.intersection(*frame_sets)
        disputed = set().union(*frame_sets) - agreed
        chosen = agreed | {f for f in disputed if decided.get((item, f)) == "1"}
        rows.append({"item_id": item, "sentiment": sentiment, "frames": tuple(sorted(chosen)),
                     "adjudicated": bool(disputed or len(set(group["sentiment"])) > 1)})
    return pd.DataFrame(rows, columns=["item_id", "sentiment", "frames", "adjudicated"])
