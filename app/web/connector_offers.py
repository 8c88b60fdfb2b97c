"""The connector's queue of residents' "I can help" offers: confirm one (its person record is
published: counted, never shown) or decline it with a reason the resident sees (the record is
erased). Each decision is a small POST form going through the same service as the API; a
refused form comes back with its error beside it (422), one decided already with a message (409).
"""

from typing import Annotated

from fastapi import Path, Request
from fastapi.responses import HTMLResponse, Response

from app.errors import Conflict
from app.http.access import Editor
from app.http.deps import MAX_ID, SessionDep, SettingsDep
from app.i18n import translations
from app.schemas.offers import OfferDecline
from app.services.assets.visibility import Viewer
from app.services.coproduction import offers
from app.services.people import erasure
from app.web.forms import FieldsDep, FormFields, PageForm
from app.web.language import page_language
from app.web.offers import kind_choices
from app.web.routing import PageRouter, see_other
from app.web.templating import render_page

router = PageRouter()
page = router.page
OfferId = Annotated[int, Path(ge=1, le=MAX_ID)]


def _notice(lang: str, done: str | None) -> str | None:
    _ = translations(lang).gettext
    return {
        "confirmed": _("The offer was confirmed: the person now counts in their area."),
        "declined": _("The offer was declined and its record erased; the resident sees why."),
    }.get(done or "")


def _queue(
    request: Request,
    session: SessionDep,
    viewer: Viewer,
    form: PageForm | None = None,
    *,
    done: str | None = None,
) -> HTMLResponse:
    language = page_language(request)
    form = form or PageForm(FormFields())
    return render_page(
        request,
        language,
        "connector_offers.html",
        status_code=form.status,
        viewer=viewer,
        views=offers.pending_offers(session, viewer),
        kinds={kind: label for kind, label, _hint in kind_choices(language.lang)},
        errors=form.errors,
        typed=form.values,
        problem=form.problem,
        notice=_notice(language.lang, done),
    )


@page("/connector/offers")
def offer_queue(
    request: Request, session: SessionDep, viewer: Editor, done: str | None = None
) -> HTMLResponse:
    """Residents' offers waiting in the patch, oldest first, each to confirm or decline."""
    return _queue(request, session, viewer, done=done)


@page("/connector/offers/{offer_id}", methods=("POST",))
def decide_offer(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    viewer: Editor,
    offer_id: OfferId,
    fields: FieldsDep,
) -> Response:
    """Confirm an offer, or decline it with a reason (required: the resident sees it)."""
    lang = page_language(request).lang
    _ = translations(lang).gettext
    key = f"reason-{offer_id}"
    decision, reason = fields.get("decision"), fields.get("reason")
    message = _("Give a reason for declining it (up to 2000 characters): the resident sees it")
    if decision not in ("confirm", "decline"):
        message = _("Choose confirm or decline")
    form = PageForm(
        fields, values={key: reason}, field_of=lambda loc: key, message=lambda n, e: message
    )
    if decision not in ("confirm", "decline"):
        form.refuse(key, message)
        return _queue(request, session, viewer, form)
    try:
        if decision == "confirm":
            offers.confirm(session, viewer, offer_id)
        else:
            body = form.validate(OfferDecline, {"reason": reason})
            if body is None:
                return _queue(request, session, viewer, form)
            offers.decline(
                session, viewer, offer_id, body.reason, ledger=erasure.ledger_path(settings)
            )
    except Conflict as exc:
        session.rollback()
        form.refused_by(exc, _("Someone else has already decided on this. The list is up to date."))
        return _queue(request, session, viewer, form)
    session.commit()
    return see_other(
        "/connector/offers", lang, "confirmed" if decision == "confirm" else "declined"
    )
