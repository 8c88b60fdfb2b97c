"""Writing the audit trail."""

from typing import Any

from sqlalchemy.orm import Session

from app.models import AuditEvent

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
