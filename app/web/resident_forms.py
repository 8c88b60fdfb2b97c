"""Residents' forms: suggest an asset, report a problem with one, ask for an introduction.

Each form posts back to its own page as a plain urlencoded form, so it works without
JavaScript: a postcode gives the place. With JavaScript a click on the map fills the hidden
lon/lat inputs instead (static/js/pick-location.js). Input goes through the API's own schemas
(SuggestionCreate, ReportCreate, IntroductionCreate); what they refuse comes back as one
translated message per field, beside the field and summarised on top, with status 422 and
nothing stored. A suggestion or report then redirects (303) to a thank-you page; an
introduction's answer (how many people near offer the theme: counts only) is the response.
"""

from dataclasses import dataclass, replace
from typing import Annotated, Any

from fastapi import Depends, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from app.errors import InvalidInput, NotFound
from app.http.access import Public, SignedIn
from app.http.deps import MAX_ID, SessionDep, SettingsDep
from app.http.rate_limits import RateLimits
from app.i18n import translations
from app.maps.base import Basemap, MapParts, new_map, page_parts
from app.models import PROBLEMS
from app.schemas.introductions import IntroductionCreate
from app.schemas.moderation import ReportCreate, SuggestionCreate
from app.services.assets import moderation
from app.services.assets.records import extent_of_assets, get_asset
from app.services.assets.visibility import ANONYMOUS, Viewer
from app.services.needs.postcodes import lookup_postcode
from app.services.people import introductions
from app.spatial.geometry import check_lon_lat
from app.vocabularies import PUBLIC_KINDS
from app.web.forms import FormDep
from app.web.language import localised, page_language
from app.web.routing import PageRouter
from app.web.search import bilingual, display_name, kind_labels, theme_labels
from app.web.templating import render_page

router = PageRouter()
page = router.page

SUGGESTED_KINDS = PUBLIC_KINDS
# Pages show no person-linked asset to anyone: reports are about what the public can see.
PUBLIC_VIEW = replace(ANONYMOUS, with_people=False)
# The map to pick a place on, when no published asset says where the map is: Wales.
WALES = (-5.35, 51.35, -2.65, 53.45)
TOO_LONG = frozenset({"string_too_long", "too_long"})


# ---- reading a form ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FormFields:
    """A posted urlencoded form: each name's values, in order."""

    values: dict[str, list[str]]

    def get(self, name: str) -> str:
        """The first value given for `name`, '' when none."""
        found = self.values.get(name)
        return found[0] if found else ""

    def getlist(self, name: str) -> list[str]:
        """Every value given for `name` (ticked checkboxes)."""
        return list(self.values.get(name, []))


async def read_fields(form: FormDep) -> FormFields:
    """The posted form (app/web/forms.py) with first-value and all-values access."""
    return FormFields(form)


FieldsDep = Annotated[FormFields, Depends(read_fields)]


# ---- errors ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldText:
    """What a form field is called, and what to say when its value is refused."""

    label: str
    invalid: str
    too_long: str = ""


Errors = dict[str, str]


def add_field_errors(
    error: ValidationError,
    texts: dict[str, FieldText],
    errors: Errors,
    aliases: dict[str, str] | None = None,
) -> None:
    """Add the message of each field the schema refused to `errors` (the first per field;
    `aliases` maps schema names, '' for a whole-model error, to the form's names)."""
    aliases = aliases or {}
    fallback = next(iter(texts))
    for item in error.errors():
        name = str(item["loc"][0]) if item["loc"] else ""
        name = aliases.get(name, name)
        if name not in texts:
            name = fallback
        if name in errors:
            continue
        text = texts[name]
        long = item["type"] in TOO_LONG and text.too_long
        errors[name] = text.too_long if long else text.invalid


def in_form_order(errors: Errors, texts: dict[str, FieldText]) -> Errors:
    """The errors in the order their fields come in the form (the summary's order)."""
    return {name: errors[name] for name in texts if name in errors}


def _labels(texts: dict[str, FieldText]) -> dict[str, str]:
    return {name: text.label for name, text in texts.items()}


def _limit_anonymous(request: Request, viewer: Viewer) -> None:
    """Count a write by a caller who is not signed in (429 over the limit, per address), as
    the API's suggestion and report endpoints do."""
    if viewer.signed_in:
        return
    limits: RateLimits = request.app.state.rate_limits
    client = request.client.host if request.client else "unknown"
    limits.take(limits.anonymous_writes, "anonymous-write", client, what="suggestions and reports")


def _see_other(path: str, lang: str) -> RedirectResponse:
    return RedirectResponse(localised(path, lang), status_code=303)


# ---- the place: a map click or a postcode ------------------------------------------------------


def _place_texts(lang: str) -> dict[str, str]:
    _ = translations(lang).gettext
    return {
        "none": _("Enter a postcode, or choose the place on the map"),
        "unknown": _("We do not know this postcode: check it, or choose the place on the map"),
        "clicked": _("The place chosen on the map is not valid: choose it again"),
    }


def clicked_point(form: FormFields) -> tuple[float, float] | None:
    """The point chosen on the map (the hidden lon and lat inputs), None when there is none;
    ValueError when they are not a WGS84 position."""
    lon, lat = form.get("lon").strip(), form.get("lat").strip()
    if not lon and not lat:
        return None
    point = float(lon), float(lat)
    check_lon_lat(*point)
    return point


def find_place(
    session: Session, form: FormFields, lang: str, errors: Errors
) -> tuple[float, float] | None:
    """Where the form says: the map click, else the postcode's centre (looked up here). None,
    with a message for the postcode field in `errors`, when neither gives a place."""
    texts = _place_texts(lang)
    try:
        point = clicked_point(form)
    except ValueError:
        errors["postcode"] = texts["clicked"]
        return None
    if point is not None:
        return point
    postcode = form.get("postcode").strip()
    if not postcode:
        errors["postcode"] = texts["none"]
        return None
    try:
        found = lookup_postcode(session, postcode)
    except ValueError:
        return None  # not a postcode at all: the schema says so, with the field's own message
    except NotFound:
        errors["postcode"] = texts["unknown"]
        return None
    return found.lon, found.lat


def pick_map(
    session: Session, settings: Any, lang: str, point: tuple[float, float] | None
) -> tuple[MapParts, str]:
    """A map to choose a place on (around `point`, else the published assets, else Wales) and
    the id of its element, for pick-location.js."""
    label = translations(lang).gettext("Map: choose the place")
    if point is not None:
        lon, lat = point
        bounds = (lon - 0.005, lat - 0.003, lon + 0.005, lat + 0.003)
    else:
        extent = extent_of_assets(session, viewer=PUBLIC_VIEW)
        bounds = (extent.minx, extent.miny, extent.maxx, extent.maxy) if extent else WALES
    parts = page_parts(
        new_map(Basemap.from_settings(settings), label=label, lang=lang, bounds=bounds)
    )
    return parts, parts.element_id


def _point_or_none(form: FormFields) -> tuple[float, float] | None:
    try:
        return clicked_point(form)
    except ValueError:
        return None


# ---- suggest an asset --------------------------------------------------------------------------


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


SUGGESTION_TEXT_FIELDS = (
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


def _website(value: str) -> str:
    """A web address as typed, with https:// added when it has no scheme ('www.x.org')."""
    value = value.strip()
    if value and "://" not in value:
        return "https://" + value
    return value


def _suggestion(
    session: Session, form: FormFields, lang: str, texts: dict[str, FieldText]
) -> tuple[SuggestionCreate | None, Errors]:
    """The suggestion the form holds, or None and each refused field's message."""
    _ = translations(lang).gettext
    errors: Errors = {}
    if not (form.get("name_en").strip() or form.get("name_cy").strip()):
        errors["name_en"] = _("Enter the name in English, in Welsh, or both")
    kind = form.get("kind")
    if not kind:
        errors["kind"] = texts["kind"].invalid
    elif kind not in SUGGESTED_KINDS:
        errors["kind"] = _(
            "People cannot be suggested here: choose a group, space, organisation, service, "
            "business or culture"
        )
    themes = form.getlist("themes")
    if set(themes) - set(theme_labels(session, lang)):
        errors["themes"] = texts["themes"].invalid
    point = find_place(session, form, lang, errors)
    body: dict[str, Any] = {
        "kind": kind,
        "name_en": form.get("name_en"),
        "name_cy": form.get("name_cy"),
        f"description_{lang}": form.get("description"),
        "themes": themes,
        "address": form.get("address"),
        "postcode": form.get("postcode"),
        "email": form.get("email"),
        "phone": form.get("phone"),
        "website": _website(form.get("website")),
        "note": form.get("note"),
        "location": {"type": "Point", "coordinates": list(point or (0.0, 0.0))},
    }
    aliases = {f"description_{lang}": "description", "location": "postcode", "": "name_en"}
    try:
        suggestion = SuggestionCreate.model_validate(body)
    except ValidationError as exc:
        add_field_errors(exc, texts, errors, aliases)
        return None, in_form_order(errors, texts)
    if errors:
        return None, in_form_order(errors, texts)
    return suggestion, {}


def _suggest_form(
    request: Request,
    session: Session,
    settings: Any,
    viewer: Viewer,
    *,
    values: dict[str, Any],
    errors: Errors,
    status_code: int = 200,
) -> HTMLResponse:
    language = page_language(request)
    lang = language.lang
    texts = suggestion_texts(lang)
    kinds = kind_labels(lang)
    map_parts, map_name = pick_map(session, settings, lang, values.get("point"))
    return render_page(
        request,
        language,
        "suggest.html",
        status_code=status_code,
        viewer=viewer,
        texts=texts,
        labels=_labels(texts),
        errors=errors,
        values=values,
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
    values: dict[str, Any] = {"themes": []}
    return _suggest_form(request, session, settings, viewer, values=values, errors={})


@page("/suggest", methods=("POST",))
def suggest(
    request: Request, session: SessionDep, settings: SettingsDep, viewer: Public, form: FieldsDep
) -> Response:
    """Store a valid suggestion as pending (hidden until a connector publishes it) and go to
    the thank-you page; otherwise show the form again with what to put right (422)."""
    lang = page_language(request).lang
    suggestion, errors = _suggestion(session, form, lang, suggestion_texts(lang))
    if suggestion is None:
        values: dict[str, Any] = {name: form.get(name) for name in SUGGESTION_TEXT_FIELDS}
        values["themes"] = form.getlist("themes")
        values["point"] = _point_or_none(form)
        return _suggest_form(
            request, session, settings, viewer, values=values, errors=errors, status_code=422
        )
    _limit_anonymous(request, viewer)
    moderation.suggest(session, viewer=viewer, data=suggestion)
    session.commit()
    return _see_other("/suggest/thank-you", lang)


@page("/suggest/thank-you")
def suggested(request: Request, viewer: Public) -> HTMLResponse:
    """Thanks for a suggestion: a connector checks it before it is public."""
    return render_page(request, page_language(request), "suggested.html", viewer=viewer)


# ---- report a problem --------------------------------------------------------------------------


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


AssetId = Annotated[int, Path(ge=1, le=MAX_ID, description="The asset's id")]


def _report_form(
    request: Request,
    viewer: Viewer,
    record: dict[str, Any],
    *,
    values: dict[str, str],
    errors: Errors,
    status_code: int = 200,
) -> HTMLResponse:
    language = page_language(request)
    lang = language.lang
    texts = report_texts(lang)
    name, name_lang = display_name(record, lang)
    return render_page(
        request,
        language,
        "report.html",
        status_code=status_code,
        viewer=viewer,
        asset_id=record["id"],
        asset_name=name,
        asset_name_lang=name_lang,
        texts=texts,
        labels=_labels(texts),
        problems=list(problem_labels(lang).items()),
        errors=errors,
        values=values,
    )


@page("/assets/{asset_id}/report")
def report_form(
    request: Request, asset_id: AssetId, session: SessionDep, viewer: Public
) -> HTMLResponse:
    """The report-a-problem form for a published asset (404 for any other)."""
    record = get_asset(session, viewer=PUBLIC_VIEW, asset_id=asset_id)
    return _report_form(request, viewer, record, values={}, errors={})


@page("/assets/{asset_id}/report", methods=("POST",))
def report(
    request: Request, asset_id: AssetId, session: SessionDep, viewer: Public, form: FieldsDep
) -> Response:
    """Record a valid report for the connectors and go to the thank-you page; otherwise show
    the form again with what to put right (422)."""
    record = get_asset(session, viewer=PUBLIC_VIEW, asset_id=asset_id)
    lang = page_language(request).lang
    texts = report_texts(lang)
    values = {"problem": form.get("problem"), "details": form.get("details")}
    try:
        data = ReportCreate.model_validate(values)
    except ValidationError as exc:
        errors: Errors = {}
        add_field_errors(exc, texts, errors)
        errors = in_form_order(errors, texts)
        return _report_form(request, viewer, record, values=values, errors=errors, status_code=422)
    _limit_anonymous(request, viewer)
    moderation.report(session, viewer=viewer, asset_id=asset_id, data=data)
    session.commit()
    return _see_other(f"/assets/{asset_id}/report/thank-you", lang)


@page("/assets/{asset_id}/report/thank-you")
def reported(request: Request, asset_id: AssetId, viewer: Public) -> HTMLResponse:
    """Thanks for a report: a connector will look into it."""
    return render_page(
        request, page_language(request), "reported.html", viewer=viewer, asset_id=asset_id
    )


# ---- request an introduction -------------------------------------------------------------------


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


INTRODUCTION_FIELDS = ("theme", "postcode", "message", "lon", "lat")


def in_sentence(label: str) -> str:
    """A theme's label inside a sentence: 'Food' -> 'food', but 'Welsh language' stays."""
    if not label or label.startswith("Welsh"):
        return label
    return label[0].lower() + label[1:]


def _introduction_form(
    request: Request,
    session: Session,
    settings: Any,
    viewer: Viewer,
    *,
    values: dict[str, Any],
    errors: Errors,
    status_code: int = 200,
) -> HTMLResponse:
    language = page_language(request)
    lang = language.lang
    texts = introduction_texts(lang)
    map_parts, map_name = (None, "")
    if viewer.signed_in:
        map_parts, map_name = pick_map(session, settings, lang, values.get("point"))
    return render_page(
        request,
        language,
        "introduction.html",
        status_code=status_code,
        viewer=viewer,
        texts=texts,
        labels=_labels(texts),
        errors=errors,
        values=values,
        themes=list(theme_labels(session, lang).items()),
        map=map_parts,
        map_name=map_name,
        sign_in=localised("/sign-in", lang) + "?next=" + localised("/introductions/new", lang),
    )


@page("/introductions/new")
def introduction_form(
    request: Request, session: SessionDep, settings: SettingsDep, viewer: Public
) -> HTMLResponse:
    """The request-an-introduction form; for a visitor not signed in, why and how to sign in."""
    return _introduction_form(request, session, settings, viewer, values={}, errors={})


@page("/introductions/new", methods=("POST",))
def request_introduction(
    request: Request, session: SessionDep, settings: SettingsDep, viewer: SignedIn, form: FieldsDep
) -> HTMLResponse:
    """Send a request to the connectors of the area and show how many people near offer the
    theme (counts only); otherwise show the form again with what to put right (422)."""
    lang = page_language(request).lang
    texts = introduction_texts(lang)
    errors: Errors = {}
    themes = theme_labels(session, lang)
    theme = form.get("theme")
    if theme not in themes:
        errors["theme"] = texts["theme"].invalid
    try:
        near = clicked_point(form)
    except ValueError:
        errors["postcode"] = _place_texts(lang)["clicked"]
        near = None
    body: dict[str, Any] = {"theme": theme or "_", "message": form.get("message")}
    if near is not None:
        body["near"] = list(near)
    elif "postcode" not in errors:
        if form.get("postcode").strip():
            body["postcode"] = form.get("postcode")
        else:
            errors["postcode"] = _place_texts(lang)["none"]
    data = None
    try:
        data = IntroductionCreate.model_validate(body)
    except ValidationError as exc:
        add_field_errors(exc, texts, errors, {"near": "postcode", "": "postcode"})
    if data is not None and not errors:
        try:
            made = introductions.request_introduction(session, viewer, data)
        except InvalidInput as exc:  # a postcode we do not hold
            session.rollback()
            field = str(exc.loc[-1])
            errors[field if field in texts else "postcode"] = (
                _place_texts(lang)["unknown"] if field == "postcode" else texts["theme"].invalid
            )
        else:
            session.commit()
            answer = made.people_near
            label = themes[made.view.introduction.theme_code]
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
    values: dict[str, Any] = {name: form.get(name) for name in INTRODUCTION_FIELDS}
    values["point"] = _point_or_none(form)
    return _introduction_form(
        request,
        session,
        settings,
        viewer,
        values=values,
        errors=in_form_order(errors, texts),
        status_code=422,
    )
