"""Benchmark: the whole study (every stage, every notebook) on corpora of 2k, 20k and 100k articles.

No new data: each pseudo-article draws about 20 sentences (seeded) from the BBC News and 20 Newsgroups pools in
``../shared/datasets``, with an outlet drawn from the registry and a date in 2025. Sentences that name China,
Japan or Malaysia (real pool sentences) are drawn at the rate measured on the development corpus
(``ai_news_portrayal_dev``, printed; 8% when it is absent), so the sentiment and frame stages see a realistic
number of country passages.

For each size the study runs in a fresh process (``python -m analysis run``) with empty caches, and the script
prints one JSON line per stage (each notebook is a stage; ``total`` is the whole run):
``size, stage, seconds, articles_per_s, peak_rss_mb`` (peak resident memory of the largest process, the
notebook kernel). The corpora are written to ``data/external/scale/`` (git-ignored) and reused.

Run: ``.venv/bin/python bench/study_scale.py [--sizes 2000 20000 100000] [--seed 0]`` (default 2000; 100k takes hours on 2
cores today; that is what issue 16 is about), or ``--build-only`` to write the corpora. ``--only``, ``--fit-sample`` and
``--topic-assign`` are passed to the study (e.g. ``--only 01 02 03 --fit-sample 500 --topic-assign words`` times
the topic notebook with the documents outside its fitting sample assigned by their words).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "datasets"
OUT = ROOT / "data" / "external" / "scale"
STUDY = re.compile(r"\[(\d+)/(\d+)\] (\S+) done in (\d+) s")
COUNTRY = re.compile(r"\b(China|Chinese|Beijing|Japan|Japanese|Tokyo|Malaysia|Malaysian|Kuala Lumpur)\b")


def _sentences(text: str) -> list[str]:
    parts = re.split(r"(?<=[.!?])\s+", re.sub(r"\s+", " ", text))
    return [p.strip() for p in parts if 40 <= len(p.strip()) <= 400 and not p.strip().startswith(">")]


def load_pool() -> list[str]:
    """Sentences of BBC News and 20 Newsgroups (skips with a message when the data are absent)."""
    bbc, news = SHARED / "bbc_news" / "bbc_news.jsonl", SHARED / "20newsgroups" / "20newsgroups_bydate.jsonl.gz"
    if not bbc.is_file() or not news.is_file():
        print(json.dumps({"skipped": f"needs {bbc} and {news} (../shared/datasets)"}))
        raise SystemExit(0)
    pool = []
    with open(bbc, encoding="utf-8") as fh:
        for line in fh:
            pool += _sentences(json.loads(line)["text"])
    with gzip.open(news, "rt", encoding="utf-8") as fh:
        for line in fh:
            pool += _sentences(json.loads(line)["text"])
    return pool


def country_rate() -> float:
    """Share of sentences naming China, Japan or Malaysia in the development corpus (0.08 when absent)."""
    path = SHARED / "ai_news_portrayal_dev" / "deepseek_news_2025.csv"
    if not path.is_file():
        return 0.08
    with open(path, encoding="utf-8") as fh:
        sentences = [s for row in csv.DictReader(fh) for s in _sentences(row["text"])]
    return sum(bool(COUNTRY.search(s)) for s in sentences) / max(len(sentences), 1)


def build_corpus(size: int, pool: list[str], *, seed: int, rate: float, per_article: int = 20) -> Path:
    """A CSV of ``size`` distinct pseudo-articles (doc_id, outlet, published, title, text), seeded."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"pseudo_{size}_{seed}.csv"
    if path.is_file():
        return path
    rng = random.Random(seed)
    naming = [s for s in pool if COUNTRY.search(s)]
    other = [s for s in pool if not COUNTRY.search(s)]
    outlets = ["Reuters", "Associated Press", "The Guardian", "BBC News", "Nikkei Asia", "The Japan Times",
               "New Straits Times", "Malay Mail", "South China Morning Post", "Xinhua", "The Straits Times",
               "Bloomberg"]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["doc_id", "outlet", "published", "title", "text"])
        for i in range(size):
            k = max(5, int(rng.gauss(per_article, 4)))
            n_naming = sum(rng.random() < rate for _ in range(k))
            body = rng.sample(naming, n_naming) + rng.sample(other, k - n_naming)
            rng.shuffle(body)
            paragraphs = [" ".join(body[j:j + 3]) for j in range(0, k, 3)]
            writer.writerow([f"a{i:06d}", rng.choice(outlets), f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                             body[0][:80], "\n\n".join(paragraphs)])
    return path


def run_study(corpus: Path, size: int, scheduler: str | None = None, jobs: int | None = None,
              options: list[str] = ()) -> list[dict]:
    """The whole study in a fresh process with empty caches; one row per notebook and a total."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "ANALYSIS_INTERIM_DIR": f"{tmp}/interim", "ANALYSIS_PROCESSED_DIR": f"{tmp}/processed",
               "TQDM_DISABLE": "1", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONHASHSEED": "0"}
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        started = time.perf_counter()
        extra = [*(["--scheduler", scheduler] if scheduler else []), *(["--jobs", str(jobs)] if jobs else []), *options]
        proc = subprocess.run([sys.executable, "-m", "analysis", "run", "--corpus", str(corpus), "--out",
                               f"{tmp}/report", *extra], cwd=ROOT, env=env, capture_output=True, text=True)
        total = time.perf_counter() - started
        peak = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before) / 1024
    if proc.returncode:
        print(json.dumps({"size": size, "error": proc.stderr[-2000:]}))
        return []
    rows = [{"size": size, "stage": m.group(3).removesuffix(".ipynb"), "seconds": int(m.group(4)),
             "articles_per_s": round(size / max(int(m.group(4)), 1), 1)} for m in STUDY.finditer(proc.stderr)]
    rows.append({"size": size, "stage": "total", "seconds": round(total, 1), "articles_per_s": round(size / total, 2),
                 "peak_rss_mb": round(peak), "scheduler": scheduler or "local", "jobs": jobs or "default",
                 "options": " ".join(options) or "default"})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000],
                        help="corpus sizes (issue 16 asks for 2000 20000 100000; the default keeps make bench short)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument("--scheduler", default=None,
                        help="passed to python -m analysis run --scheduler (e.g. local:2; default: no Dask)")
    parser.add_argument("--jobs", type=int, default=None,
                        help="passed to python -m analysis run --jobs (default: the runner's, 03-05 together)")
    parser.add_argument("--fit-sample", type=int, default=None,
                        help="passed to python -m analysis run --fit-sample (default: the runner's, 20000)")
    parser.add_argument("--topic-assign", choices=["embedding", "words"], default=None,
                        help="passed to python -m analysis run --topic-assign (default: embedding)")
    parser.add_argument("--only", nargs="+", default=None, metavar="NN",
                        help="passed to python -m analysis run --only (e.g. 01 02 03 to time the topic notebook)")
    args = parser.parse_args()
    options = [*(["--only", *args.only] if args.only else []),
               *(["--fit-sample", str(args.fit_sample)] if args.fit_sample is not None else []),
               *(["--topic-assign", args.topic_assign] if args.topic_assign else [])]
    pool = load_pool()
    rate = country_rate()
    print(json.dumps({"pool_sentences": len(pool), "pool_naming_CHN_JPN_MYS": sum(bool(COUNTRY.search(s)) for s in pool),
                      "rate_naming_in_dev_corpus": round(rate, 4)}))
    for size in args.sizes:
        corpus = build_corpus(size, pool, seed=args.seed, rate=rate)
        print(json.dumps({"size": size, "corpus": str(corpus.relative_to(ROOT)),
                          "mb": round(corpus.stat().st_size / 2**20, 1)}), flush=True)
        if not args.build_only:
            for row in run_study(corpus, size, args.scheduler, args.jobs, options):
                print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
