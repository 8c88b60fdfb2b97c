"""Driving Debian's Chromium: a browser context that stays on the live server, and axe-core.

Every request a page makes to anywhere but the live server is refused and recorded, so a test
can assert that pages work offline.
"""

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
# Without the background-networking flags Chromium tries Google's hosts at every start.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class Visit:
    """A browser context on the live server: its page, and what it asked for elsewhere."""

    context: BrowserContext
    page: Page
    base: str
    elsewhere: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    in_flight: int = 0
    last_activity: float = field(default_factory=time.monotonic)

    def go(self, path: str) -> Page:
        """Open a path of the live server and wait until the page and its files have loaded."""
        response = self.page.goto(self.base + path, wait_until="load")
        assert response is not None and response.status == 200, path
        return self.page

    def settle(self, quiet: float = 0.15, limit: float = 30) -> Page:
        """Wait until the page has had no request in flight for `quiet` seconds: Playwright's
        "networkidle" with a shorter window (its 0.5 s, paid at every visit, was most of the
        browser tests' time). A request a script sends when another's answer arrives starts
        within the window, so the page's fetches and what they draw have all happened."""
        deadline = time.monotonic() + limit
        while self.in_flight or time.monotonic() - self.last_activity < quiet:
            assert time.monotonic() < deadline, f"requests still in flight after {limit} s"
            self.page.wait_for_timeout(20)  # lets Playwright deliver the request events
        return self.page

    def _started(self, _request: object) -> None:
        self.in_flight += 1
        self.last_activity = time.monotonic()

    def _ended(self, _request: object) -> None:
        self.in_flight = max(0, self.in_flight - 1)
        self.last_activity = time.monotonic()


def open_visit(browser: Browser, base: str, **context_options: Any) -> Visit:
    """A new browser context that refuses (and records) requests off the live server."""
    context = browser.new_context(**context_options)
    visit = Visit(context, context.new_page(), base)
    local = urlsplit(base).netloc

    def guard(route: Route) -> None:
        url = route.request.url
        visit.requests.append(url)
        if urlsplit(url).netloc == local or url.startswith(("data:", "about:")):
            route.continue_()
        else:
            visit.elsewhere.append(url)
            route.abort()

    context.route("**/*", guard)
    visit.page.on("pageerror", lambda error: visit.errors.append(str(error)))
    visit.page.on("request", visit._started)
    visit.page.on("requestfinished", visit._ended)
    visit.page.on("requestfailed", visit._ended)
    return visit


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.0/2.1/2.2 A and AA violations on the page as it is now."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `make install` (npm ci)")
    # A click that navigates returns once the new document commits, before its style sheets
    # load: unstyled links are small touch targets, so measure the page once it has loaded.
    page.wait_for_load_state("load")
    # Leaflet fades popups in: measure contrast once they are fully shown.
    page.wait_for_function(
        "() => [...document.querySelectorAll('.leaflet-popup')]"
        ".every(p => getComputedStyle(p).opacity === '1')"
    )
    # Evaluated through the browser's own protocol: a <script> tag would be inline script, which
    # the pages' Content-Security-Policy rightly refuses.
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;true")
    result = page.evaluate(
        """() => axe.run(document, {runOnly: {type: 'tag',
             values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}})"""
    )
    return [
        {"id": v["id"], "help": v["help"], "nodes": [n["html"][:200] for n in v["nodes"]]}
        for v in result["violations"]
    ]
