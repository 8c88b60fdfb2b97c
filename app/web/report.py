"""Report a problem with a published asset: anybody may; connectors see it in their queue.

The form goes through ReportCreate once (app/web/forms.py); what it refuses comes back beside
its field with status 422 and nothing stored. An accepted report redirects (303) to a thank-you
page.
"""

from typing import Annotated

from fastapi import Path, Request
from fastapi.responses import HTMLResponse, Response

from app.http.access import Public
from app.http.deps import MAX_ID, SessionDep
from app.http.write_routes import AnonymousWriteRoute
from app.i18n import translations
from app.schemas.assets import AssetRecord
from app.schemas.moderation import ReportCreate
from app.services.assets import moderation
from app.services.assets.records import get_asset
from app.services.assets.visibility import Viewer
from app.vocabularies import PROBLEMS
from app.web.forms import FieldsDep, FieldText, FormFields, PageForm
from app.web.language import page_language
from app.web.place_picker import PUBLIC_VIEW
from app.web.routing import PageRouter, see_other
from app.web.search import display_name
from app.web.templating import render_page

router = PageRouter()
page = router.page

AssetId = Annotated[int, Path(ge=1, le=MAX_ID, description="The asset's id")]


def report_texts(lang: str) -> dict[str, FieldText]:
    """The report form's fields, in form order: labels and messages in `lang`."""
    _ = translations(lang).gettext
    return {
        "problem": FieldText(_("What is wrong"), _("Choose what is wrong")),
        "details": FieldText(
            _("Details"),
            _("The details have characters that cannot be saved: remove them"),
            _("Enter details of 2000 characters or fewer"),
        ),
    }


def problem_labels(lang: str) -> dict[str, str]:
    """The kinds of problem a resident may report, in a language."""
    _ = translations(lang).gettext
    labels = {
        "closed": _("It has closed"),
        "wrong": _("Some of its details are wrong"),
        "other": _("Something else"),
    }
    assert set(labels) == set(PROBLEMS)
    return labels


def report_form(fields: FormFields, lang: str) -> PageForm:
    """The report form as posted (or blank), with its fields' texts."""
    values = {"problem": fields.raw("problem"), "details": fields.raw("details")}
    return PageForm(fields, report_texts(lang), values=values)


def _show(request: Request, viewer: Viewer, record: AssetRecord, form: PageForm) -> HTMLResponse:
    language = page_language(request)
    lang = language.lang
    name, name_lang = display_name(record, lang)
    return render_page(
        request,
        language,
        "report.html",
        status_code=form.status,
        viewer=viewer,
        asset_id=record["id"],
        asset_name=name,
        asset_name_lang=name_lang,
        texts=form.texts,
        labels=form.labels,
        problems=list(problem_labels(lang).items()),
        errors=form.errors,
        values=form.values,
    )


@page("/assets/{asset_id}/report")
def report_page(
    request: Request, asset_id: AssetId, session: SessionDep, viewer: Public
) -> HTMLResponse:
    """The report-a-problem form for a published asset (404 for any other)."""
    record = get_asset(session, viewer=PUBLIC_VIEW, asset_id=asset_id)
    form = report_form(FormFields(), page_language(request).lang)
    return _show(request, viewer, record, form)


@page("/assets/{asset_id}/report", methods=("POST",), route_class_override=AnonymousWriteRoute)
def report(
    request: Request, asset_id: AssetId, session: SessionDep, viewer: Public, fields: FieldsDep
) -> Response:
    """Record a valid report for the connectors and go to the thank-you page; otherwise show
    the form again with what to put right (422)."""
    record = get_asset(session, viewer=PUBLIC_VIEW, asset_id=asset_id)
    lang = page_language(request).lang
    form = report_form(fields, lang)
    data = form.validate(ReportCreate, form.values)
    if data is None:
        return _show(request, viewer, record, form)
    moderation.report(session, viewer=viewer, asset_id=asset_id, data=data)
    session.commit()
    return see_other(f"/assets/{asset_id}/report/thank-you", lang)


@page("/assets/{asset_id}/report/thank-you")
def reported(request: Request, asset_id: AssetId, viewer: Public) -> HTMLResponse:
    """Thanks for a report: a connector will look into it."""
    return render_page(
        request, page_language(request), "reported.html", viewer=viewer, asset_id=asset_id
    )
