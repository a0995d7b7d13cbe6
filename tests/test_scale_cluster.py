"""A 2-worker Dask LocalCluster run of the whole study gives the committed (local) report, byte for byte."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from analysis.paths import PROJECT_ROOT, REPORTS_DIR


@pytest.mark.slow
def test_the_study_on_a_two_worker_local_cluster_equals_the_local_run(tmp_path):
    """Every per-article stage runs on the workers, cut into 40-row chunks, from empty caches.

    The committed ``reports/`` were written by the local, one-piece run (``make study``); ``compare`` checks
    every table and figure of the cluster run against them. A fresh process with its own caches makes the
    workers compute the sentiment features and sentence vectors themselves, not read this process's caches.
    """
    env = {**os.environ, "ANALYSIS_INTERIM_DIR": str(tmp_path / "interim"),
           "ANALYSIS_PROCESSED_DIR": str(tmp_path / "processed"), "ANALYSIS_CHUNK_ROWS": "40"}
    env.pop("ANALYSIS_SCHEDULER", None)
    out = tmp_path / "report"
    run = subprocess.run([sys.executable, "-m", "analysis", "run", "--out", str(out), "--scheduler", "local:2"],
                         cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=1800, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "runs on the Dask scheduler at tcp://" in run.stderr
    sentiment_shards = list((tmp_path / "interim" / "target_features").glob("*/shard-*.npz"))
    assert len(sentiment_shards) > 1                      # scored in several chunks, each writing its own shard
    compare = subprocess.run([sys.executable, "-m", "analysis", "compare", str(out), "--against", str(REPORTS_DIR)],
                             cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert compare.returncode == 0, compare.stdout[-3000:]
    assert " are equal byte for byte" in compare.stdout
