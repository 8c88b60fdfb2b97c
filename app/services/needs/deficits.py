"""Service deficits: queries, near/in-area lookups and writes (every write audited).

Deleting a deficit removes the row (deficits describe services, not people); the audit trail
keeps its last values. The audit trail never holds a reporter's name: it records only that the
reporter was set, changed or cleared, so erasing a person leaves no copy behind.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from shapely.geometry import MultiPolygon, Point
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from app.errors import Conflict, InvalidInput, NotFound
from app.models import Deficit
from app.models.base import utcnow
from app.schemas.deficits import (
    DEFICIT_FIELDS,
    DeficitCreate,
    DeficitRecord,
    DeficitUpdate,
    today_in_wales,
)
from app.services import audit
from app.services.assets.records import decode_cursor, encode_cursor, versions
from app.services.assets.themes import known_codes
from app.services.assets.visibility import Viewer
from app.spatial import BBox, SpatialBackend, backend_of
from app.spatial.geometry import area_element, geometry_from_db, point_element

TABLE = "deficits"
ENTITY = "deficit"
# Field names as the API and files spell them; `theme` is the column theme_code.
FIELDS = (
    "theme",
    "title_en",
    "title_cy",
    "description_en",
    "description_cy",
    "severity",
    "status",
    "source",
    "source_id",
    "reporter",
    "reported_on",
    "location",
    "area",
)
# The fields stored as they are (theme, location and area are converted).
PLAIN_FIELDS = FIELDS[1:-2]
WITHHELD = "(withheld)"


@dataclass
class DeficitPage:
    """One page of deficit records and the cursor of the next page (None: last page)."""

    records: list[DeficitRecord]
    next_cursor: str | None


# Planners, connectors and admins change deficits (and see who reported them).
DEFICIT_WRITERS = ("planner", "connector", "admin")


def _backend(session: Session) -> SpatialBackend:
    return backend_of(session)


def may_see_reporter(viewer: Viewer) -> bool:
    """Whether this viewer may see who reported a deficit (those who may change deficits)."""
    return viewer.role in DEFICIT_WRITERS


# ---- reads -------------------------------------------------------------------------------------


def _columns(backend: SpatialBackend, *, with_reporter: bool) -> list[Any]:
    """The SELECT list of a DeficitRecord, in its order (`reporter` only when asked for)."""
    computed = {
        "theme": Deficit.theme_code.label("theme"),
        "lon": backend.x(Deficit.location).label("lon"),
        "lat": backend.y(Deficit.location).label("lat"),
    }
    return [
        computed[name] if name in computed else getattr(Deficit, name)
        for name in DEFICIT_FIELDS
        if with_reporter or name != "reporter"
    ]


def _record(row: Any) -> DeficitRecord:
    return _record_of(dict(row._mapping))


def _record_of(values: dict[str, Any]) -> DeficitRecord:
    values["area"] = geometry_from_db(values["area"])
    return cast(DeficitRecord, values)


class NearDeficit(DeficitRecord):
    """An open deficit near a point or an area: its distance, and whether it is in the area."""

    in_area: bool


def _in_bbox(backend: SpatialBackend, bbox: BBox) -> Any:
    # Both columns are spatially indexed; a deficit matches when its point or its area does.
    return or_(
        backend.in_bbox(TABLE, Deficit.location, Deficit.id, bbox),
        backend.in_bbox(TABLE, Deficit.area, Deficit.id, bbox),
    )


def build_list_query(
    session: Session,
    *,
    viewer: Viewer,
    theme: Sequence[str] = (),
    status: Sequence[str] = (),
    bbox: BBox | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> Select[Any]:
    """The SELECT for one page of deficits, limit + 1 rows (exposed so plans can be checked)."""
    backend = _backend(session)
    stmt = select(*_columns(backend, with_reporter=may_see_reporter(viewer)))
    if theme:
        stmt = stmt.where(Deficit.theme_code.in_(theme))
    if status:
        stmt = stmt.where(Deficit.status.in_(status))
    if bbox is not None:
        stmt = stmt.where(_in_bbox(backend, bbox))
    if cursor is not None:
        (last_id,) = decode_cursor(cursor, near=False)
        stmt = stmt.where(Deficit.id > last_id)
    return stmt.order_by(Deficit.id).limit(limit + 1)


def list_deficits(
    session: Session,
    *,
    viewer: Viewer,
    theme: Sequence[str] = (),
    status: Sequence[str] = (),
    bbox: BBox | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> DeficitPage:
    """One page of deficits by id (any of the themes/statuses given, in the bbox); keyset cursor."""
    stmt = build_list_query(
        session, viewer=viewer, theme=theme, status=status, bbox=bbox, limit=limit, cursor=cursor
    )
    rows = list(session.execute(stmt))
    records = [_record(row) for row in rows[:limit]]
    more = len(rows) > limit and records
    return DeficitPage(records, encode_cursor([records[-1]["id"]]) if more else None)


def get_deficit(session: Session, *, viewer: Viewer, deficit_id: int) -> DeficitRecord:
    """One deficit record; NotFound if there is none with this id."""
    backend = _backend(session)
    stmt = select(*_columns(backend, with_reporter=may_see_reporter(viewer)))
    row = session.execute(stmt.where(Deficit.id == deficit_id)).first()
    if row is None:
        raise NotFound(f"deficit {deficit_id} not found")
    return _record(row)


def deficits_near(
    session: Session,
    *,
    lon: float,
    lat: float,
    radius_m: float,
    area_geom: MultiPolygon | None = None,
) -> list[NearDeficit]:
    """Open deficits within radius_m of lon/lat or touching area_geom, nearest first.

    Each record (public fields: no reporter) has `distance_m`, geodesic metres from lon/lat to
    the nearest part of the deficit's point or area (0 inside its area), and `in_area`.
    """
    backend = _backend(session)
    conditions = [
        backend.within_m(TABLE, Deficit.location, Deficit.id, lon, lat, radius_m),
        backend.within_m(TABLE, Deficit.area, Deficit.id, lon, lat, radius_m),
    ]
    if area_geom is not None:
        # The index finds candidates by the area's box; shapely decides below.
        conditions.append(_in_bbox(backend, BBox(*area_geom.bounds)))
    stmt = select(
        *_columns(backend, with_reporter=False),
        backend.distance_m(Deficit.location, lon, lat).label("to_location"),
        backend.distance_m(Deficit.area, lon, lat).label("to_area"),
    ).where(Deficit.status == "open", or_(*conditions))
    found: list[NearDeficit] = []
    for row in session.execute(stmt):
        values = dict(row._mapping)
        to_location, to_area = values.pop("to_location"), values.pop("to_area")
        values["distance_m"] = min(d for d in (to_location, to_area) if d is not None)
        record = cast(NearDeficit, _record_of(values))
        record["in_area"] = area_geom is not None and _touches(area_geom, record)
        if record["distance_m"] <= radius_m or record["in_area"]:
            found.append(record)
    return sorted(found, key=lambda r: (r["distance_m"], r["id"]))


def _touches(area: MultiPolygon, record: DeficitRecord) -> bool:
    if record["lon"] is not None and area.intersects(Point(record["lon"], record["lat"])):
        return True
    return record["area"] is not None and bool(area.intersects(record["area"]))


# ---- writes ------------------------------------------------------------------------------------


def values_of(data: DeficitCreate | DeficitUpdate) -> dict[str, Any]:
    """The fields sent, as stored values: location (lon, lat) or None, area shapely or None."""
    values: dict[str, Any] = {}
    for name in data.model_fields_set:
        value = getattr(data, name)
        if name == "location" and value is not None:
            value = (float(value.coordinates[0]), float(value.coordinates[1]))
        elif name == "area" and value is not None:
            value = value.to_shape()
        values[name] = value
    return values


def stored_values(deficit: Deficit) -> dict[str, Any]:
    """A deficit's current values, in the form values_of gives."""
    location = geometry_from_db(deficit.location)
    return {
        **{name: getattr(deficit, name) for name in PLAIN_FIELDS},
        "theme": deficit.theme_code,
        "location": (location.x, location.y) if location is not None else None,
        "area": geometry_from_db(deficit.area),
    }


def snapshot(values: dict[str, Any]) -> dict[str, Any]:
    """Stored values as plain JSON values (the audit trail's form; compares re-imports)."""
    plain = {name: values.get(name) for name in FIELDS}
    if plain["location"] is not None:
        plain["location"] = list(plain["location"])
    if plain["area"] is not None:
        plain["area"] = plain["area"].wkt
    if isinstance(plain["reported_on"], date):
        plain["reported_on"] = plain["reported_on"].isoformat()
    return plain


def _audit(
    session: Session,
    *,
    actor: str,
    action: str,
    deficit_id: int,
    before: dict[str, Any],
    after: dict[str, Any],
) -> None:
    changes = audit.diff(snapshot(before) if before else {}, snapshot(after) if after else {})
    if "reporter" in changes:
        changes["reporter"] = [WITHHELD if v is not None else None for v in changes["reporter"]]
    audit.record(
        session,
        actor=actor,
        action=action,
        entity_type=ENTITY,
        entity_id=deficit_id,
        changes=changes,
    )


def _check_theme(session: Session, code: str) -> None:
    if code not in known_codes(session, [code]):
        raise InvalidInput(("body", "theme"), f"unknown theme {code!r}; see /api/v1/themes")


def _apply(deficit: Deficit, values: dict[str, Any]) -> None:
    for name, value in values.items():
        if name == "theme":
            deficit.theme_code = value
        elif name == "location":
            deficit.location = point_element(*value) if value is not None else None
        elif name == "area":
            deficit.area = area_element(value) if value is not None else None
        else:
            setattr(deficit, name, value)


def find_by_source(session: Session, source: str, source_id: str) -> Deficit | None:
    """The deficit imported from this source record, if any."""
    return session.scalar(
        select(Deficit).where(Deficit.source == source, Deficit.source_id == source_id)
    )


def create_deficit(session: Session, *, actor: str, data: DeficitCreate) -> Deficit:
    """Add a deficit (status open and today's date unless given) and its audit event; flushed."""
    _check_theme(session, data.theme)
    if data.source and data.source_id and find_by_source(session, data.source, data.source_id):
        raise Conflict(f"a deficit from {data.source!r} with source_id {data.source_id!r} exists")
    return add_deficit(session, actor=actor, values=values_of(data))


def add_deficit(session: Session, *, actor: str, values: dict[str, Any]) -> Deficit:
    """Insert checked values (theme known, key free) with defaults, and audit it; flushed."""
    now = utcnow()
    deficit = Deficit(created_at=now, updated_at=now, created_by=actor, updated_by=actor, version=1)
    _apply(deficit, {"status": "open", "reported_on": today_in_wales(), **_set(values)})
    session.add(deficit)
    session.flush()
    _audit(
        session,
        actor=actor,
        action="create",
        deficit_id=deficit.id,
        before={},
        after=stored_values(deficit),
    )
    session.flush()
    return deficit


def _set(values: dict[str, Any]) -> dict[str, Any]:
    # status and reported_on left empty mean "the default" on create and "keep" on change.
    return {k: v for k, v in values.items() if not (k in ("status", "reported_on") and v is None)}


def _editable(session: Session, deficit_id: int, expected_version: int | None) -> Deficit:
    """The deficit, claimed for this transaction at expected_version (None: any), read after
    the claim (services/versions.py)."""
    if session.scalar(select(Deficit.id).where(Deficit.id == deficit_id)) is None:
        raise NotFound(f"deficit {deficit_id} not found")
    what = f"deficit {deficit_id}"
    return versions.claimed(session, Deficit, deficit_id, expected_version, what=what)


def update_deficit(
    session: Session,
    *,
    viewer: Viewer,
    deficit_id: int,
    expected_version: int | None,
    data: DeficitUpdate | dict[str, Any],
) -> Deficit:
    """Change the sent fields if the deficit is still at expected_version (None: any); flushed.

    PreconditionFailed if it is not, decided by the database (services/versions.py)."""
    with versions.refused_if_stale(f"deficit {deficit_id}"):
        return _update_deficit(session, viewer, deficit_id, expected_version, data)


def _update_deficit(
    session: Session,
    viewer: Viewer,
    deficit_id: int,
    expected_version: int | None,
    data: DeficitUpdate | dict[str, Any],
) -> Deficit:
    values = _set(values_of(data) if isinstance(data, DeficitUpdate) else data)
    if "theme" in values:
        _check_theme(session, values["theme"])
    deficit = _editable(session, deficit_id, expected_version)
    before = stored_values(deficit)
    after = {**before, **values}
    if after["location"] is None and after["area"] is None:
        field = "location" if "location" in values else "area"
        raise InvalidInput(("body", field), "a deficit needs a location or an area; keep one")
    if not (after["title_en"] or after["title_cy"]):
        field = "title_en" if "title_en" in values else "title_cy"
        raise InvalidInput(("body", field), "a deficit needs a title in English or Welsh")
    if snapshot(after) == snapshot(before):
        return deficit
    _apply(deficit, values)
    actor = viewer.actor or "anonymous"
    deficit.version += 1
    deficit.updated_at = utcnow()
    deficit.updated_by = actor
    _audit(session, actor=actor, action="update", deficit_id=deficit.id, before=before, after=after)
    session.flush()
    return deficit


def delete_deficit(
    session: Session, *, viewer: Viewer, deficit_id: int, expected_version: int | None
) -> None:
    """Delete the deficit if still at expected_version; the audit trail keeps its last values."""
    with versions.refused_if_stale(f"deficit {deficit_id}"):
        deficit = _editable(session, deficit_id, expected_version)
        before = stored_values(deficit)
        session.delete(deficit)
        _audit(
            session,
            actor=viewer.actor or "anonymous",
            action="delete",
            deficit_id=deficit_id,
            before=before,
            after={},
        )
        session.flush()
