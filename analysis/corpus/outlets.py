"""The outlet registry: canonical outlet names, home countries, types, languages and home-country groups.

Corpora name the same outlet many ways ("The Guardian", "Guardian",
"theguardian.com"). ``resources/outlets.csv`` maps every known spelling and
domain to one canonical outlet with its home country (ISO 3166 alpha-3, plus
``HKG`` for Hong Kong), its ``type`` (:data:`OUTLET_TYPES`), its publication
``language`` (ISO 639-1) and its home-country ``group`` for comparisons
(:data:`OUTLET_GROUPS`): the international wires (Reuters, AP, AFP, Bloomberg) form
the group ``wire``; a national agency counts for its home country (Xinhua is
Chinese, Bernama Malaysian, Kyodo and Jiji Japanese), and Taiwan's outlets are a
group of their own. A story an aggregator or another outlet reprints counts for the outlet
that wrote it (``"theSun (Malaysia) [Bernama]"`` is Bernama). Nothing is guessed:
an outlet the registry does not know keeps its own name with country, type,
language and group ``"unknown"``, and :func:`list_unknown_outlets` lists them
for the user to add.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pandas as pd

from analysis.paths import RESOURCES_DIR

__all__ = ["OUTLET_TYPES", "OUTLET_GROUPS", "UNKNOWN", "OutletRegistryError", "load_outlets", "outlet_key", "assign_outlets",
           "list_unknown_outlets"]

OUTLET_TYPES = ("national_daily", "broadcaster", "wire", "state_affiliated", "trade_tech", "aggregator", "other")
OUTLET_GROUPS = ("Western", "Japanese", "Malaysian", "Chinese/HK", "Taiwanese", "Singaporean", "wire", "other")
UNKNOWN = "unknown"
OUTLETS_PATH = RESOURCES_DIR / "outlets.csv"
_COLUMNS = ["outlet", "alias", "country", "type"]
_OPTIONAL = ["language", "group"]  # a user's registry may leave them out: they are "unknown" then
_SPACES = re.compile(r"\s+")


class OutletRegistryError(ValueError):
    """The outlet registry file is malformed; the message names the file and row."""


def outlet_key(name) -> str:
    """Normalise an outlet name or domain for lookup.

    Lower case, whitespace collapsed, curly apostrophes straightened, a
    leading "the " and "www." removed; a URL is reduced to its host.

    >>> outlet_key("  The  Guardian ") == outlet_key("guardian") == "guardian"
    True
    >>> outlet_key("https://www.theguardian.com/world/x")
    'theguardian.com'
    """
    if not isinstance(name, str):
        return ""
    text = name.strip()
    if "://" in text:
        text = urlsplit(text).hostname or ""
    text = _SPACES.sub(" ", text.replace("\u2019", "'")).lower()
    text = re.sub(r"^(the |www\.)", "", text)
    return text


def load_outlets(path=None) -> pd.DataFrame:
    """Read and validate the outlet registry.

    Args:
        path: CSV path or DataFrame with ``outlet, alias, country, type`` and optionally
            ``language, group``; ``None`` reads ``resources/outlets.csv``.

    Returns:
        DataFrame ``outlet, alias, country, type, language, group, key, row`` (``key``
        from :func:`outlet_key`; ``row`` the 1-based data row).

    Raises:
        OutletRegistryError: A missing column, an empty field, an unknown type or group,
            one alias mapped to two outlets, or an outlet given two countries, types,
            languages or groups.
    """
    if isinstance(path, pd.DataFrame):
        table, name = path.copy(), "<outlet DataFrame>"
    else:
        name = str(OUTLETS_PATH if path is None else path)
        table = pd.read_csv(name, dtype=str, keep_default_na=False)
    missing = [c for c in _COLUMNS if c not in table.columns]
    if missing:
        raise OutletRegistryError(f"{name}: missing column(s) {missing}; the registry needs {_COLUMNS}.")
    for col in _OPTIONAL:
        if col not in table.columns:
            table[col] = UNKNOWN
    table = table[_COLUMNS + _OPTIONAL].fillna("").astype(str).apply(lambda col: col.str.strip())
    table["row"] = range(1, len(table) + 1)
    table["key"] = table["alias"].map(outlet_key)
    for rec in table.itertuples(index=False):
        if not (rec.outlet and rec.alias and rec.country and rec.type):
            raise OutletRegistryError(
                f"{name} row {rec.row}: empty field; outlet, alias, country and type are required.")
        if rec.type not in OUTLET_TYPES:
            raise OutletRegistryError(
                f"{name} row {rec.row}: type {rec.type!r} is not one of {list(OUTLET_TYPES)}.")
        if rec.group not in (*OUTLET_GROUPS, UNKNOWN, ""):
            raise OutletRegistryError(
                f"{name} row {rec.row}: group {rec.group!r} is not one of {list(OUTLET_GROUPS)}.")
    clash = table.groupby("key")["outlet"].nunique()
    if (clash > 1).any():
        key = clash[clash > 1].index[0]
        rows = table.loc[table["key"] == key, ["row", "outlet"]].to_records(index=False).tolist()
        raise OutletRegistryError(
            f"{name}: alias {key!r} maps to several outlets (rows, outlets: {rows}); keep one.")
    for col in ("country", "type", "language", "group"):
        varied = table.groupby("outlet")[col].nunique()
        if (varied > 1).any():
            outlet = varied[varied > 1].index[0]
            raise OutletRegistryError(
                f"{name}: outlet {outlet!r} has more than one {col}; use one value on all its rows.")
    table = table.drop_duplicates("key").reset_index(drop=True)
    table[_OPTIONAL] = table[_OPTIONAL].replace("", UNKNOWN)
    return table[["outlet", "alias", "country", "type", "language", "group", "key", "row"]]


def _urls(articles: pd.DataFrame) -> pd.Series:
    if "url" in articles.columns:
        return articles["url"]
    return pd.Series([None] * len(articles), index=articles.index, dtype=object)


def assign_outlets(articles: pd.DataFrame, *, registry=None) -> pd.DataFrame:
    """Add canonical outlet, home country and type to each article.

    The ``outlet`` field is looked up first, then the host of ``url``.

    Args:
        articles: Articles table with ``doc_id`` and ``outlet`` (``url`` optional).
        registry: Path or DataFrame for :func:`load_outlets`; ``None`` uses the bundled file.

    Returns:
        A copy of ``articles`` with ``outlet_name`` (canonical name; for an
        unknown outlet its own name, or its domain, or ``"unknown"``),
        ``outlet_country``, ``outlet_type``, ``outlet_language`` and ``outlet_group``
        (``"unknown"`` when not in the registry) and ``outlet_known`` (bool).

    Raises:
        ValueError: ``articles`` has no ``outlet`` column.
    """
    if "outlet" not in articles.columns:
        raise ValueError(f"assign_outlets needs an 'outlet' column; got {list(articles.columns)}.")
    reg = load_outlets(registry).set_index("key")
    urls = _urls(articles)
    names, countries, types, languages, groups, known = [], [], [], [], [], []
    for outlet, url in zip(articles["outlet"], urls):
        keys = [outlet_key(outlet), outlet_key(url) if isinstance(url, str) and "://" in url else ""]
        hit = next((k for k in keys if k and k in reg.index), None)
        if hit is None:
            fallback = outlet if isinstance(outlet, str) and outlet.strip() else (keys[1] or UNKNOWN)
            names.append(fallback)
            countries.append(UNKNOWN)
            types.append(UNKNOWN)
            languages.append(UNKNOWN)
            groups.append(UNKNOWN)
            known.append(False)
        else:
            rec = reg.loc[hit]
            names.append(rec["outlet"])
            countries.append(rec["country"])
            types.append(rec["type"])
            languages.append(rec["language"])
            groups.append(rec["group"])
            known.append(True)
    return articles.assign(outlet_name=names, outlet_country=countries, outlet_type=types, outlet_language=languages,
                           outlet_group=groups, outlet_known=known)


def list_unknown_outlets(articles: pd.DataFrame, *, registry=None) -> pd.DataFrame:
    """Outlets (and domains) the registry does not know, for the user to add.

    Returns:
        DataFrame ``outlet, domain, n_articles, example_url`` sorted by
        ``n_articles`` descending then ``outlet``; empty when all are known.
    """
    assigned = assign_outlets(articles, registry=registry)
    unknown = assigned[~assigned["outlet_known"]]
    urls = _urls(unknown)
    table = pd.DataFrame({
        "outlet": unknown["outlet_name"],
        "domain": [outlet_key(u) if isinstance(u, str) and "://" in u else "" for u in urls],
        "url": urls.fillna(""),
    })
    out = (table.groupby(["outlet", "domain"], sort=False)
           .agg(n_articles=("url", "size"), example_url=("url", "first")).reset_index())
    return out.sort_values(["n_articles", "outlet"], ascending=[False, True]).reset_index(drop=True)
