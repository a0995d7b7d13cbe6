"""The study's per-article work in bounded chunks of articles, on this machine or on a Dask cluster.

The stages that look at one article at a time (mentions, sentiment scoring, and the sentence vectors
behind topics and frames) are split into chunks of whole articles. Each chunk is computed on its own:
locally one after the other (memory stays bounded by the chunk, not the corpus), or, with a scheduler,
on Dask workers. The results are joined back in the corpus's order, so they equal the one-piece run:
every model runs in float64 and rounds its output (:mod:`analysis.numerics`), so a row's value never
depends on which rows shared its batch, chunk or machine. Steps that learn from the whole corpus
(BERTopic's fit, the label-free frame scorers, every aggregate) stay local and read the vectors the
workers computed.

Where the scheduler comes from: ``scheduler=`` on the stage functions, else the environment variable
``ANALYSIS_SCHEDULER`` (set by ``python -m analysis run --scheduler``, so the notebook kernels see it).
Its value is a scheduler address (``tcp://host:8786``). :func:`start_scheduler` turns the runner's
``--scheduler`` value into one: an address, ``local:N`` (a LocalCluster of N worker processes), or a
YAML file describing a dask-jobqueue cluster (README, "Past one machine").

Example:
    >>> from analysis.scale import article_chunks
    >>> article_chunks(["a", "a", "b", "c", "c", "c"], max_rows=3)
    [(0, 3), (3, 6)]
"""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "CHUNK_ENV",
    "CHUNK_ROWS",
    "SCHEDULER_ENV",
    "TIMEOUT_ENV",
    "SchedulerError",
    "article_chunks",
    "check_scheduler",
    "chunk_rows",
    "cluster_client",
    "embed_on_cluster",
    "map_articles",
    "start_scheduler",
    "worker_timeout",
]

#: Environment variable holding the scheduler address the stages use (empty: run locally).
SCHEDULER_ENV = "ANALYSIS_SCHEDULER"
#: Seconds to wait for a first worker before giving up (environment variable, default 300).
TIMEOUT_ENV = "ANALYSIS_WORKER_TIMEOUT"
#: Rows of the chunked table per chunk (whole articles are never split, so a chunk may hold more);
#: the environment variable ``ANALYSIS_CHUNK_ROWS`` overrides it.
CHUNK_ROWS = 20_000
CHUNK_ENV = "ANALYSIS_CHUNK_ROWS"


class SchedulerError(ValueError):
    """A scheduler specification that cannot be used (names it and says what is accepted)."""


def article_chunks(doc_ids, *, max_rows: int = CHUNK_ROWS) -> list[tuple[int, int]]:
    """Split row positions into contiguous ``(start, stop)`` ranges of at most ``max_rows`` rows.

    A range ends only where ``doc_id`` changes, so an article's consecutive rows stay together (one
    article longer than ``max_rows`` is one chunk on its own).

    Args:
        doc_ids: The ``doc_id`` column, in table order.
        max_rows: Largest chunk (at least 1).

    Returns:
        Ranges that cover ``0..len(doc_ids)`` in order; ``[]`` for no rows.

    Raises:
        ValueError: ``max_rows`` below 1.
    """
    if isinstance(max_rows, bool) or not isinstance(max_rows, (int, np.integer)) or max_rows < 1:
        raise ValueError(f"max_rows must be a whole number of at least 1, got {max_rows!r}.")
    ids = list(doc_ids)
    cuts = [0] + [i for i in range(1, len(ids)) if ids[i] != ids[i - 1]] + [len(ids)]
    chunks, start = [], 0
    for before, cut in itertools.pairwise(cuts):
        if cut - start > max_rows and before > start:
            chunks.append((start, before))
            start = before
    if len(ids):
        chunks.append((start, len(ids)))
    return chunks


def worker_timeout() -> float:
    """Seconds to wait for the first worker: ``ANALYSIS_WORKER_TIMEOUT`` or 300.

    Raises:
        SchedulerError: The variable is not a positive number.
    """
    value = os.environ.get(TIMEOUT_ENV, "").strip() or "300"
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not seconds > 0:
        raise SchedulerError(f"{TIMEOUT_ENV}={value!r}: set it to a number of seconds above 0, or unset it.")
    return seconds


def _resolve(scheduler: str | None) -> str:
    value = os.environ.get(SCHEDULER_ENV, "") if scheduler is None else scheduler
    return value.strip()


@contextlib.contextmanager
def cluster_client(scheduler: str | None = None) -> Iterator[object | None]:
    """A ``distributed.Client`` for the scheduler (see the module doc), or ``None`` to run locally.

    Raises:
        SchedulerError: The value is not a ``tcp://``/``tls://``/``inproc://`` address.
    """
    address = _resolve(scheduler)
    if not address:
        yield None
        return
    if not address.startswith(("tcp://", "tls://", "inproc://")):
        raise SchedulerError(f"{SCHEDULER_ENV}={address!r} is not a scheduler address; use tcp://host:port "
                             "(python -m analysis run --scheduler also takes local:N or a cluster YAML file).")
    from distributed import Client

    wait = worker_timeout()
    with Client(address, set_as_default=False, timeout=wait) as client:
        try:
            client.wait_for_workers(1, timeout=wait)
        except TimeoutError:
            raise SchedulerError(f"No Dask worker joined the scheduler at {address} within {wait:.0f} s. Start workers "
                                 "(dask worker ...; on Slurm check that the jobs run: squeue), or raise "
                                 f"{TIMEOUT_ENV}.") from None
        yield client


def _rows_by_article(table: pd.DataFrame) -> dict:
    return {doc: rows for doc, rows in table.groupby("doc_id", sort=False).indices.items()}


def _related(part: pd.DataFrame, others: dict, index: dict) -> dict:
    """Each of ``others`` cut to the articles of ``part``, rows in their table order."""
    out = {}
    for name, table in others.items():
        rows = [index[name][doc] for doc in dict.fromkeys(part["doc_id"]) if doc in index[name]]
        out[name] = table.iloc[np.sort(np.concatenate(rows))] if rows else table.iloc[:0]
    return out


def _call(func: Callable, part: pd.DataFrame, related: dict, kwargs: dict):
    return func(part, **related, **kwargs)


def _call_named(func: Callable, part: pd.DataFrame, tables: list, names: list[str], kwargs: dict):
    return func(part, **dict(zip(names, tables)), **kwargs)


def _join(results: list):
    if isinstance(results[0], dict):
        return {key: _join([r[key] for r in results]) for key in results[0]}
    # A chunk with nothing to report may type its empty columns differently (float for a text column);
    # the rows come from the other chunks, so their dtypes are the whole run's.
    parts = [r for r in results if len(r)] or results[:1]
    return pd.concat(parts, ignore_index=True)


def chunk_rows() -> int:
    """Rows per chunk: ``ANALYSIS_CHUNK_ROWS`` when set, else :data:`CHUNK_ROWS`.

    Raises:
        ValueError: The variable is not a whole number of at least 1.
    """
    value = os.environ.get(CHUNK_ENV, "").strip()
    if not value:
        return CHUNK_ROWS
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{CHUNK_ENV}={value!r}: set it to a whole number of rows of at least 1, or unset it.")
    return int(value)


def map_articles(func: Callable, table: pd.DataFrame, *, others: dict[str, pd.DataFrame] | None = None,
                 max_rows: int | None = None, scheduler: str | None = None, **kwargs):
    """``func`` over chunks of whole articles of ``table``, joined in table order.

    Args:
        func: ``func(chunk, **others_chunk, **kwargs)`` returning a DataFrame (or a dict of DataFrames)
            whose rows follow the chunk's rows. It must look at one article at a time; it is shipped to
            workers, so it is a module-level function.
        table: The table to split; it needs ``doc_id``.
        others: Further tables passed to ``func`` by name, each cut to the chunk's articles.
        max_rows: Rows of ``table`` per chunk (see :func:`article_chunks`); ``None``: :func:`chunk_rows`.
        scheduler: Scheduler address; ``None`` reads ``ANALYSIS_SCHEDULER``; ``""`` runs locally.
        **kwargs: Passed to ``func`` unchanged.

    Returns:
        The chunks' results concatenated (index reset; a dict is joined key by key). With no rows,
        ``func`` is called once on the empty table, so the columns are the ones it returns.

    Raises:
        ValueError: ``table`` or one of ``others`` lacks ``doc_id``.
    """
    others = dict(others or {})
    for name, frame in {"table": table, **others}.items():
        if "doc_id" not in frame.columns:
            raise ValueError(f"map_articles: {name} has no doc_id column (has {list(frame.columns)}); "
                             "chunks are made of whole articles.")
    chunks = article_chunks(table["doc_id"].tolist(), max_rows=chunk_rows() if max_rows is None else max_rows)
    if not chunks:
        return _call(func, table, others, kwargs)
    index = {name: _rows_by_article(frame) for name, frame in others.items()}
    parts = [table.iloc[a:b] for a, b in chunks]
    with cluster_client(scheduler) as client:
        if client is None or len(chunks) == 1:
            results = [_call(func, part, _related(part, others, index), kwargs) for part in parts]
        else:
            # Scattered first: data sent inside the task graph would make distributed warn about a large
            # graph in the notebook, which a local run does not print.
            names = list(others)

            def scattered(part):  # a list, not a dict: scatter would take a dict's keys as the data's names
                related = _related(part, others, index)
                return client.scatter(part), client.scatter([related[n] for n in names]) if names else []

            futures = [client.submit(_call_named, func, *scattered(part), names, kwargs, pure=False) for part in parts]
            results = client.gather(futures)
    return _join(results)


def _encode_chunk(texts: list[str], model) -> np.ndarray:
    from analysis.embeddings import load_embedder

    return load_embedder(model).encode(texts)


def embed_on_cluster(texts, *, model="all-MiniLM-L6-v2", cache_dir: str | Path | None = None,
                     scheduler: str | None = None, max_texts: int = 2_000) -> int:
    """Compute on the cluster the sentence vectors the embedding cache lacks, and store them in it.

    The vectors are computed by workers and written here, into the same cache :func:`analysis.embeddings.
    embed_texts` reads (so the workers need no shared file system). Without a scheduler nothing happens:
    the local stage encodes as it always does.

    Args:
        texts: The texts the stage will embed.
        model: The embedding model (see :func:`analysis.embeddings.load_embedder`); a model name or path.
        cache_dir: Cache root; ``None`` = the default cache.
        scheduler: As in :func:`map_articles`.
        max_texts: Texts per task.

    Returns:
        The number of texts encoded on the cluster (0 when running locally or all were cached).
    """
    from analysis.embeddings import DEFAULT_CACHE_DIR, cache_missing, load_embedder, store_vectors

    with cluster_client(scheduler) as client:
        if client is None:
            return 0
        root = Path(cache_dir) if cache_dir is not None else DEFAULT_CACHE_DIR
        embedder = load_embedder(model)
        todo = cache_missing(list(texts), embedder=embedder, cache_dir=root)
        if not todo:
            return 0
        parts = [todo[i:i + max_texts] for i in range(0, len(todo), max_texts)]
        futures = [client.submit(_encode_chunk, part, model, pure=False) for part in parts]
        for part, vectors in zip(parts, client.gather(futures)):
            store_vectors(part, vectors, embedder=embedder, cache_dir=root)
        return len(todo)


def _jobqueue_cluster(path: Path):
    import yaml

    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as err:
        raise SchedulerError(f"{path}: not valid YAML ({err}); see README, 'Past one machine'.") from err
    if not isinstance(spec, dict):
        raise SchedulerError(f"{path}: the file must hold a mapping with kind:, jobs: and cluster:; see README, "
                             "'Past one machine'.")
    kind, jobs = spec.get("kind", "slurm"), spec.get("jobs", 1)
    options = spec.get("cluster", {})
    if not isinstance(options, dict) or isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise SchedulerError(f"{path}: needs 'cluster:' (a mapping of dask-jobqueue options) and 'jobs:' (a whole "
                             "number >= 1); see README, 'Past one machine'.")
    import dask_jobqueue

    classes = {"slurm": "SLURMCluster", "pbs": "PBSCluster", "sge": "SGECluster", "lsf": "LSFCluster",
               "htcondor": "HTCondorCluster"}
    if kind not in classes:
        raise SchedulerError(f"{path}: kind {kind!r} is not one of {sorted(classes)}.")
    cluster = getattr(dask_jobqueue, classes[kind])(**options)
    cluster.scale(jobs=jobs)
    return cluster


def check_scheduler(spec: str | None) -> str:
    """The kind of a ``--scheduler`` value, checked before anything starts: ``""``, ``address``, ``local``, ``file``.

    Raises:
        SchedulerError: A value that is none of these, a ``local:N`` without a whole N >= 1, or a missing file.
    """
    spec = (spec or "").strip()
    if not spec:
        return ""
    if spec.startswith(("tcp://", "tls://")):
        return "address"
    if spec.startswith("local:"):
        workers = spec.split(":", 1)[1]
        if not workers.isdigit() or int(workers) < 1:
            raise SchedulerError(f"--scheduler {spec!r}: local:N needs a whole number of workers >= 1.")
        return "local"
    if Path(spec).suffix in (".yml", ".yaml"):
        if not Path(spec).is_file():
            raise SchedulerError(f"--scheduler {spec}: no such cluster file.")
        return "file"
    raise SchedulerError(f"--scheduler {spec!r}: use tcp://host:port, local:N, or a cluster YAML file "
                         "(README, 'Past one machine').")


@contextlib.contextmanager
def start_scheduler(spec: str | None) -> Iterator[str]:
    """The scheduler address for ``spec``, with any cluster it had to start kept alive meanwhile.

    Args:
        spec: ``None``/``""`` (local run: yields ``""``), ``tcp://host:port`` (an existing scheduler),
            ``local:N`` (a LocalCluster of N single-threaded worker processes on this machine), or the
            path of a YAML file ``{kind: slurm, jobs: 4, cluster: {cores: 8, memory: 16GB, ...}}`` for
            dask-jobqueue (kinds: slurm, pbs, sge, lsf, htcondor). Workers started here inherit this
            process's environment, with ``PYTHONHASHSEED=0``.

    Raises:
        SchedulerError: Anything else, with what is accepted (see :func:`check_scheduler`).
    """
    kind = check_scheduler(spec)
    spec = (spec or "").strip()
    if kind in ("", "address"):
        yield spec
    elif kind == "local":
        from distributed import LocalCluster

        with LocalCluster(n_workers=int(spec.split(":", 1)[1]), threads_per_worker=1, processes=True,
                          dashboard_address=None, env={"PYTHONHASHSEED": "0"}) as cluster:
            yield cluster.scheduler_address
    else:
        with _jobqueue_cluster(Path(spec)) as cluster:
            yield cluster.scheduler_address
