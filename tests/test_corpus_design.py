"""The corpus design table and the notes that name groups drawn from one collection only."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis import corpus


def _articles(collection=True):
    rows = [
        ("a1", "BBC", "2025-01-27", "deepseek", "full text"),
        ("a2", "The Guardian", "2025-02-03", "deepseek", "full text"),
        ("a3", "BBC", "", "asia", "lead"),
        ("b1", "New Straits Times", "2024-05-01", "asia", "lead"),
        ("b2", "Malaysiakini", "2025-12-30", "asia", "lead"),
        ("c1", "The Japan Times", "2023-02-28", "asia", "lead"),
    ]
    table = pd.DataFrame(rows, columns=["doc_id", "outlet", "published", "collection", "document_type"])
    return table if collection else table.drop(columns=["collection", "document_type"])


def test_design_table_counts_articles_outlets_dates_and_collections():
    design = corpus.corpus_design(_articles()).set_index("outlet_group")
    assert list(design.index) == ["Japanese", "Malaysian", "Western", "total"]
    west = design.loc["Western"]
    assert (west["articles"], west["outlets"], west["dated"]) == (3, 2, 2)
    assert (west["first"], west["last"]) == ("2025-01", "2025-02")
    assert (west["collection: deepseek"], west["collection: asia"]) == (2, 1)
    total = design.loc["total"]
    assert total["articles"] == 6 and total["collection: asia"] + total["collection: deepseek"] == 6
    assert (total["first"], total["last"]) == ("2023-02", "2025-12")


def test_notes_name_the_groups_observed_in_one_collection_only():
    notes = corpus.design_notes(_articles())
    assert len(notes) == 2  # collection and document type
    assert notes[0].startswith("Japanese, Malaysian: every article is of collection 'asia'")
    assert "Western" not in " ".join(notes)  # it has articles of both collections


@pytest.mark.parametrize("collection", [False, True])
def test_no_notes_without_design_columns_or_with_one_collection(collection):
    table = _articles(collection)
    if collection:
        table["collection"] = "one"
        table["document_type"] = "full text"
    assert corpus.design_notes(table) == []
    design = corpus.corpus_design(table)
    assert ("collection: one" in design.columns) == collection


def test_unknown_outlets_are_not_named_since_they_are_never_compared():
    table = pd.concat([_articles(), pd.DataFrame([("z1", "Some Blog", "", "asia", "lead")],
                                                 columns=_articles().columns)], ignore_index=True)
    assert "unknown" in set(corpus.corpus_design(table)["outlet_group"])
    assert all("unknown" not in note for note in corpus.design_notes(table))
