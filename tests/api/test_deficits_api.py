"""/api/v1/deficits: report, read, search, change and delete service gaps over HTTP."""

import csv
import io
import json
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import AuditEvent, Deficit
from app.schemas.deficits import today_in_wales
from tests.conftest import ADMIN

URL = "/api/v1/deficits"
SPLOTT = [-3.1566, 51.4812]
SQUARE = {
    "type": "Polygon",
    "coordinates": [[[-3.2, 51.47], [-3.15, 51.47], [-3.15, 51.5], [-3.2, 51.5], [-3.2, 51.47]]],
}


def deficit_body(**overrides: Any) -> dict[str, Any]:
    """A valid create body: a point deficit in Splott, with overrides."""
    body: dict[str, Any] = {
        "theme": "transport",
        "title_en": "No bus after 7pm",
        "title_cy": "Dim bws ar ôl 7yh",
        "description_en": "The last 61 leaves at 18:40.",
        "severity": 3,
        "reporter": "Gwen Jones",
        "reported_on": "2025-03-01",
        "location": {"type": "Point", "coordinates": SPLOTT},
    }
    body.update(overrides)
    return body


def create(client: TestClient, **overrides: Any) -> dict[str, Any]:
    response = client.post(URL, json=deficit_body(**overrides), headers=ADMIN)
    assert response.status_code == 201, response.text
    return response.json()


def count(session: Session, model: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_create_answers_201_with_location_etag_and_the_deficit(client: TestClient) -> None:
    response = client.post(URL, json=deficit_body(area=SQUARE), headers=ADMIN)
    body = response.json()
    assert response.status_code == 201
    assert response.headers["location"].endswith(f"{URL}/{body['id']}")
    assert response.headers["etag"] == f'"d{body["id"]}-v1"'
    assert body["location"] == {"type": "Point", "coordinates": SPLOTT}
    assert body["area"]["type"] == "MultiPolygon"
    assert body["reported_on"] == "2025-03-01"
    assert (body["status"], body["severity"], body["version"]) == ("open", 3, 1)
    assert body["reporter"] == "Gwen Jones"  # the writer sees it
    assert client.get(f"{URL}/{body['id']}", headers=ADMIN).json() == body


def test_create_needs_a_token_and_writes_nothing_without_one(
    client: TestClient, session: Session
) -> None:
    assert client.post(URL, json=deficit_body()).status_code == 401
    assert count(session, Deficit) == 0


def test_the_reporter_never_reaches_anonymous_readers_in_any_format(client: TestClient) -> None:
    made = create(client)
    one = f"{URL}/{made['id']}"
    assert "reporter" not in client.get(one).json()
    assert "reporter" not in client.get(one, params={"f": "geojson"}).json()["properties"]
    assert "reporter" not in client.get(URL).json()["items"][0]
    assert (
        "reporter"
        not in client.get(URL, params={"f": "geojson"}).json()["features"][0]["properties"]
    )
    for url in (URL, one):
        text = client.get(url, params={"f": "csv"}).text
        assert "reporter" not in text and "Gwen" not in text
    assert "Gwen Jones" in client.get(URL, params={"f": "csv"}, headers=ADMIN).text


def test_geojson_geometry_is_the_point_or_else_the_area(client: TestClient) -> None:
    point = create(client, area=SQUARE)
    area_only = create(client, location=None, area=SQUARE)
    response = client.get(URL, headers={"Accept": "application/geo+json"})
    assert response.headers["content-type"] == "application/geo+json"
    collection = response.json()
    assert collection["type"] == "FeatureCollection" and collection["numberReturned"] == 2
    first, second = collection["features"]
    assert first["id"] == point["id"]
    assert first["geometry"] == {"type": "Point", "coordinates": SPLOTT}
    assert first["properties"]["area"]["type"] == "MultiPolygon"
    assert second["id"] == area_only["id"]
    assert second["geometry"]["type"] == "MultiPolygon"
    assert second["geometry"] == second["properties"]["area"]


def test_csv_has_lon_lat_and_the_area_as_wkt(client: TestClient) -> None:
    create(client, area=SQUARE)
    create(client, location=None, area=SQUARE, title_en="=cmd()")
    response = client.get(URL, params={"f": "csv"})
    assert response.headers["content-type"].startswith("text/csv")
    first, second = csv.DictReader(io.StringIO(response.text))
    assert (first["lon"], first["lat"]) == ("-3.1566", "51.4812")
    assert first["area"].startswith("MULTIPOLYGON (((-3.2 51.47")
    assert (second["lon"], second["lat"]) == ("", "")
    assert second["title_en"] == "'=cmd()"  # formula guard


def test_etag_flow_for_change_and_delete(client: TestClient, session: Session) -> None:
    made = create(client)
    one = f"{URL}/{made['id']}"
    etag = client.get(one).headers["etag"]
    change = {"status": "addressed"}
    assert client.patch(one, json=change).status_code == 401
    assert client.patch(one, json=change, headers=ADMIN).status_code == 428
    stale = client.patch(one, json=change, headers={**ADMIN, "If-Match": '"d1-v9"'})
    assert stale.status_code == 412
    other_kind = client.patch(
        one, json=change, headers={**ADMIN, "If-Match": f'"a{made["id"]}-v1"'}
    )
    assert other_kind.status_code == 412
    changed = client.patch(one, json=change, headers={**ADMIN, "If-Match": etag})
    assert changed.status_code == 200
    assert changed.json()["status"] == "addressed" and changed.json()["version"] == 2
    assert changed.headers["etag"] == f'"d{made["id"]}-v2"'
    assert client.delete(one, headers={**ADMIN, "If-Match": etag}).status_code == 412
    assert client.delete(one, headers=ADMIN).status_code == 428
    deleted = client.delete(one, headers={**ADMIN, "If-Match": changed.headers["etag"]})
    assert deleted.status_code == 204
    assert client.get(one).status_code == 404
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.entity_type == "deficit").order_by(AuditEvent.id)
    )
    assert list(actions) == ["create", "update", "delete"]


def test_patch_may_not_clear_the_last_place(client: TestClient) -> None:
    made = create(client)
    response = client.patch(
        f"{URL}/{made['id']}", json={"location": None}, headers={**ADMIN, "If-Match": "*"}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "location"]


def test_filters_by_theme_status_and_bbox(client: TestClient) -> None:
    bus = create(client)
    food = create(client, theme="food", title_en="Food bank closed", status="addressed")
    far = create(client, location={"type": "Point", "coordinates": [-4.08, 52.41]})

    def ids(**params: Any) -> list[int]:
        response = client.get(URL, params=params)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert ids(theme="food") == [food["id"]]
    assert ids(status="open") == [bus["id"], far["id"]]
    assert ids(bbox="-3.3,51.4,-3.0,51.6") == [bus["id"], food["id"]]
    assert ids(bbox="-3.3,51.4,-3.0,51.6", status="open", theme="transport") == [bus["id"]]


@pytest.mark.parametrize("theme", ["nope", "food\x00"])
def test_unknown_or_malformed_theme_filter_is_422(client: TestClient, theme: str) -> None:
    response = client.get(URL, params={"theme": theme})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][:2] == ["query", "theme"]


def test_pages_are_linked_by_next(client: TestClient) -> None:
    made = [create(client)["id"] for _ in range(3)]
    first = client.get(URL, params={"limit": 2}).json()
    assert [i["id"] for i in first["items"]] == made[:2]
    second = client.get(first["next"]).json()
    assert [i["id"] for i in second["items"]] == made[2:]
    assert second["next"] is None
    geo = client.get(URL, params={"limit": 2, "f": "geojson"}).json()
    assert [link["rel"] for link in geo["links"]] == ["self", "next"]


@pytest.mark.parametrize(
    ("overrides", "loc"),
    [
        ({"severity": 0}, ["body", "severity"]),
        ({"severity": 6}, ["body", "severity"]),
        ({"theme": "no_such_theme"}, ["body", "theme"]),
        ({"location": None}, ["body"]),
        ({"title_en": None, "title_cy": " "}, ["body"]),
        (
            {
                "area": {
                    "type": "Polygon",
                    "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]],
                }
            },
            ["body", "area", "Polygon"],
        ),
        ({"reported_on": "FUTURE"}, ["body", "reported_on"]),
        ({"location": "NAN"}, ["body", "location", "coordinates", 0]),
        ({"status": "closed"}, ["body", "status"]),
        ({"colour": "red"}, ["body", "colour"]),
        ({"theme": "food\x00"}, ["body", "theme"]),
        ({"reporter": "Gwen\x00"}, ["body", "reporter"]),
    ],
    ids=[
        "severity-0",
        "severity-6",
        "unknown-theme",
        "no-place",
        "no-title",
        "invalid-polygon",
        "future-date",
        "nan-coordinates",
        "bad-status",
        "unknown-field",
        "nul-in-theme",
        "nul-in-text",
    ],
)
def test_bad_input_is_422_with_loc_and_msg_and_writes_nothing(
    client: TestClient, session: Session, overrides: dict[str, Any], loc: list[Any]
) -> None:
    if overrides.get("reported_on") == "FUTURE":
        overrides = {"reported_on": (today_in_wales() + timedelta(days=2)).isoformat()}
    if overrides.get("location") == "NAN":
        overrides = {"location": {"type": "Point", "coordinates": [float("nan"), 51.48]}}
    # The standard library writes NaN as the bare token NaN, as a careless client would.
    content = json.dumps(deficit_body(**overrides))
    headers = {**ADMIN, "Content-Type": "application/json"}
    response = client.post(URL, content=content, headers=headers)
    assert response.status_code == 422, response.text
    (error,) = response.json()["detail"]
    assert error["loc"] == loc
    assert error["msg"]
    assert count(session, Deficit) == 0 and count(session, AuditEvent) == 0


def test_a_duplicate_source_record_is_409(client: TestClient) -> None:
    create(client, source="council", source_id="B1")
    response = client.post(URL, json=deficit_body(source="council", source_id="B1"), headers=ADMIN)
    assert response.status_code == 409


def test_unknown_id_is_404(client: TestClient) -> None:
    assert client.get(f"{URL}/999").status_code == 404
