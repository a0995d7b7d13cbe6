"""Frames of a sentence about a country in AI news: heads trained on the study's own coded sentences.

One logistic regression per codebook frame on three kinds of sentence features: the sentence embedding
(all-MiniLM-L6-v2, quantised), the codebook's dictionary scores and its zero-shot scores
(:mod:`analysis.framing.measure`), plus the sentence's word n-grams. The shipped head decides at probability 0.5
(balanced class weights; per-frame thresholds chosen by grouped cross-validation are available with
``n_splits > 0`` but moved the validated macro-F1 by less than 0.001, so the study does not use them). A frame
with too few coded positives to train keeps the label-free ``combined`` score and is listed in ``fallback_``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.framing.measure import (FRAMES_DIR, _dictionary_sentence_scores, _embed, _resolve_codebook,
                              _zero_shot_sentence_scores)
from analysis.numerics import round_scores
from analysis.validity import grouped_folds as _grouped_folds

__all__ = ["HEAD_FILE", "MIN_POSITIVES", "sentence_features", "DomainFrameHead", "load_domain_frame_head"]

HEAD_FILE = FRAMES_DIR / "domain_head.json"
#: A frame needs at least this many coded positive sentences to get a trained head.
MIN_POSITIVES = 15


def sentence_features(sentences, *, codebook=None, model="all-MiniLM-L6-v2", cache_dir="default") -> np.ndarray:
    """``[embedding (384), dictionary scores, zero-shot scores]`` per sentence (float64).

    Raises:
        ValueError: a sentence that is not a string.
    """
    sentences = list(sentences)
    for i, s in enumerate(sentences):
        if not isinstance(s, str):
            raise ValueError(f"sentence {i} is {type(s).__name__}, not str")
    book = _resolve_codebook(codebook)
    if not sentences:
        return np.zeros((0, 384 + 2 * len(book)))
    vecs = _embed(sentences, model=model, cache_dir=cache_dir)
    dictionary = _dictionary_sentence_scores(sentences, book)
    zero_shot = _zero_shot_sentence_scores(sentences, book, model=model, cache_dir=cache_dir)
    return np.hstack([vecs, round_scores(dictionary), round_scores(zero_shot)])


def _best_threshold(y: np.ndarray, p: np.ndarray) -> float:
    grid = np.round(np.arange(0.1, 0.91, 0.05), 2)
    f1 = []
    for t in grid:
        pred = p >= t
        tp = float((pred & y).sum())
        f1.append(2 * tp / max(float(pred.sum() + y.sum()), 1.0))
    return float(grid[int(np.argmax(f1))])


class DomainFrameHead:
    """Per-frame logistic regressions on dense sentence features and word n-grams, with per-frame thresholds.

    The dense block (:func:`sentence_features`, standardised) and a TF-IDF block of the sentence's word
    unigrams and bigrams get separate L2 strengths: one logistic regression with ``C=1`` on
    ``[sqrt(C_dense) * dense, sqrt(C_words) * tfidf]`` penalises each block as ``1 / C_block`` would.

    Args:
        C_dense: Inverse L2 strength of the dense block.
        C_words: Inverse L2 strength of the word block (0 leaves words out).
        min_positives: Frames with fewer coded positives fall back to the label-free scorer.
        n_splits: Folds of the grouped cross-validation that picks each frame's threshold (0: threshold 0.5).
        random_state: Seed for the solver.
    """

    def __init__(self, *, C_dense: float = 0.01, C_words: float = 3.0, min_positives: int = MIN_POSITIVES,
                 n_splits: int = 0, random_state: int = 0):
        self.C_dense = C_dense
        self.C_words = C_words
        self.min_positives = min_positives
        self.n_splits = n_splits
        self.random_state = random_state

    def get_params(self, deep: bool = True) -> dict:
        return {"C_dense": self.C_dense, "C_words": self.C_words, "min_positives": self.min_positives,
                "n_splits": self.n_splits, "random_state": self.random_state}

    @staticmethod
    def _vectorizer(vocabulary=None):
        from sklearn.feature_extraction.text import TfidfVectorizer

        return TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, vocabulary=vocabulary)

    def _design(self, X: np.ndarray, sentences, mean, scale, words):
        from scipy import sparse

        dense = sparse.csr_matrix((np.asarray(X, dtype=np.float64) - mean) / scale * np.sqrt(self.C_dense))
        if words is None:
            return dense
        return sparse.hstack([dense, words.transform(list(sentences)) * np.sqrt(self.C_words)]).tocsr()

    def _fit_block(self, X, sentences, Y: pd.DataFrame):
        from sklearn.linear_model import LogisticRegression

        mean, scale = X.mean(axis=0), X.std(axis=0) + 1e-6
        words = self._vectorizer().fit(list(sentences)) if self.C_words > 0 else None
        design = self._design(X, sentences, mean, scale, words)
        models = {}
        for frame in Y.columns:
            y = Y[frame].to_numpy(bool)
            models[frame] = LogisticRegression(C=1.0, class_weight="balanced", max_iter=3000,
                                               random_state=self.random_state).fit(design, y)
        return mean, scale, words, models

    def _proba(self, block, X, sentences) -> np.ndarray:
        mean, scale, words, models = block
        design = self._design(X, sentences, mean, scale, words)
        return np.column_stack([models[f].predict_proba(design)[:, 1] for f in models]) if models else \
            np.zeros((len(X), 0))

    def fit(self, X, sentences, Y: pd.DataFrame, *, groups) -> "DomainFrameHead":
        """Fit on dense features ``X``, the sentences, a boolean frame table ``Y`` and a group per row.

        Raises:
            ValueError: row counts differ.
        """
        X = np.asarray(X, dtype=np.float64)
        sentences = list(sentences)
        if not len(Y) == len(X) == len(groups) == len(sentences):
            raise ValueError(f"DomainFrameHead.fit: {len(X)} feature rows, {len(sentences)} sentences, "
                             f"{len(Y)} label rows, {len(groups)} groups; give one of each per sentence")
        Y = Y.reset_index(drop=True).astype(bool)
        counts = Y.sum()
        self.feature_frames_ = [str(f) for f in Y.columns]  # codebook order of the dictionary/zero-shot columns
        self.frames_ = [f for f in Y.columns if counts[f] >= self.min_positives]
        self.fallback_ = [f for f in Y.columns if counts[f] < self.min_positives]
        self.thresholds_ = {f: 0.5 for f in self.frames_}
        if self.n_splits:
            folds = _grouped_folds(list(groups), self.n_splits)
            oof = np.zeros((len(X), len(self.frames_)))
            for k in range(self.n_splits):
                test = folds == k
                block = self._fit_block(X[~test], [s for s, t in zip(sentences, test) if not t],
                                        Y.loc[~test, self.frames_])
                oof[test] = self._proba(block, X[test], [s for s, t in zip(sentences, test) if t])
            self.thresholds_ = {f: _best_threshold(Y[f].to_numpy(), oof[:, j]) for j, f in enumerate(self.frames_)}
        self.block_ = self._fit_block(X, sentences, Y[self.frames_])
        return self

    def predict_proba(self, X, sentences) -> pd.DataFrame:
        """Probability per trained frame (columns ``frames_``), rounded to 6 decimals."""
        return pd.DataFrame(round_scores(self._proba(self.block_, np.asarray(X, dtype=np.float64), list(sentences))),
                            columns=self.frames_)

    def predict(self, X, sentences) -> pd.DataFrame:
        return self.predict_proba(X, sentences).ge(pd.Series(self.thresholds_), axis=1)

    def to_dict(self) -> dict:
        mean, scale, words, models = self.block_
        return {"params": self.get_params(), "frames": self.frames_, "fallback": self.fallback_,
                "feature_frames": self.feature_frames_,
                "thresholds": self.thresholds_, "mean": mean.tolist(), "scale": scale.tolist(),
                "vocabulary": None if words is None else sorted(words.vocabulary_, key=words.vocabulary_.get),
                "idf": None if words is None else words.idf_.tolist(),
                "coef": {f: m.coef_[0].tolist() for f, m in models.items()},
                "intercept": {f: float(m.intercept_[0]) for f, m in models.items()}}

    @classmethod
    def from_dict(cls, data: dict) -> "DomainFrameHead":
        from sklearn.linear_model import LogisticRegression

        head = cls(**data["params"])
        head.frames_, head.fallback_ = list(data["frames"]), list(data["fallback"])
        head.feature_frames_ = list(data.get("feature_frames") or [*data["frames"], *data["fallback"]])
        head.thresholds_ = {k: float(v) for k, v in data["thresholds"].items()}
        words = None
        if data["vocabulary"] is not None:
            words = cls._vectorizer(vocabulary={t: i for i, t in enumerate(data["vocabulary"])})
            words.fit(["placeholder"])  # builds the analyzer; the idf is then set from the file
            words.idf_ = np.asarray(data["idf"], dtype=np.float64)
        models = {}
        for frame in head.frames_:
            model = LogisticRegression()
            model.classes_ = np.array([False, True])
            model.coef_ = np.asarray([data["coef"][frame]], dtype=np.float64)
            model.intercept_ = np.asarray([data["intercept"][frame]], dtype=np.float64)
            models[frame] = model
        head.block_ = (np.asarray(data["mean"], dtype=np.float64), np.asarray(data["scale"], dtype=np.float64),
                       words, models)
        return head


def load_domain_frame_head(path: str | Path = HEAD_FILE) -> DomainFrameHead:
    """Load the shipped in-domain frame head.

    Raises:
        FileNotFoundError: the file is missing (names it and how to rebuild it).
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing; restore it from git or retrain it with "
                                "`python bench/indomain_validity.py --write-heads`")
    return DomainFrameHead.from_dict(json.loads(path.read_text(encoding="utf-8")))


def indomain_sentence_scores(sentences: list[str], book: pd.DataFrame, *, model="all-MiniLM-L6-v2",
                             cache_dir="default", head_path: str | Path = HEAD_FILE) -> tuple[np.ndarray, list[str]]:
    """Per-sentence frame scores from the shipped head, in codebook order, and the frames that fell back.

    Frames the head was not trained for (too few coded positives) get the label-free ``"combined"`` score.
    The head's decision threshold is 0.5, so its probabilities are used as scores directly.

    Raises:
        ValueError: the codebook has frames the head does not know (the head belongs to the study codebook).
    """
    from analysis.framing.measure import _seeded_sentence_scores

    head = load_domain_frame_head(head_path)
    if set(book["id"]) != set(head.feature_frames_):
        raise ValueError(f"scorer='indomain' is trained for the study codebook ({head.feature_frames_}); this codebook "
                         f"has {list(book['id'])}. Use scorer='default' for your own codebook, or train a head on your "
                         "coded sentences.")
    if any(t != 0.5 for t in head.thresholds_.values()):
        raise ValueError(f"{head_path}: the head has per-frame thresholds {head.thresholds_}, but the scorer decides "
                         "at 0.5; refit it with n_splits=0")
    order = {f: i for i, f in enumerate(head.feature_frames_)}
    study_order = book.assign(_k=book["id"].map(order)).sort_values("_k", kind="stable").drop(columns="_k")
    book_ids = list(book["id"])
    book = study_order.reset_index(drop=True)  # the features must be built in the order the head was fitted on
    scores = np.zeros((len(sentences), len(book)))
    if not sentences:
        return scores, [f for f in book_ids if f not in head.frames_]
    X = sentence_features(sentences, codebook=book, model=model, cache_dir=cache_dir)
    proba = head.predict_proba(X, sentences)
    fallback = [f for f in book_ids if f not in head.frames_]
    if fallback:
        seeded, _ = _seeded_sentence_scores(sentences, book, model=model, cache_dir=cache_dir)
        combined = (seeded + _zero_shot_sentence_scores(sentences, book, model=model, cache_dir=cache_dir)) / 2.0
    position = {f: j for j, f in enumerate(book["id"])}
    for j, frame in enumerate(book_ids):  # back in the caller's codebook order
        scores[:, j] = proba[frame].to_numpy() if frame in head.frames_ else combined[:, position[frame]]
    return round_scores(scores), fallback
