"""Residents' suggestions and reports, and the connectors' queue of them (every write audited).

A suggestion is an asset with status `pending` and source `suggestion`: like every pending asset
it is seen only by admins and the connectors whose patch holds it, until one of them publishes
or rejects it. A resident's note to the connector is kept in the trail (`suggest` event).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from app.errors import Conflict, InvalidInput, NotFound, PreconditionFailed
from app.models import Area, Asset, AssetArea, AuditEvent, Report
from app.models.base import utcnow
from app.schemas.assets import AssetRecord
from app.schemas.moderation import (
    SUGGESTION_SOURCE,
    AssetDecision,
    ReportCreate,
    ReportDecision,
    SuggestionCreate,
)
from app.services import audit
from app.services.assets import records as asset_service
from app.services.assets.visibility import SYSTEM, Viewer, editable_assets, visible_assets

SUGGEST_ACTION = "suggest"
STATUS_OF_DECISION = {"publish": "published", "reject": "rejected"}


class SuggestionRecord(AssetRecord):
    """A pending suggestion: the asset record, who suggested it and their note."""

    suggested_by: str | None
    note: str | None


@dataclass
class Queue:
    """What waits for a connector: pending suggestions and open reports."""

    suggestions: list[SuggestionRecord]
    reports: list[tuple[Report, str | None]]  # with the name of the asset


def _actor(viewer: Viewer) -> str:
    return viewer.actor or "anonymous"


def suggest(session: Session, *, viewer: Viewer, data: SuggestionCreate) -> Asset:
    """Store a resident's suggestion as a pending asset (flushed, not committed).

    Anybody may suggest anywhere: there is no patch check; connectors decide what is shown."""
    asset = asset_service.create_asset(
        session, actor=_actor(viewer), data=data.to_asset(), viewer=SYSTEM
    )
    audit.record(
        session,
        actor=_actor(viewer),
        action=SUGGEST_ACTION,
        entity_type="asset",
        entity_id=asset.id,
        changes={"note": [None, data.note]} if data.note else {},
    )
    session.flush()
    return asset


def report(session: Session, *, viewer: Viewer, asset_id: int, data: ReportCreate) -> Report:
    """Record a report that an asset the viewer can see is closed or wrong (flushed)."""
    visible = select(Asset.id).where(Asset.id == asset_id, visible_assets(viewer))
    if session.scalar(visible) is None:
        raise NotFound(f"asset {asset_id} not found")
    row = Report(
        asset_id=asset_id,
        problem=data.problem,
        details=data.details,
        reported_by=_actor(viewer),
        created_at=utcnow(),
        status="open",
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=_actor(viewer),
        action="create",
        entity_type="report",
        entity_id=row.id,
        changes=audit.diff(
            {}, {"asset_id": asset_id, "problem": data.problem, "details": data.details}
        ),
    )
    session.flush()
    return row


def _in_areas(session: Session, codes: Iterable[str]) -> ColumnElement[bool] | None:
    """Assets in any of these areas (None: no filter); InvalidInput for an unknown code."""
    codes = sorted(set(codes))
    if not codes:
        return None
    found = dict(session.execute(select(Area.code, Area.id).where(Area.code.in_(codes))).all())
    missing = [c for c in codes if c not in found]
    if missing:
        raise InvalidInput(("query", "area"), f"unknown area code {missing[0]!r}")
    in_areas = select(AssetArea.asset_id).where(AssetArea.area_id.in_(sorted(found.values())))
    return Asset.id.in_(in_areas)


def _notes(session: Session, asset_ids: list[int]) -> dict[int, str]:
    """The residents' notes on these suggestions, from their `suggest` audit events."""
    events = session.scalars(
        select(AuditEvent).where(
            AuditEvent.entity_type == "asset",
            AuditEvent.action == SUGGEST_ACTION,
            AuditEvent.entity_id.in_([str(i) for i in asset_ids]),
        )
    )
    notes = {}
    for event in events:
        note = (event.changes or {}).get("note")
        if isinstance(note, list) and len(note) == 2 and note[1]:
            notes[int(event.entity_id)] = str(note[1])
    return notes


def queue(
    session: Session, *, viewer: Viewer, area_codes: Iterable[str] = (), limit: int = 100
) -> Queue:
    """Pending suggestions and open reports in the viewer's patch (optionally in some areas of
    it), oldest first, at most `limit` of each."""
    conditions: list[Any] = [editable_assets(viewer)]
    if (in_areas := _in_areas(session, area_codes)) is not None:
        conditions.append(in_areas)
    suggestion_ids = list(
        session.scalars(
            select(Asset.id)
            .where(Asset.status == "pending", Asset.source == SUGGESTION_SOURCE, *conditions)
            .order_by(Asset.id)
            .limit(limit)
        )
    )
    notes = _notes(session, suggestion_ids)
    suggestions = []
    for asset_id in suggestion_ids:
        record = asset_service.get_asset(session, viewer=viewer, asset_id=asset_id)
        suggestions.append(
            SuggestionRecord(**record, suggested_by=record["created_by"], note=notes.get(asset_id))
        )
    rows = session.execute(
        select(Report, Asset.name_en, Asset.name_cy)
        .join(Asset, Asset.id == Report.asset_id)
        .where(Report.status == "open", *conditions)
        .order_by(Report.id)
        .limit(limit)
    ).all()
    reports = [(row, name_en or name_cy) for row, name_en, name_cy in rows]
    return Queue(suggestions=suggestions, reports=reports)


def decide_asset(
    session: Session, *, viewer: Viewer, asset_id: int, decision: AssetDecision
) -> Asset:
    """Publish or reject (with its reason) a pending suggestion of the viewer's patch.

    NotFound unless it is a suggestion in the patch; Conflict if it was decided already."""
    asset = session.scalar(
        select(Asset).where(
            Asset.id == asset_id, Asset.source == SUGGESTION_SOURCE, editable_assets(viewer)
        )
    )
    if asset is None:
        raise NotFound(f"suggestion {asset_id} not found")
    if asset.status != "pending":
        raise Conflict(f"suggestion {asset_id} was decided already (it is {asset.status})")
    before = asset.moderation_reason
    try:
        # At the version read above: of two connectors deciding at once, one decides.
        asset = asset_service.update_asset(
            session,
            viewer=viewer,
            asset_id=asset_id,
            expected_version=asset.version,
            data={
                "status": STATUS_OF_DECISION[decision.decision],
                "moderation_reason": decision.reason,
            },
        )
    except PreconditionFailed as exc:
        raise Conflict(f"suggestion {asset_id} was decided meanwhile; fetch it again") from exc
    # The update event holds the status; this one says it was a moderation decision, and why.
    audit.record(
        session,
        actor=_actor(viewer),
        action=decision.decision,
        entity_type="asset",
        entity_id=asset_id,
        changes=audit.diff({"moderation_reason": before}, {"moderation_reason": decision.reason}),
    )
    session.flush()
    return asset


def decide_report(
    session: Session, *, viewer: Viewer, report_id: int, decision: ReportDecision
) -> tuple[Report, str | None]:
    """Mark an open report of the viewer's patch resolved or dismissed; (report, asset name).

    NotFound unless its asset is in the patch; Conflict if it was decided already."""
    found = session.execute(
        select(Report, Asset.name_en, Asset.name_cy)
        .join(Asset, Asset.id == Report.asset_id)
        .where(Report.id == report_id, editable_assets(viewer))
    ).one_or_none()
    if found is None:
        raise NotFound(f"report {report_id} not found")
    row, name_en, name_cy = found
    if row.status != "open":
        raise Conflict(f"report {report_id} was decided already (it is {row.status})")
    row.status = decision.decision
    row.reason = decision.reason
    row.decided_by = _actor(viewer)
    row.decided_at = utcnow()
    audit.record(
        session,
        actor=_actor(viewer),
        action=decision.decision,
        entity_type="report",
        entity_id=row.id,
        changes=audit.diff(
            {"status": "open", "reason": None},
            {"status": decision.decision, "reason": decision.reason},
        ),
    )
    session.flush()
    return row, name_en or name_cy
