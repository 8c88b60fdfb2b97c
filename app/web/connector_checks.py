"""The connector's checks: the patch's published assets nobody has checked for 12 months, each
with a "Mark as checked today" form going through the same versioned, audited write as the API
(`POST /api/v1/assets/{id}/checks`). Someone else's change since the page was opened is a 412
with the list shown again.
"""

from typing import Annotated

from fastapi import Path, Request
from fastapi.responses import HTMLResponse, Response

from app.errors import PreconditionFailed
from app.http.access import Editor
from app.http.deps import MAX_ID, SessionDep
from app.i18n import translations
from app.services import patches
from app.services.assets import records as asset_service
from app.services.assets.visibility import Viewer
from app.web.forms import FieldsDep, FormFields, PageForm
from app.web.language import page_language
from app.web.routing import PageRouter, see_other
from app.web.templating import render_page

router = PageRouter()
page = router.page
AssetId = Annotated[int, Path(ge=1, le=MAX_ID)]


def _checks_page(
    request: Request,
    session: SessionDep,
    viewer: Viewer,
    form: PageForm | None = None,
    *,
    done: str | None = None,
) -> HTMLResponse:
    """The due checks, with the refusal of the last mark (if any) above them."""
    language = page_language(request)
    _ = translations(language.lang).gettext
    form = form or PageForm(FormFields())
    due = patches.due_checks(session, viewer=viewer)
    return render_page(
        request,
        language,
        "connector_checks.html",
        status_code=form.status,
        viewer=viewer,
        due=due,
        months=patches.CHECK_EVERY_MONTHS,
        checked_before=due.checked_before.date().isoformat(),
        problem=form.problem,
        notice=_("The asset was marked as checked today.") if done == "checked" else None,
    )


@page("/connector/checks")
def checks(
    request: Request, session: SessionDep, viewer: Editor, done: str | None = None
) -> HTMLResponse:
    """Published assets of the patch not checked for 12 months, the longest unchecked first."""
    return _checks_page(request, session, viewer, done=done)


@page("/connector/checks/{asset_id}", methods=("POST",))
def mark_checked(
    request: Request, session: SessionDep, viewer: Editor, asset_id: AssetId, fields: FieldsDep
) -> Response:
    """Mark an asset of the list as checked today."""
    lang = page_language(request).lang
    version = fields.version()
    try:
        asset_service.mark_checked(
            session, viewer=viewer, asset_id=asset_id, expected_version=version
        )
    except PreconditionFailed as exc:
        session.rollback()
        _ = translations(lang).gettext
        form = PageForm(fields)
        message = _(
            "Someone else changed this asset after you opened the page, so it was not marked "
            "as checked. The list below is up to date: look at the asset again, then mark it."
        )
        form.refused_by(exc, message)
        return _checks_page(request, session, viewer, form)
    session.commit()
    return see_other("/connector/checks", lang, "checked")
