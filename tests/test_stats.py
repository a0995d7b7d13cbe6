"""Cluster bootstrap and permutation test behave as statistics should."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.stats import bootstrap_by_group, bootstrap_mean_ci, permutation_test


def test_interval_contains_estimate_and_is_seeded():
    values = np.r_[np.zeros(30), np.ones(20)]
    est, lo, hi = bootstrap_mean_ci(values, random_state=3)
    assert est == pytest.approx(0.4)
    assert lo < est < hi
    assert bootstrap_mean_ci(values, random_state=3) == (est, lo, hi)


def test_cluster_resampling_widens_interval_for_clustered_data():
    # Ten articles, each with ten identical sentence scores: only ten independent units.
    values = np.repeat(np.arange(10) % 2, 10).astype(float)
    clusters = np.repeat(np.arange(10), 10)
    _, lo_rows, hi_rows = bootstrap_mean_ci(values, random_state=0)
    _, lo_cl, hi_cl = bootstrap_mean_ci(values, clusters=clusters, random_state=0)
    assert (hi_cl - lo_cl) > 2 * (hi_rows - lo_rows)


def test_single_cluster_collapses_to_estimate_and_empty_gives_nan():
    assert bootstrap_mean_ci([0.2, 0.4], clusters=["a", "a"]) == pytest.approx((0.3, 0.3, 0.3))
    assert all(np.isnan(bootstrap_mean_ci([])))


@pytest.mark.parametrize("bad", [dict(values=[1.0, np.nan]), dict(values=[1.0], ci=1.5),
                                 dict(values=[1.0, 2.0], clusters=["a"])])
def test_bad_input_raises_value_error(bad):
    with pytest.raises(ValueError):
        bootstrap_mean_ci(**bad)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-5, 5), min_size=1, max_size=40), st.integers(0, 2**16))
def test_interval_lies_within_the_data_range(values, seed):
    est, lo, hi = bootstrap_mean_ci(values, n_boot=200, random_state=seed)
    tol = 1e-9
    assert min(values) - tol <= lo <= est + tol and est - tol <= hi <= max(values) + tol


def test_bootstrap_by_group_reports_counts_and_clusters():
    df = pd.DataFrame({"country": ["CHN"] * 4 + ["JPN"] * 2, "neg": [1, 1, 0, 0, 0, 1],
                       "doc_id": ["a", "a", "b", "c", "d", "d"]})
    out = bootstrap_by_group(df, "neg", "country", n_boot=300)
    assert list(out.columns) == ["country", "estimate", "ci_low", "ci_high", "n", "n_clusters", "interval"]
    assert out["interval"].tolist() == ["too few articles for an interval"] * 2  # 3 and 1 articles
    chn = out.set_index("country").loc["CHN"]
    assert chn["estimate"] == pytest.approx(0.5) and chn["n"] == 4 and chn["n_clusters"] == 3
    with pytest.raises(ValueError, match="not in table"):
        bootstrap_by_group(df, "missing", "country")


def test_permutation_test_detects_a_real_difference_and_not_a_null_one():
    rng = np.random.default_rng(0)
    a, b = rng.normal(1.0, 1.0, 60), rng.normal(0.0, 1.0, 60)
    strong = permutation_test(a, b, n_perm=999)
    assert strong["p_value"] < 0.01 and strong["cohens_d"] > 0.5
    null = permutation_test(a, a.copy(), n_perm=999)
    assert null["p_value"] == pytest.approx(1.0) and null["difference"] == 0.0
    assert np.isnan(permutation_test([1.0], [2.0, 3.0])["p_value"])
