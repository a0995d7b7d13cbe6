"""Benchmark: topic quality, stability, time and memory on BBC News and 20 Newsgroups.

Protocol (Grootendorst 2022, as far as it applies here): NPMI over each topic's
top 10 words with document co-occurrence on the same documents, and topic
diversity over the same top 10 words, averaged over models of 10, 20, 30, 40
and 50 topics and 3 seeds. Stability: 5 seeds at 30 topics (ARI of document
assignments and share of topics matched by top words, mean over seed pairs), and
under data perturbation (``subsample_ari``: two random 80% subsamples fitted with
the same seed, ARI on the documents they share, mean over 3 pairs).
``bertopic`` is BERTopic's usual pipeline as the paper ran it (analysis.topics.measure.TopicModel
with clustering="hdbscan": UMAP + HDBSCAN reduced to k topics, KeyBERTInspired + MMR
words); ``bertopic-spectral`` is our default (spectral clustering of the cosine k-NN
graph into k topics, same words); ``bertopic-kmeans`` is k-means on the UMAP vectors;
all on cached MiniLM embeddings. LDA and NMF are scikit-learn on the same documents
and stop words.

Prints one JSON line per dataset and model (keys dataset, model, npmi,
diversity, stability_ari, seconds, peak_mb, plus details and the paper's
figures). ``seconds`` is the median over seeds of a seed's first fit from cached
embeddings (UMAP included; later topic counts of that seed reuse UMAP);
``peak_mb`` is the peak resident memory of the process while that model's
fits ran (sampled every 0.1 s; includes the loaded embeddings and libraries). Embedding time is reported on its own line.

Usage:
    nice -n 5 .venv/bin/python bench/topics.py                       # BBC full, 20NG 2000 docs
    nice -n 5 .venv/bin/python bench/topics.py --datasets 20newsgroups --limit 5000
    nice -n 5 .venv/bin/python bench/topics.py --embed-only           # just fill the embedding cache
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import sys
import threading
import time

import numpy as np

os.environ.setdefault("TQDM_DISABLE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from analysis.embeddings import embed_texts  # noqa: E402
from analysis.paths import DatasetMissingError, dataset_path  # noqa: E402
from analysis.topics.validation import (  # noqa: E402
    fit_baseline_topics, fit_bertopic_topics, npmi_coherence, subsample_stability, topic_diversity, topic_stability,
)

PAPER = {  # Grootendorst (2022), Table 1, as quoted in issue 4
    ("bbc_news", "bertopic"): (0.167, 0.794), ("bbc_news", "lda"): (0.014, 0.577),
    ("bbc_news", "nmf"): (0.012, 0.549), ("20newsgroups", "bertopic"): (0.166, 0.851),
}
_QUOTE = re.compile(r"^\s*(>|\||In article <|.*\bwrites:\s*$)")


def load_bbc(limit: int | None, seed: int) -> tuple[list[str], str]:
    path = dataset_path("bbc_news", "bbc_news.jsonl")
    with open(path, encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    docs = [r["title"] + "\n\n" + r["text"] for r in rows]
    return _subsample(docs, limit, seed, "all 2,225 articles (title + text, duplicates kept)")


def load_20ng(limit: int | None, seed: int) -> tuple[list[str], str]:
    docs, _, note = load_20ng_labelled(limit, seed)
    return docs, note


def load_20ng_labelled(limit: int | None, seed: int) -> tuple[list[str], list[str], str]:
    """20 Newsgroups bodies (quoted lines removed, >= 5 words), their newsgroups, and a note on the draw."""
    path = dataset_path("20newsgroups", "20newsgroups_bydate.jsonl.gz")
    docs, groups = [], []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            body = "\n".join(ln for ln in row["text"].splitlines() if not _QUOTE.match(ln)).strip()
            if len(body.split()) >= 5:
                docs.append(body)
                groups.append(row["newsgroup"])
    idx, note = _subsample(list(range(len(docs))), limit, seed,
                           f"train+test bodies, quoted lines removed, >=5 words: {len(docs)} posts")
    return [docs[i] for i in idx], [groups[i] for i in idx], note


def _subsample(docs, limit, seed, note):
    if limit is None or limit >= len(docs):
        return docs, note
    idx = np.sort(np.random.default_rng(seed).choice(len(docs), size=limit, replace=False))
    return [docs[i] for i in idx], f"{note}; random subsample of {limit} (seed {seed})"


def fit_one(model, docs, emb, k, seed):
    if model == "bertopic":  # the paper's setting: HDBSCAN, then topic reduction to k
        return fit_bertopic_topics(docs, embeddings=emb, random_state=seed, n_topics=k, clustering="hdbscan",
                                   reduce_outliers=False)
    if model == "bertopic-kmeans":  # same pipeline with k-means (k clusters) on the UMAP vectors
        return fit_bertopic_topics(docs, embeddings=emb, random_state=seed, n_topics=k, clustering="kmeans")
    if model == "bertopic-spectral":  # our default: spectral clustering of the k-NN graph, no UMAP
        return fit_bertopic_topics(docs, embeddings=emb, random_state=seed, n_topics=k, clustering="spectral")
    return fit_baseline_topics(docs, method=model, n_topics=k, random_state=seed)


class PeakRss:
    """Peak resident memory of this process while the block runs (sampled every 0.1 s, MB)."""

    def __enter__(self):
        self.peak, self._stop = _rss_mb(), threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def _watch(self):
        while not self._stop.wait(0.1):
            self.peak = max(self.peak, _rss_mb())

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_mb())


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def bench_model(dataset, model, docs, emb, ks, seeds, stab_seeds, stab_k, note, subsample_pairs=0):
    with PeakRss() as mem:
        fits, cold, t_all = _fit_all(model, docs, emb, ks, seeds, stab_seeds, stab_k)
    scored = [fits[(k, s)] for k in ks for s in seeds]
    stab = topic_stability([fits[(stab_k, s)] for s in stab_seeds])
    sub = None
    if subsample_pairs:
        sub = subsample_stability(lambda d, embeddings=None, random_state=0: fit_one(model, d, embeddings, stab_k, random_state),
                                  docs, embeddings=emb, fraction=0.8, repeats=subsample_pairs, random_state=0)
    paper = PAPER.get((dataset, model.split("-")[0]), (None, None))
    return {"dataset": dataset, "model": model,
            "npmi": round(float(np.mean([npmi_coherence(f.topic_words, docs) for f in scored])), 4),
            "diversity": round(float(np.mean([topic_diversity(f.topic_words) for f in scored])), 4),
            "stability_ari": round(float(stab["ari"].mean()), 4),
            "subsample_ari": None if sub is None else round(float(sub["ari"].mean()), 4),
            "seconds": round(float(np.median(cold)), 2),
            "peak_mb": round(mem.peak, 1), "matched_share": round(float(stab["matched_share"].mean()), 4),
            "n_topics_found": [len(fits[(k, seeds[0])].topic_words) for k in ks],
            "total_seconds": round(time.perf_counter() - t_all, 1), "n_fits": len(fits),
            "paper_npmi": paper[0], "paper_diversity": paper[1], "n_docs": len(docs), "docs": note,
            "ks": ks, "seeds": seeds, "stability_seeds": stab_seeds, "stability_k": stab_k}


def _fit_all(model, docs, emb, ks, seeds, stab_seeds, stab_k):
    fits, cold, t_all = {}, [], time.perf_counter()
    for seed in sorted(set(seeds) | set(stab_seeds)):
        for i, k in enumerate(ks if seed in seeds else [stab_k]):
            t0 = time.perf_counter()
            fits[(k, seed)] = fit_one(model, docs, emb, k, seed)
            took = time.perf_counter() - t0
            if i == 0:  # first fit of a seed: UMAP runs (later k reuse it)
                cold.append(took)
            print(f"  {model} k={k} seed={seed}: {len(fits[(k, seed)].topic_words)} topics, {took:.1f} s",
                  file=sys.stderr, flush=True)
    return fits, cold, t_all


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", nargs="+", default=["bbc_news", "20newsgroups"])
    ap.add_argument("--models", nargs="+", default=["bertopic-spectral", "bertopic", "nmf", "lda"],
                    help="any of nmf, bertopic, bertopic-kmeans, bertopic-spectral, lda")
    ap.add_argument("--limit", type=int, default=2000, help="20 Newsgroups subsample size (BBC always full)")
    ap.add_argument("--bbc-limit", type=int, default=None)
    ap.add_argument("--ks", nargs="+", type=int, default=[10, 20, 30, 40, 50])
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    ap.add_argument("--stability-seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    ap.add_argument("--stability-k", type=int, default=30)
    ap.add_argument("--subsample-pairs", type=int, default=3,
                    help="pairs of 80%% subsamples for data-perturbation stability at --stability-k (0: skip)")
    ap.add_argument("--embed-only", action="store_true")
    args = ap.parse_args(argv)
    loaders = {"bbc_news": (load_bbc, args.bbc_limit), "20newsgroups": (load_20ng, args.limit)}
    for dataset in args.datasets:
        loader, limit = loaders[dataset]
        try:
            docs, note = loader(limit, 0)
        except DatasetMissingError as exc:
            print(json.dumps({"dataset": dataset, "skipped": str(exc)}), flush=True)
            continue
        t0 = time.perf_counter()
        emb = embed_texts(docs)
        print(json.dumps({"dataset": dataset, "step": "embed (cache-aware)", "n_docs": len(docs),
                          "seconds": round(time.perf_counter() - t0, 1), "docs": note}), flush=True)
        if args.embed_only:
            continue
        for model in args.models:
            print(json.dumps(bench_model(dataset, model, docs, emb, args.ks, args.seeds, args.stability_seeds,
                                         args.stability_k, note, args.subsample_pairs)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
