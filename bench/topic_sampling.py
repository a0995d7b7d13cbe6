"""Benchmark: topics fitted on a seeded sample (``TopicModel(fit_sample=...)``) against the full fit.

For each sample size, the study's default topic model (spectral clustering of the cosine k-NN graph, the
same number of topics as the full fit) is fitted on a seeded sample, and every other document is assigned
a topic in both ways the package offers (``assign``): ``embedding`` (the nearest topic centroid of the
sentence vectors, so every document must be encoded) and ``words`` (the nearest topic centroid of TF-IDF
vectors built on the sample, so only the sample is encoded). Printed, one JSON line each:

- first ``dataset, n_docs, encoded`` (documents not yet in the embedding cache), ``embed_seconds`` and
  ``docs_per_second`` (encoded documents per second, model loading and cache reads included);
- then per fit ``fit_sample, assign, seconds`` (fit and assignment from cached vectors), ``npmi`` and
  ``diversity`` of the topic words (NPMI on all the documents; the same for both assignments),
  ``ari_vs_full`` (agreement of the document assignments with the full fit's), ``same_as_embedding``
  (for ``words``: share of the documents outside the sample given the topic the embedding assignment
  gives them), ``unassigned`` (documents left as outliers) and ``ari_vs_category``: agreement with a
  reference the topic model never saw (BBC News: the five editorial sections; 20 Newsgroups: the 20
  newsgroups). For ``words``, ``ari_vs_full_diff`` and ``ari_vs_category_diff`` give its ARI minus the
  embedding assignment's, with a 95% paired bootstrap interval over documents (500 resamples, seeded).
  For ``embedding``, ``ari_between_draws`` is the agreement with the same fit on another seeded sample
  (``--seed`` + 1): how much of the partition is due to which documents were drawn (the full fit's
  spectral clustering does not depend on the seed, so its own figure is 1).

Usage:
    nice -n 5 .venv/bin/python bench/topic_sampling.py                          # BBC News, samples 500 1000
    nice -n 5 .venv/bin/python bench/topic_sampling.py --dataset 20newsgroups --limit 20000 --samples 5000 10000
Skips with a message when ``../shared/datasets`` is absent.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path


os.environ.setdefault("TQDM_DISABLE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from sklearn.metrics import adjusted_rand_score  # noqa: E402
from topics import load_20ng_labelled  # noqa: E402

from analysis.embeddings import cache_missing, embed_texts, load_embedder  # noqa: E402
from analysis.paths import DatasetMissingError, dataset_path  # noqa: E402
from analysis.topics.measure import TopicModel, sample_rows  # noqa: E402
from analysis.topics.validation import npmi_coherence, topic_diversity  # noqa: E402


def load_bbc_with_sections() -> tuple[list[str], list[str]]:
    with open(dataset_path("bbc_news", "bbc_news.jsonl"), encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    return [r["title"] + "\n\n" + r["text"] for r in rows], [r.get("category", r.get("label", "")) for r in rows]


def fit(docs, vectors, *, fit_sample, n_topics, seed, assign="embedding"):
    started = time.perf_counter()
    model = TopicModel(random_state=seed, n_topics=n_topics, fit_sample=fit_sample, assign=assign).fit(
        docs, embeddings=vectors)
    return model, time.perf_counter() - started


def paired_difference(a, b, reference, *, seed: int, resamples: int = 500) -> list[float]:
    """ARI(reference, a) - ARI(reference, b) and its 95% percentile bootstrap interval over documents."""
    from scipy.stats import bootstrap

    def diff(x, y, r):
        return adjusted_rand_score(r, x) - adjusted_rand_score(r, y)

    ci = bootstrap((a, b, reference), diff, paired=True, vectorized=False, n_resamples=resamples,
                   method="percentile", random_state=np.random.default_rng(seed)).confidence_interval
    return [round(diff(a, b, reference), 3), round(float(ci.low), 3), round(float(ci.high), 3)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=["bbc_news", "20newsgroups"], default="bbc_news")
    parser.add_argument("--limit", type=int, default=None, help="20 Newsgroups: documents drawn (seeded)")
    parser.add_argument("--samples", type=int, nargs="+", default=[500, 1000])
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    try:
        if args.dataset == "bbc_news":
            docs, reference = load_bbc_with_sections()
        else:
            docs, reference, _ = load_20ng_labelled(args.limit, args.seed)
    except DatasetMissingError as exc:
        print(json.dumps({"skipped": str(exc)}))
        return
    missing = len(cache_missing(docs, embedder=load_embedder()))
    started = time.perf_counter()
    vectors = embed_texts(docs)
    seconds = time.perf_counter() - started
    print(json.dumps({"dataset": args.dataset, "n_docs": len(docs), "encoded": missing,
                      "embed_seconds": round(seconds, 1),
                      "docs_per_second": round(missing / seconds, 2) if missing else None}), flush=True)
    full, seconds = fit(docs, vectors, fit_sample=None, n_topics=None, seed=args.seed)
    k = len(full.topic_words_)
    truth = full.document_topics_["topic"].to_numpy()

    def report(model, seconds, size, assign, by_embedding=None, draws=None):
        topics = model.document_topics_["topic"].to_numpy()
        row = {"dataset": args.dataset, "n_docs": len(docs), "fit_sample": size or len(docs), "assign": assign,
               "n_topics": len(model.topic_words_), "seconds": round(seconds, 1),
               "npmi": round(npmi_coherence(model.topic_words_, docs), 3),
               "diversity": round(topic_diversity(model.topic_words_), 3),
               "ari_vs_full": round(adjusted_rand_score(truth, topics), 3),
               "ari_vs_category": round(adjusted_rand_score(reference, topics), 3),
               "unassigned": int((topics == -1).sum())}
        if draws is not None:
            row["ari_between_draws"] = round(adjusted_rand_score(draws, topics), 3)
        if by_embedding is not None:
            rows = sample_rows(len(docs), size, args.seed)
            rest = np.setdiff1d(np.arange(len(docs)), [] if rows is None else rows)
            row["same_as_embedding"] = round(float((topics[rest] == by_embedding[rest]).mean()), 3)
            for name, against in (("ari_vs_full_diff", truth), ("ari_vs_category_diff", reference)):
                row[name] = paired_difference(topics, by_embedding, np.asarray(against), seed=args.seed)
        print(json.dumps(row), flush=True)

    report(full, seconds, None, "none")
    for size in [s for s in args.samples if s < len(docs)]:  # a sample as large as the corpus is the full fit
        embedded, seconds = fit(docs, vectors, fit_sample=size, n_topics=k, seed=args.seed)
        other, _ = fit(docs, vectors, fit_sample=size, n_topics=k, seed=args.seed + 1)
        report(embedded, seconds, size, "embedding", draws=other.document_topics_["topic"].to_numpy())
        words, seconds = fit(docs, vectors, fit_sample=size, n_topics=k, seed=args.seed, assign="words")
        report(words, seconds, size, "words", embedded.document_topics_["topic"].to_numpy())


if __name__ == "__main__":
    main()
