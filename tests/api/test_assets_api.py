"""/api/v1/assets: create, read, search, change and archive, in JSON, GeoJSON and CSV."""

import csv
import io
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Asset, AuditEvent
from tests.conftest import ADMIN, asset_body

SPLOTT = [-3.1566, 51.4812]


def create(client: TestClient, **overrides: Any) -> dict[str, Any]:
    response = client.post("/api/v1/assets", json=asset_body(**overrides), headers=ADMIN)
    assert response.status_code == 201, response.text
    return response.json()


def test_create_returns_the_asset_with_location_etag_and_version_1(client: TestClient) -> None:
    response = client.post("/api/v1/assets", json=asset_body(), headers=ADMIN)
    body = response.json()
    assert response.status_code == 201
    assert response.headers["location"].endswith(f"/api/v1/assets/{body['id']}")
    assert response.headers["etag"] == f'"a{body["id"]}-v1"'
    assert body["version"] == 1
    assert body["location"] == {"type": "Point", "coordinates": SPLOTT}
    assert body["themes"] == ["food", "older_people"]
    assert body["name_cy"] == "Clwb cinio Sblot"


def test_create_without_a_token_is_refused_and_writes_nothing(
    client: TestClient, session: Session
) -> None:
    response = client.post("/api/v1/assets", json=asset_body())
    assert response.status_code == 401
    assert session.scalar(select(func.count()).select_from(Asset)) == 0


def test_every_field_round_trips(client: TestClient) -> None:
    full = asset_body(
        description_en="Hot lunch every Monday",
        description_cy="Cinio poeth bob dydd Llun",
        service_area={
            "type": "Polygon",
            "coordinates": [[[-3.17, 51.47], [-3.14, 51.47], [-3.14, 51.49], [-3.17, 51.47]]],
        },
        address="Church hall, Splott Road",
        postcode="cf24 2bz",
        email="hello@example.org",
        phone="+44 29 2000 0000",
        website="https://example.org/lunch",
        opening_hours=[{"day": "mon", "opens": "12:00", "closes": "14:00"}],
        accessibility=["step_free_access", "hearing_loop"],
        languages=["en", "cy"],
        last_verified_at="2026-10-01T09:00:00Z",
        source="connector-notes",
        source_id="lunch-1",
    )
    created = create(client, **{k: v for k, v in full.items() if k not in asset_body()})
    fetched = client.get(f"/api/v1/assets/{created['id']}").json()
    assert fetched == created
    assert fetched["postcode"] == "CF24 2BZ"
    assert fetched["languages"] == ["cy", "en"]
    assert fetched["service_area"]["type"] == "MultiPolygon"
    assert fetched["opening_hours"] == [{"day": "mon", "opens": "12:00", "closes": "14:00"}]
    assert fetched["last_verified_at"] == "2026-10-01T09:00:00Z"


def test_geojson_by_f_and_by_accept_header(client: TestClient) -> None:
    created = create(client)
    for response in (
        client.get("/api/v1/assets?f=geojson"),
        client.get("/api/v1/assets", headers={"Accept": "application/geo+json"}),
    ):
        assert response.headers["content-type"] == "application/geo+json"
        collection = response.json()
        assert collection["type"] == "FeatureCollection"
        (feature,) = collection["features"]
        assert feature["id"] == created["id"]
        assert feature["geometry"] == {"type": "Point", "coordinates": SPLOTT}
        assert feature["properties"]["name_en"] == "Splott lunch club"
    one = client.get(f"/api/v1/assets/{created['id']}?f=geojson").json()
    assert one["type"] == "Feature"


def test_csv_lists_lon_lat_and_escapes_formulas(client: TestClient) -> None:
    create(client, name_en='=HYPERLINK("http://evil")')
    response = client.get("/api/v1/assets?f=csv")
    assert response.headers["content-type"].startswith("text/csv")
    (row,) = list(csv.DictReader(io.StringIO(response.text)))
    assert row["name_en"].startswith("'=")
    assert (float(row["lon"]), float(row["lat"])) == tuple(SPLOTT)
    assert row["themes"] == "food;older_people"


def test_filters_by_kind_theme_and_text_in_either_language(client: TestClient) -> None:
    lunch = create(client)
    choir = create(
        client,
        kind="culture",
        name_en="Valleys choir",
        name_cy="Côr y Cymoedd",
        themes=["arts_culture"],
    )
    ids = lambda url: [a["id"] for a in client.get(url).json()["items"]]  # noqa: E731
    assert ids("/api/v1/assets?kind=culture") == [choir["id"]]
    assert ids("/api/v1/assets?kind=culture&kind=group") == [lunch["id"], choir["id"]]
    assert ids("/api/v1/assets?theme=food") == [lunch["id"]]
    assert ids("/api/v1/assets?theme=food&theme=arts_culture") == [lunch["id"], choir["id"]]
    assert ids("/api/v1/assets?q=cor%20y%20cymoedd") == [choir["id"]]  # accents folded
    assert ids("/api/v1/assets?q=SBLOT") == [lunch["id"]]
    assert ids("/api/v1/assets?q=100%25") == []


def test_bbox_finds_only_assets_inside(client: TestClient) -> None:
    inside = create(client)
    create(client, location={"type": "Point", "coordinates": [-4.08, 52.41]})
    items = client.get("/api/v1/assets?bbox=-3.2,51.4,-3.1,51.5").json()["items"]
    assert [a["id"] for a in items] == [inside["id"]]


def test_near_returns_nearest_first_with_geodesic_distances(client: TestClient) -> None:
    far = create(
        client, name_en="Far", location={"type": "Point", "coordinates": [-3.1566, 51.4860]}
    )
    near = create(
        client, name_en="Near", location={"type": "Point", "coordinates": [-3.1566, 51.4820]}
    )
    create(client, name_en="Outside", location={"type": "Point", "coordinates": [-3.1566, 51.52]})
    items = client.get("/api/v1/assets?near=-3.1566,51.4812&radius_m=1000").json()["items"]
    assert [a["id"] for a in items] == [near["id"], far["id"]]
    assert 85 < items[0]["distance_m"] < 95  # 0.0008 degrees of latitude is ~89 m
    assert 530 < items[1]["distance_m"] < 540


def test_keyset_pages_visit_every_asset_once(client: TestClient) -> None:
    created = [create(client, name_en=f"Group {i}")["id"] for i in range(7)]
    seen: list[int] = []
    url: str | None = "/api/v1/assets?limit=3"
    pages = 0
    while url:
        page = client.get(url).json()
        seen += [a["id"] for a in page["items"]]
        assert page["numberReturned"] == len(page["items"])
        url = page["next"]
        pages += 1
    assert seen == created and pages == 3


def test_near_search_pages_keep_distance_order(client: TestClient) -> None:
    for i in range(5):
        create(
            client,
            name_en=f"G{i}",
            location={"type": "Point", "coordinates": [-3.1566, 51.4812 + i * 0.001]},
        )
    first = client.get("/api/v1/assets?near=-3.1566,51.4812&limit=2").json()
    second = client.get(first["next"]).json()
    distances = [a["distance_m"] for a in first["items"] + second["items"]]
    assert distances == sorted(distances) and len(distances) == 4


def test_pending_assets_are_hidden_from_the_public_but_not_from_the_admin(
    client: TestClient,
) -> None:
    pending = create(client, status="pending")
    assert client.get("/api/v1/assets").json()["items"] == []
    assert client.get(f"/api/v1/assets/{pending['id']}").status_code == 404
    admin_items = client.get("/api/v1/assets?status=pending", headers=ADMIN).json()["items"]
    assert [a["id"] for a in admin_items] == [pending["id"]]


def test_patch_needs_the_current_etag(client: TestClient) -> None:
    created = create(client)
    url = f"/api/v1/assets/{created['id']}"
    etag = client.get(url).headers["etag"]
    assert client.patch(url, json={"name_en": "New"}, headers=ADMIN).status_code == 428
    changed = client.patch(url, json={"name_en": "New"}, headers={**ADMIN, "If-Match": etag})
    assert changed.status_code == 200
    assert changed.json()["version"] == 2 and changed.headers["etag"] != etag
    stale = client.patch(url, json={"name_en": "Newer"}, headers={**ADMIN, "If-Match": etag})
    assert stale.status_code == 412
    assert client.get(url).json()["name_en"] == "New"


def test_patch_with_null_clears_an_optional_field(client: TestClient) -> None:
    created = create(client)
    url = f"/api/v1/assets/{created['id']}"
    etag = client.get(url).headers["etag"]
    response = client.patch(url, json={"name_cy": None}, headers={**ADMIN, "If-Match": etag})
    assert response.json()["name_cy"] is None


def test_delete_archives_and_keeps_the_record(client: TestClient, session: Session) -> None:
    created = create(client)
    url = f"/api/v1/assets/{created['id']}"
    etag = client.get(url).headers["etag"]
    assert client.delete(url, headers=ADMIN).status_code == 428
    assert client.delete(url, headers={**ADMIN, "If-Match": etag}).status_code == 204
    assert client.get(url).status_code == 404
    assert client.get(url, headers=ADMIN).json()["status"] == "archived"
    assert session.get(Asset, created["id"]) is not None


def test_every_write_leaves_an_audit_event_with_before_and_after(
    client: TestClient, session: Session
) -> None:
    created = create(client)
    url = f"/api/v1/assets/{created['id']}"
    etag = client.get(url).headers["etag"]
    etag = client.patch(
        url, json={"name_en": "Renamed"}, headers={**ADMIN, "If-Match": etag}
    ).headers["etag"]
    client.delete(url, headers={**ADMIN, "If-Match": etag})
    events = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [e.action for e in events] == ["create", "update", "archive"]
    assert all(e.actor == "admin" and e.entity_id == str(created["id"]) for e in events)
    assert events[0].changes["name_en"] == [None, "Splott lunch club"]
    assert events[1].changes == {"name_en": ["Splott lunch club", "Renamed"]}
    assert events[2].changes == {"status": ["published", "archived"]}


def test_a_patch_that_changes_nothing_keeps_the_version(
    client: TestClient, session: Session
) -> None:
    created = create(client)
    url = f"/api/v1/assets/{created['id']}"
    etag = client.get(url).headers["etag"]
    same = client.patch(
        url, json={"name_en": "Splott lunch club"}, headers={**ADMIN, "If-Match": etag}
    )
    assert same.json()["version"] == 1
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == 1


def test_themes_lists_codes_with_english_and_welsh_labels(client: TestClient) -> None:
    items = client.get("/api/v1/themes").json()["items"]
    by_code = {t["code"]: t for t in items}
    assert by_code["older_people"] == {
        "code": "older_people",
        "label_en": "Older people",
        "label_cy": "Pobl hŷn",
    }
    assert len(items) >= 20
