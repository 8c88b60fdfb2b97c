"""/ogc: OGC API - Features Part 1 (Core, GeoJSON, OpenAPI 3.0), on both backends."""

import math
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings

ITEMS = "/ogc/collections/assets/items"
CONFORMANCE = {
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
}
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
BNG = "http://www.opengis.net/def/crs/EPSG/0/27700"


def links_by_rel(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The body's links, keyed by rel (each rel appears once in these documents)."""
    return {link["rel"]: link for link in body["links"]}


def next_url(body: dict[str, Any]) -> str | None:
    """The href of the body's `next` link, if any."""
    link = links_by_rel(body).get("next")
    return link["href"] if link else None


def all_pages(client: TestClient, url: str) -> list[dict[str, Any]]:
    """Every page of an items query, following `next` links to the end."""
    pages = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.text
        pages.append(response.json())
        url = next_url(pages[-1]) or ""
        assert len(pages) < 100, "next links do not end"
    return pages


def resolve(doc: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """A local `$ref` ('#/components/...') resolved the way GDAL does it, by path segments."""
    ref = node.get("$ref")
    if not ref:
        return node
    assert ref.startswith("#/"), ref
    for part in ref[2:].split("/"):
        doc = doc[part]
    return doc


# ---- landing page, conformance, API definition -------------------------------------------------


def test_landing_page_links_to_api_definition_conformance_and_data(client: TestClient) -> None:
    response = client.get("/ogc")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    links = links_by_rel(response.json())
    assert links["self"]["href"] == "http://testserver/ogc"
    assert links["service-desc"] == {
        "href": "http://testserver/ogc/api",
        "rel": "service-desc",
        "type": "application/vnd.oai.openapi+json;version=3.0",
        "title": "The API",
    }
    assert links["conformance"]["href"] == "http://testserver/ogc/conformance"
    assert links["data"]["href"] == "http://testserver/ogc/collections"
    for rel in ("self", "conformance", "data"):
        assert links[rel]["type"] == "application/json"


def test_links_use_the_configured_public_base_url(settings: Settings) -> None:
    settings = settings.model_copy(update={"base_url": "https://assets.example.cymru"})
    with TestClient(create_app(settings)) as client:
        links = links_by_rel(client.get("/ogc").json())
    assert links["data"]["href"] == "https://assets.example.cymru/ogc/collections"


def test_conformance_declares_core_geojson_oas30_crs_and_queryables(client: TestClient) -> None:
    response = client.get("/ogc/conformance")
    assert response.status_code == 200
    assert set(response.json()["conformsTo"]) == CONFORMANCE


def test_api_definition_is_openapi_30_rooted_at_the_landing_page(client: TestClient) -> None:
    response = client.get("/ogc/api")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.oai.openapi+json;version=3.0"
    doc = response.json()
    assert doc["openapi"].startswith("3.0.")
    assert doc["servers"] == [{"url": "http://testserver/ogc"}]
    assert set(doc["paths"]) == {"/", "/conformance", "/collections"} | {
        f"/collections/{c}{tail}"
        for c in ("assets", "areas", "deficits", "gaps")
        for tail in ("", "/queryables", "/items", "/items/{featureId}")
    }
    text = response.text
    # OpenAPI 3.1 / JSON Schema 2020-12 idioms that a 3.0 reader does not understand.
    assert '{"type":"null"}' not in text
    assert '"const":' not in text
    for name, schema in doc["components"]["schemas"].items():
        assert not isinstance(schema.get("type"), list), name
    for ref in _refs(doc):
        assert resolve(doc, {"$ref": ref}), ref


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"]} if "$ref" in node else set()
        return found.union(*(_refs(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node))
    return set()


def test_api_definition_declares_the_limit_maximum_where_gdal_looks(client: TestClient) -> None:
    # GDAL 3.8+ (ogroapifdriver.cpp, DeterminePageSizeFromAPI) takes the items path relative to
    # the landing page, looks for a parameter `$ref` containing "limit", resolves it and reads
    # schema/maximum and schema/default; it then pages by min(max(1000, default), maximum).
    doc = client.get("/ogc/api").json()
    parameters = doc["paths"]["/collections/assets/items"]["get"]["parameters"]
    refs = [p["$ref"] for p in parameters if "limit" in p.get("$ref", "")]
    assert refs == ["#/components/parameters/limit"]
    limit = resolve(doc, {"$ref": refs[0]})
    assert limit["name"] == "limit"
    assert limit["in"] == "query"
    assert (limit["schema"]["maximum"], limit["schema"]["default"]) == (1000, 10)
    assert min(max(1000, limit["schema"]["default"]), limit["schema"]["maximum"]) == 1000


def test_api_definition_declares_filters_named_after_feature_properties(
    client: TestClient, make_asset: Any
) -> None:
    # GDAL (GetQueryableAttributes) pushes `field = 'value'` to the server only for query
    # parameters of the items path whose name is a field of the layer.
    make_asset()
    doc = client.get("/ogc/api").json()
    properties = client.get(ITEMS).json()["features"][0]["properties"]
    parameters = [
        resolve(doc, p) for p in doc["paths"]["/collections/assets/items"]["get"]["parameters"]
    ]
    queryable = {p["name"] for p in parameters if p["in"] == "query" and p["name"] in properties}
    assert queryable == {"kind", "themes"}
    assert "theme" in {p["name"] for p in parameters}


def test_app_openapi_declares_the_ogc_operations_and_the_limit_maximum(
    client: TestClient,
) -> None:
    doc = client.get("/openapi.json").json()
    parameters = doc["paths"]["/ogc/collections/{collectionId}/items"]["get"]["parameters"]
    limit = next(p for p in parameters if p["name"] == "limit")
    assert (limit["schema"]["minimum"], limit["schema"]["maximum"]) == (1, 1000)
    assert "/ogc/api" not in doc["paths"]


# ---- collections -------------------------------------------------------------------------------


def test_collections_list_assets_with_the_extent_of_visible_assets(
    client: TestClient, make_asset: Any
) -> None:
    make_asset(location={"type": "Point", "coordinates": [-3.25, 51.45]})
    make_asset(location={"type": "Point", "coordinates": [-3.10, 51.52]})
    make_asset(location={"type": "Point", "coordinates": [-4.0, 52.0]}, status="pending")
    response = client.get("/ogc/collections")
    assert response.status_code == 200
    body = response.json()
    assert links_by_rel(body)["self"]["href"] == "http://testserver/ogc/collections"
    collection, areas, deficits, gaps = body["collections"]
    assert [c["id"] for c in (collection, areas, deficits, gaps)] == [
        "assets",
        "areas",
        "deficits",
        "gaps",
    ]
    assert collection["itemType"] == "feature"
    assert collection["crs"] == [CRS84, BNG]
    assert collection["storageCrs"] == CRS84
    spatial = collection["extent"]["spatial"]
    assert spatial["crs"] == "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
    assert spatial["bbox"] == [[-3.25, 51.45, -3.10, 51.52]]
    links = links_by_rel(collection)
    assert links["items"] == {
        "href": "http://testserver/ogc/collections/assets/items",
        "rel": "items",
        "type": "application/geo+json",
        "title": "Community assets as GeoJSON",
    }
    assert client.get("/ogc/collections/assets").json() == collection


def test_collection_extent_is_the_world_when_nothing_is_visible(
    client: TestClient, make_asset: Any
) -> None:
    make_asset(status="pending")
    extent = client.get("/ogc/collections/assets").json()["extent"]["spatial"]["bbox"]
    assert extent == [[-180.0, -90.0, 180.0, 90.0]]


@pytest.mark.parametrize(
    "path",
    [
        "/ogc/collections/people",
        "/ogc/collections/people/items",
        "/ogc/collections/people/items/1",
    ],
)
def test_unknown_collection_is_not_found(client: TestClient, make_asset: Any, path: str) -> None:
    make_asset()
    response = client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json()["code"] == "NotFound"
    assert "people" in response.json()["description"]


# ---- items -------------------------------------------------------------------------------------


def test_items_is_a_geojson_feature_collection_with_counts_and_links(
    client: TestClient, make_asset: Any
) -> None:
    ids = [make_asset(name_en=f"Asset {i}") for i in range(3)]
    response = client.get(ITEMS)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/geo+json"
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert [f["id"] for f in body["features"]] == ids
    assert (body["numberMatched"], body["numberReturned"]) == (3, 3)
    assert body["timeStamp"].endswith("Z")
    links = links_by_rel(body)
    assert links["self"] == {
        "href": "http://testserver/ogc/collections/assets/items",
        "rel": "self",
        "type": "application/geo+json",
        "title": "This page",
    }
    assert links["collection"]["href"] == "http://testserver/ogc/collections/assets"
    assert "next" not in links
    feature = body["features"][0]
    assert feature["type"] == "Feature"
    assert feature["geometry"] == {"type": "Point", "coordinates": [-3.1566, 51.4812]}
    assert feature["properties"]["name_en"] == "Asset 0"
    assert feature["properties"]["themes"] == ["food", "older_people"]


def test_items_pages_reach_every_visible_feature_exactly_once(
    client: TestClient, make_asset: Any
) -> None:
    ids = [make_asset(name_en=f"Asset {i}") for i in range(23)]
    pages = all_pages(client, f"{ITEMS}?limit=5")
    assert [p["numberReturned"] for p in pages] == [5, 5, 5, 5, 3]
    assert [len(p["features"]) for p in pages] == [5, 5, 5, 5, 3]
    assert [f["id"] for p in pages for f in p["features"]] == ids
    assert pages[0]["numberMatched"] == 23
    assert all("numberMatched" not in p for p in pages[1:])  # counting costs a scan
    assert next_url(pages[-1]) is None
    query = parse_qs(urlsplit(next_url(pages[0]) or "").query)
    assert query["limit"] == ["5"]
    assert len(pages) == math.ceil(23 / 5)


def test_items_default_page_is_ten(client: TestClient, make_asset: Any) -> None:
    for i in range(12):
        make_asset(name_en=f"Asset {i}")
    body = client.get(ITEMS).json()
    assert (body["numberReturned"], body["numberMatched"]) == (10, 12)
    assert next_url(body) is not None


def test_limit_above_the_maximum_is_treated_as_the_maximum(
    client: TestClient, make_asset: Any
) -> None:
    # OGC API - Features /req/core/fc-limit-response-1 C: not an error; use the maximum.
    make_asset()
    response = client.get(ITEMS, params={"limit": 5000})
    assert response.status_code == 200
    assert response.json()["numberReturned"] == 1


def test_next_link_states_the_page_size_in_use(client: TestClient, make_asset: Any) -> None:
    for i in range(3):
        make_asset(name_en=f"Asset {i}")
    body = client.get(ITEMS, params={"limit": 2, "kind": "group"}).json()
    query = parse_qs(urlsplit(next_url(body) or "").query)
    assert query["limit"] == ["2"]
    assert query["kind"] == ["group"]
    assert "cursor" in query


def test_items_bbox_keeps_features_inside_the_box(client: TestClient, make_asset: Any) -> None:
    inside = make_asset(location={"type": "Point", "coordinates": [-3.17, 51.48]})
    make_asset(location={"type": "Point", "coordinates": [-3.50, 51.60]})
    body = client.get(ITEMS, params={"bbox": "-3.2,51.45,-3.1,51.5"}).json()
    assert [f["id"] for f in body["features"]] == [inside]
    assert body["numberMatched"] == 1


def test_items_filter_by_kind_and_by_theme(client: TestClient, make_asset: Any) -> None:
    space = make_asset(kind="space", themes=["housing"])
    group = make_asset(kind="group", themes=["food"])
    both = make_asset(kind="space", themes=["food", "housing"])

    def ids(**params: Any) -> list[int]:
        return [f["id"] for f in client.get(ITEMS, params=params).json()["features"]]

    assert ids(kind="space") == [space, both]
    assert ids(theme="food") == [group, both]
    assert ids(themes="food") == [group, both]
    assert ids(kind="space", themes="food") == [both]
    assert ids(kind=["space", "group"]) == [space, group, both]


def test_items_accept_an_rfc3339_datetime(client: TestClient, make_asset: Any) -> None:
    asset_id = make_asset()
    for value in ("2024-05-01T10:00:00Z", "2024-05-01/..", "../2024-05-01T10:00:00+01:00"):
        response = client.get(ITEMS, params={"datetime": value, "f": "json"})
        assert response.status_code == 200, value
        assert [f["id"] for f in response.json()["features"]] == [asset_id]


@pytest.mark.parametrize(
    ("path", "params"),
    [
        (ITEMS, {"colour": "blue"}),
        (ITEMS, {"level": "lsoa"}),  # another collection's filter
        ("/ogc/collections/areas/items", {"kind": "group"}),
        ("/ogc/collections/deficits/items", {"themes": "food"}),
        ("/ogc/collections", {"bbox": "0,0,1,1"}),
        ("/ogc", {"limit": "5"}),
    ],
)
def test_unknown_parameters_are_400_with_an_ogc_exception(
    client: TestClient, path: str, params: dict[str, str]
) -> None:
    response = client.get(path, params=params)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["code"] == "InvalidParameterValue"
    assert body["description"].startswith(f"{next(iter(params))}: unknown parameter")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"bbox": "-3.1,51.5,-3.2,51.4"}, "bbox"),
        ({"bbox": "a,b,c,d"}, "bbox"),
        ({"bbox": "-3.2,51.4,-3.1"}, "bbox"),
        ({"bbox": "-3.2,51.4,-3.1,nan"}, "bbox"),
        ({"bbox": "-190,51.4,-3.1,51.5"}, "bbox"),
        ({"limit": "0"}, "limit"),
        ({"limit": "-5"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"kind": "castle"}, "kind"),
        ({"theme": "dragons"}, "theme"),
        ({"themes": "dragons"}, "themes"),
        ({"datetime": "last tuesday"}, "datetime"),
        ({"datetime": "../.."}, "datetime"),
        ({"f": "xml"}, "f"),  # html is a page (tests/api/test_ogc_html.py)
    ],
)
def test_items_reject_bad_values_with_400_naming_the_field(
    client: TestClient, params: dict[str, str], field: str
) -> None:
    response = client.get(ITEMS, params=params)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["code"] == "InvalidParameterValue"
    assert body["description"].startswith(f"{field}: ")


# ---- one feature -------------------------------------------------------------------------------


def test_item_is_a_geojson_feature_with_links(client: TestClient, make_asset: Any) -> None:
    asset_id = make_asset(name_cy="Tŷ Hafan")
    response = client.get(f"{ITEMS}/{asset_id}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/geo+json"
    feature = response.json()
    assert (feature["type"], feature["id"]) == ("Feature", asset_id)
    assert feature["properties"]["name_cy"] == "Tŷ Hafan"
    links = links_by_rel(feature)
    assert links["self"]["href"] == f"http://testserver{ITEMS}/{asset_id}"
    assert links["collection"]["href"] == "http://testserver/ogc/collections/assets"


def test_unknown_feature_is_not_found(client: TestClient, make_asset: Any) -> None:
    asset_id = make_asset()
    response = client.get(f"{ITEMS}/{asset_id + 1000}")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "code": "NotFound",
        "description": f"no feature '{asset_id + 1000}' in assets",
    }


@pytest.mark.parametrize("feature_id", ["abc", "0", "-1", "1.5", str(2**31), str(2**60)])
def test_malformed_feature_id_is_not_found(client: TestClient, feature_id: str) -> None:
    response = client.get(f"{ITEMS}/{feature_id}")
    assert response.status_code == 404
    assert response.json()["code"] == "NotFound"


# ---- visibility --------------------------------------------------------------------------------


def test_person_linked_and_pending_assets_never_appear(
    client: TestClient, make_asset: Any, make_person_linked_asset: Any
) -> None:
    public = make_asset(location={"type": "Point", "coordinates": [-3.17, 51.48]})
    pending = make_asset(status="pending", location={"type": "Point", "coordinates": [-3.0, 51.6]})
    person = make_person_linked_asset(lon=-3.4, lat=51.3)

    body = client.get(ITEMS, params={"limit": 1000}).json()
    assert [f["id"] for f in body["features"]] == [public]
    assert (body["numberMatched"], body["numberReturned"]) == (1, 1)
    assert client.get(ITEMS, params={"kind": "skill"}).json()["numberMatched"] == 0
    for hidden in (pending, person):
        response = client.get(f"{ITEMS}/{hidden}")
        assert response.status_code == 404
        assert response.json()["description"] == f"no feature '{hidden}' in assets"
    assert "sewing" not in client.get(ITEMS).text
    extent = client.get("/ogc/collections/assets").json()["extent"]["spatial"]["bbox"]
    assert extent == [[-3.17, 51.48, -3.17, 51.48]]
