"""Hostile command-line and API arguments: output folders, country codes, target spans, file modes.

Each row is an input a new user tried; each must give a clear error naming the argument and what
to do, or the right result, and must not lose or overwrite anything.
"""

from __future__ import annotations

import os
import stat

import numpy as np
import pandas as pd
import pytest

from analysis.sentiment import measure as sm
from analysis.countries.measure import detect_mentions
from analysis.paths import RAW_DIR, SEED_CORPUS_DIR
from analysis.io import atomic_write_bytes
from analysis.study.report import publish_table
from analysis.study.runner import REPORT_MARKER, RunConfig, check_countries, check_output_folder, main, run_study


# ------------------------------------------------------------------ output folders
@pytest.mark.parametrize("out, corpus, message", [
    (SEED_CORPUS_DIR / "report", None, "inside the corpus folder"),
    (SEED_CORPUS_DIR, None, "inside the corpus folder"),
    (RAW_DIR / "elsewhere", "CORPUS", "inside"),
    ("CORPUS/sub/report", "CORPUS", "inside the corpus folder"),
])
def test_output_inside_a_corpus_or_raw_data_is_refused(tmp_path, out, corpus, message):
    corpus_dir = tmp_path / "corpus"
    corpus_dir.mkdir()
    (corpus_dir / "a.txt").write_text("China and Japan signed an AI deal.", encoding="utf-8")
    resolve = (lambda p: str(p).replace("CORPUS", str(corpus_dir)) if isinstance(p, str) else p)
    before = sorted(p.name for p in SEED_CORPUS_DIR.iterdir())
    with pytest.raises(ValueError, match=message):
        check_output_folder(resolve(out), resolve(corpus))
    assert sorted(p.name for p in SEED_CORPUS_DIR.iterdir()) == before


def test_output_that_is_a_file_is_refused_with_a_message(tmp_path):
    target = tmp_path / "report.html"
    target.write_text("mine")
    with pytest.raises(ValueError, match="is a file, not a folder"):
        check_output_folder(target, None)
    assert target.read_text() == "mine"


def test_a_users_own_folder_is_refused_unless_overwrite(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "index.html").write_text("my own page")
    with pytest.raises(ValueError, match="--overwrite"):
        check_output_folder(out, None)
    assert check_output_folder(out, None, overwrite=True) == out.resolve()
    assert (out / "index.html").read_text() == "my own page"


@pytest.mark.parametrize("setup", ["missing", "empty", "previous_report"])
def test_new_empty_or_previous_report_folders_are_accepted(tmp_path, setup):
    out = tmp_path / "out"
    if setup != "missing":
        out.mkdir()
    if setup == "previous_report":
        (out / REPORT_MARKER).write_text("{}")
        (out / "01_corpus.html").write_text("old")
    assert check_output_folder(out, None) == out.resolve()


def test_cli_reports_a_refused_folder_without_a_traceback(tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    assert main(["run", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error:") and "--overwrite" in err and "Traceback" not in err
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


def test_run_study_writes_the_report_marker(tmp_path):
    import nbformat

    books = tmp_path / "nb"
    books.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell("# A"),
                nbformat.v4.new_code_cell("seed = 42\nreport_dir = None", metadata={"tags": ["parameters"]})]
    nbformat.write(nb, books / "01_x.ipynb")
    out = tmp_path / "out"
    run_study(RunConfig(out=out, notebooks_dir=books), log=lambda *a, **k: None)
    assert (out / REPORT_MARKER).is_file()
    check_output_folder(out, None)  # a rerun into it is allowed


# ------------------------------------------------------------------ country codes
@pytest.mark.parametrize("codes, message", [
    (["CHN", "XXX"], r"unknown country code\(s\) \['XXX'\]"),
    (["chn", "Jpn", "ZZZ"], "ZZZ"),
    ([" ", ""], "empty"),
])
def test_unknown_country_codes_are_refused(codes, message):
    with pytest.raises(ValueError, match=message):
        check_countries(codes)


def test_country_codes_are_normalised_and_deduplicated():
    assert check_countries(["chn", " JPN", "CHN", "mys"]) == ["CHN", "JPN", "MYS"]
    assert check_countries(None) is None


def test_cli_refuses_a_typo_in_countries_before_running(tmp_path, capsys):
    assert main(["run", "--out", str(tmp_path / "o"), "--countries", "CHN,XXX"]) == 1
    assert "XXX" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


# ------------------------------------------------------------------ target spans
@pytest.mark.parametrize("sentence, span, message", [
    ("China grew. Japan too.", (5, 6), "no letter or digit"),          # a single space
    ("China grew. Japan too.", (10, 11), "no letter or digit"),        # a full stop
    ("China grew.", (0.0, 5.0), "whole-number"),                       # floats are not truncated
    ("China grew.", (0.9, 5), "whole-number"),
    ("China grew.", "05", "not a \\(start, end\\) pair"),              # a string is not a span
    ("China grew.", ("0", "5"), "whole-number"),
    ("China grew.", (True, 5), "whole-number"),
    ("China grew.", (0, 50), "outside the sentence"),
    ("China grew.", (3, 3), "outside the sentence"),
    ("China grew.", (0, 1, 2), "not a \\(start, end\\) pair"),
])
def test_meaningless_spans_are_refused_naming_the_row(sentence, span, message):
    with pytest.raises(ValueError, match=message):
        sm.validate_targets(["Japan is fine.", sentence], [(0, 5), span])
    with pytest.raises(ValueError, match="Row 1"):
        sm.validate_targets(["Japan is fine.", sentence], [(0, 5), span])


def test_numpy_integer_spans_are_accepted():
    _, spans = sm.validate_targets(["China grew."], [(np.int64(0), np.int32(5))])
    assert spans == [(0, 5)] and all(type(v) is int for v in spans[0])


# ------------------------------------------------------------------ country names in other scripts
@pytest.mark.parametrize("text, expected", [
    ("中国的人工智能发展迅速。", [("CHN", "中国")]),
    ("日本とマレーシアはAIで協力する。", [("JPN", "日本"), ("MYS", "マレーシア")]),
    ("马来西亚的数据中心", [("MYS", "马来西亚")]),
    ("Kerajaan Cina dan Jepun menandatangani perjanjian.", [("CHN", "Cina"), ("JPN", "Jepun")]),
    ("Pemerintah Tiongkok dan Jepang", [("CHN", "Tiongkok"), ("JPN", "Jepang")]),
    ("The Cinarama festival", []),  # a word boundary still applies to Latin-script aliases
])
def test_country_names_in_chinese_japanese_and_malay_are_found(text, expected):
    sentences = pd.DataFrame({"doc_id": ["d"], "para_id": [0], "sent_id": [0], "text": [text]})
    found = detect_mentions(sentences)
    assert list(zip(found["country"], found["alias"])) == expected
    for row in found.itertuples():
        assert text[row.start:row.end] == row.alias


# ------------------------------------------------------------------ file modes
def test_reports_are_written_readable_by_others_under_the_usual_umask(tmp_path):
    old = os.umask(0o022)
    try:
        atomic_write_bytes(tmp_path / "page.html", b"<html></html>")
        table = publish_table(pd.DataFrame({"a": [1]}), "t", out_dir=tmp_path)
    finally:
        os.umask(old)
    for path in (tmp_path / "page.html", table):
        assert stat.S_IMODE(path.stat().st_mode) == 0o644


# ------------------------------------------------------------------ interrupted runs
@pytest.mark.parametrize("fail_at", [1, 3, 5])
def test_a_rerun_after_an_interrupt_gives_the_same_tables(tmp_path, monkeypatch, fail_at):
    """Ctrl-C while the processed tables are written: the next run rebuilds them, equal to a clean run."""
    from analysis.corpus import prepare as corpus

    clean = corpus.prepare_corpus(SEED_CORPUS_DIR, out_dir=tmp_path / "clean")
    real, calls = corpus.atomic_write_frame, []

    def interrupted(frame, target):
        calls.append(target.name)
        if len(calls) == fail_at:
            raise KeyboardInterrupt
        real(frame, target)

    monkeypatch.setattr(corpus, "atomic_write_frame", interrupted)
    with pytest.raises(KeyboardInterrupt):
        corpus.prepare_corpus(SEED_CORPUS_DIR, out_dir=tmp_path / "run")
    monkeypatch.setattr(corpus, "atomic_write_frame", real)
    assert not (tmp_path / "run" / "manifest.json").exists()  # a half-written run is never taken as done
    again = corpus.prepare_corpus(SEED_CORPUS_DIR, out_dir=tmp_path / "run")
    assert not again.reused
    for name in ("articles", "paragraphs", "sentences", "exclusions", "cleaning_log"):
        pd.testing.assert_frame_equal(getattr(again, name), getattr(clean, name))
    assert not [p for p in (tmp_path / "run").iterdir() if ".tmp" in p.name]


# ------------------------------------------------------------------ date order from the command line
@pytest.mark.parametrize("flag, expected", [("auto", None), ("day-first", True), ("month-first", False)])
def test_date_order_flag_reaches_every_notebook_that_loads_the_corpus(monkeypatch, tmp_path, flag, expected):
    import json as _json

    from analysis.study import runner as runner
    from analysis.paths import NOTEBOOKS_DIR

    seen = {}
    monkeypatch.setattr(runner, "run_study", lambda config, **kw: seen.setdefault("config", config) and [])
    assert main(["run", "--out", str(tmp_path / "o"), "--date-order", flag]) == 0
    config = seen["config"]
    assert config.dayfirst is expected
    assert ("dayfirst" in config.parameters()) == (expected is not None)
    for book in sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb")):
        cells = _json.loads(book.read_text(encoding="utf-8"))["cells"]
        params = next("".join(c["source"]) for c in cells if "parameters" in c["metadata"].get("tags", []))
        code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        assert "dayfirst = None" in params, book.name
        assert code.count("prepare_corpus(") + code.count("load_prepared(") == code.count("dayfirst=dayfirst"), book.name


# ------------------------------------------------------------------ comparing a rerun with the committed report
def test_compare_reports_flags_changed_extra_and_missing_files(tmp_path):
    from analysis.study.report import compare_reports

    ref, new = tmp_path / "ref", tmp_path / "new"
    for folder in (ref, new):
        (folder / "tables").mkdir(parents=True)
        (folder / "tables" / "same.csv").write_text("a\n1\n")
    (ref / "tables" / "changed.csv").write_text("a\n1\n")
    (new / "tables" / "changed.csv").write_text("a\n1.0000001\n")
    (ref / "tables" / "dropped.csv").write_text("a\n")
    (new / "tables" / "extra.csv").write_text("a\n")
    got = dict(compare_reports(new, ref).itertuples(index=False))
    assert got == {"tables/same.csv": "same", "tables/changed.csv": "differs",
                   "tables/dropped.csv": "missing in candidate", "tables/extra.csv": "missing in reference"}
    assert "tables/dropped.csv" not in set(compare_reports(new, ref, partial=True)["file"])
    with pytest.raises(ValueError, match="no files"):
        compare_reports(tmp_path / "empty", ref)


def test_compare_command_exits_non_zero_on_a_difference(tmp_path, capsys):
    (tmp_path / "ref" / "tables").mkdir(parents=True)
    (tmp_path / "new" / "tables").mkdir(parents=True)
    (tmp_path / "ref" / "tables" / "t.csv").write_text("x\n1\n")
    (tmp_path / "new" / "tables" / "t.csv").write_text("x\n2\n")
    assert main(["compare", str(tmp_path / "new"), "--against", str(tmp_path / "ref")]) == 1
    assert "differs: tables/t.csv" in capsys.readouterr().out
    (tmp_path / "new" / "tables" / "t.csv").write_text("x\n1\n")
    assert main(["compare", str(tmp_path / "new"), "--against", str(tmp_path / "ref")]) == 0
