"""/api/v1/moderation: the connectors' queue of residents' suggestions and reports, and their
decisions on them (their own patch only; anything outside it is a 404)."""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from app.errors import error_responses
from app.http.access import Editor
from app.http.deps import MAX_ID, SessionDep
from app.http.responses import JSONBody
from app.schemas.assets import AssetRead, asset_json
from app.schemas.moderation import (
    AssetDecision,
    ModerationQueue,
    ReportDecision,
    ReportRead,
    report_json,
)
from app.services.assets import moderation
from app.services.assets import records as asset_service

router = APIRouter(prefix="/api/v1/moderation", tags=["moderation"])


@router.get(
    "",
    response_model=ModerationQueue,
    responses=error_responses(401, 403),
    summary="Suggestions and reports waiting in your patch",
)
def queue(
    session: SessionDep,
    viewer: Editor,
    area: Annotated[
        list[Annotated[str, Query(min_length=1, max_length=40)]],
        Query(description="area code; repeat for several (default: your whole patch)"),
    ] = [],  # noqa: B006
    limit: Annotated[int, Query(ge=1, le=500, description="at most this many of each")] = 100,
) -> Any:
    """Pending suggestions and open reports about assets in your patch, oldest first."""
    found = moderation.queue(session, viewer=viewer, area_codes=area, limit=limit)
    return JSONBody(
        {
            "suggestions": [
                {**asset_json(r), "suggested_by": r["suggested_by"], "note": r["note"]}
                for r in found.suggestions
            ],
            "reports": [report_json(row, name) for row, name in found.reports],
        }
    )


@router.post(
    "/suggestions/{asset_id}",
    response_model=AssetRead,
    responses=error_responses(401, 403, 404, 409, 413),
    summary="Publish or reject a suggestion",
)
def decide_suggestion(
    asset_id: Annotated[int, Path(ge=1, le=MAX_ID, description="The suggestion's asset id")],
    session: SessionDep,
    viewer: Editor,
    body: AssetDecision,
) -> Any:
    """Publish a pending suggestion of your patch, or reject it with a reason (kept with it;
    a rejected suggestion stays hidden)."""
    moderation.decide_asset(session, viewer=viewer, asset_id=asset_id, decision=body)
    # Read inside the transaction, then commit: nothing after a commit can fail the request.
    record = asset_service.get_asset(session, viewer=viewer, asset_id=asset_id)
    session.commit()
    return JSONBody(asset_json(record))


@router.post(
    "/reports/{report_id}",
    response_model=ReportRead,
    responses=error_responses(401, 403, 404, 409, 413),
    summary="Resolve or dismiss a report",
)
def decide_report(
    report_id: Annotated[int, Path(ge=1, le=MAX_ID, description="The report's id")],
    session: SessionDep,
    viewer: Editor,
    body: ReportDecision,
) -> Any:
    """Mark an open report about an asset of your patch resolved (acted on) or dismissed."""
    row, asset_name = moderation.decide_report(
        session, viewer=viewer, report_id=report_id, decision=body
    )
    session.commit()
    return JSONBody(report_json(row, asset_name))
