"""How each country is framed: country passages, country x frame shares, tests, distinctive words.

A *passage* is a sentence that mentions a country together with ``window``
sentences on each side (same article). Frames are only ever computed on such
passages, so every row of a per-country table rests on an explicit mention.
Uncertainty comes from :mod:`analysis.stats` (bootstrap over articles), the
association test from a chi-square on the country x dominant-frame table, and
distinctive words from the log-odds ratio with an informative Dirichlet prior
(Monroe, Colaresi & Quinn 2008, *Political Analysis* 16(4): 372-403).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from analysis.corpus.groups import article_groups
from analysis.corpus.outlets import UNKNOWN
from analysis.numerics import round_significant
from analysis.stats import bootstrap_by_group, contingency_permutation_test

__all__ = ["PASSAGE_COLUMNS", "build_passages", "coverage_note", "frame_shares_by_country",
           "assess_frame_association", "top_frames_by_country", "example_passages", "log_odds_dirichlet",
           "distinctive_words", "context_sensitivity"]

PASSAGE_COLUMNS = ["passage_id", "doc_id", "sent_id", "country", "aliases", "n_mentions", "first_sent_id",
                   "last_sent_id", "text"]
_TOKEN = re.compile(r"[a-z][a-z'\-]*[a-z]|[a-z]")


def build_passages(sentences: pd.DataFrame, mentions: pd.DataFrame, *, window: int = 1,
                   countries=None) -> pd.DataFrame:
    """One passage per (sentence, country) mention: the sentence plus ``window`` neighbours each side.

    Args:
        sentences: Table with ``doc_id``, ``sent_id``, ``text``.
        mentions: Output of :func:`analysis.countries.measure.detect_mentions`
            (``doc_id``, ``sent_id``, ``country``, ``alias`` ...).
        window: Context sentences on each side, within the same article (0 = the sentence alone).
        countries: Keep only these country codes; ``None`` keeps all.

    Returns:
        DataFrame with :data:`PASSAGE_COLUMNS`: ``passage_id`` (``doc:sent:country``),
        ``doc_id``, ``sent_id`` (the mentioning sentence), ``country``,
        ``aliases`` (sorted distinct aliases, ``"|"``-joined), ``n_mentions`` in
        the sentence, ``first_sent_id``/``last_sent_id`` of the window and
        ``text`` (window sentences joined by a space). Sorted by doc, sentence, country.

    Raises:
        ValueError: Negative window, missing columns, or a mention pointing at a
            sentence that is not in ``sentences`` (names the doc and sentence).
    """
    if window < 0:
        raise ValueError(f"window must be 0 or more sentences, got {window}.")
    for name, df, cols in (("sentences", sentences, ["doc_id", "sent_id", "text"]),
                           ("mentions", mentions, ["doc_id", "sent_id", "country", "alias"])):
        missing = [c for c in cols if c not in df.columns]
        if missing:
            raise ValueError(f"build_passages: {name} lacks columns {missing} (has {list(df.columns)}).")
    ments = mentions if countries is None else mentions[mentions["country"].isin(list(countries))]
    if ments.empty:
        return pd.DataFrame(columns=PASSAGE_COLUMNS)
    by_doc = {d: g.set_index("sent_id")["text"].sort_index()
              for d, g in sentences.groupby("doc_id", sort=False)}
    grouped = ments.groupby(["doc_id", "sent_id", "country"], sort=True)["alias"].agg(list).reset_index()
    rows = []
    for rec in grouped.itertuples(index=False):
        doc = by_doc.get(rec.doc_id)
        if doc is None or rec.sent_id not in doc.index:
            raise ValueError(f"build_passages: mention in doc {rec.doc_id!r} sentence {rec.sent_id} has no "
                             "matching sentence; pass the sentences table the mentions were detected on.")
        pos = doc.index.get_loc(rec.sent_id)
        part = doc.iloc[max(0, pos - window): pos + window + 1]
        rows.append({"passage_id": f"{rec.doc_id}:{rec.sent_id}:{rec.country}", "doc_id": rec.doc_id,
                     "sent_id": rec.sent_id, "country": rec.country,
                     "aliases": "|".join(sorted(set(rec.alias))), "n_mentions": len(rec.alias),
                     "first_sent_id": part.index[0], "last_sent_id": part.index[-1],
                     "text": " ".join(str(t) for t in part)})
    return pd.DataFrame(rows, columns=PASSAGE_COLUMNS)


def coverage_note(passages: pd.DataFrame, countries) -> str:
    """One sentence saying which target countries have passages, and what cannot be computed.

    Example:
        >>> coverage_note(build_passages(sentences, mentions), ["CHN", "MYS"])  # doctest: +SKIP
        'Passages for CHN (12 passages, 3 articles); no passage mentions MYS, so it has no frame shares.'
    """
    countries = list(countries)
    present = [c for c in countries if c in set(passages.get("country", pd.Series(dtype=str)))]
    if not present:
        return (f"No passage mentions {', '.join(countries)}: frame shares, the association test, "
                "distinctive words and examples cannot be computed for this corpus.")
    parts = [f"{c} ({int((passages['country'] == c).sum())} passages, "
             f"{passages.loc[passages['country'] == c, 'doc_id'].nunique()} articles)" for c in present]
    missing = [c for c in countries if c not in present]
    note = "Passages for " + ", ".join(parts) + "."
    if missing:
        note += f" No passage mentions {', '.join(missing)}, so it has no frame shares."
    if len(present) < 2:
        note += " With one country there is nothing to compare: no association test and no distinctive words."
    return note


def _check_aligned(passages: pd.DataFrame, table: pd.DataFrame, what: str) -> None:
    if "country" not in passages.columns:
        raise ValueError("Per-country framing needs passages with a 'country' column (use build_passages).")
    blank = passages["country"].isna() | (passages["country"].astype(str).str.strip() == "")
    if blank.any():
        raise ValueError(f"{int(blank.sum())} passage(s) have no country mention (first row "
                         f"{int(np.flatnonzero(blank.to_numpy())[0])}); frames are only computed on passages "
                         "that mention a country. Build them with build_passages().")
    if len(table) != len(passages):
        raise ValueError(f"{what} has {len(table)} rows for {len(passages)} passages; score the "
                         "passages' text.")


SHARE_COLUMNS = ["country", "frame", "estimate", "ci_low", "ci_high", "interval", "n", "n_clusters", "unit",
                 "weighting"]


def frame_shares_by_country(passages: pd.DataFrame, predictions: pd.DataFrame, *, by: str | None = None,
                            articles: pd.DataFrame | None = None, n_boot: int = 2000, ci: float = 0.95,
                            random_state: int = 0) -> pd.DataFrame:
    """Share of each country's passages carrying each frame, with intervals that respect articles.

    Args:
        passages: Output of :func:`build_passages`.
        predictions: Boolean frame table, one row per passage in the same order
            (from :func:`analysis.framing.measure.predict_frames` on ``passages.text``).
        by: Optional article group (``"outlet_group"``, ``"outlet"``, ``"period"``...; see
            :func:`analysis.corpus.groups.article_groups`), needing ``articles``.
        articles: Articles table (``doc_id, outlet, published``) for ``by``.
        n_boot, ci, random_state: Interval settings (articles are the clusters).

    Returns:
        DataFrame ``country`` (and ``by``), ``frame``, ``estimate`` (share), ``ci_low``, ``ci_high``, ``interval``
        (Wilson on the design-effect-adjusted size, or too few articles: :func:`analysis.stats.bootstrap_by_group`),
        ``n`` (passages), ``n_clusters`` (articles), ``unit`` and ``weighting`` (each passage once).

    Raises:
        ValueError: A passage without a country, misaligned predictions, or ``by`` without ``articles``.
    """
    _check_aligned(passages, predictions, "predictions")
    keys = ["country"] + ([by] if by else [])
    columns = keys + SHARE_COLUMNS[1:]
    if passages.empty:
        return pd.DataFrame(columns=columns)
    pred = predictions.reset_index(drop=True).astype(bool)
    base = passages[["doc_id", "country"]].reset_index(drop=True)
    if by:
        if articles is None:
            raise ValueError(f"frame_shares_by_country: by={by!r} needs the articles table (doc_id, outlet, published).")
        groups = article_groups(articles)
        if by not in groups.columns:
            raise ValueError(f"by must be one of {list(groups.columns[1:])}, got {by!r}.")
        base[by] = base["doc_id"].map(groups.set_index("doc_id")[by]).fillna(UNKNOWN).to_numpy()
    long = pd.concat([base, pred], axis=1).melt(id_vars=["doc_id", *keys], var_name="frame", value_name="present")
    out = bootstrap_by_group(long, "present", [*keys, "frame"], cluster="doc_id", n_boot=n_boot, ci=ci,
                             random_state=random_state, kind="share", clustered=True)
    out = out.assign(unit="(sentence, country) passage", weighting="each passage once")[columns]
    order = {f: i for i, f in enumerate(pred.columns)}
    return out.sort_values([*keys, "frame"], key=lambda s: s.map(order) if s.name == "frame" else s,
                           ignore_index=True)


def assess_frame_association(passages: pd.DataFrame, scores: pd.DataFrame, *, threshold: float = 0.5,
                             n_perm: int = 5000, random_state: int = 0) -> dict:
    """Country x dominant frame: chi-square statistic with a permutation p-value that respects articles.

    Each passage counts once, under its highest-scoring frame, or ``"none"`` when no frame reaches
    ``threshold`` (multi-label counts would break the test). Passages of one article are not independent
    and expected counts are often small, so the p-value comes from permuting country labels by article
    (:func:`analysis.stats.contingency_permutation_test`), not from the chi-square distribution.

    Returns:
        ``{"chi2", "p_value", "dof", "cramers_v"`` (bias-corrected) ``, "v_low", "v_high", "interval",
        "cramers_v_raw", "n", "n_articles", "n_countries", "n_frames", "share_expected_below_5", "test", "table"}`` where ``table`` is the contingency DataFrame; statistics are NaN when fewer than
        two countries or two frame categories occur.
    """
    _check_aligned(passages, scores, "scores")
    dominant = scores.idxmax(axis=1).where(scores.max(axis=1) >= threshold, "none") if len(scores) else \
        pd.Series(dtype=str)
    res = contingency_permutation_test(passages["country"].to_numpy(), dominant.to_numpy(),
                                       passages["doc_id"].to_numpy(), n_perm=n_perm, random_state=random_state)
    table = res.pop("table")
    table.index.name, table.columns.name = "country", "dominant_frame"
    return {"chi2": res["chi2"], "p_value": res["p_value"], "dof": res["dof"], "cramers_v": res["cramers_v"],
            "v_low": res["v_low"], "v_high": res["v_high"], "interval": res["interval"],
            "cramers_v_raw": res["cramers_v_raw"], "n": res["n"], "n_articles": res["n_clusters"],
            "n_countries": res["n_groups"], "n_frames": res["n_categories"],
            "share_expected_below_5": res["share_expected_below_5"],
            "test": "chi-square statistic, permutation by article", "table": table}


def top_frames_by_country(shares: pd.DataFrame, *, n: int = 3) -> pd.DataFrame:
    """The ``n`` most frequent frames per country (ties broken by frame id).

    Args:
        shares: Output of :func:`frame_shares_by_country`.
        n: Frames per country.

    Returns:
        DataFrame ``country``, ``rank``, ``frame``, ``estimate``, ``ci_low``,
        ``ci_high``, ``n``, ``n_clusters``; frames with a zero share are left out.
    """
    cols = ["country", "rank", "frame", "estimate", "ci_low", "ci_high", "n", "n_clusters"]
    kept = shares[shares["estimate"] > 0].sort_values(["country", "estimate", "frame"],
                                                      ascending=[True, False, True])
    kept = kept.assign(rank=kept.groupby("country").cumcount() + 1)
    return kept[kept["rank"] <= n][cols].reset_index(drop=True)


def example_passages(passages: pd.DataFrame, scores: pd.DataFrame, *, n: int = 2,
                     min_score: float = 0.5) -> pd.DataFrame:
    """The ``n`` highest-scoring passages for each country x frame cell.

    Returns:
        DataFrame ``country``, ``frame``, ``rank`` (1 = strongest), ``score``,
        ``passage_id``, ``doc_id``, ``text``; cells with no passage at or above
        ``min_score`` are absent. Ties are broken by ``passage_id`` so the
        choice is reproducible.
    """
    _check_aligned(passages, scores, "scores")
    cols = ["country", "frame", "rank", "score", "passage_id", "doc_id", "text"]
    if passages.empty:
        return pd.DataFrame(columns=cols)
    base = passages[["country", "passage_id", "doc_id", "text"]].reset_index(drop=True)
    long = pd.concat([base, scores.reset_index(drop=True)], axis=1).melt(
        id_vars=list(base.columns), var_name="frame", value_name="score")
    long = long[long["score"] >= min_score].sort_values(["country", "frame", "score", "passage_id"],
                                                        ascending=[True, True, False, True])
    long["rank"] = long.groupby(["country", "frame"]).cumcount() + 1
    return long[long["rank"] <= n][cols].reset_index(drop=True)


def log_odds_dirichlet(counts_a, counts_b, prior) -> tuple[np.ndarray, np.ndarray]:
    """Log-odds ratio with an informative Dirichlet prior (Monroe et al. 2008, eq. 16-22).

    Args:
        counts_a: Word counts in group a (1-d, one entry per vocabulary word).
        counts_b: Word counts in group b, same vocabulary.
        prior: Pseudo-counts ``alpha_w`` per word (e.g. background frequencies
            scaled to a total ``alpha_0``); all must be positive.

    Returns:
        ``(delta, z)``: the log-odds ratio of a versus b per word and its z-score
        ``delta / sqrt(1/(y_a + alpha) + 1/(y_b + alpha))``.

    Raises:
        ValueError: Lengths differ or a prior entry is not positive.
    """
    ya, yb, a = (np.asarray(v, dtype=float) for v in (counts_a, counts_b, prior))
    if not (ya.shape == yb.shape == a.shape):
        raise ValueError("log_odds_dirichlet: counts and prior must have the same length.")
    if (a <= 0).any():
        raise ValueError("log_odds_dirichlet: every prior pseudo-count must be positive.")
    na, nb, a0 = ya.sum(), yb.sum(), a.sum()
    delta = np.log((ya + a) / (na + a0 - ya - a)) - np.log((yb + a) / (nb + a0 - yb - a))
    z = delta / np.sqrt(1.0 / (ya + a) + 1.0 / (yb + a))
    # Rounded, so words are ranked the same on any CPU (np.log's last bit depends on its SIMD loop).
    return round_significant(delta), round_significant(z)


def _tokens(text: str, drop: set[str]) -> list[str]:
    return [t for t in _TOKEN.findall(text.lower()) if t not in drop and len(t) > 1]


def distinctive_words(passages: pd.DataFrame, *, top_n: int = 10, prior_scale: float = 100.0,
                      min_count: int = 2, drop_aliases: bool = True, stop_words=None) -> pd.DataFrame:
    """Words most distinctive of each country's passages versus the other countries' passages.

    The prior is the pooled word distribution of all passages scaled to
    ``prior_scale`` pseudo-counts (Monroe et al.'s informative prior). Country
    names and other aliases that defined the passages are removed by default,
    since they are distinctive by construction.

    Args:
        passages: Output of :func:`build_passages` (``country``, ``aliases``, ``text``).
        top_n: Words per country.
        prior_scale: Total pseudo-count ``alpha_0`` of the prior.
        min_count: Minimum count of a word in the country's passages.
        drop_aliases: Remove tokens of the aliases in ``aliases``.
        stop_words: Words to drop; ``None`` = scikit-learn's English list.

    Returns:
        DataFrame ``country``, ``rank``, ``word``, ``log_odds``, ``z``, ``count``
        (in the country's passages), ``count_other``; empty for a country when
        it is the only country present (nothing to contrast with).
    """
    from collections import Counter

    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    cols = ["country", "rank", "word", "log_odds", "z", "count", "count_other"]
    if passages.empty or passages["country"].nunique() < 2:
        return pd.DataFrame(columns=cols)
    drop = set(ENGLISH_STOP_WORDS if stop_words is None else stop_words)
    if drop_aliases:
        for a in passages["aliases"].dropna():
            for alias in str(a).split("|"):
                drop.update(_TOKEN.findall(alias.lower()))
    counts = {c: Counter() for c in sorted(passages["country"].unique())}
    for country, text in zip(passages["country"], passages["text"]):
        counts[country].update(_tokens(str(text), drop))
    vocab = sorted(set().union(*counts.values()))
    mat = pd.DataFrame({c: [cnt[w] for w in vocab] for c, cnt in counts.items()}, index=vocab)
    total = mat.sum(axis=1)
    prior = prior_scale * (total + 0.01) / (total + 0.01).sum()
    frames = []
    for c in mat.columns:
        other = total - mat[c]
        delta, z = log_odds_dirichlet(mat[c].to_numpy(), other.to_numpy(), prior.to_numpy())
        res = pd.DataFrame({"country": c, "word": vocab, "log_odds": delta, "z": z,
                            "count": mat[c].to_numpy(), "count_other": other.to_numpy()})
        res = res[res["count"] >= min_count].sort_values(["z", "word"], ascending=[False, True]).head(top_n)
        frames.append(res.assign(rank=np.arange(1, len(res) + 1)))
    return pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)


def context_sensitivity(shares: pd.DataFrame, context_shares: pd.DataFrame, *,
                        label: str = "with ±1 sentence") -> pd.DataFrame:
    """Frame shares of the mentioning sentence beside the shares when ±1 context sentence is scored too.

    Args:
        shares: :func:`frame_shares_by_country` of the sentences themselves (the primary analysis).
        context_shares: The same with context passages (``build_passages(..., window=1)``).
        label: Name of the sensitivity column.

    Returns:
        ``shares`` with ``estimate (label)`` and ``difference`` (context minus sentence) added.
    """
    other = context_shares[["country", "frame", "estimate"]].rename(columns={"estimate": f"estimate ({label})"})
    out = shares.merge(other, on=["country", "frame"], how="left")
    out["difference"] = out[f"estimate ({label})"] - out["estimate"]
    return out
