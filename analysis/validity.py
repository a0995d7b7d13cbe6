"""How good an instrument is on coded data: scores with article-cluster bootstrap intervals, one table schema.

Coded sentences from one article are not independent (same outlet, same story, often the same wording), so
intervals resample whole articles (clusters), not sentences. Every validation figure the study reports goes
through :data:`VALIDATION_COLUMNS`: the instrument, the data and split, the metric, our figure with its interval
and the anchor it is read against (a baseline or a published figure).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis.numerics import round_significant
from analysis.paths import RESOURCES_DIR
from analysis.stats import TOO_FEW

__all__ = ["VALIDATION_COLUMNS", "VALIDITY_DIR", "grouped_folds", "site_groups", "cluster_interval", "paired_difference", "validation_row", "load_indomain_validation", "format_cell",
           "CODED_SENTENCES", "sentence_key", "coded_sentence_keys", "write_coded_sentence_keys", "mark_coded",
           "coded_note", "SHINGLE_WORDS", "sentence_shingles"]

VALIDATION_COLUMNS = ["instrument", "data", "split", "metric", "n", "ours", "ours_low", "ours_high", "anchor",
                      "anchor_value", "note"]
VALIDITY_DIR = RESOURCES_DIR / "validity"
#: Short hashes of every 8-word run of the coded sentences the in-domain heads were fitted on (no text stored).
CODED_SENTENCES = VALIDITY_DIR / "coded_sentences.csv"


def grouped_folds(groups, n_splits: int) -> np.ndarray:
    """Fold id per row: whole groups to folds, largest first, each to the currently smallest fold (deterministic)."""
    sizes = pd.Series(groups).value_counts()
    sizes = sizes.sort_index(kind="stable").sort_values(ascending=False, kind="stable")
    load, assign = np.zeros(n_splits), {}
    for group, size in sizes.items():
        k = int(np.argmin(load))
        assign[group] = k
        load[k] += size
    return np.asarray([assign[g] for g in groups])


def site_groups(docs, sentences) -> np.ndarray:
    """Cross-validation groups: the site of each item's document, merged across identical sentences.

    ``doc`` keys are ``host/path`` (:func:`analysis.annotation.sources.normalise_url`), so the host is the site
    however the outlet was spelt ("The Star", "The Star (Malaysia)"). Items whose sentences are identical
    (case and spacing aside; syndicated copies) are put in one group, so a copy never sits in the test fold
    while its original trains the model.

    Returns:
        An integer group id per item.
    """
    hosts = [str(d).split("/", 1)[0] for d in docs]
    keys = [" ".join(str(s).lower().split()) for s in sentences]
    parent = {h: h for h in hosts}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    first_host = {}
    for host, key in zip(hosts, keys):
        if key in first_host:
            a, b = find(first_host[key]), find(host)
            if a != b:
                parent[max(a, b)] = min(a, b)
        else:
            first_host[key] = host
    roots = [find(h) for h in hosts]
    ids = {r: i for i, r in enumerate(sorted(set(roots)))}
    return np.asarray([ids[r] for r in roots])


def macro_f1(y_true, y_pred, labels=None) -> float:
    """Macro-averaged F1 over ``labels`` (default: the labels present in ``y_true``)."""
    y_true, y_pred = np.asarray(y_true, dtype=object), np.asarray(y_pred, dtype=object)
    labels = sorted(set(y_true)) if labels is None else list(labels)
    scores = []
    for label in labels:
        tp = float(((y_true == label) & (y_pred == label)).sum())
        denom = float((y_true == label).sum() + (y_pred == label).sum())
        scores.append(2 * tp / denom if denom else 0.0)
    return float(np.mean(scores)) if scores else float("nan")


def binary_f1(y_true, y_pred) -> float:
    """F1 of the positive class of boolean arrays (0 when there are no positives at all)."""
    y_true, y_pred = np.asarray(y_true, dtype=bool), np.asarray(y_pred, dtype=bool)
    denom = float(y_true.sum() + y_pred.sum())
    return 2 * float((y_true & y_pred).sum()) / denom if denom else 0.0


def cluster_interval(metric, y_true, y_pred, clusters, *, n_boot: int = 1000, random_state: int = 0,
                     level: float = 0.95) -> tuple[float, float, float]:
    """A metric with a percentile bootstrap interval that resamples whole clusters (articles).

    Args:
        metric: ``f(y_true, y_pred) -> float``.
        y_true, y_pred: Gold and predicted labels, one per unit.
        clusters: Cluster id per unit (the article).
        n_boot: Resamples.
        random_state: Seed.
        level: Coverage.

    Returns:
        ``(estimate, low, high)``; the interval is ``(nan, nan)`` with fewer than 10 clusters, where a
        bootstrap over clusters says little.

    Raises:
        ValueError: lengths differ.
    """
    y_true, y_pred, clusters = np.asarray(y_true, dtype=object), np.asarray(y_pred, dtype=object), np.asarray(clusters)
    if not len(y_true) == len(y_pred) == len(clusters):
        raise ValueError(f"cluster_interval: {len(y_true)} gold, {len(y_pred)} predicted, {len(clusters)} clusters")
    estimate = metric(y_true, y_pred)
    ids, index = np.unique(clusters, return_inverse=True)
    if len(ids) < 10:
        return estimate, float("nan"), float("nan")
    members = [np.flatnonzero(index == k) for k in range(len(ids))]
    rng = np.random.default_rng(random_state)
    values = []
    for _ in range(n_boot):
        rows = np.concatenate([members[k] for k in rng.integers(0, len(ids), len(ids))])
        values.append(metric(y_true[rows], y_pred[rows]))
    tail = (1 - level) / 2 * 100
    return estimate, float(np.percentile(values, tail)), float(np.percentile(values, 100 - tail))


def paired_difference(metric, y_true, pred_a, pred_b, clusters, *, n_boot: int = 1000, random_state: int = 0,
                      level: float = 0.95) -> tuple[float, float, float]:
    """``metric(a) - metric(b)`` on the same units, with an interval that resamples articles for both at once.

    Two instruments scored on the same sentences are not independent samples: comparing their separate
    intervals overstates the uncertainty of the difference. Each resample draws whole clusters and scores both
    instruments on it (:func:`cluster_interval`).

    Args:
        metric: ``f(y_true, y_pred) -> float``.
        y_true: Gold per unit (a label, or a row of labels for a multi-label metric).
        pred_a, pred_b: Predictions of the two instruments, the same shape as ``y_true``.
        clusters: Cluster id per unit.

    Returns:
        ``(difference, low, high)``; no interval below 10 clusters.

    Raises:
        ValueError: the two predictions differ in shape, or a length differs from ``y_true``.
    """
    a, b = np.asarray(pred_a, dtype=object), np.asarray(pred_b, dtype=object)
    if a.shape != b.shape or len(a) != len(y_true):
        raise ValueError(f"paired_difference: predictions of shapes {a.shape} and {b.shape} for {len(y_true)} units")
    width = 1 if a.ndim == 1 else int(np.prod(a.shape[1:]))
    packed = np.column_stack([a.reshape(len(a), -1), b.reshape(len(b), -1)])

    def unpack(part):
        return part[:, 0] if a.ndim == 1 else part.reshape((len(part), *a.shape[1:]))

    def difference(gold, both):
        return metric(gold, unpack(both[:, :width])) - metric(gold, unpack(both[:, width:]))

    return cluster_interval(difference, y_true, packed, clusters, n_boot=n_boot, random_state=random_state,
                            level=level)


def validation_row(*, instrument: str, data: str, split: str, metric: str, n: int, estimate, anchor: str = "",
                   anchor_value=float("nan"), note: str = "") -> dict:
    """One row of :data:`VALIDATION_COLUMNS`; ``estimate`` is a number or ``(value, low, high)``."""
    value, low, high = estimate if isinstance(estimate, tuple) else (estimate, float("nan"), float("nan"))
    return {"instrument": instrument, "data": data, "split": split, "metric": metric, "n": int(n),
            "ours": round_significant(round(value, 4)), "ours_low": round_significant(round(low, 4)),
            "ours_high": round_significant(round(high, 4)), "anchor": anchor,
            "anchor_value": round_significant(round(anchor_value, 4)), "note": note}


def load_indomain_validation(name: str = "indomain.csv", folder: str | Path = VALIDITY_DIR) -> pd.DataFrame:
    """The stored in-domain validation table (written by ``bench/indomain_validity.py``).

    Raises:
        FileNotFoundError: the table is missing (names it and the command that writes it).
    """
    path = Path(folder) / name
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing; run `.venv/bin/python bench/indomain_validity.py` "
                                "(needs ../shared and the collected pages)")
    return pd.read_csv(path)


def format_cell(value, low, high) -> str:
    """``0.700 [0.676, 0.719]``; ``n/a`` for a missing estimate; a flag instead of an interval below 10 clusters."""
    if not np.isfinite(value):
        return "n/a"
    if not (np.isfinite(low) and np.isfinite(high)):
        return f"{value:.3f} ({TOO_FEW})"
    return f"{value:.3f} [{low:.3f}, {high:.3f}]"


#: Words per shingle of :func:`sentence_shingles` (a sentence shorter than this is one shingle).
SHINGLE_WORDS = 8


def _normal_words(text) -> list[str]:
    """Lower-cased words after the corpus's character normalisation (curly quotes straightened, mojibake
    repaired), so a coded sentence stored as published matches the same sentence in a prepared corpus."""
    from analysis.corpus.text import normalize_text

    return normalize_text(str(text)).lower().split()


def sentence_key(text: str) -> str:
    """Identity of a sentence across corpora: sha256 of its normalised, lower-cased words joined by spaces."""
    import hashlib

    return hashlib.sha256(" ".join(_normal_words(text)).encode("utf-8")).hexdigest()


def sentence_shingles(text: str, *, size: int = SHINGLE_WORDS) -> set[str]:
    """Short hashes (12 hex digits) of every run of ``size`` lower-cased words (the whole sentence when shorter).

    Two corpora split the same passage into sentences differently (a headline joined to its dateline, a quote
    cut at an ellipsis); runs of words survive that, so a sentence that shares one run with a coded sentence
    overlaps it.
    """
    import hashlib

    words = _normal_words(text)
    runs = [words] if len(words) < size else [words[i:i + size] for i in range(len(words) - size + 1)]
    return {hashlib.sha256(" ".join(r).encode("utf-8")).hexdigest()[:12] for r in runs if r}


def coded_sentence_keys(gold: pd.DataFrame) -> pd.DataFrame:
    """The shingles of every coded (sentence, country): ``shingle, country``, sorted and unique (no text).

    Args:
        gold: The coded items (:func:`analysis.annotation.gold.load_gold`), which the in-domain heads are fitted
            on (``bench/indomain_validity.py --write-heads``).
    """
    rows = {(h, c) for text, c in zip(gold["sentence"], gold["country"]) for h in sentence_shingles(text)}
    return pd.DataFrame(sorted(rows), columns=["shingle", "country"])


def write_coded_sentence_keys(gold: pd.DataFrame, path: str | Path = CODED_SENTENCES) -> Path:
    """Write :func:`coded_sentence_keys` to ``path`` (the committed list the study checks corpora against)."""
    from analysis.io import atomic_write_bytes

    table = coded_sentence_keys(gold)
    atomic_write_bytes(Path(path), table.to_csv(index=False, lineterminator="\n").encode("utf-8"))
    return Path(path)


def mark_coded(table: pd.DataFrame, *, text: str = "sentence", country: str = "country",
               path: str | Path = CODED_SENTENCES) -> pd.Series:
    """True for each row whose sentence overlaps a coded sentence of the same country (the heads' training data).

    A corpus that overlaps the coded data (the development corpora do) gets, on those sentences, scores from a
    model that has seen their codes; they fit the codes better than new text would. Counting them, and repeating
    a comparison without them, shows how much a result leans on them. Overlap means one shared run of
    :data:`SHINGLE_WORDS` words (:func:`sentence_shingles`), so a sentence split differently from the coded one
    is still found; a sentence that merely shares eight words with a coded one is flagged too (the safe side).

    Raises:
        ValueError: ``table`` lacks the ``text`` or ``country`` column.
    """
    missing = [c for c in (text, country) if c not in table.columns]
    if missing:
        raise ValueError(f"mark_coded: column(s) {missing} not in the table (columns: {list(table.columns)}).")
    keys = pd.read_csv(path, dtype=str)
    known = set(zip(keys["shingle"], keys["country"]))
    flags = [any((h, str(c)) in known for h in sentence_shingles(t)) for t, c in zip(table[text], table[country])]
    return pd.Series(flags, index=table.index, name="coded_for_training", dtype=bool)


def coded_note(table: pd.DataFrame, coded: pd.Series, *, unit: str = "mentions") -> str:
    """One line: how many rows (and articles) of ``table`` overlap the coded sentences the heads were fitted on."""
    n, k = int(coded.sum()), len(coded)
    if n == 0:
        return (f"None of the {k} {unit} overlaps the coded sentences the in-domain heads were fitted on: every "
                "score is out of sample.")
    docs = table.loc[coded, "doc_id"].nunique() if "doc_id" in table.columns else 0
    return (f"{n} of {k} {unit} ({n / k:.0%}, in {docs} articles) overlap coded sentences the in-domain heads were "
            "fitted on: their scores are in sample. The comparison is repeated without them.")
