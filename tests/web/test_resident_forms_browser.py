"""Residents' forms in a real browser (Debian Chromium): the map click sets the place, and every
form page passes axe-core in both languages, with errors shown too, and fits 320 px."""

from collections.abc import Callable

import pytest
from playwright.sync_api import Page
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Asset
from app.services import users
from app.settings import Settings
from app.spatial.geometry import geometry_from_db
from tests.web.browser import Visit, axe_violations

METRES_PER_DEGREE = 111_320


def _submit(page: Page) -> None:
    with page.expect_navigation():
        page.locator("form.resident-form button[type=submit]").click()


def _accessible(page: Page, what: str) -> None:
    assert axe_violations(page) == [], what


def test_a_click_on_the_map_sets_the_place_of_a_suggestion(
    visit: Visit, session: Session, add_assets: Callable[..., list[int]]
) -> None:
    add_assets({"name_en": "Splott library", "lon": -3.15, "lat": 51.48},
               {"name_en": "Tremorfa park", "lon": -3.14, "lat": 51.485})  # fmt: skip
    page = visit.go("/suggest")
    page.fill("#name_en", "Clicked club")
    page.check("#kind")
    box = page.locator("[data-pick-location]")
    assert box.is_visible()  # JavaScript shows the map
    name = box.get_attribute("data-map")
    map_element = box.locator(".folium-map")

    # With a keyboard: Enter on the focused map chooses its centre.
    map_element.focus()
    page.keyboard.press("Enter")
    centre = page.evaluate(
        f"(() => {{ const c = AssetmapMaps.get({name!r}).getCenter(); return [c.lng, c.lat]; }})()"
    )
    assert float(page.input_value("#lon")) == pytest.approx(centre[0], abs=1e-6)
    assert float(page.input_value("#lat")) == pytest.approx(centre[1], abs=1e-6)
    page.get_by_role("button", name="Clear the place chosen on the map").click()
    assert page.input_value("#lon") == "" and page.input_value("#lat") == ""

    # With a pointer: the point clicked.
    x, y = 140, 90
    map_element.click(position={"x": x, "y": y})
    expected = page.evaluate(
        f"(() => {{ const p = AssetmapMaps.get({name!r}).containerPointToLatLng([{x}, {y}]); "
        "return [p.lng, p.lat]; })()"
    )
    assert page.locator(".pick-status").inner_text().startswith("You chose a place on the map")
    assert page.locator("img.leaflet-marker-icon[alt='The place you chose']").count() == 1
    _submit(page)
    assert page.url.endswith("/suggest/thank-you")

    session.rollback()
    asset = session.scalars(select(Asset).where(Asset.name_en == "Clicked club")).one()
    assert asset.status == "pending"
    point = geometry_from_db(asset.location)
    assert abs(point.x - expected[0]) * METRES_PER_DEGREE * 0.63 < 3  # cos(51.5°) ≈ 0.62
    assert abs(point.y - expected[1]) * METRES_PER_DEGREE < 3
    assert visit.elsewhere == [] and visit.errors == []


@pytest.mark.parametrize("prefix", ["", "/cy"])
def test_the_forms_are_accessible_with_and_without_errors(
    visit: Visit,
    session: Session,
    settings: Settings,
    make_asset: Callable[..., int],
    add_postcode: Callable[[str, float, float], None],
    prefix: str,
) -> None:
    asset_id = make_asset()
    add_postcode("CF24 2AA", -3.1566, 51.4812)

    page = visit.go(prefix + "/suggest")
    _accessible(page, "suggest")
    _submit(page)
    assert page.locator(".error-summary").is_visible()
    _accessible(page, "suggest with errors")
    page.set_viewport_size({"width": 320, "height": 640})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    page.set_viewport_size({"width": 1280, "height": 720})

    page = visit.go(f"{prefix}/assets/{asset_id}/report")
    _accessible(page, "report")
    _submit(page)
    assert page.locator(".error-summary").is_visible()
    _accessible(page, "report with errors")

    page = visit.go(prefix + "/introductions/new")
    _accessible(page, "introduction, signed out")
    user = users.create_user(session, email="res@example.org", role="resident", actor="test")
    secret = users.start_session(session, user, key=settings.secret_key.get_secret_value())
    session.commit()
    visit.context.add_cookies([{"name": "assetmap_session", "value": secret, "url": visit.base}])
    page = visit.go(prefix + "/introductions/new")
    _accessible(page, "introduction")
    _submit(page)
    assert page.locator(".error-summary").is_visible()
    _accessible(page, "introduction with errors")
    page.select_option("#theme", "food")
    page.fill("#postcode", "CF24 2AA")
    _submit(page)
    assert page.locator(".people-near").is_visible()
    _accessible(page, "introduction sent")
    assert visit.elsewhere == [] and visit.errors == []
