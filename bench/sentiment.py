"""Throughput of the sentiment scorers on NewsMTSC target mentions (CPU), VADER beside the target model.

Run: ``nice -n 5 .venv/bin/python bench/sentiment.py [--n 1000] [--threads 2] [--batch-size 64]``
Prints one JSON line per measurement; skips with a message when the shared data is absent.
Target (issue 5): >= 200 target mentions/s on a 2-core CPU for the ``target`` scorer; measured
in fp32 (the validated model) and with ``quantize=True`` (dynamic int8 linears).
"""

from __future__ import annotations

import argparse
import json
import os
import time

import pandas as pd


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1000, help="mentions to score per scorer")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()
    import torch

    from analysis import sentiment as sm
    from analysis.paths import DatasetMissingError
    from analysis.sentiment_train import load_newsmtsc

    torch.set_num_threads(args.threads)
    try:
        data = pd.concat([load_newsmtsc(s) for s in ("test_mt", "dev_mt", "dev_rw")], ignore_index=True)
    except DatasetMissingError as exc:
        print(json.dumps({"bench": "sentiment", "skipped": str(exc)}))
        return 0
    data = data.iloc[: args.n]
    sentences, spans = list(data.sentence), list(zip(data.start, data.end))
    sm.predict_target_sentiment(sentences[:8], spans[:8], scorer="target")  # load + warm up, not timed
    sm.predict_target_sentiment(sentences[:8], spans[:8], scorer="target", quantize=True)
    for scorer, quantize in (("vader", False), ("target", False), ("target", True)):
        t0 = time.perf_counter()
        sm.predict_target_sentiment(sentences, spans, scorer=scorer, batch_size=args.batch_size, quantize=quantize)
        seconds = time.perf_counter() - t0
        print(json.dumps({
            "bench": "sentiment", "scorer": scorer + ("_int8" if quantize else ""), "mentions": len(sentences), "seconds": round(seconds, 2),
            "mentions_per_s": round(len(sentences) / seconds, 1), "threads": args.threads,
            "batch_size": args.batch_size, "mean_chars": round(float(data.sentence.str.len().mean()), 1),
            "load_avg_1min": round(os.getloadavg()[0], 2), "cpus": os.cpu_count(),
        }), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
