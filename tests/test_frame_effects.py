"""Tests for analysis.framing.by_country: passages, per-country shares, association test, distinctive words."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis.framing.by_country import (PASSAGE_COLUMNS, build_passages, distinctive_words, example_passages,
                                    frame_shares_by_country, log_odds_dirichlet,
                                    assess_frame_association as association)
from analysis.framing.plots import plot_frame_heatmap

SENTENCES = pd.DataFrame({
    "doc_id": ["a"] * 4 + ["b"] * 2,
    "para_id": [0, 0, 1, 1, 0, 0],
    "sent_id": [0, 1, 2, 3, 0, 1],
    "text": ["Intro.", "China and Japan compete.", "Middle.", "End of a.", "Malaysia builds.", "Tail."],
})
MENTIONS = pd.DataFrame({
    "doc_id": ["a", "a", "a", "b"], "para_id": [0, 0, 0, 0], "sent_id": [1, 1, 1, 0],
    "country": ["CHN", "JPN", "CHN", "MYS"], "alias": ["China", "Japan", "Chinese", "Malaysia"],
    "kind": ["name", "name", "demonym", "name"], "start": [0, 10, 0, 0], "end": [5, 15, 7, 8],
})


# ---------------------------------------------------------------- passages
@pytest.mark.parametrize("window, text_a, text_b", [
    (0, "China and Japan compete.", "Malaysia builds."),
    (1, "Intro. China and Japan compete. Middle.", "Malaysia builds. Tail."),
    (5, "Intro. China and Japan compete. Middle. End of a.", "Malaysia builds. Tail."),
])
def test_passages_take_a_window_inside_the_article(window, text_a, text_b):
    p = build_passages(SENTENCES, MENTIONS, window=window)
    assert list(p.columns) == PASSAGE_COLUMNS
    assert p["country"].tolist() == ["CHN", "JPN", "MYS"]  # one passage per sentence x country
    assert p.loc[0, "text"] == text_a and p.loc[2, "text"] == text_b
    assert p.loc[0, "aliases"] == "China|Chinese" and p.loc[0, "n_mentions"] == 2


def test_passages_filter_countries_and_handle_no_mentions():
    assert build_passages(SENTENCES, MENTIONS, countries=["MYS"])["country"].tolist() == ["MYS"]
    empty = build_passages(SENTENCES, MENTIONS.iloc[:0])
    assert empty.empty and list(empty.columns) == PASSAGE_COLUMNS


def test_passages_reject_orphan_mentions_and_bad_window():
    orphan = MENTIONS.assign(sent_id=[1, 1, 1, 9])
    with pytest.raises(ValueError, match="doc 'b' sentence 9"):
        build_passages(SENTENCES, orphan)
    with pytest.raises(ValueError, match="window"):
        build_passages(SENTENCES, MENTIONS, window=-1)


# ---------------------------------------------------------------- shares and test
def _passages(countries, docs):
    return pd.DataFrame({"passage_id": [f"p{i}" for i in range(len(countries))], "doc_id": docs,
                         "country": countries, "aliases": "x",
                         "text": [f"t{i}" for i in range(len(countries))]})


def test_shares_are_per_country_means_with_intervals():
    p = _passages(["CHN", "CHN", "CHN", "JPN"], ["d1", "d2", "d3", "d4"])
    pred = pd.DataFrame({"conflict": [True, True, False, False], "economic": [False, False, False, True]})
    out = frame_shares_by_country(p, pred, n_boot=200).set_index(["country", "frame"])
    assert out.loc[("CHN", "conflict"), "estimate"] == pytest.approx(2 / 3)
    assert out.loc[("JPN", "economic"), "estimate"] == 1.0
    # passages are units clustered in articles: below 10 articles no interval, and the table says so
    assert np.isnan(out.loc[("CHN", "conflict"), "ci_low"])
    assert out.loc[("CHN", "conflict"), "interval"] == "too few articles for an interval"
    assert out.loc[("CHN", "conflict"), "n_clusters"] == 3


@pytest.mark.parametrize("countries", [["CHN", None], ["CHN", ""], ["CHN", np.nan]])
def test_passages_without_a_country_are_refused(countries):
    p = _passages(countries, ["d1", "d2"])
    pred = pd.DataFrame({"conflict": [True, False]})
    with pytest.raises(ValueError, match="no country mention"):
        frame_shares_by_country(p, pred)
    with pytest.raises(ValueError, match="no country mention"):
        association(p, pred.astype(float))


def test_misaligned_predictions_are_refused():
    with pytest.raises(ValueError, match="rows for 2 passages"):
        frame_shares_by_country(_passages(["CHN", "JPN"], ["d1", "d2"]), pd.DataFrame({"conflict": [True]}))


def test_association_matches_a_hand_computed_chi_square():
    # Dominant frames: CHN -> conflict x3, economic x1; JPN -> conflict x1, economic x3.
    p = _passages(["CHN"] * 4 + ["JPN"] * 4, [f"d{i}" for i in range(8)])
    conflict = [0.9, 0.9, 0.9, 0.1, 0.9, 0.1, 0.1, 0.1]
    scores = pd.DataFrame({"conflict": conflict, "economic": [1 - c for c in conflict]})
    res = association(p, scores)
    # Expected counts are all 2: chi2 = 4 * (1^2 / 2) = 2; V = sqrt(2 / 8).
    assert res["chi2"] == pytest.approx(2.0) and res["dof"] == 1
    assert res["cramers_v_raw"] == pytest.approx(math.sqrt(2 / 8))
    # Bias-corrected (Bergsma 2013): phi2 = 2/8 - 1/7, r = k = 2 - 1/7, V = sqrt(phi2 / (1 - 1/7)) = sqrt(1/8).
    assert res["cramers_v"] == pytest.approx(math.sqrt(1 / 8))
    assert res["interval"] == "too few articles for an interval" or res["n_articles"] >= 10
    assert res["table"].loc["CHN", "conflict"] == 3
    single = association(p.assign(country="CHN"), scores)
    assert math.isnan(single["chi2"]) and single["n"] == 8


def test_association_counts_unframed_passages_as_none():
    p = _passages(["CHN", "JPN"], ["d1", "d2"])
    res = association(p, pd.DataFrame({"conflict": [0.1, 0.9]}))
    assert set(res["table"].columns) == {"none", "conflict"}


def test_example_passages_pick_the_strongest_per_cell():
    p = _passages(["CHN", "CHN", "CHN", "JPN"], ["d1", "d2", "d3", "d4"])
    scores = pd.DataFrame({"conflict": [0.6, 0.9, 0.2, 0.7]})
    ex = example_passages(p, scores, n=1)
    assert ex.set_index("country").loc["CHN", "passage_id"] == "p1"
    assert len(example_passages(p, scores, n=5)) == 3  # 0.2 is below min_score


# ---------------------------------------------------------------- distinctive words
def test_log_odds_matches_hand_computation():
    # a=[2,0], b=[1,1], prior=[1,1]: word 0 delta = log(3/1) - log(2/2) = log 3, var = 1/3 + 1/2.
    delta, z = log_odds_dirichlet([2, 0], [1, 1], [1, 1])
    assert delta[0] == pytest.approx(math.log(3)) and delta[1] == pytest.approx(-math.log(3))
    assert z[0] == pytest.approx(math.log(3) / math.sqrt(1 / 3 + 1 / 2))
    assert z[1] == pytest.approx(-math.log(3) / math.sqrt(1 + 1 / 2))
    with pytest.raises(ValueError, match="positive"):
        log_odds_dirichlet([1], [1], [0])


def test_distinctive_words_surface_country_specific_vocabulary_without_aliases():
    p = pd.DataFrame({
        "country": ["CHN"] * 3 + ["MYS"] * 3,
        "aliases": ["China"] * 3 + ["Malaysia|Johor"] * 3,
        "text": ["China export controls chips", "China chips export", "China censorship chips",
                 "Johor data centre land", "Malaysia data centre water", "Johor data centre power"],
    })
    out = distinctive_words(p, top_n=2, min_count=2)
    assert out[out["country"] == "CHN"]["word"].tolist()[0] == "chips"
    assert set(out[out["country"] == "MYS"]["word"]) == {"centre", "data"}
    assert not {"china", "johor", "malaysia"} & set(out["word"])
    assert distinctive_words(p[p["country"] == "CHN"]).empty


def test_heatmap_returns_a_figure_even_when_empty():
    import matplotlib

    matplotlib.use("Agg")
    shares = pd.DataFrame({"country": ["CHN", "JPN", "CHN", "JPN"], "frame": ["conflict"] * 2 + ["economic"] * 2,
                           "estimate": [0.5, 0.2, 0.0, 0.25], "ci_low": [0.3, 0.1, 0.0, float("nan")],
                           "ci_high": [0.7, 0.4, 0.2, float("nan")], "n": [20, 10, 20, 8]})
    fig = plot_frame_heatmap(shares, countries=["CHN", "JPN", "MYS"])
    assert fig.axes[0].get_xlabel() == "frame"
    labels = [t.get_text() for t in fig.axes[0].texts]
    # share [interval]; "–" where no passage carries the frame; share and n where there is no interval
    assert labels == ["0.50\n[0.30, 0.70]", "–", "0.20\n[0.10, 0.40]", "0.25\nn=8"]
    empty = plot_frame_heatmap(shares.iloc[:0])
    assert empty is not None


def test_top_frames_by_country_ranks_and_skips_zero_shares():
    from analysis.framing.by_country import top_frames_by_country

    shares = pd.DataFrame({"country": ["CHN"] * 3 + ["JPN"], "frame": ["a", "b", "c", "a"],
                           "estimate": [0.2, 0.5, 0.0, 0.1], "ci_low": 0.0, "ci_high": 1.0, "n": 5,
                           "n_clusters": 2})
    top = top_frames_by_country(shares, n=2)
    assert top[top["country"] == "CHN"]["frame"].tolist() == ["b", "a"]
    assert top[top["country"] == "JPN"]["rank"].tolist() == [1]


@pytest.mark.parametrize("countries, expected", [
    (["CHN", "JPN"], "Passages for CHN (1 passages, 1 articles), JPN (1 passages, 1 articles)."),
    (["CHN", "IDN"], "No passage mentions IDN"),
    (["IDN", "KOR"], "No passage mentions IDN, KOR: frame shares"),
    (["MYS"], "nothing to compare"),
])
def test_coverage_note_says_what_cannot_be_computed(countries, expected):
    from analysis.framing.by_country import coverage_note

    assert expected in coverage_note(build_passages(SENTENCES, MENTIONS), countries)
