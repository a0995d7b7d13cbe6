"""Sentiment toward a country in AI news: the target model's representation with a head trained in-domain.

The fine-tuned target model (:mod:`analysis.sentiment.measure`) learnt *how a sentence treats a marked target* from
NewsMTSC, whose targets are people in US political news. Its final linear layer is refitted here on NewsMTSC
plus sentences from AI news coded for the study's construct (``analysis/annotation``), so the decision rule is
learnt where it is used; the encoder and its adapters stay as trained. In-domain sentences are up-weighted
(``domain_weight``) because they are few beside NewsMTSC's 8,739 targets.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.io import read_shard_rows, write_shard
from analysis.numerics import quantize_embeddings, round_scores
from analysis.paths import INTERIM_DIR
from analysis.sentiment.measure import (LABELS, SENTIMENT_DIR, SentimentModelError, collate_targets, load_target_model,
                                tokenize_targets, validate_targets, verify_artefact)

__all__ = ["HEAD_FILE", "target_features", "DomainSentimentHead", "load_domain_head", "predict_domain_sentiment"]

HEAD_FILE = SENTIMENT_DIR / "domain_head.json"
FEATURE_CACHE = INTERIM_DIR / "target_features"


def _key(fingerprint: str, sentence: str, span: tuple[int, int]) -> str:
    return hashlib.sha256(f"{fingerprint}\x00{span[0]}:{span[1]}\x00{sentence}".encode("utf-8")).hexdigest()


def _fingerprint(model_dir: Path) -> str:
    """Identity of the target model: its verified file checksums (a corrupted or missing file raises first)."""
    sums = verify_artefact(model_dir)
    listing = "".join(f"{digest}  {name}\n" for name, digest in sorted(sums.items()))
    return hashlib.sha256(("fp64-q20|" + listing).encode("utf-8")).hexdigest()[:16]


def _compute(sentences: list[str], spans: list[tuple[int, int]], *, batch_size: int, model_dir) -> np.ndarray:
    import torch

    model, tokenizer, config = load_target_model(model_dir, precision="fp64")
    items = tokenize_targets(tokenizer, sentences, spans, max_length=config["max_length"])
    order = np.argsort([len(it["input_ids"]) for it in items], kind="stable")
    out = np.zeros((len(items), model.head.in_features), dtype=np.float64)
    with torch.inference_mode():
        for i in range(0, len(order), batch_size):
            idx = order[i:i + batch_size]
            batch = collate_targets([items[j] for j in idx], tokenizer.pad_token_id or 0)
            h = model.forward_bottom(batch["input_ids"], batch["attention_mask"])
            out[idx] = model.pool_top(h, batch["attention_mask"], batch["target_mask"]).double().numpy()
    return quantize_embeddings(out)


def target_features(sentences, spans, *, batch_size: int = 64, model_dir: str | Path = SENTIMENT_DIR,
                    cache_dir: str | Path | None = FEATURE_CACHE) -> np.ndarray:
    """The target model's pooled representation ``[sentence mean, target mean]`` (n × 768, float64).

    Computed in float64 and quantised (:func:`analysis.numerics.quantize_embeddings`), so the features are the
    same on any CPU; cached under ``cache_dir`` by a hash of model files, sentence and span.

    Raises:
        ValueError: an empty sentence or a span outside its sentence (:func:`validate_targets`).
    """
    sentences, spans = validate_targets(sentences, spans)
    if not sentences:
        return np.zeros((0, 768), dtype=np.float64)
    fingerprint = _fingerprint(Path(model_dir))
    keys = [_key(fingerprint, s, sp) for s, sp in zip(sentences, spans)]
    folder = Path(cache_dir) / fingerprint if cache_dir is not None else None
    cache = read_shard_rows(folder, keys, field="values") if folder is not None else {}
    first: dict[str, int] = {}  # one computation per distinct (sentence, span)
    for i, key in enumerate(keys):
        if key not in cache:
            first.setdefault(key, i)
    todo = list(first.values())
    if todo:
        fresh = _compute([sentences[i] for i in todo], [spans[i] for i in todo], batch_size=batch_size,
                         model_dir=model_dir)
        new_keys = [keys[i] for i in todo]
        cache.update(zip(new_keys, fresh))
        if folder is not None:  # a new shard per call: concurrent writers (chunks, Dask workers) never clash
            write_shard(folder, new_keys, fresh, field="values")
    return np.stack([cache[k] for k in keys])


class DomainSentimentHead:
    """Multinomial logistic regression on :func:`target_features` (scikit-learn estimator rules).

    Args:
        C: Inverse L2 strength.
        domain_weight: Sample weight of an in-domain sentence relative to a NewsMTSC one.
        class_weight: Passed to scikit-learn (``"balanced"`` by default: positive and negative portrayals
            are rarer than neutral ones in news).
    """

    def __init__(self, *, C: float = 1.0, domain_weight: float = 5.0, class_weight: str | None = "balanced"):
        self.C = C
        self.domain_weight = domain_weight
        self.class_weight = class_weight

    def get_params(self, deep: bool = True) -> dict:
        return {"C": self.C, "domain_weight": self.domain_weight, "class_weight": self.class_weight}

    def fit(self, X, y, *, in_domain, model_dir: str | Path = SENTIMENT_DIR) -> "DomainSentimentHead":
        """Fit on features ``X`` (from the target model in ``model_dir``), labels ``y`` and an in-domain flag per row."""
        from sklearn.linear_model import LogisticRegression

        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y)
        unknown = sorted(set(y) - set(LABELS))
        if unknown:
            raise ValueError(f"DomainSentimentHead.fit: label(s) {unknown} not in {list(LABELS)}")
        self.base_fingerprint_ = _fingerprint(Path(model_dir))
        self.mean_ = X.mean(axis=0)
        self.scale_ = X.std(axis=0) + 1e-6
        weight = np.where(np.asarray(in_domain, dtype=bool), self.domain_weight, 1.0)
        model = LogisticRegression(C=self.C, class_weight=self.class_weight, max_iter=3000)
        model.fit((X - self.mean_) / self.scale_, y, sample_weight=weight)
        order = [list(model.classes_).index(label) for label in LABELS]
        self.coef_ = model.coef_[order]
        self.intercept_ = model.intercept_[order]
        return self

    def predict_proba(self, X) -> np.ndarray:
        z = ((np.asarray(X, dtype=np.float64) - self.mean_) / self.scale_) @ self.coef_.T + self.intercept_
        z = z - z.max(axis=1, keepdims=True)
        p = np.exp(z)
        return round_scores(p / p.sum(axis=1, keepdims=True))

    def predict(self, X) -> np.ndarray:
        return np.asarray(LABELS, dtype=object)[self.predict_proba(X).argmax(axis=1)]

    def to_dict(self) -> dict:
        return {"params": self.get_params(), "labels": list(LABELS), "base_fingerprint": self.base_fingerprint_,
                "mean": self.mean_.tolist(),
                "scale": self.scale_.tolist(), "coef": self.coef_.tolist(), "intercept": self.intercept_.tolist()}

    @classmethod
    def from_dict(cls, data: dict) -> "DomainSentimentHead":
        head = cls(**data["params"])
        head.base_fingerprint_ = data.get("base_fingerprint")
        head.mean_ = np.asarray(data["mean"], dtype=np.float64)
        head.scale_ = np.asarray(data["scale"], dtype=np.float64)
        head.coef_ = np.asarray(data["coef"], dtype=np.float64)
        head.intercept_ = np.asarray(data["intercept"], dtype=np.float64)
        return head


def load_domain_head(path: str | Path = HEAD_FILE, *, model_dir: str | Path = SENTIMENT_DIR) -> DomainSentimentHead:
    """Load the in-domain head that sits on the target model in ``model_dir``.

    Raises:
        SentimentModelError: the head file is missing, or it was trained on another version of the target
            model (its recorded fingerprint differs from ``model_dir``'s checksums).
    """
    path = Path(path)
    if not path.exists():
        raise SentimentModelError(f"{path} is missing; restore it from git or retrain it with "
                                  "`python bench/indomain_validity.py --write-heads`")
    data = json.loads(path.read_text(encoding="utf-8"))
    expected = _fingerprint(Path(model_dir))
    if data.get("base_fingerprint") != expected:
        raise SentimentModelError(f"{path} was trained on a different target model than {model_dir} "
                                  f"({data.get('base_fingerprint')} != {expected}); retrain it with "
                                  "`python bench/indomain_validity.py --write-heads`")
    return DomainSentimentHead.from_dict(data)


def predict_domain_sentiment(sentences, spans, *, batch_size: int = 64, model_dir: str | Path = SENTIMENT_DIR,
                             cache_dir: str | Path | None = FEATURE_CACHE) -> pd.DataFrame:
    """Sentiment toward the target with the in-domain head: ``label, p_negative, p_neutral, p_positive, score``.

    The head is ``model_dir/domain_head.json``; the target model in ``model_dir`` is verified (sha256) first.
    """
    head = load_domain_head(Path(model_dir) / HEAD_FILE.name, model_dir=model_dir)
    X = target_features(sentences, spans, batch_size=batch_size, model_dir=model_dir, cache_dir=cache_dir)
    probs = head.predict_proba(X) if len(X) else np.zeros((0, 3))
    out = pd.DataFrame(probs, columns=["p_negative", "p_neutral", "p_positive"])
    out.insert(0, "label", np.asarray(LABELS, dtype=object)[probs.argmax(1)] if len(probs) else [])
    out["score"] = round_scores(out["p_positive"] - out["p_negative"])
    return out

