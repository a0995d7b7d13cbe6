"""Numbers quoted in prose (README, notebook markdown) must be the numbers in the tables they describe."""

from __future__ import annotations

import re

import nbformat
import pandas as pd
import pytest

from analysis.paths import NOTEBOOKS_DIR, PROJECT_ROOT, REPORTS_DIR, RESOURCES_DIR

VALIDITY = RESOURCES_DIR / "validity"
THREE = re.compile(r"(?<![\d.])-?\d\.\d{3}(?!\d)")
TWO = re.compile(r"(?<![\d.\[])(?:−|-)?\d\.\d{2}(?!\d)")


def _values(frames, digits: int) -> set[str]:
    out = set()
    for table in frames:
        for value in table.select_dtypes("number").to_numpy().ravel():
            if pd.notna(value):
                out.add(f"{value:.{digits}f}")
                out.add(f"{round(value, digits):.{digits}f}")
    return out


def _validity_values() -> set[str]:
    tables = [pd.read_csv(VALIDITY / name) for name in ("indomain.csv", "indomain_sentiment.csv",
                                                        "indomain_frames.csv", "agreement_r2.csv",
                                                        "indomain_test_sentiment.csv", "indomain_test_frames.csv",
                                                        "agreement_r3.csv")]
    tables.append(pd.read_csv(RESOURCES_DIR / "sentiment" / "validation_metrics.csv"))
    return _values(tables, 3) | {"0.831", "0.700", "0.600"}  # published NewsSentiment figure; stated targets


def _section(text: str, start: str, end: str) -> str:
    return text[text.index(start):text.index(end)]


def test_readme_indomain_figures_come_from_the_validity_tables():
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = _section(readme, "## Validity on the study's own question", "## Validity on public data")
    quoted = THREE.findall(section)
    assert len(quoted) >= 20
    stale = sorted(set(quoted) - _validity_values())
    assert not stale, f"README quotes {stale}, which no validity table holds; rerun bench/indomain_validity.py"


@pytest.mark.parametrize("notebook, opening", [
    ("04_sentiment", "**Reading the table.**"),
    ("04_sentiment", "VADER reaches macro-F1"),
    ("05_framing", "**Reading the table.**"),
    ("04_sentiment", "**Reading the clean test.**"),
    ("05_framing", "**Reading the clean test.**"),
])
def test_notebook_prose_quotes_the_tables(notebook, opening):
    nb = nbformat.read(NOTEBOOKS_DIR / f"{notebook}.ipynb", as_version=4)
    cells = [c.source for c in nb.cells if c.cell_type == "markdown" and c.source.startswith(opening)]
    assert len(cells) == 1
    quoted = THREE.findall(cells[0])
    assert quoted
    stale = sorted(set(quoted) - _validity_values())
    assert not stale, f"{notebook} quotes {stale}, which no validity table holds"


def test_readme_findings_on_the_seed_corpus_come_from_the_report_tables():
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = _section(readme, "- **Sentiment toward the country** (in-domain", "Read the article counts first:")
    section = re.sub(r"\(macro-F1 0\.\d{3}, below\)", "", section)
    tables = [pd.read_csv(REPORTS_DIR / "tables" / name) for name in
              ("sentiment_by_country.csv", "sentiment_country_tests.csv")]
    tables.append(pd.read_csv(REPORTS_DIR / "figures" / "framing_country_heatmap.csv"))
    tables.append(pd.read_csv(REPORTS_DIR / "tables" / "synthesis_differences.csv"))
    text_tables = [pd.read_csv(REPORTS_DIR / "tables" / name) for name in
                   ("sentiment_sensitivity_proxies.csv", "synthesis_differences.csv")]
    cells = [c for table in text_tables for c in table.astype(str).to_numpy().ravel()]
    known = _values(tables, 2) | {m for c in cells for m in re.findall(r"\d\.\d{2}", f"{c}")} | \
        {f"{float(m):.2f}" for c in cells for m in re.findall(r"\d\.\d{3}", f"{c}")}
    quoted = [q.replace("−", "-").lstrip("-") for q in TWO.findall(section)]
    assert len(quoted) >= 10
    stale = sorted(set(quoted) - known)
    assert not stale, f"README findings quote {stale}, which the seed study's tables do not hold; rerun make study"
