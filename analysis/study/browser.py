"""Headless-browser checks of the rendered report (Chromium via Selenium, no downloads).

Only the system Chromium and ChromeDriver are used (``/usr/bin/chromium``,
``/usr/bin/chromedriver``, or ``$CHROMIUM`` / ``$CHROMEDRIVER``); Selenium is never
allowed to fetch a driver.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

__all__ = ["BrowserUnavailableError", "find_browser", "open_browser", "page_images", "screenshot_page"]


class BrowserUnavailableError(RuntimeError):
    """No local Chromium/ChromeDriver pair was found."""


def find_browser() -> tuple[str, str]:
    """Return ``(chromium, chromedriver)`` paths or raise with install advice."""
    chromium = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    driver = os.environ.get("CHROMEDRIVER") or shutil.which("chromedriver")
    if not chromium or not driver:
        raise BrowserUnavailableError(
            "No headless Chromium found (need chromium and chromedriver on PATH; on Debian: "
            "apt-get install chromium chromium-driver). .ci/run installs them."
        )
    return chromium, driver


def open_browser(*, width: int = 1280, height: int = 1600):
    """Start headless Chromium with the network-quiet flags this sandbox needs."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, driver = find_browser()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--window-size={width},{height}"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(executable_path=driver), options=options)


def page_images(browser, path: str | Path) -> list[dict]:
    """Load a local HTML file and describe its images: src prefix, loaded, natural size."""
    browser.get(Path(path).resolve().as_uri())
    return browser.execute_script(
        "return Array.from(document.images).map(i => ({src: i.src.slice(0, 60), complete: i.complete, "
        "width: i.naturalWidth, height: i.naturalHeight}));")


def screenshot_page(path: str | Path, png: str | Path) -> Path:
    """Save a PNG screenshot of a local HTML page (e.g. the synthesis notebook)."""
    browser = open_browser()
    try:
        browser.get(Path(path).resolve().as_uri())
        Path(png).parent.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(png))
    finally:
        browser.quit()
    return Path(png)
