"""Open an mlmon page in headless Chromium (Debian's ``chromium`` driven by Playwright) and report
what a reader's browser would meet: console errors, requests, the charts' sizes, the text.

Missing Chromium or Playwright is a failure, not a skip: the pages are only checked when a
browser looks at them (``.ci/run`` installs both).
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List

CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/lib/chromium/chromium")


def chromium_path() -> str:
    """Debian's Chromium; an AssertionError (a failing test) when it is not installed."""
    for path in (os.environ.get("MLMON_CHROMIUM"), *CANDIDATES, shutil.which("chromium")):
        if path and os.access(path, os.X_OK):
            return path
    raise AssertionError("chromium is not installed: apt-get install chromium (the page tests need a real browser)")


@dataclass
class Opened:
    """What the browser saw on one page."""

    console_errors: List[str]
    page_errors: List[str]
    requests: List[str]           # every URL asked for other than the page itself
    charts: List[Dict[str, float]]  # per <svg role="img">: width, height, its aria-label
    text: str                      # the page's visible text
    cells: List[List[str]]         # every table's cells, row by row (folded tables too)
    data: Dict[str, Any]           # the page's embedded JSON, as JSON.parse reads it
    load_seconds: float
    screenshot: Path
    titles: List[str] = field(default_factory=list)  # hover titles (title attributes and <title>)
    dialogs: List[str] = field(default_factory=list)  # alert()/confirm() a script opened (none may)
    load_event_ms: float = 0.0  # the page's own navigation timing: start to the end of its load event
    heat_tip: str = ""  # the hover text over a heatmap's first cell (first column, first window)


def open_page(path: Path, screenshot: Path, width: int = 1280) -> Opened:
    """Load ``path`` from disk with every network request refused and recorded; open all folded
    parts, take a full-page screenshot, and return what was seen."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # a failure: the page tests need the browser driver
        raise AssertionError("playwright is not installed: pip install playwright (scripts/requirements-dev.txt)") from exc

    errors: List[str] = []
    page_errors: List[str] = []
    requests: List[str] = []
    dialogs: List[str] = []
    url = Path(path).resolve().as_uri()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": width, "height": 900})

            def route(r):
                if r.request.url == url or r.request.url.startswith("data:"):
                    r.continue_()
                else:
                    requests.append(r.request.url)
                    r.abort()

            page.route("**/*", route)
            page.on("console", lambda m: errors.append(m.text) if m.type in ("error", "warning") else None)
            page.on("pageerror", lambda e: page_errors.append(str(e)))
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.on("request", lambda r: r.url != url and not r.url.startswith("data:") and requests.append(r.url))
            started = time.perf_counter()
            page.goto(url, wait_until="load")
            load = time.perf_counter() - started
            load_event = page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")
            page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
            charts = page.evaluate("""[...document.querySelectorAll('svg[role=img]')].map(s => {
                const r = s.getBoundingClientRect();
                return {width: r.width, height: r.height, label: s.getAttribute('aria-label')};
            })""")
            text = page.inner_text("body")
            cells = page.evaluate("""[...document.querySelectorAll('tr')].map(
                tr => [...tr.children].map(c => c.textContent))""")
            data = page.evaluate("JSON.parse(document.getElementById('mlmon-data').textContent)")
            titles = page.evaluate("""[...document.querySelectorAll('[title]')].map(e => e.getAttribute('title'))
                .concat([...document.querySelectorAll('svg title')].map(t => t.textContent))""")
            heat_tip = ""
            if page.locator("svg[data-heat]").count():
                heat = page.locator("svg[data-heat]").first
                left, top, cw, row = map(float, heat.get_attribute("data-heat").split()[:4])
                heat.scroll_into_view_if_needed()
                box = heat.bounding_box()
                scale = box["width"] / float(heat.get_attribute("width"))
                page.mouse.move(box["x"] + (left + cw / 2) * scale, box["y"] + (top + row / 2) * scale)
                heat_tip = page.inner_text(".tip")
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    return Opened(errors, page_errors, sorted(set(requests)), charts, text, cells, data, load, Path(screenshot), titles,
                  dialogs, load_event, heat_tip)


def assert_clean(seen: Opened) -> None:
    """No console error, no script error, no request, every chart drawn with a size."""
    assert not seen.console_errors, seen.console_errors
    assert not seen.page_errors, seen.page_errors
    assert not seen.requests, seen.requests
    assert not seen.dialogs, seen.dialogs
    assert seen.charts, "no chart on the page"
    empty = [c["label"] for c in seen.charts if not (c["width"] > 0 and c["height"] > 0)]
    assert not empty, f"charts drawn without a size: {empty}"


def same_json(a: Any, b: Any) -> bool:
    """Equal as JSON values, number by number to the last digit (JavaScript reads ``1.0`` as the
    number 1, so an int and a float of the same value are equal)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b))
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return a == b and type(a) in (int, float, str, type(None)) and (a is None) == (b is None)
