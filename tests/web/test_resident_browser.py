"""Residents finding things in a real browser (Debian Chromium): accessible asset and filtered
search pages, the keyboard-only journey from a postcode to an asset, and "use my location"."""

from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser

from tests.api.conftest import LiveServer
from tests.web.browser import Visit, axe_violations, open_visit

SPLOTT = (-3.1566, 51.4812)
HALL = {
    "kind": "space",
    "name_en": "Splott community hall",
    "name_cy": "Neuadd gymunedol Sblot",
    "search_text": "splott community hall",
    "themes": ["food"],
    "address": "1 Splott Road, Cardiff",
    "postcode": "CF24 2AA",
    "email": "bookings.for.the.community.hall.in.splott@example.org",
    "phone": "029 2000 0000",
    "website": "https://hall.example.org/",
    "opening_hours": [{"day": "mon", "opens": "09:00", "closes": "12:30"}],
    "accessibility": ["step_free_access"],
    "languages": ["cy", "en"],
    "last_verified_at": datetime(2024, 3, 4, tzinfo=UTC),
}


@pytest.mark.parametrize(
    "path",
    [
        "/assets/{id}",
        "/cy/assets/{id}",
        "/search?q=splott&theme=food&kind=space",
        "/cy/search?q=splott&theme=food&kind=space",
    ],
)
def test_asset_and_filtered_search_pages_are_accessible_and_fit_320_pixels(
    visit: Visit, add_assets: Callable[..., list[int]], path: str
) -> None:
    (hall,) = add_assets(HALL)
    add_assets({"name_en": "Splott library", "search_text": "splott", "lon": -3.15})
    page = visit.go(path.format(id=hall))
    page.locator(".leaflet-marker-icon").first.wait_for()
    assert axe_violations(page) == []
    assert visit.errors == [] and visit.elsewhere == []
    page.set_viewport_size({"width": 320, "height": 640})  # and no sideways scrolling
    assert page.evaluate("document.documentElement.scrollWidth") <= 320


def test_a_keyboard_user_goes_from_a_postcode_to_an_assets_details(
    visit: Visit,
    add_assets: Callable[..., list[int]],
    add_postcode: Callable[[str, float, float], None],
) -> None:
    add_postcode("CF24 2AA", *SPLOTT)
    (hall,) = add_assets(HALL)
    add_assets({"name_en": "Farther club", "lon": SPLOTT[0], "lat": SPLOTT[1] + 0.005})
    page = visit.go("/")

    def tab_to(selector: str) -> None:
        for _ in range(40):
            page.keyboard.press("Tab")
            if page.evaluate(f"document.activeElement.matches({selector!r})"):
                return
        pytest.fail(f"Tab never reached {selector}")

    tab_to("input#q")
    page.keyboard.type("cf24 2aa")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "1 km of CF24 2AA" in page.locator("#results-heading").inner_text()
    tab_to(".results a")
    assert page.evaluate("document.activeElement.getAttribute('href')") == f"/assets/{hall}"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert urlsplit(page.url).path == f"/assets/{hall}"
    assert page.locator("h1").inner_text() == "Splott community hall"
    assert page.locator(".opening-hours tbody tr").inner_text().split() == [
        "Monday", "09:00", "to", "12:30"
    ]  # fmt: skip
    assert "Step-free access" in page.locator(".features").inner_text()
    assert page.locator(".leaflet-marker-icon").get_attribute("alt") == "Splott community hall"


def test_use_my_location_searches_near_a_rounded_point_or_says_it_cannot(
    browser: Browser, web: LiveServer, add_assets: Callable[..., list[int]]
) -> None:
    add_assets(
        {"name_en": "Next door cafe", "lon": -3.1567, "lat": 51.4813, "themes": ["food"]},
        {"name_en": "Round the corner", "lon": -3.1566, "lat": 51.4852, "themes": ["food"]},
        {"name_en": "Housing advice", "lon": -3.1566, "lat": 51.4812, "themes": ["housing"]},
        {"name_en": "Far hall", "lon": -3.1566, "lat": 51.4912, "themes": ["food"]},
    )
    here = {"latitude": 51.481234, "longitude": -3.156789}
    visit = open_visit(browser, web.url, geolocation=here, permissions=["geolocation"])
    try:
        page = visit.go("/cy/")
        button = page.get_by_role("button", name="Defnyddio fy lleoliad")
        assert button.is_visible()
        page.locator("summary").click()
        page.get_by_label("Bwyd").check()
        with page.expect_navigation():
            button.click()
        url = urlsplit(page.url)
        assert url.path == "/cy/search"
        assert parse_qs(url.query) == {
            "near": ["51.481,-3.157"], "theme": ["food"], "radius": ["1000"],
        }  # fmt: skip
        names = page.locator(".result-name").all_inner_texts()
        assert names == ["Next door cafe", "Round the corner"]
        markers = page.locator(".result-marker").evaluate_all("ms => ms.map(m => m.alt)")
        assert sorted(markers) == sorted(f"{n}. {name}" for n, name in enumerate(names, 1))
        searched = page.locator(".searched-here")
        assert searched.get_attribute("alt") == "Fe chwilioch chi o\u2019r fan hon (eich lleoliad)"
        assert visit.errors == [] and visit.elsewhere == []
    finally:
        visit.context.close()
    refused = open_visit(browser, web.url)  # no permission: the browser says no
    try:
        page = refused.go("/")
        page.get_by_role("button", name="Use my location").click()
        status = page.locator(".locate-status")
        status.wait_for()
        assert status.inner_text() == (
            "We could not find where you are. Search by postcode or place name instead."
        )
        assert urlsplit(page.url).path == "/"
    finally:
        refused.context.close()
