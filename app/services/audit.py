"""Writing the audit trail, and reading it back (admins all of it, connectors their patch)."""

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, and_, cast, false, select, true
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from app.errors import Forbidden, InvalidInput
from app.models import PERSON_KINDS, Asset, AuditEvent
from app.services.assets.visibility import Viewer, editable_assets

LOCATION_FIELDS = ("location", "service_area")


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Fields whose values differ, as field -> [before, after]."""
    return {
        key: [before.get(key), after.get(key)]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: str | int,
    changes: dict[str, list[Any]],
    redact_locations: bool = False,
) -> AuditEvent:
    """Add one audit event to the session; for people, locations show only that they changed."""
    if redact_locations:
        changes = {
            k: (["changed", "changed"] if k in LOCATION_FIELDS else v) for k, v in changes.items()
        }
    event = AuditEvent(
        actor=actor,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        changes=changes,
    )
    session.add(event)
    return event


# ---- reading the trail -------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilters:
    """What a read of the audit trail is narrowed by; None means any."""

    entity_type: str | None = None
    entity_id: str | None = None
    actor: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def __post_init__(self) -> None:
        if self.since is not None and self.until is not None and self.since >= self.until:
            raise InvalidInput(("query", "until"), "must be after since")


@dataclass
class AuditPage:
    """One page of audit events, newest first, and the cursor of the next page (None: last)."""

    events: list[dict[str, Any]]
    next_cursor: str | None


_CURSOR = re.compile(r"e[0-9]{1,10}")
_ASCII_DIGITS = re.compile(r"[0-9]{1,9}")


def encode_audit_cursor(event_id: int) -> str:
    """An opaque cursor: the next page starts below this event id."""
    return base64.urlsafe_b64encode(f"e{event_id}".encode()).decode().rstrip("=")


def decode_audit_cursor(cursor: str) -> int:
    """The event id inside a cursor; InvalidInput if it was not made by encode_audit_cursor."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    if not _CURSOR.fullmatch(text) or not 0 < int(text[1:]) < 2**31:
        raise InvalidInput(("query", "cursor"), "not a cursor from a `next` link of this search")
    return int(text[1:])


def _readable_events(viewer: Viewer, filters: AuditFilters) -> ColumnElement[bool]:
    """Admins read every event; connectors only events about the assets of their patch."""
    if viewer.is_admin:
        return true()
    if not viewer.is_connector:
        return false()
    if filters.entity_type not in (None, "asset"):
        raise Forbidden("connectors read only the audit events of assets in their patch")
    mine = select(cast(Asset.id, String)).where(editable_assets(viewer))
    return and_(AuditEvent.entity_type == "asset", AuditEvent.entity_id.in_(mine))


def _people_ids(session: Session, events: list[AuditEvent]) -> set[str]:
    """Ids of person-linked assets among the events' entities (as audit entity ids)."""
    ids = {
        int(e.entity_id)
        for e in events
        if e.entity_type == "asset" and _ASCII_DIGITS.fullmatch(e.entity_id)
    }
    found = session.scalars(select(Asset.id).where(Asset.id.in_(ids), Asset.kind.in_(PERSON_KINDS)))
    people = {str(i) for i in found}
    for event in events:
        kind = (event.changes or {}).get("kind")
        if (
            event.entity_type == "asset"
            and isinstance(kind, list)
            and any(k in PERSON_KINDS for k in kind)
        ):
            people.add(event.entity_id)
    return people


def _event_json(
    event: AuditEvent, *, person: bool, created: dict[str, list[Any]] | None = None
) -> dict[str, Any]:
    # An imported asset's create event names its import; the values it was created with
    # (`created`) are derived from the stored asset (imports.inserts.creation_values).
    changes = {**(created or {}), **(event.changes or {})}
    if person:
        # Written redacted already (record(redact_locations=True)); redacted again on the way
        # out so that no path into the table can show where a person is.
        changes = {
            k: (["changed", "changed"] if k in LOCATION_FIELDS else v) for k, v in changes.items()
        }
    return {
        "id": event.id,
        "occurred_at": event.occurred_at.isoformat(),
        "actor": event.actor,
        "action": event.action,
        "entity_type": event.entity_type,
        "entity_id": event.entity_id,
        "changes": changes,
    }


def list_events(
    session: Session,
    *,
    viewer: Viewer,
    filters: AuditFilters,
    limit: int = 100,
    cursor: str | None = None,
) -> AuditPage:
    """One page of the audit events this viewer may read, newest first (keyset by id)."""
    conditions: list[Any] = [_readable_events(viewer, filters)]
    for column, value in (
        (AuditEvent.entity_type, filters.entity_type),
        (AuditEvent.entity_id, filters.entity_id),
        (AuditEvent.actor, filters.actor),
        (AuditEvent.action, filters.action),
    ):
        if value is not None:
            conditions.append(column == value)
    if filters.since is not None:
        conditions.append(AuditEvent.occurred_at >= filters.since)
    if filters.until is not None:
        conditions.append(AuditEvent.occurred_at < filters.until)
    if cursor is not None:
        conditions.append(AuditEvent.id < decode_audit_cursor(cursor))
    stmt = select(AuditEvent).where(*conditions).order_by(AuditEvent.id.desc()).limit(limit + 1)
    events = list(session.scalars(stmt))
    more = len(events) > limit
    events = events[:limit]
    people = _people_ids(session, events)
    from app.services.imports.inserts import creation_values  # imports write through audit

    created = creation_values(session, events)
    return AuditPage(
        events=[
            _event_json(
                e,
                person=e.entity_type == "asset" and e.entity_id in people,
                created=created.get(e.id),
            )
            for e in events
        ],
        next_cursor=encode_audit_cursor(events[-1].id) if more and events else None,
    )
