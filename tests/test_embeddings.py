"""The bundled MiniLM is verified, offline, and cached by content hash without staleness."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from analysis import embeddings
from analysis.embeddings import (MINILM_SHA256, ModelChecksumError, SentenceTransformerEmbedder,
                                 TfidfSvdEmbedder, embed_texts, packaged_minilm_dir, sha256_file)


def test_packaged_model_matches_published_checksum():
    assert sha256_file(packaged_minilm_dir() / "model.safetensors") == MINILM_SHA256


def test_corrupted_weights_are_refused(tmp_path):
    copy = tmp_path / "model"
    shutil.copytree(packaged_minilm_dir(), copy)
    weights = copy / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(ModelChecksumError, match="reinstall"):
        SentenceTransformerEmbedder(copy, expected_sha256=MINILM_SHA256)


def test_real_model_gives_semantic_similarity(tmp_path):
    vecs = embed_texts(["China's DeepSeek released a cheap AI model.",
                        "A Chinese start-up launched an inexpensive language model.",
                        "The football match ended in a draw."], cache_dir=tmp_path)
    assert vecs.shape == (3, 384) and vecs.dtype == np.float32
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    assert vecs[0] @ vecs[1] > vecs[0] @ vecs[2] + 0.3


def test_cache_serves_only_new_texts(tmp_path, monkeypatch):
    texts = ["Johor builds data centres.", "SoftBank backs Stargate."]
    first = embed_texts(texts, cache_dir=tmp_path)
    embedder = embeddings.load_embedder()
    calls = []
    original = embedder.encode
    monkeypatch.setattr(embedder, "encode", lambda t, **kw: calls.append(list(t)) or original(t, **kw))
    again = embed_texts(texts[::-1] + ["A new article about Penang."], cache_dir=tmp_path)
    assert calls == [["A new article about Penang."]]
    np.testing.assert_array_equal(again[:2], first[::-1])


def test_cache_rereads_a_shard_that_changed_and_forgets_a_deleted_one(tmp_path, monkeypatch):
    """Shards are memoised in memory; a shard rewritten or removed on disk must never be served stale."""
    texts = ["Malaysia courts data centre investors.", "Japan funds AI research."]
    embed_texts(texts, cache_dir=tmp_path)                       # writes one shard, memoises it
    (shard,) = (tmp_path / embeddings.load_embedder().model_id).glob("shard-*.npz")
    with np.load(shard) as data:
        keys, vectors = data["keys"], data["vectors"]
    np.savez(shard, keys=keys, vectors=np.full_like(vectors, 0.5))  # same name, new content
    np.testing.assert_array_equal(embed_texts(texts, cache_dir=tmp_path), np.full_like(vectors, 0.5))
    shard.unlink()
    embedder = embeddings.load_embedder()
    calls = []
    original = embedder.encode
    monkeypatch.setattr(embedder, "encode", lambda t, **kw: calls.append(list(t)) or original(t, **kw))
    np.testing.assert_allclose(embed_texts(texts, cache_dir=tmp_path), vectors, atol=1e-6)
    assert calls == [texts]                                       # recomputed, not served from memory


def test_cache_is_keyed_by_model_identity(tmp_path):
    texts = ["alpha beta gamma", "beta gamma delta", "gamma delta epsilon", "delta epsilon zeta"]
    lsa_a = TfidfSvdEmbedder(n_components=2).fit(texts)
    lsa_b = TfidfSvdEmbedder(n_components=2).fit(texts + ["zeta eta theta"])
    assert lsa_a.model_id != lsa_b.model_id
    a = embed_texts(texts, model=lsa_a, cache_dir=tmp_path)
    b = embed_texts(texts, model=lsa_b, cache_dir=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([lsa_a.model_id, lsa_b.model_id])
    assert not np.allclose(a, b)


@pytest.mark.parametrize("bad", [[None], ["ok", 3.5]])
def test_non_string_texts_are_rejected_with_their_position(bad, tmp_path):
    with pytest.raises(ValueError, match="item"):
        embed_texts(bad, cache_dir=tmp_path)


def test_unknown_model_name_is_not_downloaded():
    with pytest.raises(FileNotFoundError, match="never downloaded"):
        embeddings.load_embedder("sentence-transformers/some-hub-model")


def test_vectors_do_not_depend_on_what_else_is_encoded(tmp_path):
    short = "Malaysia builds data centres."
    others = ["A much longer sentence about Johor, Penang and the data-centre corridor of southern Malaysia.",
              "SoftBank's Masayoshi Son announced Stargate at the White House with President Trump."]
    alone = embed_texts([short], cache_dir=None)
    mixed = embed_texts(others + [short], cache_dir=None)
    np.testing.assert_array_equal(alone[0], mixed[2])


def test_unfitted_lsa_embedder_says_fit_first(tmp_path):
    with pytest.raises(ValueError, match="fitted"):
        embed_texts(["a text"], model=TfidfSvdEmbedder(), cache_dir=tmp_path)
