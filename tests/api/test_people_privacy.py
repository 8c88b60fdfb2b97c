"""People are never shown, only counted: no public output can place a person closer than
their 1 km grid square (DESIGN.md section 4; issue 3 tests a-d)."""

import itertools
import logging
import math
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pyproj import Transformer
from sqlalchemy import delete
from sqlalchemy.orm import Session

from app.http.access import PUBLIC, Access
from app.main import create_app
from app.models import Asset
from app.services.openreferral.publish import asset_object_id
from app.settings import Settings
from tests.api.test_access import DOCS_ROUTES, _routes, _rules
from tests.conftest import ADMIN, Patches, asset_body, person_body

TO_BNG = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
FROM_BNG = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
# A 1 km square of the British National Grid inside the west patch, more than 1 km from the
# patch's corners and centroid: computed here, independently of app/services/people/grid.py.
SQUARE_SW = (311000.0, 170000.0)


def _lonlat(e: float, n: float) -> tuple[float, float]:
    lon, lat = FROM_BNG.transform(e, n)
    return round(lon, 7), round(lat, 7)


CENTRE = _lonlat(SQUARE_SW[0] + 500, SQUARE_SW[1] + 500)
EXACT = [
    _lonlat(SQUARE_SW[0] + 180, SQUARE_SW[1] + 230),
    _lonlat(SQUARE_SW[0] + 820, SQUARE_SW[1] + 760),
]


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    ax, ay = TO_BNG.transform(*a)
    bx, by = TO_BNG.transform(*b)
    return math.hypot(ax - bx, ay - by)


def _point(lonlat: tuple[float, float]) -> dict[str, Any]:
    return {"type": "Point", "coordinates": list(lonlat)}


def test_the_fixture_square_is_far_from_everything_else(patches: Patches) -> None:
    corners = [(-3.3, 51.4), (-3.2, 51.4), (-3.3, 51.5), (-3.2, 51.5), (-3.25, 51.45)]
    edges = [(-3.3, 51.43), (-3.2, 51.43), (-3.27, 51.4), (-3.27, 51.5)]
    assert all(_metres(e, c) > 1500 for e in EXACT for c in corners + edges)
    assert _metres(EXACT[0], EXACT[1]) > 800  # different points, one square


TILE_ZOOM = 14


def tile_of(lon: float, lat: float, zoom: int) -> tuple[int, int, int]:
    """The web-mercator tile (z, x, y) holding a point."""
    n = 2**zoom
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return zoom, int((lon + 180) / 360 * n), int(y)


def _public_gets(
    app: Any, people: list[int], published: int, deficit: int, gap: int = 0
) -> Iterator[tuple[str, str]]:
    """Every public GET route, with its path filled in: (route, url). New public routes are
    crawled automatically (an unknown path parameter fails the test)."""
    values = {
        "asset_id": [*people, published],
        "featureId": [*people, published],
        "collectionId": ["assets", "areas", "deficits", "gaps"],
        # Open Referral UK objects: the ids of people's and the published asset's services
        # and services at locations (people's answer 404, as every other hidden record).
        "id": [
            asset_object_id(kind, asset_id)
            for kind in ("service", "service_at_location")
            for asset_id in [*people, published]
        ],
        "code": ["X01000001"],
        "postcode": ["CF10 1AA"],
        "deficit_id": [deficit],
        # A published residents' gap ("missing here"); 0 (none) reads the 404 answer.
        "gap_id": [gap],
        # The vector tile holding the people's square, at a zoom that draws single assets.
        "layer": ["assets", "areas"],
        **dict(zip(("z", "x", "y"), ([n] for n in tile_of(*CENTRE, TILE_ZOOM)), strict=True)),
    }
    centre = f"{CENTRE[0]},{CENTRE[1]}"
    extra = {
        "/api/v1/assets": ["", "?f=geojson", "?f=csv", f"?near={centre}&radius_m=3000",
                           "?status=pending", "?kind=skill", "?q=Rhian"],
        "/api/v1/people/near": [f"?near={centre}"],
        "/api/v1/people/counts": ["?theme=food", "?area=X01000001"],
        "/api/v1/areas": ["", "?f=geojson"],
        "/api/v1/analysis/coverage": ["?theme=food"],
        "/api/v1/analysis/gaps": ["?indicator=none&theme=food"],
        "/ogc/collections/{collectionId}/items": [
            "", "?f=json&limit=1000", "?crs=http://www.opengis.net/def/crs/EPSG/0/27700",
        ],
        "/openreferral/services": ["", "?per_page=500", "?text=Rhian"],
        "/openreferral/service_at_locations": ["", "?per_page=500"],
    }  # fmt: skip
    for route in _routes(app.routes):
        if route.path in DOCS_ROUTES or "GET" not in (route.methods or ()):
            continue
        rules: set[Access] = set(_rules(route.dependant))
        if rules != {PUBLIC}:
            continue
        names = re.findall(r"{(\w+)}", route.path)
        assert all(n in values for n in names), f"no test value for {route.path}"
        paths = [route.path]
        for name in names:
            paths = [p.replace(f"{{{name}}}", str(v)) for p in paths for v in values[name]]
        for path in paths:
            for query in extra.get(route.path, [""]):
                yield route.path, path + query


NUMBER = re.compile(r"-?\d+\.\d+")


def _near_points(text: str) -> list[tuple[float, float]]:
    """Every pair of consecutive numbers in the text (as in [lon, lat], "lon": x, "lat": y, or
    CSV columns lon,lat) that lies within 1 km of a person."""
    numbers = [float(n) for n in NUMBER.findall(text)]
    return [
        (lon, lat)
        for lon, lat in itertools.pairwise(numbers)
        if -4 < lon < -2.5
        and 51 < lat < 52
        and any(_metres((lon, lat), exact) < 1000 for exact in EXACT)
    ]


def _crawl(
    client: TestClient, people: list[int], published: int, deficit: int, gap: int = 0
) -> dict[str, str]:
    bodies = {}
    for route, url in _public_gets(client.app, people, published, deficit, gap):
        response = client.get(url)
        assert response.status_code < 500, (url, response.text)
        # The time of the response itself is the one thing allowed to differ between crawls.
        text, key = re.sub(r'"timeStamp":"[^"]*"', '"timeStamp":"T"', response.text), url
        # So are the random names folium gives a page's map elements (map_<32 hex digits>).
        text = re.sub(r"_[0-9a-f]{32}(?![0-9a-f])", "_NAME", text)
        for person in people:  # ids only where they stand as ids: paths, messages, "id"
            id_of = rf"(/|\"id\":|asset |feature |feature '){person}(?![\w.])"
            text = re.sub(id_of, r"\1PERSON", text)
            key = re.sub(id_of, r"\1PERSON", key)
            for kind in ("service", "service_at_location"):  # Open Referral ids carry it too
                uuid = asset_object_id(kind, person)
                text, key = (
                    text.replace(uuid, f"PERSON-{kind}"),
                    key.replace(uuid, f"PERSON-{kind}"),
                )
        bodies[key] = text
        assert route  # every crawled url came from a declared public route
    return bodies


@pytest.fixture
def place(client: TestClient, patches: Patches) -> tuple[int, int]:
    """A published group and a deficit in the east patch, far from the people."""
    east = _point(patches.east_point)
    group = client.post("/api/v1/assets", json=asset_body(location=east), headers=ADMIN)
    deficit = client.post(
        "/api/v1/deficits",
        json={"theme": "food", "title_en": "No food bank", "severity": 3, "location": east},
        headers=ADMIN,
    )
    assert group.status_code == deficit.status_code == 201
    return group.json()["id"], deficit.json()["id"]


def _add_person(client: TestClient, where: tuple[float, float], headers: Any = ADMIN) -> int:
    response = client.post(
        "/api/v1/assets", json=person_body(location=_point(where)), headers=headers
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def test_public_outputs_hold_no_point_within_1_km_of_a_person(
    client: TestClient, place: tuple[int, int]
) -> None:
    people = [_add_person(client, EXACT[0]), _add_person(client, EXACT[1])]

    bodies = _crawl(client, people, *place)

    assert len(bodies) > 30
    leaks = {url: _near_points(text) for url, text in bodies.items()}
    assert {url: found for url, found in leaks.items() if found} == {}
    counts = client.get("/api/v1/people/counts?theme=food").json()["items"]
    assert counts == [
        {
            "area_code": code,
            "area_name": f"Area {code}",
            "area_name_cy": f"Ardal {code}",
            "theme": "food",
            "people": None,
            "shown_as": "fewer than 5",
        }
        for code in ("X01000001", "X01000002")
    ]


def test_two_people_at_different_points_of_one_square_look_the_same(
    client: TestClient, session: Session, place: tuple[int, int]
) -> None:
    first = _add_person(client, EXACT[0])
    seen_first = _crawl(client, [first], *place)
    session.execute(delete(Asset).where(Asset.id == first))
    session.commit()

    second = _add_person(client, EXACT[1])
    seen_second = _crawl(client, [second], *place)

    assert seen_first == seen_second


def test_a_search_around_the_exact_point_but_not_the_square_centre_finds_nobody(
    client: TestClient, place: tuple[int, int]
) -> None:
    for _ in range(5):
        _add_person(client, EXACT[0])
    lon, lat = EXACT[0]
    assert _metres(EXACT[0], CENTRE) > 400
    box = f"{lon - 0.002},{lat - 0.001},{lon + 0.002},{lat + 0.001}"  # about 280 m x 220 m
    assert not (lon - 0.002 < CENTRE[0] < lon + 0.002 and lat - 0.001 < CENTRE[1] < lat + 0.001)

    assets = client.get(f"/api/v1/assets?near={lon},{lat}&radius_m=300").json()["items"]
    ogc = client.get(f"/ogc/collections/assets/items?bbox={box}").json()["features"]
    at_point = client.get(f"/api/v1/people/near?near={lon},{lat}&theme=food").json()
    at_centre = client.get(f"/api/v1/people/near?near={CENTRE[0]},{CENTRE[1]}&theme=food")

    assert assets == ogc == []
    # "Near here" is the whole area holding the point: the same answer anywhere in it.
    assert at_point == at_centre.json()
    assert at_point["area"]["code"] == "X01000001"


def test_people_counts_refuse_a_shape_the_caller_chooses(client: TestClient) -> None:
    centre = f"{CENTRE[0]},{CENTRE[1]}"
    refused = {
        f"/api/v1/people/counts?bbox={CENTRE[0] - 0.01},{CENTRE[1] - 0.01},{centre}": "bbox",
        f"/api/v1/people/near?near={centre}&radius_m=900": "radius_m",
        f"/api/v1/people/near?near={centre}&distance_m=900": "distance_m",
        "/api/v1/people/counts?level=msoa": "level",
    }
    for url, field in refused.items():
        response = client.get(url)
        assert response.status_code == 422, url
        assert response.json()["detail"][0]["loc"] == ["query", field]
        assert "whole areas" in response.json()["detail"][0]["msg"]


def test_logs_hold_no_exact_coordinate(
    client: TestClient, place: tuple[int, int], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    people = [_add_person(client, EXACT[0]), _add_person(client, EXACT[1])]
    client.patch(
        f"/api/v1/assets/{people[0]}",
        json={"location": _point(EXACT[1])},
        headers={**ADMIN, "If-Match": "*"},
    )
    _crawl(client, people, *place)

    logged = caplog.text + " ".join(str(r.args) for r in caplog.records)
    assert caplog.records  # the requests were logged at all
    for lon, lat in EXACT:
        assert f"{lon:.4f}"[:-1] not in logged
        assert f"{lat:.4f}"[:-1] not in logged


def test_admin_and_patch_connector_see_the_person_and_their_exact_point(
    client: TestClient, make_user: Any, patches: Patches, settings: Settings
) -> None:
    connector = make_user("connector", patch=[patches.west])
    person = _add_person(client, EXACT[0], headers=connector)

    seen = client.get(f"/api/v1/assets/{person}", headers=connector).json()
    by_admin = client.get(f"/api/v1/assets/{person}", headers=ADMIN).json()
    outsider = client.get(
        f"/api/v1/assets/{person}", headers=make_user("connector", patch=[patches.east])
    )

    assert seen["location"]["coordinates"] == list(EXACT[0]) == by_admin["location"]["coordinates"]
    assert seen["email"] == "rhian@example.org"
    assert seen["consent"]["recorded_by"].startswith("connector:")
    assert outsider.status_code == 404
    assert create_app(settings)  # the app still builds with people present
