"""Topics fitted on a seeded sample: the sample's topics, the rest assigned to the nearest centroid."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.embeddings import TfidfSvdEmbedder
from analysis.topics.measure import (
    TopicModel, assign_by_words, assign_to_topics, fit_topic_model, representative_passages, sample_rows)
from analysis.topics.validation import TopicFit, compare_topic_models

THEMES = {
    "chips": "semiconductor chip foundry wafer export controls nvidia lithography fabrication plant supply",
    "finance": "investment fund billion valuation investors capital venture startup funding shares",
    "datacentre": "data centre electricity power grid water cooling johor land energy hyperscale",
}


@pytest.fixture(scope="module")
def corpus():
    rng = np.random.default_rng(1)
    rows = [{"doc_id": f"{theme}-{i}", "theme": theme,
             "text": "The " + " ".join(rng.choice(vocab.split(), size=14)) + " said officials."}
            for theme, vocab in THEMES.items() for i in range(40)]
    return pd.DataFrame(rows).sample(frac=1.0, random_state=3).reset_index(drop=True)


@pytest.fixture(scope="module")
def embedder(corpus):
    return TfidfSvdEmbedder(n_components=20, random_state=0).fit(corpus["text"].tolist())


def test_assign_keeps_fitted_rows_and_sends_the_rest_to_the_nearest_centroid():
    vectors = np.array([[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9], [0.8, 0.2], [0.2, 0.8], [-1, 0]], dtype=float)
    rows = np.array([0, 1, 2, 3, 6])
    topics = np.array([5, 5, 2, 2, -1])                      # row 6 is an outlier: never a centroid
    out = assign_to_topics(vectors, rows, topics)
    assert out.tolist() == [5, 5, 2, 2, 5, 2, -1]


def test_assign_without_any_topic_leaves_everything_an_outlier():
    out = assign_to_topics(np.eye(3), np.array([0]), np.array([-1]))
    assert out.tolist() == [-1, -1, -1]


@settings(max_examples=50, deadline=None)
@given(st.integers(3, 30), st.integers(0, 10_000))
def test_assigned_topics_are_fitted_topics(n, seed):
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(n, 4))
    rows = np.sort(rng.choice(n, size=max(2, n // 2), replace=False))
    topics = rng.integers(-1, 3, size=len(rows))
    out = assign_to_topics(vectors, rows, topics)
    assert out[rows].tolist() == topics.tolist()
    fitted = set(topics.tolist()) - {-1}
    rest = np.setdiff1d(np.arange(n), rows)
    assert set(out[rest].tolist()) <= (fitted or {-1})


def test_a_sampled_fit_is_the_fit_on_its_sample_plus_assignment(corpus, embedder):
    vectors = embedder.encode(corpus["text"].tolist())
    sampled = fit_topic_model(corpus, embeddings=vectors, random_state=7, fit_sample=60, embedding_model=embedder,
                              cache_dir=None)
    rows = np.sort(np.random.default_rng(7).choice(len(corpus), size=60, replace=False))
    alone = fit_topic_model(corpus.iloc[rows], embeddings=vectors[rows], random_state=7, embedding_model=embedder,
                            cache_dir=None)
    dt = sampled.document_topics_
    assert len(dt) == len(corpus) and sampled.n_documents_ == len(corpus)
    assert dt["topic"].iloc[rows].tolist() == alone.document_topics_["topic"].tolist()
    assert sampled.topic_words_ == alone.topic_words_
    assert sampled.topic_info_["size"].sum() == len(corpus)
    assert any("seeded sample of 60 of 120" in note for note in sampled.notes_)
    purity = dt.groupby("topic")["theme"].agg(lambda s: s.value_counts(normalize=True).iloc[0])
    assert (purity > 0.9).all()                               # the assigned documents land with their theme


def test_no_sampling_at_or_below_the_sample_size(corpus, embedder):
    vectors = embedder.encode(corpus["text"].tolist())
    full = fit_topic_model(corpus, embeddings=vectors, random_state=7, embedding_model=embedder, cache_dir=None)
    same = fit_topic_model(corpus, embeddings=vectors, random_state=7, fit_sample=len(corpus),
                           embedding_model=embedder, cache_dir=None)
    pd.testing.assert_frame_equal(same.document_topics_, full.document_topics_)
    assert not any("seeded sample" in note for note in same.notes_)


@pytest.mark.parametrize("bad", [1, 0, -5, 2.5, True, "100"])
def test_a_bad_sample_size_is_refused(corpus, embedder, bad):
    with pytest.raises(ValueError, match="fit_sample"):
        TopicModel(fit_sample=bad, embedding_model=embedder, cache_dir=None).fit(
            corpus, embeddings=embedder.encode(corpus["text"].tolist()))


def test_quality_is_measured_on_a_seeded_sample_above_max_documents(corpus):
    seen = []

    def fitter(docs, random_state=0):
        seen.append(list(docs))
        return TopicFit(model="bertopic", random_state=random_state, assignments=np.arange(len(docs)) % 2,
                        topic_words={0: ["chip", "wafer"], 1: ["fund", "capital"]})

    table = compare_topic_models(corpus["text"], random_states=[4, 5], models=["bertopic"],
                                 fitters={"bertopic": fitter}, max_documents=50)
    assert [len(d) for d in seen] == [50, 50] and seen[0] == seen[1]
    assert set(seen[0]) <= set(corpus["text"])
    assert table.attrs["notes"] == ["Quality measured on a seeded sample of 50 of 120 documents."]
    seen.clear()
    table = compare_topic_models(corpus["text"], random_states=[4], models=["bertopic"],
                                 fitters={"bertopic": fitter}, max_documents=None)
    assert [len(d) for d in seen] == [120] and "notes" not in table.attrs


@pytest.mark.parametrize("rows, topics, match", [
    ([1, 1], [3, 3], "assign_to_topics: a fitted row number appears twice"),
    ([0, 1], [3], "2 fitted rows but 1 topics"),
    ([0, 9], [3, 3], "must lie in 0..3"),
])
def test_assign_names_inconsistent_input(rows, topics, match):
    with pytest.raises(ValueError, match=match):
        assign_to_topics(np.eye(4), rows, topics)


def test_assign_names_a_document_without_a_finite_vector():
    vectors = np.eye(4)
    vectors[2, 1] = np.nan
    with pytest.raises(ValueError, match="document 2 is not finite"):
        assign_to_topics(vectors, [0, 1], [0, 1])


# -- assigning the documents outside the sample by their words --------------------------------------

def test_words_assignment_keeps_fitted_rows_and_follows_shared_vocabulary():
    texts = ["chip wafer foundry", "wafer chip lithography", "fund investors capital", "capital fund venture",
             "foundry wafer export", "investors venture shares", "weather today sunny"]
    out = assign_by_words(texts, [0, 1, 2, 3], [4, 4, 1, 1])
    assert out.tolist() == [4, 4, 1, 1, 4, 1, -1]          # no shared word: stays an outlier


def test_words_assignment_ignores_outliers_and_stop_words():
    texts = ["chip wafer", "fund capital", "the chip and the wafer", "the the and", "capital"]
    out = assign_by_words(texts, [0, 1, 3], [2, -1, 0], stop_words=["the", "and"])
    # Topic 0's only document has no word left (an empty centroid); "capital" is only in an outlier document.
    assert out.tolist() == [2, -1, 2, 0, -1]


def test_words_assignment_without_vocabulary_or_topics_leaves_the_rest_outliers():
    assert assign_by_words(["the a", "an the", "chip"], [0, 1], [0, 1], stop_words=["the", "a", "an"]).tolist() \
        == [0, 1, -1]
    assert assign_by_words(["chip", "fund", "chip"], [0, 1], [-1, -1]).tolist() == [-1, -1, -1]


@settings(max_examples=40, deadline=None)
@given(st.integers(4, 40), st.integers(0, 10_000), st.integers(1, 7))
def test_words_assignment_does_not_depend_on_chunking_or_on_other_unfitted_documents(n, seed, chunk):
    rng = np.random.default_rng(seed)
    vocab = "chip wafer fund capital power grid water export venture shares".split()
    texts = [" ".join(rng.choice(vocab, size=int(rng.integers(1, 6)))) for _ in range(n)]
    rows = np.sort(rng.choice(n, size=n // 2, replace=False))
    topics = rng.integers(-1, 3, size=len(rows))
    whole = assign_by_words(texts, rows, topics)
    assert assign_by_words(texts, rows, topics, chunk=chunk).tolist() == whole.tolist()
    assert whole[rows].tolist() == topics.tolist()
    rest = np.setdiff1d(np.arange(n), rows)
    assert set(whole[rest].tolist()) <= set(topics.tolist()) | {-1}
    if len(rest) > 1:                                         # dropping an unfitted document changes no other
        keep = np.delete(np.arange(n), rest[0])
        fewer = assign_by_words([texts[i] for i in keep], np.searchsorted(keep, rows), topics)
        assert fewer.tolist() == whole[keep].tolist()


def test_words_assignment_breaks_a_tie_towards_the_lower_topic():
    assert assign_by_words(["chip", "fund", "chip fund", "fund chip"], [0, 1], [7, 3]).tolist() == [7, 3, 3, 3]


@pytest.mark.parametrize("rows, topics, chunk, match", [
    ([0, 0], [3, 3], 5, "appears twice"),
    ([0, 1], [3], 5, "2 fitted rows but 1 topics"),
    ([0, 9], [3, 3], 5, "must lie in 0..3"),
    ([0, 1], [3, 3], 0, "chunk must be at least 1"),
])
def test_words_assignment_names_inconsistent_input(rows, topics, chunk, match):
    with pytest.raises(ValueError, match=match):
        assign_by_words(["a b", "c d", "e f", "g h"], rows, topics, chunk=chunk)


class _CountingEmbedder:
    """Wraps an embedder and records every text it is asked to encode."""

    def __init__(self, inner):
        self.inner, self.seen = inner, []
        self.model_id = inner.model_id

    def encode(self, texts, **kwargs):
        self.seen.extend(texts)
        return self.inner.encode(texts, **kwargs)

    def __getattr__(self, name):
        return getattr(self.inner, name)


def test_a_fit_assigning_by_words_encodes_only_its_sample(corpus, embedder):
    counting = _CountingEmbedder(embedder)
    model = fit_topic_model(corpus, random_state=7, fit_sample=60, assign="words", embedding_model=counting,
                            cache_dir=None)
    rows = np.sort(np.random.default_rng(7).choice(len(corpus), size=60, replace=False))
    unfitted = set(corpus["text"]) - set(corpus["text"].iloc[rows])
    assert set(corpus["text"].iloc[rows]) <= set(counting.seen)   # (BERTopic also encodes candidate words)
    assert unfitted and not unfitted & set(counting.seen)
    by_embedding = fit_topic_model(corpus, embeddings=embedder.encode(corpus["text"].tolist()), random_state=7,
                                   fit_sample=60, embedding_model=embedder, cache_dir=None)
    dt, de = model.document_topics_, by_embedding.document_topics_
    assert model.topic_words_ == by_embedding.topic_words_     # the same fit on the same sample
    assert dt["topic"].iloc[rows].tolist() == de["topic"].iloc[rows].tolist()
    assert dt["assigned_by"].value_counts().to_dict() == {"sample": 60, "words": 60}
    assert de["assigned_by"].value_counts().to_dict() == {"sample": 60, "embedding": 60}
    assert dt.loc[dt["assigned_by"] == "words", "probability"].isna().all()
    assert dt.loc[dt["assigned_by"] == "sample", "probability"].notna().all()
    purity = dt.groupby("topic")["theme"].agg(lambda s: s.value_counts(normalize=True).iloc[0])
    assert (purity > 0.9).all()                               # the words put the rest with their theme
    assert any("assigned by their words" in note for note in model.notes_)
    passages = representative_passages(model, n=2)
    assert set(passages["doc_index"]) <= set(rows)             # typical passages come from encoded documents


def test_a_fit_by_words_is_the_same_with_or_without_the_vectors_of_the_rest_and_survives_saving(
        corpus, embedder, tmp_path):
    from analysis.topics.measure import load_topic_model

    vectors = embedder.encode(corpus["text"].tolist())
    given = fit_topic_model(corpus, embeddings=vectors, random_state=7, fit_sample=60, assign="words",
                            embedding_model=embedder, cache_dir=None)
    encoded = fit_topic_model(corpus, random_state=7, fit_sample=60, assign="words", embedding_model=embedder,
                              cache_dir=None)
    pd.testing.assert_frame_equal(given.document_topics_, encoded.document_topics_)
    loaded = load_topic_model(given.save(tmp_path / "model"), docs=corpus)
    assert loaded.assign == "words" and loaded.fit_sample == 60
    pd.testing.assert_frame_equal(loaded.document_topics_, given.document_topics_)
    assert loaded.notes_ == given.notes_


def test_words_assignment_needs_a_sample_to_apply(corpus, embedder):
    vectors = embedder.encode(corpus["text"].tolist())
    full = fit_topic_model(corpus, embeddings=vectors, random_state=7, embedding_model=embedder, cache_dir=None)
    words = fit_topic_model(corpus, embeddings=vectors, random_state=7, assign="words", embedding_model=embedder,
                            cache_dir=None)
    pd.testing.assert_frame_equal(words.document_topics_, full.document_topics_)   # no sample, nothing to assign


def test_an_unknown_assignment_is_refused(corpus, embedder):
    with pytest.raises(ValueError, match="assign must be one of"):
        TopicModel(assign="tfidf", embedding_model=embedder, cache_dir=None).fit(corpus)


def test_the_fitting_sample_is_shared_with_the_quality_table():
    assert sample_rows(10, None, 1) is None and sample_rows(10, 10, 1) is None
    rows = sample_rows(100, 30, 5)
    assert len(rows) == 30 and list(rows) == sorted(set(rows))
    assert sample_rows(100, 30, 5).tolist() == rows.tolist() != sample_rows(100, 30, 6).tolist()
