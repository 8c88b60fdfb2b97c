"""What every map carries besides its layers (no browser): the point searched from as its own
marker, result markers numbered as the lists number them, the context layer of area outlines
and names (its API), and the site's icon."""

import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from shapely.geometry import MultiPolygon, box
from sqlalchemy.orm import Session

from app.services.needs.areas import AreaInput, save_areas
from tests.maps.islands import page_island

SPLOTT = (-3.1566, 51.4812)
AddAssets = Callable[..., list[int]]


def layers(html: str, kind: str) -> list[dict[str, Any]]:
    """The map's layers of one type."""
    return [layer for layer in page_island(html)["layers"] if layer["type"] == kind]


def numbered(html: str) -> list[tuple[int, str]]:
    """The (number, name) of the map's markers."""
    (markers,) = layers(html, "markers")
    return [(pin["number"], pin["name"]) for pin in markers["pins"]]


def listed_numbers(html: str) -> list[tuple[int, str]]:
    """The (number, name) of the page's result lists, in order."""
    found = re.findall(
        r'<span class="result-number">(\d+)</span>\s*<a [^>]*><span class="result-name"[^>]*>'
        r"(.*?)</span>",
        html,
    )
    return [(int(n), name) for n, name in found]


@pytest.fixture
def three_near_splott(add_assets: AddAssets, add_postcode: Callable[..., None]) -> None:
    add_postcode("CF24 2AA", *SPLOTT)
    add_assets(
        {"name_en": "Far hall", "lat": SPLOTT[1] + 0.006, "search_text": "far hall"},
        {"name_en": "Next door cafe", "lat": SPLOTT[1] + 0.0001, "search_text": "cafe"},
        {"name_en": "Round the corner", "lat": SPLOTT[1] + 0.003, "search_text": "corner"},
    )


def test_a_postcode_search_marks_the_postcode_apart_from_the_results(
    client: TestClient, three_near_splott: None
) -> None:
    html = client.get("/search", params={"q": "cf24 2aa"}).text
    (searched,) = layers(html, "searched")
    assert (searched["lon"], searched["lat"]) == pytest.approx(SPLOTT)
    assert searched["label"] == "You searched here: CF24 2AA"
    assert searched["icon"]["url"] == "/static/img/searched-here.svg"
    assert searched["radius"] == 1000
    # The map fits the whole circle searched within, not only the results.
    (south, _), (north, _) = page_island(html)["bounds"]
    assert north - south == pytest.approx(2 * 1000 / 111_320, rel=0.01)
    welsh = client.get("/cy/search", params={"q": "cf24 2aa"}).text
    assert layers(welsh, "searched")[0]["label"] == "Dyma lle chwilioch chi: CF24 2AA"
    assert client.get("/static/img/searched-here.svg").status_code == 200


def test_my_location_is_marked_as_where_you_searched_from(
    client: TestClient, three_near_splott: None
) -> None:
    near = f"{SPLOTT[1]},{SPLOTT[0]}"
    html = client.get("/search", params={"near": near}).text
    assert layers(html, "searched")[0]["label"] == "You searched from here (your location)"
    welsh = client.get("/cy/search", params={"near": near}).text
    assert (
        layers(welsh, "searched")[0]["label"] == "Fe chwilioch chi o\u2019r fan hon (eich lleoliad)"
    )


def test_the_page_says_what_the_target_and_the_numbers_mean(
    client: TestClient, three_near_splott: None
) -> None:
    html = client.get("/search", params={"q": "CF24 2AA"}).text
    assert "The target marks where you searched from." in html
    welsh = client.get("/cy/search", params={"q": "CF24 2AA"}).text
    assert "Mae\u2019r targed yn dangos o ble chwilioch chi." in welsh
    by_name = client.get("/search", params={"q": "cafe"}).text
    assert "The target" not in by_name and "number is its number in the list" in by_name


def test_a_name_search_has_no_point_to_mark(client: TestClient, three_near_splott: None) -> None:
    html = client.get("/search", params={"q": "cafe"}).text
    assert layers(html, "searched") == [] and len(layers(html, "markers")) == 1


def test_markers_are_numbered_as_the_list_is(client: TestClient, three_near_splott: None) -> None:
    html = client.get("/search", params={"q": "CF24 2AA"}).text
    expected = [(1, "Next door cafe"), (2, "Round the corner"), (3, "Far hall")]
    assert listed_numbers(html) == expected == numbered(html)


# ---- the context layer --------------------------------------------------------------------


def _areas(session: Session, level: str, rows: list[tuple[str, str, str, Any]]) -> None:
    areas = [
        AreaInput(n, code, en, cy, 1000, None, MultiPolygon([geom]))
        for n, (code, en, cy, geom) in enumerate(rows, 1)
    ]
    save_areas(session, level=level, areas=areas, centroids={}, source="test")
    session.commit()


@pytest.fixture
def cardiff_like(session: Session) -> None:
    """A local authority with two wards and four LSOAs inside it."""
    cardiff = box(-3.4, 51.4, -3.0, 51.6)
    _areas(session, "local_authority", [("W06000015", "Cardiff", "Caerdydd", cardiff)])
    _areas(session, "ward", [
        ("W05000001", "Splott", "Sblot", box(-3.2, 51.45, -3.1, 51.5)),
        ("W05000002", "Canton", "Treganna", box(-3.3, 51.45, -3.2, 51.5)),
    ])  # fmt: skip
    _areas(session, "lsoa", [
        (f"W0100000{i}", f"Cardiff 00{i}A", f"Caerdydd 00{i}A",
         box(-3.2 + i * 0.02, 51.47, -3.18 + i * 0.02, 51.49))
        for i in range(4)
    ])  # fmt: skip


def context(client: TestClient, bbox: str, zoom: int) -> dict[str, Any]:
    response = client.get("/api/v1/map/context", params={"bbox": bbox, "zoom": zoom})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/geo+json")
    assert "max-age" in response.headers["cache-control"]
    body: dict[str, Any] = response.json()
    return body


def shown(body: dict[str, Any]) -> dict[str, bool]:
    return {f["properties"]["name_en"]: f["properties"]["label"] for f in body["features"]}


def test_a_wide_view_shows_the_local_authority_and_its_name(
    client: TestClient, cardiff_like: None
) -> None:
    body = context(client, "-4,51,-2.5,52", 9)
    assert shown(body) == {"Cardiff": True}
    (feature,) = body["features"]
    assert feature["id"] == "W06000015" and feature["properties"]["name_cy"] == "Caerdydd"
    lat, lon = feature["properties"]["labelAt"]
    assert -3.4 < lon < -3.0 and 51.4 < lat < 51.6


def test_closer_views_add_wards_then_lsoas_and_name_the_smallest(
    client: TestClient, cardiff_like: None
) -> None:
    assert shown(context(client, "-3.35,51.42,-3.05,51.55", 12)) == {
        "Cardiff": False, "Splott": True, "Canton": True,
    }  # fmt: skip
    close = shown(context(client, "-3.2,51.46,-3.1,51.5", 15))
    assert close == {"Cardiff": False, "Cardiff 000A": True, "Cardiff 001A": True,
                     "Cardiff 002A": True, "Cardiff 003A": True}  # fmt: skip


def test_areas_out_of_view_are_left_out(client: TestClient, cardiff_like: None) -> None:
    assert context(client, "-1,52,-0.5,52.5", 12)["features"] == []


def test_a_newly_imported_area_appears_at_once(
    client: TestClient, cardiff_like: None, session: Session
) -> None:
    assert "Newport" not in shown(context(client, "-3.5,51.3,-2.8,51.7", 9))
    newport = box(-3.0, 51.5, -2.9, 51.6)
    _areas(session, "local_authority", [("W06000022", "Newport", "Casnewydd", newport)])
    assert shown(context(client, "-3.5,51.3,-2.8,51.7", 9))["Newport"] is True


def test_outlines_are_small(client: TestClient, cardiff_like: None) -> None:
    body = context(client, "-3.35,51.42,-3.05,51.55", 12)
    coordinates = re.findall(r"-?\d+\.\d+", str([f["geometry"] for f in body["features"]]))
    assert coordinates and all(len(c.split(".")[1]) <= 5 for c in coordinates)


@pytest.mark.parametrize(
    "params",
    [{"zoom": 12}, {"bbox": "-3,51,-3.1,52", "zoom": 12}, {"bbox": "-20,40,5,60", "zoom": 5}],
)
def test_a_bad_view_is_refused(client: TestClient, params: dict[str, Any]) -> None:
    assert client.get("/api/v1/map/context", params=params).status_code == 422


def test_every_map_names_the_context_layer(client: TestClient, add_assets: AddAssets) -> None:
    add_assets({"name_en": "Splott lunch club", "search_text": "splott lunch club"})
    for path in ("/search?q=splott", "/cy/search?q=splott"):
        data = page_island(client.get(path).text)
        assert data["context"]["api"] == "/api/v1/map/context"
        assert data["context"]["lang"] == ("cy" if path.startswith("/cy") else "en")


# ---- the site's icon ------------------------------------------------------------------------


def test_the_favicon_is_a_real_icon_kept_for_a_day(client: TestClient) -> None:
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.headers["content-type"] == "image/vnd.microsoft.icon"
    assert icon.content[:4] == b"\x00\x00\x01\x00"  # ICO header
    assert "max-age=86400" in icon.headers["cache-control"]
    html = client.get("/").text
    assert '<link rel="icon" href="/favicon.ico"' in html
    assert client.get("/static/img/favicon.svg").status_code == 200
