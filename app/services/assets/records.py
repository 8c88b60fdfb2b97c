"""Assets: queries (every read through `visible_assets`) and writes (every write audited)."""

import base64
import binascii
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

import orjson
from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session

from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.models import PERSON_KINDS, Asset, AssetTheme
from app.models.base import utcnow
from app.schemas.assets import (
    ASSET_FIELDS,
    AUDITED_FIELDS,
    AssetCreate,
    AssetRecord,
    AssetUpdate,
    fold,
)
from app.schemas.people import ConsentIn
from app.services import audit
from app.services.assets import versions
from app.services.assets.theme_points import sync_theme_points
from app.services.assets.themes import known_codes
from app.services.assets.visibility import SYSTEM, Viewer, editable_assets, visible_assets
from app.services.needs.areas import assign_asset
from app.services.people import consents as people
from app.spatial import BBox, SpatialBackend, backend_of
from app.spatial.geometry import area_element, geometry_from_db, point_element
from app.spatial.nearest import NearAttempt, NearStage, nearest_for

TABLE = "assets"
T = TypeVar("T")
# A near-me row's flag: its attempt's candidates held every row within the radius.
NEAR_EXHAUSTIVE = "near_exhaustive"
# A near-me radius whose box holds fewer index entries than this many pages is searched whole.
CROWDED_PAGES = 4


@dataclass(frozen=True)
class Near:
    """A near-me search: a point and a radius in metres."""

    lon: float
    lat: float
    radius_m: float


@dataclass(frozen=True)
class AssetFilters:
    """What a list of assets is narrowed by; empty means everything visible."""

    kinds: tuple[str, ...] = ()
    themes: tuple[str, ...] = ()
    q: str | None = None
    # Themes whose label the words of `q` name ("food", "bwyd"): their assets match `q` too.
    q_themes: tuple[str, ...] = ()
    bbox: BBox | None = None
    near: Near | None = None
    statuses: tuple[str, ...] = ()


@dataclass
class AssetPage:
    """One page of asset records and the cursor of the next page (None: last page)."""

    records: list[AssetRecord]
    next_cursor: str | None
    extra: dict[str, Any] = field(default_factory=dict)


def _backend(session: Session) -> SpatialBackend:
    return backend_of(session)


# ---- cursors -----------------------------------------------------------------------------------


def encode_cursor(key: list[Any]) -> str:
    """An opaque keyset cursor for the given sort key."""
    return base64.urlsafe_b64encode(orjson.dumps(key)).decode().rstrip("=")


def decode_cursor(cursor: str, *, near: bool) -> list[Any]:
    """The sort key inside a cursor; InvalidInput if it was not made by encode_cursor."""
    try:
        key = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, orjson.JSONDecodeError, ValueError):
        key = None
    expected = (float, int) if near else (int,)
    if (
        not isinstance(key, list)
        or len(key) != len(expected)
        or not all(
            isinstance(v, t) and not isinstance(v, bool) for v, t in zip(key, expected, strict=True)
        )
        # ids are SQL INTEGER: a larger one would overflow on PostGIS (a 500, not a 422)
        or not 0 <= key[-1] < 2**31
    ):
        raise InvalidInput(("query", "cursor"), "not a cursor from a `next` link of this search")
    return key


# ---- reads -------------------------------------------------------------------------------------


def _columns(backend: SpatialBackend) -> list[Any]:
    """The SELECT list of an AssetRecord, in its order."""
    computed = {
        "lon": backend.x(Asset.location).label("lon"),
        "lat": backend.y(Asset.location).label("lat"),
        "themes": _theme_list(backend),
    }
    return [computed[name] if name in computed else getattr(Asset, name) for name in ASSET_FIELDS]


def _where(
    backend: SpatialBackend, viewer: Viewer, filters: AssetFilters, *, with_near: bool = True
) -> list[Any]:
    conditions: list[Any] = [visible_assets(viewer)]
    if filters.kinds:
        conditions.append(Asset.kind.in_(filters.kinds))
    if filters.statuses:
        conditions.append(Asset.status.in_(filters.statuses))
    if filters.themes:
        conditions.append(
            Asset.id.in_(
                select(AssetTheme.asset_id).where(AssetTheme.theme_code.in_(filters.themes))
            )
        )
    if filters.q:
        pattern = (
            "%"
            + fold(filters.q).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            + "%"
        )
        matches: ColumnElement[bool] = Asset.search_text.like(pattern, escape="\\")
        if filters.q_themes:
            themed = select(AssetTheme.asset_id).where(AssetTheme.theme_code.in_(filters.q_themes))
            matches = or_(matches, Asset.id.in_(themed))
        conditions.append(matches)
    if filters.bbox:
        conditions.append(backend.in_bbox(TABLE, Asset.location, Asset.id, filters.bbox))
    if filters.near and with_near:
        n = filters.near
        conditions.append(
            backend.within_m(TABLE, Asset.location, Asset.id, n.lon, n.lat, n.radius_m)
        )
    return conditions


def near_attempts(session: Session, filters: AssetFilters, limit: int) -> list[NearAttempt]:
    """The attempts of a near-me page, cheapest first (app/spatial/nearest.py); the last one
    searches the whole radius."""
    assert filters.near is not None
    strategy = nearest_for(session.get_bind().dialect.name)
    return strategy.attempts(filters.near.radius_m, limit)


def _near_stage(
    session: Session, backend: SpatialBackend, near: Near, attempt: NearAttempt, where: list[Any]
) -> NearStage:
    strategy = nearest_for(session.get_bind().dialect.name)
    return strategy.stage(
        backend,
        attempt,
        table_name=TABLE,
        geom=Asset.location,
        pk=Asset.id,
        lon=near.lon,
        lat=near.lat,
        radius_m=near.radius_m,
        where=where,
    )


def build_list_query(
    session: Session,
    *,
    viewer: Viewer,
    filters: AssetFilters,
    limit: int,
    cursor: str | None,
    near_attempt: NearAttempt | None = None,
) -> Select[Any]:
    """The SELECT for one page of assets (exposed so plans can be checked).

    With `near`: the rows of one near-me attempt (near_attempts; default the last, which
    searches the whole radius), nearest first."""
    backend = _backend(session)
    conditions = _where(backend, viewer, filters, with_near=False)
    columns = _columns(backend)
    if filters.near:
        attempt = near_attempt or near_attempts(session, filters, limit)[-1]
        stage = _near_stage(session, backend, filters.near, attempt, list(conditions))
        conditions += stage.conditions
        distance = backend.distance_m(Asset.location, filters.near.lon, filters.near.lat)
        columns.append(distance.label("distance_m"))
        if stage.exhaustive is not None:
            columns.append(stage.exhaustive.label(NEAR_EXHAUSTIVE))
        if cursor is not None:
            last_distance, last_id = decode_cursor(cursor, near=True)
            conditions.append(
                or_(distance > last_distance, and_(distance == last_distance, Asset.id > last_id))
            )
        order = [distance, Asset.id]
    else:
        if cursor is not None:
            (last_id,) = decode_cursor(cursor, near=False)
            conditions.append(Asset.id > last_id)
        order = [Asset.id]
    return select(*columns).where(*conditions).order_by(*order).limit(limit + 1)


def _theme_list(backend: SpatialBackend) -> Any:
    """The asset's theme codes as one separated text, fetched in the same query (a primary-key
    lookup per row; a second `IN (...1000 ids)` query cost more than the page itself)."""
    return (
        select(backend.joined_text(AssetTheme.theme_code, THEME_SEPARATOR))
        .where(AssetTheme.asset_id == Asset.id)
        .correlate(Asset)
        .scalar_subquery()
        .label("themes")
    )


THEME_SEPARATOR = ";"


def asset_records(rows: list[Any]) -> list[AssetRecord]:
    """Rows of build_list_query (or get_asset's SELECT) as records."""
    records = []
    for row in rows:
        values = dict(row._mapping)
        values.pop(NEAR_EXHAUSTIVE, None)
        values["service_area"] = geometry_from_db(values["service_area"])
        themes = values["themes"]
        values["themes"] = sorted(themes.split(THEME_SEPARATOR)) if themes else []
        records.append(cast(AssetRecord, values))
    return records


def list_assets(
    session: Session,
    *,
    viewer: Viewer,
    filters: AssetFilters,
    limit: int = 50,
    cursor: str | None = None,
) -> AssetPage:
    """One page of visible assets: nearest first for `near`, else by id; keyset cursor for more."""
    rows = _page_rows(session, viewer=viewer, filters=filters, limit=limit, cursor=cursor)
    more = len(rows) > limit
    records = asset_records(rows[:limit])
    next_cursor = None
    if more and records:
        last = records[-1]
        key = [last["distance_m"], last["id"]] if filters.near else [last["id"]]
        next_cursor = encode_cursor(key)
    return AssetPage(records=records, next_cursor=next_cursor)


def _page_rows(
    session: Session, *, viewer: Viewer, filters: AssetFilters, limit: int, cursor: str | None
) -> list[Any]:
    """The rows of build_list_query (limit + 1 of them when there are more); near-me through
    its attempts until one is complete."""
    if filters.near is None:
        stmt = build_list_query(session, viewer=viewer, filters=filters, limit=limit, cursor=cursor)
        return list(session.execute(stmt))

    def run(stmt: Select[Any]) -> tuple[list[Any], int, bool | None]:
        rows = list(session.execute(stmt))
        # No rows: whether the attempt was exhaustive is asked of the database.
        return rows, len(rows), bool(rows[0]._mapping.get(NEAR_EXHAUSTIVE)) if rows else None

    return run_near_attempts(
        session, viewer=viewer, filters=filters, limit=limit, cursor=cursor, run=run
    )


def _attempt_query(
    session: Session,
    viewer: Viewer,
    filters: AssetFilters,
    limit: int,
    cursor: str | None,
    attempt: NearAttempt,
) -> Select[Any]:
    """build_list_query for one near-me attempt."""
    return build_list_query(
        session, viewer=viewer, filters=filters, limit=limit, cursor=cursor, near_attempt=attempt
    )


def run_near_attempts(
    session: Session,
    *,
    viewer: Viewer,
    filters: AssetFilters,
    limit: int,
    cursor: str | None,
    run: Callable[[Select[Any]], tuple[T, int, bool | None]],
) -> T:
    """Run a near-me page's attempts in order (`run`: given an attempt's build_list_query, its
    answer, how many rows it had, and whether it was exhaustive, None: unknown) until one
    answers the page; that attempt's answer (the last one's when none says so)."""
    near = filters.near
    assert near is not None
    strategy = nearest_for(session.get_bind().dialect.name)
    answer: T | None = None
    for attempt in page_attempts(
        session, viewer=viewer, filters=filters, limit=limit, cursor=cursor
    ):
        answer, rows, exhaustive = run(
            _attempt_query(session, viewer, filters, limit, cursor, attempt)
        )
        if strategy.complete(attempt, near.radius_m, rows, limit + 1):
            break
        if exhaustive is None:
            exhaustive = near_exhausted(session, viewer=viewer, filters=filters, attempt=attempt)
        if exhaustive:
            break
    assert answer is not None, "a near-me page has at least one attempt"
    return answer


def page_attempts(
    session: Session, *, viewer: Viewer, filters: AssetFilters, limit: int, cursor: str | None
) -> list[NearAttempt]:
    """The near-me attempts to run for a page, in order. A strategy that probes (SpatiaLite's
    growing boxes) first counts the index entries of every box in one statement (a box with
    fewer than a page cannot answer it, and a crowded whole radius is searched whole), then
    counts the rows of each box left (ids only, unordered, at most limit + 1: no distances
    sorted, no rows fetched) and runs only the first box that answers the page."""
    attempts = near_attempts(session, filters, limit)
    strategy = nearest_for(session.get_bind().dialect.name)
    if not strategy.probes or filters.near is None:
        return attempts
    near = filters.near
    cap = CROWDED_PAGES * (limit + 1)
    radii = [attempt.radius_m for attempt in attempts]
    crowding = strategy.crowding(TABLE, Asset.location, near.lon, near.lat, radii, cap)
    # Not asked: every box counts as crowded.
    entries = list(session.execute(*crowding).one()) if crowding else [cap] * len(attempts)
    if entries[-1] < cap:
        return attempts[-1:]  # few rows in the whole radius: one exact search is cheapest
    for attempt, inside in zip(attempts[:-1], entries, strict=False):
        if inside < limit + 1:
            continue  # fewer index entries in its box than a page: it cannot answer
        stmt = _attempt_query(session, viewer, filters, limit, cursor, attempt)
        found = stmt.with_only_columns(Asset.id).order_by(None).subquery()
        rows = session.scalar(select(func.count()).select_from(found)) or 0
        if strategy.complete(attempt, filters.near.radius_m, rows, limit + 1):
            return [attempt]
    return attempts[-1:]


def near_exhausted(
    session: Session, *, viewer: Viewer, filters: AssetFilters, attempt: NearAttempt
) -> bool:
    """Whether a near-me attempt's candidates held every row within the radius (the
    database's own flag; False for a strategy without one)."""
    assert filters.near is not None
    backend = _backend(session)
    conditions = _where(backend, viewer, filters, with_near=False)
    stage = _near_stage(session, backend, filters.near, attempt, conditions)
    if stage.exhaustive is None:
        return False
    return bool(session.scalar(select(stage.exhaustive)))


def count_assets(session: Session, *, viewer: Viewer, filters: AssetFilters) -> int:
    """How many visible assets match the filters."""
    conditions = _where(_backend(session), viewer, filters)
    return int(session.scalar(select(func.count()).select_from(Asset).where(*conditions)) or 0)


def extent_of_assets(
    session: Session, *, viewer: Viewer, filters: AssetFilters | None = None
) -> BBox | None:
    """The lon/lat box around the visible assets matching the filters (None when there are none)."""
    backend = _backend(session)
    conditions = _where(backend, viewer, filters or AssetFilters())
    lon, lat = backend.x(Asset.location), backend.y(Asset.location)
    row = session.execute(
        select(func.min(lon), func.min(lat), func.max(lon), func.max(lat)).where(*conditions)
    ).one()
    if row[0] is None:
        return None
    return BBox(*(float(v) for v in row))


def iter_assets(
    session: Session, *, viewer: Viewer, filters: AssetFilters | None = None, batch: int = 1000
) -> Iterator[AssetRecord]:
    """Every visible asset matching the filters, by id, fetched a page at a time (for exports)."""
    filters = filters or AssetFilters()
    cursor = None
    while True:
        page = list_assets(session, viewer=viewer, filters=filters, limit=batch, cursor=cursor)
        yield from page.records
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def get_asset(session: Session, *, viewer: Viewer, asset_id: int) -> AssetRecord:
    """One visible asset record; NotFound if it does not exist or the viewer may not see it."""
    backend = _backend(session)
    stmt = select(*_columns(backend)).where(Asset.id == asset_id, visible_assets(viewer))
    rows = list(session.execute(stmt))
    if not rows:
        raise NotFound(f"asset {asset_id} not found")
    return asset_records(rows)[0]


# ---- writes ------------------------------------------------------------------------------------


def _snapshot(asset: Asset) -> dict[str, Any]:
    """The audited fields of an asset, as plain JSON values."""
    location = geometry_from_db(asset.location) if asset.location is not None else None
    area = geometry_from_db(asset.service_area) if asset.service_area is not None else None
    values = {c: getattr(asset, c) for c in AUDITED_COLUMNS}
    values["location"] = [location.x, location.y] if location is not None else None
    values["service_area"] = area.wkt if area is not None else None
    values["themes"] = asset.theme_codes
    values["last_verified_at"] = (
        asset.last_verified_at.isoformat() if asset.last_verified_at else None
    )
    return values


AUDITED_COLUMNS = AUDITED_FIELDS


def _check_themes(session: Session, codes: list[str]) -> list[str]:
    codes = list(dict.fromkeys(codes))
    known = known_codes(session, codes)
    for index, code in enumerate(codes):
        if code not in known:
            raise InvalidInput(
                ("body", "themes", index), f"unknown theme {code!r}; see /api/v1/themes"
            )
    return sorted(codes)


def _apply(session: Session, asset: Asset, values: dict[str, Any]) -> None:
    """Set validated values (from AssetCreate/AssetUpdate) on the ORM object."""
    for key, value in values.items():
        if key == "location":
            asset.location = point_element(*value["coordinates"])
        elif key == "service_area":
            asset.service_area = area_element(value.to_shape()) if value is not None else None
        elif key == "themes":
            codes = _check_themes(session, value)
            asset.themes = [AssetTheme(theme_code=c) for c in codes]
        elif key == "opening_hours":
            asset.opening_hours = [dict(h.stored()) for h in value]
        elif key == "website":
            asset.website = str(value) if value is not None else None
        else:
            setattr(asset, key, value)
    asset.search_text = fold(
        " ".join(
            filter(None, (asset.name_en, asset.name_cy, asset.description_en, asset.description_cy))
        )
    )
    sync_theme_points(asset)


def _fields(data: AssetCreate | AssetUpdate) -> dict[str, Any]:
    # Keep nested models (service_area, opening_hours) as objects; everything else plain.
    values = {name: getattr(data, name) for name in data.model_fields_set}
    if "location" in values and values["location"] is not None:
        values["location"] = values["location"].model_dump()
    return values


def find_by_source(session: Session, source: str, source_id: str) -> Asset | None:
    """The asset imported from this source record, if any."""
    return session.scalar(select(Asset).where(Asset.source == source, Asset.source_id == source_id))


def create_asset(
    session: Session, *, actor: str, data: AssetCreate, viewer: Viewer = SYSTEM
) -> Asset:
    """Add a new asset and its audit event (flushed, not committed).

    A connector may add assets only inside their patch (Forbidden otherwise); a person-linked
    asset gets its consent record and its public location (1 km square) here."""
    if data.source and data.source_id and find_by_source(session, data.source, data.source_id):
        raise Conflict(f"an asset from {data.source!r} with source_id {data.source_id!r} exists")
    now = utcnow()
    asset = Asset(created_at=now, updated_at=now, created_by=actor, updated_by=actor, version=1)
    fields = _fields(data)
    fields.pop("consent", None)
    values = {"themes": [], **fields, "kind": data.kind, "status": data.status}
    _apply(session, asset, values)
    session.add(asset)
    session.flush()
    if data.consent is not None:
        people.record_consent(session, asset, data.consent, actor=actor)
    people.check_publishable(asset)
    assign_asset(session, asset.id)
    _check_in_patch(session, viewer, asset)
    if people.is_person(asset):
        people.save_public_location(session, asset)
    audit.record(
        session,
        actor=actor,
        action="create",
        entity_type="asset",
        entity_id=asset.id,
        changes=audit.diff({}, _snapshot(asset)),
        redact_locations=people.is_person(asset),
    )
    session.flush()
    return asset


def _check_in_patch(session: Session, viewer: Viewer, asset: Asset) -> None:
    """Connectors keep to their patch: an asset placed outside it is refused."""
    session.flush()
    inside = session.scalar(select(Asset.id).where(Asset.id == asset.id, editable_assets(viewer)))
    if inside is None:
        raise Forbidden("this location is outside the areas you look after")


def _editable(
    session: Session, viewer: Viewer, asset_id: int, expected_version: int | None
) -> Asset:
    """The asset, claimed for this transaction at expected_version (None: any), read after the
    claim so that what the change starts from is what it will overwrite (services/versions.py).
    """
    seen = select(Asset.id).where(Asset.id == asset_id, visible_assets(viewer))
    if session.scalar(seen) is None:
        raise NotFound(f"asset {asset_id} not found")
    mine = select(Asset.id).where(Asset.id == asset_id, editable_assets(viewer))
    if session.scalar(mine) is None:
        raise Forbidden(f"asset {asset_id} is outside the areas you look after")
    return versions.claimed(session, Asset, asset_id, expected_version, what=f"asset {asset_id}")


def update_asset(
    session: Session,
    *,
    viewer: Viewer,
    asset_id: int,
    expected_version: int | None,
    data: AssetUpdate | dict[str, Any],
) -> Asset:
    """Change the sent fields of an asset if it is still at expected_version (None: any);
    PreconditionFailed if it is not, decided by the database (services/versions.py)."""
    with versions.refused_if_stale(f"asset {asset_id}"):
        return _update_asset(session, viewer, asset_id, expected_version, data)


def _update_asset(
    session: Session,
    viewer: Viewer,
    asset_id: int,
    expected_version: int | None,
    data: AssetUpdate | dict[str, Any],
) -> Asset:
    asset = _editable(session, viewer, asset_id, expected_version)
    before = _snapshot(asset)
    values = _fields(data) if isinstance(data, AssetUpdate) else data
    # Checked before applying: the table's CHECK would fail later, at a flush, as a 500.
    if not any(values.get(k, getattr(asset, k)) for k in ("name_en", "name_cy")):
        raise InvalidInput(("body",), "give at least one of name_en or name_cy")
    if "kind" in values and (values["kind"] in PERSON_KINDS) != people.is_person(asset):
        raise InvalidInput(
            ("body", "kind"), "a record cannot change between a person and an organisation"
        )
    _apply(session, asset, values)
    people.check_publishable(asset)
    return _finish_update(session, viewer, asset, before, "update")


def archive_asset(
    session: Session, *, viewer: Viewer, asset_id: int, expected_version: int | None
) -> Asset:
    """Archive an asset (delete keeps the record and its history)."""
    with versions.refused_if_stale(f"asset {asset_id}"):
        asset = _editable(session, viewer, asset_id, expected_version)
        before = _snapshot(asset)
        asset.status = "archived"
        sync_theme_points(asset)
        return _finish_update(session, viewer, asset, before, "archive")


def mark_checked(
    session: Session, *, viewer: Viewer, asset_id: int, expected_version: int | None
) -> Asset:
    """Record that someone checked the asset today (it exists and its details are right):
    `last_verified_at` becomes now, through the same versioned, audited write as any change."""
    with versions.refused_if_stale(f"asset {asset_id}"):
        asset = _editable(session, viewer, asset_id, expected_version)
        before = _snapshot(asset)
        asset.last_verified_at = utcnow()
        return _finish_update(session, viewer, asset, before, "check")


def _finish_update(
    session: Session, viewer: Viewer, asset: Asset, before: dict[str, Any], action: str
) -> Asset:
    changes = audit.diff(before, _snapshot(asset))
    if not changes:
        return asset
    if "location" in changes:
        session.flush()
        assign_asset(session, asset.id)
        _check_in_patch(session, viewer, asset)
        if people.is_person(asset):
            people.save_public_location(session, asset)
    actor = viewer.actor or "anonymous"
    asset.version += 1
    asset.updated_at = utcnow()
    asset.updated_by = actor
    audit.record(
        session,
        actor=actor,
        action=action,
        entity_type="asset",
        entity_id=asset.id,
        changes=changes,
        redact_locations=asset.kind in PERSON_KINDS,
    )
    session.flush()
    return asset


def record_new_consent(
    session: Session,
    *,
    viewer: Viewer,
    asset_id: int,
    expected_version: int | None,
    consent: ConsentIn,
) -> Asset:
    """Add a consent record to a person-linked asset of the viewer's patch."""
    with versions.refused_if_stale(f"asset {asset_id}"):
        return _record_new_consent(session, viewer, asset_id, expected_version, consent)


def _record_new_consent(
    session: Session,
    viewer: Viewer,
    asset_id: int,
    expected_version: int | None,
    consent: ConsentIn,
) -> Asset:
    asset = _editable(session, viewer, asset_id, expected_version)
    if not people.is_person(asset):
        raise InvalidInput(("path", "asset_id"), "only skill and volunteer records carry consent")
    before = asset.consent_expires_at.isoformat() if asset.consent_expires_at else None
    people.record_consent(session, asset, consent, actor=viewer.actor or "admin")
    asset.version += 1
    asset.updated_at = utcnow()
    asset.updated_by = viewer.actor
    audit.record(
        session,
        actor=viewer.actor or "admin",
        action="consent",
        entity_type="asset",
        entity_id=asset.id,
        changes={
            "consent_expires_at": [before, consent.expires_at.isoformat()],
            "consent_method": [None, consent.method],
            "consent_notice_version": [None, consent.notice_version],
        },
    )
    session.flush()
    return asset
