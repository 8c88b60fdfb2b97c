"""Suggest an asset: anybody may; it stays pending (hidden) until a connector publishes it.

The form goes through SuggestionCreate once (app/web/forms.py); what it refuses comes back as
one translated message per field, beside the field and summarised on top, with status 422 and
nothing stored. An accepted suggestion redirects (303) to a thank-you page.
"""

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from app.http.access import Public
from app.http.deps import SessionDep, SettingsDep
from app.http.write_routes import AnonymousWriteRoute
from app.i18n import translations
from app.i18n.labels import kind_labels
from app.schemas.moderation import SuggestionCreate
from app.services.assets import moderation
from app.services.assets.visibility import Viewer
from app.settings import Settings
from app.vocabularies import PUBLIC_KINDS
from app.web.forms import FieldsDep, FieldText, FormFields, PageForm
from app.web.language import page_language
from app.web.place_picker import find_place, pick_map, point_or_none
from app.web.routing import PageRouter, see_other
from app.web.search import theme_labels
from app.web.templating import render_page

router = PageRouter()
page = router.page

SUGGESTED_KINDS = PUBLIC_KINDS
TEXT_FIELDS = (
    "name_en",
    "name_cy",
    "kind",
    "description",
    "address",
    "postcode",
    "email",
    "phone",
    "website",
    "note",
    "lon",
    "lat",
)


def suggestion_texts(lang: str) -> dict[str, FieldText]:
    """The suggestion form's fields, in form order: labels and messages in `lang`."""
    _ = translations(lang).gettext
    return {
        "name_en": FieldText(
            _("Name in English"),
            _("The name in English has characters that cannot be saved: remove them"),
            _("Enter a name in English of 300 characters or fewer"),
        ),
        "name_cy": FieldText(
            _("Name in Welsh"),
            _("The name in Welsh has characters that cannot be saved: remove them"),
            _("Enter a name in Welsh of 300 characters or fewer"),
        ),
        "kind": FieldText(_("What kind of asset it is"), _("Choose what kind of asset it is")),
        "themes": FieldText(_("Themes"), _("Choose themes from the list")),
        "description": FieldText(
            _("Description"),
            _("The description has characters that cannot be saved: remove them"),
            _("Enter a description of 5000 characters or fewer"),
        ),
        "address": FieldText(
            _("Address"),
            _("The address has characters that cannot be saved: remove them"),
            _("Enter an address of 500 characters or fewer"),
        ),
        "postcode": FieldText(_("Postcode"), _("Enter a real postcode, like CF10 1AA")),
        "email": FieldText(
            _("Email address"),
            _("Enter an email address in the correct format, like name@example.org"),
        ),
        "phone": FieldText(
            _("Phone number"),
            _("Enter a phone number using numbers, spaces and brackets, like 029 2087 2087"),
        ),
        "website": FieldText(
            _("Website"), _("Enter a web address in the correct format, like www.example.org")
        ),
        "note": FieldText(
            _("Note to the community connector"),
            _("The note has characters that cannot be saved: remove them"),
            _("Enter a note of 2000 characters or fewer"),
        ),
    }


def _website(value: str) -> str:
    """A web address as typed, with https:// added when it has no scheme ('www.x.org')."""
    value = value.strip()
    if value and "://" not in value:
        return "https://" + value
    return value


def suggestion_form(fields: FormFields, lang: str) -> PageForm:
    """The suggestion form as posted (or blank), with its fields' texts."""
    values: dict[str, Any] = {name: fields.raw(name) for name in TEXT_FIELDS}
    values["themes"] = fields.getlist("themes")
    values["point"] = point_or_none(fields)
    aliases = {f"description_{lang}": "description", "location": "postcode", "": "name_en"}
    return PageForm(fields, suggestion_texts(lang), values=values, aliases=aliases)


def parse_suggestion(session: Session, form: PageForm, lang: str) -> SuggestionCreate | None:
    """The suggestion the form holds, validated once; None with each refused field's message."""
    _ = translations(lang).gettext
    fields = form.fields
    if not (fields.get("name_en") or fields.get("name_cy")):
        form.refuse("name_en", _("Enter the name in English, in Welsh, or both"))
    kind = fields.raw("kind")
    if not kind:
        form.refuse("kind", form.texts["kind"].invalid)
    elif kind not in SUGGESTED_KINDS:
        form.refuse(
            "kind",
            _(
                "People cannot be suggested here: choose a group, space, organisation, service, "
                "business or culture"
            ),
        )
    themes = fields.getlist("themes")
    if set(themes) - set(theme_labels(session, lang)):
        form.refuse("themes", form.texts["themes"].invalid)
    point = find_place(session, form, lang)
    body: dict[str, Any] = {
        "kind": kind,
        "name_en": fields.raw("name_en"),
        "name_cy": fields.raw("name_cy"),
        f"description_{lang}": fields.raw("description"),
        "themes": themes,
        "address": fields.raw("address"),
        "postcode": fields.raw("postcode"),
        "email": fields.raw("email"),
        "phone": fields.raw("phone"),
        "website": _website(fields.raw("website")),
        "note": fields.raw("note"),
        "location": {"type": "Point", "coordinates": list(point or (0.0, 0.0))},
    }
    return form.validate(SuggestionCreate, body)


def _show(
    request: Request, session: Session, settings: Settings, viewer: Viewer, form: PageForm
) -> HTMLResponse:
    language = page_language(request)
    lang = language.lang
    kinds = kind_labels(lang)
    map_parts, map_name = pick_map(session, settings, lang, form.values.get("point"))
    return render_page(
        request,
        language,
        "suggest.html",
        status_code=form.status,
        viewer=viewer,
        texts=form.texts,
        labels=form.labels,
        errors=form.errors,
        values=form.values,
        kinds=[(k, kinds[k]) for k in SUGGESTED_KINDS],
        themes=list(theme_labels(session, lang).items()),
        map=map_parts,
        map_name=map_name,
    )


@page("/suggest")
def suggest_form(
    request: Request, session: SessionDep, settings: SettingsDep, viewer: Public
) -> HTMLResponse:
    """The suggest-an-asset form (anybody may suggest)."""
    form = suggestion_form(FormFields(), page_language(request).lang)
    return _show(request, session, settings, viewer, form)


@page("/suggest", methods=("POST",), route_class_override=AnonymousWriteRoute)
def suggest(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    viewer: Public,
    fields: FieldsDep,
) -> Response:
    """Store a valid suggestion as pending (hidden until a connector publishes it) and go to
    the thank-you page; otherwise show the form again with what to put right (422)."""
    lang = page_language(request).lang
    form = suggestion_form(fields, lang)
    suggestion = parse_suggestion(session, form, lang)
    if suggestion is None:
        return _show(request, session, settings, viewer, form)
    moderation.suggest(session, viewer=viewer, data=suggestion)
    session.commit()
    return see_other("/suggest/thank-you", lang)


@page("/suggest/thank-you")
def suggested(request: Request, viewer: Public) -> HTMLResponse:
    """Thanks for a suggestion: a connector checks it before it is public."""
    return render_page(request, page_language(request), "suggested.html", viewer=viewer)
