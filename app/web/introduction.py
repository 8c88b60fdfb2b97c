"""Request an introduction: a signed-in resident asks the connectors of their area to put them
in touch with people offering a theme; the answer says how many people near offer it (counts
only, through the disclosure control).

The form goes through IntroductionCreate once (app/web/forms.py); what it refuses comes back
beside its field with status 422 and nothing stored.
"""

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from app.errors import InvalidInput
from app.http.access import Public, SignedIn
from app.http.deps import SessionDep, SettingsDep
from app.i18n import translations
from app.schemas.introductions import IntroductionCreate
from app.services.assets.visibility import Viewer
from app.services.people import introductions
from app.settings import Settings
from app.web.forms import FieldsDep, FieldText, FormFields, PageForm
from app.web.language import localised, page_language
from app.web.place_picker import picker_for, place_in_body, place_texts, point_or_none
from app.web.routing import PageRouter
from app.web.search import bilingual, theme_labels
from app.web.templating import render_page

router = PageRouter()
page = router.page

TEXT_FIELDS = ("theme", "postcode", "message", "lon", "lat")


def introduction_texts(lang: str) -> dict[str, FieldText]:
    """The introduction form's fields, in form order: labels and messages in `lang`."""
    _ = translations(lang).gettext
    return {
        "theme": FieldText(_("What you would like help with"), _("Choose a theme")),
        "postcode": FieldText(_("Postcode"), _("Enter a real postcode, like CF10 1AA")),
        "message": FieldText(
            _("Message to the community connector"),
            _("The message has characters that cannot be saved: remove them"),
            _("Enter a message of 1000 characters or fewer"),
        ),
    }


def in_sentence(label: str) -> str:
    """A theme's label inside a sentence: 'Food' -> 'food', but 'Welsh language' stays."""
    if not label or label.startswith("Welsh"):
        return label
    return label[0].lower() + label[1:]


def introduction_form(fields: FormFields, lang: str) -> PageForm:
    """The introduction form as posted (or blank), with its fields' texts."""
    values: dict[str, Any] = {name: fields.raw(name) for name in TEXT_FIELDS}
    values["point"] = point_or_none(fields)
    aliases = {"near": "postcode", "": "postcode"}
    return PageForm(fields, introduction_texts(lang), values=values, aliases=aliases)


def parse_introduction(session: Session, form: PageForm, lang: str) -> IntroductionCreate | None:
    """The request the form holds, validated once; None with each refused field's message."""
    fields = form.fields
    theme = fields.raw("theme")
    if theme not in theme_labels(session, lang):
        form.refuse("theme", form.texts["theme"].invalid)
    body: dict[str, Any] = {"theme": theme or "_", "message": fields.raw("message")}
    body.update(place_in_body(form, lang))
    return form.validate(IntroductionCreate, body)


def _show(
    request: Request, session: Session, settings: Settings, viewer: Viewer, form: PageForm
) -> HTMLResponse:
    language = page_language(request)
    lang = language.lang
    map_parts, map_name = picker_for(session, settings, viewer, lang, form)
    return render_page(
        request,
        language,
        "introduction.html",
        status_code=form.status,
        viewer=viewer,
        texts=form.texts,
        labels=form.labels,
        errors=form.errors,
        values=form.values,
        themes=list(theme_labels(session, lang).items()),
        map=map_parts,
        map_name=map_name,
        sign_in=localised("/sign-in", lang) + "?next=" + localised("/introductions/new", lang),
    )


@page("/introductions/new")
def introduction_page(
    request: Request, session: SessionDep, settings: SettingsDep, viewer: Public
) -> HTMLResponse:
    """The request-an-introduction form; for a visitor not signed in, why and how to sign in."""
    form = introduction_form(FormFields(), page_language(request).lang)
    return _show(request, session, settings, viewer, form)


@page("/introductions/new", methods=("POST",))
def request_introduction(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    viewer: SignedIn,
    fields: FieldsDep,
) -> HTMLResponse:
    """Send a request to the connectors of the area and show how many people near offer the
    theme (counts only); otherwise show the form again with what to put right (422)."""
    lang = page_language(request).lang
    form = introduction_form(fields, lang)
    data = parse_introduction(session, form, lang)
    if data is None:
        return _show(request, session, settings, viewer, form)
    try:
        made = introductions.request_introduction(session, viewer, data)
    except InvalidInput as exc:  # a postcode we do not hold
        session.rollback()
        field = str(exc.loc[-1])
        if field == "postcode":
            form.refuse("postcode", place_texts(lang)["unknown"])
        else:
            form.refuse(field if field in form.texts else "postcode", form.texts["theme"].invalid)
        return _show(request, session, settings, viewer, form)
    session.commit()
    answer = made.people_near
    label = theme_labels(session, lang)[made.view.introduction.theme_code]
    area = answer["area"]
    return render_page(
        request,
        page_language(request),
        "introduction_sent.html",
        viewer=viewer,
        theme=in_sentence(label),
        people=answer["items"][0]["people"] if answer["items"] else None,
        area_name=(bilingual(area, "name", lang)[0] or area["code"]) if area else None,
    )
