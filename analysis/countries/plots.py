"""Figures for country attention, co-mentions and alias contributions.

Every function takes a table from :mod:`analysis.countries.by_country` and returns a
matplotlib Figure (never saved here; notebooks call
:func:`analysis.study.report.publish_figure`). Colours come from
:func:`analysis.countries.measure.country_palette`, so a country has the same colour
in every notebook.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from analysis.countries.gazetteer import country_names, country_palette

__all__ = ["plot_attention", "plot_attention_over_time", "plot_co_mentions", "plot_alias_contributions"]


def _label(code: str, names: dict[str, str]) -> str:
    return names.get(code, code)


def _empty(message: str):
    fig, ax = plt.subplots(figsize=(6, 2))
    ax.text(0.5, 0.5, message, ha="center", va="center")
    ax.set_axis_off()
    return fig


def plot_attention(shares: pd.DataFrame, *, group: str | None = None, unit: str = "articles"):
    """Bars of the share of units mentioning each country, with their intervals and the number of units.

    Groups with fewer than 2 units are left out (a share of one article says nothing about a group), and
    so is a bar's error bar where the table has no interval.

    Args:
        shares: :func:`analysis.countries.by_country.attention_shares` output.
        group: The ``by`` column used there (bars grouped by it), or ``None``.
        unit: Word for the y-axis label ("articles" or "sentences").

    Returns:
        A matplotlib Figure.
    """
    if group is not None and not shares.empty:
        shares = shares[shares.groupby(group)["n_units"].transform("max") >= 2]
    if shares.empty:
        return _empty("No group with 2 or more units to plot")
    codes = list(dict.fromkeys(shares["country"]))
    palette, names = country_palette(codes), country_names()
    groups = [None] if group is None else list(dict.fromkeys(shares[group]))
    width = 0.8 / len(codes)
    fig, ax = plt.subplots(figsize=(max(5.0, 1.1 * len(groups) * max(len(codes), 2) * 0.5 + 2), 3.6))
    for k, code in enumerate(codes):
        sub = shares[shares["country"] == code]
        if group is not None:
            sub = sub.set_index(group).reindex(groups).reset_index()
        x = np.arange(len(groups)) + (k - (len(codes) - 1) / 2) * width
        est = sub["estimate"].to_numpy(dtype=float)
        low, high = sub["ci_low"].to_numpy(dtype=float), sub["ci_high"].to_numpy(dtype=float)
        ax.bar(x, est, width=width * 0.95, color=palette[code], label=_label(code, names))
        ok = np.isfinite(low) & np.isfinite(high) & np.isfinite(est)  # no bar where the table has no interval
        if ok.any():
            err = np.clip(np.vstack([est - low, high - est])[:, ok], 0, None)
            ax.errorbar(x[ok], est[ok], yerr=err, fmt="none", capsize=3, ecolor="black")
        for xi, e, n in zip(x, est, sub["n_units"]):
            if np.isfinite(e):
                ax.annotate(f"{int(n)}", (xi, e), textcoords="offset points", xytext=(0, 2), ha="center", fontsize=6)
    ax.set_xticks(np.arange(len(groups)))
    many = len(groups) > 3
    ax.set_xticklabels(["all" if g is None else str(g) for g in groups], rotation=30 if many else 0,
                       ha="right" if many else "center")
    ax.set_xlabel(group or "corpus")
    ax.set_ylabel(f"share of {unit} mentioning the country")
    ax.set_ylim(0, 1.05)
    ax.legend(frameon=False, fontsize=8, ncol=min(len(codes), 4), loc="upper center",
              bbox_to_anchor=(0.5, -0.22))
    ax.set_title(f"Share of {unit} mentioning each country (95% interval; number of {unit} above each bar)",
                 fontsize=9)
    fig.tight_layout()
    return fig


def plot_attention_over_time(shares: pd.DataFrame, *, unit: str = "articles"):
    """Share mentioning each country per period (``by="period"``), with interval bands; undated excluded.

    Drawn only with at least 3 dated periods (fewer is not a series: read the table).
    """
    dated = shares[shares["period"] != "undated"] if "period" in shares.columns else shares.iloc[0:0]
    if dated["period"].nunique() < 3 if len(dated) else True:
        return _empty(f"{dated['period'].nunique() if len(dated) else 0} dated period(s): a time series needs "
                      "at least 3 (see the table)")
    palette, names = country_palette(list(dict.fromkeys(dated["country"]))), country_names()
    periods = sorted(dated["period"].unique())
    fig, ax = plt.subplots(figsize=(7, 3.6))
    for code, sub in dated.groupby("country", sort=True):
        sub = sub.set_index("period").reindex(periods)
        x = np.arange(len(periods))
        ax.plot(x, sub["estimate"], marker="o", color=palette[code], label=_label(code, names))
        for xi, e, n in zip(x, sub["estimate"], sub["n_units"]):
            if np.isfinite(e):
                ax.annotate(f"{int(n)}", (xi, e), textcoords="offset points", xytext=(0, 4), ha="center", fontsize=6)
        ax.fill_between(x, sub["ci_low"].astype(float), sub["ci_high"].astype(float), color=palette[code],
                        alpha=0.2)
    ax.set_xticks(np.arange(len(periods)))
    ax.set_xticklabels(periods, rotation=30, ha="right")
    ax.set_xlabel("period")
    ax.set_ylabel(f"share of {unit} mentioning the country")
    ax.set_ylim(0, 1.05)
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


def plot_co_mentions(co: pd.DataFrame, *, value: str = "lift"):
    """Heatmap of a co-mention measure (``lift`` or ``n_both``) between countries, annotated."""
    if co.empty:
        return _empty("Fewer than two countries mentioned: no co-mentions")
    matrix = co.pivot(index="country_a", columns="country_b", values=value)
    codes = sorted(set(matrix.index) | set(matrix.columns))
    matrix = matrix.reindex(index=codes, columns=codes).astype(float)
    fig, ax = plt.subplots(figsize=(1.0 + 0.55 * len(codes), 0.8 + 0.5 * len(codes)))
    raw = matrix.to_numpy()
    both = co.pivot(index="country_a", columns="country_b", values="n_both").reindex(index=codes, columns=codes)
    never = both.to_numpy(dtype=float) == 0
    if value == "lift":
        from matplotlib.colors import LogNorm

        # Colour and label are the same number: the lift, on a log scale centred on 1 (chance).
        positive = raw[np.isfinite(raw) & (raw > 0)]
        bound = max(float(np.max(np.abs(np.log(positive)))) if positive.size else 0.0, np.log(2.0))
        shown = np.where(never | ~np.isfinite(raw), np.nan, raw)
        image = ax.imshow(shown, cmap="RdBu_r", norm=LogNorm(vmin=np.exp(-bound), vmax=np.exp(bound)))
        bar = fig.colorbar(image, ax=ax, label="lift (1 = chance; log scale)")
        ticks = [t for t in (1 / 8, 1 / 4, 1 / 2, 1, 2, 4, 8, 16) if np.exp(-bound) <= t <= np.exp(bound)]
        bar.set_ticks(ticks, labels=[f"{t:g}" for t in ticks])
        bar.minorticks_off()
    else:
        image = ax.imshow(np.where(never, np.nan, raw), cmap="Greys")
        fig.colorbar(image, ax=ax, label=value)
    colours = image.cmap(image.norm(np.nan_to_num(image.get_array().filled(np.nan), nan=1.0)))
    for i in range(len(codes)):
        for j in range(len(codes)):
            cell = matrix.iat[i, j]
            if never[i, j]:  # never mentioned together: a dash, not a colour
                ax.text(j, i, "–", ha="center", va="center", fontsize=8, color="grey")
            elif np.isfinite(cell):
                dark = colours[i, j, :3].mean() < 0.5
                ax.text(j, i, f"{cell:.1f}" if value == "lift" else f"{int(cell)}", ha="center", va="center",
                        fontsize=7, color="white" if dark else "black")
    ax.set_xticks(range(len(codes)), codes, rotation=45, ha="right")
    ax.set_yticks(range(len(codes)), codes)
    ax.set_xlabel("country")
    ax.set_ylabel("country")
    ax.set_title(f"Co-mentions ({value})", fontsize=10)
    fig.tight_layout()
    return fig


def plot_alias_contributions(contrib: pd.DataFrame):
    """Stacked horizontal bars: each country's mentions split by the aliases that carry them."""
    if contrib.empty:
        return _empty("No mentions: no alias contributions")
    codes = list(dict.fromkeys(contrib["country"]))
    palette = country_palette(codes)
    fig, ax = plt.subplots(figsize=(8, 0.55 * len(codes) + 1.2))
    for y, code in enumerate(codes):
        left = 0.0
        sub = contrib[contrib["country"] == code]
        for k, rec in enumerate(sub.itertuples(index=False)):
            shade = 1.0 - 0.6 * k / max(len(sub), 1)
            ax.barh(y, rec.share_of_country, left=left, color=palette[code], alpha=shade, edgecolor="white")
            if rec.share_of_country >= 0.08:
                ax.text(left + rec.share_of_country / 2, y, rec.alias, ha="center", va="center", fontsize=7)
            left += rec.share_of_country
    ax.set_yticks(range(len(codes)), codes)
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of the country's mentions")
    ax.set_ylabel("country")
    ax.invert_yaxis()
    fig.tight_layout()
    return fig
