"""Benchmark: topics fitted on a seeded sample (``TopicModel(fit_sample=...)``) against the full fit.

For each sample size, the study's default topic model (spectral clustering of the cosine k-NN graph, the
same number of topics as the full fit) is fitted on a seeded sample and every other document is assigned
to the nearest topic centroid. Printed per fit, one JSON line: ``dataset, n_docs, fit_sample, seconds``
(fit from cached embeddings), ``npmi`` and ``diversity`` of the topic words (NPMI on all the documents),
``ari_vs_full`` (agreement of the document assignments with the full fit's), and, for BBC News,
``ari_vs_category`` (agreement with the five editorial sections, a reference the topic model never saw).

Usage:
    nice -n 5 .venv/bin/python bench/topic_sampling.py                          # BBC News, samples 500 1000
    nice -n 5 .venv/bin/python bench/topic_sampling.py --dataset 20newsgroups --limit 20000 --samples 2000 5000
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

from sklearn.metrics import adjusted_rand_score  # noqa: E402
from topics import load_20ng  # noqa: E402

from analysis.embeddings import embed_texts  # noqa: E402
from analysis.paths import DatasetMissingError, dataset_path  # noqa: E402
from analysis.topics.measure import TopicModel  # noqa: E402
from analysis.topics.validation import npmi_coherence, topic_diversity  # noqa: E402


def load_bbc_with_sections() -> tuple[list[str], list[str]]:
    with open(dataset_path("bbc_news", "bbc_news.jsonl"), encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    return [r["title"] + "\n\n" + r["text"] for r in rows], [r.get("category", r.get("label", "")) for r in rows]


def fit(docs, vectors, *, fit_sample, n_topics, seed):
    started = time.perf_counter()
    model = TopicModel(random_state=seed, n_topics=n_topics, fit_sample=fit_sample).fit(docs, embeddings=vectors)
    return model, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=["bbc_news", "20newsgroups"], default="bbc_news")
    parser.add_argument("--limit", type=int, default=None, help="20 Newsgroups: documents drawn (seeded)")
    parser.add_argument("--samples", type=int, nargs="+", default=[500, 1000])
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    try:
        if args.dataset == "bbc_news":
            docs, sections = load_bbc_with_sections()
        else:
            docs, _ = load_20ng(args.limit, args.seed)
            sections = None
    except DatasetMissingError as exc:
        print(json.dumps({"skipped": str(exc)}))
        return
    started = time.perf_counter()
    vectors = embed_texts(docs)
    print(json.dumps({"dataset": args.dataset, "n_docs": len(docs), "embed_seconds": round(time.perf_counter() - started, 1)}),
          flush=True)
    full, seconds = fit(docs, vectors, fit_sample=None, n_topics=None, seed=args.seed)
    k = len(full.topic_words_)
    reference = full.document_topics_["topic"].to_numpy()
    for size in [None, *args.samples]:
        model, seconds = (full, seconds) if size is None else fit(docs, vectors, fit_sample=size, n_topics=k,
                                                                  seed=args.seed)
        topics = model.document_topics_["topic"].to_numpy()
        row = {"dataset": args.dataset, "n_docs": len(docs), "fit_sample": size or len(docs), "n_topics": len(model.topic_words_),
               "seconds": round(seconds, 1), "npmi": round(npmi_coherence(model.topic_words_, docs), 3),
               "diversity": round(topic_diversity(model.topic_words_), 3),
               "ari_vs_full": round(adjusted_rand_score(reference, topics), 3)}
        if sections is not None:
            row["ari_vs_category"] = round(adjusted_rand_score(sections, topics), 3)
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
