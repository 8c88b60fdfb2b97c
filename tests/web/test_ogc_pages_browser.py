"""The OGC API's pages in a real browser (its own Accept header asks for them), in English and
Welsh, on the demo with hostile names: axe-core finds no WCAG 2.2 A/AA violation, nothing they
show runs, nothing is fetched from elsewhere, and a hostile name is shown exactly."""

import json

import pytest
from playwright.sync_api import Browser
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Deficit
from app.services.demo import load_demo
from tests.api.conftest import LiveServer, insert_assets
from tests.web.browser import axe_violations, open_visit

HOSTILE = [
    "<script>window.__xss=1</script>Hall",
    '"><svg onload=window.__xss=3> cafe',
    "{{7*7}} {% if 1 %}choir{% endif %}",
]
PAGES = [
    "/ogc",
    "/ogc/conformance",
    "/ogc/collections",
    "/ogc/collections/assets",
    "/ogc/collections/gaps",
    "/ogc/collections/assets/queryables",
    "/ogc/collections/assets/items?themes=arts_culture&limit=100",
    "/ogc/collections/deficits/items?limit=3",
    "/ogc/collections/areas/items?limit=3",
]


@pytest.fixture
def hostile(session: Session) -> list[int]:
    assert load_demo(session).ok
    deficit = session.scalars(select(Deficit).order_by(Deficit.id)).first()
    assert deficit is not None
    deficit.title_en = HOSTILE[1]
    ids = insert_assets(
        session,
        [{"name_en": n, "description_en": n, "themes": ["arts_culture"]} for n in HOSTILE],
    )
    session.commit()
    return ids


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_the_ogc_pages_are_accessible_and_run_nothing_they_show(
    browser: Browser, web: LiveServer, hostile: list[int], lang: str
) -> None:
    visit = open_visit(browser, web.url)
    problems = {}
    try:
        for path in [*PAGES, f"/ogc/collections/assets/items/{hostile[0]}"]:
            page = visit.go(("/cy" if lang == "cy" else "") + path)
            assert page.locator("html").get_attribute("lang") == lang
            found = {
                "axe": axe_violations(page),
                "xss": page.evaluate("window.__xss"),
                "errors": list(visit.errors),
                "elsewhere": list(visit.elsewhere),
            }
            if any(found.values()):
                problems[path] = found
        page = visit.go(("/cy" if lang == "cy" else "") + PAGES[6])
        shown = page.locator("main table").inner_text()
        for name in HOSTILE:
            assert name in shown
    finally:
        visit.context.close()
    assert problems == {}, json.dumps(problems, indent=1)
