"""The study's own unit and instruments: sentence units, in-domain heads, validity intervals."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import f1_score

from analysis.countries.measure import detect_mentions
from analysis.framing.domain import DomainFrameHead, load_domain_frame_head
from analysis.framing.measure import load_codebook, score_frames
from analysis.countries.units import sentence_units
from analysis.sentiment.measure import predict_target_sentiment
from analysis.sentiment.domain import DomainSentimentHead, load_domain_head
from analysis.validity import binary_f1, cluster_interval, load_indomain_validation, macro_f1


def _sentences(texts):
    return pd.DataFrame({"doc_id": [f"d{i}" for i in range(len(texts))], "para_id": 0, "sent_id": 0,
                         "text": texts})


@pytest.mark.parametrize("text, country, alias, reference, n", [
    ("China and Beijing disagree with Washington.", "CHN", "China", "direct", 2),
    ("DeepSeek, a Chinese start-up, is based in Hangzhou.", "CHN", "Chinese", "direct", 3),
    ("DeepSeek is based in Hangzhou.", "CHN", "DeepSeek", "proxy", 2),
    ("KUALA LUMPUR (Reuters) - Microsoft will build a data centre.", "MYS", "Kuala Lumpur", "proxy", 1),
    ("TOKYO, Jan 27 (Reuters) - Japan's chip stocks fell.", "JPN", "Japan", "direct", 2),
    ("Officials in Tokyo approved the plan.", "JPN", "Tokyo", "direct", 1),
    ("SHANGHAI/BEIJING (Reuters) - DeepSeek shares rose.", "CHN", "Shanghai", "proxy", 3),
    ("TOKYO\u2014SoftBank shares fell.", "JPN", "Tokyo", "proxy", 2),
    ("US-China talks resumed.", "CHN", "China", "direct", 1),
])
def test_sentence_units_one_row_per_sentence_and_country(text, country, alias, reference, n):
    sentences = _sentences([text])
    units = sentence_units(detect_mentions(sentences), sentences)
    row = units[units["country"] == country]
    assert len(row) == 1
    row = row.iloc[0]
    assert (row["alias"], row["reference"], row["n_mentions"]) == (alias, reference, n)
    assert text[row["start"]:row["end"]].lower() == alias.lower()


def test_sentence_units_keeps_countries_apart_and_names_a_lost_sentence():
    sentences = _sentences(["Japan and Malaysia signed a pact with China."])
    units = sentence_units(detect_mentions(sentences), sentences)
    assert sorted(units["country"]) == ["CHN", "JPN", "MYS"]
    with pytest.raises(ValueError, match="d0"):
        sentence_units(detect_mentions(sentences), sentences.assign(sent_id=5))
    assert sentence_units(detect_mentions(_sentences(["No country here."])), sentences).empty


def test_sentiment_head_learns_weighted_domain_rows_and_round_trips():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 6))
    y = np.where(X[:, 0] > 0.5, "positive", np.where(X[:, 0] < -0.5, "negative", "neutral"))
    head = DomainSentimentHead(C=1.0, domain_weight=4.0).fit(X, y, in_domain=np.arange(300) % 2 == 0)
    assert (head.predict(X) == y).mean() > 0.85
    again = DomainSentimentHead.from_dict(json.loads(json.dumps(head.to_dict())))
    assert np.array_equal(again.predict_proba(X), head.predict_proba(X))
    with pytest.raises(ValueError, match="'great'"):
        DomainSentimentHead().fit(X[:3], ["great", "neutral", "negative"], in_domain=[True] * 3)


@pytest.mark.parametrize("sentence, target, expected", [
    ("Washington accused China of stealing chip designs and spying on users.", "China", "negative"),
    ("Malaysia has become the region's most successful destination for AI investment.", "Malaysia", "positive"),
    ("DeepSeek is based in Hangzhou, China.", "China", "neutral"),
])
def test_indomain_scorer_is_the_default_and_reads_the_construct(sentence, target, expected):
    start = sentence.index(target)
    out = predict_target_sentiment([sentence], [(start, start + len(target))])
    assert out["scorer"].iloc[0] == "indomain"
    assert out["label"].iloc[0] == expected
    assert out[["p_negative", "p_neutral", "p_positive"]].sum(axis=1).iloc[0] == pytest.approx(1, abs=1e-5)


def test_shipped_sentiment_head_is_valid_and_bound_to_its_target_model(tmp_path):
    import shutil

    from analysis.sentiment.measure import SENTIMENT_DIR, SentimentModelError

    head = load_domain_head()
    assert head.coef_.shape == (3, 768) and np.isfinite(head.coef_).all()
    with pytest.raises(ValueError, match="float64"):
        predict_target_sentiment(["China grew."], [(0, 5)], precision="int8")
    folder = tmp_path / "sentiment"
    shutil.copytree(SENTIMENT_DIR, folder)
    stored = json.loads((folder / "domain_head.json").read_text(encoding="utf-8"))
    stored["base_fingerprint"] = "0" * 16  # a head fitted on another version of the target model
    (folder / "domain_head.json").write_text(json.dumps(stored), encoding="utf-8")
    with pytest.raises(SentimentModelError, match="different target model"):
        load_domain_head(folder / "domain_head.json", model_dir=folder)
    (folder / "domain_head.json").unlink()
    with pytest.raises(SentimentModelError, match="missing"):
        predict_target_sentiment(["China grew."], [(0, 5)], model_dir=folder)


def test_frame_head_thresholds_fallback_and_round_trip():
    rng = np.random.default_rng(1)
    sentences = [f"{'export ban chips' if i % 3 == 0 else 'a new model launch'} number {i}" for i in range(90)]
    X = rng.normal(size=(90, 5))
    Y = pd.DataFrame({"security_export": [i % 3 == 0 for i in range(90)], "morality": [i == 4 for i in range(90)]})
    head = DomainFrameHead(C_dense=0.01, C_words=3.0, min_positives=10, n_splits=3).fit(
        X, sentences, Y, groups=[i % 10 for i in range(90)])
    assert head.frames_ == ["security_export"] and head.fallback_ == ["morality"]
    assert head.predict(X, sentences)["security_export"].tolist() == Y["security_export"].tolist()
    again = DomainFrameHead.from_dict(json.loads(json.dumps(head.to_dict())))
    assert np.array_equal(again.predict_proba(X, sentences).to_numpy(), head.predict_proba(X, sentences).to_numpy())
    with pytest.raises(ValueError, match="label rows"):
        head.fit(X, sentences, Y.iloc[:5], groups=[0] * 90)


def test_indomain_frame_scorer_on_clear_sentences():
    texts = ["The US tightened export controls on advanced chips to China over national security concerns.",
             "Microsoft will invest billions in new data centres in Johor, Malaysia.",
             "The weather was fine."]
    scores = score_frames(texts, scorer="indomain")
    assert list(scores.columns) == load_codebook()["id"].tolist()
    assert scores.loc[0, "security_export"] >= 0.5 > scores.loc[2, "security_export"]
    assert scores.loc[1, "investment_infra"] >= 0.5 > scores.loc[2, "investment_infra"]
    assert set(scores.attrs["label_free_fallback"]) == set(load_domain_frame_head().fallback_)


def test_indomain_frame_scorer_refuses_a_foreign_codebook():
    book = [{"id": "weather", "family": "issue", "label": "Weather", "definition": "Rain and sun.",
             "include": "rain", "exclude": "none", "cues": ["rain*"], "exemplars": ["It rained.", "Sun.", "Hail."]}]
    with pytest.raises(ValueError, match="weather"):
        score_frames(["It rained."], scorer="indomain", codebook=book)


def test_macro_and_binary_f1_match_scikit_learn():
    rng = np.random.default_rng(2)
    y = rng.choice(["negative", "neutral", "positive"], 200)
    p = np.where(rng.random(200) < 0.7, y, rng.choice(["negative", "neutral", "positive"], 200))
    assert macro_f1(y, p) == pytest.approx(f1_score(y, p, average="macro"))
    yb, pb = y == "positive", p == "positive"
    assert binary_f1(yb, pb) == pytest.approx(f1_score(yb, pb))
    assert binary_f1(np.zeros(3, bool), np.zeros(3, bool)) == 0.0


def test_cluster_interval_resamples_articles_and_refuses_few_clusters():
    y = np.array(["a", "b"] * 50)
    p = y.copy()
    p[:10] = "b"
    clusters = np.repeat(np.arange(20), 5)
    est, low, high = cluster_interval(lambda a, b: float((a == b).mean()), y, p, clusters, n_boot=300)
    assert est == pytest.approx(0.95) and low < est <= high <= 1.0
    assert cluster_interval(lambda a, b: float((a == b).mean()), y, p, clusters, n_boot=300) == (est, low, high)
    few = cluster_interval(lambda a, b: float((a == b).mean()), y, p, clusters % 5, n_boot=50)
    assert np.isnan(few[1]) and np.isnan(few[2])
    with pytest.raises(ValueError, match="clusters"):
        cluster_interval(binary_f1, y, p[:-1], clusters)


def test_stored_indomain_validation_follows_the_schema_and_beats_its_anchor():
    table = load_indomain_validation()
    assert list(table.columns[:4]) == ["instrument", "data", "split", "metric"]
    headline = table[(table["instrument"] == "frames:indomain") & (table["split"] == "cv_site")].iloc[0]
    assert headline["ours_low"] <= headline["ours"] <= headline["ours_high"]
    assert headline["ours"] > headline["anchor_value"]
    sentiment = table[table["split"] == "cv_site:direct:all"].iloc[0]
    assert sentiment["ours"] > sentiment["anchor_value"]


def test_site_groups_join_spellings_of_one_site_and_copies_of_one_sentence():
    from analysis.validity import site_groups

    docs = ["thestar.com.my/a", "thestar.com.my/b", "daily8.com/x", "aljazeera.com/y", "cnn.com/z"]
    sentences = ["One.", "Two.", "China  rose.", "china rose.", "Other."]
    groups = site_groups(docs, sentences)
    assert groups[0] == groups[1]  # one site, whatever the outlet label
    assert groups[2] == groups[3]  # a syndicated copy joins its original
    assert len(set(groups)) == 3


def test_indomain_frame_scores_do_not_depend_on_codebook_row_order():
    book = load_codebook()
    texts = ["The US tightened export controls on chips to China.", "Japan and Malaysia signed an AI pact."]
    straight = score_frames(texts, scorer="indomain", codebook=book)
    reordered = score_frames(texts, scorer="indomain", codebook=book.iloc[::-1].reset_index(drop=True))
    pd.testing.assert_frame_equal(straight, reordered[straight.columns])


def test_indomain_frame_head_with_tuned_thresholds_is_refused(tmp_path):
    from analysis.framing.domain import HEAD_FILE, indomain_sentence_scores

    data = json.loads(HEAD_FILE.read_text(encoding="utf-8"))
    data["thresholds"] = {f: 0.3 for f in data["thresholds"]}
    path = tmp_path / "head.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match="thresholds"):
        indomain_sentence_scores(["China grew."], load_codebook(), head_path=path)


def test_grouped_folds_keep_each_group_whole_and_balanced():
    from analysis.validity import grouped_folds

    groups = [g for g, size in zip("abcdefgh", [9, 7, 5, 5, 3, 2, 2, 1]) for _ in range(size)]
    folds = grouped_folds(groups, 3)
    assert all(len(set(folds[np.asarray(groups) == g])) == 1 for g in set(groups))
    assert sorted(np.bincount(folds).tolist()) == [11, 11, 12]
    assert folds.tolist() == grouped_folds(groups, 3).tolist()


def test_the_clean_test_round_is_new_pages_stand_off_and_never_trained_on():
    from analysis.annotation.gold import R2_DIR, R3_DIR, TRAINING_ROUNDS
    from analysis.annotation.store import CODE_COLUMNS, DOCUMENT_COLUMNS, ITEM_COLUMNS, read_round

    assert "r3" not in TRAINING_ROUNDS
    r2, r3 = read_round(R2_DIR), read_round(R3_DIR)
    for folder, columns in (("documents", DOCUMENT_COLUMNS), ("items", ITEM_COLUMNS), ("codes", CODE_COLUMNS)):
        assert list(pd.read_csv(R3_DIR / f"{folder}.csv", nrows=0).columns) == columns  # no text column
    assert not set(r3["documents"]["doc"]) & set(r2["documents"]["doc"])  # pages not used for training
    codes = r3["codes"]
    primary = codes[codes["role"] == "primary"].groupby("item_id")["coder"].nunique()
    assert (primary == 2).all() and set(primary.index) == set(r3["items"]["item_id"])
    # the third coder saw only the items the first two differed on
    first = codes[codes["role"] == "primary"].sort_values("coder").groupby("item_id")
    differed = {i for i, g in first if g["sentiment"].nunique() > 1 or g["frames"].nunique() > 1}
    assert set(codes.loc[codes["role"] == "tiebreak", "item_id"]) == differed


def test_load_gold_names_an_unknown_round():
    from analysis.annotation.gold import load_gold

    with pytest.raises(ValueError, match=r"unknown round\(s\) \['r9'\]"):
        load_gold(load_codebook()["id"].tolist(), rounds=("r9",))


def test_the_clean_test_tables_are_read_by_name_and_keep_the_cross_validated_status():
    from analysis.framing.validation import indomain_frame_table
    from analysis.sentiment.validation import indomain_sentiment_table

    cv, test = indomain_frame_table(), indomain_frame_table(name="indomain_test_frames.csv")
    assert list(test["frame"]) == list(cv["frame"])
    assert list(test["status"]) == list(cv["status"])  # a frame is not re-labelled on the test
    sentiment = indomain_sentiment_table(name="indomain_test_sentiment.csv")
    direct = sentiment[(sentiment["reference"] == "direct") & (sentiment["country"] == "all")].iloc[0]
    by_country = sentiment[(sentiment["reference"] == "direct") & (sentiment["country"] != "all")]
    assert direct["n"] == by_country["n"].sum()
    stored = load_indomain_validation()
    assert direct["n"] == stored.loc[stored["split"] == "test_r3:direct:all", "n"].iloc[0]  # the test, not the CV


def test_validity_rows_put_the_clean_test_beside_the_cross_validation():
    from analysis.framing.validation import validity_rows as frame_rows
    from analysis.sentiment.validation import validity_rows as sentiment_rows

    for rows, cv_split, test_split in ((sentiment_rows(), "cv_site:direct:all", "test_r3:direct:all"),
                                       (frame_rows(), "cv_site", "test_r3")):
        splits = list(rows["split"])
        assert splits.index(cv_split) < splits.index(test_split)
        test = rows[rows["split"] == test_split].iloc[0]
        assert "clean test" in test["data"] and test["ours_low"] <= test["ours"] <= test["ours_high"]


def test_paired_difference_resamples_both_instruments_together():
    from analysis.validity import paired_difference

    rng = np.random.default_rng(3)
    clusters = np.repeat(np.arange(40), 5)
    y = rng.choice(["negative", "neutral", "positive"], size=len(clusters))
    good = np.where(rng.random(len(y)) < 0.8, y, "neutral")
    poor = np.where(rng.random(len(y)) < 0.4, y, "neutral")

    def f1(a, b):
        return macro_f1(a, b, ("negative", "neutral", "positive"))

    same = paired_difference(f1, y, good, good, clusters, n_boot=200)
    assert same == (0.0, 0.0, 0.0)  # one instrument against itself: no difference in any resample
    diff = paired_difference(f1, y, good, poor, clusters, n_boot=200)
    assert diff[0] == pytest.approx(f1(y, good) - f1(y, poor))
    assert 0 < diff[1] <= diff[0] <= diff[2]
    back = paired_difference(f1, y, poor, good, clusters, n_boot=200)
    assert back == pytest.approx((-diff[0], -diff[2], -diff[1]))
    # pairing: the interval of the difference is narrower than the two separate intervals suggest
    a, b = cluster_interval(f1, y, good, clusters, n_boot=200), cluster_interval(f1, y, poor, clusters, n_boot=200)
    assert diff[2] - diff[1] < (a[2] - a[1]) + (b[2] - b[1])


def test_paired_difference_takes_multi_label_rows_and_checks_shapes():
    from analysis.validity import paired_difference

    rng = np.random.default_rng(5)
    clusters = np.repeat(np.arange(20), 3)
    gold = rng.random((60, 4)) < 0.3
    ours, other = gold.copy(), np.zeros_like(gold)

    def macro(yt, yp):
        yt, yp = np.stack(yt).astype(bool), np.stack(yp).astype(bool)
        return float(np.mean([binary_f1(yt[:, j], yp[:, j]) for j in range(yt.shape[1])]))

    diff = paired_difference(macro, gold, ours, other, clusters, n_boot=100)
    assert diff[0] == pytest.approx(1.0)  # perfect against nothing predicted
    with pytest.raises(ValueError, match="shapes"):
        paired_difference(macro, gold, ours, other[:, :3], clusters)
    few = paired_difference(macro, gold[:9], ours[:9], other[:9], clusters[:9])
    assert np.isnan(few[1]) and np.isnan(few[2])  # 3 articles: no interval
