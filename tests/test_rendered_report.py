"""The committed rendered study opens in a real headless browser with its figures loaded.

Skips with a clear message where no Chromium/ChromeDriver is installed (``.ci/run``
installs them).
"""

from __future__ import annotations

import pytest

from analysis.browser import BrowserUnavailableError, find_browser, open_browser, page_images
from analysis.paths import REPORTS_DIR

REPORT_FOLDERS = [REPORTS_DIR, REPORTS_DIR / "newsapi"]


@pytest.fixture(scope="module")
def browser():
    try:
        find_browser()
    except BrowserUnavailableError as exc:
        pytest.skip(str(exc))
    drv = open_browser()
    yield drv
    drv.quit()


@pytest.mark.parametrize("folder", REPORT_FOLDERS, ids=["bundled", "newsapi"])
def test_index_links_synthesis_first_and_shows_loaded_figures(browser, folder):
    index = folder / "index.html"
    assert index.is_file(), f"{index} missing: run `make study` (and the NewsAPI rerun, see README) and commit reports/"
    images = page_images(browser, index)
    assert len(images) >= 3
    assert all(img["complete"] and img["width"] > 0 for img in images), images
    links = [a.get_attribute("href") for a in browser.find_elements("css selector", "ol a")]
    assert links and links[0].endswith("06_synthesis.html")


@pytest.mark.parametrize("folder", REPORT_FOLDERS, ids=["bundled", "newsapi"])
def test_synthesis_page_renders_figures_inline(browser, folder):
    page = folder / "06_synthesis.html"
    assert page.is_file(), f"{page} missing: run the study and commit reports/"
    images = page_images(browser, page)
    assert len(images) >= 2
    assert all(img["complete"] and img["width"] > 100 for img in images), images
    assert "Traceback" not in browser.find_element("tag name", "body").text
