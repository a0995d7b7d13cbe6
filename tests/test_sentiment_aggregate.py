"""Tests for analysis.sentiment.by_country: mention -> article -> country, with article-level uncertainty."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.sentiment import by_country as agg
from analysis.sentiment.plots import plot_country_sentiment

SENTENCES = pd.DataFrame({
    "doc_id": ["a", "a", "b", "c"],
    "para_id": [0, 0, 0, 0],
    "sent_id": [0, 1, 0, 0],
    "start": [0, 40, 0, 0],
    "end": [39, 80, 30, 20],
    "text": ["China's wonderful model is a great success.", "Japan's terrible plan failed badly.",
             "Malaysia announced a data centre.", "The weather was mild."],
})


def _mentions(rows):
    return pd.DataFrame(rows, columns=["doc_id", "para_id", "sent_id", "country", "alias", "kind", "start", "end"])


MENTIONS = _mentions([
    ("a", 0, 0, "CHN", "China", "name", 0, 5),
    ("a", 0, 1, "JPN", "Japan", "name", 0, 5),
    ("b", 0, 0, "MYS", "Malaysia", "name", 0, 8),
])


def _scored(rows):
    """Hand-made scored mentions: (doc_id, country, label, score)."""
    df = pd.DataFrame(rows, columns=["doc_id", "country", "label", "score"])
    df["sent_id"] = range(len(df))
    df["alias"], df["sentence"] = df["country"], "s"
    return df


def test_score_mentions_keeps_mention_columns_and_adds_sentence():
    out = agg.score_mentions(MENTIONS, SENTENCES, scorer="vader")
    assert list(out.columns) == agg.SCORED_COLUMNS
    assert len(out) == 3
    assert out.loc[out.country == "CHN", "label"].item() == "positive"
    assert out.loc[out.country == "JPN", "label"].item() == "negative"
    assert out.loc[out.country == "JPN", "sentence"].item() == "Japan's terrible plan failed badly."


def test_score_mentions_filters_countries_and_handles_no_mentions():
    out = agg.score_mentions(MENTIONS, SENTENCES, scorer="vader", countries=["MYS"])
    assert out["country"].tolist() == ["MYS"]
    empty = agg.score_mentions(MENTIONS.iloc[:0], SENTENCES, scorer="vader")
    assert empty.empty and list(empty.columns) == agg.SCORED_COLUMNS
    assert agg.aggregate_articles(empty).empty


def test_score_mentions_rejects_mentions_without_sentence():
    bad = _mentions([("zzz", 0, 7, "CHN", "China", "name", 0, 5)])
    with pytest.raises(ValueError, match="doc_id='zzz'"):
        agg.score_mentions(bad, SENTENCES, scorer="vader")


def test_score_mentions_rejects_span_outside_sentence():
    bad = _mentions([("c", 0, 0, "CHN", "China", "name", 15, 60)])
    with pytest.raises(ValueError, match="outside the sentence"):
        agg.score_mentions(bad, SENTENCES, scorer="vader")


def test_article_without_target_mention_gets_no_row():
    scored = agg.score_mentions(MENTIONS, SENTENCES, scorer="vader")
    arts = agg.aggregate_articles(scored)
    assert "c" not in set(arts["doc_id"])  # no mention: absent, not neutral
    assert set(zip(arts.doc_id, arts.country)) == {("a", "CHN"), ("a", "JPN"), ("b", "MYS")}


def test_aggregate_articles_means_and_shares():
    scored = _scored([("d1", "CHN", "negative", -0.8), ("d1", "CHN", "positive", 0.4), ("d1", "CHN", "neutral", 0.1),
                      ("d2", "CHN", "positive", 0.5), ("d1", "JPN", "neutral", 0.0)])
    arts = agg.aggregate_articles(scored).set_index(["doc_id", "country"])
    assert list(arts.reset_index().columns) == agg.ARTICLE_COLUMNS
    row = arts.loc[("d1", "CHN")]
    assert row.n_mentions == 3
    assert row.mean_score == pytest.approx((-0.8 + 0.4 + 0.1) / 3)
    assert (row.share_negative, row.share_neutral, row.share_positive) == pytest.approx((1 / 3, 1 / 3, 1 / 3))
    assert arts.loc[("d2", "CHN")].share_positive == 1.0


def test_summary_weights_articles_not_mentions():
    # One article with 9 negative mentions and 3 positive articles: article mean is 0.5, mention mean would be -0.5.
    rows = [("neg", "CHN", "negative", -1.0)] * 9 + [(f"p{i}", "CHN", "positive", 1.0) for i in range(3)]
    arts = agg.aggregate_articles(_scored(rows))
    summary = agg.summarise_sentiment(arts, measures=["mean_score"], n_boot=200)
    assert summary["estimate"].item() == pytest.approx(0.5)
    assert summary["n"].item() == 4 and summary["n_clusters"].item() == 4


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(-1, 1, allow_nan=False), min_size=2, max_size=30))
def test_summary_interval_contains_estimate(values):
    arts = pd.DataFrame({"doc_id": [f"d{i}" for i in range(len(values))], "country": "CHN", "mean_score": values})
    s = agg.summarise_sentiment(arts, measures=["mean_score"], n_boot=200).iloc[0]
    if len(values) < 10:  # fewer than 10 articles: no interval, and the table says so
        assert np.isnan(s.ci_low) and np.isnan(s.ci_high) and s.interval == "too few articles for an interval"
    else:
        assert s.ci_low - 1e-9 <= s.estimate <= s.ci_high + 1e-9 and s.interval == "cluster bootstrap"
    assert s.estimate == pytest.approx(np.mean(values))


def test_summary_by_outlet_and_period_uses_articles_table():
    arts = pd.DataFrame({"doc_id": ["a", "b", "c"], "country": "CHN", "mean_score": [0.2, -0.4, 0.9],
                         "share_negative": 0.0, "share_positive": 0.0})
    articles = pd.DataFrame({"doc_id": ["a", "b", "c"], "outlet": ["X", "X", "Y"],
                             "published": pd.to_datetime(["2025-01-03", "2025-02-01", None])})
    by_outlet = agg.summarise_sentiment(arts, by=["country", "outlet"], articles=articles, measures=["mean_score"])
    assert by_outlet.set_index("outlet")["estimate"].to_dict() == pytest.approx({"X": -0.1, "Y": 0.9})
    by_month = agg.summarise_sentiment(arts, by=["country", "period"], articles=articles, measures=["mean_score"])
    assert by_month["period"].tolist() == ["2025-01", "2025-02", "undated"]  # undated "c" is kept, in its own group
    with pytest.raises(ValueError, match="articles table"):
        agg.summarise_sentiment(arts, by=["country", "outlet"])


def test_compare_countries_detects_clear_difference_and_overlap():
    rows = [(f"c{i}", "CHN", "negative", -0.5 - 0.01 * i) for i in range(12)]
    rows += [(f"j{i}", "JPN", "positive", 0.5 + 0.01 * i) for i in range(12)] + [("c0", "JPN", "positive", 0.6)]
    arts = agg.aggregate_articles(_scored(rows))
    res = agg.compare_countries(arts, n_perm=500).iloc[0]
    assert (res.country_a, res.country_b) == ("CHN", "JPN")
    assert res.difference < -0.9 and res.p_value < 0.01 and res.cohens_d < -2
    assert (res.n_a, res.n_b, res.n_shared) == (12, 13, 1)


def test_compare_countries_too_few_articles_gives_nan():
    arts = agg.aggregate_articles(_scored([("a", "CHN", "neutral", 0.0), ("b", "MYS", "neutral", 0.1)]))
    res = agg.compare_countries(arts, n_perm=100).iloc[0]
    assert np.isnan(res.p_value) and np.isnan(res.cohens_d)


def test_select_evidence_orders_extremes_per_country():
    rows = [("a", "CHN", "negative", -0.9), ("b", "CHN", "positive", 0.7), ("c", "CHN", "neutral", 0.0),
            ("d", "JPN", "positive", 0.3)]
    ev = agg.select_evidence(_scored(rows), n=2)
    chn_neg = ev[(ev.country == "CHN") & (ev.direction == "most_negative")]
    assert chn_neg["score"].tolist() == [-0.9, 0.0] and chn_neg["rank"].tolist() == [1, 2]
    chn_pos = ev[(ev.country == "CHN") & (ev.direction == "most_positive")]
    assert chn_pos["doc_id"].tolist() == ["b", "c"]
    assert len(ev[ev.country == "JPN"]) == 2  # one mention is both its most negative and most positive


def test_find_disagreements_crosstab_and_examples():
    base = _mentions([("a", 0, 0, "CHN", "China", "name", 0, 5), ("a", 0, 1, "JPN", "Japan", "name", 0, 5)])
    target = base.assign(sentence="s", label=["negative", "neutral"], score=[-0.9, 0.0])
    vader = base.assign(sentence="s", label=["positive", "neutral"], score=[0.6, 0.0])
    crosstab, examples = agg.find_disagreements(target, vader)
    assert crosstab.loc["negative", "positive"] == 1 and crosstab.loc["neutral", "neutral"] == 1
    assert int(crosstab.to_numpy().sum()) == 2
    assert examples[["country", "target_label", "vader_label"]].values.tolist() == [["CHN", "negative", "positive"]]


def test_plot_country_sentiment_returns_figure_with_intervals():
    arts = pd.DataFrame({"doc_id": list("abcd"), "country": ["CHN", "CHN", "JPN", "JPN"],
                         "mean_score": [0.1, 0.3, -0.2, 0.0], "share_negative": 0.0, "share_positive": 0.0})
    fig = plot_country_sentiment(agg.summarise_sentiment(arts, n_boot=100))
    ax = fig.axes[0]
    assert "interval" in ax.get_xlabel() and len(ax.get_yticklabels()) == 2


def test_summarise_coverage_states_what_cannot_be_computed():
    scored = _scored([("a", "CHN", "neutral", 0.0), ("b", "CHN", "negative", -0.5), ("a", "JPN", "neutral", 0.1),
                      ("a", "JPN", "positive", 0.6)])
    cov = agg.summarise_coverage(scored, ["CHN", "JPN", "MYS"]).set_index("country")
    assert cov["status"].to_dict() == {"CHN": "ok", "JPN": "1 article: no interval or test",
                                       "MYS": "no mentions: no sentiment"}
    assert cov.loc["JPN", "n_mentions"] == 2 and cov.loc["MYS", "n_articles"] == 0


def test_summaries_of_empty_corpus_do_not_crash():
    arts = agg.aggregate_articles(agg.score_mentions(MENTIONS.iloc[:0], SENTENCES, scorer="vader"))
    assert agg.summarise_sentiment(arts, n_boot=10).empty
    tests = agg.compare_countries(arts, countries=["CHN", "JPN"], n_perm=10)
    assert len(tests) == 1 and np.isnan(tests["p_value"].item())
    fig = plot_country_sentiment(agg.summarise_sentiment(arts, n_boot=10))
    assert fig.axes
