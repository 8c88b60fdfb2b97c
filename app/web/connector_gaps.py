"""The gaps queue: residents' "missing here" reports waiting for a decision. Connectors see
those of their patch, planners and admins all; each is published (with a severity) as a
reported service gap, merged into a nearby gap (its "me too"s move there), or declined with a
reason the resident sees. Plain forms: no JavaScript needed.
"""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Path, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from app.errors import Conflict, InvalidInput
from app.http.access import Planning
from app.http.deps import MAX_ID, SessionDep
from app.i18n import translations
from app.schemas.gaps import GapDecline, GapMerge, GapPublish
from app.services.assets.visibility import Viewer
from app.services.coproduction import gap_decisions, gaps
from app.web.forms import FieldsDep, FieldText, PageForm
from app.web.language import page_language
from app.web.routing import PageRouter, see_other
from app.web.search import theme_labels
from app.web.templating import render_page

router = PageRouter()
page = router.page
GapId = Annotated[int, Path(ge=1, le=MAX_ID)]
QUEUE = "/connector/gaps"


@dataclass(frozen=True)
class QueuedGap:
    """A pending gap with the gaps it could be merged into."""

    gap: gaps.GapView
    candidates: list[gaps.GapView]


def notice_text(lang: str, done: str | None) -> str | None:
    """The confirmation shown after a decision (`?done=`)."""
    _ = translations(lang).gettext
    return {
        "published": _("The gap was published."),
        "merged": _("The gap was merged; its “me too”s moved with it."),
        "declined": _("The gap was declined; the resident will see your reason."),
    }.get(done or "")


def severity_choices(lang: str) -> list[tuple[int, str]]:
    """Severity 1-5 in words."""
    _ = translations(lang).gettext
    return [
        (1, _("1: minor")),
        (2, _("2")),
        (3, _("3: moderate")),
        (4, _("4")),
        (5, _("5: severe")),
    ]


def _queue(
    request: Request,
    session: Session,
    viewer: Viewer,
    *,
    form: PageForm | None = None,
    failed: int | None = None,
    done: str | None = None,
) -> HTMLResponse:
    language = page_language(request)
    lang = language.lang
    queued = [
        QueuedGap(g, gap_decisions.merge_candidates(session, viewer, g.id))
        for g in gaps.pending_gaps(session, viewer)
    ]
    return render_page(
        request,
        language,
        "connector_gaps.html",
        status_code=form.status if form else 200,
        viewer=viewer,
        queued=queued,
        themes=theme_labels(session, lang),
        severities=severity_choices(lang),
        errors=form.errors if form else {},
        problem=form.problem if form else None,
        failed=failed,
        values=form.values if form else {},
        notice=notice_text(lang, done),
    )


@page(QUEUE)
def gap_queue(
    request: Request, session: SessionDep, viewer: Planning, done: str | None = None
) -> HTMLResponse:
    """Residents' "missing here" reports waiting for a decision: your patch's (connectors) or
    all (planners and admins), oldest first."""
    return _queue(request, session, viewer, done=done)


def _refused(
    request: Request, session: Session, viewer: Viewer, gap_id: int, form: PageForm, exc: Exception
) -> HTMLResponse:
    session.rollback()
    lang = page_language(request).lang
    _ = translations(lang).gettext
    if isinstance(exc, Conflict):
        form.refused_by(exc, _("Someone else decided this gap first: it is no longer waiting."))
    else:
        form.refused_by(exc)
    return _queue(request, session, viewer, form=form, failed=gap_id)


@page(QUEUE + "/{gap_id}/publish", methods=("POST",))
def publish_page(
    request: Request, session: SessionDep, viewer: Planning, gap_id: GapId, fields: FieldsDep
) -> Response:
    """Publish the gap as a reported service gap, with the severity chosen."""
    lang = page_language(request).lang
    _ = translations(lang).gettext
    texts = {f"severity-{gap_id}": FieldText(_("Severity"), _("Choose a severity from 1 to 5"))}
    form = PageForm(fields, texts, field_of=lambda _loc: f"severity-{gap_id}")
    data = form.validate(GapPublish, {"severity": fields.get("severity") or 3})
    if data is None:
        return _queue(request, session, viewer, form=form, failed=gap_id)
    try:
        gap_decisions.publish_gap(session, viewer, gap_id, severity=data.severity)
    except (Conflict, InvalidInput) as exc:
        return _refused(request, session, viewer, gap_id, form, exc)
    session.commit()
    return see_other(QUEUE, lang, "published")


@page(QUEUE + "/{gap_id}/merge", methods=("POST",))
def merge_page(
    request: Request, session: SessionDep, viewer: Planning, gap_id: GapId, fields: FieldsDep
) -> Response:
    """Merge the gap into the gap chosen: its "me too"s move there."""
    lang = page_language(request).lang
    _ = translations(lang).gettext
    texts = {f"into-{gap_id}": FieldText(_("Merge into"), _("Choose the gap to merge it into"))}
    form = PageForm(fields, texts, field_of=lambda _loc: f"into-{gap_id}")
    data = form.validate(GapMerge, {"into": fields.get("into") or None})
    if data is None:
        return _queue(request, session, viewer, form=form, failed=gap_id)
    try:
        gap_decisions.merge_gap(session, viewer, gap_id, data.into)
    except (Conflict, InvalidInput) as exc:
        return _refused(request, session, viewer, gap_id, form, exc)
    session.commit()
    return see_other(QUEUE, lang, "merged")


@page(QUEUE + "/{gap_id}/decline", methods=("POST",))
def decline_page(
    request: Request, session: SessionDep, viewer: Planning, gap_id: GapId, fields: FieldsDep
) -> Response:
    """Decline the gap with a reason the resident sees (required)."""
    lang = page_language(request).lang
    _ = translations(lang).gettext
    texts = {
        f"reason-{gap_id}": FieldText(
            _("Why it is declined"),
            _("Give the reason the resident will see"),
            _("Give a reason of 1000 characters or fewer"),
        )
    }
    form = PageForm(fields, texts, field_of=lambda _loc: f"reason-{gap_id}")
    form.values[f"reason-{gap_id}"] = fields.raw("reason")
    data = form.validate(GapDecline, {"reason": fields.raw("reason")})
    if data is None:
        return _queue(request, session, viewer, form=form, failed=gap_id)
    try:
        gap_decisions.decline_gap(session, viewer, gap_id, data.reason)
    except (Conflict, InvalidInput) as exc:
        return _refused(request, session, viewer, gap_id, form, exc)
    session.commit()
    return see_other(QUEUE, lang, "declined")
