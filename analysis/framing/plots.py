"""Figures for frames by country (return a Figure, never save)."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["plot_frame_heatmap"]


def plot_frame_heatmap(shares: pd.DataFrame, *, countries=None, frames=None, labels: dict | None = None):
    """Heatmap of country x frame shares, each cell annotated with its share and interval.

    Args:
        shares: Output of :func:`frame_shares_by_country`.
        countries, frames: Row and column order (default: as they appear).
        labels: Optional ``{frame_id: display label}``.

    Returns:
        A matplotlib Figure (never saved here).
    """
    import matplotlib.pyplot as plt

    countries = list(countries) if countries is not None else list(dict.fromkeys(shares["country"]))
    countries = [c for c in countries if c in set(shares["country"])]
    frames = list(frames) if frames is not None else list(dict.fromkeys(shares["frame"]))
    fig, ax = plt.subplots(figsize=(1.0 + 0.95 * max(len(frames), 1), 1.2 + 0.8 * max(len(countries), 1)))
    if not countries or not frames:
        ax.text(0.5, 0.5, "No passage mentions a target country", ha="center", va="center")
        ax.set_axis_off()
        return fig
    grid, lo, hi, n = (shares.pivot(index="country", columns="frame", values=v)
                       .reindex(index=countries, columns=frames) for v in ("estimate", "ci_low", "ci_high", "n"))
    values = grid.to_numpy(dtype=float)
    im = ax.imshow(np.where(values > 0, values, np.nan), cmap="Blues", vmin=0, vmax=1, aspect="auto")
    for i in range(len(countries)):
        for j in range(len(frames)):
            v = grid.iat[i, j]
            if pd.isna(v):
                continue
            if v == 0:  # no passage of the country carries the frame: a dash, not a coloured zero
                label = "–"
            elif pd.notna(lo.iat[i, j]) and pd.notna(hi.iat[i, j]):
                label = f"{v:.2f}\n[{lo.iat[i, j]:.2f}, {hi.iat[i, j]:.2f}]"
            else:  # too few articles for an interval: the share and the passages it rests on
                label = f"{v:.2f}\nn={int(n.iat[i, j])}"
            ax.text(j, i, label, ha="center", va="center", fontsize=7, color="white" if v > 0.6 else "black")
    ax.set_xticks(range(len(frames)), [(labels or {}).get(f, f) for f in frames], rotation=45, ha="right")
    ax.set_yticks(range(len(countries)), countries)
    ax.set_xlabel("frame")
    ax.set_ylabel("country mentioned in passage")
    fig.colorbar(im, ax=ax, label="share of passages")
    ax.set_title("cell: share [95% interval]; share and n passages where there are < 10 articles; – none", fontsize=8)
    fig.tight_layout()
    return fig
