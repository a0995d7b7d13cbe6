"""Topic quality measures against hand-computed values, plus baselines and stability."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.topics.validation import (
    TopicFit, compare_topic_models, fit_baseline_topics, match_topics, npmi_coherence, subsample_stability,
    topic_diversity, topic_npmi, topic_stability,
)

# Four documents. P(apple)=3/4, P(banana)=2/4, P(cherry)=2/4, P(durian)=1/4;
# P(apple,banana)=2/4, P(apple,cherry)=2/4, P(banana,cherry)=1/4, P(banana,durian)=0.
TOY_DOCS = ["Apple banana.", "apple, banana and cherry", "APPLE cherry", "durian"]
NPMI_AB = math.log(0.5 / (0.75 * 0.5)) / -math.log(0.5)  # 0.41504
NPMI_BC = math.log(0.25 / (0.5 * 0.5)) / -math.log(0.25)  # 0.0 (independent)


@pytest.mark.parametrize("words, expected", [
    (["apple", "banana"], NPMI_AB),
    (["apple", "cherry"], NPMI_AB),
    (["banana", "cherry"], NPMI_BC),
    (["banana", "durian"], -1.0),                      # never together
    (["apple", "banana", "cherry"], (2 * NPMI_AB + NPMI_BC) / 3),
    (["apple", "mango"], -1.0),                        # word absent from the corpus
    (["Apple", "BANANA"], NPMI_AB),                    # case-insensitive
])
def test_topic_npmi_matches_hand_computation(words, expected):
    got = topic_npmi({7: words}, TOY_DOCS)
    assert got.loc[0, "topic"] == 7
    assert got.loc[0, "npmi"] == pytest.approx(expected, rel=1e-9, abs=1e-12)  # 10 significant digits kept
    assert got.loc[0, "n_pairs"] == len(words) * (len(words) - 1) // 2


def test_npmi_perfect_cooccurrence_and_single_word():
    docs = ["alpha beta", "beta alpha gamma"]
    assert npmi_coherence([["alpha", "beta"]], docs) == pytest.approx(1.0)
    assert math.isnan(topic_npmi([["alpha"]], docs).loc[0, "npmi"])


def test_npmi_coherence_averages_topics_and_only_top_n():
    words = {0: ["apple", "banana", "durian"], 1: ["banana", "durian"]}
    assert npmi_coherence(words, TOY_DOCS, top_n=2) == pytest.approx((NPMI_AB - 1.0) / 2)


def test_npmi_rejects_empty_reference():
    with pytest.raises(ValueError, match="reference documents"):
        topic_npmi([["a", "b"]], [])


@pytest.mark.parametrize("topics, top_n, expected", [
    ([["apple", "banana"], ["banana", "durian"]], 10, 0.75),
    ([["a", "b", "c"], ["d", "e", "f"]], 10, 1.0),
    ([["a", "b", "c"], ["a", "b", "c"]], 10, 0.5),
    ([["a", "b", "x"], ["a", "b", "y"]], 2, 0.5),
])
def test_topic_diversity_hand_values(topics, top_n, expected):
    assert topic_diversity(topics, top_n=top_n) == pytest.approx(expected)


def test_topic_diversity_rejects_no_words():
    with pytest.raises(ValueError):
        topic_diversity([])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sets(st.sampled_from(list("abcdefgh")), min_size=0, max_size=5), min_size=1, max_size=8),
       st.lists(st.lists(st.sampled_from(list("abcdefgh")), min_size=2, max_size=4, unique=True), min_size=1,
                max_size=4))
def test_npmi_bounded_and_diversity_in_unit_interval(docs, topics):
    value = npmi_coherence(topics, docs)
    assert -1.0 - 1e-9 <= value <= 1.0 + 1e-9
    assert 0.0 < topic_diversity(topics) <= 1.0


@pytest.mark.parametrize("a, b, expected", [
    ([["a", "b", "c", "d"]], [["a", "b", "c", "d"]], 1.0),
    ([["a", "b", "c", "d"]], [["a", "b", "x", "y"]], 1.0),        # 2/4 shared = threshold
    ([["a", "b", "c", "d"]], [["a", "x", "y", "z"]], 0.0),
    ([["a", "b", "c", "d"], ["e", "f", "g", "h"]], [["a", "b", "c", "d"]], 0.75),  # a->b 1/2, b->a 1
])
def test_match_topics(a, b, expected):
    assert match_topics(a, b) == pytest.approx(expected)


def test_topic_stability_pairs_and_label_permutation():
    base = np.array([0, 0, 1, 1, 2, 2])
    fits = [TopicFit("x", 0, base, {0: ["a"], 1: ["b"], 2: ["c"]}),
            TopicFit("x", 1, np.array([2, 2, 0, 0, 1, 1]), {0: ["b"], 1: ["c"], 2: ["a"]}),
            TopicFit("x", 2, np.array([0, 1, 0, 1, 0, 1]), {0: ["q"], 1: ["r"]})]
    table = topic_stability(fits)
    assert list(zip(table.seed_a, table.seed_b)) == [(0, 1), (0, 2), (1, 2)]
    assert table.loc[0, "ari"] == pytest.approx(1.0)          # same partition, relabelled
    assert table.loc[0, "matched_share"] == pytest.approx(1.0)
    assert table.loc[1, "ari"] < 0.1
    assert table.loc[1, "matched_share"] == 0.0


def test_topic_stability_rejects_bad_input():
    with pytest.raises(ValueError, match="at least two"):
        topic_stability([TopicFit("x", 0, np.zeros(3), {})])
    with pytest.raises(ValueError, match="different numbers"):
        topic_stability([TopicFit("x", 0, np.zeros(3), {}), TopicFit("x", 1, np.zeros(4), {})])


SPORT = "football match goal striker league penalty referee stadium"
MONEY = "bank interest inflation bond market investor currency loan"
SPACE = "rocket orbit satellite launch astronaut moon mission telescope"


def _corpus(n_per=12, seed=0):
    rng = np.random.default_rng(seed)
    docs = []
    for vocab in (SPORT, MONEY, SPACE):
        words = vocab.split()
        docs += [" ".join(rng.choice(words, size=12)) for _ in range(n_per)]
    return docs


@pytest.mark.parametrize("method", ["lda", "nmf"])
def test_baselines_recover_separated_topics_deterministically(method):
    docs = _corpus()
    fit = fit_baseline_topics(docs, method=method, n_topics=3, random_state=3, top_n=5)
    again = fit_baseline_topics(docs, method=method, n_topics=3, random_state=3, top_n=5)
    assert fit.topic_words == again.topic_words
    assert np.array_equal(fit.assignments, again.assignments)
    groups = [set(v.split()) for v in (SPORT, MONEY, SPACE)]
    for words in fit.topic_words.values():
        assert sum(set(words) <= g for g in groups) == 1      # each topic lies inside one true theme
    assert topic_diversity(fit.topic_words) == 1.0
    assert npmi_coherence(fit.topic_words, docs) > 0.1


@pytest.mark.parametrize("kwargs, match", [({"method": "lsa", "n_topics": 3}, "lda"),
                                           ({"method": "lda", "n_topics": 1}, "at least 2")])
def test_baseline_rejects_bad_options(kwargs, match):
    with pytest.raises(ValueError, match=match):
        fit_baseline_topics(_corpus(), **kwargs)


def test_compare_topic_models_table_with_injected_fitter():
    docs = _corpus()

    def fake_bertopic(documents, *, random_state):
        labels = np.repeat([0, 1, 2], len(documents) // 3)
        return TopicFit("bertopic", random_state, labels, {i: v.split()[:10] for i, v in enumerate((SPORT, MONEY, SPACE))})

    table = compare_topic_models(docs, random_states=(0, 1, 2), fitters={"bertopic": fake_bertopic})
    assert list(table.model) == ["bertopic", "lda", "nmf"]
    row = table.set_index("model").loc["bertopic"]
    assert row.stability_ari == 1.0 and row.matched_share == 1.0 and row.diversity == 1.0
    assert table.set_index("model").loc["lda", "n_topics"] == 3        # baselines get BERTopic's k
    assert (table.n_seeds == 3).all()
    assert table["subsample_ari"].isna().all()                         # not asked for


def test_compare_topic_models_subsample_column():
    docs = _corpus()
    themes = [set(v.split()) for v in (SPORT, MONEY, SPACE)]

    def by_vocabulary(documents, *, random_state):                              # data-determined: stable under subsampling
        labels = np.array([next(i for i, t in enumerate(themes) if d.split()[0] in t) for d in documents])
        return TopicFit("bertopic", random_state, labels, {i: sorted(t)[:10] for i, t in enumerate(themes)})

    table = compare_topic_models(docs, random_states=(0, 1), models=("bertopic", "nmf"),
                                 fitters={"bertopic": by_vocabulary}, subsample_pairs=2).set_index("model")
    assert table.loc["bertopic", "subsample_ari"] == 1.0
    assert -1.0 <= table.loc["nmf", "subsample_ari"] <= 1.0


# ------------------------------------------------------------------ subsample stability
def _keyword_fit(documents, embeddings=None, random_state=0):
    """Labels from the text alone: perfectly stable under subsampling; checks embeddings travel with docs."""
    if embeddings is not None:
        assert [int(e[0]) for e in embeddings] == [len(d) for d in documents]
    labels = np.array([0 if "apple" in d else 1 if "river" in d else 2 for d in documents])
    return TopicFit("keywords", random_state, labels, {0: ["apple"], 1: ["river"], 2: ["other"]})


def _random_fit(documents, embeddings=None, random_state=0):
    labels = np.random.default_rng(sum(len(d) for d in documents)).integers(0, 3, len(documents))
    return TopicFit("random", random_state, labels, {0: ["a"], 1: ["b"], 2: ["c"]})


SUB_DOCS = [f"{w} text number {i}" for i in range(60) for w in ("apple", "river", "stone")][:120]


@pytest.mark.parametrize("fraction", [0.5, 0.8, 1.0])
def test_subsample_stability_of_a_data_determined_partition_is_one(fraction):
    emb = np.array([[len(d), 0.0] for d in SUB_DOCS])
    out = subsample_stability(_keyword_fit, SUB_DOCS, embeddings=emb, fraction=fraction, repeats=3)
    assert list(out.columns) == ["pair", "n_shared", "ari"] and len(out) == 3
    assert (out["ari"] == 1.0).all()
    if fraction == 1.0:
        assert (out["n_shared"] == len(SUB_DOCS)).all()
    else:
        assert (out["n_shared"] < round(fraction * len(SUB_DOCS))).all()


def test_subsample_stability_of_random_labels_is_near_zero():
    out = subsample_stability(_random_fit, SUB_DOCS, repeats=4)
    assert out["ari"].abs().max() < 0.15


@pytest.mark.parametrize("kwargs, match", [
    ({"fraction": 0.0}, "fraction"), ({"fraction": 1.5}, "fraction"),
    ({"embeddings": np.zeros((3, 2))}, "rows for"),
])
def test_subsample_stability_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        subsample_stability(_keyword_fit, SUB_DOCS, **kwargs)


def test_subsample_stability_needs_four_documents():
    with pytest.raises(ValueError, match="at least 4"):
        subsample_stability(_keyword_fit, SUB_DOCS[:3])
