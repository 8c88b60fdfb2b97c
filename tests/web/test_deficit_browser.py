"""A connector's reported gaps in a real browser (Debian Chromium): from the patch's nav to the
list with the assets that could meet each gap, report a gap by clicking the map, then close
one after confirming; axe-core finds nothing on any page, in English and in Welsh."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Deficit
from app.services import users
from tests.conftest import ADMIN, Patches
from tests.web.browser import Visit, axe_violations

PASSWORD = "a long enough password"
XSS = "<img src=x onerror=window.__xss=1> gap"


def _accessible(visit: Visit, what: str) -> None:
    assert axe_violations(visit.page) == [], what


@pytest.mark.parametrize(
    ("prefix", "texts"),
    [("", {"nav": "Reported gaps", "report": "Report a gap", "add": "Add the gap",
           "close": "Mark as addressed", "yes": "Yes, mark it as addressed",
           "added": "The gap was added.", "closed": "The gap was marked as addressed."}),
     ("/cy", {"nav": "Bylchau a adroddwyd", "report": "Adrodd am fwlch",
              "add": "Ychwanegu\u2019r bwlch", "close": "Nodi ei fod wedi cael sylw",
              "yes": "Ie, nodi ei fod wedi cael sylw",
              "added": "Mae\u2019r bwlch wedi\u2019i ychwanegu.",
              "closed": "Nodwyd bod y bwlch wedi cael sylw."})],
)  # fmt: skip
def test_a_connector_reports_a_gap_on_the_map_and_closes_another(
    visit: Visit,
    client: TestClient,
    session: Session,
    patches: Patches,
    make_asset: Any,
    prefix: str,
    texts: dict[str, str],
) -> None:
    users.create_user(session, email="con@example.org", role="connector", actor="test",
                      password=PASSWORD, patch=[patches.west])  # fmt: skip
    session.commit()
    west = {"type": "Point", "coordinates": list(patches.west_point)}
    pantry = make_asset(name_en="West pantry", name_cy="Pantri’r gorllewin", location=west)  # noqa: RUF001
    gap = {"theme": "food", "title_en": "No food bank on Saturdays", "title_cy": XSS,
           "severity": 4, "location": west}  # fmt: skip
    made = client.post("/api/v1/deficits", json=gap, headers=ADMIN)
    assert made.status_code == 201, made.text
    signed_in = visit.context.request.post(
        visit.base + "/api/v1/auth/session", data={"email": "con@example.org", "password": PASSWORD}
    )
    assert signed_in.status == 200

    page = visit.go(f"{prefix}/connector")
    page.get_by_role("navigation", name="Your patch" if not prefix else "Eich ardal").get_by_role(
        "link", name=texts["nav"]
    ).click()
    page.wait_for_url(f"**{prefix}/deficits")
    item = page.locator(".work-item").first
    assert item.get_by_role("link").first.get_attribute("href") == f"{prefix}/assets/{pantry}"
    _accessible(visit, "list")

    page.get_by_role("link", name=texts["report"]).click()
    page.wait_for_url(f"**{prefix}/deficits/new")
    page.select_option("#theme", "transport")
    page.fill("#title_en", "No bus after 7pm")
    page.locator("[data-pick-location] .folium-map").click()
    assert page.input_value("#lon") != "" and page.input_value("#lat") != ""
    page.locator(".folium-map .leaflet-marker-icon").wait_for()
    _accessible(visit, "new gap form")
    page.get_by_role("button", name=texts["add"], exact=True).click()
    page.wait_for_url(f"**{prefix}/deficits?done=added")
    assert page.get_by_role("status").inner_text() == texts["added"]
    _accessible(visit, "list after adding")

    shown = XSS if prefix else "No food bank on Saturdays"  # its Welsh title is the payload
    item = page.locator(".work-item").filter(has_text=shown)
    item.get_by_role("link", name=texts["close"]).click()
    page.wait_for_url(f"**{prefix}/deficits/*/close")
    _accessible(visit, "confirmation")
    page.get_by_role("button", name=texts["yes"]).click()
    page.wait_for_url(f"**{prefix}/deficits?done=closed")
    assert page.get_by_role("status").inner_text() == texts["closed"]
    assert shown not in page.locator("main").inner_text()
    _accessible(visit, "list after closing")

    page.set_viewport_size({"width": 320, "height": 640})
    closed_id = made.json()["id"]
    for path in ("/deficits?status=all", "/deficits/new", f"/deficits/{closed_id}/close"):
        page = visit.go(prefix + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 320, path

    session.expire_all()
    statuses = {d.title_en: d.status for d in session.scalars(select(Deficit))}
    assert statuses == {"No food bank on Saturdays": "addressed", "No bus after 7pm": "open"}
    assert page.evaluate("window.__xss") is None
    assert visit.errors == [] and visit.elsewhere == []
