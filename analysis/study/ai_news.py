"""The study on real AI news: the development corpora of ``../shared`` as one corpus file, and its run.

``python -m analysis ai-news`` (``make ai-news``) builds ``data/external/ai_news/articles.csv`` from the two
development corpora of ``../shared/datasets/ai_news_portrayal_dev`` and runs every notebook on it into
``reports/ai_news/``. The corpus file holds third-party text and stays out of the repository (``data/external``
is git-ignored); the report quotes at most ``quote_words`` words of any passage, beside its outlet and link.

What goes in, and why:

- ``deepseek_news_2025.csv``: 114 full texts on DeepSeek (Western outlets, SCMP, Al Jazeera), Jan–Mar 2025.
- ``asia_ai_news_dev.csv``: 86 leads (first paragraphs) of Japanese, Malaysian, regional and wire outlets' AI
  news, 2023–2025.
- Not the NewsAPI records (``deepseek_newsapi_2025``): headline and standfirst only, from the same DeepSeek
  query as the first file, naming Japan in 2 and Malaysia in 1 of 681; they would add outlets to one side of the
  comparison only and mix a third kind of document into it.

Collection and document type are confounded with outlet group (Western outlets appear mostly as DeepSeek full
texts, Japanese and Malaysian outlets only as leads), so the columns ``collection`` and ``document_type`` travel
with every article and the report says so beside every outlet-group comparison
(:func:`analysis.corpus.design_notes`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis import paths
from analysis.io import atomic_write_bytes

__all__ = ["AI_NEWS_DATASET", "AI_NEWS_FILES", "AI_NEWS_CORPUS", "AI_NEWS_REPORT", "CorpusBuild",
           "build_ai_news_corpus", "run_ai_news", "audit_quotes"]

AI_NEWS_DATASET = "ai_news_portrayal_dev"
#: File -> (collection name, document type).
AI_NEWS_FILES = {"deepseek_news_2025.csv": ("deepseek_full_text", "full text"),
                 "asia_ai_news_dev.csv": ("asia_leads", "lead")}
AI_NEWS_CORPUS = paths.DATA_DIR / "external" / "ai_news" / "articles.csv"
AI_NEWS_REPORT = paths.REPORTS_DIR / "ai_news"
INPUT_COLUMNS = ["title", "outlet", "published", "url", "text"]
COLUMNS = ["doc_id", "title", "outlet", "published", "url", "text", "collection", "document_type"]


@dataclass(frozen=True)
class CorpusBuild:
    """What :func:`build_ai_news_corpus` wrote and left out (every row of the inputs is accounted for)."""

    path: Path
    rows_read: dict[str, int]
    written: int
    heldout: int
    duplicates: int
    empty: int

    def lines(self) -> list[str]:
        read = ", ".join(f"{name}: {n}" for name, n in self.rows_read.items())
        return [f"Read {sum(self.rows_read.values())} rows ({read}).",
                f"Left out: {self.heldout} held-out page(s), {self.duplicates} duplicate page(s), "
                f"{self.empty} row(s) without text.",
                f"Wrote {self.written} articles to {self.path}."]


def build_ai_news_corpus(dest: str | Path = AI_NEWS_CORPUS) -> CorpusBuild:
    """Write the real-corpus study's articles as one CSV (``COLUMNS``), sorted by document key.

    ``doc_id`` is the page identity (:func:`analysis.annotation.sources.normalise_url`), the key the stand-off
    annotations use. Pages on the held-out list are left out and counted; so are repeated pages (the first copy
    wins, files in ``AI_NEWS_FILES`` order) and rows without text.

    Raises:
        DatasetMissingError: the development corpora are not in ``../shared/datasets``.
        ValueError: a file without one of ``INPUT_COLUMNS``, or a row without a usable URL (names the file and
            row).
    """
    from analysis.annotation.documents import heldout_path
    from analysis.annotation.sources import is_heldout, load_heldout, normalise_url

    heldout = load_heldout(heldout_path()) if heldout_path().exists() else frozenset()
    frames, rows_read = [], {}
    for name, (collection, doc_type) in AI_NEWS_FILES.items():
        source = paths.dataset_path(AI_NEWS_DATASET, name)
        table = pd.read_csv(source, dtype=str, keep_default_na=False)
        missing = [c for c in INPUT_COLUMNS if c not in table.columns]
        if missing:
            raise ValueError(f"{source}: column(s) {missing} missing (found {list(table.columns)}); the study needs "
                             f"{INPUT_COLUMNS}. Restore the file from the dataset's source (see its README).")
        rows_read[name] = len(table)
        keys = []
        for row, url in enumerate(table["url"], start=2):
            try:
                keys.append(normalise_url(url))
            except ValueError as exc:
                raise ValueError(f"{source} line {row}: {exc}. Fix or remove the row; nothing was written.") from None
        frames.append(pd.DataFrame({
            "doc_id": keys, "title": table["title"].str.strip(), "outlet": table["outlet"].str.strip(),
            "published": table["published"].str.strip(), "url": table["url"].str.strip(),
            "text": table["text"], "collection": collection, "document_type": doc_type}))
    articles = pd.concat(frames, ignore_index=True)
    held = articles["url"].map(lambda u: is_heldout(u, heldout))
    articles = articles[~held]
    empty = articles["text"].str.strip() == ""
    articles = articles[~empty]
    dup = articles["doc_id"].duplicated(keep="first")
    articles = articles[~dup].sort_values("doc_id", kind="stable")[COLUMNS]
    dest = Path(dest)
    atomic_write_bytes(dest, articles.to_csv(index=False, lineterminator="\n").encode("utf-8"))
    return CorpusBuild(path=dest, rows_read=rows_read, written=len(articles), heldout=int(held.sum()),
                       duplicates=int(dup.sum()), empty=int(empty.sum()))


def run_ai_news(out: str | Path = AI_NEWS_REPORT, *, seed: int = 42, log=print) -> list[Path]:
    """Build the corpus and run every notebook on it into ``out`` (the committed ``reports/ai_news``)."""
    from analysis.study.runner import RunConfig, run_study

    build = build_ai_news_corpus()
    for line in build.lines():
        log(line)
    return run_study(RunConfig(corpus=build.path, out=Path(out), seed=seed), log=log)


def _words_of(path: Path) -> list[str]:
    import csv
    import html
    import io
    import json
    import re

    def plain(text: str) -> str:
        return html.unescape(re.sub(r"<[^>]+>", " ", text))

    raw = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".csv":  # cells may hold line breaks: parse the file, never split it into lines first
        return " ".join(" ".join(row) for row in csv.reader(io.StringIO(raw, newline=""))).split()
    if path.suffix in (".ipynb", ".json"):
        strings: list[str] = []

        def walk(node):
            if isinstance(node, str):
                strings.append(node)
            elif isinstance(node, list):
                # notebook sources and outputs are lists of lines: one passage may span them
                if all(isinstance(x, str) for x in node):
                    strings.append("".join(node))
                else:
                    for x in node:
                        walk(x)
            elif isinstance(node, dict):
                for x in node.values():
                    walk(x)

        walk(json.loads(raw))
        return plain(" ".join(strings)).split()
    return plain(raw).split()


def _tokens(words) -> list[str]:
    """Words compared by the audit: the corpus's character normalisation (straight quotes...), lower-cased."""
    from analysis.corpus.text import normalize_text

    return normalize_text(" ".join(words)).lower().split()


def audit_quotes(folder: str | Path, texts, *, max_words: int = 30, probe: int = 8) -> pd.DataFrame:
    """Find every file of a report that quotes more than ``max_words`` consecutive words of an article.

    Every ``.csv``, ``.html``, ``.svg``, ``.ipynb`` and ``.json`` file under ``folder`` is read as words (markup
    removed, CSV cells parsed, the corpus's character normalisation applied to both sides, case ignored). Each
    run of ``probe`` words found in an article marks those words of the article as quoted; the quoted words of
    one article in one file are then joined, so two quotes that are each short but together cover a longer
    stretch (adjacent sentences in two rows, a sentence and its context in two columns) count as one passage.

    Returns:
        DataFrame ``file, article, words, first_words``: the longest joined passage per offending file and
        article (``article`` is its position in ``texts``), empty when the report keeps the rule.
    """
    import hashlib

    from analysis.study.report import _longest_run

    def key(words) -> bytes:
        return hashlib.blake2b(" ".join(words).encode("utf-8"), digest_size=12).digest()

    articles = [_tokens(str(t).split()) for t in texts]
    where: dict[bytes, list[tuple[int, int]]] = {}
    for a, words in enumerate(articles):
        for i in range(len(words) - probe + 1):
            where.setdefault(key(words[i:i + probe]), []).append((a, i))
    rows = []
    for path in sorted(Path(folder).rglob("*")):
        if not path.is_file() or path.suffix not in (".csv", ".html", ".svg", ".ipynb", ".json"):
            continue
        words = _tokens(_words_of(path))
        quoted: dict[int, set[int]] = {}
        for i in range(len(words) - probe + 1):
            for a, start in where.get(key(words[i:i + probe]), ()):
                quoted.setdefault(a, set()).update(range(start, start + probe))
        for a, positions in sorted(quoted.items()):
            run = _longest_run(sorted(positions))
            longest, best_start = len(run), run[0]
            if longest > max_words:
                rows.append({"file": path.relative_to(folder).as_posix(), "article": a, "words": longest,
                             "first_words": " ".join(articles[a][best_start:best_start + 8])})
    return pd.DataFrame(rows, columns=["file", "article", "words", "first_words"])
