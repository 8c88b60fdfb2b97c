"""Every page, in both languages, in a real browser, on the demo data with hostile names.

Pages are found from the app's routes (a new page is visited without changing this file, unless
its path has a parameter not in PATH_VALUES: then the test fails and says so). Every asset,
area, deficit, suggestion and report name is taken from an XSS payload corpus; on each page:
axe-core finds 0 WCAG 2.2 A/AA violations, no payload runs (window.__xss stays unset, no script
error), no request leaves the server, and the payloads that the page shows are shown exactly.
Connector pages are visited signed in as the connector whose patch holds the payload assets,
admin pages as an admin (the connector's name is a payload too).
"""

import importlib
import json
import pkgutil
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.routing import APIRoute
from playwright.sync_api import Browser
from sqlalchemy import select
from sqlalchemy.orm import Session

import app.web as web
from app.models import Area, AssetArea, Deficit, User
from app.services.demo import load_demo
from app.services.needs.areas import assign_all_assets
from app.web.routing import PageRouter
from tests.api.conftest import LiveServer, insert_assets
from tests.web.browser import Visit, axe_violations, open_visit

# Each would set window.__xss if it ran: as HTML, in a JavaScript template literal, in a string,
# in an attribute, or as a template expression.
XSS_CORPUS = [
    "<script>window.__xss=1</script>Hall",
    "<img src=x onerror=window.__xss=2> club",
    '"><svg onload=window.__xss=3> cafe',
    "${window.__xss=4} lunch",
    "`+(window.__xss=5)+` market",
    "\\`;window.__xss=6;// garden",
    "';window.__xss=7;' library",
    "{{7*7}} {% if 1 %}choir{% endif %}",
    "</textarea><script>window.__xss=9</script> shed",
    "<a href=javascript:window.__xss=10>park</a>",
]
KINDS = ["group", "space", "organisation", "service", "business", "culture"]
PASSWORD = "correct horse battery staple"
POINT = (-4.404021, 52.35215)  # in Aberllyn: the demo lunch club's place


@dataclass
class World:
    """The demo data plus hostile records, and who can sign in."""

    asset_ids: list[int]
    pending_id: int
    connector_email: str
    area_code: str
    deficit_id: int = 0
    admin_email: str = ""
    user_id: int = 0


@pytest.fixture
def world(session: Session, make_user: Callable[..., Any]) -> World:
    result = load_demo(session)
    assert result.ok
    deficits = session.scalars(select(Deficit).order_by(Deficit.id)).all()
    for deficit, name in zip(deficits, XSS_CORPUS, strict=False):
        deficit.title_en = name
    rows = [
        {"kind": KINDS[i % len(KINDS)], "name_en": name, "name_cy": name if i % 2 else None,
         "description_en": name, "address": name,
         "lon": POINT[0] + i / 300, "lat": POINT[1] - 0.004,
         "search_text": "payload " + name.lower(), "themes": ["food"]}
        for i, name in enumerate(XSS_CORPUS)
    ]  # fmt: skip
    ids = insert_assets(session, rows)
    (pending,) = insert_assets(
        session,
        [{"kind": "group", "name_en": XSS_CORPUS[3], "status": "pending",
          "lon": POINT[0], "lat": POINT[1] + 0.001}],
    )  # fmt: skip
    assign_all_assets(session)
    areas = session.scalars(
        select(Area)
        .join(AssetArea, AssetArea.area_id == Area.id)
        .where(AssetArea.asset_id.in_(ids))
        .distinct()
        .order_by(Area.code)
    ).all()
    areas[0].name_en, areas[0].name_cy = XSS_CORPUS[0], XSS_CORPUS[1]
    session.commit()
    make_user("connector", patch=[a.code for a in areas], password=PASSWORD)
    make_user("admin", password=PASSWORD)
    connector = session.scalars(select(User).where(User.email == "connector1@example.org")).one()
    connector.display_name = XSS_CORPUS[2]
    session.commit()
    return World(
        ids,
        pending,
        "connector1@example.org",
        areas[0].code,
        deficits[0].id,
        admin_email="admin2@example.org",
        user_id=connector.id,
    )


# Values for the path parameters of pages; a page with another parameter fails the test.
PATH_VALUES: dict[str, Callable[[World], object]] = {
    "asset_id": lambda w: w.asset_ids[7],  # named with template tags
    "code": lambda w: w.area_code,
    "deficit_id": lambda w: w.deficit_id,  # titled with a script tag
    "user_id": lambda w: w.user_id,  # the connector, named with a payload
}
# Query strings that make a page show what it is for (results, a chosen place).
QUERIES = {"/search": "?q=payload", "/embed": f"?bbox={POINT[0] - 0.005},{POINT[1] - 0.008},"
           f"{POINT[0] + 0.035},{POINT[1] + 0.004}"}  # fmt: skip
# Not pages to look at: a sign-out is a form post, the planner table as CSV and an account's
# data downloads (tested in tests/web/test_planner_answer.py, tests/accounts), and the links
# sent by email answer only a token made for one account (tests/accounts, and the browser
# journey of tests/web/test_coproduction_journey.py).
NOT_VISITED = {"/sign-out", "/planner/areas.csv", "/account/download", "/confirm", "/reset/new"}


def page_routers() -> list[PageRouter]:
    """The router of every page module in app/web."""
    routers = []
    for info in pkgutil.iter_modules(web.__path__):
        module = importlib.import_module(f"app.web.{info.name}")
        router = getattr(module, "router", None)
        if isinstance(router, PageRouter):
            routers.append(router)
    return routers


def page_paths() -> list[str]:
    """The GET page paths of the app, without the /cy twins (each is visited in both)."""
    found = {
        route.path
        for router in page_routers()
        for route in router.routes
        if isinstance(route, APIRoute)
        and "GET" in route.methods
        and not route.path.startswith("/cy")
    }
    return sorted(found - NOT_VISITED)


def path_for(template: str, world: World) -> str:
    """A page's path with its parameters filled in from the world, and its query string."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in PATH_VALUES:
            pytest.fail(f"{template}: add a value for {{{name}}} to PATH_VALUES")
        return str(PATH_VALUES[name](world))

    return re.sub(r"\{(\w+)(?::\w+)?\}", value, template) + QUERIES.get(template, "")


def sign_in_as(visit: Visit, email: str) -> None:
    """Sign the browser context in (the session cookie), with the test password."""
    response = visit.context.request.post(
        visit.base + "/api/v1/auth/session", data={"email": email, "password": PASSWORD}
    )
    assert response.status == 200, response.text()


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_every_page_is_accessible_and_runs_nothing_it_shows(
    browser: Browser, web: LiveServer, world: World, lang: str
) -> None:
    paths = page_paths()
    assert {"/", "/search", "/assets/{asset_id}", "/planner", "/areas/{code}"} <= set(paths)
    visit = open_visit(browser, web.url)
    signed_in_as = ""
    problems: dict[str, Any] = {}
    try:
        for template in paths:
            # Admin pages as the admin; connector pages as the connector of the payloads.
            if template.startswith("/admin") and signed_in_as != "admin":
                sign_in_as(visit, world.admin_email)
                signed_in_as = "admin"
            elif template.startswith("/connector") and signed_in_as != "connector":
                sign_in_as(visit, world.connector_email)
                signed_in_as = "connector"
            path = ("/cy" if lang == "cy" else "") + path_for(template, world)
            page = visit.go(path)
            visit.settle()
            found = {
                "axe": axe_violations(page),
                "xss": page.evaluate("window.__xss"),
                "errors": list(visit.errors),
                "elsewhere": list(visit.elsewhere),
            }
            if any(found.values()):
                problems[path] = found
            visit.errors.clear()
    finally:
        visit.context.close()
    assert problems == {}, json.dumps(problems, indent=1)


def test_payload_names_are_shown_exactly(visit: Visit, world: World) -> None:
    for index in (0, 7):
        page = visit.go(f"/assets/{world.asset_ids[index]}")
        assert page.locator("h1").inner_text() == XSS_CORPUS[index]
        label = page.locator(".folium-map").get_attribute("aria-label")
        assert label is not None and XSS_CORPUS[index] in label
    page = visit.go("/search?q=payload")
    shown = " ".join(page.locator("main").all_inner_texts())
    for name in XSS_CORPUS:
        assert name in shown, name
    assert page.evaluate("window.__xss") is None
