"""A connector's journey in a real browser: sign in through the form, open the patch, add an
asset by clicking the map (or looking up its postcode), see it listed; every page accessible."""

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import expect
from sqlalchemy import update
from sqlalchemy.orm import Session

from app.models import Asset
from app.services import users
from tests.conftest import ADMIN, Patches, person_body
from tests.web.browser import Visit, axe_violations

PASSWORD = "a long enough password"
XSS = "<img src=x onerror=window.__xss=1> club"


def _work_for_the_patch(
    client: TestClient, session: Session, patches: Patches, make_user: Any
) -> None:
    """A suggestion, a report, a lapsed consent and an introduction in the west patch."""
    west = {"type": "Point", "coordinates": list(patches.west_point)}
    suggestion = {"kind": "group", "name_en": XSS, "location": west, "note": "<b>hi</b>"}
    suggested = client.post("/api/v1/suggestions", json=suggestion)
    assert suggested.status_code == 201, suggested.text
    person = client.post("/api/v1/assets", json=person_body(location=west), headers=ADMIN)
    person_id = person.json()["id"]
    report = client.post(f"/api/v1/assets/{person_id}/reports", json={"problem": "wrong"},
                         headers=ADMIN)  # fmt: skip
    assert report.status_code == 201, report.text
    session.execute(update(Asset).where(Asset.id == person_id)
                    .values(consent_expires_at=datetime.now(UTC) - timedelta(days=2)))  # fmt: skip
    session.commit()
    intro = {"theme": "food", "near": list(patches.west_point), "message": "<i>Cooking</i>"}
    made = client.post("/api/v1/introductions", json=intro, headers=make_user("resident"))
    assert made.status_code == 201, made.text


def _check(visit: Visit, path: str) -> None:
    page = visit.go(path)
    assert axe_violations(page) == [], path


@pytest.mark.parametrize(
    ("prefix", "sign_in", "add", "save", "use_postcode"),
    [("", "Sign in", "Add an asset", "Save", False),
     ("/cy", "Mewngofnodi", "Ychwanegu ased", "Cadw", True)],
)  # fmt: skip
def test_a_connector_signs_in_and_adds_an_asset_from_the_map(
    visit: Visit,
    client: TestClient,
    session: Session,
    patches: Patches,
    make_user: Any,
    add_postcode: Any,
    prefix: str,
    sign_in: str,
    add: str,
    save: str,
    use_postcode: bool,
) -> None:
    users.create_user(session, email="con@example.org", role="connector", actor="test",
                      password=PASSWORD, patch=[patches.west])  # fmt: skip
    session.commit()
    add_postcode("CF5 1AA", -3.26, 51.47)
    _work_for_the_patch(client, session, patches, make_user)

    page = visit.go(f"{prefix}/connector")  # not signed in: sent to the sign-in form
    assert page.url.endswith(f"{prefix}/sign-in?next=" + quote(f"{prefix}/connector", safe=""))
    assert axe_violations(page) == []
    page.get_by_label("Email" if not prefix else "Cyfeiriad e-bost").fill("con@example.org")
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name=sign_in).click()
    page.wait_for_url(f"**{prefix}/connector")
    assert axe_violations(page) == []
    for path in ("/connector/moderation", "/connector/consents", "/connector/introductions"):
        _check(visit, prefix + path)

    page = visit.go(f"{prefix}/connector")
    page.get_by_role("main").get_by_role("link", name=add).first.click()
    page.wait_for_url(f"**{prefix}/connector/assets/new")
    assert axe_violations(page) == []
    page.locator("#name_en").fill("Canton repair cafe")
    page.locator("#kind-space").check()
    if use_postcode:
        page.locator("#postcode").fill("cf5 1aa")
        page.locator("#postcode-lookup").click()
        expect(page.locator("#location-status")).not_to_be_empty()
        assert float(page.locator("#lon").input_value()) == pytest.approx(-3.26)
        assert float(page.locator("#lat").input_value()) == pytest.approx(51.47)
    else:
        page.locator(".folium-map").click()
        lon = float(page.locator("#lon").input_value())
        lat = float(page.locator("#lat").input_value())
        assert -3.3 < lon < -3.2 and 51.4 < lat < 51.5  # the map shows the patch
    page.locator(".folium-map .leaflet-marker-icon").wait_for()
    assert axe_violations(page) == []
    page.get_by_role("button", name=save, exact=True).click()
    page.wait_for_url(f"**{prefix}/connector?done=added")

    assert "Canton repair cafe" in page.locator(".patch-assets").inner_text()
    page.set_viewport_size({"width": 320, "height": 640})
    for path in ("/connector", "/connector/assets/new", "/connector/moderation"):
        page = visit.go(prefix + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 320, path
    assert XSS not in page.content()
    assert page.evaluate("window.__xss") is None
    assert visit.errors == []
    assert visit.elsewhere == []
