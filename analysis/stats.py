"""Uncertainty for comparisons between countries: cluster bootstrap and permutation tests.

News measurements are clustered: several sentences come from one article, so
resampling sentences would understate the uncertainty. Everything here resamples
whole clusters (articles by default) with a seeded generator.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from analysis.numerics import round_significant

__all__ = ["bootstrap_mean_ci", "bootstrap_by_group", "permutation_test"]


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
) -> pd.DataFrame:
    """Per-group mean of ``value`` with cluster-bootstrap intervals.

    Args:
        df: Long table, one row per unit (mention, sentence, article).
        value: Numeric (or boolean, giving a share) column to average.
        group: Column(s) defining the groups (e.g. ``"country"``).
        cluster: Column whose values are resampled as wholes; ``None`` for rows.
        n_boot, ci, random_state: As in :func:`bootstrap_mean_ci`.

    Returns:
        DataFrame with the group column(s) and ``estimate``, ``ci_low``,
        ``ci_high``, ``n`` (rows) and ``n_clusters``.

    Raises:
        ValueError: A named column is missing.
    """
    groups = [group] if isinstance(group, str) else list(group)
    needed = [value, *groups] + ([cluster] if cluster else [])
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise ValueError(f"bootstrap_by_group: columns {missing} not in table (has {list(df.columns)}).")
    rows = []
    for key, sub in df.groupby(groups, sort=True, dropna=False):
        vals = sub[value].astype(float).to_numpy()
        cl = sub[cluster].to_numpy() if cluster else None
        est, lo, hi = bootstrap_mean_ci(vals, clusters=cl, n_boot=n_boot, ci=ci, random_state=random_state)
        key = key if isinstance(key, tuple) else (key,)
        rows.append({**dict(zip(groups, key)), "estimate": est, "ci_low": lo, "ci_high": hi,
                     "n": len(sub), "n_clusters": sub[cluster].nunique() if cluster else len(sub)})
    return pd.DataFrame(rows, columns=[*groups, "estimate", "ci_low", "ci_high", "n", "n_clusters"])


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
