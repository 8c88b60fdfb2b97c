"""Asset list pages built by the database equal the Python path's bytes, and near-me through
the index's nearest-first order finds what the exhaustive search finds (both databases)."""

import math
import random
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from sqlalchemy import event, insert, update
from sqlalchemy.orm import Session

from app.models import Asset, AssetTheme
from app.schemas.assets import AssetCreate, canonical_feature, canonical_json
from app.services.assets import list_sql
from app.services.assets import records as service
from app.services.assets.list_sql import list_asset_bodies
from app.services.assets.records import AssetFilters, Near, build_list_query, near_attempts
from app.services.assets.visibility import ANONYMOUS, SYSTEM, Viewer
from app.spatial import BBox, json_sql
from app.spatial.geometry import point_element
from tests.conftest import asset_body, person_body

CENTRE = (-3.1791234567891234, 51.48123456789012)


def _awkward(session: Session) -> None:
    """Assets whose every field is awkward to write as JSON, through the service layer."""
    square = [[-3.2, 51.4], [-3.1000000000000001, 51.4], [-3.1, 51.5], [-3.2, 51.5], [-3.2, 51.4]]
    bodies = [
        asset_body(
            name_en='Caffi "Tŷ Coch" \\ back\\slash',
            name_cy="Caffi\u2019r Ŵyl — ŷ â ê î ô û ŵ",
            description_en="Line one\nline two\ttab 😀 emoji",
            description_cy=None,
            themes=[],
            location={"type": "Point", "coordinates": list(CENTRE)},
            service_area={"type": "Polygon", "coordinates": [square]},
            address="1 'Quoted' Street",
            postcode="cf10 1aa",
            email="caffi@example.org",
            phone="029 2000 0000",
            website="https://example.org/caffi?a=1&b=ŵ",
            opening_hours=[
                {"day": "mon", "opens": "09:00", "closes": "17:00", "note_cy": "Ar gau\u2019r Pasg"}
            ],
            accessibility=["step_free_access"],
            languages=["cy", "en"],
            last_verified_at="2025-01-02T03:04:05+00:00",
        ),
        asset_body(
            name_en=None,
            name_cy="Dim ond Cymraeg",
            location={"type": "Point", "coordinates": [-3.0, 51.0]},
            themes=["food"],
        ),
        asset_body(
            name_en="Pending",
            status="pending",
            location={"type": "Point", "coordinates": [-3.17, 51.48]},
        ),
        person_body(location={"type": "Point", "coordinates": [-3.18, 51.482]}),
    ]
    for body in bodies:
        service.create_asset(session, actor="test", data=AssetCreate.model_validate(body))
    session.flush()
    # A rejected suggestion's reason, and timestamps with and without microseconds.
    first = session.query(Asset).order_by(Asset.id).first()
    assert first is not None
    session.execute(
        update(Asset)
        .where(Asset.id == first.id)
        .values(
            moderation_reason="Dyblyg — duplicate",
            created_at=datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC),
            updated_at=datetime(2024, 5, 6, 7, 8, 9, 120, tzinfo=UTC),
        )
    )
    session.commit()


def _scatter(session: Session, count: int = 300) -> None:
    """Published groups around CENTRE with full-precision coordinates, some themed."""
    rng = random.Random(17)
    rows = [
        {
            "kind": "group",
            "name_en": f"Grŵp {i}",
            "search_text": f"grwp {i}",
            "location": point_element(
                CENTRE[0] + rng.uniform(-0.03, 0.03), CENTRE[1] + rng.uniform(-0.02, 0.02)
            ),
            "status": "published",
            "opening_hours": [],
            "accessibility": [],
            "languages": [],
            "version": 1,
        }
        for i in range(count)
    ]
    session.execute(insert(Asset), rows)
    ids = [a.id for a in session.query(Asset).filter(Asset.name_en.like("Grŵp %")).limit(40)]
    session.execute(
        insert(AssetTheme),
        [
            {"asset_id": i, "theme_code": code, "lon": 0.0, "lat": 0.0, "public": True}
            for i in ids
            for code in ("food", "older_people")
        ],
    )
    session.commit()


def _python_bytes(
    session: Session,
    viewer: Viewer,
    filters: AssetFilters,
    limit: int,
    cursor: str | None,
    shape: str,
) -> tuple[bytes, int, str | None]:
    page = service.list_assets(session, viewer=viewer, filters=filters, limit=limit, cursor=cursor)
    render = canonical_json if shape == "json" else canonical_feature
    items = b",".join(orjson.dumps(render(r)) for r in page.records)
    return items, len(page.records), page.next_cursor


NEAR = Near(CENTRE[0], CENTRE[1], 1500.0)
CASES: list[tuple[str, Viewer, AssetFilters, int]] = [
    ("everything (admin)", SYSTEM, AssetFilters(), 7),
    ("public", ANONYMOUS, AssetFilters(), 50),
    ("bbox", ANONYMOUS, AssetFilters(bbox=BBox(-3.2, 51.47, -3.16, 51.49)), 25),
    ("near", SYSTEM, AssetFilters(near=NEAR), 30),
    ("near, themed", ANONYMOUS, AssetFilters(near=NEAR, themes=("food",)), 9),
]


@pytest.mark.parametrize("shape", ["json", "feature"])
@pytest.mark.parametrize(("name", "viewer", "filters", "limit"), CASES, ids=[c[0] for c in CASES])
def test_database_built_pages_equal_the_python_bytes(
    session: Session,
    shape: Any,
    name: str,
    viewer: Viewer,
    filters: AssetFilters,
    limit: int,
) -> None:
    _awkward(session)
    _scatter(session)
    cursor = None
    for _ in range(3):  # the first pages, through their cursors
        expected = _python_bytes(session, viewer, filters, limit, cursor, shape)
        built = list_asset_bodies(
            session, viewer=viewer, filters=filters, limit=limit, cursor=cursor, shape=shape
        )
        assert (built.items, built.count, built.next_cursor) == expected
        assert expected[1] > 0
        cursor = built.next_cursor
        if cursor is None:
            break


@pytest.mark.backend("spatialite")
@pytest.mark.parametrize("shape", ["json", "feature"])
def test_an_older_sqlite_without_concat_builds_the_same_bytes(
    session: Session, shape: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SQLite before 3.44 has no concat(): the items are joined with || instead, byte for byte.
    _awkward(session)
    _scatter(session)
    args: dict[str, Any] = {"viewer": SYSTEM, "filters": AssetFilters(), "limit": 400}
    expected = _python_bytes(session, SYSTEM, AssetFilters(), 400, None, shape)
    concat = list_asset_bodies(session, **args, shape=shape)
    assert list_sql._ITEM_SQL[("sqlite", shape, False)].startswith("concat(")
    monkeypatch.setattr(json_sql, "_sqlite_version", lambda: (3, 40, 1))
    monkeypatch.setattr(list_sql, "_ITEM_SQL", {})
    chained = list_asset_bodies(session, **args, shape=shape)
    assert not list_sql._ITEM_SQL[("sqlite", shape, False)].startswith("concat(")
    assert (concat.items, concat.count) == (chained.items, chained.count) == expected[:2]


def _exhaustive(session: Session, filters: AssetFilters, limit: int, cursor: str | None) -> Any:
    """Today's exact computation: every row within the radius, exact distance, sorted."""
    last = near_attempts(session, filters, limit)[-1]
    stmt = build_list_query(
        session, viewer=ANONYMOUS, filters=filters, limit=limit, cursor=cursor, near_attempt=last
    )
    return [(row.id, row.distance_m) for row in session.execute(stmt)]


@pytest.mark.parametrize("radius", [150.0, 400.0, 1500.0, 5000.0])
def test_near_pages_equal_the_exhaustive_search(session: Session, radius: float) -> None:
    _scatter(session)
    filters = AssetFilters(near=Near(CENTRE[0] + 0.004, CENTRE[1] - 0.003, radius))
    cursor, pages = None, 0
    while True:
        page = service.list_assets(
            session, viewer=ANONYMOUS, filters=filters, limit=20, cursor=cursor
        )
        exact = _exhaustive(session, filters, 20, cursor)
        assert [(r["id"], r["distance_m"]) for r in page.records] == exact[:20]
        assert (page.next_cursor is not None) == (len(exact) > 20)
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    assert pages >= (2 if radius >= 1500 else 1)


@pytest.mark.backend("spatialite")
def test_a_box_with_fewer_index_entries_than_a_page_is_not_probed(session: Session) -> None:
    # A crowded radius (300 assets) whose assets are all 400-480 m away: the boxes of radius
    # 125 m and 250 m hold none, so the page costs three statements (every box's index
    # entries at once, the 500 m box's rows, the page), not a count of each empty box too.
    rng = random.Random(5)
    rows = []
    for i in range(300):
        bearing, metres = rng.uniform(0, 2 * math.pi), rng.uniform(400, 480)
        lon = CENTRE[0] + metres * math.sin(bearing) / (111_320 * math.cos(math.radians(51.48)))
        lat = CENTRE[1] + metres * math.cos(bearing) / 110_574
        rows.append(
            {
                "kind": "group",
                "name_en": f"Cylch {i}",
                "search_text": f"cylch {i}",
                "location": point_element(lon, lat),
                "status": "published",
                "opening_hours": [],
                "accessibility": [],
                "languages": [],
                "version": 1,
            }
        )
    session.execute(insert(Asset), rows)
    filters = AssetFilters(near=Near(CENTRE[0], CENTRE[1], 1000.0))
    statements: list[str] = []
    engine = session.get_bind()
    listen = event.listens_for(engine, "before_cursor_execute")

    @listen
    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    try:
        page = service.list_assets(session, viewer=ANONYMOUS, filters=filters, limit=50)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert [(r["id"], r["distance_m"]) for r in page.records] == _exhaustive(
        session, filters, 50, None
    )[:50]
    assert len(statements) == 3, statements


def test_near_radius_edge_is_kept_exactly(session: Session) -> None:
    _scatter(session, 200)
    probe = Near(CENTRE[0], CENTRE[1], 5000.0)
    everything = _exhaustive(session, AssetFilters(near=probe), 500, None)
    # A radius exactly at an asset's distance includes it; a hair less leaves it out.
    asset_id, metres = everything[len(everything) // 2]
    at = AssetFilters(near=Near(probe.lon, probe.lat, metres))
    page = service.list_assets(session, viewer=ANONYMOUS, filters=at, limit=500)
    assert page.records[-1]["id"] == asset_id
    below = AssetFilters(near=Near(probe.lon, probe.lat, metres - 1e-6))
    page = service.list_assets(session, viewer=ANONYMOUS, filters=below, limit=500)
    assert asset_id not in [r["id"] for r in page.records]
    assert len(page.records) == len(everything) // 2


def test_the_list_route_sends_the_database_built_bytes(session: Session, client: Any) -> None:
    """GET /api/v1/assets (JSON and GeoJSON, with a next link) is the Python path's bytes."""
    _awkward(session)
    _scatter(session, 30)
    page = service.list_assets(session, viewer=ANONYMOUS, filters=AssetFilters(), limit=20)
    json_page = client.get("/api/v1/assets?limit=20")
    assert json_page.headers["content-type"] == "application/json"
    next_url = json_page.json()["next"]
    assert next_url and "cursor=" + str(page.next_cursor) in next_url
    items = [canonical_json(r) for r in page.records]
    expected = {"items": items, "numberReturned": 20, "next": next_url}
    assert json_page.content == orjson.dumps(expected)
    geo = client.get("/api/v1/assets?limit=20&f=geojson")
    assert geo.headers["content-type"] == "application/geo+json"
    features = [canonical_feature(r) for r in page.records]
    links = geo.json()["links"]
    assert [link["rel"] for link in links] == ["self", "next"]
    expected = {
        "type": "FeatureCollection",
        "features": features,
        "numberReturned": 20,
        "links": links,
    }
    assert geo.content == orjson.dumps(expected)
