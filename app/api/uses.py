"""/api/v1/assets/{id}/use(s): "I use this". A signed-in resident marks a public asset they
use; anybody reads how many residents use it, published by the people rule (under 5: "fewer
than 5"). Who uses what is never returned to anybody, admins included."""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response

from app.errors import error_responses
from app.http.access import Public, SignedIn
from app.http.deps import MAX_ID, SessionDep
from app.http.responses import JSONBody
from app.schemas.offers import UseCountRead
from app.services.assets.visibility import Viewer
from app.services.coproduction import uses

router = APIRouter(prefix="/api/v1/assets", tags=["uses"])
AssetId = Annotated[int, Path(ge=1, le=MAX_ID)]


def use_json(session: SessionDep, viewer: Viewer, asset_id: int) -> dict[str, Any]:
    """The published count of an asset's residents, and whether the caller is one of them."""
    count = uses.use_count(session, asset_id)
    return {
        "residents": count.residents,
        "shown_as": count.shown_as,
        "you_use_it": uses.uses(session, viewer, asset_id),
    }


@router.get(
    "/{asset_id}/uses",
    response_model=UseCountRead,
    responses=error_responses(404),
    summary="How many residents use an asset",
)
def use_count(asset_id: AssetId, session: SessionDep, viewer: Public) -> Any:
    """How many residents say they use this published asset: a count perturbed by up to 2
    (the same every time for the same residents), null under 5 (zero included) with
    `shown_as` "fewer than 5". Never who. `you_use_it` says whether you marked it."""
    return JSONBody(use_json(session, viewer, asset_id))


@router.put(
    "/{asset_id}/use",
    response_model=UseCountRead,
    responses=error_responses(401, 403, 404),
    summary="Say you use an asset",
)
def mark_use(asset_id: AssetId, session: SessionDep, viewer: SignedIn) -> Any:
    """Say you use this published asset (once: saying it again changes nothing). Only the
    count is ever shown, never who."""
    uses.mark(session, viewer, asset_id)
    answer = use_json(session, viewer, asset_id)
    session.commit()
    return JSONBody(answer)


@router.delete(
    "/{asset_id}/use",
    status_code=204,
    responses=error_responses(401, 403),
    summary="Say you no longer use an asset",
)
def unmark_use(asset_id: AssetId, session: SessionDep, viewer: SignedIn) -> Response:
    """Take back your "I use this" (nothing happens if you had not said it)."""
    uses.unmark(session, viewer, asset_id)
    session.commit()
    return Response(status_code=204)
