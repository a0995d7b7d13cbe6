"""Tests for analysis.countries.by_country and analysis.countries.plots on small hand-made tables."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from analysis.countries import plots as country_plots  # noqa: E402
from analysis.countries import by_country as attention
from analysis.countries import measure as countries

ARTICLES = pd.DataFrame({
    "doc_id": ["a1", "a2", "a3", "b1", "b2"],
    "outlet_name": ["A", "A", "A", "B", "B"],
    "published": pd.to_datetime(["2025-01-05", "2025-01-20", "2025-02-01", None, "2025-02-10"]),
})
SENTENCES = pd.DataFrame({
    "doc_id": ["a1", "a1", "a2", "a3", "b1", "b1", "b2"],
    "para_id": 0,
    "sent_id": [0, 1, 0, 0, 0, 1, 0],
    "text": ["China and the US.", "Nothing.", "Japan.", "Nothing here.", "Malaysia and China.", "China.",
             "Quiet."],
})
MENTIONS = countries.detect_mentions(SENTENCES)


def _row(table, **keys):
    mask = np.ones(len(table), dtype=bool)
    for k, v in keys.items():
        mask &= table[k] == v
    assert mask.sum() == 1, keys
    return table[mask].iloc[0]


def test_article_shares_per_outlet_are_normalised_by_output():
    shares = attention.attention_shares(ARTICLES, MENTIONS, by="outlet_name", countries=["CHN", "JPN", "KOR"])
    assert list(shares.columns) == ["outlet_name", *attention.ATTENTION_COLUMNS]
    assert _row(shares, outlet_name="A", country="CHN")["estimate"] == pytest.approx(1 / 3)
    assert _row(shares, outlet_name="B", country="CHN")["estimate"] == pytest.approx(1 / 2)
    kor = _row(shares, outlet_name="A", country="KOR")
    assert (kor["estimate"], kor["ci_low"], kor["n_mentioning"]) == (0, 0, 0)
    assert 0.5 < kor["ci_high"] < 0.6  # Wilson for 0 of 3 articles: never collapsed to a point
    a = _row(shares, outlet_name="A", country="JPN")
    assert a["n_units"] == 3 and a["n_mentioning"] == 1 and a["ci_low"] <= a["estimate"] <= a["ci_high"]


def test_sentence_shares_cluster_by_article():
    shares = attention.attention_shares(ARTICLES, MENTIONS, sentences=SENTENCES, unit="sentence",
                                        countries=["CHN"])
    row = _row(shares, country="CHN")
    assert row["estimate"] == pytest.approx(3 / 7)
    assert row["n_units"] == 7 and row["n_articles"] == 5


def test_period_grouping_keeps_undated_articles():
    shares = attention.attention_shares(ARTICLES, MENTIONS, by="period", countries=["CHN"])
    assert dict(zip(shares["period"], shares["n_units"])) == {"2025-01": 2, "2025-02": 2, "undated": 1}
    assert _row(shares, period="undated")["estimate"] == 1.0


def test_attention_bad_arguments():
    with pytest.raises(ValueError, match="grouping column"):
        attention.attention_shares(ARTICLES, MENTIONS, by="outlet_country")
    with pytest.raises(ValueError, match="sentences table"):
        attention.attention_shares(ARTICLES, MENTIONS, unit="sentence")
    with pytest.raises(ValueError, match="unit must be"):
        attention.attention_shares(ARTICLES, MENTIONS, unit="paragraph")


def test_attention_without_any_mention_reports_zeros():
    none = MENTIONS.iloc[0:0]
    shares = attention.attention_shares(ARTICLES, none, countries=["CHN", "JPN", "MYS"])
    assert shares["estimate"].tolist() == [0.0, 0.0, 0.0]
    assert attention.alias_contributions(none).empty
    assert attention.sample_mentions(none, SENTENCES).empty
    assert attention.co_mentions(none, ARTICLES).empty


def test_co_mention_counts_and_lift():
    co = attention.co_mentions(MENTIONS, ARTICLES, unit="article")
    chn_usa = _row(co, country_a="CHN", country_b="USA")
    assert (chn_usa["n_a"], chn_usa["n_b"], chn_usa["n_both"], chn_usa["n_units"]) == (2, 1, 1, 5)
    assert chn_usa["expected"] == pytest.approx(2 * 1 / 5) and chn_usa["lift"] == pytest.approx(2.5)
    jpn_chn = _row(co, country_a="JPN", country_b="CHN")
    assert jpn_chn["n_both"] == 0 and jpn_chn["lift"] == 0.0
    # symmetric: both orders present with the same values
    usa_chn = _row(co, country_a="USA", country_b="CHN")
    assert usa_chn["lift"] == chn_usa["lift"]
    sent = attention.co_mentions(MENTIONS, SENTENCES, unit="sentence")
    assert _row(sent, country_a="CHN", country_b="MYS")["n_units"] == 7


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["CHN", "JPN", "MYS", "USA"]), max_size=4), min_size=1, max_size=15))
def test_co_mention_counts_match_brute_force(docs):
    rows = [{"doc_id": f"d{i}", "sent_id": 0, "country": c} for i, cs in enumerate(docs) for c in cs]
    mentions = pd.DataFrame(rows, columns=["doc_id", "sent_id", "country"])
    units = pd.DataFrame({"doc_id": [f"d{i}" for i in range(len(docs))]})
    co = attention.co_mentions(mentions, units)
    for rec in co.itertuples():
        assert rec.n_both == sum(1 for cs in docs if rec.country_a in cs and rec.country_b in cs)
        assert rec.n_a == sum(1 for cs in docs if rec.country_a in cs)
        assert rec.n_both <= min(rec.n_a, rec.n_b)


def test_alias_contributions_shares_sum_to_one_with_other_bucket():
    sents = pd.DataFrame({"doc_id": ["x"] * 4, "para_id": 0, "sent_id": [0, 1, 2, 3],
                          "text": ["DeepSeek and DeepSeek.", "China.", "Beijing.", "Chinese DeepSeek."]})
    contrib = attention.alias_contributions(countries.detect_mentions(sents), top=2)
    chn = contrib[contrib["country"] == "CHN"]
    assert chn["alias"].tolist() == ["DeepSeek", "Beijing", "(other aliases)"]
    assert chn["share_of_country"].sum() == pytest.approx(1.0)
    assert chn.iloc[0]["n_mentions"] == 3 and chn.iloc[0]["share_of_country"] == pytest.approx(0.5)


def test_sample_mentions_is_seeded_and_bounded():
    one = attention.sample_mentions(MENTIONS, SENTENCES, per_country=1, random_state=3)
    two = attention.sample_mentions(MENTIONS, SENTENCES, per_country=1, random_state=3)
    pd.testing.assert_frame_equal(one, two)
    assert one.groupby("country").size().max() == 1
    assert set(one["country"]) == set(MENTIONS["country"])
    assert all(isinstance(t, str) and t for t in one["text"])


def test_plots_return_labelled_figures():
    shares = attention.attention_shares(ARTICLES, MENTIONS, by="outlet_name", countries=["CHN", "JPN"])
    figs = [
        country_plots.plot_attention(shares, group="outlet_name"),
        country_plots.plot_attention(attention.attention_shares(ARTICLES, MENTIONS)),
        country_plots.plot_attention_over_time(attention.attention_shares(ARTICLES, MENTIONS, by="period")),
        country_plots.plot_co_mentions(attention.co_mentions(MENTIONS, ARTICLES)),
        country_plots.plot_co_mentions(attention.co_mentions(MENTIONS, ARTICLES), value="n_both"),
        country_plots.plot_alias_contributions(attention.alias_contributions(MENTIONS)),
        country_plots.plot_attention(shares.iloc[0:0]),
        country_plots.plot_co_mentions(attention.co_mentions(MENTIONS.iloc[0:0], ARTICLES)),
    ]
    for fig in figs[:2] + figs[3:6]:
        ax = fig.axes[0]
        assert ax.get_xlabel() and ax.get_ylabel()
    # Two dated months are not a time series: the figure says so instead of drawing a line.
    assert "a time series needs at least 3" in figs[2].axes[0].texts[0].get_text()
    # n above every bar (outlets A and B: 3 and 2 articles)
    assert {"3", "2"} <= {t.get_text() for t in figs[0].axes[0].texts}
    assert all(isinstance(f, matplotlib.figure.Figure) for f in figs)
    plt.close("all")


def test_groups_of_one_unit_are_not_drawn_and_never_together_cells_are_dashes():
    one = ARTICLES.assign(outlet_name=["A", "A", "A", "B", "C"])
    shares = attention.attention_shares(one, MENTIONS, by="outlet_name", countries=["CHN", "JPN"])
    fig = country_plots.plot_attention(shares, group="outlet_name")
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["A"]  # B and C have one article each
    co = attention.co_mentions(MENTIONS, ARTICLES)
    fig = country_plots.plot_co_mentions(co)
    texts = [t.get_text() for t in fig.axes[0].texts]
    never = co[(co["n_both"] == 0) & (co["country_a"] != co["country_b"])]
    assert texts.count("–") >= len(never)
    plt.close("all")


def test_mention_overview_counts_and_directness():
    overview = attention.mention_overview(MENTIONS, ARTICLES, SENTENCES, countries=["CHN", "USA", "KOR"])
    assert list(overview.columns) == attention.OVERVIEW_COLUMNS
    chn = _row(overview, country="CHN")
    assert (chn["n_mentions"], chn["n_sentences"], chn["n_articles"]) == (3, 3, 2)
    assert chn["share_of_sentences"] == pytest.approx(3 / 7)
    assert chn["share_of_articles"] == pytest.approx(2 / 5)
    assert chn["direct_share"] == 1.0 and chn["top_alias"] == "China" and chn["display_name"] == "China"
    kor = _row(overview, country="KOR")
    assert kor["n_mentions"] == 0 and kor["top_alias"] == "" and np.isnan(kor["direct_share"])
