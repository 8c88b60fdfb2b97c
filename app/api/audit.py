"""/api/v1/audit: the audit trail, newest first (admins: all of it; connectors: their patch)."""

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from app.errors import InvalidInput, error_responses
from app.http.access import Editor
from app.http.deps import Format, SessionDep, SettingsDep
from app.http.listing import list_response
from app.schemas.audit import AuditEventList
from app.services import audit

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


def moment_query(description: str) -> Any:
    """A query parameter holding an RFC 3339 date-time with a time zone."""
    return Query(
        description=f"{description}: RFC 3339, with a time zone (2025-01-31T09:00:00Z)",
        max_length=40,
        json_schema_extra={"format": "date-time"},
    )


def _moment(name: str, text: str | None) -> datetime | None:
    """The date-time in a query parameter, in UTC; only text, and only with a zone (numbers,
    which pydantic would read as Unix times, and local times are refused)."""
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text.upper())
        if "T" in text.upper() and value.tzinfo is not None:
            return value.astimezone(UTC)
    except (ValueError, OverflowError):
        pass  # refused below, like a time without a zone
    raise InvalidInput(
        ("query", name), "an RFC 3339 date-time with a time zone, e.g. 2025-01-31T09:00:00Z"
    )


@router.get(
    "",
    response_model=AuditEventList,
    responses=error_responses(401, 403),
    summary="Read the audit trail",
)
def list_audit_events(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    viewer: Editor,
    entity_type: Annotated[
        str | None, Query(max_length=40, description="asset, deficit, user, ...")
    ] = None,
    entity_id: Annotated[str | None, Query(max_length=64, description="the entity's id")] = None,
    actor: Annotated[str | None, Query(max_length=200, description='e.g. "connector:3"')] = None,
    action: Annotated[str | None, Query(max_length=40, description="e.g. create, update")] = None,
    since: Annotated[str | None, moment_query("events at or after this time")] = None,
    until: Annotated[str | None, moment_query("events before this time")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(max_length=200, description="from a `next` link")] = None,
) -> Any:
    """Who changed what and when, newest first, with before and after values.

    Admins read every event; connectors read the events of the assets in their patch (asking
    for another entity type is refused). People's locations show only as "changed", and an
    erased person's values as "erased". Pages are linked by `next`.
    """
    start, end = _moment("since", since), _moment("until", until)
    if start is not None and end is not None and start >= end:
        raise InvalidInput(("query", "until"), "must be after since")
    filters = audit.AuditFilters(
        entity_type=entity_type,
        entity_id=entity_id,
        actor=actor,
        action=action,
        since=start,
        until=end,
    )
    page = audit.list_events(session, viewer=viewer, filters=filters, limit=limit, cursor=cursor)
    return list_response(request, settings, Format.json, page.events, page.next_cursor)
