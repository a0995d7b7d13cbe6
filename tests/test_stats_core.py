"""Statistics behind the reported numbers, checked against hand and analytic values.

Each test here is meant to fail on a plausible wrong formula (a "mutant"): rows
resampled instead of clusters, a 95% interval that is really 90% or 97.5%,
Cramér's V over ``max(r, c) - 1``, a skipped country pair, a permutation p-value
without its +1. Everything is seeded and runs in a few seconds.
"""

from __future__ import annotations

import math
from itertools import combinations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from analysis.framing.by_country import assess_frame_association
from analysis.numerics import round_significant
from analysis.sentiment.by_country import compare_countries
from analysis.stats import bootstrap_by_group, bootstrap_mean_ci, permutation_test


# ------------------------------------------------------------------ cluster bootstrap
def _clustered_table(seed: int = 7) -> pd.DataFrame:
    """Two countries, six articles each, 25 sentences per article; the article effect dominates."""
    rng = np.random.default_rng(seed)
    rows = []
    for country in ("CHN", "JPN"):
        for doc in range(12):
            article_effect = rng.normal(0.0, 1.0)
            for value in article_effect + rng.normal(0.0, 0.1, 25):
                rows.append({"country": country, "doc_id": f"{country}-{doc}", "score": value})
    return pd.DataFrame(rows)


def test_cluster_interval_is_much_wider_than_row_interval_via_bootstrap_by_group():
    df = _clustered_table()
    clustered = bootstrap_by_group(df, "score", "country", cluster="doc_id", n_boot=1000).set_index("country")
    rows = bootstrap_by_group(df, "score", "country", cluster=None, n_boot=1000).set_index("country")
    # Intra-article correlation ~0.99 with 25 sentences per article: the design effect is ~25,
    # so the honest interval is ~5 times wider; resampling sentences would make them equal.
    width_cl = clustered["ci_high"] - clustered["ci_low"]
    width_rows = rows["ci_high"] - rows["ci_low"]
    assert (width_cl > 3 * width_rows).all(), (width_cl, width_rows)
    # Same point estimate either way: clustering changes the uncertainty, not the mean.
    assert clustered["estimate"].tolist() == rows["estimate"].tolist()
    assert clustered["n_clusters"].tolist() == [12, 12] and rows["n_clusters"].tolist() == [300, 300]
    assert clustered["n"].tolist() == [300, 300]


def test_repeating_rows_inside_their_clusters_leaves_the_cluster_interval_unchanged():
    # Whole clusters are resampled, so an article with every sentence doubled is the same evidence;
    # a row bootstrap would shrink the interval by about sqrt(2).
    rng = np.random.default_rng(11)
    values = np.repeat(rng.normal(0.0, 1.0, 8), 3) + rng.normal(0.0, 0.05, 24)
    clusters = np.repeat(np.arange(8), 3)
    once = bootstrap_mean_ci(values, clusters=clusters, n_boot=500, random_state=2)
    twice = bootstrap_mean_ci(np.r_[values, values], clusters=np.r_[clusters, clusters], n_boot=500,
                              random_state=2)
    assert twice == pytest.approx(once, rel=1e-9, abs=1e-12)


def test_estimate_is_the_mean_of_all_values_not_of_cluster_means():
    # Documented as the mean of ``values``: article A has 4 zeros, article B one 1 -> 1/5, not 1/2.
    est, lo, hi = bootstrap_mean_ci([0.0, 0.0, 0.0, 0.0, 1.0], clusters=["A", "A", "A", "A", "B"],
                                    n_boot=200)
    assert est == pytest.approx(0.2)
    out = bootstrap_by_group(pd.DataFrame({"g": ["x"] * 5, "v": [0, 0, 0, 0, 1], "doc_id": list("AAAAB")}),
                             "v", "g", n_boot=200)
    assert out.loc[0, "estimate"] == pytest.approx(0.2)


def test_bootstrap_replicates_pool_rows_of_the_drawn_clusters():
    # Clusters of 1 row (value 1) and 9 rows (value 0). A draw of both clusters has mean 1/10
    # (pooled rows); a mean of cluster means would give 1/2. Half of all draws are "both", so the
    # 30% and 70% quantiles of the replicates both sit on that value.
    values = [1.0] + [0.0] * 9
    clusters = ["one"] + ["nine"] * 9
    est, lo, hi = bootstrap_mean_ci(values, clusters=clusters, n_boot=4000, ci=0.4, random_state=0)
    assert (est, lo, hi) == pytest.approx((0.1, 0.1, 0.1))


def test_percentile_interval_has_nominal_coverage_for_normal_means():
    # 600 seeded samples of n=100 from N(0, 1): the 95% percentile interval should cover 0 about 95%
    # of the time (a 90% interval covers ~0.90, a 97.5% one ~0.975), and its width should be
    # 2 * 1.96 * s / sqrt(n) (not 2 * 1.645 or 2 * 2.24) on average.
    rng = np.random.default_rng(20240611)
    n, reps = 100, 600
    covered, ratios = 0, []
    for rep in range(reps):
        x = rng.normal(0.0, 1.0, n)
        _, lo, hi = bootstrap_mean_ci(x, n_boot=400, random_state=rep)
        covered += lo <= 0.0 <= hi
        ratios.append((hi - lo) / (2 * x.std(ddof=1) / math.sqrt(n)))
    assert 0.92 <= covered / reps <= 0.96, covered / reps
    assert 1.85 <= np.mean(ratios) <= 2.05, np.mean(ratios)


@pytest.mark.parametrize("ci", [0.5, 0.8, 0.95, 0.99])
def test_interval_width_matches_normal_theory_for_any_ci(ci):
    # For the mean of 400 normal values the bootstrap distribution is normal with sd s_plugin / sqrt(n),
    # so the percentile interval's half-width is z_{(1+ci)/2} times that (Monte Carlo error ~1-2%).
    x = np.random.default_rng(5).normal(3.0, 2.0, 400)
    _, lo, hi = bootstrap_mean_ci(x, n_boot=20000, ci=ci, random_state=1)
    z = sps.norm.ppf(0.5 + ci / 2)
    expected = 2 * z * x.std(ddof=0) / math.sqrt(x.size)
    assert (hi - lo) == pytest.approx(expected, rel=0.04)
    assert lo < x.mean() < hi


def test_bootstrap_outputs_are_rounded_to_ten_significant_digits():
    x = np.random.default_rng(3).normal(0.1, 1.0, 37)
    out = bootstrap_mean_ci(x, clusters=np.arange(37) % 9, n_boot=300)
    assert all(round_significant(v) == v for v in out)
    assert out[0] == round_significant(float(x.mean()))


def test_single_cluster_collapses_and_empty_input_is_all_nan():
    assert bootstrap_mean_ci([0.1, 0.5, 0.9], clusters=["a"] * 3, n_boot=50) == pytest.approx((0.5, 0.5, 0.5))
    assert all(math.isnan(v) for v in bootstrap_mean_ci([], clusters=[]))
    empty = bootstrap_by_group(pd.DataFrame({"country": [], "v": [], "doc_id": []}), "v", "country")
    assert empty.empty and list(empty.columns) == ["country", "estimate", "ci_low", "ci_high", "n", "n_clusters",
                                                   "interval"]


@pytest.mark.parametrize("kwargs, message", [
    (dict(values=[0.1, np.nan, 0.3]), "NaN"),
    (dict(values=[0.1, 0.2], clusters=["a", "b", "c"]), "3 labels for 2 values"),
    (dict(values=[0.1, 0.2], ci=0.0), "ci must be between 0 and 1"),
    (dict(values=[0.1, 0.2], ci=95), "ci must be between 0 and 1"),
    (dict(values=[0.1, 0.2], n_boot=0), "n_boot must be at least 1"),
])
def test_bootstrap_mean_ci_refuses_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        bootstrap_mean_ci(**kwargs)


def test_bootstrap_by_group_counts_rows_and_clusters_per_group_and_refuses_nan():
    df = pd.DataFrame({
        "country": ["CHN"] * 5 + ["JPN"] * 3 + ["CHN"],
        "outlet": ["x", "x", "x", "y", "y", "x", "x", "y", "y"],
        "neg": [True, False, True, True, True, False, False, True, False],
        "doc_id": ["a", "a", "b", "c", "c", "d", "e", "f", "g"],
    })
    out = bootstrap_by_group(df, "neg", ["country", "outlet"], n_boot=200).set_index(["country", "outlet"])
    assert out.index.tolist() == [("CHN", "x"), ("CHN", "y"), ("JPN", "x"), ("JPN", "y")]
    assert out["n"].tolist() == [3, 3, 2, 1]
    assert out["n_clusters"].tolist() == [2, 2, 2, 1]
    assert out["estimate"].tolist() == pytest.approx([2 / 3, 2 / 3, 0.0, 1.0])
    with pytest.raises(ValueError, match="NaN"):
        bootstrap_by_group(df.assign(neg=[1.0, np.nan] + [0.0] * 7), "neg", "country")
    with pytest.raises(ValueError, match=r"\['doc_id'\] not in table"):
        bootstrap_by_group(df.drop(columns="doc_id"), "neg", "country")


# ------------------------------------------------------------------ permutation test
def test_perfectly_separated_groups_get_the_floor_p_value():
    # C(40, 20) ~ 1.4e11 splits and only 2 as extreme as the observed one: no permutation reaches it,
    # so p is exactly 1 / (n_perm + 1), never 0.
    a, b = np.arange(20, 40, dtype=float), np.arange(0, 20, dtype=float)
    for n_perm in (99, 999):
        assert permutation_test(a, b, n_perm=n_perm)["p_value"] == 1 / (n_perm + 1)


def test_identical_groups_get_p_value_one():
    # Every permutation is as extreme as a zero difference: (n_perm + 1) / (n_perm + 1).
    assert permutation_test([0.5] * 4, [0.5] * 5, n_perm=199)["p_value"] == 1.0


@pytest.mark.parametrize("a, b, exact", [
    ([0.0, 1.0], [2.0, 3.0], 2 / 6),          # 6 splits; |difference| = 2 for {0,1} | {2,3} and its mirror
    ([0.0, 1.0, 2.0], [3.0, 4.0, 5.0], 2 / 20),  # 20 splits; only the two extreme ones reach |3|
    ([0.1, 0.2, 0.3], [0.4, 0.5, 0.6], 2 / 20),  # same, in floats that are not exact (ties must count)
])
def test_p_value_matches_full_enumeration(a, b, exact):
    pooled = np.r_[a, b]
    observed = abs(np.mean(a) - np.mean(b))
    splits = list(combinations(range(pooled.size), len(a)))
    by_hand = sum(abs(pooled[list(s)].mean() - np.delete(pooled, list(s)).mean()) >= observed - 1e-12
                  for s in splits) / len(splits)
    assert by_hand == pytest.approx(exact)
    res = permutation_test(a, b, n_perm=20000, random_state=4)
    assert res["p_value"] == pytest.approx(exact, abs=0.015)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_p_value_is_on_the_plus_one_lattice(seed):
    rng = np.random.default_rng(seed)
    a, b = rng.normal(0.3, 1.0, 8), rng.normal(0.0, 1.0, 9)
    n_perm = 97
    p = permutation_test(a, b, n_perm=n_perm, random_state=seed)["p_value"]
    k = p * (n_perm + 1)
    assert k == pytest.approx(round(k), abs=1e-9) and 1 <= round(k) <= n_perm + 1


def test_difference_and_cohens_d_match_hand_values():
    res = permutation_test([1.0, 2.0, 3.0, 4.0], [2.0, 4.0, 6.0], n_perm=50)
    # Means 2.5 and 4; sample variances 5/3 and 4; pooled variance (3 * 5/3 + 2 * 4) / 5 = 2.6.
    assert res["difference"] == pytest.approx(-1.5)
    assert res["cohens_d"] == pytest.approx(-1.5 / math.sqrt(2.6))
    assert (res["n_a"], res["n_b"]) == (4, 3)
    small = permutation_test([1.0], [2.0, 4.0])
    assert small["difference"] == pytest.approx(-2.0)
    assert math.isnan(small["p_value"]) and math.isnan(small["cohens_d"])


def test_permutation_test_refuses_nan():
    # A NaN difference is never matched by a permutation, which used to give the floor p-value.
    with pytest.raises(ValueError, match="NaN"):
        permutation_test([0.1, np.nan, 0.3], [0.2, 0.4, 0.5], n_perm=20)


# ------------------------------------------------------------------ compare_countries
_ARTICLES = pd.DataFrame({
    "doc_id": ["c1", "c2", "c3", "j1", "j2", "c1", "m1", "j1", "u1", "c2"],
    "country": ["CHN"] * 3 + ["JPN"] * 3 + ["MYS"] * 2 + ["USA"] * 2,
    "mean_score": [0.1, 0.3, 0.5, -0.4, 0.0, 0.1, 1.0, 0.8, -1.0, -0.8],
})
# Means: CHN 0.3, JPN -0.1, MYS 0.9, USA -0.9. Shared articles: c1 (CHN, JPN), j1 (JPN, MYS), c2 (CHN, USA).
# The difference combines the within-article difference of shared articles (weight: their number) with
# the difference between the other articles (weight: the harmonic size n_a n_b / (n_a + n_b)). By hand:
# CHN-JPN: within c1 0.1 - 0.1 = 0; others 0.4 - (-0.2) = 0.6, weight 1 -> (0 + 0.6) / 2 = 0.3.
# CHN-USA: within c2 0.3 - (-0.8) = 1.1; others 0.3 - (-1.0) = 1.3, weight 2/3 -> 1.18.
# JPN-MYS: within j1 -0.4 - 0.8 = -1.2; others 0.05 - 1.0 = -0.95, weight 2/3 -> -1.1.
_PAIRS = {  # (difference, raw mean a - mean b, n_a, n_b, n_shared)
    ("CHN", "JPN"): (0.3, 0.4, 3, 3, 1), ("CHN", "MYS"): (-0.6, -0.6, 3, 2, 0), ("CHN", "USA"): (1.18, 1.2, 3, 2, 1),
    ("JPN", "MYS"): (-1.1, -1.0, 3, 2, 1), ("JPN", "USA"): (0.8, 0.8, 3, 2, 0), ("MYS", "USA"): (1.8, 1.8, 2, 2, 0),
}


@pytest.mark.parametrize("countries", [("CHN", "JPN", "MYS"), ("CHN", "JPN", "MYS", "USA")])
def test_compare_countries_reports_every_pair_once_with_hand_values(countries):
    table = _ARTICLES[_ARTICLES["country"].isin(countries)]
    out = compare_countries(table, n_perm=200)
    pairs = list(zip(out["country_a"], out["country_b"]))
    assert pairs == list(combinations(sorted(countries), 2))
    assert len(out) == math.comb(len(countries), 2)
    for row in out.itertuples():
        diff, raw, n_a, n_b, shared = _PAIRS[(row.country_a, row.country_b)]
        assert row.difference == pytest.approx(diff) and row.mean_a - row.mean_b == pytest.approx(raw)
        assert (row.n_a, row.n_b, row.n_shared) == (n_a, n_b, shared)
        a = table.loc[table["country"] == row.country_a, "mean_score"].to_numpy()
        b = table.loc[table["country"] == row.country_b, "mean_score"].to_numpy()
        pooled_var = ((a.size - 1) * a.var(ddof=1) + (b.size - 1) * b.var(ddof=1)) / (a.size + b.size - 2)
        assert row.cohens_d == pytest.approx(diff / math.sqrt(pooled_var))
        assert 1 / 201 <= row.p_value <= 1.0


def test_compare_countries_follows_the_requested_order_and_sign():
    out = compare_countries(_ARTICLES, countries=["MYS", "CHN", "JPN"], n_perm=50)
    assert list(zip(out["country_a"], out["country_b"])) == [("MYS", "CHN"), ("MYS", "JPN"), ("CHN", "JPN")]
    assert out["difference"].tolist() == pytest.approx([0.6, 1.1, 0.3])  # a - b
    assert set(out["measure"]) == {"mean_score"}


# ------------------------------------------------------------------ Cramér's V
_FRAMES = ["conflict", "economic", "human", "security"]
# Country x dominant frame counts; the last column is "none" (no frame reaches the threshold).
_COUNTS = {"CHN": [8, 2, 1, 3, 1], "JPN": [1, 7, 2, 1, 4], "MYS": [2, 1, 6, 2, 2]}


def _passages_and_scores(counts: dict[str, list[int]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    countries, score_rows = [], []
    for country, row in counts.items():
        for j, count in enumerate(row):
            for _ in range(count):
                countries.append(country)
                if j < len(_FRAMES):
                    score_rows.append([0.9 if k == j else 0.1 for k in range(len(_FRAMES))])
                else:
                    score_rows.append([0.2] * len(_FRAMES))  # below the 0.5 threshold: "none"
    passages = pd.DataFrame({"passage_id": [f"p{i}" for i in range(len(countries))],
                             "doc_id": [f"d{i}" for i in range(len(countries))], "country": countries})
    return passages, pd.DataFrame(score_rows, columns=_FRAMES)


def test_cramers_v_on_a_non_square_table_uses_min_dimension():
    passages, scores = _passages_and_scores(_COUNTS)
    res = assess_frame_association(passages, scores)
    observed = np.array(list(_COUNTS.values()), dtype=float)  # 3 x 5
    n = observed.sum()
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0)) / n
    chi2 = float(((observed - expected) ** 2 / expected).sum())
    v_min = math.sqrt(chi2 / (n * (3 - 1)))
    assert abs(v_min - math.sqrt(chi2 / (n * (5 - 1)))) > 0.1  # the max(r, c) - 1 version is far off
    assert res["chi2"] == pytest.approx(chi2)
    assert res["dof"] == (3 - 1) * (5 - 1)
    # The p-value is a permutation p-value (expected counts are small here), near the asymptotic one.
    assert res["p_value"] == pytest.approx(sps.chi2.sf(chi2, 8), abs=0.01)
    assert res["share_expected_below_5"] > 0
    assert res["cramers_v_raw"] == pytest.approx(v_min)
    assert 0 <= res["cramers_v"] < res["cramers_v_raw"]  # bias-corrected (Bergsma 2013): smaller
    assert (res["n"], res["n_countries"], res["n_frames"]) == (int(n), 3, 5)
    table = res["table"]
    for country, row in _COUNTS.items():
        assert [table.loc[country, f] for f in _FRAMES + ["none"]] == row


def test_cramers_v_is_one_for_perfect_association_and_the_p_value_is_the_smallest_a_permutation_gives():
    counts = {"CHN": [200, 0, 0, 0, 0], "JPN": [0, 200, 0, 0, 0], "MYS": [0, 0, 200, 0, 0]}
    res = assess_frame_association(*_passages_and_scores(counts), n_perm=999)
    assert res["cramers_v"] == pytest.approx(1.0) and res["cramers_v_raw"] == pytest.approx(1.0)
    assert res["chi2"] == pytest.approx(600 * 2)  # n * (min(r, c) - 1) for a perfect association
    assert res["p_value"] == pytest.approx(1 / 1000)  # never 0: (count + 1) / (n_perm + 1)


def test_two_by_two_chi_square_has_no_continuity_correction():
    # CHN: conflict 6, economic 2; JPN: conflict 1, economic 7 (n = 16). Pearson's chi-square without
    # Yates' correction is n (ad - bc)^2 / (row and column totals) = 16 * 40^2 / (8 * 8 * 7 * 9).
    counts = {"CHN": [6, 2, 0, 0, 0], "JPN": [1, 7, 0, 0, 0]}
    res = assess_frame_association(*_passages_and_scores(counts))
    chi2 = 16 * 40**2 / (8 * 8 * 7 * 9)
    assert res["dof"] == 1 and res["chi2"] == pytest.approx(chi2)
    assert res["cramers_v_raw"] == pytest.approx(math.sqrt(chi2 / 16))


@pytest.mark.parametrize("n_perm", [0, -5, 2.5, True])
def test_permutation_test_refuses_a_meaningless_number_of_permutations(n_perm):
    with pytest.raises(ValueError, match="n_perm"):
        permutation_test([1.0, 2.0, 3.0], [4.0, 5.0, 6.0], n_perm=n_perm)


@pytest.mark.parametrize("clusters", [["a", None, "b"], ["a", float("nan"), "b"]])
def test_bootstrap_refuses_missing_cluster_labels(clusters):
    with pytest.raises(ValueError, match="missing cluster labels"):
        bootstrap_mean_ci([0.1, 0.2, 0.3], clusters=clusters)


@pytest.mark.parametrize("p, shown", [(0.04213, 0.0421), (0.0002, 0.0002), (3e-12, "< 0.0001"), (1.0, 1.0)])
def test_format_result_never_prints_a_p_value_of_zero(p, shown):
    import pandas as pd

    from analysis.stats import format_result

    out = format_result({"p_value": p, "cramers_v": 0.46512, "n": 10, "table": pd.DataFrame({"a": [1]}),
                         "chi2": float("nan")})
    assert out["p_value"] == shown and out["cramers_v"] == 0.465 and out["n"] == 10
    assert "table" not in out and out["chi2"] != out["chi2"]  # NaN passes through
