"""Country portraits: every instrument of the study side by side, with uncertainty.

:func:`build_portraits` reads the stage artefacts that notebooks 02-05 wrote
(mentions, topics, sentiment, frames; :mod:`analysis.study.pipeline`) and
aggregates them by country with one seed into long tables; it runs no
instrument, so its numbers are those the notebooks reported.
:func:`portrait_table` turns them into one readable column per country, and
:func:`differences` gives each contrast's effect size with its interval and
Holm-adjusted p-value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.countries import by_country as attention
from analysis.framing import by_country as frame_effects
from analysis.sentiment import by_country as sentiment_aggregate
from analysis.topics import by_country as topic_effects
from analysis.countries.gazetteer import country_names, country_palette
from analysis.stats import TOO_FEW, holm
from analysis.study.report import QUOTE_WORDS, quote_passages, shorten_quote

__all__ = ["Portraits", "build_portraits", "stage_note", "DIFFERENCE_COLUMNS", "portrait_table", "differences", "plot_portraits", "portrait_figure_data",
           "validity_summary", "format_interval", "corrections"]


@dataclass
class Portraits:
    """Long tables behind the country portraits (one row per country and item)."""

    countries: list[str]
    attention: pd.DataFrame
    topics: pd.DataFrame
    sentiment: pd.DataFrame
    sentiment_tests: pd.DataFrame
    frames: pd.DataFrame
    frame_test: dict
    words: pd.DataFrame
    evidence: pd.DataFrame
    n_articles: int
    n_mentions: pd.Series
    #: Sensitivity: sentiment when units marked only by a proxy (company, person, other place) count too.
    sentiment_all: pd.DataFrame | None = None
    #: The design-blind comparison (mentions as independent, unpaired, unadjusted), only to show what corrections do.
    sentiment_naive: pd.DataFrame | None = None


def stage_note(stages: dict) -> str:
    """One line saying how the stages read were computed (the parameters 03-05 ran with)."""
    topics, sentiment, frames = (stages[k].params for k in ("topics", "sentiment", "frames"))
    unit = stages["topics"]["docs"]["unit"].iloc[0] if len(stages["topics"]["docs"]) else "none"
    assigned = stages["topics"]["document_topics"].get("assigned_by")
    sampled = "" if assigned is None else (
        f", fitted on a sample of {int((assigned == 'sample').sum())}, the other "
        f"{int((assigned != 'sample').sum())} assigned by {topics.get('assign', 'embedding')}")
    return (f"Read from the stages of 02-05: topics on {unit} documents (seed {topics['random_state']}{sampled}); "
            f"sentiment scorer {sentiment['scorer']}; frames scorer {frames['scorer_used']}, threshold "
            f"{frames['threshold']}, window {frames['window']} (context ±{frames['context_window']}).")


def format_interval(estimate: float, low: float, high: float, *, digits: int = 2) -> str:
    """``"0.40 [0.10, 0.70]"``; ``"n/a"`` when the estimate is missing; the estimate and
    ``"(too few articles for an interval)"`` when there is no interval."""
    if estimate is None or not np.isfinite(estimate):
        return "n/a"
    if low is None or high is None or not (np.isfinite(low) and np.isfinite(high)):
        return f"{estimate:.{digits}f} ({TOO_FEW})"
    return f"{estimate:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]"


def build_portraits(tables, stages: dict, *, countries: list[str], random_state: int = 42,
                    n_boot: int = 2000) -> Portraits:
    """The country portraits, from the stage artefacts notebooks 02-05 wrote (no instrument is run here).

    Args:
        tables: :class:`analysis.corpus.CorpusTables` (articles, sentences).
        stages: :func:`analysis.study.pipeline.read_study_stages` output (mentions, topics, sentiment, frames).
        countries: Country codes to portray.
        random_state: One seed for the bootstraps and permutation tests.
        n_boot: Bootstrap replicates.

    Attention and topics count every mention; sentiment and frames are those of the direct (sentence,
    country) units, scored in 04 and 05 with their parameters (see each stage's ``params``).

    Returns:
        :class:`Portraits`; tables are empty (with their columns) where a country
        has no mention, and the country then gets ``n/a`` in the portrait.
    """
    mentions = stages["mentions"]["mentions"]
    mentions = mentions[mentions["country"].isin(countries)].reset_index(drop=True)
    att = attention.attention_shares(tables.articles, mentions, countries=countries,
                                     n_boot=n_boot, random_state=random_state)
    document_topics = stages["topics"]["document_topics"]
    if len(document_topics) and len(mentions):
        shares = topic_effects.topic_shares_by_country(mentions, document_topics, countries=countries,
                                                       n_boot=n_boot, random_state=random_state)
    else:
        shares = pd.DataFrame(columns=["country", "topic", "topic_label", "share", "ci_low", "ci_high"])
    scored_all = stages["sentiment"]["scored"]
    scored = scored_all[scored_all["reference"] == "direct"].reset_index(drop=True)
    per_article = sentiment_aggregate.aggregate_articles(scored)
    senti = sentiment_aggregate.summarise_sentiment(per_article, n_boot=n_boot, random_state=random_state)
    senti_all = sentiment_aggregate.summarise_sentiment(sentiment_aggregate.aggregate_articles(scored_all),
                                                        n_boot=n_boot, random_state=random_state)
    tests = sentiment_aggregate.compare_countries(per_article, countries=countries, random_state=random_state)
    frame_stage = stages["frames"]
    passages, scores = frame_stage["passages"], frame_stage["scores"]
    if len(passages):
        threshold = frame_stage.params["threshold"]
        frames = frame_effects.frame_shares_by_country(passages, scores >= threshold, n_boot=n_boot,
                                                       random_state=random_state)
        frame_test = frame_effects.assess_frame_association(passages, scores, threshold=threshold)
        words = frame_effects.distinctive_words(passages, top_n=5)
    else:
        frames = pd.DataFrame(columns=["country", "frame", "estimate", "ci_low", "ci_high", "n", "n_clusters"])
        frame_test, words = {"p_value": float("nan"), "cramers_v": float("nan"), "n": 0}, pd.DataFrame(
            columns=["country", "rank", "word", "log_odds", "z", "count", "count_other"])
    evidence = sentiment_aggregate.select_evidence(scored, n=1, countries=countries)
    evidence = quote_passages(evidence, [], None, articles=tables.articles)  # adds outlet and link
    return Portraits(countries=list(countries), attention=att, topics=shares, sentiment=senti,
                     sentiment_tests=tests, frames=frames, frame_test=frame_test, words=words,
                     evidence=evidence, n_articles=len(tables.articles),
                     n_mentions=mentions["country"].value_counts().reindex(countries, fill_value=0),
                     sentiment_all=senti_all,
                     sentiment_naive=sentiment_aggregate.naive_country_tests(scored, countries=countries))


def _top(table: pd.DataFrame, country: str, label: str, value: str, k: int) -> str:
    sub = table[table["country"] == country].sort_values([value, label], ascending=[False, True]).head(k)
    sub = sub[sub[value] > 0]
    return "; ".join(f"{r[label]} {format_interval(r[value], r['ci_low'], r['ci_high'])}"
                     for _, r in sub.iterrows()) or "n/a"


def _quote(evidence: pd.DataFrame, direction: str, quote_words: int | None) -> str:
    """The evidence sentence of one direction, cut to ``quote_words`` words around its mention, with its source."""
    rows = evidence[evidence["direction"] == direction]
    if rows.empty:
        return "n/a"
    row = rows.iloc[0]
    text = shorten_quote(str(row["sentence"]), quote_words, around=str(row.get("alias", "")).split("|")[0] or None)
    source = [str(row[c]) for c in ("outlet", "url") if c in row.index and isinstance(row[c], str) and row[c]]
    if not source and isinstance(row.get("doc_id"), str) and row.get("doc_id"):
        source = [row["doc_id"]]
    return f"\u201c{text}\u201d" + (f" ({', '.join(source)})" if source else "")


def portrait_table(p: Portraits, *, k: int = 2, quote_words: int | None = QUOTE_WORDS) -> pd.DataFrame:
    """One column per country (display name), one row per aspect, intervals in brackets.

    The most negative and most positive mentions are quoted in at most ``quote_words`` words (``None``: whole
    sentences), with the outlet and link of their article (its ``doc_id`` where the corpus has neither).
    """
    names = country_names()
    senti = p.sentiment[p.sentiment["measure"] == "mean_score"].set_index("country") \
        if len(p.sentiment) else pd.DataFrame()
    senti_all = p.sentiment_all[p.sentiment_all["measure"] == "mean_score"].set_index("country") \
        if p.sentiment_all is not None and len(p.sentiment_all) else pd.DataFrame()
    att = p.attention.set_index("country")
    rows: dict[str, dict[str, str]] = {}
    for c in p.countries:
        col = names.get(c, c)
        s = senti.loc[c] if c in senti.index else None
        ev = p.evidence[p.evidence["country"] == c]
        rows[col] = {
            "mentions": str(int(p.n_mentions.get(c, 0))),
            "share of articles mentioning": format_interval(*att.loc[c, ["estimate", "ci_low", "ci_high"]])
            if c in att.index else "n/a",
            "top topics (share of mentions)": _top(p.topics.rename(columns={"share": "value"}), c, "topic_label",
                                                   "value", k) if len(p.topics) else "n/a",
            "sentiment toward it (mean, -1..1)": format_interval(s["estimate"], s["ci_low"], s["ci_high"])
            if s is not None else "n/a",
            "  the same, proxies included (sensitivity)": format_interval(
                *senti_all.loc[c, ["estimate", "ci_low", "ci_high"]]) if c in senti_all.index else "n/a",
            "dominant frames (share of passages)": _top(p.frames, c, "frame", "estimate", k)
            if len(p.frames) else "n/a",
            "distinctive words": ", ".join(p.words.loc[p.words["country"] == c, "word"].head(5)) or "n/a",
            "most negative mention": _quote(ev, "most_negative", quote_words),
            "most positive mention": _quote(ev, "most_positive", quote_words),
        }
    return pd.DataFrame(rows)


DIFFERENCE_COLUMNS = ["comparison", "statistic", "value", "p_value", "p_holm", "note"]


def differences(p: Portraits) -> pd.DataFrame:
    """Every contrast the synthesis shows, with its effect size and interval and Holm-adjusted p-values.

    Sentiment pairs come from :func:`analysis.sentiment.compare_countries` (articles that mention both
    countries are paired); the frame contrast from :func:`analysis.framing.assess_frame_association`
    (permutation by article). ``p_holm`` adjusts over every row of this table. No verdict words: read the
    effect and its interval, and ``note`` for what limits them.

    Returns:
        DataFrame :data:`DIFFERENCE_COLUMNS`.
    """
    rows = []
    for _, r in p.sentiment_tests.iterrows():
        if np.isfinite(r["difference"]):
            d = f"d={r['cohens_d']:.2f}" if np.isfinite(r["cohens_d"]) else "d n/a"
            value = f"{r['difference']:+.2f} {_bracket(r['ci_low'], r['ci_high'])} ({d})"
        else:
            value = "n/a"
        note = ("fewer than 2 articles for a country: no test" if not np.isfinite(r["p_value"]) else
                f"{int(r['n_a'])} and {int(r['n_b'])} articles, {int(r['n_shared'])} shared (paired)")
        rows.append({"comparison": f"sentiment {r['country_a']} - {r['country_b']}",
                     "statistic": "difference, shared articles paired [95% interval] (Cohen's d)", "value": value,
                     "p_value": r["p_value"], "note": note})
    ft = p.frame_test
    v = ft.get("cramers_v", float("nan"))
    share = ft.get("share_expected_below_5", float("nan"))
    rows.append({"comparison": "dominant frame by country",
                 "statistic": "Cramér's V, bias-corrected [95% interval] (permutation by article)",
                 "value": f"V={v:.2f} {_bracket(ft.get('v_low', np.nan), ft.get('v_high', np.nan))}"
                 if np.isfinite(v) else "n/a", "p_value": ft.get("p_value", float("nan")),
                 "note": "fewer than two countries or frames: no test" if not np.isfinite(v) else
                 f"{int(ft['n'])} passages; {share:.0%} of expected counts below 5 (hence the permutation test)"})
    out = pd.DataFrame(rows, columns=DIFFERENCE_COLUMNS)
    out["p_value"] = out["p_value"].astype(float)
    out["p_holm"] = holm(out["p_value"])
    return out.round({"p_value": 4, "p_holm": 4})  # a permutation p-value is never 0: keep its resolution


def corrections(p: Portraits) -> pd.DataFrame:
    """What respecting the design changes, pair by pair: the design-blind test beside the study's.

    ``naive_*``: mentions as independent units, shared articles unpaired, no adjustment
    (:func:`analysis.sentiment.naive_country_tests`). ``difference``/``p_value``: articles as units, shared articles
    paired, with the interval; ``p_holm``: adjusted over the pairs. ``below_05_naive`` and ``below_05_holm`` say
    whether each p-value is below 0.05, so a reader sees where the conclusion would have changed.

    Returns:
        One row per country pair.
    """
    cols = ["pair", "naive_difference", "naive_p", "n_mentions", "difference", "interval", "p_value", "p_holm",
            "n_articles", "below_05_naive", "below_05_holm"]
    if p.sentiment_naive is None or p.sentiment_tests.empty:
        return pd.DataFrame(columns=cols)
    naive = p.sentiment_naive.set_index(["country_a", "country_b"])
    rows = []
    for _, r in p.sentiment_tests.iterrows():
        key = (r["country_a"], r["country_b"])
        nv = naive.loc[key] if key in naive.index else None
        rows.append({"pair": f"{r['country_a']} - {r['country_b']}",
                     "naive_difference": nv["difference"] if nv is not None else np.nan,
                     "naive_p": nv["p_value"] if nv is not None else np.nan,
                     "n_mentions": f"{int(nv['n_a'])} / {int(nv['n_b'])}" if nv is not None else "",
                     "difference": r["difference"], "interval": _bracket(r["ci_low"], r["ci_high"]),
                     "p_value": r["p_value"], "p_holm": r["p_holm"],
                     "n_articles": f"{int(r['n_a'])} / {int(r['n_b'])} ({int(r['n_shared'])} shared)",
                     "below_05_naive": bool(nv is not None and nv["p_value"] < 0.05),
                     "below_05_holm": bool(r["p_holm"] < 0.05)})
    out = pd.DataFrame(rows, columns=cols)
    # naive p-values are not rounded: they fall far below any permutation p-value's resolution
    return out.round({"naive_difference": 3, "difference": 3, "p_value": 4, "p_holm": 4})


def _bracket(low, high) -> str:
    if np.isfinite(low) and np.isfinite(high):
        return f"[{low:+.2f}, {high:+.2f}]"
    return f"({TOO_FEW})"


def plot_portraits(p: Portraits):
    """Three panels, countries in their study colours: attention, sentiment, top frame shares."""
    import matplotlib.pyplot as plt

    colours, names = country_palette(p.countries), country_names()
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8), constrained_layout=True)
    senti = p.sentiment[p.sentiment["measure"] == "mean_score"] if len(p.sentiment) else p.sentiment
    panels = [(axes[0], p.attention, "Share of articles mentioning it"),
              (axes[1], senti, "Sentiment toward it (mean score)")]
    for ax, table, title in panels:
        table = table.set_index("country") if len(table) else table
        for i, c in enumerate(p.countries):
            if len(table) and c in table.index and np.isfinite(table.loc[c, "estimate"]):
                est, lo, hi = table.loc[c, ["estimate", "ci_low", "ci_high"]]
                n = int(table.loc[c, "n_units" if "n_units" in table.columns else "n"])
                if np.isfinite(lo) and np.isfinite(hi):
                    ax.errorbar(i, est, yerr=[[max(est - lo, 0)], [max(hi - est, 0)]], fmt="o", color=colours[c],
                                capsize=5, ms=8)
                else:  # no interval below 10 articles: a hollow marker, never a range
                    ax.plot(i, est, "o", mfc="white", color=colours[c], ms=8)
                ax.annotate(f"n={n}", (i, est), textcoords="offset points", xytext=(8, -3), fontsize=7)
            else:
                ax.text(i, 0, "no data", ha="center", va="bottom", fontsize=8, color="grey")
        ax.set_xticks(range(len(p.countries)), [names.get(c, c) for c in p.countries])
        ax.set_title(title, fontsize=10)
        ax.grid(axis="y", alpha=0.3)
    axes[0].set_ylim(0, 1.05)
    axes[1].axhline(0, color="grey", lw=0.8)
    axes[1].set_ylim(-1.05, 1.05)
    ax = axes[2]
    frames = p.frames[p.frames["country"].isin(p.countries)] if len(p.frames) else p.frames
    top = (frames.groupby("frame")["estimate"].max().sort_values(ascending=False, kind="stable").head(4).index
           if len(frames) else [])
    width = 0.8 / max(len(p.countries), 1)
    for j, c in enumerate(p.countries):
        sub = frames[frames["country"] == c].set_index("frame").reindex(top) if len(frames) else None
        if sub is None or sub["estimate"].isna().all():
            continue
        x = np.arange(len(top)) + j * width
        # Intervals need not contain the estimate; never draw negative bars; none where there is no interval.
        ax.bar(x, sub["estimate"], width, color=colours[c], label=names.get(c, c))
        ok = (sub["ci_low"].notna() & sub["ci_high"].notna()).to_numpy()
        if ok.any():
            err = [(sub["estimate"] - sub["ci_low"]).clip(lower=0)[ok], (sub["ci_high"] - sub["estimate"]).clip(lower=0)[ok]]
            ax.errorbar(x[ok], sub["estimate"][ok], yerr=err, fmt="none", ecolor="black", capsize=2)
        for xi, (est, n) in zip(x, zip(sub["estimate"], sub["n"])):
            if np.isfinite(est):
                ax.annotate(f"{int(n)}", (xi, est), textcoords="offset points", xytext=(0, 2), ha="center", fontsize=6)
    ax.set_xticks(np.arange(len(top)) + width * (len(p.countries) - 1) / 2,
                  [str(f).replace("_", " ") for f in top], rotation=20, ha="right", fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_title("Most frequent frames (share of passages)", fontsize=10)
    ax.legend(fontsize=8, frameon=False)
    for a in axes:
        a.set_ylabel("estimate, 95% interval (hollow: < 10 articles)", fontsize=8)
    fig.text(0.5, -0.02, "n = articles (attention, sentiment) or passages (frames)", ha="center", fontsize=7)
    return fig


_VALIDITY_COLUMNS = ["instrument", "data", "metric", "ours", "ours_interval", "anchor", "anchor_value", "note"]


def validity_summary(gold_summary: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each instrument's validation score beside the anchor it competes with.

    Every concern writes its rows in the one schema (:data:`analysis.validity.VALIDATION_COLUMNS`):
    :func:`analysis.sentiment.validation.validity_rows`, :func:`analysis.framing.validation.validity_rows`
    and :func:`analysis.countries.validation.validity_rows`, from ``gold_summary`` (the country-detection
    score against the hand-coded seed gold, as the mentions stage stores it; empty for other corpora).

    Returns:
        DataFrame ``instrument, data, metric, ours, ours_interval, anchor, anchor_value, note``: the
        in-domain figures (the study's own question) first, then the public benchmarks.
    """
    from analysis.countries.validation import validity_rows as country_rows
    from analysis.framing.validation import validity_rows as frame_rows
    from analysis.sentiment.validation import validity_rows as sentiment_rows

    sentiment, frames = sentiment_rows(), frame_rows()
    countries = country_rows(gold_summary) if gold_summary is not None else None

    def split(table, in_domain: bool):
        if table is None or table.empty:
            return table
        return table[table["split"].astype(str).str.startswith("cv_site") == in_domain]

    # The study's own question first (in-domain, cross-validated by site), then the rest.
    parts = [split(sentiment, True), split(frames, True), countries, split(sentiment, False), split(frames, False)]
    rows = pd.concat([t for t in parts if t is not None and len(t)], ignore_index=True)
    interval = [f"[{lo:.3f}, {hi:.3f}]" if np.isfinite(lo) and np.isfinite(hi) else np.nan
                for lo, hi in zip(rows["ours_low"].astype(float), rows["ours_high"].astype(float))]
    out = rows.assign(ours_interval=interval)[_VALIDITY_COLUMNS]
    return out.round({"ours": 3, "anchor_value": 3})


def portrait_figure_data(p: Portraits) -> pd.DataFrame:
    """The numbers drawn by :func:`plot_portraits` (``panel, country, item, estimate, ci_low, ci_high``)."""
    cols = ["country", "estimate", "ci_low", "ci_high"]
    parts = [p.attention[cols].assign(panel="attention", item="share of articles")]
    if len(p.sentiment):
        senti = p.sentiment[p.sentiment["measure"] == "mean_score"]
        parts.append(senti[cols].assign(panel="sentiment", item="mean score"))
    if len(p.frames):
        parts.append(p.frames[cols + ["frame"]].rename(columns={"frame": "item"}).assign(panel="frames"))
    out = pd.concat(parts, ignore_index=True)[["panel", "country", "item", "estimate", "ci_low", "ci_high"]]
    return out[out["country"].isin(p.countries)].reset_index(drop=True)
