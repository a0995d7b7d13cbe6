"""The real-corpus study (``make ai-news``, committed under reports/ai_news/): short quotes, no full texts.

The committed report is checked as is (CI has no ../shared); the checks that need the corpus itself (the
builder, and the audit that no run of 31 words of any article appears in any file of the report) skip with a
message where ../shared/datasets/ai_news_portrayal_dev is absent.
"""

from __future__ import annotations

import json
import re

import nbformat
import pandas as pd
import pytest

from analysis.study.ai_news import AI_NEWS_REPORT, audit_quotes, build_ai_news_corpus
from analysis.study.report import QUOTE_WORDS

PASSAGE_COLUMNS = ("passage", "text", "sentence", "context", "removed_text")
TABLES = AI_NEWS_REPORT / "tables"


def _words(text: str) -> int:
    return len([w for w in str(text).split() if w != "\u2026"])


def test_the_report_is_committed_with_every_notebook():
    for stem in ("01_corpus", "02_countries", "03_topics", "04_sentiment", "05_framing", "06_synthesis"):
        assert (AI_NEWS_REPORT / f"{stem}.html").is_file(), f"{stem}.html missing: run `make ai-news` and commit"
        assert (AI_NEWS_REPORT / "notebooks" / f"{stem}.ipynb").is_file()
    assert (AI_NEWS_REPORT / "index.html").is_file()


@pytest.mark.parametrize("table", sorted(p.name for p in TABLES.glob("*.csv")) or ["<none>"])
def test_every_passage_in_a_table_is_short_and_attributed(table):
    frame = pd.read_csv(TABLES / table, dtype=str, keep_default_na=False)
    for col in set(PASSAGE_COLUMNS) & set(frame.columns):
        longest = frame[col].map(_words).max() if len(frame) else 0
        assert longest <= QUOTE_WORDS, f"{table}: column {col} quotes {longest} words"
        if "doc_id" in frame.columns and len(frame):
            assert {"outlet", "url"} <= set(frame.columns), f"{table}: passages without outlet and link"
            assert (frame["url"].str.startswith("http")).all(), f"{table}: a passage without its link"


def test_portrait_quotes_are_short_and_name_outlet_and_link():
    portraits = pd.read_csv(TABLES / "synthesis_portraits.csv", dtype=str).set_index("aspect")
    for aspect in ("most negative mention", "most positive mention"):
        for cell in portraits.loc[aspect]:
            quote = re.fullmatch(r"\u201c(.*)\u201d \((.+), (https?://\S+)\)", cell)
            assert quote, cell
            assert _words(quote.group(1)) <= QUOTE_WORDS


def test_executed_notebooks_declare_the_default_quote_limit():
    for book in sorted((AI_NEWS_REPORT / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(book, as_version=4)
        injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
        assert injected and "quote_words" not in injected[0].source, book.name  # the default, 30, was used
        assert "/work/" not in json.dumps(nb) and "/home/" not in json.dumps(nb)  # no machine paths


def test_audit_finds_a_31_word_run_in_any_kind_of_file(tmp_path):
    article = " ".join(f"word{i}" for i in range(100))
    run = " ".join(f"word{i}" for i in range(10, 10 + QUOTE_WORDS + 1))
    short = " ".join(f"word{i}" for i in range(50, 50 + QUOTE_WORDS))
    (tmp_path / "ok.csv").write_text(f'a,b\n"{short}",x\n')
    (tmp_path / "t.html").write_text(f"<td>{run.replace(' ', ' <b></b>', 3)}</td>")
    (tmp_path / "n.ipynb").write_text(json.dumps({"cells": [{"source": [run[:40], run[40:]]}]}))
    (tmp_path / "q.csv").write_text('quote\n"' + run + '"\n')
    found = audit_quotes(tmp_path, [article])
    assert sorted(found["file"]) == ["n.ipynb", "q.csv", "t.html"]
    assert audit_quotes(tmp_path, ["unrelated text"]).empty


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from analysis.paths import DatasetMissingError, dataset_path

    try:
        dataset_path("ai_news_portrayal_dev")
    except DatasetMissingError as exc:
        pytest.skip(str(exc))
    path = tmp_path_factory.mktemp("ai_news") / "articles.csv"
    return build_ai_news_corpus(path)


@pytest.mark.shared_data
def test_the_corpus_build_accounts_for_every_row(built):
    articles = pd.read_csv(built.path, dtype=str, keep_default_na=False)
    assert built.rows_read == {"deepseek_news_2025.csv": 114, "asia_ai_news_dev.csv": 86}
    assert built.written + built.heldout + built.duplicates + built.empty == 200
    assert built.written == len(articles) and articles["doc_id"].is_unique
    assert articles["doc_id"].tolist() == sorted(articles["doc_id"])
    assert set(articles["collection"]) == {"deepseek_full_text", "asia_leads"}


@pytest.mark.shared_data
def test_no_file_of_the_committed_report_quotes_more_than_30_words_of_an_article(built):
    articles = pd.read_csv(built.path, dtype=str, keep_default_na=False)
    found = audit_quotes(AI_NEWS_REPORT, articles["text"], max_words=QUOTE_WORDS)
    assert found.empty, found.to_string()


def _readme_section() -> str:
    from analysis.paths import PROJECT_ROOT

    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## What the study found on real AI news"):
                     readme.index("## Validity on the study's own question")]
    return " ".join(section.replace("\u2212", "-").split())


def _table(name: str) -> pd.DataFrame:
    return pd.read_csv(TABLES / f"{name}.csv", dtype=str, keep_default_na=False)


def test_readme_findings_on_real_ai_news_come_from_the_report_tables():
    """Each figure of the README's real-corpus section is looked up in the table it comes from."""
    section = _readme_section()
    portraits = _table("synthesis_portraits").set_index("aspect")
    expected = []
    for country in ("China", "Japan", "Malaysia"):
        expected.append(f"{country} is mentioned in {portraits.loc['share of articles mentioning', country]}"
                        if country == "China" else f"{country} in {portraits.loc['share of articles mentioning', country]}")
        expected.append(f"{country} {portraits.loc['sentiment toward it (mean, -1..1)', country]}")
    frames = portraits.loc["dominant frames (share of passages)"]
    for cell in frames:  # "security_export 0.24 [0.19, 0.29]; tech_race 0.23 [0.19, 0.27]"
        for part in cell.split("; ")[:1]:
            expected.append(part.split(" ", 1)[1])
    expected.append(frames["China"].split("; ")[1].split(" ", 1)[1])
    changes = _table("synthesis_corrections").set_index("pair")
    for pair, row in changes.iterrows():
        expected.append(f"{float(row['difference']):+.2f} {row['interval']}")
        expected.append(f"Holm p {row['p_holm']}")
    assert (changes["naive_p"].astype(float) < 0.05).all() and "all three country pairs below p = 0.05" in section
    assert (changes["below_05_holm"] == "True").sum() == 1 and "one pair stays below 0.05: Japan - Malaysia" in section
    groups = _table("sentiment_outlet_group_tests")
    assert (groups["p_holm"].astype(float) == 1.0).all() and "every Holm p is 1.00" in section
    assert (groups["ci_low"] != "").sum() == 1 and "all but one comparison have too few outlets" in section
    frame_row = _table("synthesis_differences").set_index("comparison").loc["dominant frame by country"]
    v = re.fullmatch(r"V=(\d\.\d\d) \[\+(\d\.\d\d), \+(\d\.\d\d)\]", frame_row["value"])
    expected += [f"Cramér's V {v.group(1)} [{v.group(2)}, {v.group(3)}]",
                 f"permutation p by article {float(frame_row['p_value']):.4f}", f"Holm {float(frame_row['p_holm']):.4f}"]
    design = _table("synthesis_corpus_design").set_index("outlet_group")
    expected.append(f"({design.loc['Western', 'collection: deepseek_full_text']} of {design.loc['Western', 'articles']} "
                    "articles)")
    expected.append(f"({design.loc['total', 'outlets']} outlets once the registry merges")
    overview = _table("corpus_overview").set_index("measure")["value"]
    expected += [f"{overview['documents kept']} kept", f"{overview['distinct outlets stated']} outlet names",
                 f"{overview['kept documents with a date']} articles dated"]
    senti = _table("sentiment_by_country")
    for country, n in senti[senti["measure"] == "mean_score"][["country", "n"]].itertuples(index=False):
        expected.append(f"({n} articles)" if country == "CHN" else f"({n})")
    insample = _table("validity_in_sample").set_index(["measure", "country"])
    expected += [f"On the {insample.loc[('macro_f1_in_sample', 'all'), 'n']} that match",
                 f"macro-F1 {insample.loc[('macro_f1_in_sample', 'all'), 'value']}",
                 f"against {insample.loc[('macro_f1_cv_site', 'all'), 'value']} cross-validated"]
    names = {"CHN": "China", "JPN": "Japan", "MYS": "Malaysia"}
    coders = ", ".join(f"{names[c]} {insample.loc[('mean_code_coders', c), 'value']}" for c in names)
    instrument = ", ".join(f"{names[c]} {insample.loc[('mean_score_instrument', c), 'value']}" for c in names)
    expected += [f"codes: {coders}", f"instrument {instrument}"]
    unseen = _table("sentiment_country_tests_unseen").set_index(["country_a", "country_b"])
    left = [unseen.loc[("CHN", "JPN"), "n_a"], unseen.loc[("CHN", "JPN"), "n_b"], unseen.loc[("CHN", "MYS"), "n_b"]]
    expected.append(f"Without the overlapping mentions {left[0]}, {left[1]} and {left[2]} articles are left")
    missing = [phrase for phrase in expected if phrase not in section]
    assert not missing, f"README's real-corpus section does not say {missing}; rerun make ai-news and update it"
    notebook = nbformat.read(AI_NEWS_REPORT / "notebooks" / "04_sentiment.ipynb", as_version=4)
    note = next(o["text"] for c in notebook.cells if c.cell_type == "code" and "mark_coded" in c.source
                for o in c.outputs if o.get("output_type") == "stream")
    n, k = re.match(r"(\d+) of (\d+) mentions", note).groups()
    assert f"{n} of the {int(k):,} direct mentions" in section


def _article(n=120, curly=False):
    words = [f"w{i}" for i in range(n)]
    words[40] = "China\u2019s" if curly else "China's"
    return " ".join(words)


def _run(a, b, article):
    return " ".join(article.split()[a:b])


def test_audit_sees_through_curly_quotes_and_case(tmp_path):
    article = _article(curly=True)
    quote = _run(30, 65, _article(curly=False)).upper()  # straight quote mark, other case
    (tmp_path / "t.csv").write_text(f'passage\n"{quote}"\n', encoding="utf-8")
    assert audit_quotes(tmp_path, [article])["words"].tolist() == [35]


def test_audit_reads_a_csv_cell_that_holds_a_line_break(tmp_path):
    article = _article()
    cell = _run(0, 20, article) + "\n" + _run(20, 40, article)
    (tmp_path / "t.csv").write_text(f'passage,other\n"{cell}",x\n', encoding="utf-8")
    assert audit_quotes(tmp_path, [article])["words"].tolist() == [40]


@pytest.mark.parametrize("second, joined", [((20, 45), 45), ((26, 50), None), ((10, 25), None)])
def test_audit_joins_short_quotes_of_one_article_across_cells(tmp_path, second, joined):
    """A sentence in one column and its continuation in another are one passage; a gap of words separates."""
    article = _article()
    (tmp_path / "t.csv").write_text(f'a,b\n"{_run(0, 20, article)}","{_run(*second, article)}"\n', encoding="utf-8")
    found = audit_quotes(tmp_path, [article])
    assert found["words"].tolist() == ([joined] if joined else [])


def _shared(tmp_path, monkeypatch, deepseek_rows, asia_rows, heldout=()):
    from analysis.annotation.sources import url_sha256

    folder = tmp_path / "shared" / "datasets" / "ai_news_portrayal_dev"
    folder.mkdir(parents=True)
    header = "title,outlet,published,url,text"
    (folder / "deepseek_news_2025.csv").write_text("\n".join([header] + deepseek_rows) + "\n", encoding="utf-8")
    (folder / "asia_ai_news_dev.csv").write_text("\n".join([header + ",partial"] + asia_rows) + "\n",
                                                 encoding="utf-8")
    annotation = tmp_path / "shared" / "annotation"
    annotation.mkdir()
    (annotation / "heldout_url_sha256.txt").write_text("".join(url_sha256(u) + "\n" for u in heldout))
    monkeypatch.setenv("ANALYSIS_SHARED_DATASETS", str(tmp_path / "shared" / "datasets"))
    return folder


def test_the_build_counts_what_it_leaves_out_and_writes_the_rest(tmp_path, monkeypatch):
    _shared(tmp_path, monkeypatch,
            ["A,BBC,2025-01-27,https://www.bbc.com/a,China's DeepSeek.", "B,BBC,2025-01-28,https://bbc.com/a/,Copy.",
             "C,CNN,2025-01-29,https://cnn.com/held,Held out."],
            ["D,The Star,,https://thestar.com.my/d,,true", "E,NST,2024-05-01,https://nst.com.my/e,Malaysia.,true"],
            heldout=["https://cnn.com/held"])
    build = build_ai_news_corpus(tmp_path / "out" / "articles.csv")
    assert (build.heldout, build.duplicates, build.empty, build.written) == (1, 1, 1, 2)
    assert build.rows_read == {"deepseek_news_2025.csv": 3, "asia_ai_news_dev.csv": 2}
    articles = pd.read_csv(build.path, dtype=str, keep_default_na=False)
    assert articles["doc_id"].tolist() == ["bbc.com/a", "nst.com.my/e"]  # first copy of a page wins, sorted
    assert articles["collection"].tolist() == ["deepseek_full_text", "asia_leads"]


def test_a_file_without_a_column_is_named_and_nothing_is_written(tmp_path, monkeypatch):
    folder = _shared(tmp_path, monkeypatch, ["A,BBC,2025-01-27,https://bbc.com/a,Text."],
                     ["D,The Star,,https://thestar.com.my/d,Text.,true"])
    table = pd.read_csv(folder / "asia_ai_news_dev.csv").drop(columns=["url"])
    table.to_csv(folder / "asia_ai_news_dev.csv", index=False)
    out = tmp_path / "out" / "articles.csv"
    with pytest.raises(ValueError, match=r"asia_ai_news_dev\.csv: column\(s\) \['url'\] missing"):
        build_ai_news_corpus(out)
    assert not out.exists()


def test_a_row_without_a_url_is_named_by_file_and_line(tmp_path, monkeypatch):
    _shared(tmp_path, monkeypatch, ["A,BBC,2025-01-27,https://bbc.com/a,Text.", "B,BBC,2025-01-28,,Text."], [])
    out = tmp_path / "out" / "articles.csv"
    with pytest.raises(ValueError, match=r"deepseek_news_2025\.csv line 3: not a URL.*nothing was written"):
        build_ai_news_corpus(out)
    assert not out.exists()
