"""Chunks of whole articles: the same tables however the corpus is cut, and clear errors for bad settings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis import embeddings, scale
from analysis.countries.measure import detect_mentions
from analysis.countries.units import sentence_units
from analysis.scale import (
    SchedulerError,
    article_chunks,
    chunk_rows,
    cluster_client,
    map_articles,
    start_scheduler,
)
from analysis.sentiment.by_country import score_mentions


@pytest.mark.parametrize("ids, max_rows, expected", [
    ([], 3, []),
    (["a"], 1, [(0, 1)]),
    (["a", "a", "b", "c", "c", "c"], 3, [(0, 3), (3, 6)]),
    (["a", "a", "a", "a", "b"], 2, [(0, 4), (4, 5)]),        # an article longer than a chunk is not split
    (["a", "b", "a"], 1, [(0, 1), (1, 2), (2, 3)]),          # a returning article is a new run
    ([1, 1, 2, 2], 100, [(0, 4)]),
])
def test_article_chunks_tricky_tables(ids, max_rows, expected):
    assert article_chunks(ids, max_rows=max_rows) == expected


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 6), max_size=60), st.integers(1, 12))
def test_article_chunks_cover_every_row_once_and_never_cut_an_article(ids, max_rows):
    chunks = article_chunks(ids, max_rows=max_rows)
    covered = [i for a, b in chunks for i in range(a, b)]
    assert covered == list(range(len(ids)))
    for a, b in chunks[1:]:
        assert ids[a] != ids[a - 1]                               # a cut only where the article changes
    for a, b in chunks:
        run_starts = [i for i in range(a + 1, b) if ids[i] != ids[i - 1]]
        assert b - a <= max_rows or not run_starts                # oversized only when it is one article


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "3"])
def test_article_chunks_refuses_a_bad_size(bad):
    with pytest.raises(ValueError, match="max_rows"):
        article_chunks(["a"], max_rows=bad)


@pytest.mark.parametrize("value, expected", [("", scale.CHUNK_ROWS), ("25", 25), (" 7 ", 7)])
def test_chunk_rows_reads_the_environment(monkeypatch, value, expected):
    monkeypatch.setenv(scale.CHUNK_ENV, value)
    assert chunk_rows() == expected


@pytest.mark.parametrize("value", ["0", "-4", "lots", "2.5"])
def test_chunk_rows_names_a_bad_environment_value(monkeypatch, value):
    monkeypatch.setenv(scale.CHUNK_ENV, value)
    with pytest.raises(ValueError, match="ANALYSIS_CHUNK_ROWS"):
        chunk_rows()


@pytest.fixture(scope="module")
def seed_sentences():
    from analysis.corpus import prepare_corpus

    return prepare_corpus(None).sentences


@pytest.mark.parametrize("max_rows", [1, 7, 40, 10_000])
def test_mentions_are_the_same_however_the_corpus_is_cut(seed_sentences, max_rows):
    whole = detect_mentions(seed_sentences)
    chunked = map_articles(detect_mentions, seed_sentences, max_rows=max_rows, scheduler="")
    pd.testing.assert_frame_equal(chunked, whole)
    assert len(whole) > 50


@pytest.mark.parametrize("max_rows", [1, 5, 10_000])
def test_scores_with_related_tables_are_the_same_however_cut(seed_sentences, max_rows):
    units = sentence_units(detect_mentions(seed_sentences), seed_sentences)
    whole = score_mentions(units, seed_sentences, scorer="vader")
    chunked = map_articles(score_mentions, units, others={"sentences": seed_sentences}, max_rows=max_rows,
                           scheduler="", scorer="vader")
    pd.testing.assert_frame_equal(chunked, whole)


def _two_tables(part, *, sentences, scale_by):
    counts = sentences.groupby("doc_id").size()
    return {"rows": part.assign(n=part["doc_id"].map(counts) * scale_by), "docs": part[["doc_id"]].drop_duplicates()}


def test_a_chunk_sees_all_rows_of_its_articles_in_related_tables(seed_sentences):
    """Each related table is cut to the chunk's articles, whole: a per-article count is the full count."""
    units = sentence_units(detect_mentions(seed_sentences), seed_sentences)
    out = map_articles(_two_tables, units, others={"sentences": seed_sentences}, max_rows=3, scheduler="",
                       scale_by=2)
    expected = units["doc_id"].map(seed_sentences.groupby("doc_id").size()) * 2
    assert out["rows"]["n"].tolist() == expected.tolist()
    assert out["docs"]["doc_id"].tolist() == list(dict.fromkeys(units["doc_id"]))


def test_an_empty_table_still_gives_the_function_s_columns(seed_sentences):
    empty = seed_sentences.iloc[:0]
    out = map_articles(detect_mentions, empty, scheduler="")
    assert out.empty and list(out.columns) == list(detect_mentions(seed_sentences).columns)


def test_a_table_without_doc_id_is_named():
    with pytest.raises(ValueError, match="sentences has no doc_id"):
        map_articles(len, pd.DataFrame({"doc_id": ["a"]}), others={"sentences": pd.DataFrame({"x": [1]})},
                     scheduler="")


@pytest.mark.parametrize("spec, match", [
    ("local:0", "whole number of workers"),
    ("local:two", "whole number of workers"),
    ("http://example.org:8786", "tcp://host:port"),
    ("cluster.yaml", "no such cluster file"),
])
def test_bad_scheduler_specifications_say_what_is_accepted(spec, match, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SchedulerError, match=match), start_scheduler(spec):
        pass


@pytest.mark.parametrize("text, match", [
    ("jobs: 0\ncluster: {cores: 1}\n", "jobs"),
    ("kind: mainframe\ncluster: {cores: 1}\n", "kind 'mainframe'"),
    ("cluster: [1, 2\n", "not valid YAML"),
])
def test_bad_cluster_files_are_named(tmp_path, text, match):
    path = tmp_path / "cluster.yaml"
    path.write_text(text)
    with pytest.raises(SchedulerError, match=match), start_scheduler(str(path)):
        pass


def test_no_scheduler_means_this_process(monkeypatch):
    monkeypatch.delenv(scale.SCHEDULER_ENV, raising=False)
    with start_scheduler(None) as address:
        assert address == ""
    with cluster_client() as client:
        assert client is None


def test_a_scheduler_variable_that_is_not_an_address_is_refused(monkeypatch):
    monkeypatch.setenv(scale.SCHEDULER_ENV, "local:2")
    with pytest.raises(SchedulerError, match="ANALYSIS_SCHEDULER='local:2'"), cluster_client():
        pass


def test_stored_vectors_are_served_by_the_cache(tmp_path, monkeypatch):
    """Vectors computed elsewhere (a worker) and stored here are what embed_texts returns, without encoding."""
    texts = ["Penang courts chip makers.", "Tokyo funds a new AI institute."]
    embedder = embeddings.load_embedder()
    assert embeddings.cache_missing(texts + texts[:1], embedder=embedder, cache_dir=tmp_path) == texts
    vectors = embedder.encode(texts)
    embeddings.store_vectors(texts, vectors, embedder=embedder, cache_dir=tmp_path)
    assert embeddings.cache_missing(texts, embedder=embedder, cache_dir=tmp_path) == []
    monkeypatch.setattr(embedder, "encode", lambda *a, **k: pytest.fail("a stored text was encoded again"))
    np.testing.assert_array_equal(embeddings.embed_texts(texts, cache_dir=tmp_path), vectors)


def test_storing_a_wrong_number_of_vectors_is_refused(tmp_path):
    embedder = embeddings.load_embedder()
    with pytest.raises(ValueError, match="1 vectors for 2 texts"):
        embeddings.store_vectors(["a", "b"], np.zeros((1, 384)), embedder=embedder, cache_dir=tmp_path)


def test_embed_on_cluster_without_a_scheduler_does_nothing(tmp_path):
    assert scale.embed_on_cluster(["Kuala Lumpur hosts an AI summit."], cache_dir=tmp_path, scheduler="") == 0
    assert not any(tmp_path.iterdir())


def test_sentiment_features_are_cached_per_call_and_read_back_by_key(tmp_path, monkeypatch):
    """Each call (a chunk, a worker) adds its own shard; a later call reads only the rows it needs."""
    from analysis.sentiment import domain

    a = ("Japan's AI push is bold.", (0, 5))
    b = ("Malaysia courts data centres.", (0, 8))
    first = domain.target_features([a[0]], [a[1]], cache_dir=tmp_path)
    second = domain.target_features([b[0], b[0]], [b[1], b[1]], cache_dir=tmp_path)
    assert len(list(tmp_path.glob("*/shard-*.npz"))) == 2
    monkeypatch.setattr(domain, "_compute", lambda *args, **kw: pytest.fail("a cached row was computed again"))
    both = domain.target_features([b[0], a[0]], [b[1], a[1]], cache_dir=tmp_path)
    np.testing.assert_array_equal(both, np.vstack([second[:1], first]))


def test_a_damaged_sentiment_shard_is_recomputed_not_trusted(tmp_path):
    from analysis.sentiment import domain

    sentence, span = "China's DeepSeek unsettles rivals.", (0, 5)
    good = domain.target_features([sentence], [span], cache_dir=tmp_path)
    (shard,) = tmp_path.glob("*/shard-*.npz")
    shard.write_bytes(b"not a numpy file")
    np.testing.assert_array_equal(domain.target_features([sentence], [span], cache_dir=tmp_path), good)


def test_an_empty_chunk_does_not_change_the_columns_dtypes(seed_sentences):
    """A chunk whose articles never name the country has nothing to score; the joined table is the whole run's."""
    units = sentence_units(detect_mentions(seed_sentences), seed_sentences)
    for country in ("MYS", "JPN"):
        whole = score_mentions(units, seed_sentences, scorer="vader", countries=[country])
        chunked = map_articles(score_mentions, units, others={"sentences": seed_sentences}, max_rows=1,
                               scheduler="", scorer="vader", countries=[country])
        pd.testing.assert_frame_equal(chunked, whole)


def test_a_truncated_sentiment_shard_is_recomputed(tmp_path):
    from analysis.sentiment import domain

    sentence, span = "Malaysia's chip parks draw investors.", (0, 8)
    good = domain.target_features([sentence], [span], cache_dir=tmp_path)
    (shard,) = tmp_path.glob("*/shard-*.npz")
    shard.write_bytes(shard.read_bytes()[: shard.stat().st_size // 2])
    np.testing.assert_array_equal(domain.target_features([sentence], [span], cache_dir=tmp_path), good)


@pytest.mark.parametrize("text", ["- 1\n- 2\n", "just words\n"])
def test_a_cluster_file_that_is_not_a_mapping_is_named(tmp_path, text):
    path = tmp_path / "cluster.yaml"
    path.write_text(text)
    with pytest.raises(SchedulerError, match="must hold a mapping"), start_scheduler(str(path)):
        pass


@pytest.mark.parametrize("value", ["0", "-3", "soon"])
def test_a_bad_worker_timeout_is_named(monkeypatch, value):
    monkeypatch.setenv(scale.TIMEOUT_ENV, value)
    with pytest.raises(SchedulerError, match="ANALYSIS_WORKER_TIMEOUT"):
        scale.worker_timeout()


@pytest.mark.slow
def test_work_runs_on_the_workers_and_equals_the_local_result(seed_sentences, tmp_path):
    """On a 2-worker LocalCluster each chunk runs in a worker process, and the joined table is the local one."""
    import os

    with start_scheduler("local:2") as address:
        tagged = map_articles(lambda part: part[["doc_id"]].assign(pid=os.getpid()), seed_sentences, max_rows=10,
                              scheduler=address)
        remote = map_articles(detect_mentions, seed_sentences, max_rows=10, scheduler=address)
        units = sentence_units(remote, seed_sentences)
        scored = map_articles(score_mentions, units, others={"sentences": seed_sentences}, max_rows=5,
                              scheduler=address, scorer="vader")
        texts = seed_sentences["text"].head(12).tolist()
        assert scale.embed_on_cluster(texts, cache_dir=tmp_path, scheduler=address) == len(set(texts))
        assert scale.embed_on_cluster(texts, cache_dir=tmp_path, scheduler=address) == 0   # all cached now
    assert len(tagged) == len(seed_sentences) and os.getpid() not in set(tagged["pid"])
    assert tagged["pid"].nunique() == 2                                  # both workers took chunks
    pd.testing.assert_frame_equal(remote, detect_mentions(seed_sentences))
    pd.testing.assert_frame_equal(scored, score_mentions(units, seed_sentences, scorer="vader"))
    np.testing.assert_array_equal(embeddings.embed_texts(texts, cache_dir=tmp_path),
                                  embeddings.load_embedder().encode(texts))


@pytest.mark.slow
def test_a_scheduler_without_workers_fails_with_a_message(monkeypatch):
    from distributed import LocalCluster

    monkeypatch.setenv(scale.TIMEOUT_ENV, "3")
    with LocalCluster(n_workers=0, processes=False, dashboard_address=None) as cluster:
        with pytest.raises(SchedulerError, match="No Dask worker joined"):
            map_articles(detect_mentions, pd.DataFrame({"doc_id": ["a", "b"], "text": ["x", "y"]}), max_rows=1,
                         scheduler=cluster.scheduler_address)
