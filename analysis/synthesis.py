"""Country portraits: every instrument of the study side by side, with uncertainty.

:func:`build_portraits` runs the attention, topic, sentiment and framing steps
on one corpus with one seed and returns long tables; :func:`portrait_table`
turns them into one readable column per country, and :func:`differences`
lists which country contrasts are statistically distinguishable and which are
not. Nothing here is a new measurement: it reuses the validated helpers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import attention, frame_effects, framing, sentiment_aggregate, topic_effects, topics
from .countries import detect_mentions
from .mention_units import sentence_units
from .gazetteer import country_names, country_palette

__all__ = ["Portraits", "build_portraits", "portrait_table", "differences", "plot_portraits", "portrait_figure_data",
           "validity_summary", "format_interval"]


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


def format_interval(estimate: float, low: float, high: float, *, digits: int = 2) -> str:
    """``"0.40 [0.10, 0.70]"``; ``"n/a"`` when the estimate is missing."""
    if estimate is None or not np.isfinite(estimate):
        return "n/a"
    return f"{estimate:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]"


def build_portraits(tables, *, countries: list[str], seed: int = 42, n_boot: int = 2000,
                    mentions: pd.DataFrame | None = None, window: int = 0) -> Portraits:
    """Run every instrument on a prepared corpus.

    Args:
        tables: :class:`analysis.corpus.CorpusTables` (articles, paragraphs, sentences).
        countries: Country codes to portray.
        seed: One seed for the topic model, bootstraps and permutation tests.
        n_boot: Bootstrap replicates.
        mentions: Precomputed :func:`detect_mentions` output (computed if ``None``).
        window: Context sentences on each side of a mention for framing (0: a mention's frames are those
            of its own sentence, the unit the frame heads were validated on).

    Sentiment and frames are measured once per (sentence, country) on direct references (names, demonyms,
    capitals, governments; :mod:`analysis.mention_units`) with the in-domain instruments; attention and topics
    count every mention.

    Returns:
        :class:`Portraits`; tables are empty (with their columns) where a country
        has no mention, and the country then gets ``n/a`` in the portrait.
    """
    mentions = detect_mentions(tables.sentences) if mentions is None else mentions
    mentions = mentions[mentions["country"].isin(countries)].reset_index(drop=True)
    att = attention.attention_shares(tables.articles, mentions, countries=countries,
                                     n_boot=n_boot, random_state=seed)
    docs, _ = topics.select_topic_documents(tables.articles, tables.paragraphs)
    if len(docs) and len(mentions):
        model = topics.fit_topic_model(docs, seed=seed)
        shares = topic_effects.topic_shares_by_country(mentions, model.document_topics_, countries=countries,
                                                       n_boot=n_boot, random_state=seed)
    else:
        shares = pd.DataFrame(columns=["country", "topic", "topic_label", "share", "ci_low", "ci_high"])
    units = sentence_units(mentions, tables.sentences)
    direct = units[units["reference"] == "direct"].reset_index(drop=True)
    scored = sentiment_aggregate.score_mentions(direct, tables.sentences, countries=countries)
    per_article = sentiment_aggregate.aggregate_articles(scored)
    senti = sentiment_aggregate.summarise_sentiment(per_article, n_boot=n_boot, random_state=seed)
    scored_all = sentiment_aggregate.score_mentions(units, tables.sentences, countries=countries)
    senti_all = sentiment_aggregate.summarise_sentiment(sentiment_aggregate.aggregate_articles(scored_all),
                                                        n_boot=n_boot, random_state=seed)
    tests = sentiment_aggregate.compare_countries(per_article, countries=countries, random_state=seed)
    passages = frame_effects.build_passages(tables.sentences, direct, window=window, countries=countries)
    if len(passages):
        scores = framing.score_frames(passages["text"].tolist(), scorer="indomain")
        predicted = scores >= 0.5
        frames = frame_effects.frame_shares_by_country(passages, predicted, n_boot=n_boot, random_state=seed)
        frame_test = frame_effects.assess_frame_association(passages, scores)
        words = frame_effects.distinctive_words(passages, top_n=5)
    else:
        frames = pd.DataFrame(columns=["country", "frame", "estimate", "ci_low", "ci_high", "n", "n_clusters"])
        frame_test, words = {"p_value": float("nan"), "cramers_v": float("nan"), "n": 0}, pd.DataFrame(
            columns=["country", "rank", "word", "log_odds", "z", "count", "count_other"])
    evidence = sentiment_aggregate.select_evidence(scored, n=1, countries=countries)
    return Portraits(countries=list(countries), attention=att, topics=shares, sentiment=senti,
                     sentiment_tests=tests, frames=frames, frame_test=frame_test, words=words,
                     evidence=evidence, n_articles=len(tables.articles),
                     n_mentions=mentions["country"].value_counts().reindex(countries, fill_value=0),
                     sentiment_all=senti_all)


def _top(table: pd.DataFrame, country: str, label: str, value: str, k: int) -> str:
    sub = table[table["country"] == country].sort_values([value, label], ascending=[False, True]).head(k)
    sub = sub[sub[value] > 0]
    return "; ".join(f"{r[label]} {format_interval(r[value], r['ci_low'], r['ci_high'])}"
                     for _, r in sub.iterrows()) or "n/a"


def portrait_table(p: Portraits, *, k: int = 2) -> pd.DataFrame:
    """One column per country (display name), one row per aspect, intervals in brackets."""
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
        ev = p.evidence[p.evidence["country"] == c].set_index("direction")["sentence"] \
            if len(p.evidence) else pd.Series(dtype=str)
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
            "most negative mention": str(ev.get("most_negative", "n/a")),
            "most positive mention": str(ev.get("most_positive", "n/a")),
        }
    return pd.DataFrame(rows)


def differences(p: Portraits, *, alpha: float = 0.05) -> pd.DataFrame:
    """Which contrasts are distinguishable: sentiment pairs (permutation test) and frames (chi-square).

    Returns:
        DataFrame ``comparison``, ``statistic``, ``value``, ``p_value``, ``verdict``
        (``"different"``, ``"not distinguishable"`` or ``"too little data"``).
    """
    rows = []
    for _, r in p.sentiment_tests.iterrows():
        verdict = ("too little data" if not np.isfinite(r["p_value"]) else
                   "different" if r["p_value"] < alpha else "not distinguishable")
        rows.append({"comparison": f"sentiment {r['country_a']} - {r['country_b']}",
                     "statistic": "difference in mean (Cohen's d)",
                     "value": f"{r['difference']:.2f} (d={r['cohens_d']:.2f})" if np.isfinite(r["difference"])
                     else "n/a", "p_value": r["p_value"], "verdict": verdict})
    ft = p.frame_test
    pval = ft.get("p_value", float("nan"))
    rows.append({"comparison": "dominant frame by country", "statistic": "chi-square, Cramér's V",
                 "value": f"V={ft.get('cramers_v', float('nan')):.2f}" if np.isfinite(ft.get("cramers_v", np.nan))
                 else "n/a", "p_value": pval,
                 "verdict": "too little data" if not np.isfinite(pval) else
                 "different" if pval < alpha else "not distinguishable"})
    out = pd.DataFrame(rows, columns=["comparison", "statistic", "value", "p_value", "verdict"])
    out["p_value"] = out["p_value"].astype(float).round(3)
    return out


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
                ax.errorbar(i, est, yerr=[[max(est - lo, 0)], [max(hi - est, 0)]], fmt="o", color=colours[c], capsize=5, ms=8)
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
        # Percentile intervals need not contain the estimate; never draw negative bars.
        err = [(sub["estimate"] - sub["ci_low"]).clip(lower=0), (sub["ci_high"] - sub["estimate"]).clip(lower=0)]
        ax.bar(x, sub["estimate"], width, yerr=err, color=colours[c], capsize=2, label=names.get(c, c))
    ax.set_xticks(np.arange(len(top)) + width * (len(p.countries) - 1) / 2,
                  [str(f).replace("_", " ") for f in top], rotation=20, ha="right", fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_title("Most frequent frames (share of passages)", fontsize=10)
    ax.legend(fontsize=8, frameon=False)
    for a in axes:
        a.set_ylabel("estimate with 95% interval", fontsize=8)
    return fig


_VALIDITY_COLUMNS = ["instrument", "data", "metric", "ours", "ours_interval", "anchor", "anchor_value", "note"]


def _indomain_validity() -> list[dict]:
    """The study's own instruments on its own question (``resources/validity/indomain.csv``), first."""
    from .validity import load_indomain_validation

    table = load_indomain_validation()
    picks = [("sentiment:indomain", "cv_site:direct:all", "sentiment toward the named country (in-domain head)"),
             ("sentiment:indomain", "cv_site:direct:CHN", "  - China"),
             ("sentiment:indomain", "cv_site:direct:JPN", "  - Japan"),
             ("sentiment:indomain", "cv_site:direct:MYS", "  - Malaysia"),
             ("sentiment:indomain", "cv_site:proxy:all", "  - proxies only (sensitivity)"),
             ("frames:indomain", "cv_site", "frames of the sentence (in-domain heads)")]
    rows = []
    for instrument, split, label in picks:
        hit = table[(table["instrument"] == instrument) & (table["split"] == split)]
        if hit.empty:
            continue
        r = hit.iloc[0]
        rows.append({"instrument": label, "data": f"coded AI-news sentences (n={int(r['n'])}), CV by site",
                     "metric": "macro-F1 [95% CI]", "ours": float(r["ours"]),
                     "ours_interval": f"[{r['ours_low']:.3f}, {r['ours_high']:.3f}]",
                     "anchor": {"sentiment:target_newsmtsc": "NewsMTSC-trained target model",
                                "frames:default": "label-free default scorer"}.get(r["anchor"], r["anchor"]),
                     "anchor_value": float(r["anchor_value"]), "note": str(r["note"])})
    return rows


def _sentiment_validity() -> list[dict]:
    from .sentiment import read_validation_metrics

    metrics = read_validation_metrics()
    rows = []
    for split in ("dev_rw", "dev_mt", "test_mt"):
        sub = metrics[metrics["split"] == split].set_index("scorer")
        if "target" not in sub.index:
            continue
        rows.append({"instrument": "sentiment toward a target (our MiniLM scorer)", "data": f"NewsMTSC {split}",
                     "metric": "macro-F1", "ours": float(sub.loc["target", "macro_f1"]),
                     "anchor": "VADER on the sentence (same run)",
                     "anchor_value": float(sub.loc["vader", "macro_f1"]) if "vader" in sub.index else np.nan,
                     "note": "NewsSentiment (Hamborg & Donnay 2021) reports 0.831 on the rw test split"})
    return rows


def _framing_validity() -> list[dict]:
    from .paths import RESOURCES_DIR

    table = pd.read_csv(RESOURCES_DIR / "frames" / "validation.csv")
    rows = []
    for dataset, sub in table.groupby("dataset", sort=True):
        main = sub[sub["main_setting"].eq(True)] if "main_setting" in sub else sub.drop_duplicates("scorer")
        default = main[main["scorer"] == "combined"]
        if len(default):  # the scorer behind the country x frame tables, as the study runs it
            row = default.iloc[0]
            anchor = main[main["scorer"] == "dictionary"]["macro_f1"]
            rows.append({"instrument": "frames (default scorer of the study: dictionary-seeded + zero-shot)",
                         "data": dataset, "metric": "macro-F1", "ours": float(row["macro_f1"]),
                         "anchor": "dictionary scorer (its default setting)",
                         "anchor_value": float(anchor.iloc[0]) if len(anchor) else np.nan,
                         "note": str(row["setting"])})
        # Best scorer as each runs without options, on the whole data set (not a fold subset or a
        # side setting), so the anchor is the dictionary on the same units.
        best = main.loc[main["macro_f1"].idxmax()]
        dictionary = main[main["scorer"] == "dictionary"]["macro_f1"].max()
        published = best.get("published_macro_f1", np.nan)
        rows.append({"instrument": f"frames ({best['scorer']} scorer, best on this data)", "data": dataset,
                     "metric": "macro-F1", "ours": float(best["macro_f1"]),
                     "anchor": "published model" if np.isfinite(published) else "dictionary scorer",
                     "anchor_value": float(published) if np.isfinite(published) else float(dictionary),
                     "note": str(best["setting"])})
    return rows


def validity_summary(tables=None, mentions: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each instrument's validation score beside the anchor it competes with.

    Sentiment and framing figures come from the validation files the training
    and benchmark commands wrote into ``analysis/resources/``; country detection
    is scored live against the hand-coded gold of the bundled articles when
    ``tables`` holds them.

    Returns:
        DataFrame ``instrument, data, metric, ours, ours_interval, anchor, anchor_value, note``: the
        in-domain figures (the study's own question) first, then the public benchmarks.
    """
    rows = []
    if tables is not None:
        from .mention_gold import evaluate_mentions, load_mention_gold

        gold = load_mention_gold()
        if set(gold["doc_id"]) & set(tables.articles["doc_id"]):
            mentions = detect_mentions(tables.sentences) if mentions is None else mentions
            summary, _ = evaluate_mentions(mentions, tables.sentences, tables.articles, gold)
            s = summary.set_index("scope").loc["codebook"]
            for metric in ("precision", "recall"):
                rows.append({"instrument": "country mentions (gazetteer matcher)", "data": "5 bundled articles, "
                             "hand-coded gold", "metric": metric, "ours": float(s[metric]),
                             "anchor": "target set in the issue", "anchor_value": 0.98 if metric == "precision"
                             else 0.95, "note": f"{int(s['n_gold'])} gold mentions"})
    rows = _indomain_validity() + rows + _sentiment_validity() + _framing_validity()
    out = pd.DataFrame(rows, columns=_VALIDITY_COLUMNS)
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
