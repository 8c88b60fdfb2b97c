"""/tiles/{layer}/{z}/{x}/{y}.mvt: vector tiles of areas and public assets, both backends."""

import math

import mapbox_vector_tile
import pytest
import shapely
from fastapi.testclient import TestClient
from shapely.geometry import MultiPolygon
from sqlalchemy.orm import Session

from app.services.needs.areas import AreaInput, save_areas
from app.spatial.tiles import EXTENT, TileBox
from tests.api.conftest import insert_assets
from tests.conftest import ADMIN

# Two neighbouring squares in Cardiff and one far off in the north (another tile).
SPLOTT = (-3.16, 51.47, -3.14, 51.49)
ADAMSDOWN = (-3.14, 51.47, -3.12, 51.49)
FAR = (-4.10, 53.20, -4.08, 53.22)
ZOOM = 12


def tile_of(lon: float, lat: float, z: int = ZOOM) -> tuple[int, int, int]:
    """The z/x/y of the tile holding lon/lat."""
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return z, x, y


def _area(number: int, code: str, name_en: str, name_cy: str, box: tuple) -> AreaInput:
    return AreaInput(number, code, name_en, name_cy, 1500, None, MultiPolygon([shapely.box(*box)]))


@pytest.fixture
def areas(session: Session) -> None:
    save_areas(
        session,
        level="lsoa",
        areas=[
            _area(1, "W01000001", "Splott 1", "Sblot 1", SPLOTT),
            _area(2, "W01000002", "Adamsdown 1", "Adamsdown 1", ADAMSDOWN),
            _area(3, "W01000003", "Bangor 1", "Bangor 1", FAR),
        ],
        centroids={},
        source="test",
    )
    save_areas(
        session,
        level="msoa",
        areas=[_area(4, "W02000001", "Cardiff 1", "Caerdydd 1", (-3.16, 51.47, -3.12, 51.49))],
        centroids={},
        source="test",
    )
    session.commit()


@pytest.fixture
def crowd(session: Session, make_person_linked_asset) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Published public assets in Splott, plus a pending one and a person-linked one there."""
    ids = insert_assets(
        session,
        [
            {"name_en": f"Place {i}", "name_cy": f"Lle {i}", "lon": -3.155 + i * 0.001,
             "lat": 51.48, "kind": "group"}
            for i in range(5)
        ],
    )  # fmt: skip
    insert_assets(
        session,
        [{"name_en": "Not yet", "lon": -3.15, "lat": 51.481, "kind": "space",
          "status": "pending"}],
    )  # fmt: skip
    session.commit()
    person = make_person_linked_asset(name_en="Jo Bloggs, knits", lon=-3.151, lat=51.482)
    session.commit()
    return {"published": len(ids), "person": person}


def _decode(body: bytes) -> dict:
    return mapbox_vector_tile.decode(body) if body else {}


def test_an_area_tile_holds_the_areas_in_it_with_their_codes_and_names(
    client: TestClient, areas: None
) -> None:
    z, x, y = tile_of(-3.14, 51.48)
    response = client.get(f"/tiles/areas/{z}/{x}/{y}.mvt")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    layer = _decode(response.content)["areas"]
    assert layer["extent"] == EXTENT
    found = {f["properties"]["code"]: f["properties"] for f in layer["features"]}
    assert sorted(found) == ["W01000001", "W01000002", "W02000001"]  # not Bangor
    assert found["W01000001"] == {
        "code": "W01000001", "level": "lsoa", "name_en": "Splott 1", "name_cy": "Sblot 1"
    }  # fmt: skip
    assert all(f["geometry"]["type"] == "Polygon" for f in layer["features"])
    lsoas = _decode(client.get(f"/tiles/areas/{z}/{x}/{y}.mvt?level=lsoa").content)["areas"]
    assert sorted(f["properties"]["code"] for f in lsoas["features"]) == [
        "W01000001",
        "W01000002",
    ]


def test_an_area_outline_lands_where_it_is_in_the_tile(client: TestClient, areas: None) -> None:
    z, x, y = tile_of(-3.15, 51.48)
    layer = _decode(client.get(f"/tiles/areas/{z}/{x}/{y}.mvt?level=lsoa").content)["areas"]
    (splott,) = [f for f in layer["features"] if f["properties"]["code"] == "W01000001"]
    west, south, east, north = shapely.geometry.shape(splott["geometry"]).bounds
    # The tile's own units (y up, as mapbox-vector-tile decodes): compare with the box.
    minx, miny, maxx, maxy = TileBox(z, x, y).mercator

    def units(lon: float, lat: float) -> tuple[float, float]:
        mx = lon * 20037508.342789244 / 180
        my = math.log(math.tan(math.radians(90 + lat) / 2)) * 20037508.342789244 / math.pi
        return (mx - minx) / (maxx - minx) * EXTENT, (my - miny) / (maxy - miny) * EXTENT

    assert (west, south) == pytest.approx(units(SPLOTT[0], SPLOTT[1]), abs=1.01)
    assert (east, north) == pytest.approx(units(SPLOTT[2], SPLOTT[3]), abs=1.01)


def test_an_empty_tile_is_empty(client: TestClient, areas: None) -> None:
    response = client.get("/tiles/areas/12/0/0.mvt")
    assert response.status_code == 200 and response.content == b""


def test_asset_tiles_hold_published_public_assets_never_people_or_pending(
    client: TestClient, crowd: dict[str, int]
) -> None:
    z, x, y = tile_of(-3.152, 51.48, 14)
    for headers in ({}, ADMIN):  # an admin's tile is everybody's tile
        body = client.get(f"/tiles/assets/{z}/{x}/{y}.mvt", headers=headers).content
        features = _decode(body)["assets"]["features"]
        names = sorted(f["properties"]["name_en"] for f in features)
        assert names == [f"Place {i}" for i in range(5)]
        assert {f["properties"]["kind"] for f in features} == {"group"}
        assert "Jo Bloggs" not in body.decode("latin-1") and b"Not yet" not in body
        assert all("count" not in f["properties"] for f in features)


def test_asset_tiles_cluster_below_zoom_13_and_count_only_public_assets(
    client: TestClient, crowd: dict[str, int]
) -> None:
    z, x, y = tile_of(-3.152, 51.48, 9)
    body = client.get(f"/tiles/assets/{z}/{x}/{y}.mvt").content
    features = _decode(body)["assets"]["features"]
    assert sum(f["properties"]["count"] for f in features) == crowd["published"]
    assert all(set(f["properties"]) == {"count"} for f in features)
    assert b"Place" not in body


def test_tiles_carry_a_strong_etag_and_answer_304_until_the_data_changes(
    client: TestClient, session: Session, areas: None, crowd: dict[str, int]
) -> None:
    z, x, y = tile_of(-3.152, 51.48, 14)
    for layer in ("areas", "assets"):
        first = client.get(f"/tiles/{layer}/{z}/{x}/{y}.mvt")
        etag = first.headers["etag"]
        assert etag.startswith('"') and not etag.startswith("W/")
        again = client.get(f"/tiles/{layer}/{z}/{x}/{y}.mvt", headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["etag"] == etag
        other = client.get(f"/tiles/{layer}/{z}/{x}/{y + 1}.mvt")
        assert other.headers["etag"] != etag
    asset_etag = client.get(f"/tiles/assets/{z}/{x}/{y}.mvt").headers["etag"]
    insert_assets(session, [{"name_en": "New hall", "lon": -3.152, "lat": 51.4805}])
    session.commit()
    changed = client.get(f"/tiles/assets/{z}/{x}/{y}.mvt", headers={"If-None-Match": asset_etag})
    assert changed.status_code == 200 and changed.headers["etag"] != asset_etag
    names = [f["properties"]["name_en"] for f in _decode(changed.content)["assets"]["features"]]
    assert "New hall" in names


@pytest.mark.parametrize(
    ("path", "status", "reason"),
    [
        ("/tiles/areas/23/0/0.mvt", 404, "zooms run from 0 to 22"),
        ("/tiles/areas/2/4/0.mvt", 404, "x and y run from 0 to 3"),
        ("/tiles/areas/2/0/-1.mvt", 404, "x and y run from 0 to 3"),
        ("/tiles/areas/a/0/0.mvt", 422, "z"),
        ("/tiles/roads/2/0/0.mvt", 422, "layer"),
        ("/tiles/areas/2/0/0.mvt?level=county", 422, "unknown level 'county'"),
    ],
)
def test_a_tile_that_cannot_be_says_why(
    client: TestClient, path: str, status: int, reason: str
) -> None:
    response = client.get(path)
    assert response.status_code == status
    assert reason in response.text
