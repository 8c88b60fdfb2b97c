"""/api/v1/introductions: residents ask to meet people offering a theme near them; the
connectors of the patch broker it. Nobody's record, name, contact or point is ever returned."""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request

from app.errors import error_responses
from app.http.access import Editor, SignedIn
from app.http.deps import MAX_ID, SessionDep, SettingsDep
from app.http.links import page_url, public_url
from app.http.responses import JSONBody
from app.schemas.introductions import (
    IntroductionCreate,
    IntroductionCreated,
    IntroductionList,
    IntroductionRead,
    IntroductionStatus,
    IntroductionUpdate,
    introduction_json,
)
from app.services.people import introductions as service

router = APIRouter(prefix="/api/v1/introductions", tags=["introductions"])


@router.post(
    "",
    status_code=201,
    response_model=IntroductionCreated,
    responses=error_responses(401, 403, 413),
    summary="Ask for an introduction",
)
def request_introduction(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    viewer: SignedIn,
    body: IntroductionCreate,
) -> Any:
    """Ask to be put in touch with people offering a theme near you (`near` [lon, lat] or a
    `postcode`). The request goes to the community connectors of your area, never to a
    person; you see how many people near you offer the theme (under 5: "fewer than 5").
    Your place is kept only as the centre of its 1 km grid square."""
    made = service.request_introduction(session, viewer, body)
    session.commit()
    intro_id = made.view.introduction.id
    return JSONBody(
        {**introduction_json(made.view), "people_near": made.people_near},
        status_code=201,
        headers={"Location": public_url(request, settings, f"/api/v1/introductions/{intro_id}")},
    )


@router.get(
    "",
    response_model=IntroductionList,
    responses=error_responses(401),
    summary="Introduction requests you may see",
)
def list_introductions(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    viewer: SignedIn,
    status: IntroductionStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    before: Annotated[int | None, Query(ge=1, le=MAX_ID, description="from a `next` link")] = None,
) -> Any:
    """Your own requests; for connectors also those of their patch, for admins all. Newest
    first, paged by `next`."""
    views, more = service.list_for(session, viewer, status=status, before=before, limit=limit)
    next_url = page_url(request, settings, before=more) if more is not None else None
    return JSONBody({"items": [introduction_json(v) for v in views], "next": next_url})


@router.patch(
    "/{introduction_id}",
    response_model=IntroductionRead,
    responses=error_responses(401, 403, 404, 413),
    summary="Mark an introduction request done or declined",
)
def update_introduction(
    introduction_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    session: SessionDep,
    viewer: Editor,
    body: IntroductionUpdate,
) -> Any:
    """Set `status` to `done` (you put them in touch) or `declined`: requests of your patch."""
    view = service.update(session, viewer, introduction_id, body.status)
    session.commit()
    return JSONBody(introduction_json(view))
