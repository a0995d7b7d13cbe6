"""The study runner: parameters, failure reporting, reproducible files, index page."""

from __future__ import annotations

import json

import nbformat
import pytest

from analysis.paths import REPORTS_DIR, SEED_CORPUS_DIR
from analysis.runner import RunConfig, StudyRunError, list_notebooks, render_index, run_study, strip_volatile_metadata


def _notebook(path, *sources):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    params = nbformat.v4.new_code_cell("corpus_path = None\nseed = 42")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell(f"# Title of {path.stem}"), params,
                *[nbformat.v4.new_code_cell(s) for s in sources]]
    nbformat.write(nb, path)


def test_default_config_passes_no_parameters_so_committed_notebooks_are_reproduced():
    assert RunConfig(corpus=SEED_CORPUS_DIR, out=REPORTS_DIR).parameters() == {}


def test_custom_run_passes_absolute_paths_and_options(tmp_path):
    corpus = tmp_path / "c.csv"
    params = RunConfig(corpus=corpus, out=tmp_path / "out", seed=7, countries=["KOR"]).parameters()
    assert params == {"corpus_path": str(corpus.resolve()), "report_dir": str((tmp_path / "out").resolve()),
                      "seed": 7, "countries": ["KOR"]}


def test_notebooks_are_listed_in_order_and_filtered(tmp_path):
    for name in ["02_b.ipynb", "01_a.ipynb", "10_z.ipynb", "notes.ipynb"]:
        (tmp_path / name).write_text("{}")
    assert [p.name for p in list_notebooks(tmp_path)] == ["01_a.ipynb", "02_b.ipynb", "10_z.ipynb"]
    assert [p.name for p in list_notebooks(tmp_path, only=["02"])] == ["02_b.ipynb"]
    with pytest.raises(ValueError, match="matches"):
        list_notebooks(tmp_path, only=["99"])


def test_volatile_metadata_is_removed():
    nb = {"metadata": {"papermill": {"start_time": "x"}, "kernelspec": {}},
          "cells": [{"metadata": {"papermill": {"duration": 1}, "execution": {"t": 1}, "tags": ["a"]}}]}
    assert strip_volatile_metadata(nb) == {"metadata": {"kernelspec": {}}, "cells": [{"metadata": {"tags": ["a"]}}]}


def test_failing_notebook_is_named_with_its_cell_and_earlier_outputs_survive(tmp_path):
    books, out = tmp_path / "nb", tmp_path / "out"
    books.mkdir()
    _notebook(books / "01_ok.ipynb", "print(seed * 2)")
    _notebook(books / "02_bad.ipynb", "x = 1", "raise ValueError('corpus has no text column')")
    with pytest.raises(StudyRunError, match=r"02_bad\.ipynb failed at cell .*corpus has no text column"):
        run_study(RunConfig(out=out, seed=5, notebooks_dir=books), log=lambda *a, **k: None)
    done = nbformat.read(out / "notebooks" / "01_ok.ipynb", as_version=4)
    assert any("10" in o.get("text", "") for c in done.cells for o in c.get("outputs", []))
    assert (out / "01_ok.html").is_file()
    assert "papermill" not in json.loads((out / "notebooks" / "01_ok.ipynb").read_text())["metadata"]


def test_index_lists_synthesis_first_and_links_figures(tmp_path):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "figures").mkdir()
    for stem in ["01_corpus", "06_synthesis"]:
        _notebook(tmp_path / "notebooks" / f"{stem}.ipynb")
        (tmp_path / f"{stem}.html").write_text("<html></html>")
    for ext, data in (("png", b"\x89PNG"), ("svg", b"<svg/>"), ("csv", b"a\n1\n")):
        (tmp_path / "figures" / f"attention.{ext}").write_bytes(data)
    (tmp_path / "figures" / "holiday_photo.png").write_bytes(b"\x89PNG")  # not published by a notebook
    page = render_index(tmp_path, sorted(tmp_path.glob("*.html"))).read_text()
    assert page.index("06_synthesis.html") < page.index("01_corpus.html")
    assert 'src="figures/attention.png"' in page and 'href="figures/attention.csv"' in page
    assert "holiday_photo" not in page


@pytest.mark.parametrize("prefix", ["/work/main/.venv/lib/python3.11", "/tmp/x/p/.venv/lib/python3.11",
                                    "/usr/lib/python3/dist-packages/../python3.11"])
def test_printed_install_paths_are_made_machine_independent(prefix):
    from analysis.paths import PROJECT_ROOT

    warning = f"{prefix}/site-packages/sklearn/_nmf.py:1723: ConvergenceWarning: Maximum number of iterations\n"
    ours = f"{PROJECT_ROOT}/analysis/topics.py:10: UserWarning: x\n"
    nb = {"metadata": {}, "cells": [{"metadata": {}, "outputs": [
        {"output_type": "stream", "name": "stderr", "text": [warning, ours]},
        {"output_type": "execute_result", "data": {"text/plain": "/keep/site-packages/ as data"}}]}]}
    out = strip_volatile_metadata(nb)["cells"][0]["outputs"]
    assert out[0]["text"] == ("SITE-PACKAGES/sklearn/_nmf.py:1723: ConvergenceWarning: Maximum number of iterations\n"
                              "analysis/topics.py:10: UserWarning: x\n")
    assert out[1]["data"]["text/plain"] == "/keep/site-packages/ as data"   # results are never rewritten
