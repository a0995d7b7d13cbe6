"""The groups every comparison uses: outlet (from the registry) and period (with an explicit "undated").

One definition for every notebook, so that "outlet" and "period" mean the same thing in attention (02),
topics (03), sentiment (04) and frames (05):

- ``outlet`` is the registry's canonical name (:func:`analysis.corpus.outlets.assign_outlets`): "Reuters"
  and "reuters.com" are one outlet; an outlet not in the registry keeps its own name (or its web domain,
  or "unknown"), and is listed by :func:`analysis.corpus.outlets.list_unknown_outlets`.
- ``outlet_group`` is the outlet's home-country group (Western, Japanese, Malaysian, Chinese/HK, Singaporean,
  wire, other), the unit the study's question is about.
- ``period`` is the publication month (``YYYY-MM``, UTC) or ``"undated"``: undated articles are a group of
  their own, never dropped and never merged into a month.
"""

from __future__ import annotations

import pandas as pd

from analysis.corpus.outlets import assign_outlets

__all__ = ["UNDATED", "GROUP_COLUMNS", "period_of", "article_groups"]

UNDATED = "undated"
GROUP_COLUMNS = ["doc_id", "outlet", "outlet_country", "outlet_type", "outlet_group", "outlet_language", "period"]


def period_of(published, freq: str = "M") -> pd.Series:
    """Period labels (``"2025-01"`` for months) of publication dates; ``"undated"`` where there is none.

    Args:
        published: Dates (datetime-like, strings, or missing values).
        freq: A pandas period frequency (``"M"`` month, ``"W"`` week, ``"Y"`` year).
    """
    dates = pd.to_datetime(pd.Series(published), errors="coerce", utc=True).dt.tz_localize(None)
    return dates.dt.to_period(freq).astype(str).where(dates.notna(), UNDATED)


def article_groups(articles: pd.DataFrame, *, freq: str = "M", registry=None) -> pd.DataFrame:
    """One row per article with its outlet (registry), the outlet's home country and type, and its period.

    Args:
        articles: Articles table (``doc_id``, ``outlet``, ``published``; ``url`` optional).
        freq: Period frequency (see :func:`period_of`).
        registry: Outlet registry (see :func:`analysis.corpus.outlets.load_outlets`).

    Returns:
        DataFrame :data:`GROUP_COLUMNS`.
    """
    missing = [c for c in ("doc_id", "outlet", "published") if c not in articles.columns]
    if missing:
        raise ValueError(f"article_groups needs the articles table's columns {missing}; got {list(articles.columns)}.")
    named = assign_outlets(articles, registry=registry)
    return pd.DataFrame({"doc_id": articles["doc_id"].to_numpy(), "outlet": named["outlet_name"].to_numpy(),
                         "outlet_country": named["outlet_country"].to_numpy(),
                         "outlet_type": named["outlet_type"].to_numpy(),
                         "outlet_group": named["outlet_group"].to_numpy(),
                         "outlet_language": named["outlet_language"].to_numpy(),
                         "period": period_of(articles["published"].reset_index(drop=True), freq).to_numpy()},
                        columns=GROUP_COLUMNS)
