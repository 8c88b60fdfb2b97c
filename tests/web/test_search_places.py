"""The search page with a gazetteer (no browser): a place by its English or Welsh name, an
outcode, theme words in both languages, how far each result is, the distance control, areas
named "near" a place, and "Back to search" keeping the search."""

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from shapely.geometry import MultiPolygon, box
from sqlalchemy.orm import Session

from app.services.imports.places import import_places
from app.services.needs.areas import AreaInput, assign_all_assets, save_areas
from tests.cli.test_import_places import os_row, write_os
from tests.conftest import ADMIN

AddAssets = Callable[..., list[int]]
# Hand-made OS Open Names rows (British National Grid metres) for three Cardiff districts.
SPLOTT_ROW = os_row("osgb4000000074559001", "Splott", 319780, 176440, lang1="eng",
                    name2="Sblot", lang2="cym")  # fmt: skip
CANTON_ROW = os_row("osgb4000000074559002", "Canton", 316696, 176467, lang1="eng",
                    name2="Treganna", lang2="cym")  # fmt: skip
YSTUM_TAF_ROW = os_row("osgb4000000074559003", "Ystum Taf", 315142, 179051, lang1="cym",
                       name2="Llandaff North", lang2="eng")  # fmt: skip
CANTON = (-3.2010, 51.4810)
SPLOTT = (-3.1566, 51.4812)


def listed(html: str) -> list[str]:
    """The names in the page's result lists, in order."""
    return re.findall(r'<span class="result-name"[^>]*>(.*?)</span>', html)


def distances(html: str) -> list[str]:
    """The distances the result list shows, in order."""
    return re.findall(r'<span class="result-distance">(.*?)</span>', html)


@pytest.fixture
def gazetteer(session: Session, tmp_path: Path) -> None:
    """Splott / Sblot, Canton / Treganna and Ystum Taf / Llandaff North, committed."""
    path = write_os(tmp_path / "ST17.csv", [SPLOTT_ROW, CANTON_ROW, YSTUM_TAF_ROW])
    assert import_places(session, path=path).ok
    session.commit()


@pytest.fixture
def canton_assets(add_assets: AddAssets) -> list[int]:
    """A lunch club 350 m from Canton's point, a hall 1.5 km away, a cafe in Splott."""
    return add_assets(
        {"name_en": "Canton lunch club", "name_cy": "Clwb cinio Treganna",
         "lon": CANTON[0], "lat": CANTON[1] + 0.00315, "themes": ["food"]},
        {"name_en": "Cowbridge Road hall", "lon": CANTON[0], "lat": CANTON[1] + 0.0135},
        {"name_en": "Splott cafe", "lon": SPLOTT[0], "lat": SPLOTT[1]},
    )  # fmt: skip


@pytest.mark.parametrize("query", ["Treganna", "treganna", "Canton", "CANTON"])
def test_a_place_is_found_by_its_english_or_welsh_name_and_results_say_how_far(
    client: TestClient, gazetteer: None, canton_assets: list[int], query: str
) -> None:
    html = client.get("/search", params={"q": query}).text

    assert "1 place within 1 km of Canton (Treganna)" in html
    assert listed(html) == ["Canton lunch club"]
    assert distances(html) == ["350 m away"]
    welsh = client.get("/cy/search", params={"q": query}).text
    assert "Treganna (Canton): 1 lle o fewn 1 km" in welsh
    assert distances(welsh) == ["350 m i ffwrdd"]


def test_welsh_names_fold_accents_and_hyphens(
    client: TestClient, gazetteer: None, add_assets: AddAssets
) -> None:
    add_assets({"name_en": "North library", "lon": -3.2240, "lat": 51.5045})

    for query in ("Ystum Taf", "ystum-taf", "Llandaff North", "YSTUM TAF"):
        html = client.get("/search", params={"q": query}).text
        assert "1 place within 1 km of Llandaff North" in html, query
        assert listed(html) == ["North library"]
    assert listed(client.get("/search", params={"q": "Sblot"}).text) == []


def test_the_distance_control_widens_the_search_and_stays_chosen(
    client: TestClient, gazetteer: None, canton_assets: list[int]
) -> None:
    html = client.get("/search", params={"q": "Treganna", "radius": "2000"}).text

    assert "2 places within 2 km of Canton" in html
    assert listed(html) == ["Canton lunch club", "Cowbridge Road hall"]
    assert distances(html) == ["350 m away", "1.5 km away"]
    assert '<select id="radius" name="radius">' in html
    assert re.findall(r'<option value="(\d+)"( selected)?>', html) == [
        ("500", ""), ("1000", ""), ("2000", " selected"), ("5000", ""),
    ]  # fmt: skip
    assert ">Within 2 km</option>" in html
    assert ">O fewn 2 km</option>" in client.get("/cy/search", params={"radius": 2000}).text
    default = client.get("/search", params={"q": "Treganna"}).text
    assert '<option value="1000" selected>' in default


@pytest.mark.parametrize(
    "params", [{"q": "Canton", "radius": "750"}, {"q": "Canton", "radius": "far"},
               {"q": "x" * 201}],
)  # fmt: skip
def test_a_radius_not_offered_or_an_overlong_query_is_a_field_error(
    client: TestClient, params: dict[str, str]
) -> None:
    response = client.get("/search", params=params)

    assert response.status_code == 422
    assert "These parts of the web address are not valid" in response.text
    assert ("radius" if "radius" in params else "q") in response.text


def test_an_outcode_searches_around_its_postcodes(
    client: TestClient,
    add_assets: AddAssets,
    add_postcode: Callable[[str, float, float], None],
) -> None:
    add_postcode("CF24 2AA", SPLOTT[0], SPLOTT[1] - 0.001)
    add_postcode("CF24 2AB", SPLOTT[0], SPLOTT[1] + 0.001)
    add_assets({"name_en": "Splott cafe"}, {"name_en": "Far hall", "lat": 51.53})

    for query in ("CF24", "cf24", " Cf24 "):
        html = client.get("/search", params={"q": query}).text
        assert "1 place within 1 km of CF24" in html, query
        assert listed(html) == ["Splott cafe"]
    unknown = client.get("/search", params={"q": "CF99"}).text
    assert "within 1 km of CF99" not in unknown and listed(unknown) == []


def test_theme_words_find_the_themes_assets_in_either_language(
    client: TestClient, add_assets: AddAssets
) -> None:
    add_assets(
        {"name_en": "Tuesday pantry", "search_text": "tuesday pantry", "themes": ["food"]},
        {"name_en": "Chess club", "search_text": "chess club", "themes": ["arts_culture"]},
    )

    for words in ("food", "Food", "bwyd"):
        assert listed(client.get("/search", params={"q": words}).text) == ["Tuesday pantry"]
    assert listed(client.get("/cy/search", params={"q": "bwyd"}).text) == ["Tuesday pantry"]


def test_the_start_of_a_place_name_offers_the_place(client: TestClient, gazetteer: None) -> None:
    html = client.get("/search", params={"q": "Trega"}).text

    assert "Places with a name like this:" in html
    assert 'Places with a name like this: <a href="/search?q=Canton">Canton (Treganna)</a>' in html
    welsh = client.get("/cy/search", params={"q": "Trega", "radius": 2000}).text
    assert '<a href="/cy/search?q=Treganna&amp;radius=2000">Treganna (Canton)</a>' in welsh


def test_areas_are_named_near_the_gazetteer_place_inside_them(
    client: TestClient, session: Session, gazetteer: None, add_assets: AddAssets
) -> None:
    around_splott = MultiPolygon([box(-3.17, 51.475, -3.145, 51.49)])
    area = AreaInput(1, "W01001700", "Cardiff 032A", "Caerdydd 032A", 1500, None, around_splott)
    save_areas(session, level="lsoa", areas=[area], centroids={}, source="test")
    add_assets({"name_en": "Splott cafe", "search_text": "splott cafe"})
    assign_all_assets(session)
    session.commit()

    html = client.get("/search", params={"q": "Cardiff 032A"}).text
    welsh = client.get("/cy/search", params={"q": "Caerdydd 032"}).text

    assert '<a href="/areas/W01001700">Cardiff 032A, near Splott</a>' in html
    assert "1 place in Cardiff 032A, near Splott" in html
    assert '<a href="/cy/areas/W01001700">Caerdydd 032A, ger Sblot</a>' in welsh
    profile = client.get("/areas/W01001700").text
    assert "<span>Cardiff 032A</span>, near Splott</h1>" in profile


def test_back_to_search_returns_to_the_search_the_asset_was_found_by(
    client: TestClient, gazetteer: None, canton_assets: list[int]
) -> None:
    club = canton_assets[0]
    search = "http://testserver/search?q=Treganna&radius=2000&theme=food"

    html = client.get(f"/assets/{club}", headers={"Referer": search}).text
    welsh = client.get(f"/cy/assets/{club}", headers={"Referer": search}).text

    assert '<a href="/search?q=Treganna&amp;radius=2000&amp;theme=food">Back to search</a>' in html
    assert '<a href="/cy/search?q=Treganna&amp;radius=2000&amp;theme=food">' in welsh


@pytest.mark.parametrize(
    "referer",
    [
        None,
        "https://evil.example/search?q=x",
        "http://testserver/planner?q=x",
        "http://testserver//evil.example/search",
        "javascript:alert(1)//testserver/search",
        "http://testserver/search?q=%0d%0aSet-Cookie:x",
    ],
)
def test_back_to_search_never_leads_off_the_search_page(
    client: TestClient, canton_assets: list[int], referer: str | None
) -> None:
    headers = {"Referer": referer} if referer else {}

    html = client.get(f"/assets/{canton_assets[0]}", headers=headers).text

    link = re.search(r'<a href="([^"]*)">Back to search</a>', html)
    assert link is not None
    assert link.group(1) == "/search" or link.group(1).startswith("/search?q=")
    assert "evil" not in link.group(1) and not set("\r\n\t ") & set(link.group(1))


@pytest.mark.parametrize("params", [{"q": "Treganna"}, {"q": "food"}, {"q": "bwyd"}, {"q": "CF24"}])
def test_place_outcode_and_theme_searches_never_list_people(
    client: TestClient,
    gazetteer: None,
    add_assets: AddAssets,
    add_postcode: Callable[[str, float, float], None],
    params: dict[str, str],
) -> None:
    add_postcode("CF24 2AA", *CANTON)
    add_assets(
        {"kind": "skill", "name_en": "Gwen Jones, cooking", "search_text": "gwen jones cooking",
         "lon": CANTON[0], "lat": CANTON[1] + 0.001, "themes": ["food"]},
        {"kind": "volunteer", "name_en": "Dai, food bank helper", "search_text": "dai food",
         "lon": CANTON[0], "lat": CANTON[1], "themes": ["food"]},
        {"name_en": "Canton pantry", "lon": CANTON[0], "lat": CANTON[1], "themes": ["food"]},
    )  # fmt: skip

    html = client.get("/search", params=params, headers=ADMIN).text

    assert listed(html) == ["Canton pantry"]
    assert "Gwen" not in html and "Dai" not in html


@pytest.mark.parametrize(
    ("query", "heading"),
    [
        ("food Canton", "1 result for food within 1 km of Canton"),
        ("bwyd Treganna", "1 result for bwyd within 1 km of Canton"),
        ("lunch club in Canton", "1 result for lunch club within 1 km of Canton"),
        ("food CF11", "1 result for food within 1 km of CF11"),
    ],
)
def test_words_then_a_place_find_what_the_words_name_near_the_place(
    client: TestClient,
    gazetteer: None,
    add_assets: AddAssets,
    add_postcode: Callable[[str, float, float], None],
    query: str,
    heading: str,
) -> None:
    add_postcode("CF11 9AA", *CANTON)
    add_assets(
        {"name_en": "Canton lunch club", "search_text": "canton lunch club", "themes": ["food"],
         "lon": CANTON[0], "lat": CANTON[1] + 0.002},
        {"name_en": "Canton chess club", "search_text": "canton chess club",
         "lon": CANTON[0], "lat": CANTON[1] + 0.001},
        {"name_en": "Splott lunch club", "search_text": "splott lunch club", "themes": ["food"]},
    )  # fmt: skip

    html = client.get("/search", params={"q": query}).text

    assert heading in html
    assert listed(html) == ["Canton lunch club"]
    assert distances(html) == ["220 m away"]


def test_a_name_that_ends_like_a_place_is_still_searched_as_a_name(
    client: TestClient, gazetteer: None, add_assets: AddAssets
) -> None:
    add_assets({"name_en": "Friends of Canton", "search_text": "friends of canton",
                "lon": SPLOTT[0], "lat": SPLOTT[1]})  # fmt: skip

    html = client.get("/search", params={"q": "Friends of Canton"}).text

    assert "1 result for Friends of Canton" in html
    assert listed(html) == ["Friends of Canton"]
