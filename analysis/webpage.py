"""Reducing an HTML page to its article text and the metadata the page states.

Used by :mod:`analysis.sources` for ``.html``/``.htm`` corpus files. The page
chrome (navigation, header, footer, asides, figures, scripts, forms) is dropped
before the text is read, so it never reaches cleaning or analysis.
"""

from __future__ import annotations

__all__ = ["html_to_text"]

_HTML_DROP = ["script", "style", "noscript", "nav", "header", "footer", "aside", "form",
              "figure", "figcaption", "iframe", "svg", "button"]
_HTML_BLOCKS = ["p", "h2", "h3", "h4", "li", "blockquote", "pre"]


def html_to_text(html: str) -> dict:
    """Reduce an HTML page to its article text and the metadata it states.

    Scripts, styles, navigation, headers, footers, asides, figures and forms are
    dropped; the ``<article>`` element (else ``<main>``, else ``<body>``) is read
    block by block (paragraphs, sub-headings, list items), blocks joined by a
    blank line.

    Returns:
        dict with keys ``text``, ``title`` (og:title, else ``<h1>``, else
        ``<title>``), ``published`` (article:published_time or ``<time datetime>``,
        as a string), ``url`` (canonical link or og:url); missing values are "".
    """
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    meta = _html_metadata(soup)
    for tag in soup.find_all(_HTML_DROP):
        tag.decompose()
    root = soup.find("article") or soup.find("main") or soup.body or soup
    blocks = [" ".join(el.get_text(" ", strip=True).split()) for el in root.find_all(_HTML_BLOCKS)
              if not el.find_parent(_HTML_BLOCKS)]
    blocks = [b for b in blocks if b]
    if not blocks:
        blocks = [line.strip() for line in root.get_text("\n").split("\n") if line.strip()]
    meta["text"] = "\n\n".join(blocks)
    return meta


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
