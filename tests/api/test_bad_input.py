"""Bad input gets a 4xx that names the field and the reason, and writes nothing (both backends).

422 bodies are `{"detail": [{"loc": [...], "msg": "...", "type": "..."}]}`; other refusals
(401, 404, 412, 428) are `{"detail": "..."}`. After every refused write the number of assets and
of audit events is unchanged.
"""

import base64
import json
import re
from collections.abc import Callable
from typing import Any

import httpx
import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from app.main import create_app
from app.models import Asset, AuditEvent
from app.settings import Settings
from tests.conftest import ADMIN, ADMIN_TOKEN, asset_body

ASSETS = "/api/v1/assets"
JSON = {**ADMIN, "Content-Type": "application/json"}
SQUARE = [[-3.2, 51.4], [-3.1, 51.4], [-3.1, 51.5], [-3.2, 51.4]]
# The tests marked backend("spatialite") are refused by request validation before any SQL, the
# same whatever the database: once is enough. Those that reach the database (ids, versions,
# tokens, NUL characters, changes of stored assets) run on both.


def counts(db: Engine) -> tuple[int, int]:
    """How many assets and audit events the database holds."""
    with db.connect() as connection:
        assets = connection.scalar(select(func.count()).select_from(Asset))
        events = connection.scalar(select(func.count()).select_from(AuditEvent))
    return int(assets or 0), int(events or 0)


def assert_refused(response: httpx.Response, status: int, loc: tuple[str | int, ...]) -> None:
    """The response has this status; a 422 names `loc` (or a field inside it) and a reason."""
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    if status != 422:
        assert isinstance(detail, str) and detail, detail
        return
    at_loc = [e for e in detail if tuple(e["loc"][: len(loc)]) == loc]
    assert at_loc, f"no error at {loc}: {detail}"
    assert all(isinstance(e["msg"], str) and e["msg"] for e in at_loc), detail


def refused_write(
    db: Engine, send: Callable[[], httpx.Response], status: int, loc: tuple[str | int, ...] = ()
) -> httpx.Response:
    """Send a write, check it is refused as expected, and that nothing was written."""
    before = counts(db)
    response = send()
    assert_refused(response, status, loc)
    assert counts(db) == before, "a refused write changed the database"
    return response


def raw_body(coordinates: str = "[-3.17, 51.48]", **overrides: Any) -> str:
    """A create body as JSON text with the location's coordinates spliced in verbatim.

    Python's json parser (which FastAPI uses) accepts NaN and Infinity, so they must be sent raw.
    """
    body = asset_body(location={"type": "Point", "coordinates": "@coordinates@"}, **overrides)
    return json.dumps(body).replace('"@coordinates@"', coordinates)


@pytest.fixture
def existing(client: TestClient) -> tuple[str, str]:
    """A published asset: its URL and its current ETag."""
    created = client.post(ASSETS, json=asset_body(), headers=ADMIN)
    assert created.status_code == 201, created.text
    url = f"{ASSETS}/{created.json()['id']}"
    return url, created.headers["etag"]


# ---- create: coordinates and geometry ---------------------------------------------------------


@pytest.mark.backend("spatialite")
@pytest.mark.parametrize(
    ("coordinates", "loc"),
    [
        ("[NaN, 51.4]", ("body", "location", "coordinates", 0)),
        ("[-3.17, Infinity]", ("body", "location", "coordinates", 1)),
        ("[-Infinity, 51.4]", ("body", "location", "coordinates", 0)),
        ("[181, 51.4]", ("body", "location", "coordinates")),
        ("[-3.17, -90.5]", ("body", "location", "coordinates")),
        ("[-3.17, 51.4, 12.0]", ("body", "location", "coordinates")),
        ("[-3.17]", ("body", "location", "coordinates")),
        ('["west", 51.4]', ("body", "location", "coordinates", 0)),
        ("null", ("body", "location", "coordinates")),
    ],
)
def test_bad_coordinates_are_refused(
    client: TestClient, db: Engine, coordinates: str, loc: tuple[str | int, ...]
) -> None:
    refused_write(
        db, lambda: client.post(ASSETS, content=raw_body(coordinates), headers=JSON), 422, loc
    )


@pytest.mark.backend("spatialite")
@pytest.mark.parametrize(
    "service_area",
    [
        pytest.param(
            {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]},
            id="self-intersecting bow-tie",
        ),
        pytest.param(
            {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]},
            id="unclosed ring",
        ),
        pytest.param(
            {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]}, id="too few points"
        ),
        pytest.param({"type": "Polygon", "coordinates": []}, id="no rings"),
        pytest.param(
            {"type": "Polygon", "coordinates": [[[0, 0, 5], [1, 0, 5], [1, 1, 5], [0, 0, 5]]]},
            id="3D positions",
        ),
        pytest.param(
            {"type": "Polygon", "coordinates": [[[0, 0], [200, 0], [1, 1], [0, 0]]]},
            id="longitude out of range",
        ),
        pytest.param({"type": "MultiPolygon", "coordinates": [{}]}, id="not nested lists"),
        pytest.param({"type": "LineString", "coordinates": SQUARE}, id="not a polygon"),
        pytest.param({"type": "Polygon", "coordinates": [SQUARE], "crs": "x"}, id="extra member"),
    ],
)
def test_invalid_service_areas_are_refused(
    client: TestClient, db: Engine, service_area: dict[str, Any]
) -> None:
    body = asset_body(service_area=service_area)
    refused_write(
        db, lambda: client.post(ASSETS, json=body, headers=ADMIN), 422, ("body", "service_area")
    )


@pytest.mark.backend("spatialite")
def test_nan_in_a_service_area_ring_is_refused(client: TestClient, db: Engine) -> None:
    text = raw_body(service_area="@area@").replace(
        '"@area@"', '{"type": "Polygon", "coordinates": [[[0, 0], [NaN, 0], [1, 1], [0, 0]]]}'
    )
    refused_write(
        db,
        lambda: client.post(ASSETS, content=text, headers=JSON),
        422,
        ("body", "service_area", "Polygon", "coordinates", 0, 1, 0),
    )


# ---- create: fields ---------------------------------------------------------------------------


@pytest.mark.backend("spatialite")
@pytest.mark.parametrize(
    ("overrides", "loc"),
    [
        ({"colour": "red"}, ("body", "colour")),
        (
            {"location": {"type": "Point", "coordinates": [0, 0], "crs": "x"}},
            ("body", "location", "crs"),
        ),
        (
            {"opening_hours": [{"day": "mon", "opens": "09:00", "closes": "17:00", "note": "x"}]},
            ("body", "opening_hours", 0, "note"),
        ),
        ({"kind": "club"}, ("body", "kind")),
        ({"kind": "skill"}, ("body", "consent")),
        ({"kind": "volunteer"}, ("body", "consent")),
        ({"themes": ["food", "astrology"]}, ("body", "themes", 1)),
        ({"themes": ["fo\x00od"]}, ("body", "themes", 0)),
        ({"name_en": None, "name_cy": "  "}, ("body",)),
        ({"location": None}, ("body", "location")),
        ({"status": "archived"}, ("body", "status")),
        ({"postcode": "not a postcode"}, ("body", "postcode")),
        ({"name_en": "Bad\x00name"}, ("body", "name_en")),
        ({"name_en": "x" * 301}, ("body", "name_en")),
        (
            {"opening_hours": [{"day": "mon", "opens": "17:00", "closes": "09:00"}]},
            ("body", "opening_hours", 0),
        ),
    ],
)
def test_bad_fields_are_refused(
    client: TestClient, db: Engine, overrides: dict[str, Any], loc: tuple[str | int, ...]
) -> None:
    body = asset_body(**overrides)
    refused_write(db, lambda: client.post(ASSETS, json=body, headers=ADMIN), 422, loc)


@pytest.mark.backend("spatialite")
def test_a_missing_required_field_is_named(client: TestClient, db: Engine) -> None:
    body = asset_body()
    del body["kind"]
    refused_write(db, lambda: client.post(ASSETS, json=body, headers=ADMIN), 422, ("body", "kind"))


@pytest.mark.backend("spatialite")
@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        pytest.param(b'{"kind": "group", "name_en": ', "application/json", id="truncated JSON"),
        pytest.param(b'{"name_en": "caf\xe9"}', "application/json", id="not UTF-8"),
        pytest.param(b"[1, 2]", "application/json", id="not an object"),
        pytest.param(raw_body().encode(), "text/plain", id="wrong content type"),
        pytest.param(raw_body().encode(), "application/x-www-form-urlencoded", id="form type"),
    ],
)
def test_unreadable_bodies_are_refused(
    client: TestClient, db: Engine, content: bytes, content_type: str
) -> None:
    headers = {**ADMIN, "Content-Type": content_type}
    refused_write(db, lambda: client.post(ASSETS, content=content, headers=headers), 422, ("body",))


# ---- change: bodies, ids, versions ------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ('{"location": {"type": "Point", "coordinates": [NaN, 51.4]}}', ("body", "location")),
        ('{"colour": "red"}', ("body", "colour")),
        ('{"kind": "skill"}', ("body", "kind")),
        ('{"location": null}', ("body",)),
        ("{}", ("body",)),
        ('{"themes": ["astrology"]}', ("body", "themes", 0)),
    ],
)
def test_bad_changes_are_refused(
    client: TestClient, db: Engine, existing: tuple[str, str], body: str, loc: tuple
) -> None:
    url, etag = existing
    headers = {**JSON, "If-Match": etag}
    refused_write(db, lambda: client.patch(url, content=body, headers=headers), 422, loc)


@pytest.mark.parametrize("bad_id", ["abc", "0", "-1", "1.5", "2147483648", "99999999999999999999"])
def test_malformed_ids_are_refused_on_every_method(
    client: TestClient, db: Engine, existing: tuple[str, str], bad_id: str
) -> None:
    url = f"{ASSETS}/{bad_id}"
    loc = ("path", "asset_id")
    assert_refused(client.get(url), 422, loc)
    headers = {**ADMIN, "If-Match": "*"}
    refused_write(db, lambda: client.patch(url, json={"name_en": "x"}, headers=headers), 422, loc)
    refused_write(db, lambda: client.delete(url, headers=headers), 422, loc)


def test_an_unknown_id_is_404_and_writes_nothing(client: TestClient, db: Engine) -> None:
    url = f"{ASSETS}/2147483647"
    headers = {**ADMIN, "If-Match": "*"}
    assert_refused(client.get(url, headers=ADMIN), 404, ())
    refused_write(db, lambda: client.patch(url, json={"name_en": "x"}, headers=headers), 404)
    refused_write(db, lambda: client.delete(url, headers=headers), 404)


def test_a_change_without_if_match_is_428(
    client: TestClient, db: Engine, existing: tuple[str, str]
) -> None:
    url, _ = existing
    refused_write(db, lambda: client.patch(url, json={"name_en": "x"}, headers=ADMIN), 428)
    refused_write(db, lambda: client.delete(url, headers=ADMIN), 428)
    blank = {**ADMIN, "If-Match": " "}
    refused_write(db, lambda: client.delete(url, headers=blank), 428)


@pytest.mark.parametrize(
    "if_match", ['"a1-v1', "garbage", '"a999999-v1"', '"d1-v1"', 'W/"a1-v999"', '"a1-v99999999999"']
)
def test_an_if_match_that_is_not_the_current_etag_is_412(
    client: TestClient, db: Engine, existing: tuple[str, str], if_match: str
) -> None:
    url, _ = existing
    headers = {**ADMIN, "If-Match": if_match}
    refused_write(db, lambda: client.patch(url, json={"name_en": "x"}, headers=headers), 412)
    refused_write(db, lambda: client.delete(url, headers=headers), 412)


def test_a_stale_etag_is_412_after_someone_else_changed_the_asset(
    client: TestClient, db: Engine, existing: tuple[str, str]
) -> None:
    url, old_etag = existing
    changed = client.patch(url, json={"name_en": "New"}, headers={**ADMIN, "If-Match": old_etag})
    assert changed.status_code == 200
    stale = {**ADMIN, "If-Match": old_etag}
    refused_write(db, lambda: client.patch(url, json={"name_en": "Newer"}, headers=stale), 412)
    refused_write(db, lambda: client.delete(url, headers=stale), 412)
    assert client.get(url).json()["name_en"] == "New"


# ---- credentials ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong-token", f"Basic {ADMIN_TOKEN}", "Bearer ", f"Bearer{ADMIN_TOKEN}"],
)
def test_writes_without_a_valid_token_are_401(
    client: TestClient, db: Engine, existing: tuple[str, str], authorization: str | None
) -> None:
    url, etag = existing
    headers = {"If-Match": etag} | ({"Authorization": authorization} if authorization else {})
    for send in (
        lambda: client.post(ASSETS, json=asset_body(), headers=headers),
        lambda: client.patch(url, json={"name_en": "x"}, headers=headers),
        lambda: client.delete(url, headers=headers),
    ):
        response = refused_write(db, send, 401)
        assert response.headers["www-authenticate"] == "Bearer"


def test_a_wrong_token_is_401_on_reads_too(client: TestClient) -> None:
    assert_refused(client.get(ASSETS, headers={"Authorization": "Bearer nope"}), 401, ())


# ---- list filters -----------------------------------------------------------------------------


def cursor_of(key: Any) -> str:
    """A cursor built like the service's, around any key."""
    return base64.urlsafe_b64encode(orjson.dumps(key)).decode().rstrip("=")


@pytest.mark.backend("spatialite")
@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"bbox": "1,1,0,0"}, ("query", "bbox")),
        ({"bbox": "-20,40,0,60"}, ("query", "bbox")),
        ({"bbox": "0,0,1"}, ("query", "bbox")),
        ({"bbox": "0,0,1,1,2"}, ("query", "bbox")),
        ({"bbox": "a,b,c,d"}, ("query", "bbox")),
        ({"bbox": "nan,0,1,1"}, ("query", "bbox")),
        ({"bbox": "0,0,inf,1"}, ("query", "bbox")),
        ({"bbox": "0,0,1,91"}, ("query", "bbox")),
        ({"limit": "0"}, ("query", "limit")),
        ({"limit": "1001"}, ("query", "limit")),
        ({"limit": "abc"}, ("query", "limit")),
        ({"cursor": "!!!"}, ("query", "cursor")),
        ({"cursor": cursor_of("x")}, ("query", "cursor")),
        ({"cursor": cursor_of([True])}, ("query", "cursor")),
        ({"cursor": cursor_of([2**40])}, ("query", "cursor")),
        ({"cursor": cursor_of([0.5, 2**40]), "near": "-3.17,51.48"}, ("query", "cursor")),
        ({"radius_m": "500"}, ("query", "radius_m")),
        ({"near": "-3.17,51.48", "radius_m": "-5"}, ("query", "radius_m")),
        ({"near": "-3.17,51.48", "radius_m": "0"}, ("query", "radius_m")),
        ({"near": "-3.17,51.48", "radius_m": "1e9"}, ("query", "radius_m")),
        ({"near": "-3.17,51.48", "radius_m": "nan"}, ("query", "radius_m")),
        ({"near": "-3.17,51.48", "radius_m": "abc"}, ("query", "radius_m")),
        ({"near": "200,0"}, ("query", "near")),
        ({"near": "a,b"}, ("query", "near")),
        ({"near": "1,2,3"}, ("query", "near")),
        ({"f": "xml"}, ("query", "f")),
        ({"kind": "club"}, ("query", "kind", 0)),
        ({"theme": "astrology"}, ("query", "theme")),
        ({"theme": "fo\x00od"}, ("query", "theme")),
        ({"q": "lunch\x00"}, ("query", "q")),
        ({"status": "deleted"}, ("query", "status", 0)),
    ],
)
def test_bad_list_filters_are_422_naming_the_parameter(
    client: TestClient, params: dict[str, str], loc: tuple[str | int, ...]
) -> None:
    assert_refused(client.get(ASSETS, params=params, headers=ADMIN), 422, loc)


def test_a_nul_character_in_any_parameter_of_any_read_is_refused(client: TestClient) -> None:
    # Was a 500 on PostGIS (it cannot compare text holding NUL) wherever a value reached SQL:
    # theme filters of /ogc, /api/v1/indicators and /api/v1/analysis, indicator area codes.
    openapi = create_app(Settings(database_url="sqlite:///:memory:")).openapi()
    checked = []
    for path, operations in openapi["paths"].items():
        for parameter in operations.get("get", {}).get("parameters", []):
            where, name = parameter["in"], parameter["name"]
            if where == "path":
                url = path.replace("{" + name + "}", "a%00b")
            elif where == "query":
                url = f"{path}?{name}=a%00b"
            else:
                continue
            response = client.get(re.sub(r"\{[^}]+\}", "1", url), headers=ADMIN)
            if path.startswith("/ogc"):  # OGC API - Features: 400, its own exception body
                assert response.status_code == 400, (url, response.text)
                assert response.json()["description"].startswith(f"{name}: "), url
            else:
                assert_refused(response, 422, (where, name))
            checked.append(url)
    assert len(checked) > 20


# ---- regressions found by schemathesis --------------------------------------------------------


@pytest.mark.parametrize("blank", ["", "   ", None])
def test_blank_or_null_optional_text_clears_the_field(
    client: TestClient, existing: tuple[str, str], blank: str | None
) -> None:
    # Was a 500: the length and pattern constraints were applied to the None a blank becomes.
    url, etag = existing
    fields = {"name_cy": blank, "address": blank, "phone": blank, "description_en": blank}
    response = client.patch(url, json=fields, headers={**ADMIN, "If-Match": etag})
    assert response.status_code == 200, response.text
    assert all(response.json()[field] is None for field in fields)
    created = client.post(ASSETS, json=asset_body(source="survey", source_id=blank), headers=ADMIN)
    assert created.status_code == 201, created.text
    assert created.json()["source_id"] is None


@pytest.mark.backend("spatialite")
def test_a_body_that_is_not_utf8_is_422_naming_the_body(client: TestClient, db: Engine) -> None:
    # Was FastAPI's bare 400 "There was an error parsing the body": no field, undocumented.
    body = b'{"kind": "group", "name_en": "Caf\xe9"}'
    response = refused_write(
        db, lambda: client.post(ASSETS, content=body, headers=JSON), 422, ("body",)
    )
    assert "UTF-8" in response.json()["detail"][0]["msg"]


def test_a_change_that_clears_the_last_name_is_422(
    client: TestClient, db: Engine, existing: tuple[str, str]
) -> None:
    # Was a 500: the table's CHECK (at least one name) failed at the flush.
    url, etag = existing
    headers = {**ADMIN, "If-Match": etag}
    changed = client.patch(url, json={"name_cy": None}, headers=headers)
    assert changed.status_code == 200, changed.text
    headers["If-Match"] = changed.headers["etag"]
    body = {"name_en": "", "themes": ["food"]}  # the theme lookup would flush first
    refused_write(db, lambda: client.patch(url, json=body, headers=headers), 422, ("body",))


def test_every_format_an_asset_can_be_read_in_is_declared() -> None:
    # Was undocumented: GET /api/v1/assets/{id}?f=csv answers text/csv.
    openapi = create_app(Settings(database_url="sqlite:///:memory:")).openapi()
    for path in (ASSETS, ASSETS + "/{asset_id}"):
        content = openapi["paths"][path]["get"]["responses"]["200"]["content"]
        assert set(content) == {"application/json", "application/geo+json", "text/csv"}
