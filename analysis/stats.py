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
           "design_effect", "paired_permutation_test", "contingency_permutation_test", "cramers_v", "holm",
           "format_result"]

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
    clustered: bool | None = None,
) -> pd.DataFrame:
    """Per-group mean (or share) of ``value`` with an interval that respects the articles.

    Args:
        df: Long table, one row per unit (mention, sentence, article).
        value: Numeric (or boolean, giving a share) column to average.
        group: Column(s) defining the groups (e.g. ``"country"``).
        cluster: Column of the article each row belongs to; ``None``: every row is its own article.
        n_boot, ci, random_state: As in :func:`bootstrap_mean_ci`.
        kind: ``"share"`` (0/1 values), ``"mean"``, or ``"auto"`` (a share when every value of the table is 0
            or 1); decided once for the whole table.
        clustered: Whether the rows are units clustered in articles (sentences, passages, mentions) rather
            than articles themselves; ``None``: when the table has more rows than articles. Decided once for
            the whole table, so a row's interval does not depend on whether one article happened to give it
            two units.

    Returns:
        DataFrame with the group column(s) and ``estimate``, ``ci_low``, ``ci_high``, ``n`` (rows),
        ``n_clusters`` (articles) and ``interval``, which says how the interval was made: ``"Wilson"``
        (shares of articles), ``"Wilson, design effect D, df G"`` (shares of units clustered in >= 10 articles:
        Wilson on the effective size, with Korn and Graubard's degrees-of-freedom correction),
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
    all_values = df[value].astype(float).to_numpy()
    if kind == "auto":
        kind = "share" if len(all_values) and bool(np.isin(all_values, (0.0, 1.0)).all()) else "mean"
    elif kind == "share" and not np.isin(all_values[~np.isnan(all_values)], (0.0, 1.0)).all():
        raise ValueError(f"kind='share' needs 0/1 (or boolean) values in {value!r}.")
    if clustered is None:
        clustered = bool(cluster) and len(df) > df[cluster].nunique()
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
        est, lo, hi, how = _interval(vals, cl, n_clusters, share=kind == "share", clustered=clustered,
                                     n_boot=n_boot, ci=ci, random_state=random_state)
        key = key if isinstance(key, tuple) else (key,)
        rows.append({**dict(zip(groups, key)), "estimate": est, "ci_low": lo, "ci_high": hi,
                     "n": len(sub), "n_clusters": n_clusters, "interval": how})
    return pd.DataFrame(rows, columns=[*groups, "estimate", "ci_low", "ci_high", "n", "n_clusters", "interval"])


def _interval(vals, clusters, n_clusters: int, *, share: bool, clustered: bool, n_boot: int, ci: float,
              random_state: int):
    nan = float("nan")
    if vals.size == 0:
        return nan, nan, nan, TOO_FEW
    estimate = round_significant(float(vals.mean()))
    if share and not clustered:
        low, high = share_interval(float(vals.sum()), vals.size, ci=ci)
        return estimate, low, high, "Wilson"
    if n_clusters < MIN_CLUSTERS:
        return estimate, nan, nan, TOO_FEW
    if share:
        # No variance (every unit 0, or every unit 1) tells nothing about clustering: assume the worst,
        # one unit's worth of information per article.
        deff = design_effect(vals, clusters) if 0 < vals.sum() < vals.size else vals.size / n_clusters
        low, high = share_interval(float(vals.sum()), vals.size, ci=ci, design_effect=max(deff, 1.0),
                                   df=n_clusters - 1)
        return estimate, low, high, f"Wilson, design effect {max(deff, 1.0):.2f}, df {n_clusters - 1}"
    if n_clusters < MIN_CLUSTERS:
        return estimate, nan, nan, TOO_FEW
    _, low, high = bootstrap_mean_ci(vals, clusters=clusters, n_boot=n_boot, ci=ci, random_state=random_state)
    return estimate, low, high, "cluster bootstrap"


def share_interval(successes: float, n: float, *, ci: float = 0.95, method: str = "wilson",
                   design_effect: float = 1.0, df: int | None = None) -> tuple[float, float]:
    """Interval for a share ``successes / n`` that never collapses at 0 or 1.

    Args:
        successes, n: Count and total (``n`` > 0).
        ci: Coverage.
        method: ``"wilson"`` (Wilson 1927) or ``"clopper_pearson"`` (exact, conservative).
        design_effect: Kish's design effect of clustered units (:func:`design_effect`); the interval is
            computed on the effective sample size ``n / design_effect``.
        df: Degrees of freedom of the design (number of articles - 1): the effective size is shrunk further by
            ``(z / t_df)^2`` (Korn & Graubard 1998), which matters with few articles.

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
    scale = design_effect
    if df is not None:
        from scipy.stats import norm, t

        if df < 1:
            raise ValueError(f"df must be at least 1, got {df!r}.")
        q = 1.0 - (1.0 - ci) / 2.0
        scale *= (t.ppf(q, df) / norm.ppf(q)) ** 2
    low, high = proportion_confint(successes / scale, n / scale, alpha=1.0 - ci, method=methods[method])
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


def _paired_statistic(x: np.ndarray, is_a: np.ndarray, pair: np.ndarray, n_pairs: int, single: np.ndarray,
                      weights: np.ndarray | None = None) -> float:
    """Within-article difference for shared articles, between-article difference for the others, combined.

    Shared articles give the mean of (A - B) within each article; the others give mean(A-only) - mean(B-only).
    The two are averaged with weights n_shared and the harmonic size of the unshared groups (their
    information), so the statistic is 0 in expectation when the country does not matter, whatever the mix
    of shared and unshared articles. ``weights`` (bootstrap counts per row) resample articles.
    """
    w = np.ones_like(x) if weights is None else weights
    parts, sizes = [], []
    if n_pairs:
        signed = np.where(is_a, x, -x)[~single] * w[~single]
        per_pair = np.bincount(pair, weights=signed, minlength=n_pairs)
        counts = np.bincount(pair, weights=w[~single], minlength=n_pairs) / 2.0
        if counts.sum() > 0:
            parts.append(per_pair.sum() / counts.sum())
            sizes.append(counts.sum())
    wa, wb = w * (single & is_a), w * (single & ~is_a)
    if wa.sum() > 0 and wb.sum() > 0:
        parts.append((wa @ x) / wa.sum() - (wb @ x) / wb.sum())
        sizes.append(wa.sum() * wb.sum() / (wa.sum() + wb.sum()))
    if not parts:
        return float("nan")
    return float(np.dot(parts, sizes) / np.sum(sizes))


#: Permutations of :func:`paired_permutation_test` scored at once (memory: a few times this many label rows).
PERMUTATION_CHUNK = 256


def _paired_statistics(x: np.ndarray, labels: np.ndarray, single: np.ndarray) -> np.ndarray:
    """:func:`_paired_statistic` (unweighted) for each row of a ``(n_perm, n)`` label matrix at once.

    Unweighted, each shared article counts 1 and its two rows sum to its within-article difference, and a
    permutation keeps the number of A-only and B-only rows, so the weights of the two parts are constants.
    """
    stat = np.zeros(len(labels))
    parts = 0.0
    n_pairs = int((~single).sum()) // 2
    if n_pairs:
        signed = np.where(labels[:, ~single], x[~single], -x[~single])
        stat += signed.sum(axis=1)  # (sum over pairs / n_pairs) * n_pairs
        parts += n_pairs
    only_a = labels[:, single]
    n_a = int(only_a[0].sum()) if len(labels) else 0
    n_b = int(single.sum()) - n_a
    if n_a and n_b:
        xs = x[single]
        size = n_a * n_b / (n_a + n_b)
        weights = only_a.astype(np.float64)
        stat += (weights @ xs / n_a - (1.0 - weights) @ xs / n_b) * size
        parts += size
    return stat / parts if parts else np.full(len(labels), np.nan)


def paired_permutation_test(values, groups, clusters, *, a, b, n_perm: int = 5000, n_boot: int = 2000,
                            ci: float = 0.95, random_state: int = 0) -> dict:
    """Difference between groups ``a`` and ``b`` when some articles belong to both.

    One value per (article, group), e.g. an article's mean sentiment toward each country it mentions. The
    estimate combines the within-article difference of the articles in both groups (a paired comparison)
    with the difference between the articles in only one (:func:`_paired_statistic`), so nothing is counted
    twice as independent and the estimate is 0 when the group does not matter. Under that null hypothesis
    the two values of a shared article are exchangeable, and so are the labels of the others: each
    permutation swaps a shared pair with probability 1/2 and shuffles the other labels.

    Args:
        values, groups, clusters: Equal-length sequences; rows of other groups are ignored.
        a, b: The two groups compared (``a - b``).
        n_perm: Permutations (p-value with the (count + 1) / (n_perm + 1) correction, never 0).
        n_boot, ci: Interval of the difference, resampling articles (both values of a shared article
            together); only when each group has at least :data:`MIN_CLUSTERS` articles.
        random_state: Seed.

    Returns:
        ``difference``, ``ci_low``, ``ci_high``, ``interval``, ``p_value``, ``cohens_d`` (the difference over
        the pooled SD of the article values), ``n_a``, ``n_b``, ``n_shared``, ``mean_a``, ``mean_b``;
        statistics are NaN when a group has fewer than 2 articles.

    Raises:
        ValueError: Unequal lengths, NaN values, an article twice in one group, a bad ``ci`` or ``n_perm`` < 1.
    """
    if isinstance(n_perm, bool) or not isinstance(n_perm, (int, np.integer)) or n_perm < 1:
        raise ValueError(f"n_perm must be a whole number of at least 1 (e.g. 5000), got {n_perm!r}.")
    _check_ci(ci)
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
    single = frame.groupby("cluster")["group"].transform("nunique").to_numpy() == 1
    _, pair = np.unique(frame["cluster"].to_numpy()[~single], return_inverse=True)
    n_pairs = int(pair.max()) + 1 if pair.size else 0
    nan = float("nan")
    n_a, n_b = int(is_a.sum()), int((~is_a).sum())
    out = {"difference": nan, "ci_low": nan, "ci_high": nan, "interval": TOO_FEW, "p_value": nan, "cohens_d": nan,
           "n_a": n_a, "n_b": n_b, "n_shared": n_pairs,
           "mean_a": round_significant(float(x[is_a].mean())) if n_a else nan,
           "mean_b": round_significant(float(x[~is_a].mean())) if n_b else nan}
    observed = _paired_statistic(x, is_a, pair, n_pairs, single)
    if np.isfinite(observed):
        out["difference"] = round_significant(observed)
    if n_a < 2 or n_b < 2 or not np.isfinite(observed):
        return out
    rng = np.random.default_rng(random_state)
    pair_rows = ~single
    # The observed labels scored the way the permutations are, so the identity permutation ties it exactly;
    # the tolerance is relative, so ties between permutations count at any scale of the values.
    reference = abs(float(_paired_statistics(x, is_a[None, :], single)[0]))
    threshold = reference - 1e-12 * max(1.0, reference)
    hits = 0
    for start in range(0, n_perm, PERMUTATION_CHUNK):  # bounded memory: a chunk of label rows at a time
        labels = np.repeat(is_a[None, :], min(PERMUTATION_CHUNK, n_perm - start), axis=0)
        for row in labels:  # the draws stay in this order, so the permutations are those of the seed
            if n_pairs:
                flip = rng.random(n_pairs) < 0.5
                row[pair_rows] = np.where(flip[pair], ~is_a[pair_rows], is_a[pair_rows])
            row[single] = rng.permutation(is_a[single])
        hits += int((np.abs(_paired_statistics(x, labels, single)) >= threshold).sum())
    sd = _pooled_sd(x[is_a], x[~is_a])
    out.update(p_value=(hits + 1) / (n_perm + 1), cohens_d=round_significant(observed / sd) if sd > 0 else nan)
    if min(n_a, n_b) >= MIN_CLUSTERS:
        _, codes = np.unique(frame["cluster"].to_numpy(), return_inverse=True)
        n_clusters = int(codes.max()) + 1
        draws = rng.multinomial(n_clusters, np.full(n_clusters, 1.0 / n_clusters), size=n_boot)[:, codes]
        boot = np.array([_paired_statistic(x, is_a, pair, n_pairs, single, w.astype(float)) for w in draws])
        boot = boot[np.isfinite(boot)]
        alpha = (1.0 - ci) / 2.0
        low, high = np.quantile(boot, [alpha, 1.0 - alpha])
        out.update(ci_low=round_significant(low), ci_high=round_significant(high),
                   interval=f"cluster bootstrap ({n_boot - boot.size} of {n_boot} replicates undefined)"
                   if boot.size < n_boot else "cluster bootstrap")
    return out


def _chi2(counts: np.ndarray) -> float:
    expected = counts.sum(axis=1, keepdims=True) * counts.sum(axis=0, keepdims=True) / counts.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        terms = np.where(expected > 0, (counts - expected) ** 2 / expected, 0.0)
    return float(terms.sum())


def cramers_v(counts, *, corrected: bool = True) -> float:
    """Cramér's V of a contingency table; ``corrected`` removes its upward bias in small tables (Bergsma 2013).

    Under independence the plain V of a sparse table is far from 0 (its chi-square is about its degrees of
    freedom), so the bias-corrected V is the one to read; it is 0 for a table no more associated than chance.
    """
    counts = np.asarray(counts, dtype=float)
    n = counts.sum()
    r, k = counts.shape
    if n < 2 or min(r, k) < 2:
        return float("nan")
    phi2 = _chi2(counts) / n
    if not corrected:
        return float(np.sqrt(phi2 / (min(r, k) - 1)))
    phi2 = max(0.0, phi2 - (k - 1) * (r - 1) / (n - 1))
    rc, kc = r - (r - 1) ** 2 / (n - 1), k - (k - 1) ** 2 / (n - 1)
    denominator = min(kc - 1, rc - 1)
    return float(np.sqrt(phi2 / denominator)) if denominator > 0 else float("nan")


def contingency_permutation_test(groups, categories, clusters, *, n_perm: int = 5000, n_boot: int = 1000,
                                 ci: float = 0.95, random_state: int = 0) -> dict:
    """Association of group (country) and category (dominant frame) over units clustered in articles.

    The statistic is Pearson's chi-square of the group x category table; its p-value comes from permuting
    group labels the way articles allow (all units of one article and group keep one label; an article with
    several groups has its groups' labels shuffled among themselves; articles with one group exchange
    labels), so it holds with small expected counts and with several units per article, where the
    chi-square distribution does not.

    Returns:
        ``chi2``, ``p_value``, ``dof``, ``cramers_v`` (bias-corrected, :func:`cramers_v`) with ``v_low``,
        ``v_high`` and ``interval`` (articles resampled; none below :data:`MIN_CLUSTERS` articles),
        ``cramers_v_raw``, ``n``, ``n_clusters``, ``n_groups``, ``n_categories``, ``share_expected_below_5``
        (the cells where the asymptotic test would be unreliable), ``table`` (the contingency DataFrame);
        statistics NaN when fewer than two groups or two categories occur.
    """
    if isinstance(n_perm, bool) or not isinstance(n_perm, (int, np.integer)) or n_perm < 1:
        raise ValueError(f"n_perm must be a whole number of at least 1 (e.g. 5000), got {n_perm!r}.")
    frame = pd.DataFrame({"group": list(groups), "category": list(categories), "cluster": list(clusters)})
    table = pd.crosstab(frame["group"].rename("group"), frame["category"].rename("category"))
    nan = float("nan")
    n_clusters = int(frame["cluster"].nunique())
    out = {"chi2": nan, "p_value": nan, "dof": 0, "cramers_v": nan, "v_low": nan, "v_high": nan, "interval": TOO_FEW,
           "cramers_v_raw": nan, "n": int(len(frame)), "n_clusters": n_clusters, "n_groups": table.shape[0],
           "n_categories": table.shape[1], "share_expected_below_5": nan, "table": table}
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
    out.update(chi2=round_significant(observed), p_value=(hits + 1) / (n_perm + 1),
               dof=int((n_g - 1) * (n_c - 1)), cramers_v=round_significant(cramers_v(counts)),
               cramers_v_raw=round_significant(cramers_v(counts, corrected=False)),
               share_expected_below_5=round_significant(float((expected < 5).mean())))
    if n_clusters >= MIN_CLUSTERS:
        _check_ci(ci)
        _, unit_cluster = np.unique(frame["cluster"].astype(str).to_numpy(), return_inverse=True)
        cells = g_codes * n_c + c_codes
        per_cluster = np.zeros((n_clusters, n_g * n_c))
        np.add.at(per_cluster, (unit_cluster, cells), 1.0)
        draws = rng.multinomial(n_clusters, np.full(n_clusters, 1.0 / n_clusters), size=n_boot)
        boot = np.array([cramers_v((w @ per_cluster).reshape(n_g, n_c)) for w in draws])
        boot = boot[np.isfinite(boot)]
        low, high = np.quantile(boot, [(1 - ci) / 2, 1 - (1 - ci) / 2])
        out.update(v_low=round_significant(float(low)), v_high=round_significant(float(high)),
                   interval="cluster bootstrap")
    return out


def format_result(result: dict, *, digits: int = 3, p_digits: int = 4) -> dict:
    """A test's result dict made readable for printing: tables left out, numbers rounded.

    p-values (keys ``p_value``, ``p_holm``, or starting with ``p_``) keep ``p_digits`` decimals, and one that
    rounds to zero is shown as ``"< 0.0001"`` (for ``p_digits=4``) rather than as an impossible 0; other floats
    keep ``digits`` decimals. Values that are DataFrames are dropped.
    """
    out = {}
    for key, value in result.items():
        if isinstance(value, pd.DataFrame):
            continue
        if isinstance(value, (float, np.floating)) and np.isfinite(value):
            if key.startswith("p_"):
                rounded = round(float(value), p_digits)
                out[key] = rounded if rounded > 0 else f"< {10 ** -p_digits:.{p_digits}f}"
            else:
                out[key] = round(float(value), digits)
        else:
            out[key] = value
    return out
