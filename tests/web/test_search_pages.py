"""Search pages (no browser): places and their assets, "use my location", theme and kind
filters, links to each asset's page from the list and the map, and never people."""

import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from shapely.geometry import MultiPolygon, box
from sqlalchemy.orm import Session

from app.services.needs.areas import AreaInput, assign_all_assets, save_areas
from tests.conftest import ADMIN
from tests.maps.islands import page_island

SPLOTT = (-3.1566, 51.4812)
NEAR = f"{SPLOTT[1]},{SPLOTT[0]}"

AddAssets = Callable[..., list[int]]


def listed(html: str) -> list[str]:
    """The names in the page's result lists, in order."""
    return re.findall(r'<span class="result-name"[^>]*>(.*?)</span>', html)


def mapped(html: str) -> list[str]:
    """The names of the map's markers (their alt text), from the map's data."""
    if "map-data" not in html:
        return []
    return [pin["name"] for pin in _pins(html)]


def popup_links(html: str) -> list[tuple[str, str]]:
    """The (href, text) of the links in the map's popups."""
    return [(pin["href"], pin["linkText"]) for pin in _pins(html) if pin["href"]]


def _pins(html: str) -> list[dict[str, Any]]:
    """The map's asset markers (not the marker of the point searched from)."""
    layers = page_island(html)["layers"]
    return [pin for layer in layers if layer["type"] == "markers" for pin in layer["pins"]]


@pytest.fixture
def splott_ward(session: Session) -> str:
    """A ward named Splott / Sblot around SPLOTT (assets added later are assigned to it)."""
    geom = MultiPolygon([box(-3.2, 51.45, -3.1, 51.5)])
    area = AreaInput(1, "W05000999", "Splott", "Sblot", 9000, None, geom)
    save_areas(session, level="ward", areas=[area], centroids={}, source="test")
    session.commit()
    return "W05000999"


@pytest.fixture
def assign(session: Session) -> Callable[[], None]:
    """Assign the assets added so far to the areas held (as imports and the API do)."""

    def run() -> None:
        assign_all_assets(session)
        session.commit()

    return run


def test_a_welsh_place_name_finds_the_place_and_what_is_in_it(
    client: TestClient, add_assets: AddAssets, splott_ward: str, assign: Callable[[], None]
) -> None:
    (inside,) = add_assets({"name_en": "Splott library", "name_cy": "Llyfrgell Sblot"})
    add_assets({"name_en": "Somewhere else", "lon": -3.5, "lat": 51.6})
    assign()
    for query in ("Sblot", "sblot", "SPLOTT"):
        html = client.get("/search", params={"q": query}).text
        assert f'<a href="/areas/{splott_ward}">Splott</a>' in html
        assert "1 place in Splott" in html
        assert (
            f'<a href="/assets/{inside}"><span class="result-name">Splott library</span></a>'
            in html
        )
        assert listed(html) == ["Splott library"] == mapped(html)
    welsh = client.get("/cy/search", params={"q": "Sblot"}).text
    assert f'<a href="/cy/areas/{splott_ward}">Sblot</a>' in welsh
    assert "1 lle yn ardal Sblot" in welsh and "Lleoedd sy\u2019n cyfateb i Sblot" in welsh
    assert (
        f'<a href="/cy/assets/{inside}"><span class="result-name">Llyfrgell Sblot</span></a>'
        in welsh
    )


def test_every_result_links_to_its_page_from_the_list_and_the_map(
    client: TestClient, add_assets: AddAssets
) -> None:
    first, second = add_assets(
        {"name_en": "Splott lunch club", "search_text": "splott lunch club"},
        {"name_en": "Splott park", "search_text": "splott park", "lon": -3.15},
    )
    html = client.get("/search", params={"q": "splott"}).text
    for asset_id in (first, second):
        assert f'<a href="/assets/{asset_id}"><span class="result-name">' in html
        assert (f"/assets/{asset_id}", "See details") in popup_links(html)
    welsh = client.get("/cy/search", params={"q": "splott"}).text
    assert (f"/cy/assets/{first}", "Gweld y manylion") in popup_links(welsh)


def test_use_my_location_is_a_hidden_button_that_a_script_reveals(client: TestClient) -> None:
    for path in ("/", "/search", "/cy/"):
        html = client.get(path).text
        assert re.search(r'<div class="locate" data-locate hidden', html), path
        assert '<script src="/static/js/locate.js"></script>' in html
    assert "Defnyddio fy lleoliad" in client.get("/cy/").text
    script = client.get("/static/js/locate.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert "toFixed(3)" in script.text and "innerHTML" not in script.text


def test_near_a_point_lists_what_is_within_a_kilometre_nearest_first(
    client: TestClient, add_assets: AddAssets
) -> None:
    add_assets(
        {"name_en": "Far hall", "lon": SPLOTT[0], "lat": SPLOTT[1] + 0.01},
        {"name_en": "Round the corner", "lon": SPLOTT[0], "lat": SPLOTT[1] + 0.004},
        {"name_en": "Next door cafe", "lon": SPLOTT[0], "lat": SPLOTT[1] + 0.0001},
    )
    html = client.get("/search", params={"near": "51.481,-3.157"}).text
    assert "2 places within 1 km of where you are" in html
    assert listed(html) == ["Next door cafe", "Round the corner"] == mapped(html)
    # The point is kept in the form, so that changing the filters searches the same place.
    assert '<input type="hidden" name="near" value="51.481,-3.157">' in html
    welsh = client.get("/cy/search", params={"near": "51.481,-3.157"}).text
    assert "2 le o fewn 1 km i ble rydych chi" in welsh


@pytest.mark.parametrize("near", ["nowhere", "51.48", "95,0", "51.48,-3.15,1", "nan,nan"])
def test_a_bad_location_says_so_on_the_page(client: TestClient, near: str) -> None:
    response = client.get("/search", params={"near": near})
    assert response.status_code == 200
    assert "We could not read that location." in response.text
    assert "folium-map" not in response.text and 'name="near"' not in response.text
    welsh = client.get("/cy/search", params={"near": near}).text
    assert "Nid oeddem yn gallu darllen y lleoliad hwnnw." in welsh


def test_the_form_offers_themes_in_the_page_language_and_the_six_public_kinds(
    client: TestClient,
) -> None:
    english = client.get("/search").text
    welsh = client.get("/cy/search").text
    assert re.search(r'name="theme" value="food"> Food<', english)
    assert re.search(r'name="theme" value="food"> Bwyd<', welsh)
    kinds = re.findall(r'name="kind" value="(\w+)"', english)
    assert kinds == ["group", "space", "organisation", "service", "business", "culture"]
    assert re.search(r'name="kind" value="group"> Grŵp<', welsh)
    assert "<legend>Themâu</legend>" in welsh and "<legend>Mathau</legend>" in welsh
    assert '<details class="filters">' in english  # closed until a filter is chosen


def test_filters_narrow_the_list_and_the_map_alike_and_stay_ticked(
    client: TestClient, add_assets: AddAssets
) -> None:
    common = {"search_text": "splott"}
    add_assets(
        {"name_en": "Food group", "kind": "group", "themes": ["food"], **common},
        {"name_en": "Food space", "kind": "space", "themes": ["food"], "lon": -3.15, **common},
        {"name_en": "Housing group", "kind": "group", "themes": ["housing"], **common},
    )
    html = client.get("/search", params={"q": "splott", "theme": "food"}).text
    assert sorted(listed(html)) == ["Food group", "Food space"] == sorted(mapped(html))
    assert '<details class="filters" open>' in html
    assert 'name="theme" value="food" checked>' in html
    assert "Showing only:\n  Food</p>" in html
    params: Any = [("q", "splott"), ("theme", "food"), ("theme", "housing"), ("kind", "group")]
    html = client.get("/search", params=params).text
    assert sorted(listed(html)) == ["Food group", "Housing group"] == sorted(mapped(html))
    assert 'name="kind" value="group" checked>' in html
    # Unknown values from a hand-made address are ignored, not an error.
    html = client.get("/search", params=[("q", "splott"), ("theme", "nope"), ("kind", "x")]).text
    assert sorted(listed(html)) == ["Food group", "Food space", "Housing group"]


def test_filters_apply_to_a_postcode_and_to_a_place(
    client: TestClient,
    add_assets: AddAssets,
    add_postcode: Callable[[str, float, float], None],
    splott_ward: str,
    assign: Callable[[], None],
) -> None:
    add_postcode("CF24 2AA", *SPLOTT)
    add_assets(
        {"name_en": "Food group", "kind": "group", "themes": ["food"]},
        {"name_en": "Culture space", "kind": "culture", "themes": ["arts_culture"]},
    )
    assign()
    for q in ("CF24 2AA", "Splott"):
        html = client.get("/search", params={"q": q, "kind": "culture"}).text
        assert listed(html) == ["Culture space"] == mapped(html), q


@pytest.mark.parametrize(
    "params",
    [
        {"q": "sewing"},
        {"q": "CF24 2AA"},
        {"q": "Splott"},
        {"near": NEAR},
        {"q": "sewing", "kind": "skill"},
        {"near": NEAR, "kind": "volunteer"},
    ],
)
def test_search_never_lists_people_even_to_admins(
    client: TestClient,
    add_assets: AddAssets,
    add_postcode: Callable[[str, float, float], None],
    splott_ward: str,
    assign: Callable[[], None],
    params: dict[str, str],
) -> None:
    add_postcode("CF24 2AA", *SPLOTT)
    add_assets(
        {"kind": "skill", "name_en": "Gwen Jones, sewing", "search_text": "gwen jones sewing"},
        {"kind": "volunteer", "name_en": "Dai, sewing helper", "search_text": "dai sewing"},
    )
    assign()
    html = client.get("/search", params=params, headers=ADMIN).text
    assert "Gwen" not in html and "Dai" not in html
    assert listed(html) == [] and "folium-map" not in html


def test_a_connectors_pending_assets_are_not_in_search(
    client: TestClient, add_assets: AddAssets, make_user: Callable[..., dict[str, str]]
) -> None:
    add_assets({"name_en": "Pending club", "status": "pending", "search_text": "pending club"})
    connector = make_user("connector")
    assert (
        "Pending club" not in client.get("/search", params={"q": "pending"}, headers=connector).text
    )
