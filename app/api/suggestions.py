"""/api/v1/suggestions and /api/v1/assets/{id}/reports: residents suggest assets and report
ones that are closed or wrong. Anybody may; callers who are not signed in are rate limited
before the body is read, and the body is checked off the event loop (app/http/write_routes.py)."""

import hashlib
import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Path

from app.errors import error_responses
from app.http.access import Public
from app.http.deps import MAX_ID, SessionDep, SettingsDep
from app.http.responses import JSONBody
from app.http.write_routes import AnonymousWriteRoute
from app.schemas.moderation import Received, ReportCreate, SuggestionCreate
from app.services.assets import moderation
from app.services.assets.visibility import Viewer
from app.settings import Settings

router = APIRouter(tags=["suggestions"], route_class=AnonymousWriteRoute)

THANKS_SUGGESTION = (
    "Thank you. A community connector for the area will check your suggestion before it "
    "appears on the map."
)
THANKS_REPORT = "Thank you. A community connector for the area will look into it."


def received(
    settings: Settings, viewer: Viewer, kind: str, record_id: int, status: str, message: str
) -> dict[str, Any]:
    """The answer to a suggestion or report: a receipt (an HMAC of the record with the
    service's key: nobody without it can count from it), and the record's id only for a
    signed-in caller, who sees it in their contributions anyway. Ids are sequential: to anyone
    else they would tell how many records, hidden ones too, were made since."""
    key = settings.secret_key.get_secret_value().encode()
    receipt = hmac.new(key, f"{kind}:{record_id}".encode(), hashlib.sha256).hexdigest()[:24]
    body: dict[str, Any] = {"receipt": receipt, "status": status, "message": message}
    if viewer.signed_in:
        body["id"] = record_id
    return body


@router.post(
    "/api/v1/suggestions",
    status_code=201,
    response_model=Received,
    responses=error_responses(401, 413, 429),
    summary="Suggest a community asset",
)
def suggest(
    session: SessionDep, settings: SettingsDep, viewer: Public, body: SuggestionCreate
) -> Any:
    """Suggest a group, space, organisation, service, business or cultural asset (not a
    person). It is kept hidden until a community connector for its area publishes it."""
    asset = moderation.suggest(session, viewer=viewer, data=body)
    session.commit()
    answer = received(settings, viewer, "suggestion", asset.id, "pending", THANKS_SUGGESTION)
    return JSONBody(answer, status_code=201)


@router.post(
    "/api/v1/assets/{asset_id}/reports",
    status_code=201,
    response_model=Received,
    responses=error_responses(401, 404, 413, 429),
    summary="Report an asset as closed or wrong",
)
def report(
    asset_id: Annotated[int, Path(ge=1, le=MAX_ID, description="The asset's id")],
    session: SessionDep,
    settings: SettingsDep,
    viewer: Public,
    body: ReportCreate,
) -> Any:
    """Tell the community connectors that an asset has closed or its details are wrong."""
    row = moderation.report(session, viewer=viewer, asset_id=asset_id, data=body)
    session.commit()
    answer = received(settings, viewer, "report", row.id, row.status, THANKS_REPORT)
    return JSONBody(answer, status_code=201)
