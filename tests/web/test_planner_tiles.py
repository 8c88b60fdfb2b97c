"""The planner at national scale: over EMBED_MAX_AREAS areas come as vector tiles styled from
a table keyed by code, and the table of areas comes a page at a time. Shown on the demo's 20
areas with both limits made small (the real ones hold a county on one page and in the page)."""

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.maps import planner as planner_maps
from app.services.demo import load_demo
from app.web import planner as planner_pages
from tests.maps.islands import page_island
from tests.web.browser import Visit, axe_violations

SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"


@pytest.fixture
def demo(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """The fictional Aberllyn demo (20 areas), committed; over 5 areas come as tiles, 8 rows
    a page."""
    assert load_demo(session).ok
    session.commit()
    monkeypatch.setattr(planner_maps, "EMBED_MAX_AREAS", 5)
    monkeypatch.setattr(planner_pages, "PAGE_ROWS", 8)


def _codes(html: str) -> list[str]:
    return re.findall(r'<tr data-code="([^"]+)"', html)


def test_many_areas_come_as_tiles_styled_by_code_not_as_geojson(
    client: TestClient, demo: None
) -> None:
    html = client.get("/planner?theme=food").text
    need, categories = page_island(html)["layers"][:2]
    assert need["type"] == "areaTiles" and "data" not in need
    assert need["url"] == "/tiles/areas/{z}/{x}/{y}.mvt?level=lsoa"
    assert len(need["areas"]) == 20 and all(re.fullmatch(r"X\d+", c) for c in need["areas"])
    decile, gap, *extra = need["areas"]["X01000020"]
    assert 1 <= decile <= 10 and gap in need["categoryWords"]
    assert need["extra"] == ["value", "assets", "within", "people"] and len(extra) == 4
    assert categories == {**categories, "type": "categories", "source": "need"}
    assert "/static/vendor/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.min.js" in html
    assert '"coordinates"' not in html  # no outline is in the page


def test_the_table_comes_a_page_at_a_time_and_every_page_together_is_every_area(
    client: TestClient, demo: None
) -> None:
    first = client.get("/planner?theme=food").text
    assert len(_codes(first)) == 8 and '<table class="planner-table">' in first  # no JS sort
    assert "areas 1 to 8" in first and "Page 1 of 3" in first
    assert 'href="/planner?theme=food&amp;page=2#areas-heading" rel="next"' in first
    seen = _codes(first) + _codes(client.get("/planner?theme=food&page=2").text)
    last = client.get("/planner?theme=food&page=3").text
    assert "Page 3 of 3" in last and 'rel="prev"' in last and 'rel="next"' not in last
    seen += _codes(last)
    assert len(seen) == len(set(seen)) == 20
    # Sorting and the CSV take every area, from the first page.
    assert 'href="/planner?theme=food&amp;sort=code"' in last
    assert "page=" not in re.search(r'href="([^"]*areas\.csv[^"]*)"', last)[1]  # type: ignore[index]
    csv = client.get("/planner/areas.csv?theme=food").text
    assert len(csv.strip().splitlines()) == 21
    # A page number that is not one shows the first or last page, never an error.
    assert _codes(client.get("/planner?theme=food&page=x").text) == _codes(first)
    assert _codes(client.get("/planner?theme=food&page=99").text) == _codes(last)


def test_the_print_view_holds_every_area(client: TestClient, demo: None) -> None:
    html = client.get("/planner?theme=food&print=1").text
    assert len(_codes(html)) == 20 and "Page 1 of" not in html


@pytest.mark.parametrize("path", ["/planner?theme=food", "/cy/planner?theme=food"])
def test_area_tiles_draw_every_area_with_its_tooltip_offline_and_accessible(
    visit: Visit, demo: None, path: str
) -> None:
    page = visit.go(path)
    page.wait_for_selector(".folium-map[data-areas-loaded=true]", state="attached")
    areas = page.locator(".leaflet-overlay-pane .leaflet-tile path.leaflet-interactive")
    areas.first.wait_for()
    codes = page.evaluate(
        "() => { const m = AssetmapMaps.get('map'); const codes = new Set();"
        " m.eachLayer(l => { if (l._vectorTiles) Object.values(l._vectorTiles).forEach("
        " t => Object.keys(t._features || {}).forEach(c => codes.add(c))); });"
        " return [...codes]; }"
    )
    assert len(set(codes)) == 20
    areas.nth(3).hover(force=True)
    tooltip = page.locator(".leaflet-tooltip").first
    tooltip.wait_for()
    text = tooltip.inner_text()
    assert re.search(r"X010000\d\d", text)
    assert "Need decile" in text or "Degradd angen" in text
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"planner-tiles-{'cy' if '/cy/' in path else 'en'}.png"))
    assert axe_violations(page) == []
    assert visit.elsewhere == [] and visit.errors == []
    assert any("/tiles/areas/" in url for url in visit.requests)
