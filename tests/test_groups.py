"""One convention for outlet and period in every notebook (analysis.corpus.groups)."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.corpus.groups import GROUP_COLUMNS, UNDATED, article_groups, period_of


@pytest.mark.parametrize("value, expected", [
    (pd.Timestamp("2025-01-31 23:59"), "2025-01"),
    (pd.Timestamp("2025-02-01 00:00:00"), "2025-02"),
    ("2025-03-15", "2025-03"),
    (pd.Timestamp("2025-01-31 23:30", tz="Asia/Tokyo"), "2025-01"),   # UTC 14:30 the same day
    (pd.Timestamp("2025-02-01 03:00", tz="Asia/Kuala_Lumpur"), "2025-01"),  # still January in UTC
    (None, UNDATED), (pd.NaT, UNDATED), ("", UNDATED), ("not a date", UNDATED),
])
def test_period_is_the_utc_month_or_undated(value, expected):
    assert period_of([value]).tolist() == [expected]


def test_period_frequency_is_a_parameter():
    assert period_of(["2025-01-15", None], freq="Y").tolist() == ["2025", UNDATED]


ARTICLES = pd.DataFrame({
    "doc_id": ["a", "b", "c", "d", "e"],
    "outlet": ["Reuters", "reuters.com", "", None, "My Local Blog"],
    "published": pd.to_datetime(["2025-01-03", None, "2025-02-01", None, "2025-02-10"]),
    "url": ["", "", "https://www.reuters.com/x", "", ""],
})


def test_article_groups_use_the_registry_and_keep_every_article():
    groups = article_groups(ARTICLES)
    assert list(groups.columns) == GROUP_COLUMNS and len(groups) == len(ARTICLES)
    assert groups["outlet"].tolist() == ["Reuters", "Reuters", "Reuters", "unknown", "My Local Blog"]
    assert groups["period"].tolist() == ["2025-01", UNDATED, "2025-02", UNDATED, "2025-02"]
    assert groups.loc[0, "outlet_type"] == "wire" and groups.loc[4, "outlet_country"] == "unknown"


def test_article_groups_name_missing_columns():
    with pytest.raises(ValueError, match=r"\['published'\]"):
        article_groups(ARTICLES.drop(columns=["published"]))


def test_attention_topics_and_sentiment_use_the_same_groups():
    from analysis.countries import attention_shares
    from analysis.sentiment import summarise_sentiment
    from analysis.topics import topic_shares_by_country

    mentions = pd.DataFrame({"doc_id": list("abcde"), "para_id": 0, "sent_id": 0, "country": "CHN",
                             "alias": "China", "kind": "name", "start": 0, "end": 5})
    doc_topics = pd.DataFrame({"doc_id": list("abcde"), "para_id": -1, "topic": [0, 1, 0, 1, 0],
                               "topic_label": ["T0", "T1", "T0", "T1", "T0"]})
    scores = pd.DataFrame({"doc_id": list("abcde"), "country": "CHN", "mean_score": [0.1, 0.2, 0.3, 0.4, 0.5],
                           "share_negative": 0.0, "share_positive": 0.0})
    expected = set(article_groups(ARTICLES)["period"])
    attention = attention_shares(ARTICLES, mentions, by="period", countries=["CHN"], n_boot=20)
    topics = topic_shares_by_country(mentions, doc_topics, countries=["CHN"], by="period", articles=ARTICLES,
                                     n_boot=20)
    sentiment = summarise_sentiment(scores, by=["country", "period"], articles=ARTICLES, measures=["mean_score"],
                                    n_boot=20)
    assert set(attention["period"]) == set(topics["period"]) == set(sentiment["period"]) == expected
    outlets = set(article_groups(ARTICLES)["outlet"])
    assert set(summarise_sentiment(scores, by=["country", "outlet"], articles=ARTICLES, measures=["mean_score"],
                                   n_boot=20)["outlet"]) == outlets
    assert set(topic_shares_by_country(mentions, doc_topics, countries=["CHN"], by="outlet", articles=ARTICLES,
                                       n_boot=20)["outlet"]) == outlets
