"""Fixtures for the page tests: assets to find, a live server, and Debian's Chromium.

Chromium is /usr/bin/chromium (apt package `chromium`), driven by Playwright; Playwright's own
browser download is never used (tests/web/browser.py).
"""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, sync_playwright
from sqlalchemy.orm import Session

from app.models import Postcode
from app.settings import Settings
from app.spatial.geometry import point_element
from tests.api.conftest import LiveServer, insert_assets, serve
from tests.web.browser import CHROMIUM, CHROMIUM_ARGS, Visit, open_visit

SPLOTT = (-3.1566, 51.4812)


@pytest.fixture
def add_assets(session: Session) -> Callable[..., list[int]]:
    """Insert published assets (name_en, name_cy, kind, lon, lat, ...), committed; their ids."""

    def add(*rows: dict[str, Any]) -> list[int]:
        ids = insert_assets(session, [{"lon": SPLOTT[0], "lat": SPLOTT[1], **r} for r in rows])
        session.commit()
        return ids

    return add


@pytest.fixture
def add_postcode(session: Session) -> Callable[[str, float, float], None]:
    """Add a postcode centroid (normalised, e.g. 'CF24 2AA'), committed."""

    def add(postcode: str, lon: float, lat: float) -> None:
        session.add(Postcode(postcode=postcode, location=point_element(lon, lat)))
        session.commit()

    return add


@pytest.fixture
def web(settings: Settings) -> Iterator[LiveServer]:
    """The app on 127.0.0.1 (a free port), on the test database, for the browser."""
    with serve(settings) as live:
        yield live


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's headless Chromium, once per test session."""
    if not CHROMIUM.exists():
        pytest.fail("/usr/bin/chromium is missing: apt-get install chromium (make install does)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def visit(browser: Browser, web: LiveServer) -> Iterator[Visit]:
    """A fresh browser context (no cookies) on the live server, closed after the test."""
    v = open_visit(browser, web.url)
    yield v
    v.context.close()


@pytest.hookimpl(tryfirst=True)
def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Browser tests run on the embedded default only: a page is the same HTML whichever
    database answered, and every query a page runs is tested on both backends without the
    browser (tests/web TestClient tests, tests/api, tests/services). Halves the slowest tests."""
    if "browser" in metafunc.fixturenames:
        metafunc.parametrize("backend_name", ["spatialite"], scope="session")
