"""/ogc for people who click the links: `f=html` (or a browser's Accept) answers the landing
page, conformance, collections, a collection, its queryables, its items and one item as pages
in the site's style, with what they show escaped; `f=json` and JSON clients stay JSON; errors
of a page are pages, and an invalid `f` is an OGC exception. The pages in a real browser
(accessibility, nothing they show runs) are in tests/web/test_ogc_pages_browser.py."""

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import insert_assets

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
HOSTILE = '<script>window.__xss=1</script>Hall & "café"'
ESCAPED = "&lt;script&gt;window.__xss=1&lt;/script&gt;Hall &amp; &#34;café&#34;"


def page(client: TestClient, path: str, status: int = 200, **headers: str) -> str:
    response = client.get(path, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    return response.text


def hrefs(html: str) -> list[str]:
    return [h.replace("&amp;", "&") for h in re.findall(r'href="([^"]*)"', html)]


@pytest.fixture
def hostile(session: Any, ogc_world: dict[str, Any]) -> list[int]:
    ids = insert_assets(
        session,
        [
            {
                "name_en": HOSTILE,
                "description_en": "Lunch on <b>Tuesdays</b>",
                "themes": ["arts_culture"],
            },
            {"name_en": "Second hall", "lon": -3.16, "themes": ["arts_culture"]},
        ],
    )
    session.commit()
    return ids


@pytest.mark.parametrize(
    "path",
    [
        "/ogc",
        "/ogc/conformance",
        "/ogc/collections",
        "/ogc/collections/assets",
        "/ogc/collections/assets/queryables",
        "/ogc/collections/assets/items",
        "/ogc/collections/areas/items/W01001700",
    ],
)
def test_every_document_is_a_page_with_f_html_and_for_a_browser(
    client: TestClient, ogc_world: dict[str, Any], path: str
) -> None:
    joined = "&" if "?" in path else "?"
    html = page(client, f"{path}{joined}f=html")
    assert '<html lang="en">' in html
    assert 'href="/static/css/site.css"' in html  # the site's own page
    assert f"{path}?f=json" in hrefs(html)  # and the document as JSON
    heading = re.search(r"<h1>.*</h1>", html)
    assert heading and heading.group() in page(client, path, accept=BROWSER_ACCEPT)

    for headers, query in (({}, ""), ({"accept": BROWSER_ACCEPT}, "?f=json"),
                           ({"accept": "application/json"}, ""),
                           ({"accept": "application/geo+json, text/html;q=0.5"}, "")):  # fmt: skip
        response = client.get(path + query, headers=headers)
        assert response.status_code == 200
        assert "json" in response.headers["content-type"], (headers, query)


def test_the_landing_page_links_to_the_collections_and_conformance(client: TestClient) -> None:
    links = hrefs(page(client, "/ogc?f=html"))
    assert {"/ogc/collections?f=html", "/ogc/conformance?f=html", "/ogc/api"} <= set(links)


def test_the_conformance_page_lists_the_classes(client: TestClient) -> None:
    html = page(client, "/ogc/conformance?f=html")
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in html


def test_the_collections_page_links_each_collection(
    client: TestClient, ogc_world: dict[str, Any]
) -> None:
    links = hrefs(page(client, "/ogc/collections?f=html"))
    for collection in ("assets", "areas", "deficits", "gaps"):
        assert f"/ogc/collections/{collection}?f=html" in links
    assert "/ogc/collections/assets/items?f=html" in links


def test_a_collection_page_links_its_items_and_queryables(
    client: TestClient, ogc_world: dict[str, Any]
) -> None:
    html = page(client, "/ogc/collections/areas?f=html")
    assert "Small areas" in html and "http://www.opengis.net/def/crs/EPSG/0/27700" in html
    links = hrefs(html)
    assert "/ogc/collections/areas/items?f=html" in links
    assert "/ogc/collections/areas/queryables?f=html" in links
    gaps = hrefs(page(client, "/ogc/collections/gaps?indicator=wimd&theme=food&f=html"))
    assert "/ogc/collections/gaps/items?indicator=wimd&theme=food&f=html" in gaps


def test_the_queryables_page_lists_the_filters_and_their_values(client: TestClient) -> None:
    html = page(client, "/ogc/collections/assets/queryables?f=html")
    assert "<code>kind</code>" in html and "group, space, organisation" in html


def test_items_are_a_table_of_properties_escaped_with_links_between_pages(
    client: TestClient, hostile: list[int]
) -> None:
    html = page(client, "/ogc/collections/assets/items?theme=arts_culture&limit=1&f=html")
    assert ESCAPED in html and HOSTILE not in html
    assert "Lunch on &lt;b&gt;Tuesdays&lt;/b&gt;" in html
    assert "<code>name_en</code>" in html and "<code>themes</code>" in html
    assert "2 features in all." in html
    [next_page] = [h for h in hrefs(html) if "cursor=" in h]
    assert next_page.startswith("/ogc/collections/assets/items?theme=arts_culture&limit=1&cursor=")
    assert next_page.endswith("&f=html")
    assert f"/ogc/collections/assets/items/{hostile[0]}?f=html" in hrefs(html)
    assert "/ogc/collections/assets/items?theme=arts_culture&limit=1&f=json" in hrefs(html)

    second = page(client, next_page)
    assert "Second hall" in second and HOSTILE not in second
    assert "/ogc/collections/assets/items?theme=arts_culture&limit=1&f=html" in hrefs(
        second
    )  # first
    assert 'rel="next"' not in second


def test_an_item_is_a_table_of_its_properties_escaped(
    client: TestClient, hostile: list[int]
) -> None:
    html = page(client, f"/ogc/collections/assets/items/{hostile[0]}?f=html")
    assert ESCAPED in html and HOSTILE not in html
    assert "Point" in html
    assert "/ogc/collections/assets/items?f=html" in hrefs(html)


def test_the_pages_are_in_welsh_under_cy(client: TestClient, ogc_world: dict[str, Any]) -> None:
    html = page(client, "/cy/ogc/collections")
    assert '<html lang="cy">' in html
    assert "/cy/ogc/collections/assets" in hrefs(html)
    assert "/ogc/collections?f=json" in hrefs(html)  # the data itself is one document
    assert "/ogc/collections?lang=en" in hrefs(html)  # the language switch
    english = client.get("/ogc/collections?lang=en&f=html")
    assert english.status_code == 200 and '<html lang="en">' in english.text


def test_an_unknown_collection_or_feature_is_a_404_page(
    client: TestClient, ogc_world: dict[str, Any]
) -> None:
    for path in (
        "/ogc/collections/nothing?f=html",
        "/ogc/collections/nothing/items?f=html",
        "/ogc/collections/assets/items/999999?f=html",
    ):
        assert "Page not found" in page(client, path, 404)
    assert "Page not found" in page(client, "/ogc/collections/nothing", 404, accept=BROWSER_ACCEPT)


def test_a_bad_parameter_on_a_page_is_a_400_page_naming_it(client: TestClient) -> None:
    html = page(client, "/ogc/collections/assets/items?f=html&colour=red", 400)
    assert "<li>colour</li>" in html
    html = page(client, "/ogc/collections/assets/items?f=html&bbox=1,2", 400)
    assert "<li>bbox</li>" in html


@pytest.mark.parametrize("f", ["xml", "HTML", ""])
def test_an_invalid_f_is_an_ogc_exception(client: TestClient, f: str) -> None:
    response = client.get(f"/ogc/collections?f={f}", headers={"accept": BROWSER_ACCEPT})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["code"] == "InvalidParameterValue" and body["description"].startswith("f:")
