"""A prepared corpus that is reused says what its first preparation said (its warnings are kept)."""

from __future__ import annotations

import warnings

import pytest

from analysis import corpus

TEXT = "Japan and Malaysia signed an agreement on artificial intelligence research and chips. " * 4


def _corpus(tmp_path, published="2025"):
    path = tmp_path / "articles.csv"
    rows = [f'a{i},Reuters,{published if i == 1 else "2025-01-0" + str(i + 1)},"{TEXT} Item {i}."' for i in range(3)]
    path.write_text("doc_id,outlet,published,text\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def _prepare(path, out):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tables = corpus.prepare_corpus(path, out_dir=out)
    return tables, [(w.category, str(w.message), w.filename) for w in caught]


def test_a_reused_corpus_raises_the_warnings_of_its_preparation(tmp_path):
    path = _corpus(tmp_path)
    first, said_first = _prepare(path, tmp_path / "out")
    second, said_again = _prepare(path, tmp_path / "out")
    assert not first.reused and second.reused
    dates = [w for w in said_first if "published date(s) rejected" in w[1]]
    assert len(dates) == 1 and "a1" in dates[0][1]
    assert said_again == said_first  # same category, message and location (the caller of prepare_corpus)
    assert dates[0][2] == __file__


@pytest.mark.parametrize("published", ["2025-01-02"])
def test_a_clean_corpus_raises_nothing_either_time(tmp_path, published):
    path = _corpus(tmp_path, published)
    _, said_first = _prepare(path, tmp_path / "out")
    _, said_again = _prepare(path, tmp_path / "out")
    assert not [w for w in said_first + said_again if "rejected" in w[1]]
    assert said_first == said_again
