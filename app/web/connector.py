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
from fastapi.responses import HTMLResponse, Response

from app.errors import Forbidden, InvalidInput, PreconditionFailed
from app.http.access import Editor
from app.http.deps import MAX_ID, SessionDep, SettingsDep
from app.i18n import translations
from app.i18n.labels import accessibility_labels, day_names
from app.maps.base import Basemap, new_map, page_parts
from app.schemas.assets import AssetCreate, AssetRecord, AssetUpdate
from app.schemas.people import MAX_CONSENT
from app.services import patches
from app.services.assets import records as asset_service
from app.services.assets.themes import list_themes
from app.services.assets.visibility import Viewer
from app.services.coproduction import gaps, offers
from app.services.people import introductions as intro_service
from app.vocabularies import KINDS, PERSON_KINDS, RECORDED_CONSENT_METHODS
from app.web import connector_pages, sign_in
from app.web.asset_form import (
    COMMON_LANGUAGES,
    EVERY_WEEKS,
    FEATURES,
    asset_form,
    blank_values,
    parse_asset_form,
    values_of,
)
from app.web.forms import FieldsDep, FormFields, PageForm
from app.web.language import page_language
from app.web.routing import PageRouter, see_other
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
        "checked": _("The asset was marked as checked today."),
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
        pending_offers=len(offers.pending_offers(session, viewer)),
        pending_gaps=len(gaps.pending_gaps(session, viewer)),
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
        labels[f"hours-{index}-repeat"] = _("How often (time %(num)d)") % {"num": number}
        labels[f"hours-{index}-starting"] = _("Counting from (time %(num)d)") % {"num": number}
        labels[f"hours-{index}-valid_from"] = _("First date (time %(num)d)") % {"num": number}
        labels[f"hours-{index}-valid_to"] = _("Last date (time %(num)d)") % {"num": number}
        labels[f"hours-{index}-closures"] = _("Closed on (time %(num)d)") % {"num": number}
        labels[f"hours-{index}-note_en"] = _("Note in English (time %(num)d)") % {"num": number}
        labels[f"hours-{index}-note_cy"] = _("Note in Welsh (time %(num)d)") % {"num": number}
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
        "repeats": [("", _("Every week"))]
        + [(f"weeks{n}", _("Every %(num)d weeks") % {"num": n}) for n in EVERY_WEEKS]
        + [
            ("month1", _("First in the month")),
            ("month2", _("Second in the month")),
            ("month3", _("Third in the month")),
            ("month4", _("Fourth in the month")),
            ("month-1", _("Last in the month")),
        ],
        "common_languages": [(code, languages[code]) for code in COMMON_LANGUAGES],
        "consent_methods": [(code, methods.get(code, code)) for code in RECORDED_CONSENT_METHODS],
        "consent_min": (now + timedelta(days=1)).date().isoformat(),
        "consent_max": (now + MAX_CONSENT - timedelta(days=1)).date().isoformat(),
    }


def _form_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    viewer: Viewer,
    form: PageForm,
    *,
    record: AssetRecord | None = None,
    notice: str | None = None,
    check_problem: str | None = None,
) -> HTMLResponse:
    """The asset form (new without a `record`, else that asset's: its consent and last check
    shown beside it) with its values, errors and map, answered with the form's status (200, or
    what refused it); an asset's form also offers to mark it as checked today (`check_problem`:
    why that was refused)."""
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
        status_code=form.status,
        viewer=viewer,
        creating=record is None,
        asset_id=record["id"] if record else None,
        values=form.values,
        errors=form.errors,
        labels=_labels(lang, form.values),
        map=parts,
        map_name=parts.element_id,
        conflict=form.status == 412 and check_problem is None,
        consent_expires=_date(record.get("consent_expires_at")) if record else None,
        last_checked=_date(record["last_verified_at"]) if record else None,
        notice=notice,
        check_problem=check_problem,
        **_choices(lang, session),
    )


@page("/connector/assets/new")
def new_asset_form(
    request: Request, session: SessionDep, settings: SettingsDep, viewer: Editor
) -> HTMLResponse:
    """An empty asset form."""
    lang = page_language(request).lang
    form = asset_form(FormFields(), lang, blank_values())
    return _form_page(request, session, settings, viewer, form)


def _refuse(form: PageForm, error: Exception, lang: str) -> None:
    """Put the service's refusal on the form: a value (422), or outside the patch (403)."""
    if isinstance(error, Forbidden):
        _ = translations(lang).gettext
        form.refuse("lon", _("This place is outside the areas you look after"), status=403)
    elif isinstance(error, PreconditionFailed):
        form.refuse_all(str(error), status=412)
    else:
        form.refused_by(error)


@page("/connector/assets/new", methods=("POST",))
def add_asset(
    request: Request, session: SessionDep, settings: SettingsDep, viewer: Editor, fields: FieldsDep
) -> Response:
    """Add an asset of the patch (a person's only with their consent)."""
    lang = page_language(request).lang
    form, data = parse_asset_form(session, fields, lang, AssetCreate)
    if data is None:
        return _form_page(request, session, settings, viewer, form)
    try:
        asset_service.create_asset(session, actor=viewer.actor or "admin", data=data, viewer=viewer)
    except (InvalidInput, Forbidden) as exc:
        session.rollback()
        _refuse(form, exc, lang)
        return _form_page(request, session, settings, viewer, form)
    session.commit()
    return see_other("/connector", lang, "added")


def _editable_record(session: SessionDep, viewer: Viewer, asset_id: int) -> AssetRecord:
    record = asset_service.get_asset(session, viewer=viewer, asset_id=asset_id)
    if not patches.in_patch(session, viewer=viewer, asset_id=asset_id):
        raise Forbidden(f"asset {asset_id} is outside the areas you look after")
    return record


def _date(moment: datetime | None) -> str | None:
    return moment.date().isoformat() if moment is not None else None


@page("/connector/assets/{asset_id}/edit")
def edit_asset_form(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    viewer: Editor,
    asset_id: AssetId,
    done: str | None = None,
) -> HTMLResponse:
    """The form to change an asset of the patch (and to mark it as checked today)."""
    record = _editable_record(session, viewer, asset_id)
    lang = page_language(request).lang
    form = asset_form(FormFields(), lang, values_of(record))
    return _form_page(
        request, session, settings, viewer, form, record=record, notice=notice_text(lang, done)
    )


@page("/connector/assets/{asset_id}/checked", methods=("POST",))
def mark_checked(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    viewer: Editor,
    asset_id: AssetId,
    fields: FieldsDep,
) -> Response:
    """Mark the asset as checked today, if nobody changed it since the page was opened (else
    the page again, 412, saying so)."""
    lang = page_language(request).lang
    version = fields.version()
    try:
        asset_service.mark_checked(
            session, viewer=viewer, asset_id=asset_id, expected_version=version
        )
    except PreconditionFailed as exc:
        session.rollback()
        _ = translations(lang).gettext
        record = _editable_record(session, viewer, asset_id)
        form = asset_form(FormFields(), lang, values_of(record))
        problem = _(
            "Someone else changed this asset after you opened the page, so it was not marked "
            "as checked. The form below shows it as it is now: look at it, then mark it again."
        )
        form.refused_by(exc, problem)
        return _form_page(
            request, session, settings, viewer, form, record=record, check_problem=problem
        )
    session.commit()
    return see_other(f"/connector/assets/{asset_id}/edit", lang, "checked")


@page("/connector/assets/{asset_id}/edit", methods=("POST",))
def change_asset(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    viewer: Editor,
    asset_id: AssetId,
    fields: FieldsDep,
) -> Response:
    """Save the changed asset if nobody else changed it since the form was opened (else 412,
    keeping what was typed)."""
    lang = page_language(request).lang
    record = _editable_record(session, viewer, asset_id)
    form, data = parse_asset_form(session, fields, lang, AssetUpdate)
    if data is None:
        return _form_page(request, session, settings, viewer, form, record=record)
    version = form.fields.version()
    try:
        asset_service.update_asset(
            session, viewer=viewer, asset_id=asset_id, expected_version=version, data=data
        )
    except (InvalidInput, Forbidden, PreconditionFailed) as exc:
        session.rollback()
        if isinstance(exc, PreconditionFailed):
            form.values["version"] = str(record["version"])
        _refuse(form, exc, lang)
        return _form_page(request, session, settings, viewer, form, record=record)
    session.commit()
    return see_other("/connector", lang, "saved")


# Their routes join this router's own (the app registers only this one); copied rather than
# included so that `router.routes` lists every page path, as the Welsh-twin test reads it.
router.routes.extend([*sign_in.router.routes, *connector_pages.router.routes])
