"""Reducing an HTML page to its article text and the metadata the page states.

Used by :mod:`analysis.corpus.sources` for ``.html``/``.htm`` corpus files. Page chrome
is dropped before the text is read, so it never reaches cleaning or analysis:

1. by tag: scripts, styles, navigation, headers, footers, asides, figures,
   forms, dialogs, embedded media;
2. by markup: elements whose class names, id, role or aria-label match an
   ``html_block`` rule of ``analysis/resources/boilerplate_rules.csv`` (reader
   comments, related/recommended/read-more blocks, cookie/consent banners,
   sharing, newsletter and ad slots, landmark roles). The element holding the
   article body is never dropped this way, nor are its ancestors: it is the
   element with the most paragraph text directly inside it, outside the matched
   elements (so a wrapper whose class happens to say ``share-enabled`` keeps
   the story, while the comment thread inside it goes).

Text-level leftovers (a cookie notice without recognisable markup that ends up
as the first paragraph) are removed, and logged, by the text rules in
:func:`analysis.corpus.text.clean_text`.
"""

from __future__ import annotations

import re

from analysis.corpus.text import load_boilerplate_rules

__all__ = ["html_to_text"]

_HTML_DROP = ["script", "style", "noscript", "template", "nav", "header", "footer", "aside",
              "form", "dialog", "figure", "figcaption", "iframe", "svg", "canvas", "button",
              "select", "input", "textarea", "label", "object", "embed", "video", "audio",
              "picture", "img", "map", "menu"]
_HTML_BLOCKS = ["p", "h2", "h3", "h4", "li", "blockquote", "pre"]
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NON_LETTERS = re.compile(r"[^a-z]+")


def html_to_text(html: str) -> dict:
    """Reduce an HTML page to its article text and the metadata it states.

    Chrome is dropped by tag and by markup (see the module docstring); the
    ``<article>`` holding the body (else the first ``<article>``, else ``<main>``,
    else ``<body>``) is read block by block (paragraphs, sub-headings, list
    items), blocks joined by a blank line.

    Returns:
        dict with keys ``text``, ``title`` (og:title, else ``<h1>``, else
        ``<title>``), ``published`` (article:published_time or ``<time datetime>``,
        as a string), ``url`` (canonical link or og:url); missing values are "".

    Example:
        >>> html_to_text("<article><p>Story.</p><div id='comments'><p>Hi!</p></div></article>")["text"]
        'Story.'
    """
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    meta = _html_metadata(soup)
    for tag in soup.find_all(_HTML_DROP):
        tag.decompose()
    body = _drop_marked_blocks(soup)
    root = _content_root(soup, body)
    blocks = [" ".join(el.get_text(" ", strip=True).split()) for el in root.find_all(_HTML_BLOCKS)
              if not el.find_parent(_HTML_BLOCKS)]
    blocks = [b for b in blocks if b]
    if not blocks:
        blocks = [line.strip() for line in root.get_text("\n").split("\n") if line.strip()]
    meta["text"] = "\n\n".join(blocks)
    return meta


def _markup_keys(tag) -> list[str]:
    """Class names, id, role and aria-label as lower-case words joined by '-'.

    ``relatedArticles`` -> ``related-articles``; ``Comments (12)`` -> ``comments``.
    """
    values = [*(tag.get("class") or []), *str(tag.get("role") or "").split(),
              str(tag.get("id") or ""), str(tag.get("aria-label") or "")]
    keys = (_NON_LETTERS.sub("-", _CAMEL.sub("-", v).lower()).strip("-") for v in values)
    return [k for k in keys if k]


def _drop_marked_blocks(soup):
    """Drop the elements an html_block rule matches, sparing the body container.

    Returns:
        The body container (see :func:`_body_container`), or None when the page has no ``<p>``.
    """
    rules = [r.regex for r in load_boilerplate_rules() if r.scope == "html_block"]
    marked = [tag for tag in soup.find_all(True) if tag.name not in ("html", "body")
              and any(rule.fullmatch(key) for key in _markup_keys(tag) for rule in rules)]
    body = _body_container(soup, {id(tag) for tag in marked})
    spared = {id(body), *(id(parent) for parent in body.parents)} if body is not None else set()
    for tag in marked:
        if id(tag) not in spared and not tag.decomposed:
            tag.decompose()
    return body


def _body_container(soup, marked: set[int]):
    """The element with the most ``<p>`` text directly inside it, preferring one outside marked elements."""
    totals: dict[int, list] = {}
    for paragraph in soup.find_all("p"):
        parent = paragraph.parent
        entry = totals.setdefault(id(parent), [parent, 0])
        entry[1] += len(paragraph.get_text(strip=True))
    if not totals:
        return None
    outside = [(n, i, el) for i, (el, n) in enumerate(totals.values())
               if not any(id(t) in marked for t in (el, *el.parents))]
    pool = outside or [(n, i, el) for i, (el, n) in enumerate(totals.values())]
    return max(pool, key=lambda item: (item[0], -item[1]))[2]


def _content_root(soup, body):
    """The ``<article>`` (else ``<main>``) holding the body container, else the first one, else ``<body>``."""
    if body is not None and not body.decomposed:
        for name in ("article", "main"):
            if body.name == name:
                return body
            holder = body.find_parent(name)
            if holder is not None:
                return holder
    return soup.find("article") or soup.find("main") or soup.body or soup


def _html_metadata(soup) -> dict:
    def meta_content(**attrs) -> str:
        tag = soup.find("meta", attrs=attrs)
        return (tag.get("content") or "").strip() if tag else ""

    h1 = soup.find("h1")
    title_tag = soup.find("title")
    title = (meta_content(property="og:title") or (h1.get_text(" ", strip=True) if h1 else "")
             or (title_tag.get_text(" ", strip=True) if title_tag else ""))
    time_tag = soup.find("time")
    published = (meta_content(property="article:published_time")
                 or (time_tag.get("datetime", "") if time_tag else ""))
    canonical = soup.find("link", rel="canonical")
    url = (canonical.get("href", "") if canonical else "") or meta_content(property="og:url")
    if h1 is not None:
        h1.decompose()
    return {"title": title, "published": published, "url": url}
