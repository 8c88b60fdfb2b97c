"""Writing an import's new assets set by set: their rows, theme links, areas and a compact audit.

PostgreSQL: each flush is COPYed into temporary staging tables (no WAL, no index, nothing
another session waits for); `finish` moves them with one INSERT ... SELECT per table, the theme
links' foreign keys checked once for a big load. SQLite, which has no COPY: one executemany per
table in the import's single transaction. Either way nothing is in the real tables before the
last transaction, which commits whole or not at all.

The audit trail gets one `import` event (file, format, sources, counts) and, per new asset, a
`create` event naming that import and the asset's source keys instead of repeating every value:
the values an asset was created with are its row's, less the changes its later events record
(`creation_values`, which the audit trail's readers use).
"""

from collections.abc import Iterable
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import uuid4

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from app.models import Asset, AssetTheme, AuditEvent, Base
from app.services import audit
from app.services.assets.records import AUDITED_COLUMNS
from app.services.assets.theme_points import theme_point
from app.services.imports.rows import Row
from app.services.needs.areas import Placements, assign_new_assets, place_points
from app.spatial import backend_of
from app.spatial.geometry import area_element, point_elements

TABLES = Base.metadata.tables
ASSETS, LINKS, EVENTS = (TABLES[model.__tablename__] for model in (Asset, AssetTheme, AuditEvent))
INSERT_CHUNK = 20_000
# Links from which PostgreSQL checks their foreign keys once, at the end, for the whole load:
# asset_themes is then held exclusively (the app's readers and writers of it wait) for the
# final transaction, so only for loads big enough to gain seconds; below, row by row.
KEYS_ONCE_MIN_LINKS = 200_000
IMPORT_KEY = "import"


def new_import_id() -> str:
    """An id naming one import in the audit trail."""
    return uuid4().hex


@dataclass
class NewAssets:
    """The new assets of one import, written as they come (staged where the backend can)."""

    actor: str
    now: datetime
    import_id: str
    points: list[tuple[int, float, float]] = field(default_factory=list)
    placed: Placements = field(default_factory=dict)
    links: int = 0
    staging: dict[str, Table] = field(default_factory=dict)

    def add(self, session: Session, rows: list[Row]) -> None:
        """Write these new assets (ids given): into staging, or (SQLite) the tables."""
        if not rows:
            return
        backend, connection = backend_of(session), session.connection()
        points = [(row.id, *row.values["location"]) for row in rows if row.id is not None]
        placed = place_points(session, points)  # one read of the areas for the lot
        self.points += points
        self.placed.update(placed)
        staged = backend.staging_table(connection, ASSETS) is not None
        for start in range(0, len(rows), INSERT_CHUNK):
            chunk = rows[start : start + INSERT_CHUNK]
            links = [
                {"asset_id": row.id, "theme_code": code, **point}
                for row in chunk
                for point in (_point(row, placed),)
                for code in row.values["themes"]
            ]
            self.links += len(links)
            tables = ((ASSETS, self._records(chunk)), (LINKS, links), (EVENTS, self._events(chunk)))
            if staged:
                for table, values in tables:
                    backend.bulk_insert(connection, self._staging(session, table), values)
            else:
                with backend.foreign_keys_checked_once(connection, LINKS):
                    for table, values in tables:
                        backend.bulk_insert(connection, table, values)

    def finish(self, session: Session) -> None:
        """Move what is staged into the tables (one statement each) and place the new assets
        in their areas; call inside the import's final transaction."""
        backend, connection = backend_of(session), session.connection()
        if self.staging:
            # The keys' locks come first, before this transaction holds anything the app's
            # writers could be waiting for.
            keys_once = self.links >= KEYS_ONCE_MIN_LINKS
            with (
                backend.foreign_keys_checked_once(connection, LINKS) if keys_once else nullcontext()
            ):
                for table in (ASSETS, LINKS, EVENTS):
                    backend.insert_staged(connection, table, self.staging[table.name])
        # Only the new assets: changed ones are placed by update_asset, and the others are not
        # this import's to touch (the app may be placing its own new assets meanwhile).
        assign_new_assets(session, self.points, placed=self.placed)
        self.points, self.placed = [], {}

    def _staging(self, session: Session, table: Table) -> Table:
        if table.name not in self.staging:
            staging = backend_of(session).staging_table(session.connection(), table)
            assert staging is not None
            self.staging[table.name] = staging
        return self.staging[table.name]

    def _records(self, rows: list[Row]) -> list[dict[str, Any]]:
        locations = point_elements([row.values["location"] for row in rows])
        return [
            _record(row, location, actor=self.actor, now=self.now)
            for row, location in zip(rows, locations, strict=True)
        ]

    def _events(self, rows: list[Row]) -> list[dict[str, Any]]:
        named = [None, self.import_id]
        return [
            {
                "occurred_at": self.now,
                "actor": self.actor,
                "action": "create",
                "entity_type": "asset",
                "entity_id": str(row.id),
                "changes": _created_by_import(row, named),
            }
            for row in rows
        ]


def _point(row: Row, placed: Placements) -> dict[str, Any]:
    values = row.values
    areas = placed.get(row.id) if row.id is not None else None
    lon, lat = values["location"]
    return theme_point(values["kind"], values["status"], lon, lat, areas)


def _created_by_import(row: Row, named: list[Any]) -> dict[str, list[Any]]:
    changes: dict[str, list[Any]] = {IMPORT_KEY: named}
    for key in ("source", "source_id"):
        if row.values[key] is not None:
            changes[key] = [None, row.values[key]]
    return changes


def _record(row: Row, location: Any, *, actor: str, now: datetime) -> dict[str, Any]:
    values = row.values
    area = values["service_area"]
    return {
        "id": row.id,
        **{name: values[name] for name in AUDITED_COLUMNS},
        "search_text": values["search_text"],
        "location": location,
        "service_area": area_element(area) if area is not None else None,
        "version": row.version or 1,
        "created_at": row.created_at or now,
        "updated_at": row.updated_at or row.created_at or now,
        "created_by": actor,
        "updated_by": actor,
    }


def record_import(
    session: Session,
    *,
    actor: str,
    import_id: str,
    file: str,
    format: str,
    sources: Iterable[str],
    created: int,
    updated: int,
) -> None:
    """The one audit event of an import: what file, which sources, how many assets."""
    audit.record(
        session,
        actor=actor,
        action=IMPORT_KEY,
        entity_type=IMPORT_KEY,
        entity_id=import_id,
        changes={
            "file": [None, file],
            "format": [None, format],
            "sources": [None, sorted(sources)],
            "created": [None, created],
            "updated": [None, updated],
        },
    )


def creation_values(session: Session, events: list[AuditEvent]) -> dict[int, dict[str, list[Any]]]:
    """For compact `create` events of imported assets: per event id, the values the asset was
    created with, as a create event of the service records them ({field: [None, value]}).

    The asset's stored values, with every later event's changes undone, newest first. An
    asset no longer stored (erased, deleted) gives nothing: the event keeps only its import."""
    from app.services.imports.writes import stored_snapshots  # writes imports this module

    compact = {
        int(e.entity_id): e
        for e in events
        if e.entity_type == "asset"
        and e.action == "create"
        and IMPORT_KEY in (e.changes or {})
        and e.entity_id.isdigit()
    }
    if not compact:
        return {}
    snapshots = stored_snapshots(session, sorted(compact))
    later = session.execute(
        select(AuditEvent.id, AuditEvent.entity_id, AuditEvent.changes)
        .where(
            AuditEvent.entity_type == "asset",
            AuditEvent.entity_id.in_([str(i) for i in snapshots]),
        )
        .order_by(AuditEvent.id.desc())
    ).all()
    for event_id, entity_id, changes in later:
        created = compact[int(entity_id)]
        snapshot = snapshots[int(entity_id)]
        if event_id <= created.id or not isinstance(changes, dict):
            continue
        for key, pair in changes.items():
            if key in snapshot and isinstance(pair, list) and len(pair) == 2:
                snapshot[key] = pair[0]
    return {
        compact[asset_id].id: {k: [None, v] for k, v in sorted(s.items()) if v is not None}
        for asset_id, s in snapshots.items()
    }
