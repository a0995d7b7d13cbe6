"""Run the whole study (every notebook, in order) on a corpus and render it.

``python -m analysis run --corpus PATH --out reports/NAME`` executes
``notebooks/NN_*.ipynb`` with papermill, writes the executed notebooks, an HTML
page per notebook, the figures/tables the notebooks publish, and an
``index.html`` (synthesis first) into the output folder. A failing notebook stops
the run with its name and cell; the notebooks before it keep their outputs.
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from analysis import __version__
from analysis.paths import NOTEBOOKS_DIR, PROJECT_ROOT, RAW_DIR, REPORTS_DIR, SEED_CORPUS_DIR
from analysis.io import atomic_write_bytes
from analysis.scale import SCHEDULER_ENV, check_scheduler, start_scheduler

__all__ = ["StudyRunError", "RunConfig", "list_notebooks", "run_study", "render_index", "strip_volatile_metadata",
           "check_output_folder", "check_countries", "REPORT_MARKER", "declared_parameters",
           "parameters_by_notebook", "OPTION_OF"]

SYNTHESIS_PREFIX = "06_"
#: Written into every report folder; a non-empty ``--out`` without it is someone else's folder.
REPORT_MARKER = "analysis-report.json"


class StudyRunError(RuntimeError):
    """A notebook failed; the message names it and the failing cell."""


@dataclass
class RunConfig:
    """Parameters passed to every notebook (papermill ``parameters`` cell).

    ``corpus=None`` and ``out=reports/`` reproduce the committed study exactly.
    """

    corpus: Path | None = None
    out: Path = REPORTS_DIR
    seed: int = 42
    countries: list[str] | None = None
    codebook: Path | None = None
    unit: str | None = None
    #: Topic documents fitted on a seeded sample of this many (notebook 03); ``None``: 20,000
    #: (:data:`analysis.topics.measure.FIT_SAMPLE`).
    fit_sample: int | None = None
    #: How the topic documents outside that sample get a topic: ``"embedding"`` or ``"words"`` (not encoded).
    topic_assign: str = "embedding"
    dayfirst: bool | None = None
    #: Most words quoted from any passage; ``None`` quotes whole passages (a report that stays private).
    quote_words: int | None = 30
    only: list[str] = field(default_factory=list)
    #: Where the per-article work runs (not a notebook parameter: the tables are the same anywhere); see
    #: :func:`analysis.scale.start_scheduler`. ``None``: this process, in chunks.
    scheduler: str | None = None
    #: Notebooks run at once where they do not depend on each other (03, 04 and 05); ``None``: all three.
    #: Their files are the same either way.
    jobs: int | None = None
    notebooks_dir: Path = NOTEBOOKS_DIR

    def parameters(self) -> dict:
        """Only the parameters that differ from the notebooks' defaults."""
        params: dict = {}
        if self.corpus is not None and Path(self.corpus).resolve() != SEED_CORPUS_DIR.resolve():
            params["corpus_path"] = str(Path(self.corpus).resolve())
        if Path(self.out).resolve() != REPORTS_DIR.resolve():
            params["report_dir"] = str(Path(self.out).resolve())
        if self.seed != 42:
            params["seed"] = int(self.seed)
        if self.countries:
            params["countries"] = list(self.countries)
        if self.codebook is not None:
            params["codebook"] = str(Path(self.codebook).resolve())
        if self.unit is not None:
            params["unit"] = self.unit
        if self.fit_sample is not None:
            params["fit_sample"] = self.fit_sample
        if self.topic_assign != "embedding":
            params["topic_assign"] = self.topic_assign
        if self.dayfirst is not None:
            params["dayfirst"] = bool(self.dayfirst)
        if self.quote_words != 30:
            params["quote_words"] = self.quote_words
        return params


#: Notebook parameter -> the command-line option that sets it (named in errors).
OPTION_OF = {"corpus_path": "--corpus", "report_dir": "--out", "seed": "--seed", "countries": "--countries",
             "codebook": "--codebook", "unit": "--unit", "dayfirst": "--date-order",
             "quote_words": "--quote-words", "fit_sample": "--fit-sample", "topic_assign": "--topic-assign"}


def declared_parameters(book: Path) -> list[str]:
    """Names assigned in the notebook's ``parameters`` cell (the cell papermill injects after)."""
    import ast

    nb = json.loads(Path(book).read_text(encoding="utf-8"))
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            tree = ast.parse("".join(cell.get("source", "")))
            return [t.id for node in tree.body if isinstance(node, ast.Assign) for t in node.targets
                    if isinstance(t, ast.Name)]
    return []


def parameters_by_notebook(params: dict, books: list[Path]) -> dict[Path, dict]:
    """Each notebook gets only the parameters it declares; a parameter no notebook declares is an error.

    Raises:
        ValueError: An option that no notebook in the run uses (it would be silently ignored).
    """
    declared = {book: set(declared_parameters(book)) for book in books}
    unused = [k for k in params if not any(k in names for names in declared.values())]
    if unused:
        options = ", ".join(OPTION_OF.get(k, k) for k in unused)
        raise ValueError(f"{options}: no notebook of this run uses it ({', '.join(b.name for b in books)}); "
                         "drop the option or run the notebooks that read it.")
    return {book: {k: v for k, v in params.items() if k in declared[book]} for book in books}


def list_notebooks(folder: Path = NOTEBOOKS_DIR, only: list[str] | None = None) -> list[Path]:
    """Study notebooks ``NN_name.ipynb`` in run order, optionally filtered by prefix or name."""
    books = sorted(folder.glob("[0-9][0-9]_*.ipynb"))
    if only:
        books = [b for b in books if any(b.name.startswith(o) or b.stem == o for o in only)]
        if not books:
            raise ValueError(f"No notebook in {folder} matches {only}; names look like '03' or '03_topics'.")
    return books


_SITE_PACKAGES = re.compile(r"/[^\s:'\"]*/site-packages/")
#: Where a warning raised in a notebook cell says it came from: the kernel's temporary file, named by its PID.
_KERNEL_CELL = re.compile(r"[^\s:'\"]*ipykernel_\d+/\d+\.py")


def strip_volatile_metadata(nb: dict) -> dict:
    """Remove timestamps, durations and absolute paths so reruns give identical files.

    Printed paths (library warnings name their source file) lose the machine-specific
    part: ``.../site-packages/`` becomes ``SITE-PACKAGES/`` and the project root is dropped,
    so the same study run from another folder writes the same notebook; a warning raised in a cell names
    ``<notebook cell>`` instead of the kernel's temporary file (named by its process id). The parameters the runner injected
    (corpus and report paths) lose the project root the same way, and the cell papermill inserts for them gets a
    fixed id instead of a random one. Consecutive outputs of one stream are joined: the kernel splits a cell's
    printing where a pause of 0.2 s happened to fall, which depends on the machine's load.
    """
    nb.get("metadata", {}).pop("papermill", None)
    root = str(PROJECT_ROOT) + os.sep
    for cell in nb.get("cells", []):
        meta = cell.get("metadata", {})
        if "injected-parameters" in meta.get("tags", []):  # paths the runner passed: relative to the project
            source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            cell["source"] = source.replace(root, "")
            if "id" in cell:  # papermill draws a random id for the cell it inserts
                cell["id"] = "injected-parameters"
        meta.pop("papermill", None)
        meta.pop("execution", None)
        if "outputs" in cell:  # joined first, so a path split across two pieces is still cleaned
            cell["outputs"] = _coalesce_streams(cell["outputs"])
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                text = out["text"] if isinstance(out["text"], str) else "".join(out["text"])
                text = _KERNEL_CELL.sub("<notebook cell>", _SITE_PACKAGES.sub("SITE-PACKAGES/", text))
                out["text"] = text.replace(root, "")
    return nb


def _coalesce_streams(outputs: list) -> list:
    """Join consecutive outputs of one stream: how the kernel split a cell's printing is timing, not content."""
    joined: list = []
    for out in outputs:
        prev = joined[-1] if joined else None
        if (out.get("output_type") == "stream" and prev is not None and prev.get("output_type") == "stream"
                and prev.get("name") == out.get("name")):
            prev["text"] = _text(prev["text"]) + _text(out["text"])
        else:
            joined.append(out)
    return joined


def _text(value) -> str:
    return value if isinstance(value, str) else "".join(value)


def _render_html(nb_path: Path, html_path: Path) -> None:
    import nbformat
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter(template_name="lab").from_notebook_node(nbformat.read(nb_path, as_version=4))
    atomic_write_bytes(html_path, body.encode("utf-8"))


def _title_of(nb_path: Path) -> str:
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "markdown":
            for line in "".join(cell.get("source", "")).splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return nb_path.stem


def render_index(out: Path, pages: list[Path]) -> Path:
    """Write ``index.html`` linking the rendered notebooks, synthesis first, and the figures."""
    pages = sorted(pages, key=lambda p: (not p.name.startswith(SYNTHESIS_PREFIX), p.name))
    items = "\n".join(
        f'<li><a href="{html.escape(p.name)}">{html.escape(_title_of(out / "notebooks" / (p.stem + ".ipynb")))}</a>'
        f' <span class="file">{html.escape(p.name)}</span></li>' for p in pages)
    # Figures published by the notebooks come with their PNG, SVG and CSV; other images are not ours.
    figures = sorted(f for f in (out / "figures").glob("*.png") if f.with_suffix(".csv").is_file()
                     and f.with_suffix(".svg").is_file()) if (out / "figures").is_dir() else []
    figs = "\n".join(
        f'<figure><a href="figures/{html.escape(f.name)}"><img src="figures/{html.escape(f.name)}" '
        f'alt="{html.escape(f.stem)}" width="320"></a><figcaption>{html.escape(f.stem)} '
        f'(<a href="figures/{html.escape(f.stem)}.csv">data</a>, <a href="figures/{html.escape(f.stem)}.svg">svg</a>)'
        f'</figcaption></figure>' for f in figures)
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>How news portrays China, Japan and Malaysia in AI</title>
<style>body{{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;line-height:1.5}}
.file{{color:#666;font-size:90%}} figure{{display:inline-block;margin:0.5em;vertical-align:top}}
figcaption{{font-size:85%;text-align:center}}</style></head>
<body><h1>How news outlets portray China, Japan and Malaysia in AI</h1>
<p>Rendered notebooks of this run (start with the synthesis). Each figure links to the CSV it was drawn from.</p>
<ol>
{items}
</ol>
<h2>Figures</h2>
{figs}
</body></html>
"""
    path = out / "index.html"
    atomic_write_bytes(path, page.encode("utf-8"))
    return path


@contextlib.contextmanager
def _environment(env: dict) -> Iterator[None]:
    """``env`` set for the kernels started meanwhile (they inherit this process's environment)."""
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _execute(nb_in: Path, nb_out: Path, params: dict) -> None:
    import nbformat
    import papermill as pm

    try:
        # The executed notebook is written when it ends (or a cell fails), not after every cell: each write
        # validates the whole notebook, about 1 s per notebook of the seed study. A kernel that dies writes
        # nothing, so an earlier run's notebook is removed first rather than left looking current.
        Path(nb_out).unlink(missing_ok=True)
        pm.execute_notebook(str(nb_in), str(nb_out), parameters=params, kernel_name="python3",
                            progress_bar=False, cwd=str(nb_in.parent), log_output=False,
                            request_save_on_cell_execute=False)
    except pm.PapermillExecutionError as exc:
        raise StudyRunError(
            f"Notebook {nb_in.name} failed at cell {exc.exec_count} (index {exc.cell_index}): "
            f"{exc.ename}: {exc.evalue}. The partly executed notebook is at {nb_out}; the notebooks "
            "that ran before it are complete."
        ) from exc
    nb = nbformat.read(nb_out, as_version=4)
    strip_volatile_metadata(nb)
    nbformat.validate(nb)
    atomic_write_bytes(nb_out, nbformat.writes(nb).encode("utf-8"))


def _run_notebook(book: Path, executed: Path, params: dict, write_back: bool) -> tuple[Path, float]:
    """Execute one notebook, write it back if asked, render its page; the page and the seconds it took.

    A failure that is not a cell's (the kernel did not start or died) is retried once, then reported as a
    :class:`StudyRunError` naming the notebook.
    """
    started = time.perf_counter()
    for attempt in (1, 2):
        try:
            _execute(book, executed, params)
            break
        except StudyRunError:
            raise
        except Exception as exc:  # noqa: BLE001 - any kernel failure is reported with the notebook's name
            if attempt == 2:
                raise StudyRunError(f"Notebook {book.name} could not run: {type(exc).__name__}: {exc}. Run it "
                                    "again; if it keeps failing, run with --jobs 1 (one notebook at a time).") from exc
            time.sleep(2.0)
    if write_back:
        atomic_write_bytes(book, executed.read_bytes())
    page = executed.parent.parent / f"{book.stem}.html"
    _render_html(executed, page)
    return page, time.perf_counter() - started


#: The variables that set how many threads a kernel's numeric libraries start (PyTorch reads OMP_NUM_THREADS).
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def kernel_threads(together: int, *, cores: int | None = None) -> dict[str, str]:
    """Thread settings for ``together`` notebooks run at once: the cores shared out, at least one each.

    Each kernel's PyTorch and BLAS would otherwise start one thread per core, so three kernels on two cores
    run six busy threads. ``{}`` for a single notebook, or when any of :data:`THREAD_VARIABLES` is already
    set (the user's choice is kept). The results do not depend on the number of threads (see
    :mod:`analysis.numerics`).
    """
    if together <= 1 or any(os.environ.get(name) for name in THREAD_VARIABLES):
        return {}
    if cores is None:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    share = str(max(1, cores // together))
    return {name: share for name in THREAD_VARIABLES}


def _run_together(jobs: list[tuple]) -> list[tuple[Path, float]]:
    """Run independent notebooks at once, each in its own process; raise the first failure after all ended.

    The kernels share the cores (:func:`kernel_threads`).
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    futures = []
    with _environment(kernel_threads(len(jobs))), \
            ProcessPoolExecutor(len(jobs), mp_context=multiprocessing.get_context("spawn")) as pool:
        for i, job in enumerate(jobs):
            if i:
                time.sleep(1.0)  # one kernel at a time picks its ports and binds them
            futures.append(pool.submit(_run_notebook, *job))
    errors = [f.exception() for f in futures if f.exception() is not None]
    for error in errors:
        if isinstance(error, StudyRunError):
            raise error
    if errors:
        raise StudyRunError(f"A notebook process ended without a result ({type(errors[0]).__name__}: {errors[0]}); "
                            "it may have run out of memory: run with --jobs 1.") from errors[0]
    return [f.result() for f in futures]


def _screenshot_synthesis(out: Path, log) -> None:
    """Keep a picture of the synthesis page (skipped, with a message, without a browser)."""
    from analysis.study.browser import BrowserUnavailableError, screenshot_page

    page = out / "06_synthesis.html"
    if not page.is_file():
        return
    try:
        screenshot_page(page, out / "synthesis_screenshot.png")
    except BrowserUnavailableError as exc:
        log(f"No screenshot of the synthesis page: {exc}")


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def check_output_folder(out: str | Path, corpus: str | Path | None, *, overwrite: bool = False) -> Path:
    """Refuse an output folder that would lose or corrupt data; return it resolved.

    Reports written into the corpus folder are read back as articles by the next run, and
    an existing folder of the user's own would have files replaced and others pulled into
    the index, so both are refused before anything is written.

    Args:
        out: The report folder asked for (``--out``).
        corpus: The corpus path (``None`` = the bundled seed corpus).
        overwrite: Allow a non-empty folder that is not a previous report of this package.

    Raises:
        ValueError: ``out`` is a file, lies inside the corpus folder or inside ``data/raw``,
            or is a non-empty folder without :data:`REPORT_MARKER` and ``overwrite`` is False.
    """
    target = Path(out).expanduser().resolve()
    corpus_path = Path(corpus if corpus is not None else SEED_CORPUS_DIR).expanduser().resolve()
    if target.exists() and not target.is_dir():
        raise ValueError(f"--out {out} is a file, not a folder; pass a folder name such as reports/mystudy.")
    if corpus_path.is_dir() and _inside(target, corpus_path):
        raise ValueError(f"--out {out} is inside the corpus folder {corpus_path}: the next run would read the "
                         "reports back as articles. Choose a folder outside it, e.g. reports/mystudy.")
    if _inside(target, RAW_DIR.resolve()):
        raise ValueError(f"--out {out} is inside {RAW_DIR}, which holds raw corpora and is never written to; "
                         "choose a folder under reports/.")
    if target.is_dir() and any(target.iterdir()) and not (target / REPORT_MARKER).is_file() and not overwrite:
        raise ValueError(f"--out {out} already holds files and is not a report of this package (no "
                         f"{REPORT_MARKER}); its files would be replaced. Choose an empty or new folder, or pass "
                         "--overwrite to write into it anyway.")
    return target


def check_countries(countries) -> list[str] | None:
    """Upper-cased country codes, each known to the gazetteer; ``None`` stays ``None``.

    Raises:
        ValueError: A code has no alias in the gazetteer (names the code and the known ones),
            or the list is empty.
    """
    if countries is None:
        return None
    from analysis.countries.gazetteer import load_gazetteer

    codes = [str(c).strip().upper() for c in countries if str(c).strip()]
    if not codes:
        raise ValueError("--countries is empty; pass codes such as CHN,JPN,MYS.")
    known = sorted(set(load_gazetteer()["country"]))
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise ValueError(f"--countries: unknown country code(s) {unknown}; the gazetteer knows {known}. Fix the "
                         "code, or add the country's aliases to analysis/resources/gazetteer.csv.")
    return list(dict.fromkeys(codes))


#: Notebooks that read only the stages of 01 and 02 and write their own, so they may run at the same time.
INDEPENDENT = ("03", "04", "05")


def run_order(books: list[Path], *, jobs: int | None = None) -> list[list[Path]]:
    """The notebooks in groups run one after another; a group's notebooks may run at the same time.

    Consecutive notebooks of :data:`INDEPENDENT` form one group of at most ``jobs`` notebooks (``None``: the
    three); every other notebook is a group of its own, so 06 starts after 03-05 have finished. Running them
    together mostly overlaps their fixed costs (kernel, imports, figures); ``--jobs 1`` keeps one notebook's
    memory at a time, for a corpus that fills the machine.

    Raises:
        ValueError: ``jobs`` below 1.
    """
    if jobs is None:
        jobs = len(INDEPENDENT)
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"--jobs must be a whole number of at least 1, got {jobs!r}.")
    groups: list[list[Path]] = []
    for book in books:
        free = book.name[:2] in INDEPENDENT
        last = groups[-1] if groups else None
        if free and last and last[0].name[:2] in INDEPENDENT and len(last) < jobs:
            last.append(book)
        else:
            groups.append([book])
    return groups


def run_study(config: RunConfig, *, write_back: bool = False, overwrite: bool = False, log=print) -> list[Path]:
    """Execute every notebook with ``config`` and render the report folder.

    Args:
        config: Corpus, output folder and notebook parameters.
        write_back: Also replace ``notebooks/*.ipynb`` with the executed copies
            (only meaningful for the bundled corpus with default parameters).
        overwrite: Write into a non-empty folder that is not a previous report.
        log: Progress callback (one line per notebook).

    Returns:
        Paths of the rendered HTML pages.

    Raises:
        FileNotFoundError: The corpus path does not exist.
        ValueError: A refused output folder (see :func:`check_output_folder`) or an
            unknown country code (see :func:`check_countries`).
        StudyRunError: A notebook failed (name and cell in the message).
    """
    if config.corpus is not None and not Path(config.corpus).exists():
        raise FileNotFoundError(f"Corpus {config.corpus} does not exist; pass a folder, .csv, .jsonl/.json or .parquet.")
    check_output_folder(config.out, config.corpus, overwrite=overwrite)
    config.countries = check_countries(config.countries)
    params = config.parameters()
    if write_back and params:
        raise ValueError(f"--write-back only for the bundled corpus with default parameters (got {params}).")
    if config.unit is not None and config.unit not in ("article", "paragraph", "sentence"):
        raise ValueError(f"--unit must be article, paragraph or sentence, got {config.unit!r}.")
    if config.fit_sample is not None and (isinstance(config.fit_sample, bool) or not isinstance(
            config.fit_sample, int) or config.fit_sample < 2):
        raise ValueError(f"--fit-sample must be a whole number of at least 2 documents, got {config.fit_sample!r}.")
    if config.topic_assign not in ("embedding", "words"):
        raise ValueError(f"--topic-assign must be embedding or words, got {config.topic_assign!r}.")
    if config.quote_words is not None and (isinstance(config.quote_words, bool) or not isinstance(
            config.quote_words, int) or config.quote_words < 1):
        raise ValueError(f"--quote-words must be a positive whole number or 'all', got {config.quote_words!r}.")
    if config.codebook is not None:  # a broken codebook fails here, not in the middle of notebook 05
        from analysis.framing.measure import load_codebook

        load_codebook(config.codebook)
    books = list_notebooks(Path(config.notebooks_dir), only=config.only)
    per_book = parameters_by_notebook(params, books)
    groups = run_order(books, jobs=config.jobs)  # a bad --jobs or --scheduler fails before anything is written
    check_scheduler(config.scheduler)
    out = Path(config.out)
    (out / "notebooks").mkdir(parents=True, exist_ok=True)
    marker = {"written_by": "analysis", "version": __version__}
    atomic_write_bytes(out / REPORT_MARKER, (json.dumps(marker, sort_keys=True) + "\n").encode("utf-8"))
    env = {"ANALYSIS_REPORT_DIR": str(out.resolve()), "TQDM_DISABLE": "1", "HF_HUB_OFFLINE": "1",
           "TRANSFORMERS_OFFLINE": "1", "PYTHONHASHSEED": "0"}
    number = {book: i for i, book in enumerate(books, 1)}
    pages = []
    env[SCHEDULER_ENV] = ""  # set below when there is one; never one inherited from the shell
    with _environment(env), start_scheduler(config.scheduler) as address:
        if address:
            os.environ[SCHEDULER_ENV] = address
            log(f"Per-article work runs on the Dask scheduler at {address}.", flush=True)
        for group in groups:
            for book in group:
                log(f"[{number[book]}/{len(books)}] {book.name} ...", flush=True)
            jobs = [(book, out / "notebooks" / book.name, per_book[book], write_back) for book in group]
            done = [_run_notebook(*jobs[0])] if len(group) == 1 else _run_together(jobs)
            for book, (page, seconds) in zip(group, done):
                pages.append(page)
                log(f"[{number[book]}/{len(books)}] {book.name} done in {seconds:.0f} s", flush=True)
    # Pages of this package only: each has its executed notebook beside it (not a user's own HTML file).
    existing = sorted(p for p in out.glob("[0-9][0-9]_*.html") if (out / "notebooks" / f"{p.stem}.ipynb").is_file())
    index = render_index(out, existing)
    _screenshot_synthesis(out, log)
    log(f"Report: {index.relative_to(PROJECT_ROOT) if index.is_relative_to(PROJECT_ROOT) else index}")
    return pages


def _quote_words(value: str) -> int | None:
    import argparse

    if value.strip().lower() == "all":
        return None
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of words; pass e.g. 30, or 'all'") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value!r}: pass a positive number of words, or 'all'")
    return number


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point (``python -m analysis``)."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m analysis", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="execute all notebooks on a corpus and render the report")
    run.add_argument("--corpus", type=Path, default=None, help="folder of .txt/.md/.html, or .csv/.jsonl/.json/.parquet")
    run.add_argument("--out", type=Path, default=REPORTS_DIR, help="report folder (default reports/)")
    run.add_argument("--seed", type=int, default=42)
    run.add_argument("--countries", type=lambda s: [c.strip().upper() for c in s.split(",") if c.strip()],
                     default=None, help="comma-separated codes, e.g. CHN,JPN,MYS")
    run.add_argument("--codebook", type=Path, default=None, help="frame codebook file to use instead of the bundled one")
    run.add_argument("--unit", default=None, choices=["article", "paragraph", "sentence"],
                     help="topic documents (notebook 03): article, paragraph or sentence (default: paragraphs "
                          "below 50 articles, else articles)")
    run.add_argument("--fit-sample", type=int, default=None, metavar="N",
                     help="fit the topics (notebook 03) on a seeded sample of N topic documents and give the others "
                          "the topic of the nearest centroid (default 20000)")
    run.add_argument("--topic-assign", default="embedding", choices=["embedding", "words"],
                     help="how topic documents outside the fitting sample get their topic: embedding (each one "
                          "encoded, the default) or words (TF-IDF centroids of the sample; only the sample is "
                          "encoded, much faster on a large corpus: README, 'Topics on a large corpus')")
    run.add_argument("--date-order", choices=["auto", "day-first", "month-first"], default="auto",
                     help="order of NN/NN/YYYY dates: auto decides per input file (an error when a file mixes "
                          "both), day-first = DD/MM/YYYY, month-first = MM/DD/YYYY")
    run.add_argument("--quote-words", type=_quote_words, default=30, metavar="N|all",
                     help="most words quoted from any passage, beside its outlet and link (default 30, the rule for "
                          "reports that are shared); 'all' quotes whole passages, for reports that stay private")
    run.add_argument("--only", nargs="*", default=[], help="run only these notebooks (e.g. 01 02)")
    run.add_argument("--jobs", type=int, default=None, metavar="N",
                     help="notebooks run at once where they are independent (03, 04, 05; default 3); the files "
                          "are the same for any N; 1 keeps one notebook's memory at a time")
    run.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT|local:N|CLUSTER.yaml",
                     help="run the per-article work (mentions, sentiment, sentence vectors) on a Dask cluster: a "
                          "running scheduler, N local worker processes, or a dask-jobqueue cluster file (README, "
                          "'Past one machine'); the tables equal the local run's")
    run.add_argument("--write-back", action="store_true", help="replace notebooks/*.ipynb with executed copies")
    run.add_argument("--overwrite", action="store_true",
                     help="write into a non-empty --out folder that is not a previous report of this package")
    compare = sub.add_parser("compare", help="check that a rerun's tables and figures equal the committed ones, "
                                            "byte for byte")
    compare.add_argument("candidate", type=Path, help="report folder written by the rerun")
    compare.add_argument("--against", type=Path, default=REPORTS_DIR, help="reference folder (default reports/)")
    compare.add_argument("--partial", action="store_true",
                         help="the rerun covered only some notebooks: do not report files it did not write")
    ai_news = sub.add_parser("ai-news", help="build the real-corpus study's articles from ../shared/datasets and "
                                             "run every notebook on them (default --out reports/ai_news)")
    ai_news.add_argument("--out", type=Path, default=None, help="report folder (default reports/ai_news)")
    ai_news.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    if args.command == "ai-news":
        return _ai_news(args.out, args.seed)
    if args.command == "compare":
        return _compare(args.candidate, args.against, partial=args.partial)
    config = RunConfig(corpus=args.corpus, out=args.out, seed=args.seed, countries=args.countries,
                       codebook=args.codebook, unit=args.unit, only=args.only, fit_sample=args.fit_sample,
                       topic_assign=args.topic_assign,
                       dayfirst={"auto": None, "day-first": True, "month-first": False}[args.date_order],
                       quote_words=args.quote_words, scheduler=args.scheduler, jobs=args.jobs)
    try:
        run_study(config, write_back=args.write_back, overwrite=args.overwrite,
                  log=lambda *a, **k: print(*a, file=sys.stderr, **k))
    except (StudyRunError, FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def _ai_news(out: Path | None, seed: int) -> int:
    from analysis.paths import DatasetMissingError
    from analysis.study.ai_news import AI_NEWS_REPORT, run_ai_news

    try:
        run_ai_news(out if out is not None else AI_NEWS_REPORT, seed=seed,
                    log=lambda *a, **k: print(*a, file=sys.stderr, **k))
    except DatasetMissingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except (StudyRunError, FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def _compare(candidate: Path, against: Path, *, partial: bool = False) -> int:
    from analysis.study.report import compare_reports

    try:
        table = compare_reports(candidate, against, partial=partial)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    bad = table[table["status"] != "same"]
    print(f"{len(table) - len(bad)} of {len(table)} files compared between {candidate} and {against} are equal "
          "byte for byte.")
    for row in bad.itertuples():
        print(f"  {row.status}: {row.file}")
    return 1 if len(bad) else 0
