"""Benchmark: rounding statistics to 10 significant digits, one Python call per element against NumPy.

``analysis.numerics.round_significant`` rounds arrays in NumPy and sends only the elements it cannot prove
equal (ties, out-of-range scales) through Python's correctly rounded formatting, which used to round every
element (``np.vectorize`` over ``_significant``). Prints one JSON line per array size: ``n``,
``per_element_s`` (the old path), ``array_s`` (the current one), ``speedup``, ``identical`` (every float
equal, bit for bit).

The arrays imitate what the topic model rounds: c-TF-IDF weights (many small positive values) and
document-topic probabilities, plus a share of values that end in 5 at the 11th digit.

Run: ``.venv/bin/python bench/numerics.py [--sizes 100000 1000000]``. Needs no data.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from analysis import numerics
from analysis.numerics import ZERO_FLOOR, round_significant


def _per_element(x: np.ndarray) -> np.ndarray:
    return np.vectorize(lambda v: numerics._significant(v, 10, ZERO_FLOOR), otypes=[np.float64])(x)


def _values(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    weights = rng.gamma(0.3, 0.02, size=n // 2)           # c-TF-IDF-like: skewed, small
    probs = rng.dirichlet(np.ones(20), size=n // 40).ravel()  # topic probabilities
    ties = np.round(rng.uniform(-1, 1, size=n - weights.size - probs.size), 11)
    return np.concatenate([weights, probs, ties])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    for n in args.sizes:
        x = _values(n, args.seed)
        started = time.perf_counter()
        old = _per_element(x)
        per_element = time.perf_counter() - started
        started = time.perf_counter()
        new = round_significant(x)
        array = time.perf_counter() - started
        print(json.dumps({"n": int(x.size), "per_element_s": round(per_element, 3), "array_s": round(array, 4),
                          "speedup": round(per_element / max(array, 1e-9), 1),
                          "identical": bool(np.array_equal(old.view(np.int64), new.view(np.int64)))}), flush=True)


if __name__ == "__main__":
    main()
