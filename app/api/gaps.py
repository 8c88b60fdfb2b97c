"""/api/v1/gaps: "missing here". Signed-in residents report what their place lacks and say
"me too"; connectors (their patch), planners and admins publish, merge or decline each report.
Who reported or supports a gap is never returned: only published support counts."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request

from app.errors import error_responses
from app.http.access import Planning, Public, SignedIn
from app.http.deps import MAX_ID, SessionDep, SettingsDep
from app.http.links import public_url
from app.http.responses import JSONBody
from app.schemas.assets import THEME_CODE
from app.schemas.gaps import GapCreate, GapDecline, GapList, GapMerge, GapPublish, GapRead, gap_json
from app.services.coproduction import gap_decisions
from app.services.coproduction import gaps as service

router = APIRouter(prefix="/api/v1/gaps", tags=["gaps"])
GapId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.post(
    "",
    status_code=201,
    response_model=GapRead,
    responses=error_responses(401, 403, 413),
    summary="Tell us what is missing",
)
def report_gap(
    request: Request, session: SessionDep, settings: SettingsDep, viewer: SignedIn, body: GapCreate
) -> Any:
    """Report what is missing near a place (`near` [lon, lat] or a `postcode`) under a theme,
    in your own words (`language` en or cy). It is pending until a community connector or
    planner of the area publishes, merges or declines it; your own "me too" is its first."""
    view = service.create_gap(session, viewer, body)
    session.commit()
    return JSONBody(
        gap_json(view),
        status_code=201,
        headers={"Location": public_url(request, settings, f"/api/v1/gaps/{view.id}")},
    )


@router.get("", response_model=GapList, summary="Reported gaps")
def list_gaps(
    session: SessionDep,
    viewer: Public,
    status: Literal["published", "pending"] | None = None,
    theme: Annotated[str | None, Query(max_length=40, pattern=THEME_CODE)] = None,
) -> Any:
    """Published gaps with their published support counts (`supports` null: fewer than 5),
    at the centre of their 100 m grid square; for connectors (their patch), planners and
    admins also the pending gaps they decide. Newest first."""
    views = service.list_gaps(session, viewer, status=status, theme=theme)
    return JSONBody({"items": [gap_json(v) for v in views]})


@router.get("/{gap_id}", response_model=GapRead, responses=error_responses(404), summary="A gap")
def get_gap(gap_id: GapId, session: SessionDep, viewer: Public) -> Any:
    """One gap: published ones for anybody; pending, merged or declined ones only for their
    reporter, their supporters and those who decide them (else 404)."""
    return JSONBody(gap_json(service.view_of(session, viewer, gap_id)))


@router.put(
    "/{gap_id}/support",
    response_model=GapRead,
    responses=error_responses(401, 403, 404, 409),
    summary='Say "me too"',
)
def support_gap(gap_id: GapId, session: SessionDep, viewer: SignedIn) -> Any:
    """Add your "me too" to a gap you can see (once: saying it again changes nothing). A
    merged or declined gap is a 409."""
    view = service.support(session, viewer, gap_id)
    session.commit()
    return JSONBody(gap_json(view))


@router.delete(
    "/{gap_id}/support",
    response_model=GapRead,
    responses=error_responses(401, 403, 404),
    summary='Take back your "me too"',
)
def unsupport_gap(gap_id: GapId, session: SessionDep, viewer: SignedIn) -> Any:
    """Remove your "me too" from a gap (if you had none, nothing changes)."""
    view = service.unsupport(session, viewer, gap_id)
    session.commit()
    return JSONBody(gap_json(view))


@router.post(
    "/{gap_id}/publish",
    response_model=GapRead,
    responses=error_responses(401, 403, 404, 409, 413),
    summary="Publish a gap",
)
def publish_gap(gap_id: GapId, session: SessionDep, viewer: Planning, body: GapPublish) -> Any:
    """Publish a pending gap of your patch as a reported service gap (a deficit, source
    "residents", `severity` 1-5, default 3) at the centre of its 100 m grid square."""
    view = gap_decisions.publish_gap(session, viewer, gap_id, severity=body.severity)
    session.commit()
    return JSONBody(gap_json(view))


@router.post(
    "/{gap_id}/merge",
    response_model=GapRead,
    responses=error_responses(401, 403, 404, 409, 413),
    summary="Merge a gap into another",
)
def merge_gap(gap_id: GapId, session: SessionDep, viewer: Planning, body: GapMerge) -> Any:
    """Merge a pending gap of your patch `into` another (published, or pending and yours to
    decide): its "me too"s move there, one per resident. Returns the gap merged into."""
    view = gap_decisions.merge_gap(session, viewer, gap_id, body.into)
    session.commit()
    return JSONBody(gap_json(view))


@router.post(
    "/{gap_id}/decline",
    response_model=GapRead,
    responses=error_responses(401, 403, 404, 409, 413),
    summary="Decline a gap",
)
def decline_gap(gap_id: GapId, session: SessionDep, viewer: Planning, body: GapDecline) -> Any:
    """Decline a pending gap of your patch with a `reason` its reporter and supporters see."""
    view = gap_decisions.decline_gap(session, viewer, gap_id, body.reason)
    session.commit()
    return JSONBody(gap_json(view))
