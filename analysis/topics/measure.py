"""Topic modelling with BERTopic, configured for determinism, stability and small corpora.

The document vectors come from :func:`analysis.embeddings.embed_texts` (cached).
By default documents are clustered by spectral clustering of their cosine
k-nearest-neighbour graph, which gives the same topics whatever the seed (BERTopic's
usual UMAP + HDBSCAN changes with the UMAP seed: adjusted Rand index about 0.6
between seeds on BBC News); BERTopic then builds the topic words (c-TF-IDF,
KeyBERTInspired, MMR). ``clustering="auto"`` keeps the UMAP + HDBSCAN pipeline,
adapted to the corpus size: ``min_cluster_size`` grows with the number of
documents, UMAP is skipped when there are too few documents for a neighbour
graph, and k-means replaces HDBSCAN when HDBSCAN would leave most documents as
outliers. One seed drives every random step, and every decision is written to
``notes_`` so the notebook can show it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import warnings
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.embeddings import DEFAULT_CACHE_DIR, DEFAULT_MODEL, embed_texts, load_embedder
from analysis.io import quiet_progress
from analysis.numerics import round_scores
from analysis.paths import RESOURCES_DIR

__all__ = [
    "TopicModel", "fit_topic_model", "load_topic_model", "select_topic_documents",
    "representative_passages", "load_topic_stopwords", "scale_min_cluster_size", "corpus_hash", "TOPIC_UNITS",
    "FIT_SAMPLE", "ASSIGNMENTS", "assign_to_topics", "assign_by_words", "sample_rows"]

#: Documents above which the study fits topics on a seeded sample of this size and assigns the rest
#: (:class:`TopicModel` ``fit_sample``); on a 2-core machine a full fit is minutes at 2,000 documents.
FIT_SAMPLE = 20_000
#: How :class:`TopicModel` gives a topic to the documents outside its fitting sample: ``"embedding"`` (the
#: nearest topic centroid of the sentence vectors; every document is encoded) or ``"words"`` (the nearest
#: topic centroid of TF-IDF vectors built on the sample; only the sample is encoded). See ``bench/topic_sampling.py``.
ASSIGNMENTS = ("embedding", "words")
#: Documents turned into TF-IDF vectors at a time when assigning by words (bounds the memory).
WORDS_CHUNK = 20_000

logger = logging.getLogger(__name__)
STOPWORDS_FILE = RESOURCES_DIR / "topic_stopwords.txt"
#: Below this many documents UMAP's spectral initialisation and neighbour graph are unreliable.
MIN_DOCS_FOR_UMAP = 20
OUTLIER_LABEL = "outliers (unassigned)"
#: Tokens for topic words: letters with inner hyphens ("open-source", not "deepseek-"), 2+ characters.
TOKEN_PATTERN = r"(?u)\b[a-zA-Z][a-zA-Z\-]*[a-zA-Z]\b"
_UMAP_CACHE: dict[str, np.ndarray] = {}
#: ``spectral`` (default): seed-independent graph clustering; ``auto``: UMAP + HDBSCAN with a
#: k-means fallback (BERTopic's usual pipeline); ``hdbscan``; ``kmeans`` (on UMAP vectors).
CLUSTERINGS = ("spectral", "auto", "hdbscan", "kmeans")


def _below_error(record: logging.LogRecord) -> bool:
    return record.levelno >= logging.ERROR


class _StableNumpy:
    """NumPy as BERTopic sees it while fitting: ``argsort``/``argpartition`` order ties by position.

    NumPy's default sorts pick a SIMD implementation per CPU (AVX-512, AVX2 or scalar) and
    these order equal values differently, already for 10 elements. c-TF-IDF rows hold long
    runs of equal scores (every word seen once in a topic), so BERTopic's candidate keywords
    and representative documents changed with the CPU. A stable sort satisfies both
    functions' contracts and breaks ties the same way everywhere: by value, then by position.
    """

    def __getattr__(self, name):
        return getattr(np, name)

    @staticmethod
    def argsort(a, axis=-1, kind=None, order=None, **kwargs):
        return np.argsort(a, axis=axis, kind="stable", order=order)

    @staticmethod
    def argpartition(a, kth, axis=-1, kind=None, order=None):
        return np.argsort(a, axis=axis, kind="stable", order=order)


class _StableSortFrame(pd.DataFrame):
    """A DataFrame whose ``sort_values`` is stable (BERTopic numbers topics by size: ties by first appearance)."""

    def sort_values(self, *args, **kwargs):
        kwargs["kind"] = "stable"
        return super().sort_values(*args, **kwargs)


class _StablePandas:
    def __getattr__(self, name):
        return _StableSortFrame if name == "DataFrame" else getattr(pd, name)


@contextmanager
def _stable_bertopic_sorts():
    """Inside the block, BERTopic's modules sort stably (see :class:`_StableNumpy`); restored after."""
    import bertopic._bertopic as core
    import bertopic.representation._keybert as keybert
    import bertopic.representation._mmr as mmr

    saved = [(core, "np", core.np), (core, "pd", core.pd), (keybert, "np", keybert.np), (mmr, "np", mmr.np)]
    core.np, core.pd, keybert.np, mmr.np = _StableNumpy(), _StablePandas(), _StableNumpy(), _StableNumpy()
    try:
        yield
    finally:
        for module, name, value in saved:
            setattr(module, name, value)


@contextmanager
def _quiet_bertopic():
    """Drop BERTopic's advisory log warnings (we take those decisions deliberately).

    A filter, not a level: BERTopic resets its logger level in ``__init__``.
    """
    log = logging.getLogger("BERTopic")
    log.addFilter(_below_error)
    try:
        with quiet_progress():  # "Loading weights" bars would break notebook reruns
            yield
    finally:
        log.removeFilter(_below_error)


def load_topic_stopwords(path: str | Path = STOPWORDS_FILE) -> list[str]:
    """English stop words plus the news/publisher list in ``analysis/resources``.

    Raises:
        ValueError: The file is missing (names it).
    """
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    path = Path(path)
    if not path.is_file():
        raise ValueError(f"Topic stop-word file {path} not found; restore analysis/resources/topic_stopwords.txt.")
    extra = [w.strip().lower() for w in path.read_text(encoding="utf-8").splitlines()]
    extra = [w for w in extra if w and not w.startswith("#")]
    return sorted(set(ENGLISH_STOP_WORDS) | set(extra))


def scale_min_cluster_size(n_docs: int) -> int:
    """HDBSCAN ``min_cluster_size`` for ``n_docs`` documents: ``sqrt(n)/4`` clipped to [3, 25]."""
    return int(np.clip(round(np.sqrt(max(n_docs, 0)) / 4), 3, 25))


def corpus_hash(texts: list[str], model_id: str = "") -> str:
    """sha1 identifying an ordered corpus (and the embedding model that encoded it)."""
    digest = hashlib.sha1(model_id.encode("utf-8"))
    for t in texts:
        digest.update(b"\x1e" + t.encode("utf-8"))
    return digest.hexdigest()


def _kmeans_k(n_docs: int, n_topics: int | None) -> int:
    k = n_topics if n_topics else int(np.clip(round(np.sqrt(n_docs / 2)), 2, 20))
    return max(1, min(k, n_docs - 1 if n_docs > 2 else 1))


class _CachedEmbedder:
    """BERTopic embedding backend that goes through our cached, verified embedder."""

    def __new__(cls, model, cache_dir):
        from bertopic.backend import BaseEmbedder

        class _Backend(BaseEmbedder):
            def __init__(self):
                super().__init__()
                self.model, self.cache_dir = model, cache_dir

            def embed(self, documents, verbose=False):
                # float64: BERTopic's keyword similarities then differ across CPUs by ~1e-16, not ~1e-7.
                return embed_texts(list(documents), model=self.model, cache_dir=self.cache_dir).astype(np.float64)

        return _Backend()


class _Reduced:
    """Dimensionality 'reducer' that returns vectors computed once before BERTopic runs."""

    def __init__(self, reduced: np.ndarray, reducer=None):
        self.reduced, self.reducer = reduced, reducer

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        if X.shape[0] == self.reduced.shape[0]:
            return self.reduced
        if self.reducer is None:
            return np.asarray(X)
        return self.reducer.transform(X)


class _FixedLabels:
    """Clusterer that hands BERTopic labels decided before it runs."""

    def __init__(self, labels: np.ndarray, probabilities: np.ndarray | None = None):
        self._labels, self._probs = labels, probabilities

    def fit(self, X, y=None):
        self.labels_ = self._labels
        if self._probs is not None:
            self.probabilities_ = self._probs
        return self


class TopicModel:
    """BERTopic pipeline with a size-aware, seeded configuration (scikit-learn style).

    Args:
        random_state: Seed for UMAP, k-means and the representation models.
        embedding_model: Name/path/embedder passed to :func:`analysis.embeddings.load_embedder`.
        cache_dir: Embedding cache root (``None`` disables caching).
        n_topics: Reduce to at most this many topics (``None``: as found).
        clustering: ``"spectral"`` (default: spectral clustering of the cosine k-NN graph of
            the embeddings into ``n_topics`` or ``clip(sqrt(N/2), 2, 20)`` topics; no UMAP, and
            the same topics for every seed), ``"auto"`` (BERTopic's usual UMAP + HDBSCAN, with a
            k-means fallback when HDBSCAN leaves most documents as outliers), ``"hdbscan"`` or
            ``"kmeans"`` (on the UMAP vectors). On BBC News the default matched HDBSCAN's
            coherence with seed-stability ARI 1.0 instead of 0.6 (``bench/topics.py``).
        min_cluster_size: HDBSCAN minimum cluster size; ``None`` scales it to N.
        n_neighbors, n_components: Neighbours of the k-NN graph (spectral) or UMAP; UMAP
            dimensions (``n_neighbors`` is capped at N-1).
        max_outlier_share: In ``"auto"``, fall back to k-means above this outlier share.
        reduce_outliers: Reassign HDBSCAN outliers to the nearest topic by embedding.
        top_n_words: Words per topic.
        mmr_diversity: Diversity of the MaximalMarginalRelevance step.
        min_df: CountVectorizer ``min_df``.
        fit_sample: Above this many documents, fit on a seeded sample of this size (``random_state``) and
            assign every other document to the topic whose centroid (mean sample vector) is nearest by
            cosine; the topic words are the sample's. ``None``: fit on every document. For corpora of
            tens of thousands of documents and more (see ``bench/topic_sampling.py`` for its effect).
        assign: How the documents outside the fitting sample get their topic (:data:`ASSIGNMENTS`):
            ``"embedding"`` (default: the nearest centroid of the sentence vectors, so every document is
            encoded) or ``"words"`` (:func:`assign_by_words`: the nearest centroid of TF-IDF vectors built on
            the sample, so only the sample is encoded; their ``probability`` is NaN). Used only when
            ``fit_sample`` applies.

    Attributes:
        bertopic_: The fitted ``BERTopic`` object.
        document_topics_: DataFrame ``doc_index``, any carried input columns
            (e.g. ``doc_id``, ``para_id``), ``topic``, ``topic_label``,
            ``probability`` (softmax of cosine similarity to topic centroids,
            temperature 0.05; NaN for outliers and for documents assigned by words), ``text``; when
            ``fit_sample`` applied, also ``assigned_by``: ``"sample"`` (fitted), ``"embedding"`` or ``"words"``.
        topic_info_: DataFrame ``topic``, ``label``, ``size``, ``top_words``
            (comma-separated), sorted by topic; ``-1`` is the outlier topic.
        topic_words_: ``{topic: [word, ...]}`` without the outlier topic.
        clustering_: ``"spectral"``, ``"hdbscan"`` or ``"kmeans"`` (what was actually used).
        used_umap_: Whether UMAP ran.
        notes_: Human-readable decisions (fallbacks, caps) taken while fitting.
        corpus_hash_, embedding_model_id_, n_documents_.
    """

    def __init__(self, *, random_state: int = 42, embedding_model=DEFAULT_MODEL, cache_dir=DEFAULT_CACHE_DIR,
                 n_topics: int | None = None, clustering: str = "spectral", min_cluster_size: int | None = None,
                 n_neighbors: int = 15, n_components: int = 5, max_outlier_share: float = 0.5,
                 reduce_outliers: bool = True, top_n_words: int = 10, mmr_diversity: float = 0.3,
                 min_df: int = 1, fit_sample: int | None = None, assign: str = "embedding"):
        self.random_state = random_state
        self.embedding_model = embedding_model
        self.cache_dir = cache_dir
        self.n_topics = n_topics
        self.clustering = clustering
        self.min_cluster_size = min_cluster_size
        self.n_neighbors = n_neighbors
        self.n_components = n_components
        self.max_outlier_share = max_outlier_share
        self.reduce_outliers = reduce_outliers
        self.top_n_words = top_n_words
        self.mmr_diversity = mmr_diversity
        self.min_df = min_df
        self.fit_sample = fit_sample
        self.assign = assign

    def get_params(self) -> dict:
        """Constructor parameters (the embedding model as its id when it is an object)."""
        keys = ["random_state", "embedding_model", "cache_dir", "n_topics", "clustering", "min_cluster_size",
                "n_neighbors", "n_components", "max_outlier_share", "reduce_outliers", "top_n_words",
                "mmr_diversity", "min_df", "fit_sample", "assign"]
        return {k: getattr(self, k) for k in keys}

    # -- fitting -----------------------------------------------------------------------------
    def fit(self, docs, embeddings: np.ndarray | None = None) -> "TopicModel":
        """Fit topics on ``docs`` (list of str, or DataFrame with a ``text`` column).

        Raises:
            ValueError: Fewer than 2 documents, an empty/non-string document, bad
                ``clustering``, or embeddings whose row count differs from the documents.
        """
        with _quiet_bertopic(), _stable_bertopic_sorts():
            return self._fit(docs, embeddings)

    def _fit(self, docs, embeddings):
        frame, texts = _as_frame(docs)
        if self.clustering not in CLUSTERINGS:
            raise ValueError(f"clustering must be one of {CLUSTERINGS}, got {self.clustering!r}.")
        if self.assign not in ASSIGNMENTS:
            raise ValueError(f"assign must be one of {ASSIGNMENTS}, got {self.assign!r}.")
        n = len(texts)
        rows = sample_rows(n, self.fit_sample, self.random_state)
        # Assigning by words, only the fitting sample is ever encoded.
        by_words = rows is not None and self.assign == "words"
        embedder = load_embedder(self.embedding_model)
        if embeddings is None:
            embeddings = embed_texts([texts[i] for i in rows] if by_words else texts, model=embedder,
                                     cache_dir=self.cache_dir)
        elif len(embeddings) != n:
            raise ValueError(f"embeddings has {len(embeddings)} rows for {n} documents; embed the same list.")
        elif by_words:
            embeddings = np.asarray(embeddings)[rows]
        # float64 from here on: the quantised vectors exactly, with float64's margin in every product,
        # k-NN search and eigensolver step (see analysis.numerics).
        embeddings = np.asarray(embeddings, dtype=np.float64)
        self.notes_: list[str] = []
        self.n_documents_ = n
        self.embedding_model_id_ = embedder.model_id
        self.corpus_hash_ = corpus_hash(texts, embedder.model_id)
        if rows is None:
            fit_texts, fit_vectors = texts, embeddings
        else:
            fit_texts, fit_vectors = [texts[i] for i in rows], (embeddings if by_words else embeddings[rows])
        m = len(fit_texts)
        if self.clustering == "spectral":
            reduced, reducer = fit_vectors, None
            labels, probs = self._spectral(fit_vectors), None
        else:
            reduced, reducer = self._reduce(fit_vectors)
            labels, probs = self._cluster(reduced)
        self.bertopic_ = self._fit_bertopic(fit_texts, fit_vectors, reduced, reducer, labels, probs, embedder)
        topics = np.asarray(self.bertopic_.topics_)
        if self.reduce_outliers and (topics == -1).any() and (topics != -1).any():
            n_out = int((topics == -1).sum())
            topics = self.bertopic_.reduce_outliers(fit_texts, list(topics), strategy="embeddings",
                                                    embeddings=fit_vectors)
            self.bertopic_.update_topics(fit_texts, topics=list(topics), top_n_words=self.top_n_words,
                                         vectorizer_model=self._vectorizer(m),
                                         representation_model=self._representation())
            self.notes_.append(f"{n_out} of {m} outlier documents reassigned to their nearest topic by embedding.")
        topics = np.asarray(self.bertopic_.topics_)
        if rows is None:
            self._tabulate(frame, texts, embeddings, topics)
            return self
        sample = (f"Fitted on a seeded sample of {m} of {n} documents (fit_sample={self.fit_sample}, "
                  f"random_state={self.random_state}); the topic words are the sample's.")
        if by_words:
            sample_topics = topics
            topics = assign_by_words(texts, rows, sample_topics, stop_words=load_topic_stopwords())
            unplaced = int((np.delete(topics, rows) == -1).sum())
            self.notes_.append(sample + f" The other {n - m} were assigned by their words (assign='words': the "
                               "nearest topic centroid of TF-IDF vectors built on the sample) without being encoded"
                               + (f"; {unplaced} of them share no word with any topic's documents and stay "
                                  "outliers." if unplaced else "."))
            probability = np.full(n, np.nan)
            probability[rows] = _centroid_probability(embeddings, sample_topics)
        else:
            topics = assign_to_topics(embeddings, rows, topics)
            self.notes_.append(sample + f" The other {n - m} were assigned to the topic with the nearest centroid "
                               "of their sentence vectors.")
            probability = None
        assigned = np.full(n, "words" if by_words else "embedding", dtype=object)
        assigned[rows] = "sample"
        self._tabulate(frame, texts, embeddings, topics, probability=probability, assigned_by=assigned)
        return self

    def _reduce(self, embeddings):
        n = embeddings.shape[0]
        if n < MIN_DOCS_FOR_UMAP:
            self.used_umap_ = False
            self.notes_.append(f"Only {n} documents (< {MIN_DOCS_FOR_UMAP}): UMAP skipped, k-means on the "
                               "embeddings instead of HDBSCAN. Topics from so few documents are descriptive only.")
            return embeddings, None
        from umap import UMAP

        self.used_umap_ = True
        nn, nc = min(self.n_neighbors, n - 1), min(self.n_components, n - 2)
        reducer = UMAP(n_neighbors=nn, n_components=nc, min_dist=0.0, metric="cosine",
                       random_state=self.random_state, n_jobs=1)
        # UMAP is deterministic for a seed, so refits with other topic counts reuse it (in memory only).
        key = hashlib.sha1(embeddings.tobytes() + f"{nn}|{nc}|{self.random_state}".encode()).hexdigest()
        if key not in _UMAP_CACHE:
            if len(_UMAP_CACHE) >= 8:
                _UMAP_CACHE.pop(next(iter(_UMAP_CACHE)))
            _UMAP_CACHE[key] = np.nan_to_num(reducer.fit_transform(embeddings))
            self.umap_model_ = reducer
        return _UMAP_CACHE[key], None

    def _cluster(self, reduced):
        from sklearn.cluster import KMeans

        n = reduced.shape[0]
        method = self.clustering if self.used_umap_ else "kmeans"
        if method in {"auto", "hdbscan"}:
            from hdbscan import HDBSCAN

            mcs = self.min_cluster_size or scale_min_cluster_size(n)
            self.min_cluster_size_ = mcs
            hd = HDBSCAN(min_cluster_size=mcs, metric="euclidean", cluster_selection_method="eom").fit(reduced)
            labels = hd.labels_
            share = float((labels == -1).mean())
            n_clusters = len(set(labels) - {-1})
            if method == "hdbscan" or (share <= self.max_outlier_share and n_clusters >= 2):
                self.clustering_ = "hdbscan"
                return labels, hd.probabilities_
            self.notes_.append(f"HDBSCAN (min_cluster_size={mcs}) left {share:.0%} of {n} documents as outliers "
                               f"in {n_clusters} cluster(s); fell back to k-means.")
        k = _kmeans_k(n, self.n_topics)
        self.clustering_ = "kmeans"
        self.notes_.append(f"k-means with k={k} clusters (random_state={self.random_state}).")
        km = KMeans(n_clusters=k, random_state=self.random_state, n_init=10).fit(reduced)
        return km.labels_, None

    def _spectral(self, embeddings):
        """Spectral clustering of the cosine k-nearest-neighbour graph of the embeddings.

        The graph is deterministic and the spectral embedding converges to the same
        eigenvectors from any starting vector; ``cluster_qr`` assigns labels without
        k-means. So, unlike UMAP + HDBSCAN, the partition does not depend on the seed.
        """
        from sklearn.cluster import SpectralClustering

        self.used_umap_ = False
        n = embeddings.shape[0]
        k = _kmeans_k(n, self.n_topics)
        nn = max(2, min(self.n_neighbors, n - 1))
        unit = embeddings / np.maximum(np.linalg.norm(embeddings, axis=1, keepdims=True), 1e-12)
        self.clustering_ = "spectral"
        if k < 2 or n < 4:
            self.notes_.append(f"Only {n} documents: one topic, no clustering.")
            return np.zeros(n, dtype=int)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            # LOBPCG: seconds on 20,000 documents where ARPACK's shift-invert takes minutes.
            labels = SpectralClustering(n_clusters=k, affinity="nearest_neighbors", n_neighbors=nn,
                                        assign_labels="cluster_qr", eigen_solver="lobpcg",
                                        random_state=self.random_state, n_jobs=1).fit_predict(unit)
        if any("not fully connected" in str(w.message) for w in caught):
            self.notes_.append(f"The {nn}-nearest-neighbour graph is not fully connected: some topics may be "
                               "small islands of near-identical documents (check duplicates).")
        self.notes_.append(f"Spectral clustering of the cosine {nn}-nearest-neighbour graph into k={k} topics "
                           "(seed-independent: no UMAP, no k-means).")
        return labels

    def _vectorizer(self, n):
        from sklearn.feature_extraction.text import CountVectorizer

        return CountVectorizer(stop_words=load_topic_stopwords(), min_df=self.min_df if n > 20 else 1,
                               token_pattern=TOKEN_PATTERN)

    def _representation(self):
        from bertopic.representation import KeyBERTInspired, MaximalMarginalRelevance

        return [KeyBERTInspired(top_n_words=self.top_n_words, random_state=self.random_state),
                MaximalMarginalRelevance(diversity=self.mmr_diversity, top_n_words=self.top_n_words)]

    def _fit_bertopic(self, texts, embeddings, reduced, reducer, labels, probs, embedder):
        from bertopic import BERTopic

        model = BERTopic(embedding_model=_CachedEmbedder(embedder, self.cache_dir),
                         umap_model=_Reduced(reduced, reducer), hdbscan_model=_FixedLabels(labels, probs),
                         vectorizer_model=self._vectorizer(len(texts)), representation_model=self._representation(),
                         top_n_words=self.top_n_words, nr_topics=self.n_topics, calculate_probabilities=False,
                         verbose=False)
        model.fit(texts, embeddings=embeddings)
        return model

    def _tabulate(self, frame, texts, embeddings, topics, *, probability=None, assigned_by=None):
        info = self.bertopic_.get_topic_info()
        self.topic_words_ = {int(t): [w for w, _ in self.bertopic_.get_topic(int(t)) if w]
                             for t in info["Topic"] if t != -1}
        labels = {t: f"T{t}: " + ", ".join(words[:3]) for t, words in self.topic_words_.items()}
        labels[-1] = f"T-1: {OUTLIER_LABEL}"
        sizes = pd.Series(topics).value_counts()
        rows = [{"topic": int(t), "label": labels[int(t)], "size": int(sizes.get(t, 0)),
                 "top_words": ", ".join(self.topic_words_.get(int(t), []))} for t in sorted(labels) if t in sizes]
        self.topic_info_ = pd.DataFrame(rows, columns=["topic", "label", "size", "top_words"])
        self.bertopic_.set_topic_labels({t: labels[t] for t in labels})
        out = frame.copy()
        out.insert(0, "doc_index", np.arange(len(texts)))
        out["topic"] = topics.astype(int)
        out["topic_label"] = [labels[int(t)] for t in topics]
        out["probability"] = _centroid_probability(embeddings, topics) if probability is None else probability
        if assigned_by is not None:
            out["assigned_by"] = assigned_by
        out["text"] = texts
        self.document_topics_ = out.reset_index(drop=True)

    # -- persistence ---------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Save to folder ``path``: BERTopic (safetensors), parameters, corpus hash and tables."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        with _quiet_bertopic():
            self.bertopic_.save(path / "bertopic", serialization="safetensors", save_ctfidf=True,
                                save_embedding_model=False)
        params = {k: (v if isinstance(v, (int, float, str, bool, type(None))) else str(v))
                  for k, v in self.get_params().items()}
        meta = {"params": params, "corpus_hash": self.corpus_hash_, "embedding_model_id": self.embedding_model_id_,
                "n_documents": self.n_documents_, "clustering": self.clustering_, "used_umap": self.used_umap_,
                "notes": self.notes_, "topic_words": {str(k): v for k, v in self.topic_words_.items()}}
        (path / "topic_model.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
        self.document_topics_.to_parquet(path / "document_topics.parquet", index=False)
        self.topic_info_.to_parquet(path / "topic_info.parquet", index=False)
        return path


def _fitted_rows(caller: str, n: int, rows, topics) -> tuple[np.ndarray, np.ndarray]:
    """``rows`` and ``topics`` as int arrays, checked against ``n`` documents (the message names ``caller``)."""
    rows, topics = np.asarray(rows, dtype=int), np.asarray(topics, dtype=int)
    if len(rows) != len(topics):
        raise ValueError(f"{caller}: {len(rows)} fitted rows but {len(topics)} topics; pass one topic per row.")
    if len(rows) and (rows.min() < 0 or rows.max() >= n):
        raise ValueError(f"{caller}: fitted row numbers must lie in 0..{n - 1}.")
    if len(np.unique(rows)) != len(rows):
        raise ValueError(f"{caller}: a fitted row number appears twice; pass each fitted document once.")
    return rows, topics


def sample_rows(n: int, size: int | None, random_state: int) -> np.ndarray | None:
    """Sorted row numbers of the seeded fitting sample of ``size`` out of ``n`` documents.

    Returns:
        ``None`` when ``size`` is ``None`` or ``n <= size`` (fit on every document).

    Raises:
        ValueError: ``size`` is not a whole number of at least 2.
    """
    if size is None:
        return None
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 2:
        raise ValueError(f"fit_sample must be a whole number of at least 2 documents (or None), got {size!r}.")
    if n <= size:
        return None
    return np.sort(np.random.default_rng(random_state).choice(n, size=int(size), replace=False))


def assign_by_words(texts, rows, topics, *, stop_words=None, token_pattern: str = TOKEN_PATTERN,
                    chunk: int = WORDS_CHUNK) -> np.ndarray:
    """Topics of every document from the fitted rows' topics, by words alone (no sentence vectors).

    TF-IDF vectors (sublinear term frequency, l2-normalised) are built on the fitted documents only, so a
    document's topic does not depend on the other unfitted documents, and those are vectorised ``chunk`` at
    a time. A topic's centroid is the direction of the sum of its fitted documents' vectors; every other
    document takes the topic whose centroid is nearest by cosine.

    Args:
        texts: All documents (str).
        rows: The fitted documents' row numbers (distinct).
        topics: Their topics (``-1``: outlier; outliers are not centroids).
        stop_words: Words left out of the vectors (e.g. :func:`load_topic_stopwords`).
        token_pattern: Tokens (default :data:`TOKEN_PATTERN`, the topic words' own).
        chunk: Unfitted documents vectorised at a time.

    Returns:
        int array of length ``len(texts)``: fitted rows keep their topic, the others take the nearest
        centroid's (ties: the lower topic id), or ``-1`` when they share no word with any topic's documents
        (the vocabulary: words in at least 2 fitted documents once 20 are fitted) or the fit has no topic.

    Raises:
        ValueError: ``rows`` and ``topics`` differ in length, a row number is out of range or repeated, or
            ``chunk < 1``.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = list(texts)
    rows, topics = _fitted_rows("assign_by_words", len(texts), rows, topics)
    if chunk < 1:
        raise ValueError(f"assign_by_words: chunk must be at least 1, got {chunk}.")
    out = np.full(len(texts), -1, dtype=int)
    out[rows] = topics
    ids = np.array(sorted(set(topics.tolist()) - {-1}), dtype=int)
    rest = np.setdiff1d(np.arange(len(texts)), rows)
    if not len(ids) or not len(rest):
        return out
    vectorizer = TfidfVectorizer(stop_words=stop_words, token_pattern=token_pattern, sublinear_tf=True,
                                 min_df=2 if len(rows) >= 20 else 1, dtype=np.float64)
    try:
        fitted = vectorizer.fit_transform([texts[i] for i in rows])
    except ValueError as exc:  # the fitted documents hold no word outside the stop words: nothing to compare by
        if "empty vocabulary" not in str(exc) and "no terms remain" not in str(exc):
            raise
        return out
    sums = np.vstack([np.asarray(fitted[topics == t].sum(axis=0)) for t in ids])
    centroids = sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)
    for start in range(0, len(rest), chunk):
        part = rest[start:start + chunk]
        vectors = vectorizer.transform([texts[i] for i in part])
        # Rounded before the argmax, so a near-tie is broken the same way on any CPU (analysis.numerics).
        similarity = round_scores(np.asarray(vectors @ centroids.T))
        best = ids[np.argmax(similarity, axis=1)]
        best[similarity.max(axis=1) <= 0] = -1                # no word in common with any topic
        out[part] = best
    return out


def assign_to_topics(embeddings: np.ndarray, rows: np.ndarray, topics: np.ndarray) -> np.ndarray:
    """Topics of every document, given the topics of the fitted rows: the rest go to the nearest centroid.

    Args:
        embeddings: ``(n, d)`` vectors of all documents.
        rows: The fitted documents' row numbers (sorted, distinct).
        topics: Their topics (``-1``: outlier; outliers are not centroids).

    Returns:
        int array of length n; fitted rows keep their topic (an outlier stays ``-1``), the others take the
        topic of highest cosine similarity to its centroid (ties: the lower topic id), or ``-1`` when the fit
        has no topic.

    Raises:
        ValueError: ``rows`` and ``topics`` differ in length, a row number is out of range or repeated, or a
            vector is not finite (names the row).
    """
    embeddings = np.asarray(embeddings, dtype=float)
    rows, topics = _fitted_rows("assign_to_topics", len(embeddings), rows, topics)
    bad = np.flatnonzero(~np.isfinite(embeddings).all(axis=1))
    if len(bad):
        raise ValueError(f"assign_to_topics: the vector of document {int(bad[0])} is not finite; embed it again.")
    out = np.full(len(embeddings), -1, dtype=int)
    out[rows] = topics
    ids = sorted(set(np.asarray(topics).tolist()) - {-1})
    rest = np.setdiff1d(np.arange(len(embeddings)), rows)
    if not ids or not len(rest):
        return out
    fitted = embeddings[rows]
    cents = np.stack([fitted[topics == t].mean(axis=0) for t in ids])
    cents /= np.maximum(np.linalg.norm(cents, axis=1, keepdims=True), 1e-12)
    norm = embeddings[rest] / np.maximum(np.linalg.norm(embeddings[rest], axis=1, keepdims=True), 1e-12)
    # Rounded before the argmax, so a near-tie is broken the same way on any CPU (analysis.numerics).
    similarity = round_scores(norm @ cents.T)
    out[rest] = np.asarray(ids)[np.argmax(similarity, axis=1)]
    return out


def _centroid_probability(embeddings: np.ndarray, topics: np.ndarray, temperature: float = 0.05) -> np.ndarray:
    ids = sorted(set(topics.tolist()) - {-1})
    probs = np.full(len(topics), np.nan)
    if not ids:
        return probs
    cents = np.stack([embeddings[topics == t].mean(axis=0) for t in ids])
    cents /= np.maximum(np.linalg.norm(cents, axis=1, keepdims=True), 1e-12)
    norm = embeddings / np.maximum(np.linalg.norm(embeddings, axis=1, keepdims=True), 1e-12)
    logits = norm @ cents.T / temperature
    logits -= logits.max(axis=1, keepdims=True)
    soft = round_scores(np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True))
    col = {t: i for i, t in enumerate(ids)}
    for i, t in enumerate(topics):
        if t != -1:
            probs[i] = soft[i, col[int(t)]]
    return probs


def _as_frame(docs) -> tuple[pd.DataFrame, list[str]]:
    if isinstance(docs, pd.DataFrame):
        if "text" not in docs.columns:
            raise ValueError(f"Topic documents need a 'text' column; got {list(docs.columns)}.")
        frame, texts = docs.drop(columns=["text"]).reset_index(drop=True), docs["text"].tolist()
    else:
        texts = list(docs)
        frame = pd.DataFrame(index=range(len(texts)))
    for i, t in enumerate(texts):
        if not isinstance(t, str) or not t.strip():
            raise ValueError(f"Topic document {i} is empty or not a string ({t!r}); drop or fill it first.")
    if len(texts) < 2:
        raise ValueError(f"Topic modelling needs at least 2 documents, got {len(texts)}; "
                         "use paragraphs as documents (select_topic_documents) or add articles.")
    return frame, texts


def fit_topic_model(docs, *, embeddings: np.ndarray | None = None, random_state: int = 42, **params) -> TopicModel:
    """Fit a :class:`TopicModel` (see it for ``params`` and the fitted tables).

    Example:
        >>> model = fit_topic_model(docs_df, random_state=42)  # doctest: +SKIP
        >>> model.topic_info_[["topic", "label", "size"]]  # doctest: +SKIP
    """
    return TopicModel(random_state=random_state, **params).fit(docs, embeddings=embeddings)


def load_topic_model(path: str | Path, *, docs=None) -> TopicModel:
    """Load a model saved with :meth:`TopicModel.save`.

    Args:
        path: The folder.
        docs: Optional documents (list or DataFrame with ``text``); if given, their
            hash must match the saved corpus hash.

    Raises:
        ValueError: Missing files, or ``docs`` differ from the corpus the model was fitted on.
    """
    from bertopic import BERTopic

    path = Path(path)
    meta_file = path / "topic_model.json"
    if not meta_file.is_file():
        raise ValueError(f"{meta_file} not found: {path} is not a saved topic model folder.")
    meta = json.loads(meta_file.read_text(encoding="utf-8"))
    if docs is not None:
        _, texts = _as_frame(docs)
        if corpus_hash(texts, meta["embedding_model_id"]) != meta["corpus_hash"]:
            raise ValueError(f"The documents differ from the corpus the model in {path} was fitted on "
                             "(corpus hash mismatch); refit the model on the current corpus.")
    params = {k: v for k, v in meta["params"].items() if k in {"random_state", "n_topics", "clustering", "min_cluster_size",
              "n_neighbors", "n_components", "max_outlier_share", "reduce_outliers", "top_n_words",
              "mmr_diversity", "min_df", "fit_sample", "assign"}}
    model = TopicModel(**params)
    with _quiet_bertopic():
        model.bertopic_ = BERTopic.load(str(path / "bertopic"))
    model.corpus_hash_, model.embedding_model_id_ = meta["corpus_hash"], meta["embedding_model_id"]
    model.n_documents_, model.clustering_, model.used_umap_ = meta["n_documents"], meta["clustering"], meta["used_umap"]
    model.notes_ = list(meta["notes"])
    model.topic_words_ = {int(k): v for k, v in meta["topic_words"].items()}
    model.document_topics_ = pd.read_parquet(path / "document_topics.parquet")
    model.topic_info_ = pd.read_parquet(path / "topic_info.parquet")
    return model


TOPIC_UNITS = ("article", "paragraph", "sentence")


def select_topic_documents(articles: pd.DataFrame, paragraphs: pd.DataFrame, *, sentences: pd.DataFrame | None = None,
                           unit: str | None = None, min_articles: int = 50, min_words: int = 8
                           ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Choose the documents of the topic model: whole articles, paragraphs or sentences.

    Args:
        articles: Articles table (``doc_id``, ``text``).
        paragraphs: Paragraphs table (``doc_id``, ``para_id``, ``text``).
        sentences: Sentences table (``doc_id``, ``para_id``, ``sent_id``, ``text``); needed for ``unit="sentence"``.
        unit: ``"article"``, ``"paragraph"`` or ``"sentence"`` (``python -m analysis run --unit``); ``None``
            chooses: paragraphs when there are fewer than ``min_articles`` articles, else articles.
        min_articles: See ``unit``.
        min_words: Paragraphs and sentences with fewer words are excluded (and listed).

    Returns:
        ``(docs, excluded)``: ``docs`` has ``doc_id``, ``para_id`` (-1 for whole articles), ``unit``, ``text``
        (and ``sent_id`` for sentences); ``excluded`` has ``doc_id``, ``para_id``, ``reason``.

    Raises:
        ValueError: An unknown ``unit``, or ``unit="sentence"`` without the sentences table.
    """
    if unit is not None and unit not in TOPIC_UNITS:
        raise ValueError(f"unit must be one of {TOPIC_UNITS} (or None to choose by corpus size), got {unit!r}.")
    unit = unit or ("article" if len(articles) >= min_articles else "paragraph")
    cols, extra = ["doc_id", "para_id", "unit", "text"], []
    if unit == "article":
        docs = articles[["doc_id", "text"]].assign(para_id=-1, unit="article")
        keep = docs["text"].fillna("").str.strip().str.len() > 0
        reason = "empty article text"
    else:
        if unit == "sentence" and sentences is None:
            raise ValueError("unit='sentence' needs the sentences table (sentences=tables.sentences).")
        source = paragraphs if unit == "paragraph" else sentences
        extra = ["sent_id"] if unit == "sentence" else []
        cols = cols[:2] + extra + cols[2:]
        docs = source[["doc_id", "para_id", *extra, "text"]].assign(unit=unit)
        keep = docs["text"].fillna("").str.split().str.len() >= min_words
        reason = f"{unit} shorter than {min_words} words"
    excluded = docs.loc[~keep, ["doc_id", "para_id", *extra]].assign(reason=reason).reset_index(drop=True)
    docs = docs.loc[keep, cols].reset_index(drop=True)
    docs["para_id"] = docs["para_id"].astype(int)
    return docs, excluded


def representative_passages(model, *, n: int = 2, max_chars: int = 300) -> pd.DataFrame:
    """The ``n`` documents per topic closest to the topic centroid (highest ``probability``).

    Args:
        model: A fitted :class:`TopicModel`, or its ``document_topics_`` table (as the topics stage stores it).

    Returns:
        DataFrame ``topic``, ``label``, ``rank`` (1 = most typical), ``doc_index``,
        any carried id columns (``doc_id``, ``para_id``), ``passage`` (truncated to ``max_chars``).
    """
    dt = model if isinstance(model, pd.DataFrame) else model.document_topics_
    dt = dt[dt["topic"] != -1].sort_values(["topic", "probability", "doc_index"], ascending=[True, False, True])
    top = dt.groupby("topic", sort=True).head(n).copy()
    top["rank"] = top.groupby("topic").cumcount() + 1
    top["passage"] = [t if len(t) <= max_chars else t[: max_chars - 1].rstrip() + "…" for t in top["text"]]
    ids = [c for c in ("doc_id", "para_id", "sent_id") if c in top.columns]
    return top.rename(columns={"topic_label": "label"})[["topic", "label", "rank", "doc_index", *ids, "passage"]] \
        .reset_index(drop=True)
