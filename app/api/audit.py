"""/api/v1/audit: the audit trail, newest first (admins: all of it; connectors: their patch)."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from app.errors import error_responses
from app.http.access import Editor
from app.http.deps import Format, SessionDep, SettingsDep, parse_moment
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
    filters = audit.AuditFilters(
        entity_type=entity_type,
        entity_id=entity_id,
        actor=actor,
        action=action,
        since=parse_moment("since", since),
        until=parse_moment("until", until),
    )
    page = audit.list_events(session, viewer=viewer, filters=filters, limit=limit, cursor=cursor)
    return list_response(request, settings, Format.json, page.events, page.next_cursor)
