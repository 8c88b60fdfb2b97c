"""The pages work under their Content-Security-Policy (no 'unsafe-inline', a nonce per response):
the maps, the planner, the resident's forms and the connector's pages in Chromium on the demo
data, with no CSP violation reported."""

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Browser
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Asset
from app.services.demo import load_demo
from app.services.needs.areas import assign_all_assets
from tests.api.conftest import LiveServer
from tests.web.browser import Visit, open_visit

AREA = "X01000020"
PASSWORD = "correct horse battery staple"
# Run in every document before its own scripts; a violation is recorded, never thrown.
WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(
  e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + (e.sourceFile || '') + ':' +
  e.lineNumber));
"""


@pytest.fixture
def demo(session: Session, make_user: Callable[..., Any]) -> int:
    """The demo data with a connector for all of it; a published asset's id."""
    assert load_demo(session).ok
    assign_all_assets(session)
    session.commit()
    make_user("connector", password=PASSWORD)
    return session.scalars(
        select(Asset.id).where(Asset.status == "published", Asset.kind == "group")
    ).first()


def violations(visit: Visit, path: str) -> list[str]:
    """The CSP violations while the page at `path` loads and settles."""
    page = visit.go(path)
    page.wait_for_load_state("networkidle")
    return list(page.evaluate("window.__csp"))


def watched(browser: Browser, web: LiveServer) -> Visit:
    """A browser context on the live server that records CSP violations."""
    visit = open_visit(browser, web.url)
    visit.context.add_init_script(WATCH)
    return visit


def test_public_pages_and_maps_run_under_the_policy(
    browser: Browser, web: LiveServer, demo: int
) -> None:
    visit = watched(browser, web)
    try:
        found = {
            path: violations(visit, path)
            for path in (
                "/",
                "/search?q=lunch",
                f"/assets/{demo}",
                f"/cy/assets/{demo}",
                "/planner?theme=food",
                f"/areas/{AREA}",
                "/deficits",
                "/embed",
                "/suggest",
                "/sign-in",
            )
        }
        # The planner's map drew its areas (its script ran) and its key shows the deciles.
        page = visit.go("/planner?theme=food")
        page.locator("path.leaflet-interactive").first.wait_for()
        assert page.locator(".planner-deciles svg.planner-swatch").count() == 10
    finally:
        visit.context.close()
    assert {p: v for p, v in found.items() if v} == {}
    assert visit.errors == []


def test_connector_pages_run_under_the_policy(browser: Browser, web: LiveServer, demo: int) -> None:
    visit = watched(browser, web)
    try:
        signed = visit.context.request.post(
            web.url + "/api/v1/auth/session",
            data={"email": "connector1@example.org", "password": PASSWORD},
        )
        assert signed.status == 200, signed.text()
        found = {
            path: violations(visit, path)
            for path in (
                "/connector",
                "/connector/assets/new",
                f"/connector/assets/{demo}/edit",
                "/connector/checks",
            )
        }
    finally:
        visit.context.close()
    assert {p: v for p, v in found.items() if v} == {}
    assert visit.errors == []


def test_an_inline_script_without_the_nonce_is_refused(browser: Browser, web: LiveServer) -> None:
    visit = watched(browser, web)
    try:
        page = visit.go("/")
        page.evaluate(
            """() => { const s = document.createElement('script');
                       s.textContent = 'window.__ran = 1'; document.body.append(s); }"""
        )
        page.wait_for_function("window.__csp.length > 0")
        assert page.evaluate("window.__ran") is None
        assert any(v.startswith("script-src") for v in page.evaluate("window.__csp"))
    finally:
        visit.context.close()
