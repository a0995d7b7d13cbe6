"""Topic pipeline: determinism, small-corpus fallbacks, save/load, document selection.

Most tests use the cheap TF-IDF+SVD embedder on a synthetic three-theme corpus so
the file stays fast; the pipeline (UMAP, HDBSCAN/k-means, BERTopic, KeyBERT+MMR)
is the real one.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import adjusted_rand_score
import pandas as pd
import pytest

from analysis.topics import measure as topics
from analysis.embeddings import TfidfSvdEmbedder
from analysis.topics.measure import (
    TopicModel, corpus_hash, fit_topic_model, load_topic_model, load_topic_stopwords, representative_passages,
    scale_min_cluster_size, select_topic_documents,
)

THEMES = {
    "chips": "semiconductor chip foundry wafer export controls nvidia lithography fabrication plant supply",
    "finance": "investment fund billion valuation investors capital venture startup funding shares",
    "datacentre": "data centre electricity power grid water cooling johor land energy hyperscale",
}


def _corpus(n_per: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for theme, vocab in THEMES.items():
        words = vocab.split()
        for i in range(n_per):
            text = "The " + " ".join(rng.choice(words, size=14)) + " said officials."
            rows.append({"doc_id": f"{theme}-{i // 3}", "para_id": i % 3, "theme": theme, "text": text})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def corpus():
    return _corpus(25)


@pytest.fixture(scope="module")
def embedder(corpus):
    return TfidfSvdEmbedder(n_components=20, random_state=0).fit(corpus["text"].tolist())


@pytest.fixture(scope="module")
def fitted(corpus, embedder):
    return fit_topic_model(corpus, random_state=7, embedding_model=embedder, cache_dir=None)


def test_tables_have_documented_columns(fitted, corpus):
    dt, info = fitted.document_topics_, fitted.topic_info_
    assert list(dt.columns) == ["doc_index", "doc_id", "para_id", "theme", "topic", "topic_label", "probability",
                                "text"]
    assert list(info.columns) == ["topic", "label", "size", "top_words"]
    assert dt["doc_index"].tolist() == list(range(len(corpus)))
    assert info["size"].sum() == len(corpus)
    assert dt.loc[dt.topic != -1, "probability"].between(0, 1).all()
    for t, label in zip(info.topic, info.label):
        assert label.startswith(f"T{t}: ") and (t == -1 or label.count(",") == 2)


def test_recovers_the_three_themes(fitted):
    dt = fitted.document_topics_
    purity = dt.groupby("topic")["theme"].agg(lambda s: s.value_counts(normalize=True).iloc[0])
    assert len(purity) >= 3 and (purity > 0.9).all()
    stop = set(load_topic_stopwords())
    assert all(not (set(w) & stop) for w in fitted.topic_words_.values())   # "said", "the" never topic words


def test_same_seed_same_embeddings_identical_topics(corpus, embedder, fitted):
    topics._UMAP_CACHE.clear()          # force UMAP to really run again
    again = fit_topic_model(corpus, random_state=7, embedding_model=embedder, cache_dir=None)
    pd.testing.assert_frame_equal(again.document_topics_, fitted.document_topics_)
    pd.testing.assert_frame_equal(again.topic_info_, fitted.topic_info_)
    assert again.corpus_hash_ == fitted.corpus_hash_


def test_precomputed_embeddings_give_same_result(corpus, embedder, fitted):
    emb = embedder.encode(corpus["text"].tolist())
    model = fit_topic_model(corpus, embeddings=emb, random_state=7, embedding_model=embedder, cache_dir=None)
    pd.testing.assert_frame_equal(model.document_topics_, fitted.document_topics_)


def test_params_stored_unchanged_and_fit_returns_self(embedder, corpus):
    model = TopicModel(random_state=3, n_neighbors=99, embedding_model=embedder, cache_dir=None)
    assert model.get_params()["n_neighbors"] == 99 and not hasattr(model, "topic_info_")


@pytest.mark.parametrize("n_per", [1, 3, 6])
def test_tiny_corpus_falls_back_to_kmeans_without_umap(n_per, embedder):
    docs = _corpus(n_per)
    model = fit_topic_model(docs, random_state=1, embedding_model=embedder, cache_dir=None, clustering="auto")
    assert model.used_umap_ is False and model.clustering_ == "kmeans"
    assert any("UMAP skipped" in note for note in model.notes_)
    assert len(model.document_topics_) == len(docs) and (model.document_topics_.topic >= 0).all()


def test_hdbscan_without_structure_falls_back_to_kmeans(corpus, embedder):
    model = fit_topic_model(corpus, random_state=7, embedding_model=embedder, cache_dir=None, min_cluster_size=70,
                            clustering="auto")
    assert model.clustering_ == "kmeans"
    assert any("fell back to k-means" in note for note in model.notes_)


def test_forced_hdbscan_keeps_or_reassigns_outliers(corpus, embedder):
    kept = fit_topic_model(corpus, random_state=7, embedding_model=embedder, cache_dir=None, clustering="hdbscan",
                           reduce_outliers=False, min_cluster_size=20)
    moved = fit_topic_model(corpus, random_state=7, embedding_model=embedder, cache_dir=None, clustering="hdbscan",
                            min_cluster_size=20)
    assert kept.clustering_ == moved.clustering_ == "hdbscan"
    assert (moved.document_topics_.topic != -1).all()
    n_out = int((kept.document_topics_.topic == -1).sum())
    assert (n_out == 0) == (not any("outlier documents reassigned" in n for n in moved.notes_))


@pytest.mark.parametrize("seed", [0, 1, 123])
def test_default_spectral_topics_do_not_depend_on_the_seed(corpus, embedder, fitted, seed):
    assert fitted.clustering_ == "spectral" and fitted.used_umap_ is False
    other = fit_topic_model(corpus, random_state=seed, embedding_model=embedder, cache_dir=None)
    assert other.clustering_ == "spectral"
    assert adjusted_rand_score(other.document_topics_.topic, fitted.document_topics_.topic) == 1.0
    assert sorted(other.topic_words_.values()) == sorted(fitted.topic_words_.values())


@pytest.mark.parametrize("n_topics", [2, 4])
def test_spectral_honours_n_topics_and_notes_it(corpus, embedder, n_topics):
    model = fit_topic_model(corpus, random_state=1, n_topics=n_topics, embedding_model=embedder, cache_dir=None)
    assert model.document_topics_.topic.nunique() == n_topics
    assert (model.document_topics_.topic >= 0).all()
    assert any(f"k={n_topics}" in note and "Spectral" in note for note in model.notes_)


@pytest.mark.parametrize("n_per", [1, 2])
def test_spectral_on_a_handful_of_documents_does_not_crash(n_per, embedder):
    docs = _corpus(n_per)
    model = fit_topic_model(docs, random_state=1, embedding_model=embedder, cache_dir=None)
    assert len(model.document_topics_) == len(docs) and (model.document_topics_.topic >= 0).all()
    assert model.notes_


@pytest.mark.parametrize("docs, match", [
    (["only one document here"], "at least 2"),
    (["fine text", "   "], "document 1 is empty"),
    (["fine text", None], "document 1"),
    (pd.DataFrame({"body": ["a b", "c d"]}), "'text' column"),
])
def test_bad_documents_raise_clear_errors(docs, match, embedder):
    with pytest.raises(ValueError, match=match):
        fit_topic_model(docs, embedding_model=embedder, cache_dir=None)


def test_bad_options_and_embeddings(corpus, embedder):
    with pytest.raises(ValueError, match="clustering must be"):
        fit_topic_model(corpus, clustering="lda", embedding_model=embedder, cache_dir=None)
    with pytest.raises(ValueError, match="rows for"):
        fit_topic_model(corpus, embeddings=np.zeros((3, 20)), embedding_model=embedder, cache_dir=None)


def test_save_load_roundtrip_and_stale_corpus(tmp_path, fitted, corpus):
    folder = fitted.save(tmp_path / "model")
    assert (folder / "bertopic" / "topic_embeddings.safetensors").is_file()
    loaded = load_topic_model(folder, docs=corpus)
    pd.testing.assert_frame_equal(loaded.topic_info_, fitted.topic_info_)
    pd.testing.assert_frame_equal(loaded.document_topics_, fitted.document_topics_)
    assert loaded.get_params()["random_state"] == 7 and loaded.corpus_hash_ == fitted.corpus_hash_
    changed = corpus.assign(text=corpus["text"].str.replace("chip", "chips", regex=False))
    with pytest.raises(ValueError, match="corpus hash mismatch"):
        load_topic_model(folder, docs=changed)
    with pytest.raises(ValueError, match="not a saved topic model"):
        load_topic_model(tmp_path)


def test_corpus_hash_depends_on_order_text_and_model():
    assert corpus_hash(["a", "b"]) != corpus_hash(["b", "a"])
    assert corpus_hash(["a", "b"]) != corpus_hash(["ab"])
    assert corpus_hash(["a"], "m1") != corpus_hash(["a"], "m2")


def test_representative_passages_are_most_central(fitted):
    reps = representative_passages(fitted, n=2, max_chars=40)
    assert list(reps.columns) == ["topic", "label", "rank", "doc_index", "doc_id", "para_id", "passage"]
    assert (reps.groupby("topic").size() == 2).all() and (reps.passage.str.len() <= 40).all()
    dt = fitted.document_topics_.set_index("doc_index")
    for topic, sub in reps.groupby("topic"):
        best = dt[dt.topic == topic].probability.max()
        assert dt.loc[sub[sub["rank"] == 1].doc_index.iloc[0], "probability"] == best


@pytest.mark.parametrize("n, expected", [(0, 3), (10, 3), (60, 3), (400, 5), (2225, 12), (18846, 25)])
def test_min_cluster_size_scales_with_corpus(n, expected):
    assert scale_min_cluster_size(n) == expected


def test_stopwords_have_news_terms_but_not_study_terms():
    stop = set(load_topic_stopwords())
    assert {"said", "reuters", "according", "the"} <= stop
    assert not {"ai", "china", "japan", "malaysia", "chip"} & stop


@pytest.mark.parametrize("n_articles, unit", [(3, "paragraph"), (60, "article")])
def test_select_topic_documents_unit_and_exclusions(n_articles, unit):
    articles = pd.DataFrame({"doc_id": [f"d{i}" for i in range(n_articles)],
                             "text": ["one two three four five six seven eight nine"] * n_articles})
    paragraphs = pd.DataFrame({"doc_id": ["d0", "d0", "d1"], "para_id": [0, 1, 0],
                               "text": ["short one", "this paragraph has more than eight words in it", "   "]})
    docs, excluded = select_topic_documents(articles, paragraphs, min_articles=50)
    assert list(docs.columns) == ["doc_id", "para_id", "unit", "text"] and set(docs.unit) == {unit}
    if unit == "paragraph":
        assert docs.para_id.tolist() == [1]
        assert excluded[["doc_id", "para_id"]].values.tolist() == [["d0", 0], ["d1", 0]]
        assert excluded.reason.str.contains("8 words").all()
    else:
        assert len(docs) == n_articles and (docs.para_id == -1).all() and excluded.empty


@pytest.mark.parametrize("text, tokens", [
    ("DeepSeek-R1 launched", ["deepseek", "launched"]),           # no dangling "deepseek-"
    ("an open-source model", ["an", "open-source", "model"]),
    ("U.S. AI chips", ["ai", "chips"]),                            # single letters are not words
    ("x-ray -dash- co-", ["x-ray", "dash", "co"]),
])
def test_token_pattern_keeps_inner_hyphens_only(text, tokens):
    import re

    assert [t.lower() for t in re.findall(topics.TOKEN_PATTERN, text)] == tokens
