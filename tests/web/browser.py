"""Driving Debian's Chromium: a browser context that stays on the live server, and axe-core.

Every request a page makes to anywhere but the live server is refused and recorded, so a test
can assert that pages work offline.
"""

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

    def go(self, path: str) -> Page:
        """Open a path of the live server and wait until the page and its files have loaded."""
        response = self.page.goto(self.base + path, wait_until="load")
        assert response is not None and response.status == 200, path
        return self.page


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
