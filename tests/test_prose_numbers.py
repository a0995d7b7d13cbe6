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


CV_TABLES = ("indomain_sentiment.csv", "indomain_frames.csv", "agreement_r2.csv")
TEST_TABLES = ("indomain_test_sentiment.csv", "indomain_test_frames.csv", "agreement_r3.csv")


def _validity_values(kind: str = "cv") -> set[str]:
    """Figures a prose passage may quote: the cross-validation's tables, or the clean test's (``kind="test"``).

    A clean-test passage may also name the cross-validated headline it is compared with, and round 2's alpha.
    """
    stored = pd.read_csv(VALIDITY / "indomain.csv")
    is_test = stored["split"].str.startswith("test_r3")
    if kind == "test":
        tables = [pd.read_csv(VALIDITY / name) for name in TEST_TABLES] + [stored[is_test]]
        headline = stored[stored["split"].isin(["cv_site:direct:all", "cv_site"])]
        extra = _values([headline[["ours"]], pd.read_csv(VALIDITY / "agreement_r2.csv")[["alpha"]]], 3)
        return _values(tables, 3) | extra | {"0.700"}
    tables = [pd.read_csv(VALIDITY / name) for name in CV_TABLES] + [stored[~is_test]]
    tables.append(pd.read_csv(RESOURCES_DIR / "sentiment" / "validation_metrics.csv"))
    return _values(tables, 3) | {"0.831", "0.700", "0.600"}  # published NewsSentiment figure; stated targets


def _clean_test_part(section: str) -> tuple[str, str]:
    """Split the README's in-domain section into its clean-test passages and the rest."""
    start = section.index("**The clean test**")
    end = section.index("\n\n", start)
    test_rows = [line for line in section.splitlines() if line.startswith("| **clean test**")]
    rest = section[:start] + section[end:]
    for line in test_rows:
        rest = rest.replace(line, "")
    return section[start:end] + "\n" + "\n".join(test_rows), rest


def _section(text: str, start: str, end: str) -> str:
    return text[text.index(start):text.index(end)]


def test_readme_indomain_figures_come_from_the_validity_tables():
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = _section(readme, "## Validity on the study's own question", "## Validity on public data")
    assert len(THREE.findall(section)) >= 20
    test_part, rest = _clean_test_part(section)
    assert len(THREE.findall(test_part)) >= 10
    for part, kind in ((rest, "cv"), (test_part, "test")):
        stale = sorted(set(THREE.findall(part)) - _validity_values(kind))
        assert not stale, (f"README quotes {stale} in its {kind} passages, which no {kind} validity table holds; "
                           "rerun bench/indomain_validity.py")


@pytest.mark.parametrize("notebook, opening, kind", [
    ("04_sentiment", "**Reading the table.**", "cv"),
    ("04_sentiment", "VADER reaches macro-F1", "cv"),
    ("05_framing", "**Reading the table.**", "cv"),
    ("04_sentiment", "**Reading the clean test.**", "test"),
    ("05_framing", "**Reading the clean test.**", "test"),
])
def test_notebook_prose_quotes_the_tables(notebook, opening, kind):
    nb = nbformat.read(NOTEBOOKS_DIR / f"{notebook}.ipynb", as_version=4)
    cells = [c.source for c in nb.cells if c.cell_type == "markdown" and c.source.startswith(opening)]
    assert len(cells) == 1
    quoted = THREE.findall(cells[0])
    assert quoted
    stale = sorted(set(quoted) - _validity_values(kind))
    assert not stale, f"{notebook} quotes {stale}, which no {kind} validity table holds"


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
