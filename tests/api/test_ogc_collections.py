"""/ogc beyond the assets: the areas and deficits collections, queryables, and EPSG:27700
(Part 2: `crs`, `bbox-crs`, `Content-Crs`), on both backends. GDAL's own client reading them
in EPSG:27700 is in test_ogc_gdal.py."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from pyproj import Transformer

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
BNG = "http://www.opengis.net/def/crs/EPSG/0/27700"
TO_BNG = Transformer.from_crs("OGC:CRS84", "EPSG:27700", always_xy=True)
SPLOTT = (-3.1566, 51.4812)


def items(client: TestClient, collection: str, **params: Any) -> dict[str, Any]:
    response = client.get(f"/ogc/collections/{collection}/items", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_areas_are_polygons_with_names_and_population(
    client: TestClient, ogc_world: dict[str, Any]
) -> None:
    body = items(client, "areas", limit=2)
    assert body["numberMatched"] == 4 and body["numberReturned"] == 2
    first = body["features"][0]
    assert first["id"] == "W01001700"
    assert first["geometry"]["type"] == "MultiPolygon"
    assert (first["properties"]["name_cy"], first["properties"]["population"]) == (
        "Caerdydd 032A",
        1520,
    )
    rest = client.get(next(x["href"] for x in body["links"] if x["rel"] == "next")).json()
    assert [f["id"] for f in rest["features"]] == ["W01001702", "W02000391"]
    lsoas = items(client, "areas", level="lsoa")
    assert [f["id"] for f in lsoas["features"]] == ["W01001700", "W01001701", "W01001702"]
    one = client.get("/ogc/collections/areas/items/W02000391")
    assert one.status_code == 200 and one.json()["properties"]["level"] == "msoa"


def test_deficits_are_published_without_who_reported_them(
    client: TestClient, ogc_world: dict[str, Any]
) -> None:
    body = items(client, "deficits")
    assert [f["id"] for f in body["features"]] == [ogc_world["point"], ogc_world["area"]]
    assert "Gwen Jones" not in str(body)
    open_only = items(client, "deficits", status="open")
    assert [f["id"] for f in open_only["features"]] == [ogc_world["point"]]
    food = items(client, "deficits", theme="food")
    assert [f["id"] for f in food["features"]] == [ogc_world["area"]]
    one = client.get(f"/ogc/collections/deficits/items/{ogc_world['area']}")
    assert one.json()["properties"]["title_en"] == "No food bank"


def test_collections_declare_extents_and_link_their_queryables(
    client: TestClient, ogc_world: dict[str, Any]
) -> None:
    collections = {c["id"]: c for c in client.get("/ogc/collections").json()["collections"]}
    assert collections["areas"]["extent"]["spatial"]["bbox"] == [[-3.17, 51.47, -3.14, 51.5]]
    deficits = collections["deficits"]["extent"]["spatial"]["bbox"][0]
    assert deficits == pytest.approx([-3.18, 51.46, -3.14, 51.49])
    for collection in collections.values():
        rels = {link["rel"]: link["href"] for link in collection["links"]}
        queryables = client.get(rels["http://www.opengis.net/def/rel/ogc/1.0/queryables"])
        assert queryables.status_code == 200
        assert queryables.headers["content-type"] == "application/schema+json"
        assert queryables.json()["type"] == "object"
    areas = client.get("/ogc/collections/areas/queryables").json()
    assert set(areas["properties"]) == {"level"}
    assert "lsoa" in areas["properties"]["level"]["enum"]


def test_british_national_grid_on_request_with_content_crs(
    client: TestClient, ogc_world: dict[str, Any]
) -> None:
    response = client.get("/ogc/collections/assets/items", params={"crs": BNG})
    assert response.status_code == 200
    assert response.headers["content-crs"] == f"<{BNG}>"
    [feature] = response.json()["features"]
    easting, northing = TO_BNG.transform(*SPLOTT)
    assert feature["geometry"]["coordinates"] == pytest.approx([easting, northing], abs=0.01)
    default = client.get("/ogc/collections/assets/items")
    assert default.headers["content-crs"] == f"<{CRS84}>"
    assert default.json()["features"][0]["geometry"]["coordinates"] == list(SPLOTT)
    area = client.get("/ogc/collections/areas/items/W01001700", params={"crs": BNG})
    ring = area.json()["geometry"]["coordinates"][0][0]
    assert all(100_000 < x < 400_000 and 100_000 < y < 300_000 for x, y in ring)
    assert area.headers["content-crs"] == f"<{BNG}>"


def test_a_bbox_in_british_national_grid(client: TestClient, ogc_world: dict[str, Any]) -> None:
    easting, northing = TO_BNG.transform(*SPLOTT)
    near = f"{easting - 100},{northing - 100},{easting + 100},{northing + 100}"
    inside = items(client, "deficits", bbox=near, **{"bbox-crs": BNG})
    assert ogc_world["point"] in [f["id"] for f in inside["features"]]
    away = f"{easting + 5000},{northing + 5000},{easting + 5100},{northing + 5100}"
    assert items(client, "assets", bbox=away, **{"bbox-crs": BNG})["features"] == []


@pytest.mark.parametrize(
    "params",
    [
        {"crs": "EPSG:3857"},
        {"bbox-crs": "http://www.opengis.net/def/crs/EPSG/0/3857", "bbox": "0,0,1,1"},
        {"level": "county"},
    ],
)
def test_unsupported_crs_or_values_are_400(client: TestClient, params: dict[str, str]) -> None:
    response = client.get("/ogc/collections/areas/items", params=params)
    assert response.status_code == 400
    assert response.json()["code"] == "InvalidParameterValue"
