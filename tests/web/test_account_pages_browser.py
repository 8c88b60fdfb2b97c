"""The account pages in Chromium (plain forms and links): sign up, confirm by the emailed link, my
account, forgotten password; each page free of WCAG 2.2 AA violations (axe), in both languages."""

from typing import Any

import pytest
from playwright.sync_api import Browser
from sqlalchemy.orm import Session

from tests.accounts.conftest import PASSWORD, outbox
from tests.api.conftest import LiveServer
from tests.web.browser import axe_violations, open_visit

# A page is the same HTML whichever database answered (tests/web/conftest.py).
pytestmark = pytest.mark.backend("spatialite")


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_a_resident_signs_up_confirms_and_manages_their_account(
    browser: Browser,
    web: LiveServer,
    session: Session,
    lang: str,
) -> None:
    prefix = "/cy" if lang == "cy" else ""
    visit = open_visit(browser, web.url)
    problems: dict[str, Any] = {}

    def check(name: str) -> None:
        found = axe_violations(visit.page)
        if found:
            problems[name] = found

    try:
        page = visit.go(prefix + "/sign-in")
        page.click(f"a[href='{prefix}/sign-up']")
        check("sign-up")
        page.fill("#email", "browser@example.org")
        page.fill("#password", PASSWORD)
        page.fill("#display_name", "Bethan")
        page.click("form[action$='/sign-up'] button[type=submit]")
        assert page.url.endswith(prefix + "/sign-up/sent")
        check("sign-up sent")
        link = outbox(session)[-1].link("/confirm")
        assert link.startswith(prefix + "/confirm")
        page = visit.go(link)
        assert page.url.split("?")[0].endswith(prefix + "/account")
        check("account")
        page.fill("#display_name", "Beth")
        page.check("#language-cy")
        page.click("form[action$='/account'] button[type=submit]")
        assert "done=saved" in page.url
    finally:
        visit.context.close()
    assert problems == {}


def test_the_forgotten_password_pages_have_no_accessibility_problems(
    browser: Browser,
    web: LiveServer,
) -> None:
    visit = open_visit(browser, web.url)
    try:
        page = visit.go("/sign-in")
        page.click("a[href='/reset']")
        assert axe_violations(page) == []
        page.fill("#email", "nobody@example.org")
        page.click("form[action='/reset'] button[type=submit]")
        assert page.url.endswith("/reset/sent")
        assert axe_violations(page) == []
        expired = visit.page.goto(web.url + "/reset/new?token=nonsense")
        assert expired is not None and expired.status == 422
        assert axe_violations(visit.page) == []
    finally:
        visit.context.close()
