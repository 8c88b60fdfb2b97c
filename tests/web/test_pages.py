"""The page shell, the home page and search results, in both languages (no browser)."""

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from tests.conftest import ADMIN
from tests.maps.islands import page_island
from tests.web.test_every_page import page_routers


def _one(pattern: str, html: str) -> str:
    found = re.findall(pattern, html, re.S)
    assert len(found) == 1, (pattern, found)
    return found[0]


@pytest.mark.parametrize(
    ("path", "lang", "title", "switch"),
    [
        ("/", "en", "Find what is near you",
         '<a href="/cy/?lang=cy" lang="cy" hreflang="cy">Cymraeg</a>'),
        ("/cy/", "cy", "Dewch o hyd i beth sydd yn agos atoch",
         '<a href="/?lang=en" lang="en" hreflang="en">English</a>'),
    ],
)  # fmt: skip
def test_the_home_page_shell(
    client: TestClient, path: str, lang: str, title: str, switch: str
) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert _one(r"<html lang=\"(\w+)\">", html) == lang
    assert _one(r"<title>(.*?)</title>", html).startswith(title)
    assert _one(r"<h1>(.*?)</h1>", html) == title
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert '<a class="skip-link" href="#main">' in html and '<main id="main"' in html
    assert switch in html
    assert html.count("<main") == 1 and "<header" in html and "<footer" in html
    assert 'action="%s"' % ("/cy/search" if lang == "cy" else "/search") in html


def test_cy_without_a_slash_goes_to_the_welsh_home_page(client: TestClient) -> None:
    response = client.get("/cy", follow_redirects=False)
    assert response.status_code in (307, 308)
    assert response.headers["location"].endswith("/cy/")


def test_every_page_has_a_welsh_twin() -> None:
    paths = {getattr(route, "path", "") for r in page_routers() for route in r.routes}
    english = {p for p in paths if not p.startswith("/cy/")}
    assert {"/", "/search"} <= english
    assert paths == english | {"/cy" + p for p in english}


def test_search_by_name_lists_matches_in_the_page_language(
    client: TestClient, add_assets: Callable[..., list[int]]
) -> None:
    add_assets(
        {"name_en": "Splott lunch club", "name_cy": "Clwb cinio Sblot",
         "search_text": "splott lunch club clwb cinio sblot"},
        {"name_en": "Tremorfa allotments", "search_text": "tremorfa allotments"},
    )  # fmt: skip
    english = client.get("/search", params={"q": "lunch"}).text
    assert "1 result for lunch" in english
    assert '<span class="result-name">Splott lunch club</span>' in english
    assert "Tremorfa" not in english
    welsh = client.get("/cy/search", params={"q": "cinio"}).text
    assert "1 canlyniad ar gyfer cinio" in welsh
    assert '<span class="result-name">Clwb cinio Sblot</span>' in welsh


def test_a_name_only_in_english_is_marked_as_english_on_a_welsh_page(
    client: TestClient, add_assets: Callable[..., list[int]]
) -> None:
    add_assets({"name_en": "Tremorfa allotments", "search_text": "tremorfa allotments"})
    welsh = client.get("/cy/search", params={"q": "tremorfa"}).text
    assert '<span class="result-name" lang="en">Tremorfa allotments</span>' in welsh
    assert "(yn Saesneg)" in welsh


def test_the_results_come_before_their_map(
    client: TestClient, add_assets: Callable[..., list[int]]
) -> None:
    add_assets({"name_en": "Splott lunch club", "search_text": "splott lunch club"})
    html = client.get("/search", params={"q": "splott"}).text
    assert html.index('<ol class="results"') < html.index('class="folium-map"')
    assert '<script src="/static/vendor/leaflet/leaflet.js"></script>' in html
    (markers,) = page_island(html)["layers"]
    assert [pin["name"] for pin in markers["pins"]] == ["Splott lunch club"]


def test_search_by_postcode_finds_what_is_within_a_kilometre_nearest_first(
    client: TestClient,
    add_assets: Callable[..., list[int]],
    add_postcode: Callable[[str, float, float], None],
) -> None:
    add_postcode("CF24 2AA", -3.1566, 51.4812)
    add_assets(
        {"name_en": "Far hall", "lon": -3.1566, "lat": 51.4912},  # about 1.1 km north
        {"name_en": "Next door cafe", "lon": -3.1567, "lat": 51.4813},
        {"name_en": "Round the corner", "lon": -3.1566, "lat": 51.4852},
    )
    html = client.get("/search", params={"q": "cf242aa"}).text
    assert "2 places within 1 km of CF24 2AA" in html
    assert html.index("Next door cafe") < html.index("Round the corner")
    assert "Far hall" not in html


def test_an_unknown_postcode_says_so(client: TestClient) -> None:
    html = client.get("/cy/search", params={"q": "CF99 9ZZ"}).text
    assert "Nid ydym yn adnabod y cod post CF99 9ZZ" in html
    assert "folium-map" not in html


def test_an_empty_search_asks_for_something(client: TestClient) -> None:
    html = client.get("/search").text
    assert "Type a postcode or a name to search." in html


def test_search_text_is_escaped(client: TestClient, add_assets: Callable[..., list[int]]) -> None:
    name = "<script>alert(1)</script> club"
    add_assets({"name_en": name, "search_text": name})
    html = client.get("/search", params={"q": "<script>"}).text
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; club" in html


def test_pages_never_show_people_even_to_admins(
    client: TestClient, add_assets: Callable[..., list[int]]
) -> None:
    add_assets(
        {"kind": "skill", "name_en": "Gwen Jones, sewing", "search_text": "gwen jones sewing"},
        {"kind": "group", "name_en": "Sewing circle", "search_text": "sewing circle"},
    )
    html = client.get("/search", params={"q": "sewing"}, headers=ADMIN).text
    assert "Sewing circle" in html
    assert "Gwen" not in html


def test_pending_assets_are_not_shown(
    client: TestClient, add_assets: Callable[..., list[int]]
) -> None:
    add_assets({"name_en": "Pending club", "status": "pending", "search_text": "pending club"})
    assert "Pending club" not in client.get("/search", params={"q": "pending"}).text


def test_static_files_are_served_with_their_types(client: TestClient) -> None:
    css = client.get("/static/css/site.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    leaflet = client.get("/static/vendor/leaflet/leaflet.js")
    assert leaflet.status_code == 200, "run `make install` (scripts/vendor-web.sh)"
    assert "javascript" in leaflet.headers["content-type"]
    assert "etag" in leaflet.headers
    licence = client.get("/static/vendor/leaflet/LICENSE")
    assert licence.status_code == 200 and "BSD 2-Clause License" in licence.text


@pytest.mark.parametrize(
    "path", ["/static/../pages.py", "/static/%2e%2e/pages.py", "/static/nope.css"]
)
def test_nothing_outside_the_static_folder_is_served(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 404


def test_pages_may_load_tiles_from_the_basemap_host_only(settings: Settings) -> None:
    tiles = {"basemap": "https://{s}.tiles.example.org/{z}/{x}/{y}.png",
             "basemap_attribution": "x"}  # fmt: skip
    with TestClient(create_app(settings.model_copy(update=tiles))) as client:
        policy = client.get("/").headers["content-security-policy"]
    img_src = next(d for d in policy.split("; ") if d.startswith("img-src"))
    assert img_src == "img-src 'self' data: https://*.tiles.example.org"
    assert policy.count("tiles.example.org") == 1


def test_pages_with_openstreetmap_may_load_its_tiles_and_nothing_else(settings: Settings) -> None:
    with TestClient(create_app(settings.model_copy(update={"basemap": "osm"}))) as client:
        page = client.get("/search", params={"q": "x"})
        data = client.get("/api/v1/themes")
    policy = page.headers["content-security-policy"]
    directives = [d.split() for d in policy.split("; ")]
    hosts = [(d[0], s) for d in directives for s in d[1:] if "://" in s]
    assert hosts == [("img-src", "https://tile.openstreetmap.org")]
    assert "openstreetmap" not in data.headers["content-security-policy"]


def test_without_a_basemap_pages_name_no_other_host(client: TestClient) -> None:
    policy = client.get("/").headers["content-security-policy"]
    assert "://" not in policy
