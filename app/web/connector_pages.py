"""The connector's work lists: the moderation queue, lapsed consents and introduction requests.

Each decision is a small POST form going through the same services (and audit trail) as the
API; a refused form comes back with its error beside it (422), a decision already made by
someone else with a message (409).
"""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Path, Request
from fastapi.responses import HTMLResponse, Response

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
from app.vocabularies import RECORDED_CONSENT_METHODS
from app.web.asset_form import consent_expiry, consent_method_error, notice_version_error
from app.web.forms import FieldsDep, FormFields, PageForm
from app.web.language import page_language
from app.web.routing import PageRouter, see_other
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


# ---- moderation --------------------------------------------------------------------------------


def _queue_page(
    request: Request,
    session: SessionDep,
    viewer: Viewer,
    form: PageForm | None = None,
    *,
    done: str | None = None,
) -> HTMLResponse:
    """The queue, with the decision form that was refused (if any) shown again."""
    language = page_language(request)
    found = moderation.queue(session, viewer=viewer)
    form = form or PageForm(FormFields())
    return render_page(
        request,
        language,
        "connector_moderation.html",
        status_code=form.status,
        viewer=viewer,
        suggestions=found.suggestions,
        reports=found.reports,
        errors=form.errors,
        typed=form.values,
        problem=form.problem,
        notice=_notice(language.lang, done),
    )


@page("/connector/moderation")
def moderation_queue(
    request: Request, session: SessionDep, viewer: Editor, done: str | None = None
) -> HTMLResponse:
    """Residents' suggestions and reports waiting in the patch, with a decision form each."""
    return _queue_page(request, session, viewer, done=done)


def _decided_already(
    request: Request, session: SessionDep, viewer: Viewer, form: PageForm, error: Conflict
) -> HTMLResponse:
    _ = translations(page_language(request).lang).gettext
    session.rollback()
    message = _("Someone else has already decided on this. The list below is up to date.")
    form.refused_by(error, message)
    return _queue_page(request, session, viewer, form)


def _decision_form(fields: FormFields, key: str, message: str) -> PageForm:
    """A decision form of the queue: every refusal is about its reason box, `key`."""
    return PageForm(
        fields,
        values={key: fields.get("reason")},
        field_of=lambda loc: key,
        message=lambda name, error: message,
    )


@page("/connector/moderation/suggestions/{asset_id}", methods=("POST",))
def decide_suggestion(
    request: Request, session: SessionDep, viewer: Editor, asset_id: ItemId, fields: FieldsDep
) -> Response:
    """Publish a suggestion, or reject it with a reason."""
    _ = translations(page_language(request).lang).gettext
    decision, reason = fields.get("decision"), fields.get("reason")
    message = _("Give a reason for rejecting it (up to 2000 characters)")
    if decision not in ("publish", "reject"):
        message = _("Choose publish or reject")
    form = _decision_form(fields, f"reason-{asset_id}", message)
    body = form.validate(AssetDecision, {"decision": decision, "reason": reason or None})
    if body is None:
        return _queue_page(request, session, viewer, form)
    try:
        moderation.decide_asset(session, viewer=viewer, asset_id=asset_id, decision=body)
    except Conflict as exc:
        return _decided_already(request, session, viewer, form, exc)
    session.commit()
    return see_other("/connector/moderation", page_language(request).lang, body.decision)


@page("/connector/moderation/reports/{report_id}", methods=("POST",))
def decide_report(
    request: Request, session: SessionDep, viewer: Editor, report_id: ItemId, fields: FieldsDep
) -> Response:
    """Mark a report dealt with or dismissed (with an optional note)."""
    _ = translations(page_language(request).lang).gettext
    decision, reason = fields.get("decision"), fields.get("reason")
    form = _decision_form(fields, f"report-reason-{report_id}", _("Use 2000 characters or fewer"))
    body = form.validate(ReportDecision, {"decision": decision, "reason": reason or None})
    if body is None:
        return _queue_page(request, session, viewer, form)
    try:
        moderation.decide_report(session, viewer=viewer, report_id=report_id, decision=body)
    except Conflict as exc:
        return _decided_already(request, session, viewer, form, exc)
    session.commit()
    return see_other("/connector/moderation", page_language(request).lang, body.decision)


# ---- consents ----------------------------------------------------------------------------------


def _consents_page(
    request: Request,
    session: SessionDep,
    viewer: Viewer,
    form: PageForm | None = None,
    *,
    done: str | None = None,
) -> HTMLResponse:
    """The people to ask again, with the renewal form that was refused (if any) shown again."""
    form = form or PageForm(FormFields())
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
        status_code=form.status,
        viewer=viewer,
        rows=rows,
        methods=list(methods.items()),
        errors=form.errors,
        typed=form.values,
        problem=form.problem,
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
    request: Request, session: SessionDep, viewer: Editor, asset_id: ItemId, fields: FieldsDep
) -> Response:
    """Record a person's renewed consent."""
    lang = page_language(request).lang
    _ = translations(lang).gettext
    method, notice = fields.get("method"), fields.get("notice_version")
    keys = {name: f"{name}-{asset_id}" for name in ("method", "notice", "expires")}
    form = PageForm(
        fields,
        values={
            keys["method"]: method,
            keys["notice"]: notice,
            keys["expires"]: fields.get("expires_at"),
        },
    )
    if method not in RECORDED_CONSENT_METHODS:
        form.refuse(keys["method"], consent_method_error(lang))
    if not notice or len(notice) > 40:
        form.refuse(keys["notice"], notice_version_error(lang))
    expires = consent_expiry(fields.get("expires_at"), form, lang, keys["expires"])
    if not form.ok or expires is None:
        return _consents_page(request, session, viewer, form)
    version = fields.version()
    consent = ConsentIn(method=method, notice_version=notice, expires_at=expires)
    try:
        asset_service.record_new_consent(
            session, viewer=viewer, asset_id=asset_id, expected_version=version, consent=consent
        )
    except PreconditionFailed as exc:
        session.rollback()
        message = _(
            "Someone else changed this person's record after you opened the page, so the "
            "consent was not recorded. Check the list below and record it again."
        )
        form.refused_by(exc, message)
        return _consents_page(request, session, viewer, form)
    session.commit()
    return see_other("/connector/consents", page_language(request).lang, "renewed")


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
    fields: FieldsDep,
) -> Response:
    """Mark a request done (they were put in touch) or declined."""
    form = PageForm(fields)
    body = form.validate(IntroductionUpdate, {"status": fields.get("status")})
    if body is None:
        response = introductions(request, session, viewer)
        response.status_code = form.status
        return response
    intro_service.update(session, viewer, introduction_id, body.status)
    session.commit()
    return see_other("/connector/introductions", page_language(request).lang, body.status)
