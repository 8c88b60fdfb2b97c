"""The planner's overlay map and area profiles (no browser): on the demo and on the real Cardiff
LSOAs, in both languages, with people only as counts and reporters never shown."""

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Deficit
from app.schemas.assets import AssetCreate
from app.services.assets.records import create_asset
from app.services.demo import load_demo
from app.services.needs.indicators import import_indicators
from tests.conftest import PROJECT_DIR, person_body
from tests.maps.islands import page_island

WIMD_META = PROJECT_DIR / "data" / "indicators" / "wimd2019.json"
DEMO_AREAS = 20
SEA_VIEW = "X01000001"  # the demo's first area
SEA_VIEW_POINT = (-4.45191, 52.34125)  # inside it, and so is the centre of its 1 km square


@pytest.fixture
def demo(session: Session) -> Session:
    """The fictional Aberllyn demo (20 areas, 4 indicators, 12 deficits, assets), committed."""
    result = load_demo(session)
    assert result.ok
    session.commit()
    return session


@pytest.fixture
def cardiff(session: Session, cardiff_dir: Path, cardiff_lsoas: int) -> int:
    """The 214 real Cardiff LSOAs with WIMD 2019."""
    report = import_indicators(
        session,
        csv_path=cardiff_dir / "wimd2019_lsoa11.csv",
        meta_path=WIMD_META,
        area_code_column="lsoa11cd",
    )
    assert report.ok, report.problems
    session.commit()
    return cardiff_lsoas


def add_people(session: Session, count: int, theme: str, name: str) -> None:
    """Consented, published people offering a theme, in Sea View."""
    for _ in range(count):
        body = person_body(
            name_en=name,
            themes=[theme],
            location={"type": "Point", "coordinates": list(SEA_VIEW_POINT)},
        )
        create_asset(session, actor="test", data=AssetCreate.model_validate(body))
    session.commit()


def rows(html: str) -> dict[str, list[str]]:
    """The planner table: area code -> its cells (after the area's name)."""
    body = html.split('<table class="planner-table" data-sortable>', 1)[1].split("</table>", 1)[0]
    found = {}
    for row in re.findall(r"<tr[^>]*><th scope=\"row\">(.*?)</tr>", body, re.S):
        cells = re.findall(r"<td>(.*?)</td>", row)
        found[cells[0]] = cells[1:]
    return found


def test_the_planner_leads_with_its_map_then_lists_every_area(
    client: TestClient, demo: Session
) -> None:
    response = client.get("/planner")
    assert response.status_code == 200
    html = response.text
    table = rows(html)
    assert len(table) == DEMO_AREAS
    _value, decile, category, in_area, within, _uses, people = table[SEA_VIEW]
    assert in_area.isdigit() and within.isdigit() and people == "fewer than 5"
    assert 1 <= int(decile) <= 10 and category in {
        "Priority", "Strength to build on", "Well served", "Lower need"
    }  # fmt: skip
    # The map and the answer (summary, priority areas) first; the table after them.
    assert html.index('class="folium-map"') < html.index('id="priority-heading"')
    assert html.index('id="priority-heading"') < html.index('class="planner-table"')
    assert html.count("<h1>") == 1
    # The legend is words, not only colours (WIMD's way round: 1 = most need); the layer
    # control and asset layers are there.
    assert "1: most need" in html and "10: least need" in html
    assert "High need and no assets of the theme nearby" in html
    data = page_island(html)
    assert data["layerControl"] is True
    # One layer of every kind of the theme's assets, on; one per kind, off.
    assert [layer["type"] for layer in data["layers"]].count("live") == 7
    # The asset layers bring their own styles (their clusters were bare numbers without).
    assert html.count('href="/static/css/live-layer.css"') == 1
    assert "/static/vendor/leaflet/leaflet.js" in html
    assert not re.search(r"(src|href)=\"(https?:)?//", html)


def test_the_planner_follows_the_choices_in_the_form(client: TestClient, demo: Session) -> None:
    html = client.get(
        "/planner?indicator=aberllyn_loneliness_rank&theme=loneliness_befriending&level=lsoa"
    ).text
    assert '<option value="aberllyn_loneliness_rank" selected>' in html
    assert '<option value="loneliness_befriending" selected>' in html
    assert "Loneliness and befriending assets in the area" in html
    assert "Loneliness and befriending assets within 800 m" in html
    live = [layer for layer in page_island(html)["layers"] if layer["type"] == "live"]
    assert live and all(x["config"]["themes"] == ["loneliness_befriending"] for x in live)
    assert '<label for="indicator">' in html and '<button type="submit"' in html


def test_the_planner_in_welsh(client: TestClient, demo: Session) -> None:
    html = client.get("/cy/planner").text
    assert '<html lang="cy">' in html
    assert "<h1>Map anghenion ac asedau</h1>" in html
    assert "1: yr angen mwyaf" in html and "Haenau" in html
    assert 'action="/cy/planner"' in html and 'href="/cy/areas/X01000001"' in html
    assert "Blaenoriaeth" in html or "Llai o angen" in html


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("indicator=nope", "indicator", "Choose one of the indicators in the list"),
        ("theme=nope", "theme", "Choose one of the themes in the list"),
        ("level=county", "level", "Choose one of the area levels in the list"),
    ],
)
def test_an_unknown_choice_is_named_on_the_page(
    client: TestClient, demo: Session, query: str, field: str, message: str
) -> None:
    response = client.get("/planner?" + query)
    assert response.status_code == 422
    html = response.text
    assert "There is a problem" in html and f'href="#{field}"' in html
    assert f'id="{field}-error"' in html and message in html
    assert 'aria-invalid="true"' in html
    assert "folium-map" not in html and "planner-table" not in html


def test_an_unknown_choice_in_welsh(client: TestClient, demo: Session) -> None:
    response = client.get("/cy/planner?theme=nope")
    assert response.status_code == 422
    assert "Dewiswch un o\u2019r themâu yn y rhestr" in response.text


def test_a_level_without_values_says_so(client: TestClient, demo: Session) -> None:
    response = client.get("/planner?level=ward")
    assert response.status_code == 200
    assert "No areas of this level have a value for this indicator" in response.text


def test_the_planner_with_no_indicators_says_so(client: TestClient) -> None:
    response = client.get("/planner")
    assert response.status_code == 200
    assert "No need indicators have been loaded yet" in response.text


def test_pages_publish_exactly_the_people_figures_of_the_api(
    client: TestClient, session: Session, demo: Session
) -> None:
    add_people(session, 9, "health_wellbeing", "Dafydd Secret")
    add_people(session, 1, "food", "Rhian Secret")
    labels = {"food": "Food", "health_wellbeing": "Health and wellbeing"}
    profile = client.get(f"/areas/{SEA_VIEW}").text
    for theme, label in labels.items():
        api = client.get(f"/api/v1/people/counts?theme={theme}").json()["items"]
        published = {r["area_code"]: r["shown_as"] for r in api}
        html = client.get(f"/planner?theme={theme}").text

        assert {code: cells[-1] for code, cells in rows(html).items()} == published
        assert f'<th scope="row">{label}</th><td>{published[SEA_VIEW]}</td>' in profile
        assert "changed by up to 2" in html
        for page in (html, profile):
            assert "Secret" not in page and "rhian@example.org" not in page
    health = client.get("/api/v1/people/counts?theme=health_wellbeing").json()["items"]
    assert next(r["people"] for r in health if r["area_code"] == SEA_VIEW) is not None


def test_reporters_of_gaps_are_never_shown(client: TestClient, demo: Session) -> None:
    reporters = [d.reporter for d in demo.scalars(select(Deficit)) if d.reporter]
    assert reporters
    food = client.get("/planner?theme=food").text
    assert "No food shop open after 6pm" in food
    profile = client.get("/areas/X01000020").text
    assert "No food shop open after 6pm" in profile
    for html in (food, profile):
        assert not any(r in html or r.replace("'", "&#39;") in html for r in reporters)


def test_the_planner_on_cardiff_is_small_and_holds_every_area(
    client: TestClient, cardiff: int
) -> None:
    response = client.get("/planner?indicator=wimd2019_overall_rank&theme=food")
    assert response.status_code == 200
    assert len(response.content) < 300_000, len(response.content)
    html = response.text
    table = rows(html)
    assert len(table) == cardiff == 214
    need = page_island(html)["layers"][0]
    # The table is sorted by priority; the map holds the same areas.
    assert sorted(f["properties"]["code"] for f in need["data"]["features"]) == sorted(table)
    deciles = [int(cells[1]) for cells in table.values()]
    assert set(deciles) == set(range(1, 11))
    assert not re.search(r"\d\.\d{6,}", json.dumps(need["data"]))


def test_an_area_profile(client: TestClient, demo: Session) -> None:
    response = client.get("/areas/X01000020")
    assert response.status_code == 200
    html = response.text
    assert "<h1><span>Pen y Bryn, Aberllyn</span></h1>" in html
    assert "<dd>1,480</dd>" in html and "Small areas (LSOAs)" in html
    assert "Aberllyn need index (fictional)" in html
    assert "assetmap demo (fictional), 2025" in html and "of 20" in html
    assert "Community assets in this area" in html and "Nearest asset of each theme" in html
    assert re.search(r"<td>\d[\d.,]* (m|km)</td>", html)
    assert html.index("planner-table") < html.index('class="folium-map"')
    outline, gaps, assets = page_island(html)["layers"]
    assert outline["data"]["features"][0]["geometry"]["coordinates"] and gaps["pins"]
    assert assets["type"] == "live" and assets["show"] is True


def test_an_area_profile_in_welsh_falls_back_visibly(
    client: TestClient, demo: Session, session: Session
) -> None:
    from app.models import Area

    area = session.scalars(select(Area).where(Area.code == SEA_VIEW)).one()
    area.name_cy = None
    session.commit()
    html = client.get(f"/cy/areas/{SEA_VIEW}").text
    assert '<html lang="cy">' in html
    fallback = '<span class="fallback">(yn Saesneg)</span>'
    # The English name is marked as English; the gazetteer place it lies near is in Welsh.
    assert f'<h1><span lang="en">Sea View, Aberllyn</span> {fallback}, ger Môr-lan</h1>' in html
    assert "Poblogaeth" in html and "Yr ased agosaf ym mhob thema" in html


def test_an_unknown_area_is_not_found(client: TestClient, demo: Session) -> None:
    response = client.get("/areas/W09999999")
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]


def test_people_never_appear_as_assets_of_an_area(
    client: TestClient, session: Session, demo: Session, make_asset: Callable[..., Any]
) -> None:
    add_people(session, 1, "food", "Gwen Hidden")
    html = client.get(f"/areas/{SEA_VIEW}").text
    assert "Gwen Hidden" not in html and "Skill" not in html and "Sgil" not in html


@pytest.mark.parametrize("path", ["/planner?print=1&theme=food", f"/areas/{SEA_VIEW}?print=1"])
def test_the_print_view_has_no_navigation_and_a_static_map(
    client: TestClient, demo: Session, path: str
) -> None:
    html = client.get(path).text
    assert "site-nav" not in html and "<form" not in html
    assert '<svg class="planner-static-map"' in html and "leaflet.js" not in html
    assert "<script" not in html
    assert "planner-table" in html and "/static/css/planner.css" in html
    assert "Back to the interactive page" in html


def test_each_page_links_its_print_view(client: TestClient, demo: Session) -> None:
    assert (
        '<a href="/planner?theme=food&amp;print=1">Print view</a>'
        in client.get("/planner?theme=food").text
    )
    assert (
        f'<a href="/cy/areas/{SEA_VIEW}?print=1">Fersiwn i\u2019w argraffu</a>'
        in client.get(f"/cy/areas/{SEA_VIEW}").text
    )


def test_the_print_css_is_for_a4(client: TestClient) -> None:
    css = client.get("/static/css/planner.css").text
    assert "@page { size: A4 landscape; margin: 10mm; }" in css
    block = css.split("@media print", 1)[1]
    for hidden in (".site-nav", "form", ".leaflet-control-container"):
        assert hidden in block
