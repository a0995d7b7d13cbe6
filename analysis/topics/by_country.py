"""Topics by country with uncertainty: shares within mentions and prevalence effects.

BERTopic reports raw topic counts per group; here every comparison is a share
**within** a country's mentions (so a country mentioned more often does not
look more "topical"), with intervals from a cluster bootstrap over articles,
and an STM-style prevalence regression: for each topic, the indicator "this
document unit belongs to the topic" is regressed on the country mentioned
(treatment-coded against a reference country), plus outlet and date when they
vary. Intervals resample whole articles (``doc_id``), because units and
mentions from one article are not independent.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis.corpus.groups import article_groups
from analysis.corpus.outlets import UNKNOWN
from analysis.numerics import round_table
from analysis.stats import MIN_CLUSTERS, TOO_FEW, bootstrap_by_group

__all__ = ["link_mention_topics", "summarize_country_coverage", "topic_shares_by_country", "topic_prevalence_effects",
           ]

SHARE_COLUMNS = ["country", "topic", "topic_label", "share", "ci_low", "ci_high", "interval", "n_mentions", "n_docs"]
#: Outlets with fewer articles than this are pooled as "other" in the prevalence regression.
MIN_OUTLET_DOCS = 5
EFFECT_COLUMNS = ["topic", "topic_label", "country", "reference", "estimate", "ci_low", "ci_high", "interval",
                  "n_units", "n_docs", "n_boot_valid", "controls"]


def _check(df: pd.DataFrame, columns: Sequence[str], name: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{name} lacks columns {missing} (has {list(df.columns)}); pass the {name} table.")


def unit_keys(document_topics: pd.DataFrame) -> list[str]:
    """The columns that identify a topic document: article, paragraph or sentence."""
    if "sent_id" in document_topics.columns:
        return ["doc_id", "sent_id"]
    if len(document_topics) and (document_topics["para_id"] == -1).all():
        return ["doc_id"]
    return ["doc_id", "para_id"]


def link_mention_topics(mentions: pd.DataFrame, document_topics: pd.DataFrame, *,
                        countries: Sequence[str] | None = None) -> pd.DataFrame:
    """Attach to each country mention the topic of the document unit it sits in.

    Units are whole articles (``para_id`` == -1), paragraphs (``para_id`` >= 0) or sentences (a ``sent_id``
    column in ``document_topics``).

    Args:
        mentions: ``doc_id``, ``para_id``, ``country`` (from ``countries.detect_mentions``).
        document_topics: ``doc_id``, ``para_id``, ``topic``, ``topic_label`` (``TopicModel.document_topics_``).
        countries: Keep only these country codes (``None``: all).

    Returns:
        Mentions with ``topic`` and ``topic_label`` added; ``topic`` is ``<NA>``
        where the unit was not modelled (e.g. a paragraph excluded as too short),
        so callers can count what is left out.

    Raises:
        ValueError: Required columns are missing.
    """
    _check(mentions, ["doc_id", "para_id", "country"], "mentions")
    _check(document_topics, ["doc_id", "para_id", "topic", "topic_label"], "document_topics")
    m = mentions if countries is None else mentions[mentions["country"].isin(list(countries))]
    keys = unit_keys(document_topics)
    if "sent_id" in keys:
        _check(mentions, ["sent_id"], "mentions")
    units = document_topics[[*keys, "topic", "topic_label"]]
    out = m.merge(units, on=keys, how="left", validate="many_to_one")
    out["topic"] = out["topic"].astype("Int64")
    return out.reset_index(drop=True)


def summarize_country_coverage(mentions: pd.DataFrame, document_topics: pd.DataFrame, *,
                               countries: Sequence[str]) -> pd.DataFrame:
    """What each country's topic comparison can rest on, and why one cannot be computed.

    Returns:
        DataFrame ``country``, ``n_mentions`` (all detected), ``n_modelled``
        (in passages that have a topic), ``n_docs`` (articles behind those),
        ``status``: ``"ok"``, ``"not mentioned"`` or ``"mentioned only in
        passages excluded from the topic model"``; one row per requested country.
    """
    linked = link_mention_topics(mentions, document_topics, countries=countries)
    rows = []
    for country in countries:
        sub = linked[linked["country"] == country]
        modelled = sub[sub["topic"].notna()]
        status = ("not mentioned" if sub.empty else "mentioned only in passages excluded from the topic model"
                  if modelled.empty else "ok")
        rows.append({"country": country, "n_mentions": len(sub), "n_modelled": len(modelled),
                     "n_docs": int(modelled["doc_id"].nunique()), "status": status})
    return pd.DataFrame(rows, columns=["country", "n_mentions", "n_modelled", "n_docs", "status"])


def topic_shares_by_country(mentions: pd.DataFrame, document_topics: pd.DataFrame, *,
                            countries: Sequence[str] | None = None, by: str | None = None,
                            articles: pd.DataFrame | None = None, n_boot: int = 2000,
                            random_state: int = 0) -> pd.DataFrame:
    """Share of each country's mentions falling in each topic, with cluster-bootstrap intervals.

    Args:
        mentions, document_topics, countries: As in :func:`link_mention_topics`.
        by: Optional extra grouping: ``"outlet"`` (the registry's name) or ``"period"`` (month of
            ``published``, or ``"undated"``); see :mod:`analysis.corpus.groups`. Needs ``articles``.
        articles: Articles table (``doc_id``, ``outlet``, ``published``).
        n_boot, random_state: Bootstrap settings (articles are resampled).

    Returns:
        DataFrame ``country``, [``by``], ``topic``, ``topic_label``, ``share``,
        ``ci_low``, ``ci_high``, ``n_mentions`` (mentions of the country in
        modelled units), ``n_docs`` (articles). Empty (same columns) when no
        mention of the countries falls in a modelled unit.

    Raises:
        ValueError: Unknown ``by``, or ``by`` without ``articles``.
    """
    linked = link_mention_topics(mentions, document_topics, countries=countries)
    linked = linked[linked["topic"].notna()]
    groups = ["country"] + _add_group(linked, by, articles)
    cols = groups[:1] + groups[1:] + SHARE_COLUMNS[1:]
    if linked.empty:
        return pd.DataFrame(columns=cols)
    if by:
        linked = linked.assign(**{by: _group_values(linked, by, articles)})
    labels = document_topics.drop_duplicates("topic").set_index("topic")["topic_label"]
    frames = []
    for topic in sorted(document_topics["topic"].unique()):
        part = linked.assign(in_topic=(linked["topic"] == topic).astype(float), topic=int(topic))
        est = bootstrap_by_group(part, "in_topic", groups, cluster="doc_id", n_boot=n_boot, random_state=random_state,
                                 kind="share", clustered=True)
        frames.append(est.assign(topic=int(topic), topic_label=labels[topic]))
    out = pd.concat(frames, ignore_index=True).rename(columns={"estimate": "share", "n": "n_mentions",
                                                                "n_clusters": "n_docs"})
    return out[cols].sort_values(groups + ["topic"], kind="stable").reset_index(drop=True)


def _add_group(linked, by, articles) -> list[str]:
    if by is None:
        return []
    if by not in {"outlet", "period"}:
        raise ValueError(f"by must be None, 'outlet' or 'period', got {by!r}.")
    if articles is None:
        raise ValueError(f"by={by!r} needs the articles table (doc_id, outlet, published).")
    return [by]


def _group_values(linked: pd.DataFrame, by: str, articles: pd.DataFrame) -> pd.Series:
    _check(articles, ["doc_id", "outlet", "published"], "articles")
    groups = article_groups(articles).set_index("doc_id")[by]
    return linked["doc_id"].map(groups).fillna(UNKNOWN).astype(str)


def _design(units: pd.DataFrame, countries: list[str], reference: str, articles) -> tuple[np.ndarray, list[str], str]:
    """Intercept, country dummies (vs reference), and controls that vary and keep full rank."""
    cols = [np.ones(len(units))] + [(units["country"] == c).to_numpy(float) for c in countries if c != reference]
    x = np.column_stack(cols)
    controls = []
    if articles is not None:
        meta = articles.set_index("doc_id")
        candidates = []
        if "outlet" in meta.columns:  # the registry's outlet (analysis.corpus.groups), as everywhere
            outlet = units["doc_id"].map(article_groups(articles.assign(published=pd.NaT) if "published" not in
                                                        articles.columns else articles).set_index("doc_id")["outlet"])
            outlet = outlet.fillna(UNKNOWN)
            # Outlets with few articles only absorb their units; pool them so effects stay estimable.
            n_art = units.assign(outlet=outlet).groupby("outlet")["doc_id"].nunique()
            outlet = outlet.where(outlet.map(n_art) >= MIN_OUTLET_DOCS, "other")
            levels = sorted(outlet.unique())[1:]
            candidates.append(("outlet", np.column_stack([(outlet == lv).to_numpy(float) for lv in levels])
                               if levels else None))
        if "published" in meta.columns:
            date = pd.to_datetime(units["doc_id"].map(meta["published"]), utc=True, errors="coerce")
            if date.notna().all() and date.nunique() > 1:
                days = (date - date.min()).dt.total_seconds().to_numpy() / 86400.0
                candidates.append(("date", ((days - days.mean()) / days.std()).reshape(-1, 1)))
        for name, block in candidates:
            if block is None:
                continue
            trial = np.column_stack([x, block])
            if np.linalg.matrix_rank(trial) == trial.shape[1]:
                x, controls = trial, controls + [name]
    return x, controls, "+".join(controls) or "none"


def topic_prevalence_effects(mentions: pd.DataFrame, document_topics: pd.DataFrame, *,
                             countries: Sequence[str] = ("CHN", "JPN", "MYS"), reference: str | None = None,
                             articles: pd.DataFrame | None = None, n_boot: int = 1000, ci: float = 0.95,
                             random_state: int = 0) -> pd.DataFrame:
    """STM-style prevalence regression: topic membership on country (+ outlet/date).

    The unit is a (document unit, country) pair: a paragraph mentioning Japan
    twice counts once for Japan. For each topic, a linear probability model
    ``1[unit in topic] ~ country (+ outlet + date)`` is fitted by least squares;
    a country's coefficient is the difference in topic prevalence from the
    reference country, holding the controls fixed. Controls enter only when
    they vary and keep the design full rank (``controls`` says which did);
    outlets with fewer than :data:`MIN_OUTLET_DOCS` articles are pooled as "other".
    Intervals: percentile bootstrap resampling whole articles; replicates that
    lose a country entirely are discarded (``n_boot_valid``).

    Returns:
        DataFrame ``topic``, ``topic_label``, ``country``, ``reference``,
        ``estimate``, ``ci_low``, ``ci_high``, ``interval`` (none below 10 articles), ``n_units``, ``n_docs``,
        ``n_boot_valid``, ``controls``. Empty (same columns) when fewer than two
        of ``countries`` are mentioned in modelled units.
    """
    linked = link_mention_topics(mentions, document_topics, countries=countries)
    linked = linked[linked["topic"].notna()]
    present = [c for c in countries if c in set(linked["country"])]
    if len(present) < 2:
        return pd.DataFrame(columns=EFFECT_COLUMNS)
    reference = reference if reference in present else present[0]
    units = linked.drop_duplicates([*unit_keys(document_topics), "country"]).reset_index(drop=True)
    x, _, controls = _design(units, present, reference, articles)
    others = [c for c in present if c != reference]
    docs, codes = np.unique(units["doc_id"].astype(str), return_inverse=True)
    rng = np.random.default_rng(random_state)
    weights = rng.multinomial(len(docs), np.full(len(docs), 1.0 / len(docs)), size=n_boot)[:, codes].astype(float)
    labels = document_topics.drop_duplicates("topic").set_index("topic")["topic_label"]
    topic_ids = sorted(t for t in document_topics["topic"].unique() if t != -1)
    y = np.column_stack([(units["topic"] == t).to_numpy(float) for t in topic_ids])
    k = len(others)
    est = np.linalg.lstsq(x, y, rcond=None)[0][1:1 + k]                      # (k, topics)
    boot = np.stack([_weighted_fit(x, y, w, k) for w in weights])            # (n_boot, k, topics)
    valid = ~np.isnan(boot).any(axis=(1, 2))
    alpha = (1 - ci) / 2
    lo, hi = (np.quantile(boot[valid], [alpha, 1 - alpha], axis=0) if valid.any()
              else np.full((2, k, len(topic_ids)), np.nan))
    # An interval needs 10 articles for the country and for the reference: below, the bootstrap range is
    # the data's range.
    n_docs = units.groupby("country")["doc_id"].nunique()
    enough = {c: min(n_docs.get(c, 0), n_docs.get(reference, 0)) >= MIN_CLUSTERS for c in others}
    rows = []
    for i, topic in enumerate(topic_ids):
        for j, country in enumerate(others):
            ok = enough[country]
            rows.append({"topic": int(topic), "topic_label": labels[topic], "country": country,
                         "reference": reference, "estimate": float(est[j, i]),
                         "ci_low": float(lo[j, i]) if ok else np.nan, "ci_high": float(hi[j, i]) if ok else np.nan,
                         "interval": "cluster bootstrap" if ok else TOO_FEW,
                         "n_units": int((units["country"] == country).sum()),
                         "n_docs": int(units.loc[units["country"] == country, "doc_id"].nunique()),
                         "n_boot_valid": int(valid.sum()), "controls": controls})
    # Least squares through BLAS: the last bit depends on the CPU, the 10th digit does not.
    return round_table(pd.DataFrame(rows, columns=EFFECT_COLUMNS))


def _weighted_fit(x: np.ndarray, y: np.ndarray, w: np.ndarray, n_country: int) -> np.ndarray:
    keep = w > 0
    xs, ys, sw = x[keep], y[keep], np.sqrt(w[keep])
    nan = np.full((n_country, y.shape[1]), np.nan)
    # A replicate without the reference or a compared country cannot estimate that contrast.
    if xs[:, 1:1 + n_country].sum(axis=0).min() == 0 or (xs[:, 1:1 + n_country].sum(axis=1) == 0).sum() == 0:
        return nan
    # Controls absent from a replicate (an outlet not drawn) carry no information: drop them.
    cols = np.r_[np.arange(1 + n_country), 1 + n_country + np.flatnonzero(np.abs(xs[:, 1 + n_country:]).sum(axis=0) > 0)]
    xw = xs[:, cols] * sw[:, None]
    if np.linalg.matrix_rank(xw) < xw.shape[1]:
        return nan
    return np.linalg.lstsq(xw, ys * sw[:, None], rcond=None)[0][1:1 + n_country]
