"""Country portraits: intervals formatted honestly, missing countries get n/a, verdicts follow p-values."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from analysis.study import synthesis as synthesis
from analysis.study.synthesis import Portraits, differences, format_interval, portrait_table


@pytest.mark.parametrize("args, expected", [
    ((0.4, 0.1, 0.7), "0.40 [0.10, 0.70]"),
    ((-0.25, -0.5, 0.0), "-0.25 [-0.50, 0.00]"),
    ((float("nan"), float("nan"), float("nan")), "n/a"),
    ((None, None, None), "n/a"),
    ((0.6, float("nan"), float("nan")), "0.60 (too few articles for an interval)"),
])
def test_format_interval(args, expected):
    assert format_interval(*args) == expected


def _portraits(p_value=0.01, frame_p=float("nan")):
    ci = dict(ci_low=0.1, ci_high=0.9)
    return Portraits(
        countries=["CHN", "JPN", "MYS"],
        attention=pd.DataFrame([dict(country="CHN", estimate=1.0, n_units=5, **ci),
                                dict(country="JPN", estimate=0.5, n_units=5, **ci),
                                dict(country="MYS", estimate=0.0, ci_low=0.0, ci_high=0.52, n_units=5)]),
        topics=pd.DataFrame([dict(country="CHN", topic=0, topic_label="T0: chips", share=0.6, **ci)]),
        sentiment=pd.DataFrame([dict(measure="mean_score", country="CHN", estimate=-0.2, ci_low=-0.5, ci_high=0.1,
                                     n=12),
                                dict(measure="mean_score", country="JPN", estimate=0.3, ci_low=float("nan"),
                                     ci_high=float("nan"), n=3)]),
        sentiment_tests=pd.DataFrame([dict(country_a="CHN", country_b="JPN", difference=-0.4, ci_low=-0.7,
                                           ci_high=-0.1, p_value=p_value, cohens_d=-1.1, n_a=5, n_b=3, n_shared=2),
                                      dict(country_a="CHN", country_b="MYS", difference=float("nan"),
                                           ci_low=float("nan"), ci_high=float("nan"), p_value=float("nan"),
                                           cohens_d=float("nan"), n_a=5, n_b=0, n_shared=0)]),
        frames=pd.DataFrame([dict(country="CHN", frame="tech_race", estimate=0.5, n=12, **ci),
                             dict(country="CHN", frame="economic", estimate=0.0, ci_low=0.0, ci_high=0.2, n=12)]),
        frame_test={"p_value": frame_p, "cramers_v": float("nan"), "n": 3},
        words=pd.DataFrame([dict(country="CHN", rank=1, word="chips")]),
        evidence=pd.DataFrame([dict(country="CHN", direction="most_negative", sentence="Bad news for China.")]),
        n_articles=5, n_mentions=pd.Series({"CHN": 9, "JPN": 2, "MYS": 0}))


def test_portrait_gives_na_never_a_default_value_for_unmeasured_countries():
    table = portrait_table(_portraits())
    assert list(table.columns) == ["China", "Japan", "Malaysia"]
    assert table.loc["sentiment toward it (mean, -1..1)", "Malaysia"] == "n/a"
    assert table.loc["sentiment toward it (mean, -1..1)", "China"] == "-0.20 [-0.50, 0.10]"
    # A frame with a zero share is not listed as "dominant".
    assert table.loc["dominant frames (share of passages)", "China"] == "tech_race 0.50 [0.10, 0.90]"
    assert table.loc["most positive mention", "China"] == "n/a"
    assert table.loc["mentions", "Malaysia"] == "0"


@pytest.mark.parametrize("p, frame_p, holm", [(0.01, 0.04, 0.02), (0.2, 0.01, 0.2), (0.03, float("nan"), 0.03)])
def test_differences_give_effects_with_intervals_and_holm_adjusted_p_values(p, frame_p, holm):
    p_ = _portraits(p_value=p, frame_p=frame_p)
    p_.frame_test.update(cramers_v=0.3 if frame_p == frame_p else float("nan"), share_expected_below_5=0.5)
    out = differences(p_).set_index("comparison")
    assert "verdict" not in out.columns  # effect sizes with intervals, not verdict words
    assert out.loc["sentiment CHN - JPN", "value"] == "-0.40 [-0.70, -0.10] (d=-1.10)"
    assert out.loc["sentiment CHN - JPN", "p_holm"] == pytest.approx(holm)
    assert "2 shared (paired)" in out.loc["sentiment CHN - JPN", "note"]
    assert math.isnan(out.loc["sentiment CHN - MYS", "p_holm"])
    assert "no test" in out.loc["sentiment CHN - MYS", "note"]
    assert out.loc["sentiment CHN - JPN", "p_holm"] >= out.loc["sentiment CHN - JPN", "p_value"]


def test_figure_data_is_what_the_figure_draws():
    p = _portraits()
    data = synthesis.portrait_figure_data(p)
    assert set(data["panel"]) == {"attention", "sentiment", "frames"}
    assert math.isclose(data.query("panel == 'sentiment'")["estimate"].iloc[0], -0.2)
    fig = synthesis.plot_portraits(p)
    assert len(fig.axes) == 3
    labels = [t.get_text() for t in fig.axes[1].texts]
    assert "n=12" in labels and "n=3" in labels  # n beside every point, with or without an interval


def test_validity_summary_scores_the_frame_scorer_the_study_uses():
    """The country x frame tables come from the default scorer, so its validation must be shown."""
    import pandas as pd

    from analysis.framing.measure import FRAMES_DIR
    from analysis.study.synthesis import validity_summary

    table = validity_summary()
    stored = pd.read_csv(FRAMES_DIR / "validation.csv")
    default = table[table["instrument"].str.contains("default scorer")]
    assert set(default["data"]) == set(stored["dataset"])
    for _, row in default.iterrows():
        main = stored[(stored["dataset"] == row["data"]) & stored["main_setting"]]
        assert main["scorer"].is_unique  # one main setting per scorer and data set
        ours = main[main["scorer"] == "combined"].iloc[0]
        dictionary = main[main["scorer"] == "dictionary"].iloc[0]
        assert row["ours"] == pytest.approx(ours["macro_f1"], abs=5e-4)
        assert row["anchor_value"] == pytest.approx(dictionary["macro_f1"], abs=5e-4)
        assert row["note"] == ours["setting"]
    best = table[table["instrument"].str.contains("best on this data")]
    for _, row in best.iterrows():  # compared on the whole data set, never on a fold subset
        main = stored[(stored["dataset"] == row["data"]) & stored["main_setting"]]
        assert row["ours"] == pytest.approx(main["macro_f1"].max(), abs=5e-4)
        if row["anchor"] == "dictionary scorer":
            assert row["anchor_value"] == pytest.approx(
                main.loc[main["scorer"] == "dictionary", "macro_f1"].iloc[0], abs=5e-4)
    narrative = default[default["data"] == "narrative_frames_climate"]
    assert narrative["note"].str.contains("default pooling").all()  # the pooling the study uses


def test_portrait_quotes_evidence_in_few_words_with_outlet_and_link():
    long = "Officials said " + " ".join(f"w{i}" for i in range(40)) + " China " + " ".join(f"v{i}" for i in range(40))
    p_ = _portraits()
    p_.evidence = pd.DataFrame([
        dict(country="CHN", direction="most_negative", doc_id="d1", outlet="BBC", url="https://bbc.co.uk/x",
             alias="China", sentence=long),
        dict(country="CHN", direction="most_positive", doc_id="d2", outlet="", url="", alias="China",
             sentence="China wins.")])
    table = portrait_table(p_, quote_words=10)
    negative = table.loc["most negative mention", "China"]
    assert negative.endswith("(BBC, https://bbc.co.uk/x)") and "China" in negative
    quoted = negative[negative.index("\u201c") + 1:negative.index("\u201d")]
    assert len([w for w in quoted.split() if w != "\u2026"]) == 10
    assert table.loc["most positive mention", "China"] == "\u201cChina wins.\u201d (d2)"  # no outlet: the key
    whole = portrait_table(p_, quote_words=None).loc["most negative mention", "China"]
    assert long in whole


def _scored(rows):
    return pd.DataFrame(rows, columns=["doc_id", "country", "score"])


def test_naive_tests_treat_mentions_as_independent_and_corrections_show_the_change():
    from analysis.sentiment.by_country import naive_country_tests

    # Two articles per country, many mentions each: the naive test sees ~100 observations per country, the
    # design-respecting one four articles.
    rows = [(f"c{a}", "CHN", 0.5 + 0.01 * (i % 3)) for a in range(2) for i in range(50)]
    rows += [(f"j{a}", "JPN", 0.1 + 0.01 * (i % 3)) for a in range(2) for i in range(50)]
    naive = naive_country_tests(_scored(rows), countries=["CHN", "JPN", "MYS"]).set_index(["country_a", "country_b"])
    assert naive.loc[("CHN", "JPN"), "n_a"] == 100 and naive.loc[("CHN", "JPN"), "p_value"] < 1e-10
    assert naive.loc[("CHN", "JPN"), "difference"] == pytest.approx(0.4)
    assert math.isnan(naive.loc[("CHN", "MYS"), "p_value"])  # no mention of Malaysia: no test

    p_ = _portraits(p_value=0.33)
    p_.sentiment_tests = p_.sentiment_tests.assign(p_holm=[0.66, float("nan")])
    p_.sentiment_naive = naive.reset_index()
    out = synthesis.corrections(p_).set_index("pair")
    assert bool(out.loc["CHN - JPN", "below_05_naive"]) and not bool(out.loc["CHN - JPN", "below_05_holm"])
    assert out.loc["CHN - JPN", "n_mentions"] == "100 / 100"
    assert out.loc["CHN - JPN", "n_articles"] == "5 / 3 (2 shared)"
    assert out.loc["CHN - JPN", "interval"] == "[-0.70, -0.10]"


def test_corrections_are_empty_without_the_naive_table():
    assert synthesis.corrections(_portraits()).empty


class _Stage(dict):
    def __init__(self, params, **tables):
        super().__init__(tables)
        self.params = params


@pytest.mark.parametrize("assigned, expected", [
    (None, "topics on article documents (seed 42); "),
    (["sample", "sample", "words"], "topics on article documents (seed 42, fitted on a sample of 2, the other 1 "
                                    "assigned by words); "),
])
def test_the_stage_note_says_when_topics_were_fitted_on_a_sample(assigned, expected):
    import pandas as pd

    from analysis.study.synthesis import stage_note

    topics = pd.DataFrame({"topic": [0, 1, 0]})
    if assigned is not None:
        topics["assigned_by"] = assigned
    stages = {"topics": _Stage({"random_state": 42, "assign": "words"}, docs=pd.DataFrame({"unit": ["article"] * 3}),
                               document_topics=topics),
              "sentiment": _Stage({"scorer": "indomain"}),
              "frames": _Stage({"scorer_used": "indomain", "threshold": 0.5, "window": 0, "context_window": 1})}
    assert expected in stage_note(stages)
