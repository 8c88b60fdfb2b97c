"""The live assets layer in Chromium, on /embed: clusters and points loaded by viewport, the
list twin showing the same, names shown exactly and never run, axe-clean, offline."""

from collections.abc import Callable

import pytest
from playwright.sync_api import Page

from tests.web.browser import Visit, axe_violations

XSS_NAMES = [
    "<img src=x onerror=window.__xss=1>",
    "${window.__xss=2}",
    "`+(window.__xss=3)+`",
]
CLOSE = "bbox=-3.165,51.478,-3.150,51.486"  # a street's width: points
WIDE = "bbox=-3.35,51.38,-3.05,51.56"  # the county: clusters


def _loaded(page: Page) -> None:
    page.locator(".folium-map[data-loaded=true]").wait_for()


def _names(add_assets: Callable[..., list[int]]) -> list[int]:
    rows = [
        {"name_en": name, "lon": -3.162 + i * 0.004, "lat": 51.482}
        for i, name in enumerate(XSS_NAMES)
    ]
    rows.append({"name_en": None, "name_cy": "Caffi Trwsio", "lon": -3.152, "lat": 51.480})
    rows.append({"name_en": "Rhian's sewing", "kind": "skill", "lon": -3.155, "lat": 51.481})
    return add_assets(*rows)


def test_points_and_their_list_show_names_exactly_and_never_run(
    visit: Visit, add_assets: Callable[..., list[int]]
) -> None:
    ids = _names(add_assets)
    page = visit.go("/embed?" + CLOSE)
    _loaded(page)
    assert page.locator(".folium-map").get_attribute("data-live-mode") == "points"
    markers = page.locator(".leaflet-marker-icon")
    shown = sorted(markers.evaluate_all("els => els.map(e => e.alt)"))
    assert shown == sorted([*XSS_NAMES, "Caffi Trwsio"])  # the person is on no map
    links = page.locator("#live-list [data-live-items] a")
    texts = [t.strip() for t in links.all_inner_texts()]
    assert texts[:3] == XSS_NAMES and texts[3] == "Caffi Trwsio (in Welsh)"
    assert links.nth(3).locator("span[lang=cy]").inner_text() == "Caffi Trwsio"
    assert links.first.get_attribute("href") == f"/assets/{ids[0]}"
    assert page.locator("[data-live-summary]").inner_text() == "4 places in this view"
    for marker in markers.all():
        name = marker.get_attribute("alt")
        marker.hover()
        assert name in [t.strip() for t in page.locator(".leaflet-tooltip").all_inner_texts()]
        marker.click()
        assert name in page.locator(".leaflet-popup-content strong span").all_inner_texts()
    assert page.evaluate("window.__xss") is None
    assert visit.elsewhere == [] and visit.errors == []


def test_clusters_count_the_view_and_the_list_asks_to_zoom_in(
    visit: Visit, add_assets: Callable[..., list[int]]
) -> None:
    add_assets(
        *[
            {
                "name_en": f"Place {i}",
                "lon": -3.30 + (i % 10) * 0.02,
                "lat": 51.40 + (i // 10) * 0.01,
            }
            for i in range(120)
        ]
    )
    page = visit.go("/cy/embed?" + WIDE)
    _loaded(page)
    assert page.locator(".folium-map").get_attribute("data-live-mode") == "clusters"
    clusters = page.locator(".live-cluster")
    labels = clusters.evaluate_all("els => els.map(e => e.getAttribute('aria-label'))")
    counts = [int(t) for t in clusters.all_inner_texts()]
    assert sum(counts) == 120
    assert all(label.startswith(f"{n} ") for label, n in zip(labels, counts, strict=True))
    summary = page.locator("[data-live-summary]").inner_text()
    assert summary == "120 lle yn yr olwg hon: chwyddwch i mewn i\u2019w rhestru"
    assert page.locator("[data-live-items]").is_hidden()
    download = page.locator("a[data-live-download=csv]").get_attribute("href") or ""
    assert download.startswith("/api/v1/map/download?bbox=") and download.endswith("&f=csv")
    before = download
    page.locator(".leaflet-control-zoom-in").click()
    page.wait_for_function(
        "before => document.querySelector('a[data-live-download=csv]').href.indexOf(before) < 0",
        arg=before,
    )
    _loaded(page)
    assert visit.elsewhere == [] and visit.errors == []


@pytest.mark.parametrize("path", ["/embed?" + CLOSE, "/cy/embed?" + CLOSE])
def test_the_embed_page_with_a_popup_open_has_no_accessibility_violations(
    visit: Visit, add_assets: Callable[..., list[int]], path: str
) -> None:
    _names(add_assets)
    page = visit.go(path)
    _loaded(page)
    page.locator(".leaflet-marker-icon").first.click()
    page.locator(".leaflet-popup-content").wait_for()
    assert axe_violations(page) == []
    assert page.evaluate("window.__xss") is None
    assert visit.elsewhere == []
