"""Tests for analysis.sentiment.measure: the shipped target scorer, the VADER baseline and bad input.

The target model is loaded from the shipped artefact (never retrained here).
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.sentiment import measure as sm
from analysis.sentiment.validation import read_validation_metrics
from analysis.embeddings import MINILM_SHA256, ModelChecksumError


def span_of(sentence: str, target: str, occurrence: int = 0) -> tuple[int, int]:
    start = -1
    for _ in range(occurrence + 1):
        start = sentence.index(target, start + 1)
    return start, start + len(target)


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize("sentences, spans, match", [
    (["China grew."], [(0, 50)], "outside the sentence"),
    (["China grew."], [(-1, 5)], "outside the sentence"),
    (["China grew."], [(5, 5)], "outside the sentence"),
    (["China grew."], [(6, 3)], "outside the sentence"),
    ([""], [(0, 1)], "empty"),
    (["   "], [(0, 1)], "empty"),
    ([None], [(0, 1)], "empty or not a string"),
    (["China grew.", "Japan fell."], [(0, 5)], "2 sentences but 1 spans"),
    (["China grew."], [(0, 1, 2)], "not a \\(start, end\\) pair"),
])
@pytest.mark.parametrize("scorer", ["vader", "target"])
def test_bad_input_raises_clear_error(sentences, spans, match, scorer):
    with pytest.raises(ValueError, match=match):
        sm.predict_target_sentiment(sentences, spans, scorer=scorer)


def test_error_names_the_row():
    with pytest.raises(ValueError, match="Row 1"):
        sm.validate_targets(["China grew.", "Japan fell."], [(0, 5), (0, 99)])


@pytest.mark.parametrize("kwargs, match", [({"scorer": "roberta"}, "Unknown scorer"), ({"batch_size": 0}, "batch_size")])
def test_bad_options(kwargs, match):
    with pytest.raises(ValueError, match=match):
        sm.predict_target_sentiment(["China grew."], [(0, 5)], **kwargs)


# ------------------------------------------------------------------ marking
@pytest.mark.parametrize("sentence, target", [
    ("China rose.", "China"),
    ("Experts praised Japan", "Japan"),
    ("In Kuala Lumpur, officials met.", "Kuala Lumpur"),
    ("The U.S.-China talks stalled.", "China"),
])
def test_mark_target_wraps_exact_span(sentence, target):
    start, end = span_of(sentence, target)
    marked, lo, hi = sm.mark_target(sentence, start, end)
    assert marked[lo:hi] == f"< {target} >"
    assert marked.replace(f"< {target} >", target, 1) == sentence


@settings(max_examples=50, deadline=None)
@given(st.text(min_size=1, max_size=900), st.data())
def test_mark_target_property_crops_around_target(text, data):
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    marked, lo, hi = sm.mark_target(text, start, end, context_chars=100)
    assert marked[lo:hi] == f"< {text[start:end]} >"
    assert len(marked) <= (end - start) + 4 + 200


# ------------------------------------------------------------------ VADER baseline
def test_vader_labels_whole_sentence_and_ignores_target():
    sentence = "China's model impressed experts while Japan's stalled."
    out = sm.predict_target_sentiment([sentence, sentence], [span_of(sentence, "China"), span_of(sentence, "Japan")],
                                      scorer="vader")
    assert list(out.columns) == sm.OUTPUT_COLUMNS
    # The baseline's known flaw: both targets get the same sentence-level answer.
    assert out.iloc[0].drop("scorer").equals(out.iloc[1].drop("scorer"))


@pytest.mark.parametrize("sentence, expected", [
    ("China's wonderful success delighted everyone.", "positive"),
    ("China's terrible failure was a disaster.", "negative"),
    ("China held a meeting on Tuesday.", "neutral"),
])
def test_vader_baseline_labels(sentence, expected):
    out = sm.predict_target_sentiment([sentence], [(0, 5)], scorer="vader")
    assert out["label"].item() == expected
    assert out[["p_negative", "p_neutral", "p_positive"]].sum(axis=1).item() == pytest.approx(1.0, abs=0.01)
    assert -1 <= out["score"].item() <= 1


# ------------------------------------------------------------------ target scorer (shipped artefact)
TARGET_CASES = [
    ("China's model impressed experts, while Japan's model stalled badly.", "China", "positive"),
    ("China's model impressed experts, while Japan's model stalled badly.", "Japan", "negative"),
    ("Critics accused Malaysia of covering up the corruption scandal.", "Malaysia", "negative"),
    ("Japan was praised for its generous and effective aid.", "Japan", "positive"),
    ("Officials from China will attend the meeting on Tuesday.", "China", "neutral"),
]


@pytest.fixture(scope="module")
def target_predictions():
    sentences = [c[0] for c in TARGET_CASES]
    spans = [span_of(s, t) for s, t, _ in TARGET_CASES]
    return sm.predict_target_sentiment(sentences, spans, scorer="target")


def test_target_scorer_is_default_and_well_formed(target_predictions):
    assert sm.DEFAULT_SCORER == "indomain" and "target" in sm.SCORERS
    out = target_predictions
    assert list(out.columns) == sm.OUTPUT_COLUMNS and len(out) == len(TARGET_CASES)
    probs = out[["p_negative", "p_neutral", "p_positive"]].to_numpy()
    np.testing.assert_allclose(probs.sum(1), 1.0, atol=1e-6)
    assert (out["label"] == np.asarray(sm.LABELS)[probs.argmax(1)]).all()
    np.testing.assert_allclose(out["score"], probs[:, 2] - probs[:, 0])


@pytest.mark.parametrize("i", range(len(TARGET_CASES)))
def test_target_scorer_on_clear_examples(target_predictions, i):
    sentence, target, expected = TARGET_CASES[i]
    assert target_predictions["label"].iloc[i] == expected, (sentence, target)


def test_target_scorer_depends_on_target(target_predictions):
    # Same sentence, two targets, opposite answers: what VADER cannot do.
    china, japan = target_predictions["score"].iloc[0], target_predictions["score"].iloc[1]
    assert china > japan + 0.4


@pytest.mark.xfail(strict=True, reason="known limit: with a one-word cue ('stalled') for the second target, the "
                   "positive first clause dominates; see MODEL_CARD.md")
def test_target_scorer_known_limit_short_contrast():
    sentence = "China's model impressed experts while Japan's stalled."
    out = sm.predict_target_sentiment([sentence], [span_of(sentence, "Japan")], scorer="target")
    assert out["label"].item() == "negative"


def test_target_scorer_batching_and_order_invariant():
    sentences = [c[0] for c in TARGET_CASES][::-1]
    spans = [span_of(s, t) for s, t, _ in TARGET_CASES][::-1]
    one = sm.predict_target_sentiment(sentences, spans, batch_size=1)
    many = sm.predict_target_sentiment(sentences, spans, batch_size=64)
    # fp64 (the default): batch padding changes the float64 result in the 16th digit, far below the 6 kept.
    pd.testing.assert_frame_equal(one, many)
    assert one["label"].tolist() == [c[2] for c in TARGET_CASES][::-1]


@pytest.mark.parametrize("precision, tolerance, same_labels", [("int8", 0.5, False), ("bf16", 0.05, True)])
def test_fast_precisions_agree_on_clear_examples(target_predictions, precision, tolerance, same_labels):
    sentences = [c[0] for c in TARGET_CASES]
    spans = [span_of(s, t) for s, t, _ in TARGET_CASES]
    fast = sm.predict_target_sentiment(sentences, spans, scorer="target", precision=precision)
    # bf16 keeps every label. int8 is lossier (NewsMTSC cost in MODEL_CARD.md): with the pair-augmented
    # adapters it moves the contrast sentence's China score from 0.71 to 0.23 (positive -> neutral), so
    # for int8 only the direction of each score must survive, and the single-target labels.
    if same_labels:
        assert fast["label"].tolist() == target_predictions["label"].tolist()
    else:
        assert fast["label"].tolist()[2:] == target_predictions["label"].tolist()[2:]
    np.testing.assert_allclose(fast["score"], target_predictions["score"], atol=tolerance)
    assert (np.sign(fast["score"]) == np.sign(target_predictions["score"])).all()


def test_unknown_precision_is_refused():
    with pytest.raises(ValueError, match="precision"):
        sm.predict_target_sentiment(["China grew."], [(0, 5)], precision="fp16")


def test_merged_adapters_compute_the_trained_function():
    """Inference folds LoRA into the encoder; it must equal the unmerged model used in training."""
    import torch
    from safetensors.torch import load_file

    config = json.loads((sm.SENTIMENT_DIR / sm.CONFIG_FILE).read_text())
    unmerged, tokenizer = sm.build_classifier(config)
    unmerged.load_state_dict(load_file(str(sm.SENTIMENT_DIR / sm.WEIGHTS_FILE)), strict=False)
    unmerged.eval()
    merged, _, _ = sm.load_target_model()
    assert not any("lora" in name for name, _ in merged.named_parameters())
    sentences = [c[0] for c in TARGET_CASES]
    batch = sm.encode_batch(tokenizer, sentences, [span_of(s, t) for s, t, _ in TARGET_CASES],
                            max_length=config["max_length"])
    with torch.inference_mode():
        np.testing.assert_allclose(merged(**batch).numpy(), unmerged(**batch).numpy(), atol=1e-4)


def test_target_scorer_handles_very_long_sentence():
    filler = "The committee discussed the budget in great detail. " * 40
    sentence = filler + "Critics accused Malaysia of covering up the corruption scandal."
    out = sm.predict_target_sentiment([sentence], [span_of(sentence, "Malaysia")])
    assert out["label"].item() == "negative"


def test_empty_input_gives_empty_table():
    for scorer in sm.SCORERS:
        out = sm.predict_target_sentiment([], [], scorer=scorer)
        assert out.empty and list(out.columns) == sm.OUTPUT_COLUMNS


# ------------------------------------------------------------------ artefact integrity
@pytest.fixture
def artefact_copy(tmp_path):
    folder = tmp_path / "sentiment"
    shutil.copytree(sm.SENTIMENT_DIR, folder)
    return folder


def test_shipped_artefact_verifies_and_is_small():
    sums = sm.verify_artefact()
    assert set(sums) >= {sm.WEIGHTS_FILE, sm.CONFIG_FILE}
    total = sum((sm.SENTIMENT_DIR / name).stat().st_size for name in sums)
    assert total < 25 * 2**20
    config = json.loads((sm.SENTIMENT_DIR / sm.CONFIG_FILE).read_text())
    assert config["base_sha256"] == MINILM_SHA256 and config["labels"] == list(sm.LABELS)


def test_corrupted_weights_fail_checksum(artefact_copy):
    weights = artefact_copy / sm.WEIGHTS_FILE
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(ModelChecksumError, match="corrupted"):
        sm.predict_target_sentiment(["China grew."], [(0, 5)], model_dir=artefact_copy)


def test_edited_config_fails_checksum(artefact_copy):
    config = artefact_copy / sm.CONFIG_FILE
    config.write_text(config.read_text().replace('"max_length": 128', '"max_length": 64'))
    with pytest.raises(ModelChecksumError):
        sm.load_target_model(artefact_copy)


@pytest.mark.parametrize("missing", [sm.WEIGHTS_FILE, sm.CHECKSUM_FILE])
def test_missing_artefact_file_fails_clearly(artefact_copy, missing):
    (artefact_copy / missing).unlink()
    with pytest.raises(sm.SentimentModelError, match="missing"):
        sm.predict_target_sentiment(["China grew."], [(0, 5)], model_dir=artefact_copy)


def test_stored_validation_metrics_cover_scorers_and_splits():
    metrics = read_validation_metrics()
    assert {"vader", "frozen_minilm_logreg", "target"} <= set(metrics["scorer"])
    target = metrics[metrics.scorer == "target"].set_index("split")
    assert set(target.index) == {"dev_rw", "dev_mt", "test_mt"}
    vader = metrics[metrics.scorer == "vader"].set_index("split")
    # The fine-tuned scorer must beat the baseline it replaces on every split.
    assert (target["macro_f1"] > vader["macro_f1"]).all()


# ------------------------------------------------------------------ shared data (skips when absent)
def test_newsmtsc_loader_and_vader_metric_reproduce(shared_dataset):
    from analysis.sentiment.validation import load_newsmtsc, score_split

    shared_dataset("newsmtsc", "dev_rw.jsonl")
    dev = load_newsmtsc("dev_rw")
    assert len(dev) == 343
    assert (dev.apply(lambda r: r.sentence[r.start:r.end], axis=1) == dev.mention).all()
    pred = sm.predict_target_sentiment(dev.sentence, zip(dev.start, dev.end), scorer="vader")["label"]
    stored = read_validation_metrics().set_index(["scorer", "split"]).loc[("vader", "dev_rw")]
    assert score_split(dev.label, pred)["macro_f1"] == pytest.approx(stored["macro_f1"], abs=1e-4)


def test_validation_table_includes_published_reference():
    from analysis.sentiment.validation import validation_table

    table = validation_table()
    published = table[table["scorer"].str.contains("NewsSentiment")]
    assert published["macro_f1"].tolist() == [0.831]
    assert isinstance(table, pd.DataFrame) and table["macro_f1"].between(0, 1).all()


@pytest.mark.parametrize("window", [0, 2])
def test_local_window_pools_only_tokens_near_the_target(window):
    """The optional local-context pool averages exactly the tokens within `window` of the target."""
    import torch

    from analysis.sentiment.train import DEFAULT_CONFIG

    model, tokenizer = sm.build_classifier({**DEFAULT_CONFIG, "local_window": window})
    assert model.head.in_features == (3 if window else 2) * 384
    sentence = "Yesterday in Geneva officials from China met many other delegates."
    batch = sm.encode_batch(tokenizer, [sentence], [span_of(sentence, "China")], max_length=64)
    h = torch.randn(1, batch["input_ids"].shape[1], 384)
    model.split_layer = len(model.encoder.encoder.layer)  # no layers on top: pool the given states directly
    pooled = model.pool_top(h, batch["attention_mask"], batch["target_mask"])
    assert pooled.shape == (1, (3 if window else 2) * 384)
    if window:
        where = torch.nonzero(batch["target_mask"][0]).flatten()
        lo, hi = int(where.min()) - window, int(where.max()) + window
        np.testing.assert_allclose(pooled[0, 768:].numpy(), h[0, lo:hi + 1].mean(0).numpy(), atol=1e-5)
