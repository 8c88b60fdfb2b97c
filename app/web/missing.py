""" "Tell us what is missing": a signed-in resident says what their place lacks (a theme, in
their own words, where: a postcode or a click on the map), and says "me too" to a published
gap. Works without JavaScript; the form goes through GapCreate once (app/web/forms.py), and
what it refuses comes back beside its field with status 422 and nothing stored.
"""

from typing import Annotated, Any

from fastapi import Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from app.errors import InvalidInput
from app.http.access import Public, SignedIn
from app.http.deps import MAX_ID, SessionDep, SettingsDep
from app.i18n import translations
from app.schemas.gaps import GapCreate
from app.services.assets.visibility import Viewer
from app.services.coproduction import gaps, published_gaps
from app.settings import Settings
from app.web.forms import FieldsDep, FieldText, FormFields, PageForm
from app.web.introduction import in_sentence
from app.web.language import localised, page_language
from app.web.place_picker import picker_for, place_in_body, place_texts, point_or_none
from app.web.routing import PageRouter, safe_next
from app.web.search import result_items, theme_labels
from app.web.templating import render_page

router = PageRouter()
page = router.page

TEXT_FIELDS = ("theme", "text", "language", "postcode", "lon", "lat")
LANGUAGE_NAMES = {"en": "English", "cy": "Cymraeg"}


def missing_texts(lang: str) -> dict[str, FieldText]:
    """The form's fields, in form order: labels and messages in `lang`."""
    _ = translations(lang).gettext
    return {
        "theme": FieldText(_("What it is about"), _("Choose a theme")),
        "text": FieldText(
            _("What is missing"),
            _("Say what is missing, in words that can be saved"),
            _("Say what is missing in 1000 characters or fewer"),
        ),
        "language": FieldText(_("The language you wrote in"), _("Choose English or Welsh")),
        "postcode": FieldText(_("Postcode"), _("Enter a real postcode, like CF10 1AA")),
    }


def missing_form(fields: FormFields, lang: str) -> PageForm:
    """The form as posted (or blank: the text in the page's language)."""
    values: dict[str, Any] = {name: fields.raw(name) for name in TEXT_FIELDS}
    values["language"] = values["language"] or lang
    values["point"] = point_or_none(fields)
    aliases = {"near": "postcode", "": "postcode"}
    return PageForm(fields, missing_texts(lang), values=values, aliases=aliases)


def parse_missing(session: Session, form: PageForm, lang: str) -> GapCreate | None:
    """The gap the form holds, validated once; None with each refused field's message."""
    fields = form.fields
    theme = fields.raw("theme")
    if theme not in theme_labels(session, lang):
        form.refuse("theme", form.texts["theme"].invalid)
    if not fields.get("text"):
        form.refuse("text", form.texts["text"].invalid)
    body: dict[str, Any] = {
        "theme": theme or "_",
        "text": fields.raw("text") or "_",
        "language": fields.get("language") or lang,
    }
    body.update(place_in_body(form, lang))
    return form.validate(GapCreate, body)


def _show(
    request: Request, session: Session, settings: Settings, viewer: Viewer, form: PageForm
) -> HTMLResponse:
    language = page_language(request)
    lang = language.lang
    map_parts, map_name = picker_for(session, settings, viewer, lang, form)
    return render_page(
        request,
        language,
        "missing.html",
        status_code=form.status,
        viewer=viewer,
        texts=form.texts,
        labels=form.labels,
        errors=form.errors,
        values=form.values,
        themes=list(theme_labels(session, lang).items()),
        languages=list(LANGUAGE_NAMES.items()),
        map=map_parts,
        map_name=map_name,
        sign_in=localised("/sign-in", lang) + "?next=" + localised("/missing", lang),
    )


@page("/missing")
def missing_page(
    request: Request, session: SessionDep, settings: SettingsDep, viewer: Public
) -> HTMLResponse:
    """Tell us what is missing; for a visitor not signed in, why and how to sign in."""
    form = missing_form(FormFields(), page_language(request).lang)
    return _show(request, session, settings, viewer, form)


@page("/missing", methods=("POST",))
def report_missing(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    viewer: SignedIn,
    fields: FieldsDep,
) -> HTMLResponse:
    """Record what is missing (pending until a connector or planner of the area decides) and
    show what already exists near that could help; else the form again with what to put
    right (422)."""
    lang = page_language(request).lang
    form = missing_form(fields, lang)
    data = parse_missing(session, form, lang)
    if data is None:
        return _show(request, session, settings, viewer, form)
    try:
        view = gaps.create_gap(session, viewer, data)
    except InvalidInput as exc:  # a postcode we do not hold, or a theme retired meanwhile
        session.rollback()
        if str(exc.loc[-1]) == "postcode":
            form.refuse("postcode", place_texts(lang)["unknown"])
        else:
            form.refuse("theme", form.texts["theme"].invalid)
        return _show(request, session, settings, viewer, form)
    session.commit()
    lon, lat = data.near if data.near is not None else published_gaps.place_of(session, view.id)
    helping = published_gaps.might_help(session, view.theme, lon, lat)
    return render_page(
        request,
        page_language(request),
        "missing_sent.html",
        viewer=viewer,
        theme=in_sentence(theme_labels(session, lang).get(view.theme, view.theme)),
        matches=result_items(helping, lang),
    )


@page("/missing/{gap_id}/support", methods=("POST",))
def support_gap(
    request: Request,
    session: SessionDep,
    viewer: SignedIn,
    gap_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    fields: FieldsDep,
) -> Response:
    """Say "me too" to a gap (or take it back: `undo`), then go back to the page it was said
    on (`next`, on this site; else the reported gaps)."""
    lang = page_language(request).lang
    if fields.get("undo"):
        view = gaps.unsupport(session, viewer, gap_id)
    else:
        view = gaps.support(session, viewer, gap_id)
    session.commit()
    back = safe_next(fields.get("next")) or localised("/deficits", lang)
    anchor = f"#gap-{view.deficit_id}" if view.deficit_id and "#" not in back else ""
    return RedirectResponse(back + anchor, status_code=303)
