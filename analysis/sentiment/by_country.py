"""From sentiment per country mention to sentiment per article, country, outlet and period.

The unit of evidence is the article: sentences of one article are not independent,
so every interval resamples whole articles (:mod:`analysis.stats`) and the
permutation test compares article-level values. An article that never mentions a
country has no sentiment toward it (no row), never a neutral one.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

from analysis import stats
from analysis.corpus.groups import GROUP_COLUMNS, article_groups
from analysis.corpus.outlets import UNKNOWN
from analysis.numerics import round_significant
from analysis.validity import format_cell
from analysis.sentiment.measure import DEFAULT_SCORER, predict_target_sentiment

__all__ = [
    "SCORED_COLUMNS", "ARTICLE_COLUMNS", "score_mentions", "aggregate_articles", "summarise_sentiment",
    "compare_countries", "TEST_COLUMNS", "naive_country_tests", "NAIVE_COLUMNS", "compare_outlet_groups", "GROUP_TEST_COLUMNS", "summarise_coverage", "select_evidence", "find_disagreements", "sensitivity_table"]

SCORED_COLUMNS = ["doc_id", "para_id", "sent_id", "country", "alias", "kind", "start", "end", "sentence",
                  "label", "p_negative", "p_neutral", "p_positive", "score", "scorer"]
ARTICLE_COLUMNS = ["doc_id", "country", "n_mentions", "mean_score", "share_negative", "share_neutral",
                   "share_positive"]
MEASURES = ("mean_score", "share_negative", "share_positive")


def score_mentions(mentions: pd.DataFrame, sentences: pd.DataFrame, *, scorer: str = DEFAULT_SCORER,
                   countries=None, batch_size: int = 64) -> pd.DataFrame:
    """Sentiment toward each country mention, in its sentence.

    Args:
        mentions: ``analysis.countries.measure.detect_mentions`` output (``doc_id, para_id, sent_id,
            country, alias, kind, start, end``; offsets within the sentence text).
        sentences: Sentences table (``doc_id, sent_id, text``).
        scorer: ``"indomain"``, ``"target"`` or ``"vader"`` (see
            :func:`analysis.sentiment.measure.predict_target_sentiment`).
        countries: Keep only these country codes; ``None`` keeps all.
        batch_size: Encoder batch size.

    Returns:
        DataFrame :data:`SCORED_COLUMNS`: the mention columns, ``sentence`` (its text), and
        ``label``, ``p_negative``, ``p_neutral``, ``p_positive``, ``score``, ``scorer``.
        Identical (sentence, span) pairs are scored once.

    Raises:
        ValueError: Missing columns, or a mention whose sentence is not in ``sentences``.
    """
    for name, table, cols in (("mentions", mentions, SCORED_COLUMNS[:8]), ("sentences", sentences,
                                                                          ["doc_id", "sent_id", "text"])):
        missing = [c for c in cols if c not in table.columns]
        if missing:
            raise ValueError(f"score_mentions: {name} lacks columns {missing}; pass the analysis.corpus.prepare / "
                             "analysis.countries.measure tables.")
    sel = mentions if countries is None else mentions[mentions["country"].isin(list(countries))]
    text = sentences[["doc_id", "sent_id", "text"]].rename(columns={"text": "sentence"})
    merged = sel[SCORED_COLUMNS[:8]].merge(text, on=["doc_id", "sent_id"], how="left", validate="many_to_one")
    lost = merged["sentence"].isna()
    if lost.any():
        row = merged[lost].iloc[0]
        raise ValueError(f"score_mentions: {int(lost.sum())} mention(s) have no sentence, e.g. doc_id="
                         f"{row['doc_id']!r} sent_id={row['sent_id']}; detect mentions on this sentences table.")
    keys = merged[["sentence", "start", "end"]].drop_duplicates()
    if len(keys):
        scores = predict_target_sentiment(list(keys["sentence"]), list(zip(keys["start"], keys["end"])),
                                          scorer=scorer, batch_size=batch_size)
        keys = pd.concat([keys.reset_index(drop=True), scores], axis=1)
    else:
        keys = keys.assign(**{c: pd.Series(dtype=float) for c in SCORED_COLUMNS[9:]})
    extra = [c for c in ("reference", "n_mentions") if c in sel.columns]
    out = merged.merge(keys, on=["sentence", "start", "end"], how="left")[SCORED_COLUMNS]
    if extra:  # sentence units (analysis.countries.units) keep their reference class and mention count
        out[extra] = sel[extra].to_numpy()
    return out


def aggregate_articles(scored: pd.DataFrame) -> pd.DataFrame:
    """Per article and country: mean score and share of negative/neutral/positive mentions.

    Returns:
        DataFrame :data:`ARTICLE_COLUMNS`, one row per (article, country) with at least one
        mention; ``mean_score`` is the mean of the mentions' ``score`` (``p_positive -
        p_negative`` for the target scorer).
    """
    if scored.empty:
        return pd.DataFrame(columns=ARTICLE_COLUMNS).astype({"n_mentions": "int64"})
    flags = scored.assign(**{f"share_{lab}": (scored["label"] == lab).astype(float)
                             for lab in ("negative", "neutral", "positive")})
    out = flags.groupby(["doc_id", "country"], sort=True).agg(
        n_mentions=("score", "size"), mean_score=("score", "mean"), share_negative=("share_negative", "mean"),
        share_neutral=("share_neutral", "mean"), share_positive=("share_positive", "mean")).reset_index()
    return out[ARTICLE_COLUMNS]


def summarise_sentiment(article_scores: pd.DataFrame, *, by=("country",), articles: pd.DataFrame | None = None,
                        period: str = "M", measures=MEASURES, n_boot: int = 2000,
                        random_state: int = 0) -> pd.DataFrame:
    """Mean article-level sentiment per group with cluster-bootstrap intervals (resampling articles).

    Args:
        article_scores: :func:`aggregate_articles` output.
        by: Grouping columns: ``country`` and optionally any of :data:`analysis.corpus.groups.GROUP_COLUMNS`
            (``outlet``, ``outlet_group``, ``outlet_type``, ``period``...; taken from ``articles``; ``period`` is
            ``published`` at frequency ``period``).
        articles: Articles table (``doc_id, outlet, published``); needed for outlet/period.
        period: pandas period frequency for ``period`` (``"M"`` month, ``"W"`` week).
        measures: Article-level columns to summarise.
        n_boot, random_state: Bootstrap settings.

    Returns:
        DataFrame ``measure``, the ``by`` columns, ``estimate``, ``ci_low``, ``ci_high``, ``interval`` (how
        it was made, or that there are too few articles for one: :func:`analysis.stats.bootstrap_by_group`),
        ``n`` (articles), ``n_clusters``, ``unit`` and ``weighting`` (each article counts once). Outlets are the registry's names and articles without a publication
        date form the period ``"undated"`` (see :mod:`analysis.corpus.groups`).
    """
    by = list(by)
    table = article_scores
    standard = [c for c in by if c in GROUP_COLUMNS[1:]]
    if standard:
        if articles is None:
            raise ValueError(f"summarise_sentiment: grouping by {standard} needs the articles table.")
        extra = article_groups(articles, freq=period)
        table = table.merge(extra[["doc_id", *standard]], on="doc_id", how="left")
    frames = []
    for measure in measures:
        res = stats.bootstrap_by_group(table, measure, by, cluster="doc_id", n_boot=n_boot,
                                       random_state=random_state, kind="mean")
        frames.append(res.assign(measure=measure, unit="article",
                                 weighting="each article once: the mean over its units of the country"))
    cols = ["measure", *by, "estimate", "ci_low", "ci_high", "interval", "n", "n_clusters", "unit", "weighting"]
    return pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)


def summarise_coverage(scored: pd.DataFrame, countries) -> pd.DataFrame:
    """How much evidence each requested country has, and what can be computed from it.

    Returns:
        DataFrame ``country``, ``n_mentions``, ``n_articles``, ``status``: ``"ok"``,
        ``"no mentions: no sentiment"`` or ``"1 article: no interval or test"``.
    """
    rows = []
    for country in countries:
        sub = scored[scored["country"] == country]
        n_articles = sub["doc_id"].nunique()
        status = ("no mentions: no sentiment" if n_articles == 0 else
                  "1 article: no interval or test" if n_articles == 1 else "ok")
        rows.append({"country": country, "n_mentions": len(sub), "n_articles": n_articles, "status": status})
    return pd.DataFrame(rows, columns=["country", "n_mentions", "n_articles", "status"])


TEST_COLUMNS = ["country_a", "country_b", "measure", "mean_a", "mean_b", "difference", "ci_low", "ci_high", "interval",
                "p_value", "p_holm", "cohens_d", "n_a", "n_b", "n_shared", "unit", "weighting", "test"]


def compare_countries(article_scores: pd.DataFrame, *, countries=None, measure: str = "mean_score",
                      n_perm: int = 5000, n_boot: int = 2000, random_state: int = 0) -> pd.DataFrame:
    """Difference in article-level ``measure`` between each pair of countries, respecting shared articles.

    An article that mentions both countries is compared with itself (its two values are swapped in the
    permutations, as in a paired test), the others exchange labels (:func:`analysis.stats.paired_permutation_test`);
    p-values are Holm-adjusted over the pairs of the table (``p_holm``).

    Returns:
        DataFrame :data:`TEST_COLUMNS`: the two countries' article means, ``difference`` (a - b: the within-article
        difference of shared articles combined with the difference between the others, 0 when the country does
        not matter) with its interval (articles resampled; only with 10 articles per country, ``interval`` says
        so), ``p_value`` and ``p_holm``, ``cohens_d``, the articles
        per country and shared, and the ``unit`` of the test. NaN statistics when a country has < 2 articles.
    """
    present = sorted(article_scores["country"].unique()) if countries is None else list(countries)
    rows = []
    for a, b in combinations(present, 2):
        res = stats.paired_permutation_test(article_scores[measure], article_scores["country"],
                                            article_scores["doc_id"], a=a, b=b, n_perm=n_perm, n_boot=n_boot,
                                            random_state=random_state)
        rows.append({"country_a": a, "country_b": b, "measure": measure, **res,
                     "unit": "article (its mean over its units of the country)",
                     "weighting": "shared articles: within-article difference; others: between articles; "
                                  "combined by their numbers",
                     "test": "restricted permutation (shared articles paired)"})
    table = pd.DataFrame(rows, columns=TEST_COLUMNS)
    table["p_holm"] = stats.holm(table["p_value"])
    return table


NAIVE_COLUMNS = ["country_a", "country_b", "mean_a", "mean_b", "difference", "p_value", "n_a", "n_b", "unit",
                 "test"]


def naive_country_tests(scored: pd.DataFrame, *, countries=None) -> pd.DataFrame:
    """The comparison a design-blind analysis would make: mentions as independent units, no pairing, no correction.

    Kept only to show what the corrections change (``06_synthesis``): every mention counts as its own
    observation (mentions of one article are not independent), an article naming both countries enters both
    samples unpaired, and the p-value (Welch's t-test) is not adjusted for the other pairs. Do not report it as a
    result.

    Returns:
        DataFrame :data:`NAIVE_COLUMNS`; NaN statistics when a country has fewer than 2 mentions.
    """
    from scipy import stats as sps

    present = sorted(scored["country"].unique()) if countries is None else list(countries)
    rows = []
    for a, b in combinations(present, 2):
        xa = scored.loc[scored["country"] == a, "score"].to_numpy(float)
        xb = scored.loc[scored["country"] == b, "score"].to_numpy(float)
        ok = len(xa) >= 2 and len(xb) >= 2
        p = float(sps.ttest_ind(xa, xb, equal_var=False).pvalue) if ok else float("nan")
        rows.append({"country_a": a, "country_b": b, "mean_a": xa.mean() if len(xa) else float("nan"),
                     "mean_b": xb.mean() if len(xb) else float("nan"),
                     "difference": xa.mean() - xb.mean() if ok else float("nan"), "p_value": p,
                     "n_a": len(xa), "n_b": len(xb), "unit": "mention (as if independent)",
                     "test": "Welch t-test, unpaired, unadjusted"})
    return pd.DataFrame(rows, columns=NAIVE_COLUMNS)


GROUP_TEST_COLUMNS = ["country", "by", "group_a", "group_b", "mean_a", "mean_b", "difference", "ci_low", "ci_high",
                      "interval", "p_value", "p_holm", "cohens_d", "n_a", "n_b", "n_outlets_a", "n_outlets_b", "unit",
                      "weighting", "test"]


def compare_outlet_groups(article_scores: pd.DataFrame, articles: pd.DataFrame, *, by: str = "outlet_group",
                          countries=None, measure: str = "mean_score", min_articles: int = 2, n_perm: int = 5000,
                          n_boot: int = 2000, random_state: int = 0) -> pd.DataFrame:
    """For each country, the difference in article-level ``measure`` between each pair of outlet groups.

    The question is about groups of outlets, and articles of one outlet resemble each other, so the outlet is
    the unit of inference: the permutation test moves whole outlets between the two groups (a group of one
    outlet cannot be tested: it is that outlet), and the interval resamples outlets within each group, given
    only with :data:`analysis.stats.MIN_CLUSTERS` outlets per group. ``p_holm`` adjusts over every comparison of
    the table. Articles of outlets the registry does not know (``"unknown"``) are left out.

    Args:
        article_scores: :func:`aggregate_articles` output.
        articles: Articles table (``doc_id, outlet, published``) for :func:`analysis.corpus.groups.article_groups`.
        by: ``"outlet_group"`` (home-country group) or ``"outlet_type"``.
        min_articles: Groups with fewer articles of the country are left out.

    Returns:
        DataFrame :data:`GROUP_TEST_COLUMNS`.
    """
    groups = article_groups(articles)
    if by not in ("outlet_group", "outlet_type", "outlet_country", "outlet_language"):
        raise ValueError(f"by must be an attribute of outlets (outlet_group, outlet_type, ...), got {by!r}.")
    table = article_scores.merge(groups[["doc_id", "outlet", by]], on="doc_id", how="left")
    table[[by, "outlet"]] = table[[by, "outlet"]].fillna(UNKNOWN)
    present = sorted(table["country"].unique()) if countries is None else list(countries)
    rows = []
    for country in present:
        sub = table[(table["country"] == country) & (table[by] != UNKNOWN)]
        sizes = sub.groupby(by)["doc_id"].nunique()
        kept = sorted(g for g, n in sizes.items() if n >= min_articles)
        for ga, gb in combinations(kept, 2):
            pair = sub[sub[by].isin([ga, gb])]
            res = _outlet_permutation(pair, by, ga, measure, n_perm=n_perm, n_boot=n_boot, random_state=random_state)
            rows.append({"country": country, "by": by, "group_a": ga, "group_b": gb, **res,
                         "unit": "article (its mean over its units of the country)",
                         "weighting": "each article once; outlets are the unit of the test and the interval",
                         "test": "permutation of outlets between the groups"})
    out = pd.DataFrame(rows, columns=GROUP_TEST_COLUMNS)
    out["p_holm"] = stats.holm(out["p_value"]) if len(out) else out["p_value"]
    return out


def _outlet_permutation(pair: pd.DataFrame, by: str, group_a, measure: str, *, n_perm: int, n_boot: int,
                        random_state: int) -> dict:
    x = pair[measure].to_numpy(float)
    outlet_codes, outlets = pd.factorize(pair["outlet"])
    outlet_in_a = pair.groupby(outlet_codes)[by].first().reindex(range(len(outlets))).to_numpy() == group_a
    in_a = outlet_in_a[outlet_codes]
    n_oa, n_ob = int(outlet_in_a.sum()), int((~outlet_in_a).sum())
    nan = float("nan")
    mean_a, mean_b = float(x[in_a].mean()), float(x[~in_a].mean())
    observed = mean_a - mean_b
    sd = np.sqrt(((in_a.sum() - 1) * x[in_a].var(ddof=1) + ((~in_a).sum() - 1) * x[~in_a].var(ddof=1))
                 / (len(x) - 2)) if min(in_a.sum(), (~in_a).sum()) >= 2 else nan
    out = {"mean_a": round_significant(mean_a), "mean_b": round_significant(mean_b),
           "difference": round_significant(observed), "ci_low": nan, "ci_high": nan,
           "interval": "too few outlets for an interval", "p_value": nan,
           "cohens_d": round_significant(observed / sd) if sd and np.isfinite(sd) and sd > 0 else nan,
           "n_a": int(in_a.sum()), "n_b": int((~in_a).sum()), "n_outlets_a": n_oa, "n_outlets_b": n_ob}
    rng = np.random.default_rng(random_state)
    if min(n_oa, n_ob) >= 2:
        hits = 0
        for _ in range(n_perm):
            labels = rng.permutation(outlet_in_a)[outlet_codes]
            if abs(x[labels].mean() - x[~labels].mean()) >= abs(observed) - 1e-12:
                hits += 1
        out["p_value"] = (hits + 1) / (n_perm + 1)
    if min(n_oa, n_ob) >= stats.MIN_CLUSTERS:
        boot = []
        a_codes, b_codes = np.flatnonzero(outlet_in_a), np.flatnonzero(~outlet_in_a)
        sums = np.bincount(outlet_codes, weights=x, minlength=len(outlets))
        counts = np.bincount(outlet_codes, minlength=len(outlets)).astype(float)
        for _ in range(n_boot):
            da, db = rng.choice(a_codes, a_codes.size), rng.choice(b_codes, b_codes.size)
            boot.append(sums[da].sum() / counts[da].sum() - sums[db].sum() / counts[db].sum())
        low, high = np.quantile(boot, [0.025, 0.975])
        out.update(ci_low=round_significant(float(low)), ci_high=round_significant(float(high)),
                   interval="bootstrap of outlets within each group")
    return out


def select_evidence(scored: pd.DataFrame, *, n: int = 3, countries=None) -> pd.DataFrame:
    """The most negative and most positive mentions per country, as quotable evidence.

    Returns:
        DataFrame ``country``, ``direction`` (``most_negative``/``most_positive``), ``rank``
        (1 = strongest), ``doc_id``, ``sent_id``, ``alias``, ``label``, ``score``, ``sentence``.
        Ties are broken by ``doc_id`` and ``sent_id`` so the selection is stable.
    """
    cols = ["country", "direction", "rank", "doc_id", "sent_id", "alias", "label", "score", "sentence"]
    sel = scored if countries is None else scored[scored["country"].isin(list(countries))]
    sel = sel.drop_duplicates(["doc_id", "sent_id", "country"])
    frames = []
    for direction, ascending in (("most_negative", True), ("most_positive", False)):
        ordered = sel.sort_values(["score", "doc_id", "sent_id"], ascending=[ascending, True, True])
        top = ordered.groupby("country", sort=True).head(n).copy()
        top["direction"] = direction
        top["rank"] = top.groupby("country").cumcount() + 1
        frames.append(top)
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)
    return out.sort_values(["country", "direction", "rank"]).reset_index(drop=True)[cols]


def find_disagreements(target_scored: pd.DataFrame, vader_scored: pd.DataFrame, *, n: int = 5) -> tuple[
        pd.DataFrame, pd.DataFrame]:
    """Where the target classifier and sentence-level VADER disagree.

    Args:
        target_scored, vader_scored: :func:`score_mentions` outputs for the same mentions.
        n: Examples to return (largest score gaps first).

    Returns:
        ``(crosstab, examples)``: ``crosstab`` counts mentions by ``target_label`` (rows) and
        ``vader_label`` (columns); ``examples`` has ``country``, ``doc_id``, ``sent_id``, ``alias``,
        ``target_label``, ``vader_label``, ``target_score``, ``vader_score``, ``sentence``.
    """
    keys = ["doc_id", "sent_id", "country", "start", "end"]
    both = target_scored.merge(vader_scored[keys + ["label", "score"]], on=keys, suffixes=("", "_vader"),
                               validate="one_to_one")
    both = both.rename(columns={"label": "target_label", "label_vader": "vader_label", "score": "target_score",
                                "score_vader": "vader_score"})
    labels = ["negative", "neutral", "positive"]
    crosstab = pd.crosstab(pd.Categorical(both["target_label"], labels), pd.Categorical(both["vader_label"], labels),
                           rownames=["target_label"], colnames=["vader_label"], dropna=False)
    diff = both[both["target_label"] != both["vader_label"]].copy()
    diff["gap"] = (diff["target_score"] - diff["vader_score"]).abs()
    diff = diff.sort_values(["gap", "doc_id", "sent_id"], ascending=[False, True, True]).head(n)
    cols = ["country", "doc_id", "sent_id", "alias", "target_label", "vader_label", "target_score", "vader_score",
            "sentence"]
    return crosstab, diff[cols].reset_index(drop=True)


def sensitivity_table(primary: pd.DataFrame, sensitivity: pd.DataFrame, *, measure: str = "mean_score",
                      labels=("direct references", "incl. proxies")) -> pd.DataFrame:
    """Two :func:`summarise_sentiment` results side by side for one measure (e.g. direct vs all references).

    Returns:
        DataFrame ``country`` and, per label, ``n`` (articles) and the estimate with its interval.
    """
    out = None
    for label, table in zip(labels, (primary, sensitivity)):
        sub = table[table["measure"] == measure]
        part = pd.DataFrame({"country": sub["country"].to_numpy(), f"n ({label})": sub["n"].to_numpy(),
                             label: [format_cell(e, lo, hi) for e, lo, hi in zip(sub["estimate"], sub["ci_low"],
                                                                           sub["ci_high"])]})
        out = part if out is None else out.merge(part, on="country", how="outer")
    return out.sort_values("country", kind="stable").reset_index(drop=True)
