"""/api/v1/suggestions and /api/v1/assets/{id}/reports: residents suggest assets and report
ones that are closed or wrong. Anybody may; callers who are not signed in are rate limited."""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request

from app.errors import error_responses
from app.http.access import Public
from app.http.deps import MAX_ID, SessionDep
from app.http.rate_limits import limit_anonymous_writes
from app.http.responses import JSONBody
from app.schemas.moderation import Received, ReportCreate, SuggestionCreate
from app.services.assets import moderation

router = APIRouter(tags=["suggestions"])

THANKS_SUGGESTION = (
    "Thank you. A community connector for the area will check your suggestion before it "
    "appears on the map."
)
THANKS_REPORT = "Thank you. A community connector for the area will look into it."


@router.post(
    "/api/v1/suggestions",
    status_code=201,
    response_model=Received,
    responses=error_responses(401, 413, 429),
    summary="Suggest a community asset",
)
def suggest(request: Request, session: SessionDep, viewer: Public, body: SuggestionCreate) -> Any:
    """Suggest a group, space, organisation, service, business or cultural asset (not a
    person). It is kept hidden until a community connector for its area publishes it."""
    limit_anonymous_writes(request, viewer)
    asset = moderation.suggest(session, viewer=viewer, data=body)
    session.commit()
    return JSONBody(
        {"id": asset.id, "status": "pending", "message": THANKS_SUGGESTION}, status_code=201
    )


@router.post(
    "/api/v1/assets/{asset_id}/reports",
    status_code=201,
    response_model=Received,
    responses=error_responses(401, 404, 413, 429),
    summary="Report an asset as closed or wrong",
)
def report(
    asset_id: Annotated[int, Path(ge=1, le=MAX_ID, description="The asset's id")],
    request: Request,
    session: SessionDep,
    viewer: Public,
    body: ReportCreate,
) -> Any:
    """Tell the community connectors that an asset has closed or its details are wrong."""
    limit_anonymous_writes(request, viewer)
    row = moderation.report(session, viewer=viewer, asset_id=asset_id, data=body)
    session.commit()
    return JSONBody({"id": row.id, "status": row.status, "message": THANKS_REPORT}, status_code=201)
