"""Summary tables and figures describing a processed corpus (for notebook 01_corpus).

Every function takes the :class:`analysis.corpus.prepare.CorpusTables` returned by
:func:`analysis.corpus.prepare.prepare_corpus` (or the DataFrame named) and returns a
small DataFrame with plain values (dates as ``YYYY-MM-DD`` strings, floats
rounded to 3 decimals) so notebook outputs are stable across reruns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["summarize_corpus", "summarize_documents", "summarize_outlets", "summarize_cleaning",
           "summarize_exclusions", "document_lengths", "plot_document_lengths",
           "EXCLUSION_REASONS"]

EXCLUSION_REASONS = ["bad_json_line", "bad_csv_row", "unreadable_file", "empty", "too_short", "non_english",
                     "language_not_kept", "exact_duplicate", "near_duplicate"]
NOT_STATED = "(not stated)"


def _day(value) -> str:
    return "" if pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d")


def summarize_corpus(tables) -> pd.DataFrame:
    """Headline counts of the corpus.

    Returns:
        Columns measure, value (both strings): documents loaded/kept/excluded,
        paragraphs, sentences, outlets, documents with a date, date range,
        median characters per kept document, removals logged.
    """
    articles = tables.articles
    dated = articles["published"].dropna()
    rows = [
        ("documents loaded", len(articles) + tables.exclusions["doc_id"].nunique()),
        ("documents kept", len(articles)),
        ("documents excluded", tables.exclusions["doc_id"].nunique()),
        ("paragraphs", len(tables.paragraphs)),
        ("sentences", len(tables.sentences)),
        ("distinct outlets stated", articles.loc[articles["outlet"] != "", "outlet"].nunique()),
        ("kept documents with an outlet", int((articles["outlet"] != "").sum())),
        ("kept documents with a date", len(dated)),
        ("earliest date", _day(dated.min()) if len(dated) else NOT_STATED),
        ("latest date", _day(dated.max()) if len(dated) else NOT_STATED),
        ("median characters per kept document",
         int(articles["text"].str.len().median()) if len(articles) else 0),
        ("boilerplate removals logged", len(tables.cleaning_log)),
    ]
    return pd.DataFrame({"measure": [r[0] for r in rows], "value": [str(r[1]) for r in rows]})


def summarize_documents(tables, *, top: int = 10) -> pd.DataFrame:
    """The first ``top`` kept documents with their size and metadata.

    Returns:
        Columns doc_id, outlet, published (YYYY-MM-DD or ""), title (first 60
        characters), n_chars, n_paragraphs, n_sentences, n_removals.
    """
    articles = tables.articles.head(top)
    count = lambda frame: frame.groupby("doc_id").size()  # noqa: E731
    table = pd.DataFrame({
        "doc_id": articles["doc_id"],
        "outlet": articles["outlet"].replace("", NOT_STATED),
        "published": articles["published"].map(_day),
        "title": articles["title"].str.slice(0, 60),
        "n_chars": articles["text"].str.len(),
    })
    for name, frame in (("n_paragraphs", tables.paragraphs), ("n_sentences", tables.sentences),
                        ("n_removals", tables.cleaning_log)):
        table[name] = table["doc_id"].map(count(frame)).fillna(0).astype(int)
    return table.reset_index(drop=True)


def summarize_outlets(tables, *, top: int = 10) -> pd.DataFrame:
    """Documents per outlet (the ``top`` largest; ties broken by name).

    Returns:
        Columns outlet, n_documents, share (of kept documents), first_published,
        last_published.
    """
    articles = tables.articles.assign(outlet=tables.articles["outlet"].replace("", NOT_STATED))
    grouped = articles.groupby("outlet").agg(n_documents=("doc_id", "size"),
                                             first=("published", "min"), last=("published", "max"))
    grouped = grouped.reset_index().sort_values(["n_documents", "outlet"], ascending=[False, True])
    grouped["share"] = (grouped["n_documents"] / max(len(articles), 1)).round(3)
    grouped["first_published"] = grouped["first"].map(_day)
    grouped["last_published"] = grouped["last"].map(_day)
    return grouped[["outlet", "n_documents", "share", "first_published", "last_published"]] \
        .head(top).reset_index(drop=True)


def summarize_cleaning(tables, *, example_chars: int = 70) -> pd.DataFrame:
    """What the boilerplate rules removed.

    Returns:
        Columns rule, n_removals, n_documents, example (first removal, cut to
        ``example_chars``), reason; sorted by n_removals then rule.
    """
    log = tables.cleaning_log
    if log.empty:
        return pd.DataFrame(columns=["rule", "n_removals", "n_documents", "example", "reason"])
    grouped = log.groupby("rule").agg(n_removals=("doc_id", "size"), n_documents=("doc_id", "nunique"),
                                      example=("removed_text", "first"), reason=("reason", "first"))
    grouped["example"] = grouped["example"].map(
        lambda text: text if len(text) <= example_chars else text[:example_chars - 1] + "…")
    return grouped.reset_index().sort_values(["n_removals", "rule"], ascending=[False, True]) \
        .reset_index(drop=True)


def summarize_exclusions(tables) -> pd.DataFrame:
    """Excluded documents per reason, every reason listed (zero counts included).

    Returns:
        Columns reason, n_documents, example_doc_id, example_detail.
    """
    exclusions = tables.exclusions
    reasons = EXCLUSION_REASONS + sorted(set(exclusions["reason"]) - set(EXCLUSION_REASONS))
    rows = []
    for reason in reasons:
        subset = exclusions[exclusions["reason"] == reason]
        rows.append((reason, len(subset), subset["doc_id"].iloc[0] if len(subset) else "",
                     subset["detail"].iloc[0] if len(subset) else ""))
    return pd.DataFrame(rows, columns=["reason", "n_documents", "example_doc_id", "example_detail"])


def document_lengths(tables) -> pd.DataFrame:
    """Words, sentences and paragraphs per kept document.

    Returns:
        Columns doc_id, n_words, n_sentences, n_paragraphs.
    """
    articles = tables.articles
    return pd.DataFrame({
        "doc_id": articles["doc_id"],
        "n_words": articles["text"].str.split().str.len().fillna(0).astype(int),
        "n_sentences": articles["doc_id"].map(tables.sentences.groupby("doc_id").size())
        .fillna(0).astype(int),
        "n_paragraphs": articles["doc_id"].map(tables.paragraphs.groupby("doc_id").size())
        .fillna(0).astype(int),
    }).reset_index(drop=True)


def plot_document_lengths(lengths: pd.DataFrame):
    """Dot/strip plot of words per document with the median and interquartile range.

    Args:
        lengths: Output of :func:`document_lengths`.

    Returns:
        A matplotlib Figure (not saved).
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 2.6))
    words = lengths["n_words"].to_numpy()
    if len(words) == 0:
        ax.text(0.5, 0.5, "no documents kept", ha="center", va="center", transform=ax.transAxes)
    else:
        jitter = np.random.default_rng(0).uniform(-0.15, 0.15, len(words))
        ax.scatter(words, jitter, s=14, alpha=0.6, color="#4c72b0", label="document")
        q1, median, q3 = np.percentile(words, [25, 50, 75])
        ax.hlines(0.35, q1, q3, color="black", lw=3, label="interquartile range")
        ax.plot([median], [0.35], marker="D", color="#c44e52", ms=8, ls="none", label="median")
        ax.legend(loc="upper right", fontsize=8, frameon=False, ncols=3)
    ax.set_ylim(-0.5, 0.8)
    ax.set_yticks([])
    ax.set_xlabel("words per kept document (cleaned text)")
    ax.set_title(f"Document length (n = {len(words)})")
    fig.tight_layout()
    return fig
