"""Throughput and validity of the sentiment scorers on NewsMTSC target mentions (CPU), VADER beside them.

Run: ``nice -n 5 .venv/bin/python bench/sentiment.py [--threads 2] [--batch-size 64] [--repeats 2]``

Scores every target of ``dev_rw``, ``dev_mt`` and ``test_mt`` (1,819 mentions) with VADER and
with the ``target`` scorer in each precision (``fp64``, the study's default and the same on any
CPU; ``fp32``; ``bf16`` autocast; dynamic ``int8``), and prints one JSON line per scorer: mentions/s (best of ``--repeats`` timed passes,
after an untimed warm-up) and macro-F1 per split from the same predictions, so speed and
validity come from one run. Skips with a message when the shared data is absent.
Target (issue 5): >= 200 target mentions/s on a 2-core CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import pandas as pd


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=2, help="timed passes per scorer (the best is kept)")
    args = parser.parse_args()
    import torch

    from analysis.sentiment import measure as sm
    from analysis.paths import DatasetMissingError
    from analysis.sentiment.validation import EVAL_SPLITS, load_newsmtsc, score_split

    torch.set_num_threads(args.threads)
    try:
        data = pd.concat([load_newsmtsc(s).assign(split=s) for s in EVAL_SPLITS], ignore_index=True)
    except DatasetMissingError as exc:
        print(json.dumps({"bench": "sentiment", "skipped": str(exc)}))
        return 0
    sentences, spans = list(data.sentence), list(zip(data.start, data.end))
    runs = [("vader", "fp32")] + [("target", p) for p in sm.PRECISIONS]
    for scorer, precision in runs:
        sm.predict_target_sentiment(sentences[:64], spans[:64], scorer=scorer, precision=precision)  # warm-up
        best = float("inf")
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            out = sm.predict_target_sentiment(sentences, spans, scorer=scorer, batch_size=args.batch_size,
                                              precision=precision)
            best = min(best, time.perf_counter() - t0)
        f1 = {s: round(score_split(data.label[data.split == s], out.label[data.split == s])["macro_f1"], 4)
              for s in EVAL_SPLITS}
        print(json.dumps({
            "bench": "sentiment", "scorer": scorer if scorer == "vader" else f"target_{precision}",
            "mentions": len(sentences), "seconds": round(best, 2), "mentions_per_s": round(len(sentences) / best, 1),
            "macro_f1": f1, "threads": args.threads, "batch_size": args.batch_size,
            "bf16_native": sm.bf16_supported(), "load_avg_1min": round(os.getloadavg()[0], 2),
            "cpus": os.cpu_count(),
        }), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
