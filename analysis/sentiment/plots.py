"""Figures for sentiment by country (return a Figure, never save)."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["plot_country_sentiment"]


def plot_country_sentiment(summary: pd.DataFrame, *, measure: str = "mean_score", palette=None):
    """Dot-and-interval chart of one measure per country (from :func:`summarise_sentiment`).

    Returns:
        A matplotlib Figure (not saved).
    """
    import matplotlib.pyplot as plt

    from analysis.countries.measure import country_names, country_palette

    data = summary[summary["measure"] == measure].reset_index(drop=True)
    colours = palette or country_palette(list(data["country"]))
    names = country_names()
    fig, ax = plt.subplots(figsize=(6, 0.6 * max(len(data), 1) + 1.2))
    for i, row in data.iterrows():
        ax.errorbar(row["estimate"], i, xerr=[[row["estimate"] - row["ci_low"]], [row["ci_high"] - row["estimate"]]],
                    fmt="o", color=colours.get(row["country"], "#888888"), capsize=4)
    ax.set_yticks(np.arange(len(data)), [f"{names.get(c, c)} (n={n})" for c, n in zip(data["country"], data["n"])])
    ax.axvline(0, color="#999999", lw=0.8, ls="--")
    ax.set_xlabel(f"{measure.replace('_', ' ')} per article (95% cluster-bootstrap interval)")
    ax.set_ylabel("country")
    ax.invert_yaxis()
    fig.tight_layout()
    return fig
