"""The connector's work lists: the moderation queue, lapsed consents and introduction requests.

Each decision is a small POST form going through the same services (and audit trail) as the
API; a refused form comes back with its error beside it (422), a decision already made by
someone else with a message (409).
"""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from app.errors import Conflict, PreconditionFailed
from app.http.access import Editor
from app.http.deps import MAX_ID, SessionDep
from app.i18n import translations
from app.schemas.introductions import IntroductionUpdate
from app.schemas.moderation import AssetDecision, ReportDecision
from app.schemas.people import ConsentIn
from app.services.assets import moderation
from app.services.assets import records as asset_service
from app.services.assets.visibility import Viewer
from app.services.patches import EXPIRING_DAYS
from app.services.people import consents as people
from app.services.people import introductions as intro_service
from app.web.connector_forms import Checker, consent_expiry, first
from app.web.forms import FormDep
from app.web.language import localised, page_language
from app.web.routing import PageRouter
from app.web.templating import render_page

router = PageRouter()
page = router.page
ItemId = Annotated[int, Path(ge=1, le=MAX_ID)]
REASON_MAX = 2000


def _notice(lang: str, done: str | None) -> str | None:
    _ = translations(lang).gettext
    return {
        "publish": _("The suggestion was published."),
        "reject": _("The suggestion was rejected."),
        "resolved": _("The report was marked as dealt with."),
        "dismissed": _("The report was dismissed."),
        "renewed": _("The new consent was recorded."),
        "done": _("The request was marked as done."),
        "declined": _("The request was marked as declined."),
    }.get(done or "")


def _back(request: Request, path: str, done: str) -> RedirectResponse:
    url = localised(path, page_language(request).lang) + f"?done={done}"
    return RedirectResponse(url, status_code=303)


# ---- moderation --------------------------------------------------------------------------------


def _queue_page(
    request: Request,
    session: SessionDep,
    viewer: Viewer,
    *,
    done: str | None = None,
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
    problem: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    language = page_language(request)
    found = moderation.queue(session, viewer=viewer)
    return render_page(
        request,
        language,
        "connector_moderation.html",
        status_code=status_code,
        viewer=viewer,
        suggestions=found.suggestions,
        reports=found.reports,
        errors=errors or {},
        typed=typed or {},
        problem=problem,
        notice=_notice(language.lang, done),
    )


@page("/connector/moderation")
def moderation_queue(
    request: Request, session: SessionDep, viewer: Editor, done: str | None = None
) -> HTMLResponse:
    """Residents' suggestions and reports waiting in the patch, with a decision form each."""
    return _queue_page(request, session, viewer, done=done)


def _conflict(request: Request, session: SessionDep, viewer: Viewer) -> HTMLResponse:
    _ = translations(page_language(request).lang).gettext
    session.rollback()
    problem = _("Someone else has already decided on this. The list below is up to date.")
    return _queue_page(request, session, viewer, problem=problem, status_code=409)


@page("/connector/moderation/suggestions/{asset_id}", methods=("POST",))
def decide_suggestion(
    request: Request, session: SessionDep, viewer: Editor, asset_id: ItemId, form: FormDep
) -> Response:
    """Publish a suggestion, or reject it with a reason."""
    _ = translations(page_language(request).lang).gettext
    decision, reason = first(form, "decision"), first(form, "reason")
    key = f"reason-{asset_id}"
    try:
        body = AssetDecision.model_validate({"decision": decision, "reason": reason or None})
    except ValidationError:
        message = _("Give a reason for rejecting it (up to 2000 characters)")
        if decision not in ("publish", "reject"):
            message = _("Choose publish or reject")
        return _queue_page(
            request,
            session,
            viewer,
            errors={key: message},
            typed={key: reason},
            status_code=422,
        )
    try:
        moderation.decide_asset(session, viewer=viewer, asset_id=asset_id, decision=body)
    except Conflict:
        return _conflict(request, session, viewer)
    session.commit()
    return _back(request, "/connector/moderation", body.decision)


@page("/connector/moderation/reports/{report_id}", methods=("POST",))
def decide_report(
    request: Request, session: SessionDep, viewer: Editor, report_id: ItemId, form: FormDep
) -> Response:
    """Mark a report dealt with or dismissed (with an optional note)."""
    _ = translations(page_language(request).lang).gettext
    decision, reason = first(form, "decision"), first(form, "reason")
    key = f"report-reason-{report_id}"
    try:
        body = ReportDecision.model_validate({"decision": decision, "reason": reason or None})
    except ValidationError:
        return _queue_page(
            request,
            session,
            viewer,
            errors={key: _("Use 2000 characters or fewer")},
            typed={key: reason},
            status_code=422,
        )
    try:
        moderation.decide_report(session, viewer=viewer, report_id=report_id, decision=body)
    except Conflict:
        return _conflict(request, session, viewer)
    session.commit()
    return _back(request, "/connector/moderation", body.decision)


# ---- consents ----------------------------------------------------------------------------------


def _consents_page(
    request: Request,
    session: SessionDep,
    viewer: Viewer,
    *,
    done: str | None = None,
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
    problem: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    language = page_language(request)
    _ = translations(language.lang).gettext
    now = datetime.now(UTC)
    found = people.lapsed_consents(session, viewer=viewer, within_days=EXPIRING_DAYS)
    rows = [
        {
            "asset": asset,
            "lapsed": asset.consent_expires_at is None or asset.consent_expires_at <= now,
            "expires": asset.consent_expires_at.date().isoformat()
            if asset.consent_expires_at
            else None,
        }
        for asset in found
    ]
    methods = {
        "written": _("In writing"),
        "verbal": _("Spoken"),
        "online": _("Online"),
        "other": _("Another way"),
    }
    return render_page(
        request,
        language,
        "connector_consents.html",
        status_code=status_code,
        viewer=viewer,
        rows=rows,
        methods=list(methods.items()),
        errors=errors or {},
        typed=typed or {},
        problem=problem,
        notice=_notice(language.lang, done),
        days=EXPIRING_DAYS,
    )


@page("/connector/consents")
def consents(
    request: Request, session: SessionDep, viewer: Editor, done: str | None = None
) -> HTMLResponse:
    """People of the patch whose consent has lapsed or ends soon, each with a renewal form."""
    return _consents_page(request, session, viewer, done=done)


@page("/connector/consents/{asset_id}", methods=("POST",))
def renew_consent(
    request: Request, session: SessionDep, viewer: Editor, asset_id: ItemId, form: FormDep
) -> Response:
    """Record a person's renewed consent."""
    lang = page_language(request).lang
    check = Checker(lang)
    _ = check._
    method, notice = first(form, "method"), first(form, "notice_version")
    typed = {
        f"method-{asset_id}": method,
        f"notice-{asset_id}": notice,
        f"expires-{asset_id}": first(form, "expires_at"),
    }
    if method not in ("written", "verbal", "online", "other"):
        check.add(f"method-{asset_id}", _("Choose how the person gave their consent"))
    if not notice or len(notice) > 40:
        check.add(
            f"notice-{asset_id}",
            _("Enter the version of the privacy notice they were shown (up to 40 characters)"),
        )
    expires = consent_expiry(first(form, "expires_at"), check, f"expires-{asset_id}")
    if check.errors or expires is None:
        return _consents_page(
            request, session, viewer, errors=check.errors, typed=typed, status_code=422
        )
    try:
        version = int(first(form, "version"))
    except ValueError:
        version = -1
    consent = ConsentIn(method=method, notice_version=notice, expires_at=expires)
    try:
        asset_service.record_new_consent(
            session, viewer=viewer, asset_id=asset_id, expected_version=version, consent=consent
        )
    except PreconditionFailed:
        session.rollback()
        problem = _(
            "Someone else changed this person's record after you opened the page, so the "
            "consent was not recorded. Check the list below and record it again."
        )
        return _consents_page(
            request, session, viewer, typed=typed, problem=problem, status_code=412
        )
    session.commit()
    return _back(request, "/connector/consents", "renewed")


# ---- introductions -----------------------------------------------------------------------------


@page("/connector/introductions")
def introductions(
    request: Request, session: SessionDep, viewer: Editor, done: str | None = None
) -> HTMLResponse:
    """Residents' requests to meet people offering a theme in the patch, newest first."""
    language = page_language(request)
    views, more = intro_service.list_for(session, viewer, limit=200)
    return render_page(
        request,
        language,
        "connector_introductions.html",
        viewer=viewer,
        views=views,
        more=more is not None,
        notice=_notice(language.lang, done),
    )


@page("/connector/introductions/{introduction_id}", methods=("POST",))
def update_introduction(
    request: Request,
    session: SessionDep,
    viewer: Editor,
    introduction_id: ItemId,
    form: FormDep,
) -> Response:
    """Mark a request done (they were put in touch) or declined."""
    try:
        body = IntroductionUpdate.model_validate({"status": first(form, "status")})
    except ValidationError:
        response = introductions(request, session, viewer)
        response.status_code = 422
        return response
    intro_service.update(session, viewer, introduction_id, body.status)
    session.commit()
    return _back(request, "/connector/introductions", body.status)
