"""The study runner: parameters, failure reporting, reproducible files, index page."""

from __future__ import annotations

import json

import nbformat
import pytest

from analysis.paths import REPORTS_DIR, SEED_CORPUS_DIR
from analysis.study.runner import RunConfig, StudyRunError, list_notebooks, render_index, run_study, strip_volatile_metadata


def _notebook(path, *sources):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    params = nbformat.v4.new_code_cell("corpus_path = None\nseed = 42\nreport_dir = None")
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


@pytest.mark.parametrize("where", ["/tmp/ipykernel_6404/4130624631.py", "/var/folders/x/T/ipykernel_12/99.py"])
def test_a_warning_from_a_cell_does_not_name_the_kernels_temporary_file(where):
    text = f"{where}:1: UserWarning: 1 published date(s) rejected\n  tables = corpus.prepare_corpus(x)\n"
    nb = {"metadata": {}, "cells": [{"metadata": {}, "outputs": [
        {"output_type": "stream", "name": "stderr", "text": text}]}]}
    out = strip_volatile_metadata(nb)["cells"][0]["outputs"][0]["text"]
    assert out == "<notebook cell>:1: UserWarning: 1 published date(s) rejected\n  tables = corpus.prepare_corpus(x)\n"


def test_injected_paths_lose_the_project_root_and_other_cells_keep_theirs():
    from analysis.paths import PROJECT_ROOT

    injected = f'corpus_path = "{PROJECT_ROOT}/data/external/ai_news/articles.csv"\nseed = 1\n'
    own = f'print("{PROJECT_ROOT}/x")'
    nb = {"metadata": {}, "cells": [
        {"cell_type": "code", "id": "68c81edb", "metadata": {"tags": ["injected-parameters"]}, "source": injected,
         "outputs": []},
        {"cell_type": "code", "metadata": {}, "source": own, "outputs": []}]}
    cells = strip_volatile_metadata(nb)["cells"]
    assert cells[0]["source"] == 'corpus_path = "data/external/ai_news/articles.csv"\nseed = 1\n'
    assert cells[0]["id"] == "injected-parameters"  # papermill's random id would change every rerun
    assert cells[1]["source"] == own


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
    # The notebook is saved when it ends, not after each cell: a failing one is still written, error included.
    failed = nbformat.read(out / "notebooks" / "02_bad.ipynb", as_version=4)
    assert any(o.get("output_type") == "error" and "corpus has no text column" in o.get("evalue", "")
               for c in failed.cells for o in c.get("outputs", []))


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


def test_a_cell_s_printing_is_one_output_however_the_kernel_split_it():
    """Under load the kernel flushes a cell's prints in several messages; the written notebook must not show it."""
    split = [{"output_type": "stream", "name": "stdout", "text": "one\n"},
             {"output_type": "stream", "name": "stdout", "text": ["two\n", "three\n"]},
             {"output_type": "stream", "name": "stderr", "text": "warn\n"},
             {"output_type": "stream", "name": "stdout", "text": "four\n"},
             {"output_type": "display_data", "data": {"text/plain": "x"}},
             {"output_type": "stream", "name": "stdout", "text": "five\n"}]
    nb = {"metadata": {}, "cells": [{"metadata": {}, "outputs": split}]}
    out = strip_volatile_metadata(nb)["cells"][0]["outputs"]
    assert [(o["output_type"], o.get("name"), o.get("text")) for o in out] == [
        ("stream", "stdout", "one\ntwo\nthree\n"), ("stream", "stderr", "warn\n"), ("stream", "stdout", "four\n"),
        ("display_data", None, None), ("stream", "stdout", "five\n")]


@pytest.mark.parametrize("names, jobs, expected", [
    (["01", "02", "03", "04", "05", "06"], 3, [["01"], ["02"], ["03", "04", "05"], ["06"]]),
    (["01", "02", "03", "04", "05", "06"], 2, [["01"], ["02"], ["03", "04"], ["05"], ["06"]]),
    (["01", "02", "03", "04", "05", "06"], 1, [["01"], ["02"], ["03"], ["04"], ["05"], ["06"]]),
    (["04", "06"], 3, [["04"], ["06"]]),
    (["03", "05"], 4, [["03", "05"]]),
    (["02", "04", "07", "05"], 4, [["02"], ["04"], ["07"], ["05"]]),      # an unknown notebook ends a group
])
def test_only_the_independent_notebooks_run_together(tmp_path, names, jobs, expected):
    from analysis.study.runner import run_order

    books = [tmp_path / f"{n}_x.ipynb" for n in names]
    assert [[b.name[:2] for b in group] for group in run_order(books, jobs=jobs)] == expected


@pytest.mark.parametrize("jobs", [0, -2, True, 1.5])
def test_a_bad_number_of_jobs_is_refused(tmp_path, jobs):
    from analysis.study.runner import run_order

    with pytest.raises(ValueError, match="--jobs"):
        run_order([tmp_path / "03_x.ipynb"], jobs=jobs)


@pytest.mark.parametrize("argv, message", [
    (["--fit-sample", "1"], "--fit-sample must be a whole number of at least 2 documents, got 1"),
    (["--fit-sample", "0"], "--fit-sample must be a whole number of at least 2 documents, got 0"),
])
def test_a_bad_topic_sample_is_refused_before_any_notebook_runs(tmp_path, capsys, argv, message):
    from analysis.study.runner import main

    assert main(["run", "--out", str(tmp_path / "out"), *argv]) == 1
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_topic_sampling_options_reach_notebook_03_only_when_set(tmp_path):
    assert "fit_sample" not in RunConfig().parameters() and "topic_assign" not in RunConfig().parameters()
    params = RunConfig(fit_sample=300, topic_assign="words").parameters()
    assert params == {"fit_sample": 300, "topic_assign": "words"}
    with pytest.raises(ValueError, match="--topic-assign must be embedding or words, got 'tfidf'"):
        run_study(RunConfig(out=tmp_path / "o", topic_assign="tfidf"), log=lambda *a, **k: None)


# ------------------------------------------------------------------ parameters that mean what they say
def _code_names(book):
    """Names read in the notebook's code cells after its parameters cell."""
    import ast

    nb = json.loads(book.read_text(encoding="utf-8"))
    names, seen_params = set(), False
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        if "parameters" in cell["metadata"].get("tags", []):
            seen_params = True
            continue
        if seen_params:
            tree = ast.parse("".join(cell["source"]))
            names |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return names


@pytest.mark.parametrize("book", list_notebooks(), ids=lambda p: p.stem)
def test_every_declared_parameter_is_used_by_its_notebook(book):
    from analysis.study.runner import declared_parameters

    declared = declared_parameters(book)
    assert declared, f"{book.name} has no parameters cell"
    unused = [name for name in declared if name not in _code_names(book)]
    assert not unused, f"{book.name} declares {unused} but never reads them"


@pytest.mark.parametrize("book", list_notebooks(), ids=lambda p: p.stem)
def test_papermill_reads_every_declared_parameter(book, caplog):
    # papermill parses the parameters cell itself; a line it cannot read (an "=" in the comment) makes it
    # log "Unable to parse line" and warn "Passed unknown parameter" on every run, which reads as if the
    # option were ignored.
    import papermill

    from analysis.study.runner import declared_parameters

    with caplog.at_level("WARNING"):
        inferred = list(papermill.inspect_notebook(str(book)))
    assert inferred == declared_parameters(book), f"papermill cannot parse some parameter lines of {book.name}"
    assert "Unable to parse" not in caplog.text


def test_every_option_the_runner_injects_reaches_a_notebook_that_declares_it(tmp_path):
    from analysis.study.runner import OPTION_OF, declared_parameters

    full = RunConfig(corpus=tmp_path / "c.csv", out=tmp_path / "o", seed=1, countries=["CHN"],
                     codebook=tmp_path / "b.json", unit="sentence", dayfirst=True, quote_words=12, fit_sample=500,
                     topic_assign="words").parameters()
    assert set(full) == set(OPTION_OF)
    declared = {book.stem: set(declared_parameters(book)) for book in list_notebooks()}
    for name in full:
        assert any(name in names for names in declared.values()), f"{OPTION_OF[name]} reaches no notebook"
    assert "codebook" in declared["05_framing"] and "codebook" in declared["06_synthesis"]
    assert {"unit", "fit_sample", "topic_assign"} <= declared["03_topics"]


def test_an_option_no_notebook_of_the_run_reads_is_an_error(tmp_path):
    from analysis.study.runner import parameters_by_notebook

    books = list_notebooks(only=["01"])
    with pytest.raises(ValueError, match=r"--codebook: no notebook of this run uses it \(01_corpus"):
        parameters_by_notebook({"codebook": "x.json"}, books)
    per_book = parameters_by_notebook({"codebook": "x.json", "report_dir": "/r"}, list_notebooks(only=["01", "05"]))
    assert [set(p) for p in per_book.values()] == [{"report_dir"}, {"codebook", "report_dir"}]


@pytest.mark.slow
def test_a_custom_codebook_unit_and_topic_sample_drive_the_whole_study(tmp_path, monkeypatch):
    """``--codebook`` reaches 05 and 06 (its frames are the ones reported); ``--unit``, ``--fit-sample`` and
    ``--topic-assign`` reach 03 (and 06 says how the topics were fitted)."""
    import pandas as pd

    monkeypatch.setenv("ANALYSIS_PROCESSED_DIR", str(tmp_path / "processed"))
    book = {"name": "two", "version": "1", "frames": [
        {"id": "chips_supply", "family": "issue", "label": "Chip supply", "definition": "Chips and hardware.",
         "include": "chips", "exclude": "software", "cues": ["chip*", "semiconductor*", "gpu*", "nvidia"],
         "exemplars": ["Export controls restrict sales of advanced chips.", "Nvidia's GPUs power the models."]},
        {"id": "open_models", "family": "issue", "label": "Open models", "definition": "Open-weight models.",
         "include": "open source", "exclude": "closed APIs", "cues": ["open-source", "open source", "weights"],
         "exemplars": ["The lab released the weights as open source.", "Open-source models spread fast."]}]}
    codebook = tmp_path / "two.json"
    codebook.write_text(json.dumps(book), encoding="utf-8")
    out = tmp_path / "report"
    run_study(RunConfig(out=out, codebook=codebook, unit="sentence", fit_sample=40, topic_assign="words"),
              log=lambda *a, **k: None)
    assert pd.read_csv(out / "tables" / "framing_codebook.csv")["id"].tolist() == ["chips_supply", "open_models"]
    heatmap = pd.read_csv(out / "figures" / "framing_country_heatmap.csv")
    assert set(heatmap["frame"]) == {"chips_supply", "open_models"}
    portrait = pd.read_csv(out / "figures" / "synthesis_portraits.csv")
    assert set(portrait.loc[portrait["panel"] == "frames", "item"]) <= {"chips_supply", "open_models"}
    topics = nbformat.read(out / "notebooks" / "03_topics.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for c in topics.cells for o in c.get("outputs", []))
    assert "sentence documents" in printed
    assert "Fitted on a seeded sample of 40 of" in printed and "assigned by their words" in printed
    assert "Quality measured on a seeded sample of 40 of" in printed
    synthesis = nbformat.read(out / "notebooks" / "06_synthesis.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for c in synthesis.cells for o in c.get("outputs", []))
    assert "fitted on a sample of 40, the other" in printed and "assigned by words" in printed
    framing = nbformat.read(out / "notebooks" / "05_framing.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for c in framing.cells for o in c.get("outputs", []))
    assert "label-free default scorer" in printed  # the in-domain heads belong to the study codebook


@pytest.mark.parametrize("together, cores, expected", [(3, 2, "1"), (2, 16, "8"), (3, 16, "5"), (2, 1, "1")])
def test_notebooks_run_together_share_the_cores(monkeypatch, together, cores, expected):
    from analysis.study.runner import THREAD_VARIABLES, kernel_threads

    for name in THREAD_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    assert kernel_threads(together, cores=cores) == {name: expected for name in THREAD_VARIABLES}
    assert kernel_threads(1, cores=cores) == {}  # one notebook keeps every core
    monkeypatch.setenv("OMP_NUM_THREADS", "4")  # the user's setting wins
    assert kernel_threads(together, cores=cores) == {}


def test_kernels_run_together_see_their_share_of_threads_and_the_runner_keeps_its_own(tmp_path, monkeypatch):
    import os

    from analysis.study.runner import THREAD_VARIABLES, kernel_threads

    for name in THREAD_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    books = tmp_path / "nb"
    books.mkdir()
    probe = "import os, torch\nprint(os.environ.get('OMP_NUM_THREADS'), torch.get_num_threads())"
    for stem in ("03_a", "04_b"):
        _notebook(books / f"{stem}.ipynb", probe)
    run_study(RunConfig(out=tmp_path / "out", notebooks_dir=books), log=lambda *a, **k: None)
    share = kernel_threads(2)["OMP_NUM_THREADS"]
    for stem in ("03_a", "04_b"):
        done = nbformat.read(tmp_path / "out" / "notebooks" / f"{stem}.ipynb", as_version=4)
        printed = "".join(o.get("text", "") for c in done.cells for o in c.get("outputs", []))
        assert printed.split() == [share, share], stem
    assert not any(os.environ.get(name) for name in THREAD_VARIABLES)


def test_a_kernel_that_dies_leaves_no_earlier_runs_notebook_looking_current(tmp_path):
    books, out = tmp_path / "nb", tmp_path / "out"
    books.mkdir()
    _notebook(books / "01_dies.ipynb", "import os\nos._exit(1)")
    (out / "notebooks").mkdir(parents=True)
    stale = out / "notebooks" / "01_dies.ipynb"
    _notebook(stale, "print('an earlier, complete run')")
    with pytest.raises(StudyRunError, match=r"01_dies\.ipynb could not run"):
        run_study(RunConfig(out=out, notebooks_dir=books), log=lambda *a, **k: None, overwrite=True)
    assert not stale.exists() or "an earlier, complete run" not in stale.read_text()
