"""Matching validated rows to stored assets, and writing them: new assets set by set through
inserts.NewAssets (rows, themes, areas, a compact audit), services.assets.update_asset for
changed ones.

An import must not hold SQLite's write lock (or PostgreSQL's row locks) for its whole run, so
that the app's writes wait briefly instead of failing: on SQLite nothing is written while the
file is read and matched (what to write waits in memory for `Planner.finish`, one short
transaction at the end); on PostgreSQL new assets are staged in temporary tables as the file is
read (no other session waits for those) and reach the real tables, with the changes, at the
end. New ids come from the database inside the write (SQLite: max + 1 under the write lock;
PostgreSQL: the sequence), never from a read made earlier.

These lookups read assets without the visibility filter on purpose: an import must see every
stored asset (people included) to refuse to touch it, and nothing read here leaves the server.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import PERSON_KINDS, Asset, AssetTheme
from app.models.base import utcnow
from app.services.assets.records import AUDITED_COLUMNS, update_asset
from app.services.assets.visibility import Viewer
from app.services.imports.inserts import NewAssets, new_import_id
from app.services.imports.rows import Key, Problem, Row, audit_snapshot, update_values
from app.spatial import SpatialBackend, backend_of
from app.spatial.geometry import geometry_from_db

LOOKUP_CHUNK = 500
PRELOAD_MIN_RECORDS = 2000
PRELOAD_RATIO = 20
# PostgreSQL stages new assets by this many (each flush reads the areas once to place them).
FLUSH_ROWS = 50_000


@dataclass(frozen=True)
class Existing:
    """What matching needs to know about a stored asset."""

    id: int
    kind: str
    source: str | None
    source_id: str | None


@dataclass
class Outcome:
    """What one batch did (or would do): counts and problems."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    unkeyed: int = 0
    problems: list[Problem] = field(default_factory=list)


@dataclass
class Planner:
    """Matches rows batch by batch, remembering keys and ids claimed earlier in the file."""

    unit: str
    lookup: "Lookup"
    ids_above: int = 0
    keys: dict[Key, int] = field(default_factory=dict)
    asset_ids: dict[int, int] = field(default_factory=dict)
    now: datetime = field(default_factory=utcnow)
    # What to write waits here until finish(): new assets (inserted in big batches) and changes.
    pending_with_id: list[Row] = field(default_factory=list)
    pending_new: list[Row] = field(default_factory=list)
    pending_updates: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    import_id: str = field(default_factory=new_import_id)
    inserts: NewAssets | None = None

    def plan(
        self, session: Session, rows: list[Row]
    ) -> tuple[Outcome, list[Row], list[Row], list[tuple[int, dict[str, Any]]]]:
        """Outcome, rows to create with their own id, rows to create, (asset id, changes)."""
        outcome = Outcome()
        by_key, by_id = self.lookup.find(
            session, [r.key for r in rows if r.key is not None], [r.id for r in rows if r.id]
        )
        with_id: list[Row] = []
        new: list[Row] = []
        matches: list[tuple[Row, Existing]] = []
        for row in rows:
            key = row.key
            existing: Existing | None = None
            if key is not None:
                if key in self.keys:
                    outcome.problems.append(
                        Problem(
                            row.number,
                            "source_id",
                            f"same source and source_id as {self.unit} {self.keys[key]}",
                        )
                    )
                    continue
                self.keys[key] = row.number
                existing = by_key.get(key)
            elif row.id is not None:
                existing = by_id.get(row.id)
                if existing is not None and existing.source_id is not None:
                    outcome.problems.append(_owned_elsewhere(row, existing))
                    continue
            if existing is not None:
                if existing.kind in PERSON_KINDS:
                    reason = "matches an asset that imports may not change"
                    outcome.problems.append(Problem(row.number, "record", reason))
                elif self._claim(outcome, row, existing.id):
                    matches.append((row, existing))
            elif row.id is not None:
                if row.id in by_id:
                    reason = (
                        f"id {row.id} belongs to another asset (import with --new-ids to give "
                        "this file's new assets new ids)"
                    )
                    outcome.problems.append(Problem(row.number, "id", reason))
                elif self._claim(outcome, row, row.id):
                    with_id.append(row)
            else:
                new.append(row)
                outcome.unkeyed += key is None
        updates = _changes(session, matches)
        outcome.created = len(with_id) + len(new)
        outcome.updated = len(updates)
        outcome.unchanged = len(matches) - len(updates)
        return outcome, with_id, new, updates

    def write(
        self,
        session: Session,
        with_id: list[Row],
        new: list[Row],
        updates: list[tuple[int, dict[str, Any]]],
        actor: str,
    ) -> None:
        """Keep what plan() decided for finish(). PostgreSQL, where writers do not wait for one
        another, stages the new assets by FLUSH_ROWS meanwhile (bounded memory); SQLite,
        which has one writer, keeps them all for the final transaction."""
        self.pending_with_id += with_id
        self.pending_new += new
        self.pending_updates += updates
        waiting = len(self.pending_with_id) + len(self.pending_new)
        if waiting >= FLUSH_ROWS and not _backend(session).one_writer:
            self._insert_pending(session, actor)

    def finish(self, session: Session, actor: str) -> None:
        """Write everything waiting, in the session's transaction (the caller commits).

        The transaction takes the write lock first (SQLite: BEGIN IMMEDIATE, waiting for a
        writer of the app like any writer), then draws the new ids, inserts the new assets
        (PostgreSQL: from staging, one statement per table), puts them in their areas and
        applies the changes (whose rows are locked from here to the commit only)."""
        updates, self.pending_updates = self.pending_updates, []
        _backend(session).begin_writes(session.connection())
        self._insert_pending(session, actor)
        self.new_assets(actor).finish(session)
        viewer = Viewer(actor=actor, role="admin", with_people=False)
        for asset_id, changes in updates:
            update_asset(
                session, viewer=viewer, asset_id=asset_id, expected_version=None, data=changes
            )

    def new_assets(self, actor: str) -> NewAssets:
        """The writer of this import's new assets (one per import)."""
        if self.inserts is None:
            self.inserts = NewAssets(actor=actor, now=self.now, import_id=self.import_id)
        return self.inserts

    def _insert_pending(self, session: Session, actor: str) -> None:
        with_id, new = self.pending_with_id, self.pending_new
        self.pending_with_id, self.pending_new = [], []
        if not (with_id or new):
            return
        # Ids are drawn inside the write: SpatiaLite's next id is max(id) + 1 under the write
        # lock, PostgreSQL's come from the sequence (moved past every id the file brings).
        fresh = _backend(session).reserve_ids(
            session.connection(), "assets", "id", len(new), self.ids_above
        )
        for row, new_id in zip(new, fresh, strict=True):
            row.id = new_id
        self.new_assets(actor).add(session, with_id + new)

    def _claim(self, outcome: Outcome, row: Row, asset_id: int) -> bool:
        earlier = self.asset_ids.get(asset_id)
        if earlier is not None:
            reason = f"the same asset (id {asset_id}) as {self.unit} {earlier}"
            outcome.problems.append(Problem(row.number, "id", reason))
            return False
        self.asset_ids[asset_id] = row.number
        return True


def _owned_elsewhere(row: Row, existing: Existing) -> Problem:
    return Problem(
        row.number,
        "id",
        f"id {existing.id} is the asset from source {existing.source!r} "
        f"(source_id {existing.source_id!r}); give the same source and source_id, "
        "or import with --new-ids",
    )


class Lookup:
    """Finds the stored assets that records match, by (source, source_id) and by id.

    A big file against a table not much bigger reads the table's keys once: per-batch
    queries would each scan the rows a running import has just added (PostgreSQL has no
    statistics for them yet, so it does not use the index well).
    """

    def __init__(self, preloaded: list[Existing] | None) -> None:
        self.by_key: dict[Key, Existing] | None = None
        self.by_id: dict[int, Existing] | None = None
        if preloaded is not None:
            self.by_key = {
                (e.source, e.source_id): e for e in preloaded if e.source and e.source_id
            }
            self.by_id = {e.id: e for e in preloaded}

    @classmethod
    def for_file(cls, session: Session, records: int) -> "Lookup":
        """Preload for a big file when the table is at most PRELOAD_RATIO times bigger."""
        if records < PRELOAD_MIN_RECORDS:
            return cls(None)
        stored = session.scalar(select(func.count()).select_from(Asset)) or 0
        if stored > records * PRELOAD_RATIO:
            return cls(None)
        columns = select(Asset.id, Asset.kind, Asset.source, Asset.source_id)
        return cls([Existing(*row) for row in session.execute(columns)])

    def find(
        self, session: Session, keys: list[Key], ids: list[int]
    ) -> tuple[dict[Key, Existing], dict[int, Existing]]:
        """The stored assets with these keys, and with these ids."""
        if self.by_key is None or self.by_id is None:
            return _by_key(session, keys), _by_id(session, ids)
        by_key = {k: self.by_key[k] for k in keys if k in self.by_key}
        return by_key, {i: self.by_id[i] for i in ids if i in self.by_id}


def _by_key(session: Session, keys: list[Key]) -> dict[Key, Existing]:
    found: dict[Key, Existing] = {}
    by_source: dict[str, list[str]] = {}
    for source, source_id in keys:
        by_source.setdefault(source, []).append(source_id)
    for source, source_ids in by_source.items():
        for start in range(0, len(source_ids), LOOKUP_CHUNK):
            chunk = source_ids[start : start + LOOKUP_CHUNK]
            stmt = select(Asset.id, Asset.kind, Asset.source, Asset.source_id).where(
                Asset.source == source, Asset.source_id.in_(chunk)
            )
            for row in session.execute(stmt):
                found[(row.source, row.source_id)] = Existing(*row)
    return found


def _by_id(session: Session, ids: list[int]) -> dict[int, Existing]:
    found: dict[int, Existing] = {}
    for start in range(0, len(ids), LOOKUP_CHUNK):
        stmt = select(Asset.id, Asset.kind, Asset.source, Asset.source_id).where(
            Asset.id.in_(ids[start : start + LOOKUP_CHUNK])
        )
        for row in session.execute(stmt):
            found[row.id] = Existing(*row)
    return found


def _changes(
    session: Session, matches: list[tuple[Row, Existing]]
) -> list[tuple[int, dict[str, Any]]]:
    """For matched rows, the fields whose values differ from the stored asset."""
    stored = stored_snapshots(session, [existing.id for _, existing in matches])
    updates = []
    for row, existing in matches:
        new = audit_snapshot(row.values)
        old = stored[existing.id]
        changed = [name for name in sorted(row.update_fields) if new[name] != old[name]]
        if changed:
            updates.append((existing.id, update_values(row.values, changed)))
    return updates


def _backend(session: Session) -> SpatialBackend:
    return backend_of(session)


def stored_snapshots(session: Session, ids: list[int]) -> dict[int, dict[str, Any]]:
    """Stored assets' values in the audit trail's form (rows.audit_snapshot), by id."""
    backend = _backend(session)
    columns = [getattr(Asset, name) for name in AUDITED_COLUMNS]
    snapshots: dict[int, dict[str, Any]] = {}
    for start in range(0, len(ids), LOOKUP_CHUNK):
        chunk = ids[start : start + LOOKUP_CHUNK]
        stmt = select(
            Asset.id,
            *columns,
            backend.x(Asset.location).label("lon"),
            backend.y(Asset.location).label("lat"),
            Asset.service_area,
        ).where(Asset.id.in_(chunk))
        for row in session.execute(stmt):
            values = {name: getattr(row, name) for name in AUDITED_COLUMNS}
            values["location"] = (row.lon, row.lat)
            values["service_area"] = geometry_from_db(row.service_area)
            values["themes"] = []
            snapshots[row.id] = audit_snapshot(values)
        themes = select(AssetTheme.asset_id, AssetTheme.theme_code).where(
            AssetTheme.asset_id.in_(chunk)
        )
        for asset_id, code in session.execute(themes.order_by(AssetTheme.theme_code)):
            snapshots[asset_id]["themes"].append(code)
    return snapshots
