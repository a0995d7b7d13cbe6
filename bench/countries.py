"""Benchmark: country mention detection speed against a naive per-alias regex loop.

Reads the shared BBC News and NewsAPI DeepSeek datasets (via
``analysis.paths.dataset_path``), segments them into sentences, then prints one
JSON line per measurement:

* ``detect_mentions`` on every sentence (sentences/s, best of ``--repeats``);
* a naive loop (one compiled regex per alias, each run over each sentence) on
  the first ``--naive-sentences`` sentences, together with ``detect_mentions``
  on the same sentences, and the speed-up;
* ``detect_mentions`` on a 100,000-article corpus made by resampling the
  articles with replacement (seeded), with the wall time.

Run: ``nice -n 5 .venv/bin/python bench/countries.py`` (add ``--articles 20000``
for a quicker run). Prints a skip message and exits 0 when the data is absent.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time

import numpy as np
import pandas as pd

from analysis.countries import measure as countries
from analysis.countries import gazetteer as gazetteer
from analysis.paths import DatasetMissingError, dataset_path
from analysis.corpus.segmentation import segment_articles


def load_articles() -> pd.DataFrame:
    bbc = pd.read_json(dataset_path("bbc_news", "bbc_news.jsonl"), lines=True)
    news = pd.read_json(dataset_path("deepseek_newsapi_2025", "articles.jsonl"), lines=True)
    news_text = news["description"].fillna("") + "\n\n" + news["content_snippet"].fillna("")
    return pd.concat([
        pd.DataFrame({"doc_id": bbc["id"].astype(str), "text": bbc["title"] + "\n\n" + bbc["text"]}),
        pd.DataFrame({"doc_id": news["id"].astype(str),
                      "text": news["title"].fillna("") + "\n\n" + news_text}),
    ], ignore_index=True)


def naive_mentions(texts: list[str]) -> int:
    """The baseline: one regex per alias, looped over every sentence (no exclusions, no overlap handling)."""
    table = gazetteer.load_gazetteer()
    patterns = []
    for alias, case_sensitive in zip(table["alias"], table["case_sensitive"]):
        body = re.escape(alias).replace(r"\ ", r"\s+")
        patterns.append(re.compile(r"(?<!\w)" + body + r"(?!\w)", 0 if case_sensitive else re.IGNORECASE))
    n = 0
    for text in texts:
        for pattern in patterns:
            for _ in pattern.finditer(text):
                n += 1
    return n


def timed(fn, repeats: int):
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def resample(sentences: pd.DataFrame, doc_ids: np.ndarray, n_articles: int, seed: int) -> pd.DataFrame:
    """Sentences of ``n_articles`` articles drawn with replacement; each draw gets a new doc_id."""
    rng = np.random.default_rng(seed)
    drawn = rng.integers(0, len(doc_ids), size=n_articles)
    by_doc = sentences.groupby("doc_id", sort=False).indices
    rows = [by_doc[doc_ids[i]] for i in drawn]
    lengths = np.fromiter((len(r) for r in rows), dtype=np.int64, count=len(rows))
    take = np.concatenate(rows)
    out = sentences.iloc[take].reset_index(drop=True)
    out["doc_id"] = np.repeat(np.arange(n_articles), lengths)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--naive-sentences", type=int, default=5_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    try:
        articles = load_articles()
    except DatasetMissingError as exc:
        print(f"SKIP bench/countries.py: {exc}")
        return 0
    _, sentences = segment_articles(articles)
    texts = sentences["text"].tolist()
    start = time.perf_counter()
    countries.detect_mentions(["warm up"])  # builds and caches the automaton
    build_s = time.perf_counter() - start
    print(json.dumps({"measure": "matcher_build", "seconds": round(build_s, 3),
                      "aliases": int(len(gazetteer.load_gazetteer()))}))

    secs, mentions = timed(lambda: countries.detect_mentions(sentences), args.repeats)
    print(json.dumps({"measure": "detect_mentions_all", "data": "bbc_news + deepseek_newsapi_2025",
                      "articles": int(len(articles)), "sentences": int(len(sentences)),
                      "mentions": int(len(mentions)), "seconds": round(secs, 3),
                      "sentences_per_s": round(len(sentences) / secs)}))

    sub = sentences.iloc[: args.naive_sentences]
    sub_texts = texts[: args.naive_sentences]
    fast_s, fast = timed(lambda: countries.detect_mentions(sub), args.repeats)
    naive_s, naive_n = timed(lambda: naive_mentions(sub_texts), 1)
    print(json.dumps({"measure": "speedup_vs_naive_regex_loop", "sentences": int(len(sub)),
                      "detect_mentions_per_s": round(len(sub) / fast_s),
                      "naive_per_s": round(len(sub) / naive_s),
                      "speedup": round(naive_s / fast_s, 1), "mentions_fast": int(len(fast)),
                      "matches_naive": int(naive_n)}))

    big = resample(sentences, articles["doc_id"].to_numpy(), args.articles, args.seed)
    big_s, big_mentions = timed(lambda: countries.detect_mentions(big), 1)
    print(json.dumps({"measure": "detect_mentions_resampled", "articles": args.articles,
                      "sentences": int(len(big)), "mentions": int(len(big_mentions)),
                      "seconds": round(big_s, 2),
                      "sentences_per_s": round(len(big) / big_s), "under_a_minute": big_s < 60}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
