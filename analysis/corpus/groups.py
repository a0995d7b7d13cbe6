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

from analysis.corpus.outlets import UNKNOWN, assign_outlets

__all__ = ["UNDATED", "GROUP_COLUMNS", "period_of", "article_groups", "DESIGN_COLUMNS", "corpus_design",
           "design_notes"]

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


#: Article columns that say how a corpus was assembled (``make ai-news`` writes both); shown when present.
DESIGN_COLUMNS = ("collection", "document_type")


def _with_groups(articles: pd.DataFrame) -> pd.DataFrame:
    groups = article_groups(articles)
    out = groups.copy()
    for col in DESIGN_COLUMNS:
        if col in articles.columns:
            out[col] = articles[col].fillna("").astype(str).to_numpy()
    return out


def corpus_design(articles: pd.DataFrame, *, by: str = "outlet_group") -> pd.DataFrame:
    """Articles per group: outlets, dated articles, first and last month, and how they were collected.

    Args:
        articles: The corpus articles (``doc_id``, ``outlet``, ``published``; ``collection`` and
            ``document_type`` are counted when present).
        by: A column of :data:`GROUP_COLUMNS` to group by.

    Returns:
        One row per group and a ``total`` row: ``articles, outlets, dated, first, last``, then one count column
        per value of each :data:`DESIGN_COLUMNS` column the corpus has (``collection: asia_leads`` ...).
    """
    table = _with_groups(articles)
    rows = []
    for group, part in list(table.groupby(by, sort=True)) + [("total", table)]:
        months = sorted(part.loc[part["period"] != UNDATED, "period"])
        row = {by: group, "articles": len(part), "outlets": part["outlet"].nunique(),
               "dated": int((part["period"] != UNDATED).sum()), "first": months[0] if months else "",
               "last": months[-1] if months else ""}
        for col in DESIGN_COLUMNS:
            if col in table.columns:
                for value in sorted(table[col].unique()):
                    row[f"{col}: {value}"] = int((part[col] == value).sum())
        rows.append(row)
    return pd.DataFrame(rows)


def design_notes(articles: pd.DataFrame, *, by: str = "outlet_group") -> list[str]:
    """Sentences naming the groups whose articles all come from one collection (or one document type).

    A comparison between such a group and the others is also a comparison between collections (their search
    queries, periods and kinds of document); the notebooks print these lines beside every group comparison.
    Empty when the corpus has no :data:`DESIGN_COLUMNS` column or a single value in each. Outlets the registry
    does not know (``unknown``) are never compared, so they are not named.
    """
    table = _with_groups(articles)
    notes = []
    for col in DESIGN_COLUMNS:
        if col not in table.columns or table[col].nunique() < 2:
            continue
        values = table.groupby(by)[col].agg(lambda s: sorted(set(s)))
        for value in sorted(table[col].unique()):
            only = [str(g) for g, vals in values.items() if vals == [value] and g != UNKNOWN]
            if only:
                label = col.replace("_", " ")
                notes.append(f"{', '.join(only)}: every article is of {label} '{value}', so a comparison of "
                             f"{'this group' if len(only) == 1 else 'these groups'} with the others is also a "
                             f"comparison of {label}s.")
    return notes
