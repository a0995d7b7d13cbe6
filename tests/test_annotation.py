"""Annotation tooling: page identity, coding units, sheets, codes, agreement, stand-off rounds."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from analysis.annotation.agreement import (adjudication_table, agreement_by_variable, alpha,
                                           confusion_between_coders, gold_codes)
from analysis.annotation.documents import text_sha256
from analysis.annotation.items import extract_items, reference_class, sample_items
from analysis.annotation.sheets import CodesError, read_codes, sheet_items, write_sheet, write_sheet_html
from analysis.annotation.sources import is_heldout, load_heldout, normalise_url, url_sha256
from analysis.annotation.store import join_text, majority_gold, read_round, write_round

FRAMES = ["conflict", "economic", "tech_race"]


@pytest.mark.parametrize("url, expected", [
    ("https://www.example.com/news/a-b/?x=1", "example.com/news/a-b"),
    ("http://EXAMPLE.com/News/A#frag", "example.com/News/A"),
    ("https://www.example.com/", "example.com"),
    ("example.com/news/a", "example.com/news/a"),
    ("https://www2.example.com/a/", "www2.example.com/a"),
    ("https://user@www.example.com:8080/a", "example.com/a"),
])
def test_normalise_url_follows_the_heldout_rule(url, expected):
    assert normalise_url(url) == expected


@pytest.mark.parametrize("bad", ["", "   ", None, "https:///path-only"])
def test_normalise_url_rejects_what_is_not_a_page(bad):
    with pytest.raises(ValueError, match="URL"):
        normalise_url(bad)


def test_heldout_list_matches_by_normalised_url(tmp_path):
    path = tmp_path / "heldout.txt"
    path.write_text("# kept aside\n" + url_sha256("https://www.example.com/kept/") + "\n\n", encoding="utf-8")
    held = load_heldout(path)
    assert is_heldout("http://example.com/kept?utm=1", held)
    assert not is_heldout("https://example.com/kept-not", held)


def test_heldout_list_names_a_malformed_line(tmp_path):
    path = tmp_path / "heldout.txt"
    path.write_text("a" * 64 + "\nnot-a-digest\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 2"):
        load_heldout(path)


@pytest.mark.parametrize("country, alias, kind, sentence, start, expected", [
    ("MYS", "Kuala Lumpur", "place", "KUALA LUMPUR (Reuters) - Malaysia said on Monday", 0, "proxy"),
    ("JPN", "Tokyo", "place", "TOKYO, Jan 27 (Reuters) - Japanese chip stocks fell", 0, "proxy"),
    ("JPN", "Tokyo", "place", "Tokyo will fund new chips.", 0, "direct"),
    ("CHN", "Beijing", "place", "Officials in Beijing denied it.", 12, "direct"),
    ("CHN", "Hangzhou", "place", "DeepSeek is based in Hangzhou.", 21, "proxy"),
    ("CHN", "DeepSeek", "organisation", "DeepSeek stunned investors.", 0, "proxy"),
    ("MYS", "Malaysian", "demonym", "Malaysian officials agreed.", 0, "direct"),
    ("CHN", "China", "name", "CHINA IS RISING", 0, "direct"),
])
def test_reference_class(country, alias, kind, sentence, start, expected):
    assert reference_class(country, alias, kind, sentence, start) == expected


DOCS = pd.DataFrame({
    "doc": ["a.com/1", "b.com/2"],
    "outlet": ["A", "B"],
    "text": ["China and Beijing rival Washington. DeepSeek is Chinese. The weather was fine.\n\n"
             "Japan invests in Johor, Malaysia.",
             "The South China Morning Post reported it. Tokyo said Malaysia agreed."],
})


def test_extract_items_gives_one_item_per_sentence_and_country():
    items = extract_items(DOCS)
    first = items[(items["doc"] == "a.com/1") & (items["sent_start"] == 0)]
    assert first["country"].tolist() == ["CHN"]  # "China" and "Beijing": one item
    assert first["n_mentions"].tolist() == [2]
    text = DOCS["text"][0]
    for item in items[items["doc"] == "a.com/1"].itertuples():
        sentence = text[item.sent_start:item.sent_end]
        assert sentence[item.mention_start:item.mention_end]
    # "DeepSeek is Chinese.": the proxy comes first, but the direct demonym is the marked mention
    second = items[(items["doc"] == "a.com/1") & (items["country"] == "CHN") & (items["sent_start"] > 0)].iloc[0]
    assert text[second.sent_start:second.sent_end][second.mention_start:second.mention_end] == "Chinese"
    assert second.reference == "direct"


def test_extract_items_skips_the_outlet_name_and_keys_items_stably():
    items = extract_items(DOCS)
    b = items[items["doc"] == "b.com/2"]
    assert sorted(b["country"]) == ["JPN", "MYS"]  # the Post is an outlet, not China
    assert extract_items(DOCS)["item_id"].tolist() == items["item_id"].tolist()
    assert items["item_id"].is_unique


def test_extract_items_rejects_duplicate_keys():
    with pytest.raises(ValueError, match="a.com/1"):
        extract_items(pd.concat([DOCS, DOCS.iloc[:1]]))


def _pool(n_docs=20, per_doc=10):
    rows = []
    for d in range(n_docs):
        for s in range(per_doc):
            rows.append({"item_id": f"d{d}#{s}:CHN", "doc": f"d{d}", "country": "CHN",
                         "outlet": f"o{d % 4}", "likely_frame": "economic" if s % 5 else "conflict"})
    return pd.DataFrame(rows)


def test_sample_items_meets_quota_caps_documents_and_balances_strata():
    pool = _pool()
    sample = sample_items(pool, {"CHN": 40}, strata=("outlet", "likely_frame"), per_doc=3, random_state=1)
    assert len(sample) == 40 and sample["item_id"].is_unique
    assert sample.groupby("doc").size().max() <= 3
    per_stratum = sample.groupby("stratum").size()
    assert per_stratum.max() - per_stratum.min() <= 10  # rare "conflict" strata are not crowded out
    assert sample["likely_frame"].eq("conflict").sum() >= 8


def test_sample_items_skips_a_country_without_candidates():
    sample = sample_items(_pool(n_docs=2, per_doc=3), {"CHN": 2, "MYS": 5}, strata=("outlet", "likely_frame"))
    assert sample["country"].tolist() == ["CHN", "CHN"]


def test_sample_items_is_seeded_and_gives_what_there_is():
    pool = _pool(n_docs=2, per_doc=3)
    a = sample_items(pool, {"CHN": 50}, random_state=3)
    assert len(a) == 6
    assert a["item_id"].tolist() == sample_items(pool, {"CHN": 50}, random_state=3)["item_id"].tolist()


def _sheet(tmp_path):
    items = extract_items(DOCS)
    sheet = sheet_items(items, DOCS)
    path = write_sheet(sheet, tmp_path / "sheet" / "items.jsonl")
    return items, sheet, path


def test_sheet_carries_sentence_mention_and_context(tmp_path):
    items, sheet, path = _sheet(tmp_path)
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(records) == len(items)
    for rec in records:
        assert rec["sentence"][rec["from"]:rec["to"]] == rec["mention"]
        assert rec["sentence"] in rec["context"]
    page = write_sheet_html(sheet, "# Guide\nCode <carefully>.", tmp_path / "sheet.html", title="Round 2")
    html = page.read_text(encoding="utf-8")
    assert "&lt;carefully&gt;" in html and "<mark>" in html and html.count("class='item'") == len(sheet)


def test_sheet_refuses_a_changed_document():
    items = extract_items(DOCS)
    shorter = DOCS.assign(text=DOCS["text"].str.slice(0, 10))
    with pytest.raises(ValueError, match="offsets"):
        sheet_items(items, shorter)


def _write_codes(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.mark.parametrize("record, message", [
    ({"id": "x9", "sentiment": "neutral", "frames": []}, "not on this coder's sheet"),
    ({"id": "x1", "sentiment": "Good", "frames": []}, "sentiment 'Good'"),
    ({"id": "x1", "sentiment": "neutral", "frames": ["techrace"]}, "techrace"),
    ({"id": "x1", "sentiment": "neutral", "frames": "economic"}, "list of frame ids"),
])
def test_read_codes_names_the_line_and_the_fault(tmp_path, record, message):
    path = _write_codes(tmp_path / "c.jsonl", [{"id": "x0", "sentiment": "positive", "frames": []}, record])
    with pytest.raises(CodesError, match=message) as err:
        read_codes(path, coder="a", item_ids=["x0", "x1"], frames=FRAMES)
    assert "line 2" in str(err.value)


def test_read_codes_reports_missing_items_and_missing_coder(tmp_path):
    path = _write_codes(tmp_path / "c.jsonl", [{"id": "x0", "sentiment": "positive", "frames": []}])
    with pytest.raises(CodesError, match="not coded"):
        read_codes(path, coder="a", item_ids=["x0", "x1"], frames=FRAMES)
    with pytest.raises(CodesError, match="coder 'b'"):
        read_codes(tmp_path / "absent.jsonl", coder="b", item_ids=["x0"], frames=FRAMES)


def test_read_codes_accepts_csv_and_normalises(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("id,sentiment,frames,unsure\nx0,Negative,tech_race; conflict,x\nx1,neutral,,\n", encoding="utf-8")
    codes = read_codes(path, coder="a", item_ids=["x0", "x1"], frames=FRAMES)
    assert codes["sentiment"].tolist() == ["negative", "neutral"]
    assert codes["frames"].tolist() == [("conflict", "tech_race"), ()]
    assert codes["unsure"].tolist() == [True, False]


def _codes(rows):
    return pd.DataFrame(rows, columns=["item_id", "coder", "sentiment", "frames"])


def test_alpha_matches_a_hand_computed_case():
    # Krippendorff (2011) nominal example reduced to two coders: 4 of 5 pairable units agree.
    matrix = pd.DataFrame({"a": ["x", "x", "y", "y", "x"], "b": ["x", "x", "y", "y", "y"]})
    # D_o = 2/10, expected disagreement from marginals x=5, y=5 of n=10: D_e = 2*5*5/(10*9) = 50/90
    assert alpha(matrix) == pytest.approx(1 - (2 / 10) / (50 / 90))
    assert np.isnan(alpha(pd.DataFrame({"a": ["x", "x"], "b": ["x", "x"]})))


def test_agreement_by_variable_reports_alpha_with_an_interval_and_needs_two_coders():
    rows = []
    for i in range(40):
        label = ["negative", "neutral", "positive"][i % 3]
        other = label if i % 10 else "neutral"
        rows += [(f"i{i}", "a", label, ("economic",) if i % 4 == 0 else ()),
                 (f"i{i}", "b", other, ("economic",) if i % 4 == 0 else ())]
    table = agreement_by_variable(_codes(rows), FRAMES, n_boot=200)
    sent = table.set_index("variable").loc["sentiment"]
    assert 0.7 < sent["alpha"] < 1 and sent["alpha_low"] <= sent["alpha"] <= sent["alpha_high"]
    assert table.set_index("variable").loc["economic", "alpha"] == 1.0
    with pytest.raises(ValueError, match="one coder"):
        agreement_by_variable(_codes(rows[:-1]), FRAMES, n_boot=10)


def test_confusion_adjudication_and_gold():
    codes = _codes([("i1", "a", "negative", ("conflict",)), ("i1", "b", "neutral", ("conflict", "economic")),
                    ("i2", "a", "positive", ()), ("i2", "b", "positive", ())])
    table = confusion_between_coders(codes, ("a", "b"))
    assert table.loc["negative", "neutral"] == 1 and table.to_numpy().sum() == 2
    adj = adjudication_table(codes)
    assert adj[["item_id", "variable"]].values.tolist() == [["i1", "sentiment"], ["i1", "economic"]]
    undecided = gold_codes(codes).set_index("item_id")
    assert pd.isna(undecided.loc["i1", "sentiment"]) and undecided.loc["i1", "frames"] == ("conflict",)
    decided = gold_codes(codes, adj.assign(decision=["negative", "1"])).set_index("item_id")
    assert decided.loc["i1", "sentiment"] == "negative"
    assert decided.loc["i1", "frames"] == ("conflict", "economic")
    with pytest.raises(ValueError, match="i1"):
        gold_codes(codes, adj.assign(decision=["bad", "1"]))


def test_majority_gold_uses_the_tiebreak_and_flags_three_way_splits():
    codes = pd.DataFrame([
        ("i1", "a", "primary", "negative", ("conflict",)), ("i1", "b", "primary", "neutral", ()),
        ("i1", "c", "tiebreak", "negative", ("conflict", "economic")),
        ("i2", "a", "primary", "negative", ()), ("i2", "b", "primary", "neutral", ()),
        ("i2", "c", "tiebreak", "positive", ()),
        ("i3", "a", "primary", "positive", ("economic",)), ("i3", "b", "primary", "positive", ("economic",)),
    ], columns=["item_id", "coder", "role", "sentiment", "frames"])
    gold = majority_gold(codes, FRAMES).set_index("item_id")
    assert gold.loc["i1", "sentiment"] == "negative" and gold.loc["i1", "frames"] == ("conflict",)
    assert pd.isna(gold.loc["i2", "sentiment"]) and gold.attrs["no_majority"] == 1
    assert gold.loc["i3", "frames"] == ("economic",) and bool(gold.loc["i3", "agreed_sentiment"])


def test_round_is_stand_off_and_joins_back_only_to_the_same_text(tmp_path):
    items = extract_items(DOCS).assign(stratum="s", batch="b1")
    docs = DOCS.assign(source="test", url="https://" + DOCS["doc"], published="2025-01-01",
                       text_sha256=DOCS["text"].map(text_sha256))
    codes = pd.DataFrame({"item_id": items["item_id"], "coder": "a", "role": "primary", "sentiment": "neutral",
                          "frames": [("economic",)] * len(items), "unsure": False, "coded_on": "2026-12-01"})
    folder = write_round(tmp_path / "r", documents=docs, items=items, codes=codes)
    on_disk = "".join(p.read_text(encoding="utf-8") for p in folder.iterdir())
    assert "weather" not in on_disk and "rival" not in on_disk  # no third-party text in the round
    again = read_round(folder)
    joined = join_text(again["items"], again["documents"], DOCS)
    assert joined.attrs["missing_documents"] == 0
    first = joined[joined["item_id"] == items["item_id"][0]].iloc[0]
    assert first["sentence"].startswith("China and Beijing")
    assert join_text(again["items"], again["documents"], DOCS.iloc[:1]).attrs["missing_documents"] == 1
    with pytest.raises(ValueError, match="a.com/1"):
        join_text(again["items"], again["documents"], DOCS.assign(text=DOCS["text"] + " "))
    (folder / "codes.csv").write_text((folder / "codes.csv").read_text().replace("neutral", "meh", 1))
    with pytest.raises(ValueError, match="row 2"):
        read_round(folder)


def test_cli_draws_sheets_from_a_corpus_and_reports_agreement(tmp_path):
    from analysis.annotation.__main__ import main
    from analysis.paths import SEED_CORPUS_DIR

    guide = tmp_path / "GUIDE.md"
    guide.write_text("# Guide\nCode the sentence.", encoding="utf-8")
    out = tmp_path / "coding"
    assert main(["sheets", "--corpus", str(SEED_CORPUS_DIR), "--out", str(out), "--per-country", "4",
                 "--guide", str(guide)]) == 0
    sheet = pd.read_json(out / "items.jsonl", lines=True)
    key = pd.read_csv(out / "items_key.csv")
    assert len(sheet) == len(key) == len(pd.read_csv(out / "items.csv")) and len(sheet) <= 12
    assert (key["reference"] == "direct").all()
    assert "Code the sentence." in (out / "items.html").read_text(encoding="utf-8")
    labels = ["negative", "neutral", "positive"]
    for coder, shift in (("a", 0), ("b", 1)):
        _write_codes(out / f"{coder}.jsonl", [{"id": i, "sentiment": labels[(k + shift * (k % 2)) % 3],
                                               "frames": ["economic"] if k % 3 == 0 else []}
                                              for k, i in enumerate(sheet["id"])])
    assert main(["agreement", "--sheet", str(out / "items.jsonl"), "--codes", str(out / "a.jsonl"),
                 str(out / "b.jsonl"), "--n-boot", "50"]) == 0
    table = pd.read_csv(out / "agreement.csv").set_index("variable")
    assert table.loc["economic", "alpha"] == 1.0 and table.loc["sentiment", "alpha"] < 1.0
    adjudication = pd.read_csv(out / "adjudication.csv")
    assert set(adjudication["variable"]) == {"sentiment"} and len(adjudication) == len(sheet) // 2


def test_cli_says_when_a_corpus_has_nothing_to_code(tmp_path):
    from analysis.annotation.__main__ import main

    corpus = tmp_path / "weather.csv"
    corpus.write_text("title,text\nA,The weather in Paris was fine all week and nobody minded it at all.\n",
                      encoding="utf-8")
    with pytest.raises(SystemExit, match="weather.csv: no sentence names CHN,JPN,MYS"):
        main(["sheets", "--corpus", str(corpus), "--out", str(tmp_path / "out"), "--guide", str(corpus)])
    assert not (tmp_path / "out").exists()
