"""Benchmark: load + clean + segment corpora, from the public datasets and a synthetic 50 MB folder.

Prints one JSON line per run:

- ``bbc_news``, ``deepseek_newsapi_2025``: articles/s for the whole of
  ``prepare_corpus`` (decode, repair, boilerplate rules, dates, language,
  exclusions incl. near duplicates, segmentation, atomic writes), the time of
  each stage, and the peak resident memory of the process. Target (issue 2):
  the 2,225 BBC articles in under 20 s on a 2-core machine. Skipped (with a
  message) when missing from ../shared/datasets.
- ``synthetic``: a seeded folder of generated text files (~50 MB by default)
  full of boilerplate the rules remove (ad labels, share prompts, photo credits,
  HTML tags, translator credits, truncation markers, head and tail lines), loaded
  with ``load_corpus_audited`` then run through ``prepare_corpus``; MB/s,
  seconds, removals logged and peak RSS. A 50 MB file with many removals never
  finished before boilerplate cutting became linear.
- ``inline_cut`` (``--compare-inline``): the old quadratic inline-removal loop
  against the current linear sweep on the same text, smaller by default.

Each run is a fresh interpreter so the memory peaks do not mix.

Run: ``.venv/bin/python bench/corpus.py`` (everything), or
``bench/corpus.py --synthetic [--mb 50] [--files 5] [--seed 0]``, or
``bench/corpus.py --compare-inline [--lines 4000]``.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DATASETS = {"bbc_news": "bbc_news.jsonl", "deepseek_newsapi_2025": "articles.jsonl"}

_WORDS = ("the of and to in a is that for on with as was by at from it be are this has have "
          "said will not or an which its their after more than but been were also new year "
          "council bridge city market bank rates prices workers plan report government budget "
          "people company officials project week month cost energy school water transport "
          "local region board members growth trade data study public local service").split()
_HEAD = ["Technology", "Published January 29, 2025"]
_LINE_JUNK = ["Advertisement", "Share this article", "Photo credit: Staff photographer",
              "Follow us on Example Social", "Read more: Earlier coverage of the council"]
_INLINE_JUNK = [" <b>", "</b> ", " (Translated by Ann Lee)", " … [+120 chars]"]
_TAIL = "Tags: council, bridge, budget, transport"


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _paragraph(rng: random.Random) -> str:
    sentences = []
    for _ in range(rng.randint(3, 6)):
        words = rng.choices(_WORDS, k=rng.randint(8, 20))
        if rng.random() < 0.3:
            words.insert(rng.randrange(len(words)), rng.choice(_INLINE_JUNK).strip())
        sentences.append(" ".join(words).capitalize() + ".")
    return " ".join(sentences)


def build_synthetic_corpus(folder: Path, *, total_mb: float, files: int, seed: int) -> int:
    """Write ``files`` seeded text files of ~``total_mb`` MB in all; returns the bytes written."""
    rng, written = random.Random(seed), 0
    per_file = int(total_mb * 1e6 / files)
    for n in range(files):
        lines, size = [f"Council report number {n} on the bridge budget", *_HEAD, ""], 0
        while size < per_file:
            line = rng.choice(_LINE_JUNK) if rng.random() < 0.25 else _paragraph(rng)
            lines += [line, ""]
            size += len(line) + 2
        lines.append(_TAIL)
        data = "\n".join(lines).encode("utf-8")
        (folder / f"doc_{n:04d}.txt").write_bytes(data)
        written += len(data)
    return written


def run_synthetic(total_mb: float, files: int, seed: int) -> dict:
    from analysis.corpus import prepare as corpus

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "synthetic"
        folder.mkdir()
        size = build_synthetic_corpus(folder, total_mb=total_mb, files=files, seed=seed)
        mb = size / 1e6
        start = time.perf_counter()
        articles, log, _ = corpus.load_corpus_audited(folder)
        load_s = time.perf_counter() - start
        del articles
        begin = time.perf_counter()
        tables = corpus.prepare_corpus(folder, out_dir=Path(tmp) / "out", force=True)
        prepare_s = time.perf_counter() - begin
    return {"dataset": "synthetic", "seed": seed, "files": files, "mb": round(mb, 1),
            "removals_logged": len(log), "load_clean_s": round(load_s, 2),
            "load_clean_mb_per_s": round(mb / load_s, 2), "prepare_s": round(prepare_s, 2),
            "prepare_mb_per_s": round(mb / prepare_s, 2), "kept": len(tables.articles),
            "sentences": len(tables.sentences), "peak_rss_mb": _peak_rss_mb()}


def _old_inline_cut(text: str, rules, removed: list) -> list:
    """The inline-removal loop before it became linear: each match minus every earlier removal."""
    def subtract(start, end):
        pieces = [(start, end)]
        for r_start, r_end in removed:
            pieces = [part for a, b in pieces
                      for part in ((a, min(b, r_start)), (max(a, r_end), b)) if part[1] > part[0]]
        return pieces

    log = []
    for rule in (r for r in rules if r.scope == "inline"):
        for match in rule.regex.finditer(text):
            fresh = subtract(match.start(), match.end())
            if fresh:
                log.append((rule.name, fresh[0][0]))
                removed.extend(fresh)
    return log


def run_compare_inline(lines: int, seed: int) -> dict:
    from analysis.corpus import text as text_module

    rng = random.Random(seed)
    parts = [rng.choice(_LINE_JUNK) if i % 2 else _paragraph(rng) + " <b>x</b>" for i in range(lines)]
    text = "\n".join(parts)
    rules = text_module.load_boilerplate_rules()
    plan, _ = text_module._plan_line_removals(text, rules, "Known title")
    spans = text_module._line_spans(text)
    line_cuts = [(spans[i][0], min(spans[i][1] + 1, len(text))) for i in sorted(plan)]
    start = time.perf_counter()
    old_log = _old_inline_cut(text, rules, list(line_cuts))
    old_s = time.perf_counter() - start
    start = time.perf_counter()
    removed, new_log = text_module._merge_spans(line_cuts), []
    for rule in (r for r in rules if r.scope == "inline"):
        removed = text_module._apply_inline_rule(text, rule, removed, new_log)
    new_s = time.perf_counter() - start
    if [(row["rule"], row["start"]) for row in new_log] != old_log:
        raise RuntimeError("old and new inline removal disagree")
    return {"dataset": "inline_cut", "lines": lines, "chars": len(text),
            "line_removals": len(line_cuts), "inline_removals": len(new_log),
            "old_quadratic_s": round(old_s, 3), "new_linear_s": round(new_s, 4),
            "speedup": round(old_s / new_s, 1) if new_s else None}


def run_one(name: str) -> dict:
    from analysis.corpus import prepare as corpus
    from analysis.corpus import segmentation as segmentation
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
    return {"dataset": name, "articles": len(articles), "kept": len(tables.articles),
            "sentences": len(tables.sentences), "prepare_s": round(total, 2),
            "articles_per_s": round(len(articles) / total, 1),
            "load_clean_s": round(loaded - start, 2), "segment_s": round(segmented - loaded, 2),
            "peak_rss_mb": _peak_rss_mb()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--one", choices=sorted(DATASETS), help=argparse.SUPPRESS)
    parser.add_argument("--synthetic", action="store_true", help="only the synthetic folder")
    parser.add_argument("--compare-inline", action="store_true",
                        help="only old vs new inline removal")
    parser.add_argument("--mb", type=float, default=50.0, help="synthetic corpus size (MB)")
    parser.add_argument("--files", type=int, default=5, help="synthetic files")
    parser.add_argument("--lines", type=int, default=4000, help="lines for --compare-inline")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.mb <= 0 or args.files < 1 or args.lines < 1:
        parser.error("--mb must be > 0, --files and --lines >= 1")
    if args.one:
        print(json.dumps(run_one(args.one)), flush=True)
    elif args.synthetic:
        print(json.dumps(run_synthetic(args.mb, args.files, args.seed)), flush=True)
    elif args.compare_inline:
        print(json.dumps(run_compare_inline(args.lines, args.seed)), flush=True)
    else:
        for name in DATASETS:
            subprocess.run([sys.executable, __file__, "--one", name], check=True)
        common = ["--seed", str(args.seed)]
        subprocess.run([sys.executable, __file__, "--synthetic", "--mb", str(args.mb),
                        "--files", str(args.files), *common], check=True)
        subprocess.run([sys.executable, __file__, "--compare-inline", "--lines", str(args.lines),
                        *common], check=True)


if __name__ == "__main__":
    main()
