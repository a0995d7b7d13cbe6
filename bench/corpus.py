"""Benchmark: load + clean + segment the public BBC and NewsAPI corpora.

Prints one JSON line per dataset: articles/s for the whole of
``prepare_corpus`` (decode, repair, boilerplate rules, dates, language,
exclusions incl. near duplicates, segmentation, atomic writes), the time of
each stage, and the peak resident memory of the process. Each dataset runs in
a fresh interpreter so the peaks do not mix. Target (issue 2): the 2,225 BBC
articles in under 20 s on a 2-core machine.

Run: ``.venv/bin/python bench/corpus.py``. Skips (with a message) any dataset
missing from ../shared/datasets.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time

DATASETS = {"bbc_news": "bbc_news.jsonl", "deepseek_newsapi_2025": "articles.jsonl"}


def run_one(name: str) -> dict:
    from analysis import corpus, segmentation
    from analysis.paths import DatasetMissingError, dataset_path

    try:
        path = dataset_path(name, DATASETS[name])
    except DatasetMissingError as exc:
        return {"dataset": name, "skipped": str(exc)}
    start = time.perf_counter()
    articles, _, _ = corpus.load_corpus_audited(path)
    loaded = time.perf_counter()
    segmentation.segment_articles(articles)
    segmented = time.perf_counter()
    with tempfile.TemporaryDirectory() as out:
        begin = time.perf_counter()
        tables = corpus.prepare_corpus(path, out_dir=out, force=True)
        total = time.perf_counter() - begin
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"dataset": name, "articles": len(articles), "kept": len(tables.articles),
            "sentences": len(tables.sentences), "prepare_s": round(total, 2),
            "articles_per_s": round(len(articles) / total, 1),
            "load_clean_s": round(loaded - start, 2), "segment_s": round(segmented - loaded, 2),
            "peak_rss_mb": round(peak_mb, 1)}


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        print(json.dumps(run_one(sys.argv[2])), flush=True)
        return
    for name in DATASETS:
        subprocess.run([sys.executable, __file__, "--one", name], check=True)


if __name__ == "__main__":
    main()
