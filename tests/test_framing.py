"""Tests for analysis.framing.measure: codebook validation, sentence splitting, the scorers and the classifier."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.framing import measure as framing
from analysis.framing.measure import (GENERIC_FRAMES, CodebookError, FrameClassifier, cross_validate_frames,
                              load_codebook, predict_frames, score_frames, split_sentences, validate_codebook)

ISSUE_FRAMES = ["tech_race", "security_export", "innovation", "investment_infra", "cost_open", "governance",
                "censorship_values", "cooperation", "talent_education"]


def _frame(**over):
    base = {"id": "conflict", "family": "generic", "label": "Conflict", "definition": "Disagreement.",
            "include": "x", "exclude": "y", "cues": ["clash*"], "exemplars": ["They clashed."]}
    return {**base, **over}


# ---------------------------------------------------------------- codebook
def test_study_codebook_has_generic_and_issue_frames():
    book = load_codebook()
    assert list(book["id"][:5]) == GENERIC_FRAMES
    assert set(ISSUE_FRAMES) <= set(book["id"])
    assert (book["exemplars"].map(len) >= 3).all()
    assert (book.loc[book["family"] == "generic", "questions"].map(len) >= 3).all()


@pytest.mark.parametrize("frames, message", [
    ([_frame(), _frame()], "duplicate id 'conflict'"),
    ([_frame(definition="  ")], "empty definition"),
    ([_frame(cues=["Clash"])], "lower-case"),
    ([_frame(cues=["*clash"])], "not valid"),
    ([_frame(cues=["cl*ash"])], "not valid"),
    ([_frame(cues=[""])], "empty cue"),
    ([_frame(cues=[])], "non-empty list"),
    ([_frame(id="Conflict")], "snake_case"),
    ([{k: v for k, v in _frame().items() if k != "exemplars"}], "missing field"),
    ([], "non-empty list"),
])
def test_bad_codebooks_are_rejected_with_the_frame_named(frames, message):
    with pytest.raises(CodebookError, match=re.escape(message)):
        validate_codebook(frames, source="my_codebook.json")


def test_codebook_error_names_file_and_position(tmp_path):
    path = tmp_path / "cb.json"
    path.write_text(json.dumps({"frames": [_frame(), _frame(id="economic", definition="")]}))
    with pytest.raises(CodebookError, match=r"cb\.json, frame #1 \(economic\): empty definition"):
        load_codebook(path)
    path.write_text("{not json")
    with pytest.raises(CodebookError, match="not valid JSON"):
        load_codebook(path)


@pytest.mark.parametrize("cue, text, hit", [
    ("rival*", "a fierce rivalry", True),
    ("rival*", "the arrival of chips", False),
    ("ban*", "an urban data centre", False),
    ("ban*", "the chip bans", True),
    ("$", "a $5 billion deal", True),
    ("defen?e", "the defense ministry", True),
    ("defen?e", "the defence ministry", True),
    ("export control*", "new export controls on GPUs", True),
    ("export control*", "export of controls", False),
    ("call* for", "critics called for a ban", True),
    ("ai race", "the AI race heats up", True),
    ("ai race", "a fair racecourse", False),
])
def test_cue_matching_respects_word_boundaries_and_wildcards(cue, text, hit):
    assert bool(re.search(framing._cue_regex(cue), text.lower())) is hit


# ---------------------------------------------------------------- sentences
@pytest.mark.parametrize("text, expected", [
    ("Mr. Lee said U.S. firms lead. China follows.", ["Mr. Lee said U.S. firms lead.", "China follows."]),
    ('He said "Yes." Then 5 people left!', ['He said "Yes."', "Then 5 people left!"]),
    ("First para.\n\nSecond para", ["First para.", "Second para"]),
    ("Prices rose 3.5 per cent. Shares fell.", ["Prices rose 3.5 per cent.", "Shares fell."]),
    ("no capital after. the stop", ["no capital after. the stop"]),
    ("", []),
])
def test_split_sentences(text, expected):
    assert split_sentences(text) == expected


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab .!?\"'\nAZ5")), max_size=80))
def test_split_sentences_loses_no_characters_but_whitespace(text):
    joined = "".join(split_sentences(text))
    assert re.sub(r"\s", "", joined) == re.sub(r"\s", "", text)


# ---------------------------------------------------------------- scorers
def test_dictionary_scores_are_bounded_and_named():
    texts = ["Washington tightened export controls on chips bound for China.", "The weather was mild."]
    scores = score_frames(texts, scorer="dictionary")
    assert list(scores.columns) == list(load_codebook()["id"])
    assert ((scores >= 0) & (scores <= 1)).all().all()
    assert scores.loc[0, "security_export"] > 0
    assert scores.loc[1].sum() == 0


def test_long_text_is_scored_from_all_its_sentences_not_truncated():
    filler = " ".join(f"Sentence number {i} says little." for i in range(300))
    text = filler + " Officials accused each other of lying and the row escalated."
    assert score_frames([text], scorer="dictionary").loc[0, "conflict"] > 0
    assert score_frames([filler], scorer="dictionary").loc[0, "conflict"] == 0


def _naive_dictionary_scores(sentences, book):
    """Oracle: every frame's cue regex on every sentence, no prefilter."""
    patterns = [re.compile("|".join(framing._cue_regex(c) for c in cues)) for cues in book["cues"]]
    out = np.zeros((len(sentences), len(book)))
    for i, sentence in enumerate(sentences):
        for j, pattern in enumerate(patterns):
            hits = len(pattern.findall(sentence.lower()))
            out[i, j] = hits / (hits + 1.0)
    return out


_CUE_WORDS = ["accused", "Accusation", "attack", "row over", "tit-for-tat", "open-source", "non-aligned",
              "$500", "billion", "data centre", "Chips", "ban", "calls for", "called on", "pre-attack",
              "counterattack", "reaccused", "open source", "low-cost", "state-of-the-art", "ought to"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_CUE_WORDS), st.text(alphabet="abcxyz $-'.,", max_size=6)),
                max_size=12))
def test_dictionary_prefilter_gives_the_same_scores_as_every_regex_on_every_sentence(words):
    book = load_codebook()
    sentences = [" ".join(words), "".join(words), " ".join(words).upper()]
    np.testing.assert_array_equal(framing._dictionary_sentence_scores(sentences, book),
                                  _naive_dictionary_scores(sentences, book))


def test_top_k_pooling_dilutes_a_single_framed_sentence():
    text = "The chip ban angered Beijing. It rained. It was cold."
    one = score_frames([text], scorer="dictionary", top_k=1).loc[0, "security_export"]
    three = score_frames([text], scorer="dictionary", top_k=3).loc[0, "security_export"]
    assert three == pytest.approx(one / 3, abs=1e-6)  # scores keep 6 decimals (analysis.numerics)


@pytest.mark.parametrize("share, n_sentences, k", [
    (0.0, 10, 1), (0.1, 10, 1), (0.15, 10, 2), (0.2, 10, 2), (0.15, 20, 3), (0.15, 6, 1), (1.0, 4, 4),
    (0.07, 100, 7), (0.28, 25, 7), (np.float32(0.5), 4, 2),  # 0.07 * 100 = 7.000000000000001 in floats
])
def test_top_share_pools_the_best_ceil_share_of_sentences(share, n_sentences, k):
    framed = "The chip ban angered Beijing."
    text = " ".join([framed] + [f"Day {i} was quiet." for i in range(n_sentences - 1)])
    best = score_frames([framed], scorer="dictionary").loc[0, "security_export"]
    pooled = score_frames([text], scorer="dictionary", top_share=share).loc[0, "security_export"]
    assert best > 0
    assert pooled == pytest.approx(best / k, abs=1e-6)  # scores keep 6 decimals (analysis.numerics)


@pytest.mark.parametrize("n_sentences, k", [(3, 1), (6, 1), (7, 2), (20, 3)])
def test_default_scorer_pools_a_texts_best_sentences_by_its_length(tmp_path, n_sentences, k):
    # Scored in one call, so the seeded part is fitted on the same sentences for the pieces and the whole.
    pool = ["Washington tightened export controls on advanced chips.", "The data centre needs water and power.",
            "Rivals raced to build the fastest model.", "Regulators drafted new rules for AI.",
            "Students flocked to new AI courses.", "The firm released its model weights for free.",
            "Officials met to sign a partnership.", "Censors removed answers about the protests.",
            "Investors poured billions into the campus.", "Engineers praised the breakthrough."]
    sentences = [pool[i % len(pool)].replace(".", f" in week {i}.") for i in range(n_sentences)]
    scores = score_frames([*sentences, " ".join(sentences)], scorer="default", cache_dir=tmp_path)
    per_sentence = scores.iloc[:n_sentences].to_numpy()
    expected = np.sort(per_sentence, axis=0)[::-1][:k].mean(axis=0)
    # Scores are rounded to 6 decimals before and after pooling (analysis.numerics), so the pooled score
    # equals the mean of the rounded sentence scores to that precision, on any CPU.
    np.testing.assert_allclose(scores.iloc[n_sentences].to_numpy(), expected, atol=1e-6)
    assert framing.COMBINED_TOP_SHARE == 0.15


def test_zero_shot_ranks_the_matching_frame_first(tmp_path):
    texts = ["The United States banned exports of advanced AI chips to China over national security fears.",
             "The company will build a huge data centre campus that needs gigawatts of power and water."]
    scores = score_frames(texts, scorer="zero_shot", cache_dir=tmp_path)
    assert scores.loc[0].idxmax() == "security_export"
    assert scores.loc[1].idxmax() == "investment_infra"
    assert ((scores >= 0) & (scores <= 1)).all().all()


def test_empty_input_gives_empty_table_with_frame_columns():
    out = score_frames([], scorer="dictionary")
    assert out.empty and list(out.columns) == list(load_codebook()["id"])
    assert predict_frames([], scorer="dictionary").empty


@pytest.mark.parametrize("kwargs, message", [
    ({"scorer": "magic"}, "Unknown scorer"),
    ({"scorer": "supervised"}, "needs classifier"),
    ({"scorer": "dictionary", "top_k": 0}, "top_k"),
    ({"scorer": "dictionary", "top_k": 1.5}, "top_k"),
    ({"scorer": "dictionary", "top_k": True}, "top_k"),
    ({"scorer": "dictionary", "top_share": -0.1}, "top_share"),
    ({"scorer": "dictionary", "top_share": 1.5}, "top_share"),
    ({"scorer": "dictionary", "top_share": "0.2"}, "top_share"),
    ({"scorer": "dictionary", "top_share": float("nan")}, "top_share"),
])
def test_score_frames_rejects_bad_options(kwargs, message):
    with pytest.raises(ValueError, match=message):
        score_frames(["A sentence."], **kwargs)


def test_score_frames_rejects_non_strings_and_single_string():
    with pytest.raises(ValueError, match="Text 1 is NoneType"):
        score_frames(["ok", None], scorer="dictionary")
    with pytest.raises(ValueError, match="not a single string"):
        score_frames("just one text", scorer="dictionary")


def test_predict_frames_thresholds():
    texts = ["The chip ban angered Beijing."]
    scores = score_frames(texts, scorer="dictionary")
    pred = predict_frames(texts, scorer="dictionary", threshold={"security_export": 0.99})
    assert pred.dtypes.eq(bool).all()
    assert not pred.loc[0, "security_export"] and scores.loc[0, "security_export"] == 0.5
    with pytest.raises(ValueError, match="unknown frame ids"):
        predict_frames(texts, scorer="dictionary", threshold={"nonsense": 0.2})


# ---------------------------------------------------------------- supervised
def _toy(n=120, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 6))
    Y = pd.DataFrame({"a": X[:, 0] > 0, "b": X[:, 1] + X[:, 2] > 0.5, "never": False})
    return X, Y


def test_frame_classifier_learns_separable_frames_and_round_trips():
    X, Y = _toy()
    clf = FrameClassifier(C=10.0).fit(X, Y)
    assert clf.frames_ == ["a", "b", "never"]
    acc = (clf.predict(X) == Y.to_numpy()).mean(axis=0)
    assert acc[0] > 0.95 and acc[1] > 0.9 and acc[2] == 1.0
    clone = FrameClassifier.from_dict(json.loads(json.dumps(clf.to_dict())))
    np.testing.assert_allclose(clone.predict_proba(X), clf.predict_proba(X), atol=1e-5)


def test_frame_classifier_errors():
    X, Y = _toy()
    with pytest.raises(ValueError, match="not fitted"):
        FrameClassifier().predict_proba(X)
    with pytest.raises(ValueError, match="label rows"):
        FrameClassifier().fit(X[:10], Y)


def test_cross_validation_uses_given_folds_and_reports_macro():
    X, Y = _toy()
    folds = np.arange(len(X)) % 4
    metrics, oof = cross_validate_frames(X, Y[["a", "b"]], folds=folds)
    assert list(metrics["frame"]) == ["a", "b", "macro"]
    assert metrics["f1"].iloc[-1] > 0.8
    assert oof.shape == (len(X), 2) and oof.notna().all().all()
    mc, _ = cross_validate_frames(X, pd.DataFrame({"x": Y["a"], "y": ~Y["a"]}), multiclass=True, n_splits=3)
    assert mc["f1"].iloc[-1] > 0.9


def test_supervised_scorer_uses_the_given_classifier(tmp_path):
    texts = ["Chips were banned.", "Shares rose."]
    X = framing.embed_documents(texts, cache_dir=tmp_path)
    clf = FrameClassifier().fit(X, pd.DataFrame({"security_export": [True, False]}))
    out = score_frames(texts, scorer="supervised", classifier=clf, cache_dir=tmp_path)
    assert list(out.columns) == ["security_export"]
    assert out.loc[0, "security_export"] > out.loc[1, "security_export"]


def test_embed_documents_pools_sentences(tmp_path):
    one = framing.embed_documents(["China leads. Japan follows."], cache_dir=tmp_path)[0]
    parts = framing.embed_texts(["China leads.", "Japan follows."], cache_dir=tmp_path).mean(axis=0)
    np.testing.assert_allclose(one, parts / np.linalg.norm(parts), atol=1e-5)
    assert np.allclose(framing.embed_documents([""], cache_dir=tmp_path), 0)


def test_shipped_head_scores_generic_frames(tmp_path):
    if not (framing.FRAMES_DIR / "generic_head.json").is_file():
        pytest.skip("generic_head.json not built yet (bench/framing.py --train-head)")
    head = framing.load_pretrained_classifier()
    assert head.frames_ == GENERIC_FRAMES
    out = score_frames(["Officials clashed over who pays the $2 billion bill."], scorer="pretrained",
                       cache_dir=tmp_path)
    assert list(out.columns) == GENERIC_FRAMES and ((out >= 0) & (out <= 1)).all().all()


CONFLICT_CORPUS = [  # 7 sentences with conflict cue words, then 9 without
    "Critics accused the minister of lying to parliament.",
    "Protesters clashed with police outside the embassy.",
    "The rival factions fought a bitter battle for control of the party.",
    "Beijing condemned the sanctions and vowed to retaliate.",
    "The feud between the two tech giants escalated this week.",
    "Opposition leaders blamed the government for the crisis.",
    "Tensions rose as both sides hit back in the press.",
    "The weather report promised sunshine and a light breeze.",
    "The museum opened a new wing for paintings and sculptures.",
    "The recipe needs flour, eggs and milk.",
    "The train to the coast leaves every hour on weekdays.",
    "The garden was full of roses and tulips in spring.",
    "The library extended its opening hours for students.",
    "The orchestra will perform a symphony by Mozart tonight.",
    "Fresh snow covered the mountain villages overnight.",
    "The bakery sells bread, cakes and pastries.",
]


def test_default_scorer_is_the_mean_of_seeded_and_zero_shot(tmp_path):
    texts = CONFLICT_CORPUS + ["Officials clashed over who pays the $2 billion bill."]
    both = [score_frames(texts, scorer=s, cache_dir=tmp_path) for s in ("seeded", "zero_shot")]
    default = score_frames(texts, cache_dir=tmp_path)
    # Averaged before rounding to 6 decimals, the components after: equal to that precision.
    pd.testing.assert_frame_equal(default, (both[0] + both[1]) / 2, check_exact=False, rtol=0, atol=1e-6)
    assert default.attrs["dictionary_fallback"] == both[0].attrs["dictionary_fallback"]


def test_seeded_scorer_finds_the_frame_without_its_cue_words(tmp_path):
    probe = "The two governments traded bitter insults and threats over the border."
    assert score_frames([probe], scorer="dictionary", cache_dir=tmp_path).loc[0, "conflict"] == 0
    seeded = score_frames(CONFLICT_CORPUS + [probe], scorer="seeded", cache_dir=tmp_path)
    assert "conflict" not in seeded.attrs["dictionary_fallback"]
    assert seeded.loc[len(CONFLICT_CORPUS), "conflict"] > 0.5            # learnt from the cue sentences
    assert seeded.loc[:6, "conflict"].min() > 0.5 > seeded.loc[7:15, "conflict"].max()
    assert ((seeded >= 0) & (seeded <= 1)).all().all()
    again = score_frames(CONFLICT_CORPUS + [probe], scorer="seeded", cache_dir=tmp_path)
    pd.testing.assert_frame_equal(again, seeded)                          # deterministic


@pytest.mark.parametrize("n_cue", [0, 1, framing.SEED_MIN_SENTENCES - 1])
def test_seeded_scorer_falls_back_to_the_dictionary_with_too_few_seeds(tmp_path, n_cue):
    texts = CONFLICT_CORPUS[:n_cue] + CONFLICT_CORPUS[7:16]
    seeded = score_frames(texts, scorer="seeded", cache_dir=tmp_path)
    dictionary = score_frames(texts, scorer="dictionary", cache_dir=tmp_path)
    assert "conflict" in seeded.attrs["dictionary_fallback"]
    pd.testing.assert_series_equal(seeded["conflict"], dictionary["conflict"])


@pytest.mark.parametrize("n, n_pos, cap", [(50, 10, 100), (1000, 30, 200), (1000, 900, 200), (300, 150, 300)])
def test_seeded_training_sample_is_capped_stratified_and_fixed(n, n_pos, cap):
    seeds = np.zeros(n, dtype=bool)
    seeds[np.linspace(0, n - 1, n_pos).astype(int)] = True
    rows = framing._seed_sample(seeds, cap)
    assert len(rows) == min(n, cap) and len(set(rows)) == len(rows)
    if n > cap:
        assert seeds[rows].sum() == min(n_pos, cap // 2)       # every cue sentence kept up to half the sample
    np.testing.assert_array_equal(rows, framing._seed_sample(seeds, cap))


def test_seeded_scorer_on_no_text_is_empty():
    out = score_frames([], scorer="seeded")
    assert out.empty and set(out.attrs["dictionary_fallback"]) == set(load_codebook()["id"])


def test_bench_codebooks_cover_the_public_label_sets(shared_dataset):
    path = shared_dataset("frac", "frac_gold_sentences.jsonl")
    labels = {json.loads(line)["label"].lower() for line in open(path, encoding="utf-8")}
    book = load_codebook(framing.FRAMES_DIR / "frac_codebook.json")
    assert labels - set(book["label"].str.lower()) == {"other"}


def test_train_frame_classifier_on_a_coded_sample(tmp_path):
    money = [f"The deal is worth {n} billion dollars in revenue." for n in range(2, 8)]
    fights = [f"Rival party {c} attacked the government in a bitter row." for c in "ABCDEF"]
    labels = pd.DataFrame({"economic": [True] * 6 + [False] * 6, "conflict": [False] * 6 + [True] * 6})
    clf, metrics = framing.train_frame_classifier(money + fights, labels, n_splits=3, cache_dir=tmp_path)
    assert metrics["f1"].iloc[-1] > 0.9
    out = score_frames(["Shares lost a billion dollars."], scorer="supervised", classifier=clf,
                       cache_dir=tmp_path)
    assert out.loc[0, "economic"] > out.loc[0, "conflict"]
    with pytest.raises(ValueError, match="fewer than 3 positive"):
        framing.train_frame_classifier(money + fights, labels.assign(rare=[True] + [False] * 11), n_splits=3,
                                       cache_dir=tmp_path)


def test_stored_validation_results_are_complete():
    table = framing.load_validation()
    assert {"dataset", "scorer", "setting", "n_units", "macro_f1", "published_macro_f1",
            "run_date"} <= set(table)
    assert set(table["dataset"]) == {"narrative_frames_climate", "frac", "gvfc"}
    assert table["macro_f1"].between(0, 1).all()
    sup = table[table["scorer"] == "supervised"].set_index("dataset")["macro_f1"]
    unsup = table[table["scorer"].isin(["dictionary", "zero_shot", "seeded", "combined"])]
    best = unsup.groupby("dataset")["macro_f1"].max().reindex(sup.index)
    assert (sup > best).all()  # labelled data must help everywhere, or the bench is broken
    # The study reports its article figure as a held-out one: that is true only while the pooling
    # share chosen on each half of the folds is the shipped one, i.e. cross-fitted == main row.
    nf = table[(table["dataset"] == "narrative_frames_climate") & (table["scorer"] == "combined")]
    main = nf[nf["main_setting"].eq(True)]
    crossfit = nf[nf["setting"].str.contains("cross-fitted")]
    assert len(main) == 1 and len(crossfit) == 1
    assert main["macro_f1"].iloc[0] == crossfit["macro_f1"].iloc[0]
    assert f"{framing.COMBINED_TOP_SHARE:.0%}" in main["setting"].iloc[0]
