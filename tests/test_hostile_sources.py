"""Hostile corpus inputs: numeric dates, day/month order, clashing columns, delimiters.

Every input is written to ``tmp_path``; nothing here reads the network or data/raw.
"""

from __future__ import annotations

import csv
import hashlib
import json
import tempfile
import warnings
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.corpus.prepare import CorpusInputError, load_corpus, load_corpus_audited, prepare_corpus

TEXT = ("Malaysia is building data centres in Johor at a rapid pace, and officials said the "
        "new facilities would serve customers across Southeast Asia; the state approved several "
        "projects this year.")
FEB_1 = pd.Timestamp("2025-02-01")


def _write_csv(path: Path, header: list[str], rows: list[list], delimiter: str = ",") -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _write_json(path: Path, records: list[dict]) -> Path:
    path.write_text(json.dumps(records), encoding="utf-8")
    return path


def _write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _dates_table(tmp_path: Path, dates: list, *, name: str = "dates.csv") -> Path:
    return _write_csv(tmp_path / name, ["id", "text", "date"],
                      [[f"d{i}", TEXT, d] for i, d in enumerate(dates)])


# --- 1. numbers as dates: Unix time, never 1970 -------------------------------------------

@pytest.mark.parametrize(("fmt", "value", "expected", "how"), [
    ("json", 1738368000, FEB_1, "Unix seconds"),  # the reported case
    ("json", "1738368000", FEB_1, "Unix seconds"),
    ("json", 1738368000.0, FEB_1, "Unix seconds"),
    ("json", 1738368000123, FEB_1 + pd.Timedelta(milliseconds=123), "Unix milliseconds"),
    ("json", 1738368000123456, FEB_1 + pd.Timedelta(microseconds=123456), "Unix microseconds"),
    ("json", 20250131, pd.Timestamp("2025-01-31"), "YYYYMMDD"),
    ("jsonl", 1738368000, FEB_1, "Unix seconds"),
    ("csv", "1738368000", FEB_1, "Unix seconds"),
    ("csv", " 1738368000 ", FEB_1, "Unix seconds"),
    ("csv", "1738368000123", FEB_1 + pd.Timedelta(milliseconds=123), "Unix milliseconds"),
    ("csv", "1738368000.5", FEB_1 + pd.Timedelta(milliseconds=500), "Unix seconds"),
    ("csv", "20250131", pd.Timestamp("2025-01-31"), "YYYYMMDD"),
    ("parquet", 1738368000, FEB_1, "Unix seconds"),
])
def test_unix_timestamps_are_read_as_unix_time(tmp_path, fmt, value, expected, how):
    records = [{"id": "a", "text": TEXT, "publishedAt": value}]
    if fmt == "json":
        path = _write_json(tmp_path / "t.json", records)
    elif fmt == "jsonl":
        path = _write_jsonl(tmp_path / "t.jsonl", records)
    elif fmt == "csv":
        path = _write_csv(tmp_path / "t.csv", list(records[0]), [list(records[0].values())])
    else:
        path = tmp_path / "t.parquet"
        pd.DataFrame(records).to_parquet(path)
    articles = load_corpus(path)
    assert articles.loc[0, "published"] == expected
    assert articles.loc[0, "date_evidence"] == f"metadata: {value} ({how})"


def test_timestamp_column_with_gaps_is_still_unix_time(tmp_path):
    # json_normalize turns an int column with a null into floats: 1738368000.0
    path = _write_json(tmp_path / "gaps.json", [{"text": TEXT, "publishedAt": 1738368000},
                                                 {"text": TEXT, "publishedAt": None}])
    articles = load_corpus(path)
    assert articles.loc[0, "published"] == FEB_1 and pd.isna(articles.loc[1, "published"])
    assert articles.loc[1, "date_evidence"] == ""


@pytest.mark.parametrize(("value", "why"), [
    (0, "1990-2100"), (1, "1990-2100"), (12345, "1990-2100"), (-1738368000, "1990-2100"),
    (4102444800, "1990-2100"), (10**30, "1990-2100"), (1e300, "1990-2100"), ("0", "1990-2100"),
    ("12345", "1990-2100"), ("20251399", "1990-2100"), ("-1738368000", "1990-2100"),
    (2025, "a year alone"), ("2025", "a year alone"),  # pandas made these 1 January
])
def test_implausible_numbers_are_rejected_not_1970(tmp_path, value, why):
    path = _write_json(tmp_path / "odd.json", [{"id": "ok", "text": TEXT, "date": 1738368000},
                                                {"id": "bad", "text": TEXT, "date": value}])
    with pytest.warns(UserWarning, match=r"odd\.json: 1 published date\(s\) rejected") as info:
        articles = load_corpus(path).set_index("doc_id")
    assert "row 2 (doc_id 'bad')" in str(info[0].message)
    assert pd.isna(articles.loc["bad", "published"])
    assert articles.loc["bad", "date_evidence"].startswith(f"rejected metadata date {value}: ")
    assert why in articles.loc["bad", "date_evidence"]
    assert articles.loc["ok", "published"] == FEB_1


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(st.integers(min_value=-10**20, max_value=10**20),
                          st.floats(allow_nan=False, allow_infinity=False)),
                min_size=1, max_size=8))
def test_numbers_never_become_1970(values):
    with tempfile.TemporaryDirectory() as folder, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        path = _write_json(Path(folder) / "n.json", [{"text": TEXT, "date": v} for v in values])
        published = load_corpus(path)["published"]
    in_range = published.isna() | ((published >= "1990-01-01") & (published < "2100-01-01"))
    assert in_range.all(), list(zip(values, published))


# --- 2. day/month order decided per file ---------------------------------------------------

@pytest.mark.parametrize(("values", "expected", "order"), [
    (["01/02/2025", "13/02/2025"], ["2025-02-01", "2025-02-13"], "day-first"),  # reported case
    (["13/02/2025", "01/02/2025"], ["2025-02-13", "2025-02-01"], "day-first"),
    (["01/02/2025", "02/13/2025"], ["2025-01-02", "2025-02-13"], "month-first"),
    (["01.02.2025", "31.12.2024"], ["2025-02-01", "2024-12-31"], "day-first"),
    (["01-02-25", "25-12-24"], ["2025-02-01", "2024-12-25"], "day-first"),
    (["1/2/2025", "12/31/2024"], ["2025-01-02", "2024-12-31"], "month-first"),
    (["01/02/2025 10:30", "28/02/2025"], ["2025-02-01 10:30", "2025-02-28"], "day-first"),
    (["01/02/2025 10:30 +08:00", "28/02/2025"], ["2025-02-01 02:30", "2025-02-28"], "day-first"),
    (["01/02/2025", "", "2025-03-04", "13/02/2025"],
     ["2025-02-01", None, "2025-03-04", "2025-02-13"], "day-first"),
])
def test_day_month_order_is_decided_per_column(tmp_path, values, expected, order):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an inferred order needs no warning
        articles = load_corpus(_dates_table(tmp_path, values))
    assert list(articles["published"]) == [pd.Timestamp(e) if e else pd.NaT for e in expected]
    numeric = articles["date_evidence"][[v[:2].isdigit() and v[2] in "/.-" for v in values]]
    assert numeric.str.contains(f"read {order}").all() and numeric.str.contains("inferred").all()


def test_mixed_orders_in_one_file_raise_naming_rows_and_option(tmp_path):
    path = _dates_table(tmp_path, ["01/02/2025", "02/13/2025", "13/02/2025", "05/06/2025"],
                        name="mixed.csv")
    with pytest.raises(CorpusInputError) as info:
        load_corpus(path)
    message = str(info.value)
    assert "mixed.csv" in message and "dayfirst=True" in message and "dayfirst=False" in message
    assert "row 3 (doc_id 'd2'): '13/02/2025'" in message
    assert "row 2 (doc_id 'd1'): '02/13/2025'" in message


@pytest.mark.parametrize(("dayfirst", "expected", "rejected"), [
    (True, ["2025-02-01", None, "2025-02-13", "2025-06-05"], "row 2 (doc_id 'd1'): '02/13/2025'"),
    (False, ["2025-01-02", "2025-02-13", None, "2025-05-06"], "row 3 (doc_id 'd2'): '13/02/2025'"),
])
def test_explicit_dayfirst_resolves_mixed_file_and_reports_the_rest(tmp_path, dayfirst, expected,
                                                                      rejected):
    path = _dates_table(tmp_path, ["01/02/2025", "02/13/2025", "13/02/2025", "05/06/2025"])
    with pytest.warns(UserWarning, match="1 published date\\(s\\) rejected") as info:
        articles = load_corpus(path, dayfirst=dayfirst)
    assert rejected in str(info[0].message)
    assert list(articles["published"]) == [pd.Timestamp(e) if e else pd.NaT for e in expected]
    evidence = articles["date_evidence"]
    assert evidence[articles["published"].isna()].str.startswith("rejected metadata date").all()
    assert evidence[articles["published"].notna()].str.contains(f"dayfirst={dayfirst}").all()


def test_all_ambiguous_uses_documented_default_and_says_so(tmp_path):
    path = _dates_table(tmp_path, ["01/02/2025", "03/04/2025", "05/05/2025"], name="amb.csv")
    with pytest.warns(UserWarning, match=r"amb\.csv: 2 published date\(s\).*month-first.*"
                                         r"Pass dayfirst=True"):
        articles = load_corpus(path)
    assert list(articles["published"]) == [pd.Timestamp("2025-01-02"), pd.Timestamp("2025-03-04"),
                                           pd.Timestamp("2025-05-05")]
    assert articles["date_evidence"].str.contains("month-first \\(MM/DD/YYYY\\); default").all()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # choosing the order silences the warning
        articles = load_corpus(path, dayfirst=True)
    assert articles.loc[0, "published"] == FEB_1


def test_order_is_per_file_not_per_value(tmp_path):
    day_first = _dates_table(tmp_path, ["01/02/2025", "13/02/2025"], name="uk.csv")
    month_first = _dates_table(tmp_path, ["01/02/2025", "02/13/2025"], name="us.csv")
    assert load_corpus(day_first).loc[0, "published"] == FEB_1
    assert load_corpus(month_first).loc[0, "published"] == pd.Timestamp("2025-01-02")


def test_folder_metadata_dates_are_one_column(tmp_path):
    for name in ("a", "b", "c"):
        (tmp_path / f"{name}.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "metadata.csv").write_text(
        "doc_file,published\na.txt,01/02/2025\nb.txt,13/02/2025\n", encoding="utf-8")
    articles = load_corpus(tmp_path).set_index("doc_id")
    assert articles.loc["a", "published"] == FEB_1  # decided by b.txt's row
    assert "doc_id 'b'" in articles.loc["a", "date_evidence"]
    assert pd.isna(articles.loc["c", "published"])


@pytest.mark.parametrize("bad", ["yes", "true", 1, 0, "dayfirst", 1.0])
def test_bad_dayfirst_values_raise(tmp_path, bad):
    path = _dates_table(tmp_path, ["01/02/2025"])
    for call in (load_corpus, load_corpus_audited):
        with pytest.raises(ValueError, match="dayfirst must be True.*False.*None"):
            call(path, dayfirst=bad)
    with pytest.raises(ValueError, match="dayfirst must be"):
        prepare_corpus(path, out_dir=tmp_path / "out", dayfirst=bad)
    assert not (tmp_path / "out").exists()


def test_prepare_corpus_recomputes_when_dayfirst_changes(tmp_path):
    path = _dates_table(tmp_path, ["01/02/2025", "03/04/2025"])
    out = tmp_path / "out"
    with pytest.warns(UserWarning, match="valid both day-first and month-first"):
        first = prepare_corpus(path, out_dir=out, min_chars=10)
    assert first.articles.loc[0, "published"] == pd.Timestamp("2025-01-02")
    again = prepare_corpus(path, out_dir=out, min_chars=10, dayfirst=True)
    assert not again.reused and again.articles.loc[0, "published"] == FEB_1
    assert json.loads((out / "manifest.json").read_text())["params"]["dayfirst"] is True
    assert prepare_corpus(path, out_dir=out, min_chars=10, dayfirst=True).reused


@settings(max_examples=30, deadline=None)
@given(st.lists(st.dates(min_value=pd.Timestamp("1990-01-01").date(),
                         max_value=pd.Timestamp("2099-12-31").date()), min_size=1, max_size=6),
       st.sampled_from(["/", ".", "-"]))
def test_day_first_dates_roundtrip_whenever_one_day_exceeds_12(days, separator):
    days = days + [pd.Timestamp("2025-02-13").date()]  # one value only valid day-first
    values = [d.strftime(f"%d{separator}%m{separator}%Y") for d in days]
    with tempfile.TemporaryDirectory() as folder, warnings.catch_warnings():
        warnings.simplefilter("error")
        articles = load_corpus(_dates_table(Path(folder), values))
    assert list(articles["published"]) == [pd.Timestamp(d) for d in days]


# --- 3. columns: duplicates, clashing aliases, delimiters -----------------------------------

@pytest.mark.parametrize(("header", "duplicated"), [
    (["id", "text", "text"], "['text']"),
    (["id", "text", "date", "date"], "['date']"),
    (["id", "text", "notes", "extra", "extra"], "['extra']"),
])
def test_duplicate_csv_column_names_raise(tmp_path, header, duplicated):
    path = _write_csv(tmp_path / "dup.csv", header, [["1", TEXT] + ["x"] * (len(header) - 2)])
    with pytest.raises(CorpusInputError, match="duplicate column name") as info:
        load_corpus(path)
    assert "dup.csv" in str(info.value) and duplicated in str(info.value)


@pytest.mark.parametrize(("columns", "field"), [
    (["body", "text"], "text"),
    (["Text", "content"], "text"),
    (["text", " TEXT"], "text"),
    (["published", "date"], "published"),
    (["id", "doc_id"], "doc_id"),
    (["title", "headline"], "title"),
    (["outlet", "source"], "outlet"),
])
@pytest.mark.parametrize("fmt", ["csv", "jsonl", "json", "parquet"])
def test_two_columns_for_one_field_raise_naming_both(tmp_path, columns, field, fmt):
    record = {"text" if field != "text" else "story": TEXT,
              **{c: f"value {i}" for i, c in enumerate(columns)}}
    if field == "text":
        del record["story"]  # the clashing text columns are the text
    if fmt == "csv":
        path = _write_csv(tmp_path / "clash.csv", list(record), [list(record.values())])
    elif fmt == "jsonl":
        path = _write_jsonl(tmp_path / "clash.jsonl", [record])
    elif fmt == "json":
        path = _write_json(tmp_path / "clash.json", [record])
    else:
        path = tmp_path / "clash.parquet"
        pd.DataFrame([record]).to_parquet(path)
    with pytest.raises(CorpusInputError) as info:
        load_corpus(path)
    message = str(info.value)
    assert path.name in message and f"{[c for c in columns]} all map to '{field}'" in message
    assert "rename" in message


def test_metadata_with_two_date_columns_raises(tmp_path):
    (tmp_path / "a.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "metadata.csv").write_text("doc_file,date,published\na.txt,2025-01-01,2025-02-01\n",
                                           encoding="utf-8")
    with pytest.raises(CorpusInputError, match=r"metadata\.csv: several columns.*'date'"):
        load_corpus(tmp_path)


@pytest.mark.parametrize(("data", "key"), [
    ('[{"text": "a", "text": "b"}]', "text"),
    ('[{"text": "a", "source": {"name": "X", "name": "Y"}}]', "name"),
])
def test_json_key_given_twice_raises(tmp_path, data, key):
    (tmp_path / "k.json").write_text(data, encoding="utf-8")
    with pytest.raises(CorpusInputError, match=f"k.json: an object has the key '{key}' twice"):
        load_corpus(tmp_path / "k.json")


def test_nested_and_dotted_field_clash_raises(tmp_path):
    record = {"text": TEXT, "source": {"name": "Nested Wire"}, "source.name": "Dotted Wire"}
    path = _write_json(tmp_path / "n.json", [{"text": TEXT}, record])
    with pytest.raises(CorpusInputError, match="n.json: article 2 gives the field 'source.name' twice"):
        load_corpus(path)
    path = _write_jsonl(tmp_path / "n.jsonl", [{"id": "ok", "text": TEXT}, record])
    articles, _, problems = load_corpus_audited(path, on_bad_lines="skip")
    assert list(articles["doc_id"]) == ["ok"]
    assert "line 2: the field 'source.name' is given twice" in problems.loc[0, "detail"]


def test_jsonl_key_given_twice_is_a_bad_line(tmp_path):
    path = tmp_path / "k.jsonl"
    path.write_text(json.dumps({"id": "ok", "text": TEXT}) + "\n"
                    + '{"id": "two", "text": "a", "text": "b"}\n', encoding="utf-8")
    with pytest.raises(CorpusInputError, match="line 2: the key 'text' appears twice"):
        load_corpus(path)
    articles, _, problems = load_corpus_audited(path, on_bad_lines="skip")
    assert list(articles["doc_id"]) == ["ok"]
    assert list(zip(problems["doc_id"], problems["reason"])) == [("k:line2", "bad_json_line")]


ROWS = [["a1", TEXT, "Star, Kuala Lumpur", "2025-01-02"],
        ["a2", TEXT.replace("Johor", "Penang; Kedah"), "Times | Tokyo", "2025-01-31"]]


@pytest.mark.parametrize(("delimiter", "name"), [(";", "semicolon"), ("\t", "tab"),
                                                 ("|", "pipe")])
def test_other_delimiters_are_detected_and_noted(tmp_path, delimiter, name):
    rows = [[f"{r[0]}_{i}"] + r[1:] for i, r in enumerate(ROWS * 15)]
    path = _write_csv(tmp_path / "d.csv", ["id", "text", "outlet", "date"], rows, delimiter)
    with pytest.warns(UserWarning, match=f"d.csv: this file is {name}-delimited"):
        articles = load_corpus(path)
    assert len(articles) == 30 and articles.loc[0, "text"] == TEXT
    assert list(articles["outlet"][:2]) == ["Star, Kuala Lumpur", "Times | Tokyo"]
    assert articles.loc[1, "published"] == pd.Timestamp("2025-01-31")


def test_utf16_tab_export_is_read(tmp_path):
    lines = ["id\ttext\tdate"] + [f"x{i}\t{TEXT}\t2025-01-0{i + 1}" for i in range(3)]
    (tmp_path / "excel.csv").write_bytes("\r\n".join(lines).encode("utf-16"))
    with pytest.warns(UserWarning, match="tab-delimited"):
        articles = load_corpus(tmp_path / "excel.csv")
    assert list(articles["doc_id"]) == ["x0", "x1", "x2"]


@pytest.mark.parametrize(("header", "rows"), [
    (["text"], [[TEXT], ["Semicolons; inside; one column"]]),  # one column: no delimiter to find
    (["id", "text"], [["1", "a; b; c; d"], ["2", "e; f; g; h"]]),  # semicolons only in cells
    (["id", "text"], [["1", "a\tb\tc"], ["2", "pipes | too"]]),
])
def test_comma_files_stay_comma(tmp_path, header, rows):
    path = _write_csv(tmp_path / "c.csv", header, rows)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        articles = load_corpus(path, clean=False)  # compare the cells as read
    assert list(articles["text"]) == [r[-1] for r in rows]


def test_malformed_semicolon_rows_are_reported_as_such(tmp_path):
    path = tmp_path / "semi.csv"
    text = TEXT.replace(";", ",")
    path.write_text(f"id;text\n1;{text}\n2;a;b\n3;{text}\n", encoding="utf-8")
    with pytest.warns(UserWarning, match="semicolon"), \
            pytest.raises(CorpusInputError, match="line 3: 3 fields, header has 2 "
                                                  "\\(read as semicolon-delimited\\)"):
        load_corpus(path)


def test_malformed_metadata_rows_raise(tmp_path):
    (tmp_path / "a.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "metadata.csv").write_text("doc_file,outlet\na.txt,X,extra\n", encoding="utf-8")
    with pytest.raises(CorpusInputError, match=r"metadata\.csv: 1 malformed row.*line 2"):
        load_corpus(tmp_path)


# --- 4. loading never modifies its input ---------------------------------------------------

def _snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*"))}  # a new file or folder also shows up here


cells = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
HOSTILE = st.one_of(cells, st.sampled_from(["", "01/02/2025", "13/02/2025", "1738368000", "0",
                                            "\ufeff", "\x00", '"', ";", "\t", "\r\n", "é"]))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(st.one_of(st.binary(max_size=200), cells.map(str.encode)),
                      min_size=1, max_size=4),
       table=st.lists(st.lists(HOSTILE, min_size=3, max_size=3), min_size=1, max_size=5),
       delimiter=st.sampled_from([",", ";", "\t"]),
       extra=st.dictionaries(st.sampled_from(["date", "title", "url", "x"]), HOSTILE, max_size=3))
def test_loading_never_modifies_the_input_files(texts, table, delimiter, extra):
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        folder = Path(tmp) / "corpus"
        folder.mkdir()
        for i, data in enumerate(texts):
            (folder / f"doc{i}.txt").write_bytes(data)
        (folder / "metadata.csv").write_text(
            "doc_file,published\n" + "".join(f"doc{i}.txt,{row[2]!r}\n"
                                             for i, row in enumerate(table[:len(texts)])),
            encoding="utf-8")
        _write_csv(folder / "table.csv", ["id", "text", "date"], table, delimiter)
        _write_jsonl(folder / "table.jsonl", [{"text": row[1], **extra} for row in table])
        before = _snapshot(folder)
        for target in (folder, folder / "table.csv", folder / "table.jsonl"):
            for on_bad_lines in ("error", "skip"):
                for dayfirst in (None, True):
                    try:
                        load_corpus(target, on_bad_lines=on_bad_lines, dayfirst=dayfirst)
                    except ValueError:  # refusing hostile input is fine; changing it is not
                        pass
        assert _snapshot(folder) == before


def test_a_binary_file_in_a_folder_is_listed_not_fatal_when_skipping(tmp_path):
    from analysis.corpus.prepare import load_corpus_audited

    (tmp_path / "good.txt").write_text("China and Japan signed an agreement on artificial intelligence. " * 5,
                                       encoding="utf-8")
    (tmp_path / "photo.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    with pytest.raises(ValueError, match="photo.txt"):
        load_corpus_audited(tmp_path)
    articles, _, problems = load_corpus_audited(tmp_path, on_bad_lines="skip")
    assert list(articles["doc_id"]) == ["good"]
    row = problems.set_index("doc_id").loc["photo"]
    assert row["reason"] == "unreadable_file" and "PNG" in row["detail"]
