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


def test_readme_findings_on_real_ai_news_come_from_the_report_tables():
    """Every decimal the README's real-corpus section quotes is in a table of reports/ai_news (or the validity)."""
    from analysis.paths import PROJECT_ROOT, RESOURCES_DIR

    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("## What the study found on real AI news")
    section = readme[start:readme.index("## Validity on the study's own question")]
    section = section.replace("−", "-")
    known: set[str] = set()
    sources = sorted(TABLES.glob("*.csv")) + sorted((AI_NEWS_REPORT / "figures").glob("*.csv"))
    sources.append(RESOURCES_DIR / "validity" / "indomain.csv")
    for path in sources:
        for cell in pd.read_csv(path, dtype=str, keep_default_na=False).to_numpy().ravel():
            for number in re.findall(r"-?\d+\.\d+(?:e-?\d+)?", str(cell)):
                value = float(number)
                for digits in (2, 3, 4):
                    known.add(f"{value:.{digits}f}")
                    known.add(f"{abs(value):.{digits}f}")
    quoted = re.findall(r"(?<![\d.])\d\.\d{2,4}(?!\d)", section)
    assert len(quoted) >= 30
    stale = sorted(set(quoted) - known)
    assert not stale, f"README quotes {stale}, which no table of reports/ai_news holds; rerun make ai-news"
    counts = {"199 kept": "documents kept,199", "158 articles dated": "kept documents with a date,158",
              "83 outlet names": "distinct outlets stated,83"}
    overview = (TABLES / "corpus_overview.csv").read_text(encoding="utf-8")
    for phrase, row in counts.items():
        assert phrase in section and row in overview, phrase
    notebook = (AI_NEWS_REPORT / "notebooks" / "04_sentiment.ipynb").read_text(encoding="utf-8")
    assert "898 of the 1,053 direct mentions" in section and "898 of 1053 mentions" in notebook
