"""A person's data on request: export everything held about them, or erase it for good.

Erasure deletes the record and everything hanging off it, scrubs the values out of its audit
trail (field names, actions, times and actors stay), and leaves a tombstone holding only the
asset id, time and actor, so that `reapply_erasures` can erase it again after a restore from an
older backup. The tombstone is kept twice: in the database, and in the erasure ledger, an
append-only file outside it (ASSETMAP_ERASURE_LEDGER) that restoring a backup does not reach.
"""

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.errors import Conflict, InvalidInput, NotFound
from app.models import (
    PERSON_KINDS,
    Area,
    Asset,
    AssetArea,
    AssetTheme,
    AuditEvent,
    Consent,
    Erasure,
    PublicLocation,
    Report,
)
from app.models.base import utcnow
from app.paths import STATE_DIR
from app.services import audit
from app.settings import Settings
from app.spatial.geometry import geojson, geometry_from_db

EXPORT_FORMAT = "assetmap-person-export"
EXPORT_FORMAT_VERSION = 1
ERASED = "erased"


def _json(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _row(obj: Any, *, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """Every column of an ORM object as JSON values (geometries as GeoJSON)."""
    values: dict[str, Any] = {}
    for column in obj.__table__.columns:
        if column.key in skip:
            continue
        value = getattr(obj, column.key)
        if column.key in ("location", "service_area"):
            values[column.key] = geojson(geometry_from_db(value))
        else:
            values[column.key] = _json(value)
    return values


def _tombstone(session: Session, asset_id: int) -> Erasure | None:
    return session.scalar(select(Erasure).where(Erasure.asset_id == asset_id))


def person_asset(session: Session, asset_id: int) -> Asset:
    """The person-linked asset with this id; NotFound (saying if it was erased), or
    InvalidInput when the asset is not about a person."""
    asset = session.get(Asset, asset_id)
    if asset is None:
        tombstone = _tombstone(session, asset_id)
        if tombstone is not None:
            raise NotFound(
                f"asset {asset_id} was erased on {tombstone.erased_at:%Y-%m-%d %H:%M} UTC; "
                "nothing is held about it"
            )
        raise NotFound(f"there is no asset {asset_id}")
    if asset.kind not in PERSON_KINDS:
        raise InvalidInput(
            ("asset",),
            f"asset {asset_id} is a {asset.kind}, not a person (skill or volunteer)",
        )
    return asset


def _events(session: Session, entity_type: str, entity_ids: list[str]) -> list[AuditEvent]:
    if not entity_ids:
        return []
    stmt = (
        select(AuditEvent)
        .where(AuditEvent.entity_type == entity_type, AuditEvent.entity_id.in_(entity_ids))
        .order_by(AuditEvent.id)
    )
    return list(session.scalars(stmt))


def export_person(session: Session, asset_id: int) -> dict[str, Any]:
    """Everything held about a person-linked asset, as one machine-readable document."""
    asset = person_asset(session, asset_id)
    consents = session.scalars(
        select(Consent).where(Consent.asset_id == asset_id).order_by(Consent.id)
    )
    public = session.get(PublicLocation, asset_id)
    areas = session.execute(
        select(Area.code, Area.level)
        .join(AssetArea, AssetArea.area_id == Area.id)
        .where(AssetArea.asset_id == asset_id)
        .order_by(Area.level, Area.code)
    )
    reports = list(
        session.scalars(select(Report).where(Report.asset_id == asset_id).order_by(Report.id))
    )
    events = _events(session, "asset", [str(asset_id)])
    return {
        "format": EXPORT_FORMAT,
        "format_version": EXPORT_FORMAT_VERSION,
        "generated_at": utcnow().isoformat(),
        "asset_id": asset_id,
        "record": _row(asset),
        "themes": asset.theme_codes,
        "consents": [_row(c, skip=("asset_id",)) for c in consents],
        "public_location": _row(public, skip=("asset_id",)) if public is not None else None,
        "areas": [{"code": code, "level": level} for code, level in areas],
        # Who reported and who decided are other people's identities: left out.
        "reports": [_row(r, skip=("asset_id", "reported_by", "decided_by")) for r in reports],
        "audit_events": [_row(e, skip=("entity_type", "entity_id")) for e in events],
    }


def scrubbed(changes: dict[str, Any]) -> dict[str, Any]:
    """An audit `changes` map with every before/after value replaced by "erased"."""
    return {
        field: [ERASED] * len(values) if isinstance(values, list) else ERASED
        for field, values in changes.items()
    }


def scrub_audit(session: Session, asset_id: int, *, until: datetime | None = None) -> int:
    """Erase the values in the audit events about an asset and its reports (those up to
    `until`, when given); how many events changed."""
    report_ids = [
        str(i) for i in session.scalars(select(Report.id).where(Report.asset_id == asset_id))
    ]
    changed = 0
    for event in [
        *_events(session, "asset", [str(asset_id)]),
        *_events(session, "report", report_ids),
    ]:
        if until is not None and event.occurred_at > until:
            continue
        values = scrubbed(event.changes or {})
        if values != event.changes:
            event.changes = values
            changed += 1
    return changed


def _erase(session: Session, asset_id: int, *, actor: str, until: datetime | None) -> None:
    """Scrub the audit trail, delete the record and all that hangs off it, audit the erasure."""
    scrub_audit(session, asset_id, until=until)
    session.flush()
    # Explicit deletes rather than ON DELETE CASCADE: SQLite enforces foreign keys only when
    # a connection asks for it, and an erasure must not depend on that.
    for model in (Report, Consent, PublicLocation, AssetArea, AssetTheme):
        session.execute(delete(model).where(model.asset_id == asset_id))
    session.execute(delete(Asset).where(Asset.id == asset_id))
    audit.record(
        session, actor=actor, action="erase", entity_type="asset", entity_id=asset_id, changes={}
    )
    session.flush()


def erase_person(session: Session, asset_id: int, *, actor: str) -> Erasure:
    """Erase a person-linked asset and leave a tombstone (flushed, not committed).

    Conflict if it was erased already; NotFound if there never was such an asset.
    """
    tombstone = _tombstone(session, asset_id)
    if tombstone is not None and session.get(Asset, asset_id) is None:
        raise Conflict(
            f"asset {asset_id} was already erased on {tombstone.erased_at:%Y-%m-%d %H:%M} UTC"
        )
    person_asset(session, asset_id)
    now = utcnow()
    _erase(session, asset_id, actor=actor, until=None)
    tombstone = _tombstone(session, asset_id)
    if tombstone is None:
        tombstone = Erasure(asset_id=asset_id, erased_at=now, erased_by=actor)
        session.add(tombstone)
    else:
        # Back after a restore, or its id reused: this erasure is the one that counts now.
        tombstone.erased_at, tombstone.erased_by = now, actor
    session.flush()
    return tombstone


def reapply_erasures(session: Session, *, actor: str) -> list[int]:
    """Erase again every tombstoned person that a restore brought back; their ids.

    Only a person-linked record created before its erasure counts as restored: SQLite may hand
    an erased id to a new asset, which must be left alone. Audit events up to each erasure are
    scrubbed again too (a restore brings back their values), whether or not the record is back.
    """
    erased_again = []
    for tombstone in list(session.scalars(select(Erasure).order_by(Erasure.asset_id))):
        asset = session.get(Asset, tombstone.asset_id)
        restored = (
            asset is not None
            and asset.kind in PERSON_KINDS
            and asset.created_at <= tombstone.erased_at
        )
        if restored:
            _erase(session, tombstone.asset_id, actor=actor, until=tombstone.erased_at)
            erased_again.append(tombstone.asset_id)
        else:
            scrub_audit(session, tombstone.asset_id, until=tombstone.erased_at)
    session.flush()
    return erased_again


# ---- the erasure ledger ---------------------------------------------------------------------


@dataclass(frozen=True)
class Tombstone:
    """What the ledger keeps of an erasure: the asset id, when, and who. Nothing personal."""

    asset_id: int
    erased_at: datetime
    erased_by: str


def ledger_path(settings: Settings) -> Path:
    """Where this database's erasure ledger is: ASSETMAP_ERASURE_LEDGER, else beside a
    SpatiaLite file (`<file>.erasures.jsonl`), else data/erasures-<database>.jsonl (PostGIS)."""
    if settings.erasure_ledger is not None:
        return settings.erasure_ledger
    from sqlalchemy.engine import make_url

    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            return Path(f"{url.database}.erasures.jsonl")
        return STATE_DIR / "erasures-memory.jsonl"
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{url.host or 'local'}-{url.database}")
    return STATE_DIR / f"erasures-{name}.jsonl"


def append_to_ledger(path: Path, tombstones: Iterable[Tombstone | Erasure]) -> int:
    """Append tombstones to the ledger and flush them to disk; how many lines were written."""
    lines = [
        orjson.dumps(
            {
                "asset_id": t.asset_id,
                "erased_at": t.erased_at.isoformat(),
                "erased_by": t.erased_by,
            }
        )
        + b"\n"
        for t in tombstones
    ]
    if not lines:
        return 0
    with path.open("ab") as ledger:
        ledger.write(b"".join(lines))
        ledger.flush()
        os.fsync(ledger.fileno())
    return len(lines)


def read_ledger(path: Path) -> list[Tombstone]:
    """The ledger's tombstones, the latest erasure of each asset id (none when no file)."""
    if not path.exists():
        return []
    latest: dict[int, Tombstone] = {}
    for number, line in enumerate(path.read_bytes().splitlines(), 1):
        if not line.strip():
            continue
        try:
            entry = orjson.loads(line)
            tombstone = Tombstone(
                asset_id=int(entry["asset_id"]),
                erased_at=datetime.fromisoformat(entry["erased_at"]),
                erased_by=str(entry["erased_by"]),
            )
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            raise ValueError(f"erasure ledger {path}, line {number}: not a tombstone") from None
        known = latest.get(tombstone.asset_id)
        if known is None or tombstone.erased_at > known.erased_at:
            latest[tombstone.asset_id] = tombstone
    return sorted(latest.values(), key=lambda t: t.asset_id)


def tombstones(session: Session) -> list[Tombstone]:
    """The tombstones the database holds."""
    return [
        Tombstone(asset_id=e.asset_id, erased_at=e.erased_at, erased_by=e.erased_by)
        for e in session.scalars(select(Erasure).order_by(Erasure.asset_id))
    ]


def remember_tombstones(session: Session, known: Iterable[Tombstone]) -> int:
    """Put tombstones the database lacks (or holds an older erasure of) back into it, e.g.
    after restoring a backup taken before they were written; how many changed (flushed)."""
    changed = 0
    for tombstone in known:
        row = _tombstone(session, tombstone.asset_id)
        if row is None:
            session.add(
                Erasure(
                    asset_id=tombstone.asset_id,
                    erased_at=tombstone.erased_at,
                    erased_by=tombstone.erased_by,
                )
            )
        elif row.erased_at < tombstone.erased_at:
            row.erased_at, row.erased_by = tombstone.erased_at, tombstone.erased_by
        else:
            continue
        changed += 1
    session.flush()
    return changed
