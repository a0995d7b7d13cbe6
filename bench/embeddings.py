"""Cost and effect of the reproducible encoder: float64 + 2**-20 quantisation against plain float32.

Encodes the first ``--n`` sentences of BBC News (no cache) twice, with the package's encoder
(float64 forward pass, vectors quantised to 2**-20; the same on any CPU) and with the same
MiniLM in float32 (sentence-transformers' default; same batching and quantisation), and prints
one JSON line per variant: sentences/s, and for float32 how far its vectors and the cosine
similarities of 5,000 random sentence pairs are from the reproducible ones. Skips with a message when
the shared data is absent.

Run: ``.venv/bin/python bench/embeddings.py [--n 2000] [--threads 2]``
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000, help="sentences to encode")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    if args.n < 2:
        parser.error("--n must be at least 2")
    import torch

    from analysis.corpus import prepare as corpus
    from analysis.corpus import segmentation as segmentation
    from analysis.embeddings import load_embedder
    from analysis.paths import DatasetMissingError, dataset_path

    torch.set_num_threads(args.threads)
    try:
        path = dataset_path("bbc_news", "bbc_news.jsonl")
    except DatasetMissingError as exc:
        print(json.dumps({"bench": "embeddings", "skipped": str(exc)}))
        return 0
    articles, _, _ = corpus.load_corpus_audited(path)
    sentences = segmentation.segment_articles(articles)[1]["text"].tolist()[: args.n]
    embedder = load_embedder()
    embedder.encode(sentences[:32])  # warm-up (model load)
    t0 = time.perf_counter()
    exact = embedder.encode(sentences)
    seconds64 = time.perf_counter() - t0
    embedder._model = embedder.model.to(torch.float32)  # the same weights and batching, in float32
    t0 = time.perf_counter()
    loose = embedder.encode(sentences)
    seconds32 = time.perf_counter() - t0
    embedder._model = None  # the next use reloads the reproducible float64 model
    pairs = np.random.default_rng(0).integers(0, len(sentences), size=(5000, 2))
    cos64 = np.einsum("ij,ij->i", exact[pairs[:, 0]].astype(float), exact[pairs[:, 1]].astype(float))
    cos32 = np.einsum("ij,ij->i", loose[pairs[:, 0]].astype(float), loose[pairs[:, 1]].astype(float))
    common = {"bench": "embeddings", "sentences": len(sentences), "threads": args.threads,
              "load_avg_1min": round(os.getloadavg()[0], 2), "cpus": os.cpu_count()}
    print(json.dumps({**common, "variant": "float64, quantised 2**-20 (default)",
                      "sentences_per_s": round(len(sentences) / seconds64, 1)}))
    print(json.dumps({**common, "variant": "float32 (not reproducible across CPUs)",
                      "sentences_per_s": round(len(sentences) / seconds32, 1),
                      "max_abs_vector_difference": float(np.abs(loose - exact).max()),
                      "share_of_components_differing": round(float((loose != exact).mean()), 4),
                      "max_abs_cosine_difference": float(np.abs(cos32 - cos64).max())}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
