"""How good and how stable are the topics? NPMI, diversity, seed stability, baselines.

NPMI is computed here (not via gensim) with **document** co-occurrence on the
same documents the topics were fitted on: for top words ``w_i, w_j`` of a topic,
``P(w)`` is the share of documents containing ``w`` and ``P(w_i, w_j)`` the share
containing both; ``NPMI = log(P(w_i, w_j) / (P(w_i) P(w_j))) / -log P(w_i, w_j)``,
``-1`` when the pair never co-occurs and ``1`` when it occurs in every document.
A topic's NPMI is the mean over its word pairs; a model's the mean over topics.
Topic diversity is the share of unique words among all topics' top words.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.numerics import round_significant, round_table
from analysis.topics.measure import FIT_SAMPLE, TOKEN_PATTERN, TopicModel, load_topic_stopwords, sample_rows

__all__ = [
    "TopicFit", "npmi_coherence", "topic_npmi", "topic_diversity", "match_topics", "fit_baseline_topics",
    "fit_bertopic_topics", "topic_stability", "subsample_stability", "compare_topic_models",
]

_TOKEN = re.compile(TOKEN_PATTERN)


@dataclass
class TopicFit:
    """One fitted topic model, reduced to what the quality measures need.

    Attributes:
        model: ``"bertopic"``, ``"lda"`` or ``"nmf"``.
        random_state: Seed used.
        assignments: Topic per document (``-1`` = outlier).
        topic_words: ``{topic: [top words]}`` (no outlier topic).
    """

    model: str
    random_state: int
    assignments: np.ndarray
    topic_words: dict[int, list[str]]


def _as_word_lists(topic_words) -> list[list[str]]:
    items = topic_words.values() if isinstance(topic_words, Mapping) else topic_words
    return [list(words) for words in items]


def _doc_sets(documents: Sequence[str]) -> list[set[str]]:
    return [set(_TOKEN.findall(doc.lower())) if isinstance(doc, str) else set(doc) for doc in documents]


def topic_npmi(topic_words, documents: Sequence[str], *, top_n: int = 10) -> pd.DataFrame:
    """NPMI of each topic's top ``top_n`` words with document co-occurrence.

    Args:
        topic_words: ``{topic: [words]}`` or a list of word lists (topic = position).
        documents: Texts (tokenised like the topic vectoriser, lower-cased) or
            pre-tokenised iterables of words.
        top_n: Words per topic.

    Returns:
        DataFrame ``topic``, ``npmi`` (NaN for a topic with fewer than two words), ``n_pairs``.

    Raises:
        ValueError: ``documents`` is empty.
    """
    if len(documents) == 0:
        raise ValueError("topic_npmi needs the reference documents; got none.")
    keys = list(topic_words.keys()) if isinstance(topic_words, Mapping) else list(range(len(topic_words)))
    lists = [[w.lower() for w in words[:top_n]] for words in _as_word_lists(topic_words)]
    vocab = sorted({w for words in lists for w in words})
    index = {w: i for i, w in enumerate(vocab)}
    sets = _doc_sets(documents)
    x = np.zeros((len(sets), len(vocab)), dtype=np.float64)
    for d, s in enumerate(sets):
        for w in s & index.keys():
            x[d, index[w]] = 1.0
    n = float(len(sets))
    co = (x.T @ x) / n
    p = np.diag(co)
    rows = []
    for key, words in zip(keys, lists):
        words = list(dict.fromkeys(words))
        scores = [_pair_npmi(co[index[a], index[b]], p[index[a]], p[index[b]])
                  for a, b in itertools.combinations(words, 2)]
        rows.append({"topic": key, "npmi": float(np.mean(scores)) if scores else float("nan"),
                     "n_pairs": len(scores)})
    return round_table(pd.DataFrame(rows, columns=["topic", "npmi", "n_pairs"]))


def _pair_npmi(p_ij: float, p_i: float, p_j: float) -> float:
    if p_ij <= 0.0:
        return -1.0
    if p_ij >= 1.0:
        return 1.0
    return float(np.log(p_ij / (p_i * p_j)) / -np.log(p_ij))


def npmi_coherence(topic_words, documents: Sequence[str], *, top_n: int = 10) -> float:
    """Mean topic NPMI (see :func:`topic_npmi`); NaN when no topic has two words."""
    scores = topic_npmi(topic_words, documents, top_n=top_n)["npmi"].dropna()
    return round_significant(float(scores.mean())) if len(scores) else float("nan")


def topic_diversity(topic_words, *, top_n: int = 10) -> float:
    """Share of unique words among all topics' top ``top_n`` words (1 = no overlap).

    Raises:
        ValueError: No topics.
    """
    lists = [words[:top_n] for words in _as_word_lists(topic_words)]
    total = sum(len(w) for w in lists)
    if total == 0:
        raise ValueError("topic_diversity needs at least one topic with words.")
    return len({w for words in lists for w in words}) / total


def match_topics(words_a, words_b, *, top_n: int = 10, min_shared: float = 0.5) -> float:
    """Share of topics in ``a`` whose best counterpart in ``b`` shares >= ``min_shared`` of top words.

    Averaged in both directions so the measure is symmetric. 1.0 = every topic reappears.
    """
    a = [set(w[:top_n]) for w in _as_word_lists(words_a)]
    b = [set(w[:top_n]) for w in _as_word_lists(words_b)]
    if not a or not b:
        return float("nan")

    def one_way(xs, ys):
        return float(np.mean([max(len(x & y) / max(len(x), 1) for y in ys) >= min_shared for x in xs]))

    return (one_way(a, b) + one_way(b, a)) / 2.0


def _vectorize(documents, *, tfidf: bool):
    from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

    cls = TfidfVectorizer if tfidf else CountVectorizer
    vec = cls(stop_words=load_topic_stopwords(), token_pattern=TOKEN_PATTERN, min_df=2 if len(documents) > 50 else 1,
              max_df=0.95 if len(documents) > 50 else 1.0)
    return vec, vec.fit_transform(documents)


def fit_baseline_topics(documents: Sequence[str], *, method: str, n_topics: int, random_state: int = 42,
                        top_n: int = 10) -> TopicFit:
    """LDA (counts) or NMF (TF-IDF) from scikit-learn on the same documents and stop words.

    Raises:
        ValueError: Unknown ``method`` or fewer than 2 topics requested.
    """
    from sklearn.decomposition import NMF, LatentDirichletAllocation

    if method not in {"lda", "nmf"}:
        raise ValueError(f"method must be 'lda' or 'nmf', got {method!r}.")
    if n_topics < 2:
        raise ValueError(f"n_topics must be at least 2, got {n_topics}.")
    vec, x = _vectorize(list(documents), tfidf=method == "nmf")
    k = min(n_topics, x.shape[0], x.shape[1])
    if method == "lda":
        est = LatentDirichletAllocation(n_components=k, learning_method="batch", max_iter=10, random_state=random_state)
    else:
        est = NMF(n_components=k, init="nndsvdar", max_iter=400, random_state=random_state)
    # Rounded before ranking: the iterative fits differ across CPUs in the last bits, and exact ties occur.
    doc_topic = round_significant(est.fit_transform(x))
    vocab = vec.get_feature_names_out()
    words = {t: [str(vocab[i]) for i in np.argsort(-row, kind="stable")[:top_n]]
             for t, row in enumerate(round_significant(est.components_))}
    return TopicFit(method, random_state, doc_topic.argmax(axis=1), words)


def fit_bertopic_topics(documents: Sequence[str], *, embeddings: np.ndarray | None = None, random_state: int = 42,
                        n_topics: int | None = None, **params) -> TopicFit:
    """Our BERTopic pipeline (:class:`analysis.topics.measure.TopicModel`) reduced to a :class:`TopicFit`."""
    model = TopicModel(random_state=random_state, n_topics=n_topics, **params).fit(list(documents), embeddings=embeddings)
    return TopicFit("bertopic", random_state, model.document_topics_["topic"].to_numpy(), dict(model.topic_words_))


def topic_stability(fits: Sequence[TopicFit], *, top_n: int = 10) -> pd.DataFrame:
    """Pairwise agreement between fits of one model with different seeds.

    Returns:
        DataFrame ``seed_a``, ``seed_b``, ``ari`` (adjusted Rand index of document
        assignments), ``matched_share`` (:func:`match_topics`), one row per pair.

    Raises:
        ValueError: Fewer than two fits, or fits over different numbers of documents.
    """
    from sklearn.metrics import adjusted_rand_score

    if len(fits) < 2:
        raise ValueError("topic_stability needs at least two fits (different seeds).")
    if len({len(f.assignments) for f in fits}) != 1:
        raise ValueError("topic_stability: fits cover different numbers of documents; fit on the same documents.")
    rows = [{"seed_a": a.random_state, "seed_b": b.random_state, "ari": float(adjusted_rand_score(a.assignments, b.assignments)),
             "matched_share": match_topics(a.topic_words, b.topic_words, top_n=top_n)}
            for a, b in itertools.combinations(fits, 2)]
    return round_table(pd.DataFrame(rows, columns=["seed_a", "seed_b", "ari", "matched_share"]))


def subsample_stability(fit: Callable, documents: Sequence[str], *, embeddings: np.ndarray | None = None,
                        fraction: float = 0.8, repeats: int = 3, random_state: int = 0) -> pd.DataFrame:
    """Stability under data perturbation: fit two random subsamples, compare on the documents they share.

    Seed stability says nothing about a method without randomness; this asks whether
    the same documents are grouped together when a fifth of the corpus is different
    (the subsampling scheme of Lange et al. 2004 and Greene et al. 2014 for topic models).
    Both fits of a pair use the same model seed, so only the data changes.

    Args:
        fit: ``fit(documents, embeddings=..., random_state=...) -> TopicFit`` (e.g. a partial of
            :func:`fit_bertopic_topics` or :func:`fit_baseline_topics`; ``embeddings`` is
            ``None`` when none were given).
        documents: The corpus.
        embeddings: Optional vectors, one row per document (subsampled alongside).
        fraction: Share of documents in each subsample (0 < fraction <= 1).
        repeats: Pairs of subsamples.
        random_state: Seed of the subsampling (pair ``r`` uses ``random_state + r``) and of the fits.

    Returns:
        DataFrame ``pair``, ``n_shared``, ``ari`` (adjusted Rand index of the two fits'
        assignments on the shared documents), one row per pair.

    Raises:
        ValueError: ``fraction`` outside (0, 1], fewer than 4 documents, or embeddings
            whose row count differs from the documents.
    """
    from sklearn.metrics import adjusted_rand_score

    documents = list(documents)
    n = len(documents)
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must be in (0, 1], got {fraction}.")
    if n < 4:
        raise ValueError(f"subsample_stability needs at least 4 documents, got {n}.")
    if embeddings is not None and len(embeddings) != n:
        raise ValueError(f"embeddings has {len(embeddings)} rows for {n} documents.")
    size = max(2, int(round(fraction * n)))
    rows = []
    for r in range(repeats):
        rng = np.random.default_rng(random_state + r)
        picks = [np.sort(rng.choice(n, size=size, replace=False)) for _ in range(2)]
        labels = []
        for idx in picks:
            emb = None if embeddings is None else np.asarray(embeddings)[idx]
            result = fit([documents[i] for i in idx], embeddings=emb, random_state=random_state)
            labels.append(pd.Series(np.asarray(result.assignments), index=idx))
        shared = np.intersect1d(picks[0], picks[1])
        rows.append({"pair": r, "n_shared": len(shared),
                     "ari": float(adjusted_rand_score(labels[0][shared], labels[1][shared]))})
    return round_table(pd.DataFrame(rows, columns=["pair", "n_shared", "ari"]))


def compare_topic_models(documents: Sequence[str], *, embeddings: np.ndarray | None = None,
                         random_states: Sequence[int] = (0, 1, 2, 3, 4), n_topics: int | None = None,
                         models: Sequence[str] = ("bertopic", "lda", "nmf"), top_n: int = 10,
                         fitters: Mapping[str, Callable] | None = None, subsample_pairs: int = 0,
                         subsample_fraction: float = 0.8, max_documents: int | None = FIT_SAMPLE) -> pd.DataFrame:
    """Quality and stability of BERTopic and the LDA/NMF baselines on the same documents.

    LDA and NMF get as many topics as the first BERTopic fit found (or ``n_topics``).
    ``subsample_pairs > 0`` adds stability under data perturbation
    (:func:`subsample_stability`, first seed, same number of topics). Above ``max_documents`` documents
    (default :data:`~analysis.topics.measure.FIT_SAMPLE`, the study's fitting sample), every model is fitted
    on the same seeded sample of that size (first seed), and ``result.attrs["notes"]`` says so.

    Returns:
        DataFrame ``model``, ``n_topics`` (mean over seeds), ``npmi``, ``diversity``
        (means over seeds), ``stability_ari``, ``matched_share`` (means over seed
        pairs), ``subsample_ari`` (mean over subsample pairs; NaN when not asked), ``n_seeds``.
    """
    documents = list(documents)
    notes = []
    try:
        keep = sample_rows(len(documents), max_documents, random_states[0])  # the study's own fitting sample
    except ValueError:
        raise ValueError(f"max_documents must be a whole number of at least 2 (or None), got {max_documents!r}.") \
            from None
    if keep is not None:
        notes.append(f"Quality measured on a seeded sample of {max_documents} of {len(documents)} documents.")
        documents = [documents[i] for i in keep]
        embeddings = None if embeddings is None else np.asarray(embeddings)[keep]
    rows, k = [], n_topics

    def fit_one(name, docs, emb, random_state):
        if fitters and name in fitters:
            return fitters[name](docs, random_state=random_state)
        if name == "bertopic":
            return fit_bertopic_topics(docs, embeddings=emb, random_state=random_state, n_topics=n_topics)
        return fit_baseline_topics(docs, method=name, random_state=random_state, top_n=top_n, n_topics=k or 10)

    for name in models:
        fits = []
        for seed in random_states:
            fits.append(fit_one(name, documents, embeddings, seed))
            if k is None and name == "bertopic":
                k = max(2, len(fits[0].topic_words))
        stab = topic_stability(fits, top_n=top_n) if len(fits) > 1 else pd.DataFrame({"ari": [np.nan],
                                                                                        "matched_share": [np.nan]})
        sub = np.nan
        if subsample_pairs > 0:
            sub = float(subsample_stability(
                lambda d, embeddings=None, random_state=0, _name=name: fit_one(_name, d, embeddings, random_state), documents,
                embeddings=embeddings, fraction=subsample_fraction, repeats=subsample_pairs,
                random_state=random_states[0])["ari"].mean())
        rows.append({"model": name, "n_topics": float(np.mean([len(f.topic_words) for f in fits])),
                     "npmi": float(np.mean([npmi_coherence(f.topic_words, documents, top_n=top_n) for f in fits])),
                     "diversity": float(np.mean([topic_diversity(f.topic_words, top_n=top_n) for f in fits])),
                     "stability_ari": float(stab["ari"].mean()), "matched_share": float(stab["matched_share"].mean()),
                     "subsample_ari": sub, "n_seeds": len(fits)})
    table = round_table(pd.DataFrame(rows, columns=["model", "n_topics", "npmi", "diversity", "stability_ari",
                                                    "matched_share", "subsample_ari", "n_seeds"]))
    if notes:
        table.attrs["notes"] = notes
    return table
