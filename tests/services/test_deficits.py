"""Service deficits: create, read, search, change, delete (audited) and the near/in-area lookup."""

import random
from datetime import date, timedelta
from typing import Any

import pytest
from pyproj import Geod
from shapely.geometry import MultiPolygon, box
from sqlalchemy import Engine, func, insert, select, text
from sqlalchemy.orm import Session

from app.errors import Conflict, InvalidInput, NotFound, PreconditionFailed
from app.models import AuditEvent, Deficit
from app.schemas.deficits import DeficitCreate, DeficitUpdate, today_in_wales
from app.services.assets.visibility import ANONYMOUS, SYSTEM
from app.services.needs import deficits as service
from app.spatial import BBox, backend_for
from app.spatial.geometry import area_element, geometry_from_db, point_element

SPLOTT = (-3.1566, 51.4812)
GEOD = Geod(ellps="WGS84")


def deficit_body(**overrides: Any) -> dict[str, Any]:
    """A valid create body: a point deficit in Splott, with overrides."""
    body: dict[str, Any] = {
        "theme": "transport",
        "title_en": "No bus after 7pm",
        "title_cy": "Dim bws ar ôl 7yh",
        "severity": 3,
        "reporter": "Gwen Jones",
        "reported_on": "2025-03-01",
        "location": {"type": "Point", "coordinates": list(SPLOTT)},
    }
    body.update(overrides)
    return body


def square(lon: float, lat: float, half: float) -> dict[str, Any]:
    """A GeoJSON Polygon: a square of half-width `half` degrees around lon/lat."""
    return {
        "type": "Polygon",
        "coordinates": [
            [
                [lon - half, lat - half],
                [lon + half, lat - half],
                [lon + half, lat + half],
                [lon - half, lat + half],
                [lon - half, lat - half],
            ]
        ],
    }


def create(session: Session, **overrides: Any) -> int:
    deficit = service.create_deficit(
        session, actor="tester", data=DeficitCreate.model_validate(deficit_body(**overrides))
    )
    session.commit()
    return deficit.id


def events(session: Session, deficit_id: int) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.entity_type == "deficit", AuditEvent.entity_id == str(deficit_id))
            .order_by(AuditEvent.id)
        )
    )


def count(session: Session, model: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_create_stores_the_deficit_and_audits_it_without_the_reporters_name(
    session: Session,
) -> None:
    deficit_id = create(session, area=square(*SPLOTT, 0.01))
    record = service.get_deficit(session, viewer=SYSTEM, deficit_id=deficit_id)
    assert (record["lon"], record["lat"]) == SPLOTT
    assert record["area"].geom_type == "MultiPolygon"
    assert record["theme"] == "transport"
    assert record["reported_on"] == date(2025, 3, 1)
    assert record["status"] == "open" and record["version"] == 1
    (event,) = events(session, deficit_id)
    assert event.action == "create" and event.actor == "tester"
    assert event.changes["title_en"] == [None, "No bus after 7pm"]
    assert event.changes["location"] == [None, list(SPLOTT)]
    assert event.changes["area"][1].startswith("MULTIPOLYGON")
    assert event.changes["reporter"] == [None, "(withheld)"]
    assert "Gwen" not in str(event.changes)


def test_create_defaults_to_open_and_reported_today(session: Session) -> None:
    deficit_id = create(session, reported_on=None, status=None)
    record = service.get_deficit(session, viewer=SYSTEM, deficit_id=deficit_id)
    assert record["status"] == "open"
    assert record["reported_on"] == today_in_wales()


def test_an_area_alone_is_a_place(session: Session) -> None:
    deficit_id = create(session, location=None, area=square(*SPLOTT, 0.01))
    record = service.get_deficit(session, viewer=SYSTEM, deficit_id=deficit_id)
    assert record["lon"] is None and record["lat"] is None
    assert record["area"].bounds == pytest.approx((-3.1666, 51.4712, -3.1466, 51.4912))


def test_unknown_theme_is_refused_and_nothing_is_written(session: Session) -> None:
    data = DeficitCreate.model_validate(deficit_body(theme="no_such_theme"))
    with pytest.raises(InvalidInput) as raised:
        service.create_deficit(session, actor="tester", data=data)
    assert raised.value.loc == ("body", "theme")
    session.rollback()
    assert count(session, Deficit) == 0 and count(session, AuditEvent) == 0


def test_a_second_deficit_with_the_same_source_record_conflicts(session: Session) -> None:
    create(session, source="council", source_id="17")
    with pytest.raises(Conflict):
        create(session, source="council", source_id="17")


def test_anonymous_readers_never_get_the_reporter(session: Session) -> None:
    deficit_id = create(session)
    assert "reporter" not in service.get_deficit(session, viewer=ANONYMOUS, deficit_id=deficit_id)
    page = service.list_deficits(session, viewer=ANONYMOUS)
    assert all("reporter" not in r for r in page.records)
    admin = service.get_deficit(session, viewer=SYSTEM, deficit_id=deficit_id)
    assert admin["reporter"] == "Gwen Jones"


def test_update_changes_sent_fields_bumps_version_and_audits_before_and_after(
    session: Session,
) -> None:
    deficit_id = create(session)
    data = DeficitUpdate.model_validate({"status": "addressed", "severity": 1})
    service.update_deficit(
        session, viewer=SYSTEM, deficit_id=deficit_id, expected_version=1, data=data
    )
    session.commit()
    record = service.get_deficit(session, viewer=SYSTEM, deficit_id=deficit_id)
    assert (record["status"], record["severity"], record["version"]) == ("addressed", 1, 2)
    assert record["title_en"] == "No bus after 7pm"
    update = events(session, deficit_id)[-1]
    assert update.action == "update" and update.actor == "system"
    assert update.changes == {"severity": [3, 1], "status": ["open", "addressed"]}


def test_an_update_that_changes_nothing_keeps_the_version_and_writes_no_event(
    session: Session,
) -> None:
    deficit_id = create(session)
    data = DeficitUpdate.model_validate({"severity": 3})
    service.update_deficit(
        session, viewer=SYSTEM, deficit_id=deficit_id, expected_version=1, data=data
    )
    session.commit()
    assert service.get_deficit(session, viewer=SYSTEM, deficit_id=deficit_id)["version"] == 1
    assert len(events(session, deficit_id)) == 1


def test_update_of_a_stale_version_fails(session: Session) -> None:
    deficit_id = create(session)
    with pytest.raises(PreconditionFailed):
        service.update_deficit(
            session,
            viewer=SYSTEM,
            deficit_id=deficit_id,
            expected_version=7,
            data=DeficitUpdate.model_validate({"severity": 5}),
        )


def test_update_may_not_leave_a_deficit_without_a_place_or_a_title(session: Session) -> None:
    deficit_id = create(session)
    with pytest.raises(InvalidInput) as no_place:
        service.update_deficit(
            session,
            viewer=SYSTEM,
            deficit_id=deficit_id,
            expected_version=None,
            data=DeficitUpdate.model_validate({"location": None}),
        )
    assert no_place.value.loc == ("body", "location")
    with pytest.raises(InvalidInput) as no_title:
        service.update_deficit(
            session,
            viewer=SYSTEM,
            deficit_id=deficit_id,
            expected_version=None,
            data=DeficitUpdate.model_validate({"title_en": None, "title_cy": ""}),
        )
    assert no_title.value.loc[0] == "body"
    session.rollback()
    assert service.get_deficit(session, viewer=SYSTEM, deficit_id=deficit_id)["version"] == 1


def test_clearing_the_reporter_is_audited_without_the_name(session: Session) -> None:
    deficit_id = create(session)
    service.update_deficit(
        session,
        viewer=SYSTEM,
        deficit_id=deficit_id,
        expected_version=1,
        data=DeficitUpdate.model_validate({"reporter": None}),
    )
    session.commit()
    assert events(session, deficit_id)[-1].changes == {"reporter": ["(withheld)", None]}


def test_delete_removes_the_row_and_the_audit_keeps_its_last_values(session: Session) -> None:
    deficit_id = create(session)
    service.delete_deficit(session, viewer=SYSTEM, deficit_id=deficit_id, expected_version=1)
    session.commit()
    with pytest.raises(NotFound):
        service.get_deficit(session, viewer=SYSTEM, deficit_id=deficit_id)
    deleted = events(session, deficit_id)[-1]
    assert deleted.action == "delete"
    assert deleted.changes["title_en"] == ["No bus after 7pm", None]
    assert deleted.changes["reporter"] == ["(withheld)", None]


def test_delete_of_a_stale_version_fails_and_keeps_the_row(session: Session) -> None:
    deficit_id = create(session)
    with pytest.raises(PreconditionFailed):
        service.delete_deficit(session, viewer=SYSTEM, deficit_id=deficit_id, expected_version=2)
    session.rollback()
    assert count(session, Deficit) == 1


def test_list_filters_by_theme_and_status(session: Session) -> None:
    bus = create(session)
    food = create(session, theme="food", title_en="Food bank closed")
    done = create(session, theme="food", title_en="Pantry reopened", status="addressed")

    def ids(**filters: Any) -> list[int]:
        return [
            r["id"] for r in service.list_deficits(session, viewer=ANONYMOUS, **filters).records
        ]

    assert ids() == [bus, food, done]
    assert ids(theme=["food"]) == [food, done]
    assert ids(theme=["food", "transport"], status=["open"]) == [bus, food]
    assert ids(status=["addressed"]) == [done]


def test_bbox_finds_deficits_by_their_point_or_their_area(session: Session) -> None:
    point = create(session)
    # An area much larger than the box, with no vertex inside it: only a true intersection finds it.
    covering = create(session, location=None, area=square(-3.0, 51.5, 0.5))
    create(session, location={"type": "Point", "coordinates": [-4.0, 52.4]})
    found = service.list_deficits(
        session, viewer=ANONYMOUS, bbox=BBox(-3.16, 51.48, -3.15, 51.49)
    ).records
    assert [r["id"] for r in found] == [point, covering]


def test_pages_follow_the_cursor_until_the_last(session: Session) -> None:
    made = [create(session, source="s", source_id=str(n)) for n in range(5)]
    seen: list[int] = []
    cursor = None
    while True:
        page = service.list_deficits(session, viewer=ANONYMOUS, limit=2, cursor=cursor)
        seen += [r["id"] for r in page.records]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == made


def test_a_foreign_cursor_is_invalid_input(session: Session) -> None:
    with pytest.raises(InvalidInput):
        service.list_deficits(session, viewer=ANONYMOUS, cursor="not-a-cursor")


# ---- near / in an area -------------------------------------------------------------------------


def offset(lon: float, lat: float, metres: float, bearing: float = 90.0) -> list[float]:
    """The point `metres` from lon/lat along `bearing` (independent of the service)."""
    x, y, _ = GEOD.fwd(lon, lat, bearing, metres)
    return [x, y]


def test_deficits_near_are_open_ones_nearest_first_with_geodesic_distances(
    session: Session,
) -> None:
    far = create(session, location={"type": "Point", "coordinates": offset(*SPLOTT, 700)})
    near = create(session, location={"type": "Point", "coordinates": offset(*SPLOTT, 150, 0)})
    covering = create(session, location=None, area=square(*SPLOTT, 0.002))
    create(
        session, location={"type": "Point", "coordinates": offset(*SPLOTT, 300)}, status="addressed"
    )
    create(session, location={"type": "Point", "coordinates": offset(*SPLOTT, 1200)})

    found = service.deficits_near(session, lon=SPLOTT[0], lat=SPLOTT[1], radius_m=1000)

    assert [r["id"] for r in found] == [covering, near, far]
    assert found[0]["distance_m"] == 0
    assert found[1]["distance_m"] == pytest.approx(150, abs=0.5)
    assert found[2]["distance_m"] == pytest.approx(700, abs=0.5)
    assert all("reporter" not in r and r["in_area"] is False for r in found)


def test_deficits_near_measure_an_area_from_its_edge(session: Session) -> None:
    # A square whose west edge is 500 m east of the point (lat 51.48: a degree of lon ~ 69.5 km).
    edge = offset(*SPLOTT, 500)
    west, lat = edge[0], SPLOTT[1]
    area = {
        "type": "Polygon",
        "coordinates": [
            [
                [west, lat - 0.01],
                [west + 0.02, lat - 0.01],
                [west + 0.02, lat + 0.01],
                [west, lat + 0.01],
                [west, lat - 0.01],
            ]
        ],
    }
    deficit_id = create(session, location=None, area=area)
    (found,) = service.deficits_near(session, lon=SPLOTT[0], lat=SPLOTT[1], radius_m=600)
    assert found["id"] == deficit_id
    assert found["distance_m"] == pytest.approx(500, abs=1.5)
    assert service.deficits_near(session, lon=SPLOTT[0], lat=SPLOTT[1], radius_m=400) == []


def test_deficits_in_an_area_are_found_beyond_the_radius(session: Session) -> None:
    inside = create(session, location={"type": "Point", "coordinates": offset(*SPLOTT, 3000)})
    overlapping = create(session, location=None, area=square(-3.095, 51.481, 0.01))
    outside = create(session, location={"type": "Point", "coordinates": offset(*SPLOTT, 3000, 270)})
    area = MultiPolygon([box(-3.16, 51.47, -3.10, 51.49)])

    found = service.deficits_near(
        session, lon=SPLOTT[0], lat=SPLOTT[1], radius_m=500, area_geom=area
    )

    assert [r["id"] for r in found] == [inside, overlapping]
    assert all(r["in_area"] for r in found)
    assert outside not in [r["id"] for r in found]


def test_future_dates_are_refused_by_the_schema() -> None:
    tomorrow = (today_in_wales() + timedelta(days=1)).isoformat()
    with pytest.raises(ValueError, match="future"):
        DeficitCreate.model_validate(deficit_body(reported_on=tomorrow))


# ---- spatial index use -------------------------------------------------------------------------


@pytest.fixture
def many_deficits(db: Engine) -> int:
    """4,000 deficits over south Wales (seeded): half points, half small areas; stats updated."""
    rng = random.Random(11)
    rows = []
    for i in range(4000):
        lon, lat = rng.uniform(-4.5, -2.7), rng.uniform(51.3, 52.0)
        place: dict[str, Any] = (
            {"location": point_element(lon, lat), "area": None}
            if i % 2
            else {
                "location": None,
                "area": area_element(MultiPolygon([box(lon, lat, lon + 0.01, lat + 0.01)])),
            }
        )
        rows.append(
            {
                "theme_code": "transport",
                "title_en": f"Gap {i}",
                "severity": 3,
                "status": "open",
                "reported_on": date(2025, 1, 1),
                "version": 1,
                **place,
            }
        )
    with db.begin() as connection:
        connection.execute(insert(Deficit), rows)
    with db.connect() as connection:
        connection.execute(text("ANALYZE"))
        connection.commit()
    return len(rows)


def test_bbox_search_reads_both_spatial_indexes_and_matches_brute_force(
    db: Engine, many_deficits: int
) -> None:
    cardiff = BBox(-3.25, 51.45, -3.1, 51.52)
    backend = backend_for(db.dialect.name)
    with Session(db) as session:
        stmt = service.build_list_query(session, viewer=ANONYMOUS, bbox=cardiff, limit=5000)
        connection = session.connection()
        assert backend.plan_uses_spatial_index(connection, stmt, "idx_deficits_location")
        assert backend.plan_uses_spatial_index(connection, stmt, "idx_deficits_area")
        found = {row.id for row in session.execute(stmt)}
        everything = session.execute(select(Deficit.id, Deficit.location, Deficit.area)).all()
    query = box(cardiff.minx, cardiff.miny, cardiff.maxx, cardiff.maxy)
    brute = {
        row.id
        for row in everything
        if geometry_from_db(row.location if row.location is not None else row.area).intersects(
            query
        )
    }
    assert brute and found == brute
