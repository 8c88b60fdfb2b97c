"""The reported gaps (deficits) pages: the list, with the assets that could meet each gap;
add, change and close a gap.

Who may do what is the API's rule (app/api/deficits.py): anybody may read the list (the
reporter's name only for those who may change gaps); planners, connectors and admins (the
Planning rule) add, change and close. A change carries the version the form was opened at:
if someone else saved the gap since, nothing is saved and the form comes back (412) with
what was typed.
"""

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from app.errors import InvalidInput, PreconditionFailed
from app.http.access import Planning, Public
from app.http.deps import MAX_ID, SessionDep, SettingsDep
from app.i18n import translations
from app.schemas.deficits import DeficitCreate, DeficitRecord, DeficitUpdate
from app.services.assets.visibility import Viewer
from app.services.coproduction import gaps as residents
from app.services.coproduction import published_gaps
from app.services.needs import deficits as service
from app.services.needs.matches import (
    MATCH_DISTANCE_M,
    gap_with_matches,
    gaps_with_matches,
    record_place,
)
from app.settings import Settings
from app.web.deficit_form import (
    blank_values,
    deficit_form,
    parse_deficit_form,
    severity_labels,
    status_labels,
    values_of,
)
from app.web.deficit_list import gap_item, gap_items
from app.web.forms import FieldsDep, FormFields, PageForm
from app.web.language import page_language
from app.web.place_picker import pick_map
from app.web.places import distance_text
from app.web.routing import PageRouter, see_other
from app.web.search import theme_labels
from app.web.templating import render_page

router = PageRouter()
page = router.page
DeficitId = Annotated[int, Path(ge=1, le=MAX_ID)]
# Gaps a page of the list shows.
PAGE_SIZE = 20
ShownStatus = Literal["open", "addressed", "all"]


@dataclass(frozen=True)
class ResidentGap:
    """What the deficits page shows of a gap residents told us about: its "me too" count (as
    published) and whether the viewer said it."""

    gap_id: int
    supports: int | None
    supported_by_you: bool


def resident_gaps(
    session: Session, viewer: Viewer, records: list[DeficitRecord]
) -> dict[int, ResidentGap]:
    """By deficit id, the residents' gap behind each deficit that came from residents."""
    ids = [r["id"] for r in records if r["source"] == residents.SOURCE]
    found = published_gaps.supports_by_deficit(session, ids) if ids else {}
    mine = published_gaps.supported_by(session, viewer, [g.gap_id for g in found.values()])
    return {
        deficit_id: ResidentGap(g.gap_id, g.supports, g.gap_id in mine)
        for deficit_id, g in found.items()
    }


def notice_text(lang: str, done: str | None) -> str | None:
    """The confirmation shown on the list after a change (`?done=`)."""
    _ = translations(lang).gettext
    return {
        "added": _("The gap was added."),
        "saved": _("Your changes were saved."),
        "closed": _("The gap was marked as addressed."),
    }.get(done or "")


@page("/deficits")
def gaps(
    request: Request,
    session: SessionDep,
    viewer: Public,
    theme: Annotated[str, Query(max_length=40)] = "",
    status: ShownStatus = "open",
    after: Annotated[str | None, Query(max_length=200)] = None,
    done: str | None = None,
) -> HTMLResponse:
    """Reported gaps (the open ones unless `status` says otherwise), each with where it is
    and the published assets of related themes near it that could meet it."""
    language = page_language(request)
    lang = language.lang
    themes = theme_labels(session, lang)
    theme = theme if theme in themes else ""
    found = gaps_with_matches(
        session,
        viewer=viewer,
        theme=[theme] if theme else [],
        status=[] if status == "all" else [status],
        limit=PAGE_SIZE,
        cursor=after,
    )
    return render_page(
        request,
        language,
        "deficits.html",
        viewer=viewer,
        resident_gaps=resident_gaps(session, viewer, [g.record for g in found.gaps]),
        support_next=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        items=gap_items(found.gaps, lang, themes),
        distance=distance_text(found.distance_m, lang),
        next_cursor=found.next_cursor,
        theme=theme,
        status=status,
        themes=list(themes.items()),
        statuses=status_labels(lang),
        may_change=viewer.role in service.DEFICIT_WRITERS,
        notice=notice_text(lang, done),
    )


# ---- the form ----------------------------------------------------------------------------------


def _form_page(
    request: Request,
    session: Session,
    settings: Settings,
    viewer: Viewer,
    form: PageForm,
    *,
    deficit_id: int | None = None,
    has_area: bool = False,
    centre: tuple[float, float] | None = None,
) -> HTMLResponse:
    """The deficit form (new when deficit_id is None), answered with the form's status; its
    map shows the place chosen, else `centre` (where the gap being changed is)."""
    language = page_language(request)
    lang = language.lang
    around = form.values.get("point") or centre
    map_parts, map_name = pick_map(session, settings, lang, around)
    return render_page(
        request,
        language,
        "deficit_form.html",
        status_code=form.status,
        viewer=viewer,
        deficit_id=deficit_id,
        has_area=has_area,
        texts=form.texts,
        labels=form.labels,
        errors=form.errors,
        problem=form.problem,
        values=form.values,
        themes=list(theme_labels(session, lang).items()),
        statuses=status_labels(lang),
        severities=severity_labels(lang),
        map=map_parts,
        map_name=map_name,
    )


@page("/deficits/new")
def new_gap_form(
    request: Request, session: SessionDep, settings: SettingsDep, viewer: Planning
) -> HTMLResponse:
    """An empty form to report a gap."""
    form = deficit_form(FormFields(), page_language(request).lang, blank_values())
    return _form_page(request, session, settings, viewer, form)


@page("/deficits/new", methods=("POST",))
def add_gap(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    viewer: Planning,
    fields: FieldsDep,
) -> Response:
    """Record a reported gap and go back to the list; or show the form again with what to
    put right (422)."""
    lang = page_language(request).lang
    form = deficit_form(fields, lang)
    themes = theme_labels(session, lang)
    data = parse_deficit_form(session, form, lang, DeficitCreate, themes=themes)
    if data is None:
        return _form_page(request, session, settings, viewer, form)
    try:
        service.create_deficit(session, actor=viewer.actor or "admin", data=data)
    except InvalidInput as exc:
        session.rollback()
        form.refused_by(exc)
        return _form_page(request, session, settings, viewer, form)
    session.commit()
    return see_other("/deficits", lang, "added")


@page("/deficits/{deficit_id}/edit")
def edit_gap_form(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    viewer: Planning,
    deficit_id: DeficitId,
) -> HTMLResponse:
    """The form to change a reported gap, filled in with its values."""
    record = service.get_deficit(session, viewer=viewer, deficit_id=deficit_id)
    form = deficit_form(FormFields(), page_language(request).lang, values_of(record))
    return _form_page(request, session, settings, viewer, form, **_shown(record))


def _shown(record: DeficitRecord) -> dict[str, Any]:
    """What the form page shows of the gap being changed, besides the form."""
    return {
        "deficit_id": record["id"],
        "has_area": record["area"] is not None,
        "centre": record_place(record),
    }


@page("/deficits/{deficit_id}/edit", methods=("POST",))
def change_gap(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    viewer: Planning,
    deficit_id: DeficitId,
    fields: FieldsDep,
) -> Response:
    """Save the changed gap if nobody else changed it since the form was opened (else 412,
    keeping what was typed)."""
    lang = page_language(request).lang
    _ = translations(lang).gettext
    record = service.get_deficit(session, viewer=viewer, deficit_id=deficit_id)
    form = deficit_form(fields, lang)
    themes = theme_labels(session, lang)
    data = parse_deficit_form(session, form, lang, DeficitUpdate, themes=themes, current=record)
    show = _shown(record)
    if data is None:
        return _form_page(request, session, settings, viewer, form, **show)
    try:
        service.update_deficit(
            session,
            viewer=viewer,
            deficit_id=deficit_id,
            expected_version=fields.version(),
            data=data,
        )
    except (InvalidInput, PreconditionFailed) as exc:
        session.rollback()
        if isinstance(exc, PreconditionFailed):
            # Saving again now replaces the other change: the form carries its version.
            form.values["version"] = str(record["version"])
        stale = _(
            "Someone else changed this gap after you opened it, so your changes were not "
            "saved. Your changes are still in the form below: check them, then save again to "
            "replace the other changes."
        )
        form.refused_by(exc, stale if isinstance(exc, PreconditionFailed) else None)
        return _form_page(request, session, settings, viewer, form, **show)
    session.commit()
    return see_other("/deficits", lang, "saved")


# ---- closing -----------------------------------------------------------------------------------


def _close_page(
    request: Request,
    session: Session,
    viewer: Viewer,
    deficit_id: int,
    form: PageForm | None = None,
) -> HTMLResponse:
    """The confirmation to mark a gap addressed, showing the gap as it is now."""
    language = page_language(request)
    lang = language.lang
    form = form or PageForm(FormFields())
    found = gap_with_matches(session, viewer=viewer, deficit_id=deficit_id)
    return render_page(
        request,
        language,
        "deficit_close.html",
        status_code=form.status,
        viewer=viewer,
        item=gap_item(found, lang, theme_labels(session, lang)),
        statuses=status_labels(lang),
        distance=distance_text(MATCH_DISTANCE_M, lang),
        problem=form.problem,
    )


@page("/deficits/{deficit_id}/close")
def close_gap_form(
    request: Request, session: SessionDep, viewer: Planning, deficit_id: DeficitId
) -> HTMLResponse:
    """Are you sure? The gap, and a button to mark it addressed."""
    return _close_page(request, session, viewer, deficit_id)


@page("/deficits/{deficit_id}/close", methods=("POST",))
def close_gap(
    request: Request,
    session: SessionDep,
    viewer: Planning,
    deficit_id: DeficitId,
    fields: FieldsDep,
) -> Response:
    """Mark the gap addressed, if nobody changed it since the confirmation was shown (else
    412 with the gap as it is now)."""
    lang = page_language(request).lang
    _ = translations(lang).gettext
    try:
        service.update_deficit(
            session,
            viewer=viewer,
            deficit_id=deficit_id,
            expected_version=fields.version(),
            data=DeficitUpdate(status="addressed"),
        )
    except PreconditionFailed as exc:
        session.rollback()
        form = PageForm(fields)
        message = _(
            "Someone else changed this gap after you opened this page, so it was not marked "
            "as addressed. Check it below as it is now, then confirm again."
        )
        form.refused_by(exc, message)
        return _close_page(request, session, viewer, deficit_id, form)
    session.commit()
    return see_other("/deficits", lang, "closed")
