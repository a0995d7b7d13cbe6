"""Attention: how often each country is talked about, by whom, when, and next to whom.

Attention is the share of an outlet's output that mentions a country: the
share of its articles (or sentences) with at least one mention, which
normalises for how much each outlet publishes (the ratio Media Cloud reports).
Intervals are cluster bootstraps over articles (:mod:`analysis.stats`), so
sentence-level shares are not made to look more certain than they are.
Co-mentions count units mentioning two countries together and compare that
with chance (lift = observed / expected under independence).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis.corpus.groups import period_of
from analysis.corpus.outlets import assign_outlets
from analysis.countries.gazetteer import country_names
from analysis.stats import bootstrap_by_group

__all__ = ["ATTENTION_COLUMNS", "CO_MENTION_COLUMNS", "OVERVIEW_COLUMNS", "attention_shares", "co_mentions",
           "alias_contributions", "sample_mentions", "mention_overview"]

ATTENTION_COLUMNS = ["country", "estimate", "ci_low", "ci_high", "interval", "n_units", "n_mentioning", "n_articles"]
CO_MENTION_COLUMNS = ["country_a", "country_b", "n_a", "n_b", "n_both", "n_units", "expected", "lift"]


def _units(unit: str, articles: pd.DataFrame, sentences: pd.DataFrame | None) -> pd.DataFrame:
    if unit == "article":
        return articles
    if unit == "sentence":
        if sentences is None:
            raise ValueError("unit='sentence' needs the sentences table.")
        extra = [c for c in articles.columns if c not in sentences.columns or c == "doc_id"]
        return sentences.merge(articles[extra], on="doc_id", how="left")
    raise ValueError(f"unit must be 'article' or 'sentence', got {unit!r}.")


def _unit_keys(unit: str) -> list[str]:
    return ["doc_id"] if unit == "article" else ["doc_id", "sent_id"]


def _with_groups(articles: pd.DataFrame, groups: list[str], freq: str) -> pd.DataFrame:
    """The standard groups (registry outlet, its country and type, period) from one definition."""
    out = articles
    if "period" in groups and "published" in articles.columns:
        out = out.assign(period=period_of(articles["published"], freq).to_numpy())
    outlet_groups = [g for g in groups if g in ("outlet", "outlet_country", "outlet_type", "outlet_group",
                                                 "outlet_language")]
    if outlet_groups and "outlet" in articles.columns:
        found = assign_outlets(articles)
        names = {"outlet": "outlet_name", "outlet_country": "outlet_country", "outlet_type": "outlet_type",
                 "outlet_group": "outlet_group", "outlet_language": "outlet_language"}
        out = out.assign(**{g: found[names[g]].to_numpy() for g in outlet_groups})
    return out


def attention_shares(articles: pd.DataFrame, mentions: pd.DataFrame, *, sentences: pd.DataFrame | None = None,
                     by: str | Sequence[str] | None = None, unit: str = "article",
                     countries: Sequence[str] | None = None, freq: str = "M", n_boot: int = 2000,
                     ci: float = 0.95, random_state: int = 0) -> pd.DataFrame:
    """Share of articles (or sentences) mentioning each country, per group, with bootstrap intervals.

    Args:
        articles: Articles table (``doc_id``, and ``outlet`` and ``published`` for the standard groups).
        mentions: :func:`analysis.countries.measure.detect_mentions` output.
        sentences: Sentences table; required when ``unit="sentence"``.
        by: Grouping column(s): ``"outlet"`` (the registry's name), ``"outlet_country"``, ``"outlet_type"``
            and ``"period"`` (``published`` at ``freq``; undated articles form the group ``"undated"``, never
            dropped) are the standard groups of :func:`analysis.corpus.groups.article_groups`; any other
            column of ``articles`` is used as it is. ``None`` gives corpus-wide shares.
        unit: ``"article"`` or ``"sentence"``.
        countries: Codes to report (a country never mentioned gets 0); default
            every country in ``mentions``.
        freq: Pandas period frequency for ``by="period"``.
        n_boot, ci, random_state: Bootstrap settings; articles are the clusters.

    Returns:
        DataFrame with the ``by`` column(s), then ``country, estimate, ci_low,
        ci_high, interval, n_units, n_mentioning, n_articles``: ``estimate`` is the share
        of the group's units mentioning the country. Empty (same columns) when
        there are no units.
    """
    groups = [] if by is None else ([by] if isinstance(by, str) else list(by))
    base = _with_groups(articles, groups, freq)
    missing = [g for g in groups if g not in base.columns]
    if missing:
        raise ValueError(f"attention_shares: grouping column(s) {missing} not in articles "
                         f"({list(articles.columns)}).")
    units = _units(unit, base, sentences)
    keys = _unit_keys(unit)
    codes = sorted(mentions["country"].unique()) if countries is None else list(countries)
    hits = mentions[mentions["country"].isin(codes)][keys + ["country"]].drop_duplicates().assign(_hit=1.0)
    frame = units[keys + groups].drop_duplicates(keys)
    long = (frame.merge(pd.DataFrame({"country": codes}), how="cross")
            .merge(hits, on=keys + ["country"], how="left"))
    long["_hit"] = long["_hit"].fillna(0.0)
    if long.empty:
        return pd.DataFrame(columns=groups + ATTENTION_COLUMNS)
    table = bootstrap_by_group(long, "_hit", groups + ["country"], cluster="doc_id", n_boot=n_boot, ci=ci,
                               random_state=random_state, kind="share", clustered=unit != "article")
    table = table.rename(columns={"n": "n_units", "n_clusters": "n_articles"})
    table["n_mentioning"] = np.rint(table["estimate"] * table["n_units"]).astype("int64")
    return table[groups + ATTENTION_COLUMNS].reset_index(drop=True)


def co_mentions(mentions: pd.DataFrame, units: pd.DataFrame, *, unit: str = "article",
                countries: Sequence[str] | None = None) -> pd.DataFrame:
    """Which countries are discussed together, as counts and lift over chance.

    Args:
        mentions: :func:`analysis.countries.measure.detect_mentions` output.
        units: The articles table (``unit="article"``) or the sentences table
            (``unit="sentence"``); it fixes the number of units, including those
            without any mention.
        unit: ``"article"`` or ``"sentence"``.
        countries: Codes to include; default every country in ``mentions``.

    Returns:
        DataFrame :data:`CO_MENTION_COLUMNS`, one row per ordered pair of
        different countries (so it pivots straight into a symmetric matrix):
        ``n_a``/``n_b`` units mentioning each, ``n_both`` units mentioning
        both, ``expected = n_a * n_b / n_units`` under independence and
        ``lift = n_both / expected`` (NaN when ``expected`` is 0).
    """
    keys = _unit_keys(unit)
    missing = [k for k in keys if k not in units.columns]
    if missing:
        raise ValueError(f"co_mentions(unit={unit!r}) needs columns {missing} in units.")
    codes = sorted(mentions["country"].unique()) if countries is None else list(countries)
    n_units = len(units[keys].drop_duplicates())
    present = mentions[mentions["country"].isin(codes)][keys + ["country"]].drop_duplicates()
    indicator = (present.assign(_v=1).pivot_table(index=keys, columns="country", values="_v", fill_value=0)
                 .reindex(columns=codes, fill_value=0))
    matrix = indicator.to_numpy(dtype=float)
    both = matrix.T @ matrix
    single = matrix.sum(axis=0)
    rows = []
    for i, a in enumerate(codes):
        for j, b in enumerate(codes):
            if i == j:
                continue
            expected = single[i] * single[j] / n_units if n_units else 0.0
            rows.append((a, b, int(single[i]), int(single[j]), int(both[i, j]), n_units, expected,
                         both[i, j] / expected if expected > 0 else float("nan")))
    return pd.DataFrame(rows, columns=CO_MENTION_COLUMNS)


def alias_contributions(mentions: pd.DataFrame, *, top: int | None = None) -> pd.DataFrame:
    """Which aliases carry each country's counts (e.g. how much of China is "DeepSeek").

    Args:
        mentions: :func:`analysis.countries.measure.detect_mentions` output.
        top: Keep the ``top`` aliases per country (the rest are summed into an
            ``"(other aliases)"`` row so shares still add to 1); ``None`` keeps all.

    Returns:
        DataFrame ``country, alias, kind, n_mentions, share_of_country, n_articles``
        sorted by country then ``n_mentions`` descending.
    """
    cols = ["country", "alias", "kind", "n_mentions", "share_of_country", "n_articles"]
    if mentions.empty:
        return pd.DataFrame(columns=cols)
    table = (mentions.groupby(["country", "alias", "kind"])
             .agg(n_mentions=("doc_id", "size"), n_articles=("doc_id", "nunique")).reset_index())
    table = table.sort_values(["country", "n_mentions", "alias"], ascending=[True, False, True])
    if top is not None:
        rank = table.groupby("country").cumcount()
        rest = (table[rank >= top].groupby("country")
                .agg(n_mentions=("n_mentions", "sum"), n_articles=("n_articles", "max")).reset_index()
                .assign(alias="(other aliases)", kind="mixed"))
        table = pd.concat([table[rank < top], rest], ignore_index=True)
    table["share_of_country"] = table["n_mentions"] / table.groupby("country")["n_mentions"].transform("sum")
    table["_rest"] = table["alias"] == "(other aliases)"  # the remainder always comes last
    table = table.sort_values(["country", "_rest", "n_mentions", "alias"],
                              ascending=[True, True, False, True])
    return table[cols].reset_index(drop=True)


def sample_mentions(mentions: pd.DataFrame, sentences: pd.DataFrame, *, per_country: int = 3,
                    countries: Sequence[str] | None = None, random_state: int = 0) -> pd.DataFrame:
    """A seeded sample of sentences per country, for checking face validity by eye.

    Returns:
        DataFrame ``country, doc_id, sent_id, aliases, text``: up to
        ``per_country`` distinct sentences per country, ``aliases`` the
        ``"|"``-joined aliases matched in the sentence.
    """
    cols = ["country", "doc_id", "sent_id", "aliases", "text"]
    chosen = mentions if countries is None else mentions[mentions["country"].isin(countries)]
    if chosen.empty:
        return pd.DataFrame(columns=cols)
    per_sentence = (chosen.groupby(["country", "doc_id", "sent_id"])["alias"]
                    .agg(lambda s: "|".join(dict.fromkeys(s))).rename("aliases").reset_index())
    order = np.random.default_rng(random_state).permutation(len(per_sentence))
    picked = per_sentence.iloc[order].groupby("country", sort=False).head(per_country)
    out = picked.merge(sentences[["doc_id", "sent_id", "text"]], on=["doc_id", "sent_id"], how="left")
    return out.sort_values(["country", "doc_id", "sent_id"])[cols].reset_index(drop=True)


OVERVIEW_COLUMNS = ["country", "display_name", "n_mentions", "n_sentences", "n_articles",
                    "share_of_sentences", "share_of_articles", "direct_share", "top_alias", "top_alias_share"]


def mention_overview(mentions: pd.DataFrame, articles: pd.DataFrame, sentences: pd.DataFrame, *,
                     countries: Sequence[str] | None = None) -> pd.DataFrame:
    """One line per country: how much it is mentioned, how directly, and by which leading alias.

    Args:
        mentions: :func:`analysis.countries.measure.detect_mentions` output.
        articles, sentences: The corpus tables (denominators).
        countries: Codes to list (never-mentioned ones get zeros); default those mentioned.

    Returns:
        DataFrame :data:`OVERVIEW_COLUMNS`: ``direct_share`` is the share of the
        country's mentions that are its name or demonym (the rest are places,
        governments, people, organisations); ``top_alias`` the alias with most
        mentions and ``top_alias_share`` its share ("" and NaN when unmentioned).
    """
    codes = sorted(mentions["country"].unique()) if countries is None else list(countries)
    names = country_names()
    n_sent, n_art = len(sentences), articles["doc_id"].nunique()
    rows = []
    for code in codes:
        sub = mentions[mentions["country"] == code]
        # ties go to the alphabetically first alias, so reruns print the same table
        aliases = sub["alias"].value_counts().sort_index().sort_values(ascending=False, kind="stable")
        sents = len(sub[["doc_id", "sent_id"]].drop_duplicates())
        docs = sub["doc_id"].nunique()
        rows.append({
            "country": code, "display_name": names.get(code, code), "n_mentions": len(sub),
            "n_sentences": sents,
            "n_articles": docs, "share_of_sentences": sents / n_sent if n_sent else float("nan"),
            "share_of_articles": docs / n_art if n_art else float("nan"),
            "direct_share": sub["kind"].isin(["name", "demonym"]).mean() if len(sub) else float("nan"),
            "top_alias": aliases.index[0] if len(aliases) else "",
            "top_alias_share": aliases.iloc[0] / len(sub) if len(sub) else float("nan"),
        })
    return pd.DataFrame(rows, columns=OVERVIEW_COLUMNS)
