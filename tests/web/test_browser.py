"""Pages in a real browser (Debian Chromium): accessible, offline, bilingual, narrow-screen safe."""

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Browser

from app.settings import Settings
from tests.api.conftest import LiveServer, serve
from tests.web.browser import Visit, axe_violations, open_visit

# Shown exactly, never run: each would set window.__xss if it ran as HTML or JavaScript.
XSS_NAMES = [
    "<img src=x onerror=window.__xss=1> club",
    "${window.__xss=2} lunch",
    "`+(window.__xss=3)+` hall",
    "\\`;window.__xss=4;// market",
]
# A result marker's alt text starts with its number in the list.
NUMBER = re.compile(r"^\d+\. ")


def _lang(visit: Visit) -> str:
    return visit.page.evaluate("document.documentElement.lang")


@pytest.mark.parametrize("path", ["/", "/cy/"])
def test_the_home_page_has_no_accessibility_violations(visit: Visit, path: str) -> None:
    visit.go(path)
    assert axe_violations(visit.page) == []


@pytest.mark.parametrize("path", ["/search?q=splott", "/cy/search?q=splott"])
def test_a_map_page_with_a_popup_open_has_no_accessibility_violations(
    visit: Visit, add_assets: Callable[..., list[int]], path: str
) -> None:
    add_assets(
        {"name_en": "Splott lunch club", "name_cy": "Clwb cinio Sblot", "search_text": "splott"},
        {"name_en": "Splott library", "lon": -3.15, "lat": 51.48, "search_text": "splott"},
    )
    page = visit.go(path)
    page.locator(".leaflet-marker-icon").first.click()
    page.locator(".leaflet-popup-content").wait_for()
    assert axe_violations(page) == []


def test_no_request_leaves_the_server(visit: Visit, add_assets: Callable[..., list[int]]) -> None:
    add_assets({"name_en": "Splott lunch club", "search_text": "splott lunch club"})
    visit.go("/")
    page = visit.go("/search?q=splott")
    page.locator(".leaflet-marker-icon").first.wait_for()
    assert visit.elsewhere == []
    assert any(url.endswith("/static/vendor/leaflet/leaflet.js") for url in visit.requests)
    assert visit.errors == []


def test_a_map_shows_its_markers_with_no_basemap(
    visit: Visit, add_assets: Callable[..., list[int]]
) -> None:
    names = ["Splott lunch club", "Splott library", "Splott park"]
    add_assets(*[{"name_en": n, "lon": -3.16 + i / 200, "lat": 51.48, "search_text": n.lower()}
                 for i, n in enumerate(names)])  # fmt: skip
    page = visit.go("/search?q=splott")
    markers = page.locator(".leaflet-marker-icon")
    markers.first.wait_for()
    listed = page.locator(".result-name").all_inner_texts()
    numbered = [f"{n}. {name}" for n, name in enumerate(listed, 1)]
    assert sorted(markers.evaluate_all("els => els.map(e => e.alt)")) == sorted(numbered)
    assert sorted(listed) == sorted(names)
    assert page.locator(".leaflet-tile").count() == 0
    box = page.locator(".folium-map").bounding_box()
    assert box is not None and box["height"] > 200
    for marker in markers.all():  # every marker is drawn inside the map
        m = marker.bounding_box()
        assert m is not None and box["x"] <= m["x"] <= box["x"] + box["width"]


def test_names_are_shown_exactly_and_never_run(
    visit: Visit, add_assets: Callable[..., list[int]]
) -> None:
    add_assets(*[{"name_en": n, "lon": -3.16 + i / 200, "lat": 51.48, "search_text": "xss " + n}
                 for i, n in enumerate(XSS_NAMES)])  # fmt: skip
    page = visit.go("/search?q=xss")
    assert page.locator(".result-name").all_inner_texts() == XSS_NAMES
    markers = page.locator(".leaflet-marker-icon")
    for marker in markers.all():
        alt = marker.get_attribute("alt") or ""
        marker.hover()
        tooltips = [t.strip() for t in page.locator(".leaflet-tooltip").all_inner_texts()]
        assert alt in tooltips
        marker.click()
        name = NUMBER.sub("", alt, count=1)  # "3. <name>": its number in the list
        assert name in page.locator(".leaflet-popup-content strong").all_inner_texts()
    shown = sorted(
        NUMBER.sub("", a, count=1) for a in markers.evaluate_all("els => els.map(e => e.alt)")
    )
    assert shown == sorted(XSS_NAMES)
    assert page.evaluate("window.__xss") is None
    assert visit.errors == []


@pytest.mark.parametrize("path", ["/", "/search?q=splott"])
def test_no_horizontal_scroll_at_320_pixels(
    browser: Browser, web: LiveServer, add_assets: Callable[..., list[int]], path: str
) -> None:
    long_name = "Splott" + "x" * 120
    add_assets({"name_en": long_name, "search_text": long_name.lower()})
    for lang_path in (path, "/cy" + path):
        visit = open_visit(browser, web.url, viewport={"width": 320, "height": 640})
        page = visit.go(lang_path)
        width = page.evaluate("document.documentElement.scrollWidth")
        visit.context.close()
        assert width <= 320, lang_path


def test_the_language_comes_from_the_url_then_the_cookie(visit: Visit) -> None:
    visit.go("/")
    assert _lang(visit) == "en"
    visit.page.get_by_role("link", name="Cymraeg").click()
    visit.page.wait_for_load_state()
    assert visit.page.url.endswith("/cy/?lang=cy") and _lang(visit) == "cy"
    visit.go("/search")  # no prefix: the cookie the switch set decides
    assert _lang(visit) == "cy"
    visit.page.get_by_role("link", name="English").click()
    visit.page.wait_for_load_state()
    assert _lang(visit) == "en"
    visit.go("/")  # the switch remembered English
    assert _lang(visit) == "en"
    visit.go("/?lang=cy")
    assert _lang(visit) == "cy"


def test_the_browser_language_is_used_first_time(browser: Browser, web: LiveServer) -> None:
    visit = open_visit(browser, web.url, extra_http_headers={"Accept-Language": "cy-GB,en;q=0.8"})
    try:
        visit.go("/")
        assert _lang(visit) == "cy"
        assert visit.page.locator("h1").inner_text() == "Dewch o hyd i beth sydd yn agos atoch"
    finally:
        visit.context.close()


def test_an_unreachable_basemap_still_shows_the_markers(
    browser: Browser, settings: Settings, add_assets: Callable[..., list[int]]
) -> None:
    add_assets({"name_en": "Splott lunch club", "search_text": "splott lunch club"})
    tiles = {"basemap": "https://tiles.invalid/{z}/{x}/{y}.png",
             "basemap_attribution": "Tiles © Nobody"}  # fmt: skip
    with serve(settings.model_copy(update=tiles)) as live:
        visit = open_visit(browser, live.url)
        try:
            page = visit.go("/search?q=splott")
            marker = page.locator(".leaflet-marker-icon")
            assert marker.get_attribute("alt") == "1. Splott lunch club"
            page.wait_for_load_state("networkidle")
            assert visit.elsewhere and all(
                u.startswith("https://tiles.invalid/") for u in visit.elsewhere
            )
            assert "Tiles © Nobody" in page.locator(".leaflet-control-attribution").inner_text()
        finally:
            visit.context.close()
