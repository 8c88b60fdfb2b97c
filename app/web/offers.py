""" "I can help": a signed-in resident offers time or a skill under a theme near their home
(/offer), agreeing to a short privacy notice whose version is recorded with their consent; they
follow and withdraw their offers on /my/offers.

The form goes through OfferCreate once (app/web/forms.py); what it refuses comes back beside its
field with status 422 and nothing stored.
"""

from typing import Annotated, Any

from fastapi import Path, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from app.errors import InvalidInput
from app.http.access import Public, SignedIn
from app.http.deps import MAX_ID, SessionDep, SettingsDep
from app.i18n import translations
from app.schemas.offers import DESCRIPTION_MAX, TITLE_MAX, OfferCreate
from app.services.assets.visibility import Viewer
from app.services.coproduction import offer_notice, offers
from app.services.people import erasure
from app.settings import Settings
from app.vocabularies import PERSON_KINDS
from app.web.forms import FieldsDep, FieldText, FormFields, PageForm
from app.web.language import localised, page_language
from app.web.place_picker import picker_for, place_in_body, place_texts, point_or_none
from app.web.routing import PageRouter, see_other
from app.web.search import theme_labels
from app.web.templating import render_page

router = PageRouter()
page = router.page
OfferId = Annotated[int, Path(ge=1, le=MAX_ID)]

TEXT_FIELDS = ("kind", "theme", "title", "description", "postcode", "lon", "lat", "consent")


def offer_texts(lang: str) -> dict[str, FieldText]:
    """The offer form's fields, in form order: labels and messages in `lang`."""
    _ = translations(lang).gettext
    return {
        "kind": FieldText(_("What you are offering"), _("Choose a skill or your time")),
        "theme": FieldText(_("Theme"), _("Choose a theme")),
        "title": FieldText(
            _("What you can offer"),
            _("Say in a few words what you can offer"),
            _("Use %(max)d characters or fewer") % {"max": TITLE_MAX},
        ),
        "description": FieldText(
            _("More about it"),
            _("The description has characters that cannot be saved: remove them"),
            _("Use %(max)d characters or fewer") % {"max": DESCRIPTION_MAX},
        ),
        "postcode": FieldText(
            _("Postcode near your home"), _("Enter a real postcode, like CF10 1AA")
        ),
        "consent": FieldText(
            _("Your consent"), _("Tick the box to agree to the privacy notice, or you cannot offer")
        ),
    }


def kind_choices(lang: str) -> list[tuple[str, str, str]]:
    """The two kinds of offer: value, label and hint."""
    _ = translations(lang).gettext
    texts = {
        "skill": (_("A skill I have"), _("For example cooking, sewing, fixing bikes, languages.")),
        "volunteer": (
            _("Time I can give"),
            _("For example befriending, driving, helping at a lunch club."),
        ),
    }
    return [(kind, *texts[kind]) for kind in PERSON_KINDS]


def offer_form(fields: FormFields, lang: str) -> PageForm:
    """The offer form as posted (or blank), with its fields' texts."""
    values: dict[str, Any] = {name: fields.raw(name) for name in TEXT_FIELDS}
    values["point"] = point_or_none(fields)
    aliases = {"near": "postcode", "": "postcode", "notice_version": "consent", "language": "kind"}
    return PageForm(fields, offer_texts(lang), values=values, aliases=aliases)


def parse_offer(session: Session, form: PageForm, lang: str) -> OfferCreate | None:
    """The offer the form holds, validated once; None with each refused field's message."""
    fields = form.fields
    theme = fields.raw("theme")
    if theme not in theme_labels(session, lang):
        form.refuse("theme", form.texts["theme"].invalid)
    body: dict[str, Any] = {
        "kind": fields.get("kind"),
        "theme": theme or "_",
        "title": fields.raw("title"),
        "description": fields.raw("description") or None,
        "language": lang,
        "notice_version": fields.get("notice_version"),
        "consent": fields.get("consent") == "yes",
    }
    body.update(place_in_body(form, lang))
    return form.validate(OfferCreate, body)


def _show(
    request: Request, session: Session, settings: Settings, viewer: Viewer, form: PageForm
) -> HTMLResponse:
    language = page_language(request)
    lang = language.lang
    map_parts, map_name = picker_for(session, settings, viewer, lang, form)
    return render_page(
        request,
        language,
        "offer.html",
        status_code=form.status,
        viewer=viewer,
        texts=form.texts,
        labels=form.labels,
        errors=form.errors,
        values=form.values,
        kinds=kind_choices(lang),
        themes=list(theme_labels(session, lang).items()),
        notice=offer_notice.notice_text(lang),
        notice_version=offer_notice.notice_version(lang),
        map=map_parts,
        map_name=map_name,
        sign_in=localised("/sign-in", lang) + "?next=" + localised("/offer", lang),
    )


@page("/offer")
def offer_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    viewer: Public,
    theme: str = "",
) -> HTMLResponse:
    """The "I can help" form (a theme chosen ahead with ?theme=); for a visitor not signed in,
    why and how to sign in."""
    lang = page_language(request).lang
    form = offer_form(FormFields(), lang)
    if theme in theme_labels(session, lang):
        form.values["theme"] = theme
    return _show(request, session, settings, viewer, form)


@page("/offer", methods=("POST",))
def make_offer(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    viewer: SignedIn,
    fields: FieldsDep,
) -> Response:
    """Record the offer for the connectors of the area and go on to "My offers"; otherwise
    show the form again with what to put right (422)."""
    lang = page_language(request).lang
    form = offer_form(fields, lang)
    data = parse_offer(session, form, lang)
    if data is None:
        return _show(request, session, settings, viewer, form)
    try:
        offers.create_offer(session, viewer, data)
    except InvalidInput as exc:  # a postcode we do not hold, or a notice changed meanwhile
        session.rollback()
        field = str(exc.loc[-1])
        if field == "postcode":
            form.refuse("postcode", place_texts(lang)["unknown"])
        elif field == "notice_version":
            form.refuse("consent", form.texts["consent"].invalid)
        else:
            form.refuse(field if field in form.texts else "theme", form.texts["theme"].invalid)
        return _show(request, session, settings, viewer, form)
    session.commit()
    return see_other("/my/offers", lang, "offered")


# ---- my offers ---------------------------------------------------------------------------------


def _notice(lang: str, done: str | None) -> str | None:
    _ = translations(lang).gettext
    return {
        "offered": _(
            "Thank you. Your offer waits for a community connector for your area, who will "
            "email you."
        ),
        "withdrawn": _("Your offer was withdrawn and everything held about it was erased."),
    }.get(done or "")


@page("/my/offers")
def my_offers(
    request: Request, session: SessionDep, viewer: SignedIn, done: str | None = None
) -> HTMLResponse:
    """The resident's own offers with their status (and any reason a connector gave for
    declining), each with a button to withdraw it."""
    language = page_language(request)
    views = offers.offers_of(session, viewer.user_id) if viewer.user_id is not None else []
    return render_page(
        request,
        language,
        "my_offers.html",
        viewer=viewer,
        views=views,
        kinds={kind: label for kind, label, _hint in kind_choices(language.lang)},
        notice=_notice(language.lang, done),
    )


@page("/my/offers/{offer_id}/withdraw", methods=("POST",))
def withdraw_offer(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    viewer: SignedIn,
    offer_id: OfferId,
) -> Response:
    """Withdraw one of the resident's own offers: everything held about it is erased."""
    offers.withdraw(session, viewer, offer_id, ledger=erasure.ledger_path(settings))
    session.commit()
    return see_other("/my/offers", page_language(request).lang, "withdrawn")
