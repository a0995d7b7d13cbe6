"""Topic shares within country mentions and prevalence effects, on hand-made tables."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from analysis.topics.by_country import (
    EFFECT_COLUMNS, SHARE_COLUMNS, link_mention_topics,
    summarize_country_coverage, topic_prevalence_effects, topic_shares_by_country,
)
from analysis.topics.plots import plot_topic_effects, plot_topic_shares


def _doc_topics(rows):
    frame = pd.DataFrame(rows, columns=["doc_id", "para_id", "topic"])
    frame["topic_label"] = "T" + frame["topic"].astype(str)
    return frame


def _mentions(rows):
    frame = pd.DataFrame(rows, columns=["doc_id", "para_id", "country"])
    return frame.assign(sent_id=0, alias="x", kind="name", start=0, end=1)


DOC_TOPICS = _doc_topics([("a", 0, 0), ("a", 1, 1), ("b", 0, 0), ("b", 1, 0), ("c", 0, 1)])
# CHN: a/0 (T0) twice, b/0 (T0), a/1 (T1) -> share T0 = 3/4
# JPN: c/0 (T1), b/1 (T0)                   -> share T0 = 1/2
# MYS: a short paragraph that was not modelled (a/5) -> no topic
MENTIONS = _mentions([("a", 0, "CHN"), ("a", 0, "CHN"), ("b", 0, "CHN"), ("a", 1, "CHN"),
                      ("c", 0, "JPN"), ("b", 1, "JPN"), ("a", 5, "MYS"), ("c", 0, "USA")])


def test_link_keeps_unmodelled_mentions_visible():
    linked = link_mention_topics(MENTIONS, DOC_TOPICS, countries=["CHN", "JPN", "MYS"])
    assert len(linked) == 7                                   # USA filtered, nothing else dropped
    assert linked.loc[linked.country == "MYS", "topic"].isna().all()
    assert linked.loc[(linked.doc_id == "c"), "topic"].tolist() == [1]


def test_link_article_level_units_join_on_doc_only():
    articles_as_units = _doc_topics([("a", -1, 2), ("b", -1, 3), ("c", -1, 2)])
    linked = link_mention_topics(MENTIONS, articles_as_units)
    assert linked.set_index("doc_id")["topic"].groupby(level=0).first().to_dict() == {"a": 2, "b": 3, "c": 2}


def test_shares_are_within_country_not_counts():
    shares = topic_shares_by_country(MENTIONS, DOC_TOPICS, countries=["CHN", "JPN", "MYS"], n_boot=200)
    assert list(shares.columns) == SHARE_COLUMNS
    got = shares.set_index(["country", "topic"])["share"]
    assert got[("CHN", 0)] == pytest.approx(0.75) and got[("CHN", 1)] == pytest.approx(0.25)
    assert got[("JPN", 0)] == pytest.approx(0.5)
    assert "MYS" not in set(shares.country)                   # its only mention is not in a modelled unit
    for _, sub in shares.groupby("country"):
        assert sub["share"].sum() == pytest.approx(1.0)
    few = shares["interval"] == "too few articles for an interval"   # mentions clustered in < 10 articles
    assert few.any() and shares.loc[few, ["ci_low", "ci_high"]].isna().all().all()
    ok = shares[~few]  # JPN: one mention per article, so a Wilson interval at any size
    assert (ok.ci_low <= ok.share + 1e-12).all() and (ok.share <= ok.ci_high + 1e-12).all() and (ok.ci_high > 0).all()
    assert shares.set_index(["country", "topic"]).loc[("CHN", 0), "n_docs"] == 2


def test_shares_by_outlet_and_period_keep_unnamed_and_undated_articles():
    articles = pd.DataFrame({"doc_id": ["a", "b", "c"], "outlet": ["X", "Y", None],
                             "published": pd.to_datetime(["2025-01-05", "2025-02-01", None])})
    by_outlet = topic_shares_by_country(MENTIONS, DOC_TOPICS, countries=["CHN", "JPN"], by="outlet",
                                        articles=articles, n_boot=50)
    assert set(by_outlet.outlet) == {"X", "Y", "unknown"}
    by_month = topic_shares_by_country(MENTIONS, DOC_TOPICS, countries=["CHN", "JPN"], by="period",
                                       articles=articles, n_boot=50)
    assert set(by_month.period) == {"2025-01", "2025-02", "undated"}


@pytest.mark.parametrize("kwargs, match", [({"by": "weekday"}, "by must be"), ({"by": "outlet"}, "needs the articles")])
def test_shares_reject_bad_grouping(kwargs, match):
    with pytest.raises(ValueError, match=match):
        topic_shares_by_country(MENTIONS, DOC_TOPICS, **kwargs)


def test_missing_columns_named():
    with pytest.raises(ValueError, match="country"):
        topic_shares_by_country(MENTIONS.drop(columns=["country"]), DOC_TOPICS)


def test_no_target_country_gives_empty_tables_and_plots():
    shares = topic_shares_by_country(MENTIONS, DOC_TOPICS, countries=["KOR"], n_boot=10)
    effects = topic_prevalence_effects(MENTIONS, DOC_TOPICS, countries=["KOR", "IND"], n_boot=10)
    assert shares.empty and list(shares.columns) == SHARE_COLUMNS
    assert effects.empty and list(effects.columns) == EFFECT_COLUMNS
    assert plot_topic_shares(shares).axes and plot_topic_effects(effects).axes


def _effect_data(n_docs=40, seed=0):
    """Paragraph units where JPN units are in topic 1 with p=0.8 and CHN with p=0.2."""
    rng = np.random.default_rng(seed)
    units, mentions = [], []
    for d in range(n_docs):
        country = "CHN" if d % 2 == 0 else "JPN"
        for p in range(3):
            topic = int(rng.random() < (0.2 if country == "CHN" else 0.8))
            units.append((f"d{d}", p, topic))
            mentions.append((f"d{d}", p, country))
    return _mentions(mentions), _doc_topics(units)


def test_prevalence_effect_recovers_difference_with_interval():
    mentions, doc_topics = _effect_data()
    effects = topic_prevalence_effects(mentions, doc_topics, countries=["CHN", "JPN"], n_boot=300)
    row = effects.set_index("topic").loc[1]
    y = doc_topics.merge(mentions.drop_duplicates(["doc_id", "para_id"]), on=["doc_id", "para_id"])
    exact = (y[y.country == "JPN"].topic == 1).mean() - (y[y.country == "CHN"].topic == 1).mean()
    assert row.estimate == pytest.approx(exact)               # OLS on one dummy = difference in means
    assert row.ci_low < row.estimate < row.ci_high and row.ci_low > 0.3
    assert row.reference == "CHN" and row.country == "JPN" and row.controls == "none"
    assert effects.set_index("topic").loc[0, "estimate"] == pytest.approx(-row.estimate)


def test_prevalence_controls_enter_only_when_identified():
    mentions, doc_topics = _effect_data()
    # Outlet identical to country: collinear, must be left out rather than give garbage.
    collinear = pd.DataFrame({"doc_id": [f"d{d}" for d in range(40)],
                              "outlet": ["A" if d % 2 == 0 else "B" for d in range(40)],
                              "published": pd.NaT})
    assert set(topic_prevalence_effects(mentions, doc_topics, countries=["CHN", "JPN"], articles=collinear,
                                        n_boot=20).controls) == {"none"}
    crossed = collinear.assign(outlet=["A" if d % 4 < 2 else "B" for d in range(40)],
                               published=pd.date_range("2025-01-01", periods=40, freq="D"))
    effects = topic_prevalence_effects(mentions, doc_topics, countries=["CHN", "JPN"], articles=crossed, n_boot=20)
    assert set(effects.controls) == {"outlet+date"}


def test_prevalence_is_seeded():
    mentions, doc_topics = _effect_data()
    a = topic_prevalence_effects(mentions, doc_topics, countries=["CHN", "JPN"], n_boot=100, random_state=5)
    b = topic_prevalence_effects(mentions, doc_topics, countries=["CHN", "JPN"], n_boot=100, random_state=5)
    pd.testing.assert_frame_equal(a, b)


def test_plots_return_figures_with_labelled_axes():
    shares = topic_shares_by_country(MENTIONS, DOC_TOPICS, countries=["CHN", "JPN"], n_boot=50)
    fig = plot_topic_shares(shares)
    ax = fig.axes[0]
    assert ax.get_xlabel() and ax.get_ylabel() == "topic"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["T0", "T1"]
    mentions, doc_topics = _effect_data()
    fig2 = plot_topic_effects(topic_prevalence_effects(mentions, doc_topics, countries=["CHN", "JPN"], n_boot=50))
    assert "CHN" in fig2.axes[0].get_xlabel()


def test_coverage_says_why_a_country_cannot_be_compared():
    cov = summarize_country_coverage(MENTIONS, DOC_TOPICS, countries=["CHN", "JPN", "MYS", "KOR"])
    assert cov.set_index("country")["status"].to_dict() == {
        "CHN": "ok", "JPN": "ok", "MYS": "mentioned only in passages excluded from the topic model",
        "KOR": "not mentioned"}
    assert cov.set_index("country").loc["CHN", ["n_mentions", "n_modelled", "n_docs"]].tolist() == [4, 4, 2]
    assert cov.set_index("country").loc["MYS", ["n_mentions", "n_modelled"]].tolist() == [1, 0]


def test_many_small_outlets_are_pooled_and_intervals_survive():
    mentions, doc_topics = _effect_data(n_docs=60)
    articles = pd.DataFrame({"doc_id": [f"d{d}" for d in range(60)],
                             "outlet": [f"tiny{d}" if d < 30 else ("big" if d % 4 < 2 else "mid") for d in range(60)],
                             "published": pd.NaT})
    effects = topic_prevalence_effects(mentions, doc_topics, countries=["CHN", "JPN"], articles=articles, n_boot=100)
    assert set(effects.controls) == {"outlet"}
    assert (effects.n_boot_valid > 90).all() and effects.ci_low.notna().all()
