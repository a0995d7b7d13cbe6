"""Figures for topics by country: shares within mentions and prevalence effects (return a Figure, never save)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.topics.by_country import _check

__all__ = ["plot_topic_shares", "plot_topic_effects"]


def _colours(countries) -> dict[str, str]:
    try:
        from analysis.countries.measure import country_palette
    except ImportError:  # countries module absent: fall back to matplotlib's cycle
        return {}
    return country_palette(list(countries))


def plot_topic_shares(shares: pd.DataFrame, *, title: str = "Topic share within each country's mentions"):
    """Dot-and-interval plot of :func:`topic_shares_by_country` (no ``by``); returns a Figure."""
    import matplotlib.pyplot as plt

    _check(shares, ["country", "topic_label", "share", "ci_low", "ci_high"], "shares")
    labels = list(dict.fromkeys(shares.sort_values("topic", kind="stable")["topic_label"])) if len(shares) else []
    countries = list(dict.fromkeys(shares["country"]))
    fig, ax = plt.subplots(figsize=(7.5, 0.45 * max(len(labels), 2) + 1.2))
    _dodge(ax, shares, labels, countries, "share")
    ax.set_xlabel("share of the country's mentions in topic (95% interval; none below 10 articles)")
    ax.set_xlim(-0.02, 1.02)
    ax.set_title(title)
    return fig


def plot_topic_effects(effects: pd.DataFrame, *, title: str | None = None):
    """Coefficient plot of :func:`topic_prevalence_effects`; returns a Figure."""
    import matplotlib.pyplot as plt

    _check(effects, ["country", "topic_label", "estimate", "ci_low", "ci_high"], "effects")
    labels = list(dict.fromkeys(effects.sort_values("topic", kind="stable")["topic_label"])) if len(effects) else []
    countries = list(dict.fromkeys(effects["country"]))
    fig, ax = plt.subplots(figsize=(7.5, 0.45 * max(len(labels), 2) + 1.2))
    _dodge(ax, effects, labels, countries, "estimate")
    ax.axvline(0.0, color="0.5", lw=0.8, ls="--")
    ref = effects["reference"].iloc[0] if len(effects) else "reference"
    ax.set_xlabel(f"difference in topic prevalence vs {ref} (95% cluster-bootstrap interval; none below 10 articles)")
    ax.set_title(title or f"Topic prevalence by country (controls: {effects['controls'].iloc[0] if len(effects) else 'none'})")
    return fig


def _dodge(ax, table, labels, countries, value):
    colours = _colours(countries)
    step = 0.8 / max(len(countries), 1)
    for i, country in enumerate(countries):
        sub = table[table["country"] == country].set_index("topic_label").reindex(labels)
        y = np.arange(len(labels)) - 0.4 + step * (i + 0.5)
        err = np.vstack([sub[value] - sub["ci_low"], sub["ci_high"] - sub[value]]).clip(min=0)
        n_col = "n_mentions" if "n_mentions" in table.columns else "n_units"
        n = int(table.loc[table["country"] == country, n_col].max()) if n_col in table.columns else None
        label = country if n is None else f"{country} (n={n})"
        ax.errorbar(sub[value], y, xerr=err, fmt="o", ms=4, capsize=2, label=label, color=colours.get(country))
    ax.set_yticks(np.arange(len(labels)), labels)
    ax.invert_yaxis()
    ax.set_ylabel("topic")
    if countries:
        ax.legend(title="country", loc="best", fontsize=8)
    if not labels:
        ax.text(0.5, 0.5, "no mentions of these countries in modelled text", ha="center", transform=ax.transAxes)
