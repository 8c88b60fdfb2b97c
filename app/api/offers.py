"""/api/v1/offers: "I can help". A resident offers time or a skill near their home with their
own consent; the connectors of the patch confirm it (a person record like any other, public only
as counts) or decline it with a reason the resident sees. Withdrawing erases it."""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response

from app.errors import error_responses
from app.http.access import Editor, Public, SignedIn
from app.http.deps import MAX_ID, SessionDep, SettingsDep
from app.http.links import public_url
from app.http.responses import JSONBody
from app.schemas.offers import (
    OfferCreate,
    OfferDecline,
    OfferList,
    OfferNotice,
    OfferRead,
    offer_json,
)
from app.services.coproduction import offer_notice
from app.services.coproduction import offers as service
from app.services.people import erasure

router = APIRouter(prefix="/api/v1/offers", tags=["offers"])
OfferId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get("/notice", response_model=OfferNotice, summary="The privacy notice of an offer")
def notice(viewer: Public) -> Any:
    """The privacy notice a resident agrees to when offering, in English and Welsh. Send
    `notice_version` with the offer: its version and the language you read it in
    (`<version>-en` or `<version>-cy`)."""
    return JSONBody(
        {
            "version": offer_notice.NOTICE_VERSION,
            "text_en": "\n\n".join(offer_notice.notice_text("en")),
            "text_cy": "\n\n".join(offer_notice.notice_text("cy")),
        }
    )


@router.get(
    "",
    response_model=OfferList,
    responses=error_responses(401),
    summary="Offers you may see",
)
def list_offers(
    session: SessionDep,
    viewer: SignedIn,
    mine: Annotated[bool, Query(description="your own offers, whatever your role")] = False,
) -> Any:
    """For connectors and admins: the pending offers of their patch, oldest first (their queue).
    For everybody else (or with `mine=true`): their own offers, newest first, with status and
    any reason a connector gave for declining."""
    if (viewer.is_connector or viewer.is_admin) and not mine:
        views = service.pending_offers(session, viewer)
    elif viewer.user_id is None:
        views = []
    else:
        views = service.offers_of(session, viewer.user_id)
    return JSONBody({"items": [offer_json(v) for v in views]})


@router.post(
    "",
    status_code=201,
    response_model=OfferRead,
    responses=error_responses(401, 403, 413),
    summary="Offer your time or a skill",
)
def create_offer(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    viewer: SignedIn,
    body: OfferCreate,
) -> Any:
    """Offer time (`volunteer`) or a skill (`skill`) under a theme near your home (`near` [lon,
    lat] or a `postcode`), agreeing to the privacy notice (`consent: true` and the
    `notice_version` you read). It waits for a community connector of your area, who can reach
    you at your account's email. Nobody else sees it: the public sees only counts of people per
    area, from the 1 km square you are in."""
    view = service.create_offer(session, viewer, body)
    session.commit()
    return JSONBody(
        offer_json(view),
        status_code=201,
        headers={"Location": public_url(request, settings, "/api/v1/offers")},
    )


@router.post(
    "/{offer_id}/confirm",
    response_model=OfferRead,
    responses=error_responses(401, 403, 404, 409),
    summary="Confirm an offer of your patch",
)
def confirm_offer(offer_id: OfferId, session: SessionDep, viewer: Editor) -> Any:
    """Confirm a pending offer of your patch: its person record is published (counted in the
    public people counts; the record itself stays for connectors and admins)."""
    view = service.confirm(session, viewer, offer_id)
    session.commit()
    return JSONBody(offer_json(view))


@router.post(
    "/{offer_id}/decline",
    response_model=OfferRead,
    responses=error_responses(401, 403, 404, 409, 413),
    summary="Decline an offer of your patch",
)
def decline_offer(
    offer_id: OfferId,
    session: SessionDep,
    settings: SettingsDep,
    viewer: Editor,
    body: OfferDecline,
) -> Any:
    """Decline a pending offer of your patch with a `reason` the resident sees; its person
    record is erased (tombstone, scrubbed trail)."""
    view = service.decline(
        session, viewer, offer_id, body.reason, ledger=erasure.ledger_path(settings)
    )
    session.commit()
    return JSONBody(offer_json(view))


@router.delete(
    "/{offer_id}",
    status_code=204,
    responses=error_responses(401, 403, 404),
    summary="Withdraw your offer",
)
def withdraw_offer(
    offer_id: OfferId, session: SessionDep, settings: SettingsDep, viewer: SignedIn
) -> Response:
    """Withdraw one of your own offers: everything held about it is erased (the same erasure
    as a connector's, leaving a tombstone without personal data)."""
    service.withdraw(session, viewer, offer_id, ledger=erasure.ledger_path(settings))
    session.commit()
    return Response(status_code=204)
