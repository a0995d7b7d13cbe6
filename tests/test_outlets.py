"""Tests for analysis.corpus.outlets: canonical names, home country and type, unknowns listed not guessed."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.corpus import outlets as outlets
from analysis.corpus.outlets import OutletRegistryError, assign_outlets, list_unknown_outlets, load_outlets


@pytest.mark.parametrize(("raw", "key"), [
    ("The Guardian", "guardian"),
    ("  the   guardian ", "guardian"),
    ("www.theguardian.com", "theguardian.com"),
    ("https://www.theguardian.com/world/2025/jan/x", "theguardian.com"),
    ("Tom\u2019s Hardware UK", "tom's hardware uk"),
    (None, ""),
    (float("nan"), ""),
])
def test_outlet_key(raw, key):
    assert outlets.outlet_key(raw) == key


@pytest.mark.parametrize(("outlet", "url", "name", "country", "kind"), [
    ("The Guardian", None, "The Guardian", "GBR", "national_daily"),
    ("Guardian", None, "The Guardian", "GBR", "national_daily"),
    ("theguardian.com", None, "The Guardian", "GBR", "national_daily"),
    ("", "https://www.theguardian.com/a", "The Guardian", "GBR", "national_daily"),
    ("BBC News", None, "BBC News", "GBR", "broadcaster"),
    ("Xinhua", None, "Xinhua", "CHN", "wire"),
    ("South China Morning Post", None, "South China Morning Post", "HKG", "national_daily"),
    ("Yahoo Entertainment", None, "Yahoo", "USA", "aggregator"),
    ("Reuters", None, "Reuters", "GBR", "wire"),
    ("The Star Online", None, "The Star", "MYS", "national_daily"),
    ("Bernama", None, "Bernama", "MYS", "wire"),
    ("Some Local Blog", "https://blog.example.org/x", "Some Local Blog", "unknown", "unknown"),
    (None, "https://blog.example.org/x", "blog.example.org", "unknown", "unknown"),
    (None, None, "unknown", "unknown", "unknown"),
])
def test_assign_outlets(outlet, url, name, country, kind):
    arts = pd.DataFrame({"doc_id": ["d"], "outlet": [outlet], "url": [url]})
    row = outlets.assign_outlets(arts).iloc[0]
    assert (row["outlet_name"], row["outlet_country"], row["outlet_type"]) == (name, country, kind)
    assert bool(row["outlet_known"]) == (country != "unknown")


def test_unknown_outlets_are_listed_with_counts():
    arts = pd.DataFrame({"doc_id": list("abcd"), "outlet": ["Mystery Times", "Mystery Times", "BBC", "Other"],
                         "url": ["https://mystery.example/1", "https://mystery.example/2", None, None]})
    unknown = outlets.list_unknown_outlets(arts)
    assert unknown[["outlet", "domain", "n_articles"]].values.tolist() == [
        ["Mystery Times", "mystery.example", 2], ["Other", "", 1]]
    assert unknown.loc[0, "example_url"] == "https://mystery.example/1"


def test_no_outlet_column_raises():
    with pytest.raises(ValueError, match="'outlet' column"):
        outlets.assign_outlets(pd.DataFrame({"doc_id": ["a"]}))


def _registry(rows):
    return pd.DataFrame(rows, columns=["outlet", "alias", "country", "type"])


@pytest.mark.parametrize(("rows", "message"), [
    ([["A", "a", "USA", "tabloid"]], r"row 1: type 'tabloid'"),
    ([["A", "", "USA", "wire"]], r"row 1: empty field"),
    ([["A", "x.com", "USA", "wire"], ["B", "X.com", "GBR", "wire"]], r"'x.com' maps to several outlets"),
    ([["A", "a", "USA", "wire"], ["A", "a.com", "GBR", "wire"]], r"'A' has more than one country"),
])
def test_bad_registry_names_the_problem(rows, message):
    with pytest.raises(outlets.OutletRegistryError, match=message):
        outlets.load_outlets(_registry(rows))


def test_missing_registry_column(tmp_path):
    path = tmp_path / "o.csv"
    path.write_text("outlet,alias,country\nA,a,USA\n", encoding="utf-8")
    with pytest.raises(outlets.OutletRegistryError, match="missing column"):
        outlets.load_outlets(path)


def test_bundled_registry_is_valid_and_typed():
    reg = outlets.load_outlets()
    assert set(reg["type"]) <= set(outlets.OUTLET_TYPES)
    assert {"MYS", "CHN", "JPN", "USA", "GBR", "SGP"} <= set(reg["country"])


def test_newsapi_outlets_mostly_known(shared_dataset):
    arts = pd.read_json(shared_dataset("deepseek_newsapi_2025", "articles.jsonl"), lines=True)
    assigned = outlets.assign_outlets(arts)
    assert assigned["outlet_known"].mean() > 0.8
    unknown = outlets.list_unknown_outlets(arts)
    assert unknown["n_articles"].sum() == (~assigned["outlet_known"]).sum()


@pytest.mark.parametrize("name, outlet, group", [
    ("theSun (Malaysia) [Bernama]", "Bernama", "Malaysian"),     # a reprint counts for the outlet that wrote it
    ("Daily8 [New Straits Times]", "New Straits Times", "Malaysian"),
    ("The Japan News (Yomiuri Shimbun)", "The Japan News (Yomiuri Shimbun)", "Japanese"),
    ("South China Morning Post", "South China Morning Post", "Chinese/HK"),
    ("DW", "Deutsche Welle", "Western"),
])
def test_registry_names_the_outlet_and_its_home_country_group(name, outlet, group):
    row = assign_outlets(pd.DataFrame({"doc_id": ["d"], "outlet": [name]})).iloc[0]
    assert (row["outlet_name"], row["outlet_group"]) == (outlet, group)


def test_only_international_wires_form_the_wire_group_and_groups_are_known():
    from analysis.corpus.outlets import OUTLET_GROUPS

    reg = load_outlets()
    assert set(reg["group"]) <= set(OUTLET_GROUPS) and (reg["language"] != "").all()
    assert (reg.loc[reg["group"] == "wire", "type"] == "wire").all()
    assert set(reg.loc[reg["group"] == "wire", "outlet"]) == {"Reuters", "Associated Press", "Agence France-Presse",
                                                              "Bloomberg"}
    assert set(reg.loc[reg["country"] == "TWN", "group"]) == {"Taiwanese"}  # Taiwan is not China
    by_outlet = reg.drop_duplicates("outlet").set_index("outlet")["group"]
    assert (by_outlet["Xinhua"], by_outlet["Bernama"], by_outlet["Kyodo News"]) == ("Chinese/HK", "Malaysian",
                                                                                    "Japanese")


def test_a_registry_without_language_and_group_still_loads():
    reg = load_outlets(pd.DataFrame({"outlet": ["X"], "alias": ["X"], "country": ["USA"], "type": ["trade_tech"]}))
    assert reg[["language", "group"]].iloc[0].tolist() == ["unknown", "unknown"]
    with pytest.raises(OutletRegistryError, match="group 'Martian'"):
        load_outlets(pd.DataFrame({"outlet": ["X"], "alias": ["X"], "country": ["USA"], "type": ["wire"],
                                   "language": ["en"], "group": ["Martian"]}))


@pytest.mark.shared_data
def test_every_outlet_of_the_development_corpora_is_in_the_registry(shared_dataset):
    import json

    frames = [pd.read_csv(shared_dataset("ai_news_portrayal_dev", name)) for name in
              ("deepseek_news_2025.csv", "asia_ai_news_dev.csv")]
    with open(shared_dataset("deepseek_newsapi_2025", "articles.jsonl"), encoding="utf-8") as fh:
        frames.append(pd.DataFrame([json.loads(line) for line in fh])[["outlet", "url"]])
    articles = pd.concat(frames, ignore_index=True).assign(doc_id=lambda d: range(len(d)))
    unknown = list_unknown_outlets(articles)
    # NewsAPI's catch-all source name "Internet" is not an outlet; every real outlet is registered.
    assert set(unknown["outlet"]) <= {"Internet"}, unknown.head(10)
