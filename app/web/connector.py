"""The connector pages: the patch dashboard and the asset form (add and edit, with consent).

Sign-in (app/web/sign_in.py) and the work lists (moderation, lapsed consents, introductions;
app/web/connector_pages.py) are included in this router.

Every connector page is for connectors and admins (the Editor rule) and shows only their own
patch; it is the one place where person-linked records (skill, volunteer) of that patch appear.
Refusals become pages (app/web/errors.py).
"""

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.errors import Forbidden, InvalidInput, PreconditionFailed
from app.http.access import Editor
from app.http.deps import MAX_ID, SessionDep, SettingsDep
from app.i18n import translations
from app.maps.base import Basemap, new_map, page_parts
from app.models import CONSENT_METHODS, KINDS, PERSON_KINDS
from app.schemas.assets import AssetCreate, AssetUpdate
from app.schemas.people import MAX_CONSENT
from app.services import patches
from app.services.assets import records as asset_service
from app.services.assets.themes import list_themes
from app.services.assets.visibility import Viewer
from app.services.people import introductions as intro_service
from app.web import connector_pages, sign_in
from app.web.asset_details import accessibility_labels, day_names
from app.web.connector_forms import (
    COMMON_LANGUAGES,
    FEATURES,
    AssetForm,
    blank_values,
    parse_asset_form,
    service_error,
    values_of,
)
from app.web.forms import FormDep
from app.web.language import localised, page_language
from app.web.routing import PageRouter
from app.web.templating import render_page

router = PageRouter()
page = router.page
AssetId = Annotated[int, Path(ge=1, le=MAX_ID)]
FORM_MAP_ZOOM = 17


def notice_text(lang: str, done: str | None) -> str | None:
    """The confirmation shown after a change (`?done=` on the page it returns to)."""
    _ = translations(lang).gettext
    return {
        "added": _("The asset was added."),
        "saved": _("Your changes were saved."),
    }.get(done or "")


@page("/connector")
def dashboard(
    request: Request,
    session: SessionDep,
    viewer: Editor,
    done: str | None = None,
    after: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None,
) -> HTMLResponse:
    """The patch at a glance: what waits for the connector, and the patch's assets."""
    language = page_language(request)
    assets, more = patches.patch_assets(session, viewer=viewer, after=after)
    introductions, _more = intro_service.list_for(session, viewer, status="open", limit=100)
    return render_page(
        request,
        language,
        "connector_dashboard.html",
        viewer=viewer,
        summary=patches.patch_summary(session, viewer=viewer),
        new_introductions=len(introductions),
        assets=assets,
        more=more,
        notice=notice_text(language.lang, done),
    )


# ---- the asset form ----------------------------------------------------------------------------


def _labels(lang: str, values: dict[str, Any]) -> dict[str, str]:
    _ = translations(lang).gettext
    labels = {
        "name_en": _("Name in English"),
        "name_cy": _("Name in Welsh"),
        "description_en": _("Description in English"),
        "description_cy": _("Description in Welsh"),
        "kind": _("Kind of asset"),
        "themes": _("Themes"),
        "postcode": _("Postcode"),
        "lon": _("Longitude"),
        "lat": _("Latitude"),
        "address": _("Address"),
        "email": _("Email address"),
        "phone": _("Phone number"),
        "website": _("Website"),
        "accessibility": _("Accessibility"),
        "languages": _("Languages it is offered in"),
        "other_languages": _("Other languages"),
        "status": _("Publish"),
        "consent_method": _("How they gave consent"),
        "consent_notice_version": _("Privacy notice version"),
        "consent_expires_at": _("Consent ends on"),
    }
    for index in range(len(values["hours"])):
        number = index + 1
        labels[f"hours-{index}-day"] = _("Day %(num)d") % {"num": number}
        labels[f"hours-{index}-opens"] = _("Opens (time %(num)d)") % {"num": number}
        labels[f"hours-{index}-closes"] = _("Closes (time %(num)d)") % {"num": number}
    return labels


def _choices(lang: str, session: Any) -> dict[str, Any]:
    _ = translations(lang).gettext
    features = accessibility_labels(lang)
    days = day_names(lang)
    languages = {"cy": _("Welsh"), "en": _("English"), "bfi": _("British Sign Language")}
    methods = {
        "written": _("In writing"),
        "verbal": _("Spoken"),
        "online": _("Online"),
        "other": _("Another way"),
    }
    now = datetime.now(UTC)
    return {
        "kinds": KINDS,
        "person_kinds": PERSON_KINDS,
        "themes": [
            (t.code, t.label_cy if lang == "cy" else t.label_en) for t in list_themes(session)
        ],
        "features": [(code, features.get(code, code)) for code in FEATURES],
        "days": list(days.items()),
        "common_languages": [(code, languages[code]) for code in COMMON_LANGUAGES],
        "consent_methods": [(code, methods.get(code, code)) for code in CONSENT_METHODS],
        "consent_min": (now + timedelta(days=1)).date().isoformat(),
        "consent_max": (now + MAX_CONSENT - timedelta(days=1)).date().isoformat(),
    }


def _form_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    viewer: Viewer,
    form: AssetForm,
    *,
    asset_id: int | None = None,
    status_code: int = 200,
    conflict: bool = False,
    consent_expires: str | None = None,
) -> HTMLResponse:
    """The asset form (new when asset_id is None) with its values, errors and map."""
    language = page_language(request)
    lang = language.lang
    _ = translations(lang).gettext
    try:
        here = (float(form.values["lon"]), float(form.values["lat"]))
    except ValueError:
        here = None
    if here is not None and -180 <= here[0] <= 180 and -90 <= here[1] <= 90:
        bounds = (here[0], here[1], here[0], here[1])
    else:
        bounds = patches.patch_bounds(session, viewer=viewer)
    m = new_map(
        Basemap.from_settings(settings),
        label=_("Map: click to set the place"),
        lang=lang,
        bounds=bounds,
        max_zoom=FORM_MAP_ZOOM,
    )
    parts = page_parts(m)
    return render_page(
        request,
        language,
        "connector_asset_form.html",
        status_code=status_code,
        viewer=viewer,
        creating=asset_id is None,
        asset_id=asset_id,
        values=form.values,
        errors=form.errors,
        labels=_labels(lang, form.values),
        map=parts,
        map_name=parts.element_id,
        conflict=conflict,
        consent_expires=consent_expires,
        **_choices(lang, session),
    )


def _dashboard_url(lang: str, done: str) -> str:
    return localised("/connector", lang) + f"?done={done}"


@page("/connector/assets/new")
def new_asset_form(
    request: Request, session: SessionDep, settings: SettingsDep, viewer: Editor
) -> HTMLResponse:
    """An empty asset form."""
    return _form_page(request, session, settings, viewer, AssetForm(values=blank_values()))


@page("/connector/assets/new", methods=("POST",))
def add_asset(
    request: Request, session: SessionDep, settings: SettingsDep, viewer: Editor, form: FormDep
) -> Response:
    """Add an asset of the patch (a person's only with their consent)."""
    lang = page_language(request).lang
    parsed = parse_asset_form(session, form, lang, creating=True)
    if parsed.errors:
        return _form_page(request, session, settings, viewer, parsed, status_code=422)
    try:
        asset_service.create_asset(
            session,
            actor=viewer.actor or "admin",
            data=AssetCreate.model_validate(parsed.payload),
            viewer=viewer,
        )
    except (InvalidInput, Forbidden) as exc:
        session.rollback()
        return _refused(request, session, settings, viewer, parsed, exc)
    session.commit()
    return RedirectResponse(_dashboard_url(lang, "added"), status_code=303)


def _refused(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    viewer: Viewer,
    parsed: AssetForm,
    exc: InvalidInput | Forbidden,
    asset_id: int | None = None,
) -> HTMLResponse:
    """The form again with what the service refused: 422 for a value, 403 outside the patch."""
    lang = page_language(request).lang
    _ = translations(lang).gettext
    if isinstance(exc, Forbidden):
        parsed.errors["lon"] = _("This place is outside the areas you look after")
        status = 403
    else:
        name, message = service_error(lang, exc)
        parsed.errors[name] = message
        status = 422
    return _form_page(
        request, session, settings, viewer, parsed, asset_id=asset_id, status_code=status
    )


def _editable_record(session: SessionDep, viewer: Viewer, asset_id: int) -> dict[str, Any]:
    record = asset_service.get_asset(session, viewer=viewer, asset_id=asset_id)
    if not patches.in_patch(session, viewer=viewer, asset_id=asset_id):
        raise Forbidden(f"asset {asset_id} is outside the areas you look after")
    return record


def _consent_date(record: dict[str, Any]) -> str | None:
    expires = record.get("consent_expires_at")
    return expires.date().isoformat() if expires is not None else None


@page("/connector/assets/{asset_id}/edit")
def edit_asset_form(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    viewer: Editor,
    asset_id: AssetId,
) -> HTMLResponse:
    """The form to change an asset of the patch."""
    record = _editable_record(session, viewer, asset_id)
    return _form_page(
        request,
        session,
        settings,
        viewer,
        AssetForm(values=values_of(record)),
        asset_id=asset_id,
        consent_expires=_consent_date(record),
    )


@page("/connector/assets/{asset_id}/edit", methods=("POST",))
def change_asset(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    viewer: Editor,
    asset_id: AssetId,
    form: FormDep,
) -> Response:
    """Save the changed asset if nobody else changed it since the form was opened (else 412,
    keeping what was typed)."""
    lang = page_language(request).lang
    record = _editable_record(session, viewer, asset_id)
    parsed = parse_asset_form(session, form, lang, creating=False)
    consent = _consent_date(record)
    if parsed.errors:
        return _form_page(
            request,
            session,
            settings,
            viewer,
            parsed,
            asset_id=asset_id,
            status_code=422,
            consent_expires=consent,
        )
    try:
        version = int(parsed.values["version"])
    except ValueError:
        version = -1
    try:
        asset_service.update_asset(
            session,
            viewer=viewer,
            asset_id=asset_id,
            expected_version=version,
            data=AssetUpdate.model_validate(parsed.payload),
        )
    except PreconditionFailed:
        session.rollback()
        parsed.values["version"] = str(record["version"])
        return _form_page(
            request,
            session,
            settings,
            viewer,
            parsed,
            asset_id=asset_id,
            status_code=412,
            conflict=True,
            consent_expires=consent,
        )
    except (InvalidInput, Forbidden) as exc:
        session.rollback()
        return _refused(request, session, settings, viewer, parsed, exc, asset_id)
    session.commit()
    return RedirectResponse(_dashboard_url(lang, "saved"), status_code=303)


# Their routes join this router's own (the app registers only this one); copied rather than
# included so that `router.routes` lists every page path, as the Welsh-twin test reads it.
router.routes.extend([*sign_in.router.routes, *connector_pages.router.routes])
