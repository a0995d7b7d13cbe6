"""The in-domain sentiment head of ``bench/indomain_validity.py``: nested, outlet-grouped CV and the final fit.

The head (:class:`analysis.sentiment.domain.DomainSentimentHead`) is a multinomial logistic regression on the
shipped target model's pooled representation, trained on the coded AI-news items plus a fixed, seeded sample of
NewsMTSC training targets. Its two hyper-parameters come from ``SENTIMENT_GRID``, chosen inside each training
fold by an inner outlet-grouped cross-validation; the outer predictions are what is scored.

Measured and not kept (2026-12-01, 1,597 coded items, outer CV grouped by outlet, direct references):
continuing to train the target model's adapters on the same data (2 epochs, lr 3e-4, 2,000 NewsMTSC rows
replayed) gave macro-F1 0.645 and took 18 minutes per cross-validation; adding the MiniLM sentence embedding,
the frame scores or a TF-IDF block of the sentence to the head's features moved macro-F1 by at most +0.012
(0.648 to 0.660) and lowered NewsMTSC test_mt.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from analysis.sentiment.measure import predict_target_sentiment
from analysis.sentiment.domain import HEAD_FILE, DomainSentimentHead, predict_domain_sentiment, target_features
from analysis.sentiment.validation import EVAL_SPLITS, load_newsmtsc, score_split
from analysis.validity import grouped_folds, macro_f1, site_groups, validation_row

N_REPLAY = 4000
SENTIMENT_GRID = [{"C": 0.003, "domain_weight": 3.0}, {"C": 0.003, "domain_weight": 6.0},
                  {"C": 0.01, "domain_weight": 3.0}]
N_FOLDS = 5
SEED = 0
LABELS = ("negative", "neutral", "positive")


def _replay():
    train = load_newsmtsc("train").sample(n=N_REPLAY, random_state=SEED)
    return target_features(train["sentence"].tolist(), list(zip(train["start"], train["end"]))), \
        train["label"].to_numpy()


def _fit(X, y, params, replay) -> DomainSentimentHead:
    Xn, yn = replay
    flags = np.r_[np.zeros(len(yn), bool), np.ones(len(y), bool)]
    return DomainSentimentHead(**params).fit(np.vstack([Xn, X]), np.concatenate([yn, y]), in_domain=flags)


def _features(data: pd.DataFrame) -> np.ndarray:
    return target_features(data["sentence"].tolist(), list(zip(data["mention_start"], data["mention_end"])))


def predict_cv(data: pd.DataFrame) -> np.ndarray:
    """Outer outlet-grouped CV predictions; each fold picks its parameters by an inner grouped CV."""
    replay, X, y = _replay(), _features(data), data["sentiment"].to_numpy()
    outlets = site_groups(data["doc"], data["sentence"])
    outer = grouped_folds(list(outlets), N_FOLDS)
    pred = np.empty(len(data), dtype=object)
    for k in range(N_FOLDS):
        train = outer != k
        inner = grouped_folds(list(outlets[train]), N_FOLDS - 1)
        Xt, yt = X[train], y[train]
        scores = []
        for params in SENTIMENT_GRID:
            inner_pred = np.empty(len(yt), dtype=object)
            for j in range(N_FOLDS - 1):
                inner_pred[inner == j] = _fit(Xt[inner != j], yt[inner != j], params, replay).predict(Xt[inner == j])
            scores.append(macro_f1(yt, inner_pred, LABELS))
        best = SENTIMENT_GRID[int(np.argmax(scores))]
        pred[~train] = _fit(Xt, yt, best, replay).predict(X[~train])
        print(json.dumps({"stage": "sentiment_fold", "fold": k, "inner_macro_f1": [round(s, 4) for s in scores],
                          "chosen": best}), flush=True)
    return pred


def choose_params(data: pd.DataFrame) -> dict:
    """The grid entry with the best outlet-grouped CV macro-F1 on all coded items (for the shipped head)."""
    replay, X, y = _replay(), _features(data), data["sentiment"].to_numpy()
    folds = grouped_folds(list(site_groups(data["doc"], data["sentence"])), N_FOLDS)
    scores = []
    for params in SENTIMENT_GRID:
        pred = np.empty(len(y), dtype=object)
        for k in range(N_FOLDS):
            pred[folds == k] = _fit(X[folds != k], y[folds != k], params, replay).predict(X[folds == k])
        scores.append(macro_f1(y, pred, LABELS))
    return SENTIMENT_GRID[int(np.argmax(scores))]


def write_model(gold: pd.DataFrame) -> list[dict]:
    """Fit the shipped head on every coded item and report it on NewsMTSC beside the NewsMTSC-trained model."""
    data = gold[gold["sentiment"].notna()].reset_index(drop=True)
    params = choose_params(data)
    head = _fit(_features(data), data["sentiment"].to_numpy(), params, _replay())
    HEAD_FILE.write_text(json.dumps(head.to_dict(), sort_keys=True) + "\n", encoding="utf-8")
    print(json.dumps({"stage": "sentiment_head_written", "path": str(HEAD_FILE), "params": params}), flush=True)
    rows = []
    for split in EVAL_SPLITS:
        df = load_newsmtsc(split)
        spans = list(zip(df.start, df.end))
        ours = predict_domain_sentiment(df.sentence.tolist(), spans)["label"]
        base = predict_target_sentiment(df.sentence, spans, scorer="target")["label"]
        score, anchor = score_split(df.label, ours)["macro_f1"], score_split(df.label, base)["macro_f1"]
        rows.append(validation_row(instrument="sentiment:indomain", data="newsmtsc", split=split, metric="macro_f1",
                                   n=len(df), estimate=score, anchor="sentiment:target_newsmtsc", anchor_value=anchor,
                                   note="people in US political news; not the study's construct"))
    return rows
