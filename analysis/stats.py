"""Uncertainty for comparisons between countries, respecting the design of news data.

News measurements are clustered: several sentences come from one article, and one article can mention
several countries. Everything here treats the article as the unit of resampling or permutation:

- **Intervals.** Shares get a Wilson interval on the design-effect-adjusted sample size (Kish 1965), so an
  interval never collapses at 0 or 1; means get a percentile bootstrap that resamples whole articles.
  Below :data:`MIN_CLUSTERS` articles a bootstrap range is just the range of the data, so no interval is
  given and the table says :data:`TOO_FEW` (shares of units that are themselves articles keep their Wilson
  interval at any size).
- **Tests.** Country contrasts use a restricted permutation test (:func:`paired_permutation_test`): in an
  article that mentions both countries the two values are swapped (a paired comparison), and articles that
  mention one of them exchange their labels; the contingency test of country by frame permutes the same
  way (:func:`contingency_permutation_test`), which stays valid when expected counts are small.
- **Many comparisons.** Every table of tests carries Holm-adjusted p-values (:func:`holm`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from analysis.numerics import round_significant

__all__ = ["MIN_CLUSTERS", "TOO_FEW", "bootstrap_mean_ci", "bootstrap_by_group", "permutation_test", "share_interval",
           "design_effect", "paired_permutation_test", "contingency_permutation_test", "holm"]

#: Fewer article clusters than this give no bootstrap interval (the "interval" would be the data's range).
MIN_CLUSTERS = 10
#: What a table says instead of an interval below :data:`MIN_CLUSTERS` clusters.
TOO_FEW = "too few articles for an interval"


def _check_ci(ci: float) -> None:
    if not 0.0 < ci < 1.0:
        raise ValueError(f"ci must be between 0 and 1 (e.g. 0.95), got {ci!r}.")


def bootstrap_mean_ci(
    values, *, clusters=None, n_boot: int = 2000, ci: float = 0.95, random_state: int = 0
) -> tuple[float, float, float]:
    """Mean of ``values`` with a percentile bootstrap interval, resampling clusters.

    Args:
        values: 1-d numbers (NaN are not allowed: drop and report them first).
        clusters: Optional cluster label per value (e.g. ``doc_id``); whole clusters
            are resampled. ``None`` treats each value as its own cluster.
        n_boot: Bootstrap replicates.
        ci: Interval coverage.
        random_state: Seed for the generator.

    Returns:
        ``(estimate, ci_low, ci_high)`` to 10 significant digits (the same on any CPU;
        see :mod:`analysis.numerics`); all NaN when ``values`` is empty. With a
        single cluster the interval collapses to the estimate (no information).

    Raises:
        ValueError: NaN in ``values``, mismatched lengths, a bad ``ci`` or ``n_boot`` < 1.
    """
    _check_ci(ci)
    if n_boot < 1:
        raise ValueError(f"n_boot must be at least 1 (e.g. 2000), got {n_boot!r}.")
    x = np.asarray(values, dtype=float)
    if np.isnan(x).any():
        raise ValueError("bootstrap_mean_ci got NaN values; drop them (and report how many) first.")
    if x.size == 0:
        return (float("nan"),) * 3
    labels = np.arange(x.size) if clusters is None else np.asarray(clusters)
    if labels.shape[0] != x.size:
        raise ValueError(f"clusters has {labels.shape[0]} labels for {x.size} values.")
    if clusters is not None and pd.isna(pd.Series(list(clusters), dtype=object)).any():
        raise ValueError("bootstrap_mean_ci got missing cluster labels (None/NaN); give every value its cluster "
                         "(e.g. its doc_id) first.")
    _, codes = np.unique(labels, return_inverse=True)
    n_clusters = codes.max() + 1
    sums = np.bincount(codes, weights=x, minlength=n_clusters)
    counts = np.bincount(codes, minlength=n_clusters).astype(float)
    estimate = float(x.mean())
    rng = np.random.default_rng(random_state)
    # Multinomial cluster weights = resampling clusters with replacement.
    weights = rng.multinomial(n_clusters, np.full(n_clusters, 1.0 / n_clusters), size=n_boot)
    boot = (weights @ sums) / (weights @ counts)
    alpha = (1.0 - ci) / 2.0
    low, high = np.quantile(boot, [alpha, 1.0 - alpha])
    # Rounded: the matrix products and the quantile differ across CPUs in the last bit only.
    return round_significant(estimate), round_significant(low), round_significant(high)


def bootstrap_by_group(
    df: pd.DataFrame,
    value: str,
    group: str | list[str],
    *,
    cluster: str | None = "doc_id",
    n_boot: int = 2000,
    ci: float = 0.95,
    random_state: int = 0,
    kind: str = "auto",
) -> pd.DataFrame:
    """Per-group mean (or share) of ``value`` with an interval that respects the articles.

    Args:
        df: Long table, one row per unit (mention, sentence, article).
        value: Numeric (or boolean, giving a share) column to average.
        group: Column(s) defining the groups (e.g. ``"country"``).
        cluster: Column of the article each row belongs to; ``None``: every row is its own article.
        n_boot, ci, random_state: As in :func:`bootstrap_mean_ci`.
        kind: ``"share"`` (0/1 values), ``"mean"``, or ``"auto"`` (a share when every value is 0 or 1).

    Returns:
        DataFrame with the group column(s) and ``estimate``, ``ci_low``, ``ci_high``, ``n`` (rows),
        ``n_clusters`` (articles) and ``interval``, which says how the interval was made: ``"Wilson"``
        (shares of articles), ``"Wilson, design effect D"`` (shares of units clustered in >= 10 articles),
        ``"cluster bootstrap"`` (means over >= 10 articles) or :data:`TOO_FEW` (no interval).

    Raises:
        ValueError: A named column is missing, or an unknown ``kind``.
    """
    if kind not in ("auto", "share", "mean"):
        raise ValueError(f"kind must be 'auto', 'share' or 'mean', got {kind!r}.")
    groups = [group] if isinstance(group, str) else list(group)
    needed = [value, *groups] + ([cluster] if cluster else [])
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise ValueError(f"bootstrap_by_group: columns {missing} not in table (has {list(df.columns)}).")
    rows = []
    for key, sub in df.groupby(groups, sort=True, dropna=False):
        vals = sub[value].astype(float).to_numpy()
        if np.isnan(vals).any():
            raise ValueError(f"bootstrap_by_group got {int(np.isnan(vals).sum())} NaN value(s) in {value!r}; drop them "
                             "(and report how many) first.")
        cl = sub[cluster].to_numpy() if cluster else np.arange(len(sub))
        if cluster and pd.isna(pd.Series(list(cl), dtype=object)).any():
            raise ValueError("bootstrap_by_group got missing cluster labels (None/NaN); give every row its article "
                             "(e.g. its doc_id) first.")
        n_clusters = int(pd.Series(cl).nunique())
        share = kind == "share" or (kind == "auto" and bool(np.isin(vals, (0.0, 1.0)).all()))
        est, lo, hi, how = _interval(vals, cl, n_clusters, share=share, n_boot=n_boot, ci=ci,
                                     random_state=random_state)
        key = key if isinstance(key, tuple) else (key,)
        rows.append({**dict(zip(groups, key)), "estimate": est, "ci_low": lo, "ci_high": hi,
                     "n": len(sub), "n_clusters": n_clusters, "interval": how})
    return pd.DataFrame(rows, columns=[*groups, "estimate", "ci_low", "ci_high", "n", "n_clusters", "interval"])


def _interval(vals, clusters, n_clusters: int, *, share: bool, n_boot: int, ci: float, random_state: int):
    nan = float("nan")
    if vals.size == 0:
        return nan, nan, nan, TOO_FEW
    estimate = round_significant(float(vals.mean()))
    clustered = vals.size > n_clusters
    if share and not (clustered and n_clusters < MIN_CLUSTERS):
        deff = design_effect(vals, clusters) if clustered else 1.0
        low, high = share_interval(float(vals.sum()), vals.size, ci=ci, design_effect=deff)
        return estimate, low, high, "Wilson" if deff == 1.0 else f"Wilson, design effect {deff:.2f}"
    if n_clusters < MIN_CLUSTERS:
        return estimate, nan, nan, TOO_FEW
    _, low, high = bootstrap_mean_ci(vals, clusters=clusters, n_boot=n_boot, ci=ci, random_state=random_state)
    return estimate, low, high, "cluster bootstrap"


def share_interval(successes: float, n: float, *, ci: float = 0.95, method: str = "wilson",
                   design_effect: float = 1.0) -> tuple[float, float]:
    """Interval for a share ``successes / n`` that never collapses at 0 or 1.

    Args:
        successes, n: Count and total (``n`` > 0).
        ci: Coverage.
        method: ``"wilson"`` (Wilson 1927) or ``"clopper_pearson"`` (exact, conservative).
        design_effect: Kish's design effect of clustered units (:func:`design_effect`); the interval is
            computed on the effective sample size ``n / design_effect``.

    Returns:
        ``(low, high)`` to 10 significant digits.

    Raises:
        ValueError: ``n`` <= 0, ``successes`` outside ``[0, n]``, a design effect below 1, or an unknown method.
    """
    from statsmodels.stats.proportion import proportion_confint

    _check_ci(ci)
    if not n > 0 or not 0 <= successes <= n:
        raise ValueError(f"share_interval needs 0 <= successes <= n and n > 0, got {successes!r} of {n!r}.")
    if not design_effect >= 1.0:
        raise ValueError(f"design_effect must be >= 1, got {design_effect!r}.")
    methods = {"wilson": "wilson", "clopper_pearson": "beta"}
    if method not in methods:
        raise ValueError(f"method must be one of {sorted(methods)}, got {method!r}.")
    low, high = proportion_confint(successes / design_effect, n / design_effect, alpha=1.0 - ci,
                                   method=methods[method])
    return round_significant(float(max(low, 0.0))), round_significant(float(min(high, 1.0)))


def design_effect(values, clusters) -> float:
    """Kish's design effect of a mean over clustered units: its cluster-robust variance over the iid one.

    1 when units are independent (or all values are equal); above 1 when units of one article resemble
    each other. Never below 1 (a design effect below 1 would narrow the interval on a small sample).
    """
    x = np.asarray(values, dtype=float)
    if x.size < 2:
        return 1.0
    _, codes = np.unique(np.asarray(clusters), return_inverse=True)
    g = int(codes.max()) + 1
    r = x - x.mean()
    iid = float((r ** 2).sum()) / (x.size * (x.size - 1))
    if iid <= 0.0 or g < 2:
        return 1.0
    sums = np.bincount(codes, weights=r, minlength=g)
    robust = g / (g - 1) * float((sums ** 2).sum()) / x.size ** 2
    return round(max(1.0, robust / iid), 6)


def holm(p_values) -> np.ndarray:
    """Holm-adjusted p-values (family-wise error) over the finite entries; NaN stays NaN.

    Example:
        >>> holm([0.036, 0.5, 0.2, 0.01]).round(3).tolist()
        [0.108, 0.5, 0.4, 0.04]
    """
    from statsmodels.stats.multitest import multipletests

    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    if ok.any():
        out[ok] = multipletests(p[ok], method="holm")[1]
    return out


def permutation_test(
    a, b, *, n_perm: int = 5000, random_state: int = 0,
    statistic: Callable[[np.ndarray, np.ndarray], float] | None = None,
) -> dict[str, float]:
    """Two-sided permutation test for a difference between two groups.

    Args:
        a, b: 1-d numeric samples (one value per independent unit, e.g. article).
        n_perm: Number of label permutations.
        random_state: Seed.
        statistic: ``f(a, b) -> float``; default difference in means.

    Returns:
        ``{"difference", "p_value", "cohens_d", "n_a", "n_b"}``. The p-value uses
        the (count + 1) / (n_perm + 1) correction so it is never exactly 0.
        NaN p-value and effect when either group has fewer than 2 units.

    Raises:
        ValueError: NaN in ``a`` or ``b`` (a NaN statistic would never be matched by a
            permutation and would give the smallest possible p-value), or ``n_perm`` < 1.
    """
    if isinstance(n_perm, bool) or not isinstance(n_perm, (int, np.integer)) or n_perm < 1:
        raise ValueError(f"n_perm must be a whole number of at least 1 (e.g. 5000), got {n_perm!r}.")
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if np.isnan(x).any() or np.isnan(y).any():
        raise ValueError(f"permutation_test got {int(np.isnan(x).sum())} NaN value(s) in a and "
                         f"{int(np.isnan(y).sum())} in b; drop them (and report how many) first.")
    stat = statistic or (lambda u, v: float(u.mean() - v.mean()))
    out = {"difference": float("nan"), "p_value": float("nan"), "cohens_d": float("nan"),
           "n_a": int(x.size), "n_b": int(y.size)}
    if x.size < 2 or y.size < 2:
        if x.size and y.size:
            out["difference"] = round_significant(stat(x, y))
        return out
    observed = stat(x, y)
    pooled = np.concatenate([x, y])
    rng = np.random.default_rng(random_state)
    hits = 0
    for _ in range(n_perm):
        perm = rng.permutation(pooled)
        if abs(stat(perm[: x.size], perm[x.size:])) >= abs(observed) - 1e-12:
            hits += 1
    sd = np.sqrt(((x.size - 1) * x.var(ddof=1) + (y.size - 1) * y.var(ddof=1)) / (x.size + y.size - 2))
    out.update(difference=round_significant(observed), p_value=(hits + 1) / (n_perm + 1),
               cohens_d=round_significant(float(observed / sd)) if sd > 0 else float("nan"))
    return out


def _pooled_sd(x: np.ndarray, y: np.ndarray) -> float:
    return float(np.sqrt(((x.size - 1) * x.var(ddof=1) + (y.size - 1) * y.var(ddof=1)) / (x.size + y.size - 2)))


def paired_permutation_test(values, groups, clusters, *, a, b, n_perm: int = 5000, n_boot: int = 2000,
                            ci: float = 0.95, random_state: int = 0) -> dict:
    """Difference in means between groups ``a`` and ``b`` when some articles belong to both.

    One value per (article, group), e.g. an article's mean sentiment toward each country it mentions. Under
    the null hypothesis that the group does not matter, the two values of an article in both groups are
    exchangeable, and so are the labels of articles in only one group: each permutation swaps the pair of a
    shared article with probability 1/2 and shuffles the labels of the others. Shared articles are thereby
    compared with themselves, as in a paired test, and nothing is counted twice as independent.

    Args:
        values, groups, clusters: Equal-length sequences; rows of other groups are ignored.
        a, b: The two groups compared (``a - b``).
        n_perm: Permutations (p-value with the (count + 1) / (n_perm + 1) correction, never 0).
        n_boot, ci: Interval of the difference: articles resampled (both values of a shared article
            together); none below :data:`MIN_CLUSTERS` articles.
        random_state: Seed.

    Returns:
        ``difference``, ``ci_low``, ``ci_high``, ``interval``, ``p_value``, ``cohens_d``, ``n_a``, ``n_b``,
        ``n_shared``; statistics are NaN when a group has fewer than 2 articles.

    Raises:
        ValueError: Unequal lengths, NaN values, an article twice in one group, or ``n_perm`` < 1.
    """
    if isinstance(n_perm, bool) or not isinstance(n_perm, (int, np.integer)) or n_perm < 1:
        raise ValueError(f"n_perm must be a whole number of at least 1 (e.g. 5000), got {n_perm!r}.")
    frame = pd.DataFrame({"value": np.asarray(values, dtype=float), "group": list(groups),
                          "cluster": list(clusters)})
    frame = frame[frame["group"].isin([a, b])].reset_index(drop=True)
    if frame["value"].isna().any():
        raise ValueError("paired_permutation_test got NaN values; drop them (and report how many) first.")
    if frame.duplicated(["cluster", "group"]).any():
        twice = frame.loc[frame.duplicated(["cluster", "group"]), "cluster"].tolist()[:3]
        raise ValueError(f"paired_permutation_test needs one value per article and group; {twice} appear twice. "
                         "Aggregate to articles first (sentiment: aggregate_articles).")
    is_a = (frame["group"] == a).to_numpy()
    x = frame["value"].to_numpy()
    shared = frame.groupby("cluster")["group"].transform("nunique").to_numpy() == 2
    nan = float("nan")
    out = {"difference": nan, "ci_low": nan, "ci_high": nan, "interval": TOO_FEW, "p_value": nan, "cohens_d": nan,
           "n_a": int(is_a.sum()), "n_b": int((~is_a).sum()), "n_shared": int(shared.sum() // 2)}
    if out["n_a"] < 2 or out["n_b"] < 2:
        if out["n_a"] and out["n_b"]:
            out["difference"] = round_significant(float(x[is_a].mean() - x[~is_a].mean()))
        return out
    observed = float(x[is_a].mean() - x[~is_a].mean())
    rng = np.random.default_rng(random_state)
    _, pair_codes = np.unique(frame["cluster"].to_numpy()[shared], return_inverse=True)
    single = ~shared
    hits = 0
    for _ in range(n_perm):
        labels = is_a.copy()
        flip = rng.random(int(pair_codes.max()) + 1 if pair_codes.size else 0) < 0.5
        labels[shared] = np.where(flip[pair_codes], ~is_a[shared], is_a[shared])
        labels[single] = rng.permutation(is_a[single])
        if abs(x[labels].mean() - x[~labels].mean()) >= abs(observed) - 1e-12:
            hits += 1
    sd = _pooled_sd(x[is_a], x[~is_a])
    out.update(difference=round_significant(observed), p_value=(hits + 1) / (n_perm + 1),
               cohens_d=round_significant(observed / sd) if sd > 0 else nan)
    _, codes = np.unique(frame["cluster"].to_numpy(), return_inverse=True)
    n_clusters = int(codes.max()) + 1
    if n_clusters >= MIN_CLUSTERS:
        _check_ci(ci)
        weights = rng.multinomial(n_clusters, np.full(n_clusters, 1.0 / n_clusters), size=n_boot)[:, codes]
        wa, wb = weights * is_a, weights * ~is_a
        with np.errstate(invalid="ignore", divide="ignore"):
            boot = (wa @ x) / wa.sum(axis=1) - (wb @ x) / wb.sum(axis=1)
        boot = boot[np.isfinite(boot)]
        alpha = (1.0 - ci) / 2.0
        low, high = np.quantile(boot, [alpha, 1.0 - alpha])
        out.update(ci_low=round_significant(low), ci_high=round_significant(high), interval="cluster bootstrap")
    return out


def _chi2(counts: np.ndarray) -> float:
    expected = counts.sum(axis=1, keepdims=True) * counts.sum(axis=0, keepdims=True) / counts.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        terms = np.where(expected > 0, (counts - expected) ** 2 / expected, 0.0)
    return float(terms.sum())


def contingency_permutation_test(groups, categories, clusters, *, n_perm: int = 5000,
                                 random_state: int = 0) -> dict:
    """Association of group (country) and category (dominant frame) over units clustered in articles.

    The statistic is Pearson's chi-square of the group x category table; its p-value comes from permuting
    group labels the way articles allow (all units of one article and group keep one label; an article with
    several groups has its groups' labels shuffled among themselves; articles with one group exchange
    labels), so it holds with small expected counts and with several units per article, where the
    chi-square distribution does not.

    Returns:
        ``chi2``, ``p_value``, ``dof``, ``cramers_v``, ``n``, ``n_groups``, ``n_categories``,
        ``share_expected_below_5`` (the cells where the asymptotic test would be unreliable), ``table``
        (the contingency DataFrame); statistics NaN when fewer than two groups or two categories occur.
    """
    if isinstance(n_perm, bool) or not isinstance(n_perm, (int, np.integer)) or n_perm < 1:
        raise ValueError(f"n_perm must be a whole number of at least 1 (e.g. 5000), got {n_perm!r}.")
    frame = pd.DataFrame({"group": list(groups), "category": list(categories), "cluster": list(clusters)})
    table = pd.crosstab(frame["group"].rename("group"), frame["category"].rename("category"))
    nan = float("nan")
    out = {"chi2": nan, "p_value": nan, "dof": 0, "cramers_v": nan, "n": int(len(frame)),
           "n_groups": table.shape[0], "n_categories": table.shape[1], "share_expected_below_5": nan,
           "table": table}
    if table.shape[0] < 2 or table.shape[1] < 2:
        return out
    counts = table.to_numpy(dtype=float)
    expected = counts.sum(axis=1, keepdims=True) * counts.sum(axis=0, keepdims=True) / counts.sum()
    observed = _chi2(counts)
    g_codes = pd.Categorical(frame["group"], categories=table.index).codes
    c_codes = pd.Categorical(frame["category"], categories=table.columns).codes
    n_g, n_c = table.shape
    # One label per (article, group) pair; units carry their pair's label.
    pairs = frame.assign(g=g_codes).drop_duplicates(["cluster", "g"])[["cluster", "g"]].reset_index(drop=True)
    pair_of_unit = pd.MultiIndex.from_frame(frame.assign(g=g_codes)[["cluster", "g"]]).map(
        dict(zip(zip(pairs["cluster"], pairs["g"]), range(len(pairs))))).to_numpy()
    size = pairs.groupby("cluster")["g"].transform("size").to_numpy()
    single, multi = np.flatnonzero(size == 1), np.flatnonzero(size > 1)
    multi_sorted = multi[np.argsort(pairs["cluster"].to_numpy()[multi].astype(str), kind="stable")]
    multi_cluster = pd.factorize(pairs["cluster"].to_numpy()[multi_sorted])[0]
    base = pairs["g"].to_numpy()
    rng = np.random.default_rng(random_state)
    hits = 0
    for _ in range(n_perm):
        labels = base.copy()
        labels[single] = rng.permutation(base[single])
        if multi_sorted.size:
            order = np.lexsort((rng.random(multi_sorted.size), multi_cluster))
            labels[multi_sorted] = base[multi_sorted][order]
        perm = np.bincount(labels[pair_of_unit] * n_c + c_codes, minlength=n_g * n_c).reshape(n_g, n_c)
        if _chi2(perm.astype(float)) >= observed - 1e-9:
            hits += 1
    v = np.sqrt(observed / (counts.sum() * (min(table.shape) - 1)))
    out.update(chi2=round_significant(observed), p_value=(hits + 1) / (n_perm + 1),
               dof=int((n_g - 1) * (n_c - 1)), cramers_v=round_significant(float(v)),
               share_expected_below_5=round_significant(float((expected < 5).mean())))
    return out
