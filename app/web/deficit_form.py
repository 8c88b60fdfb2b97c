"""The deficit form (add and change a reported gap): its fields' texts, its values, and its
payload validated through the API's own schema (DeficitCreate / DeficitUpdate) once.

Read and checked with the page form object (app/web/forms.py): first what a person can get
wrong on the form (no title, no theme, no place), with messages in the page's language; then
the schema, whose errors come back on the form's fields. The place is a click on the map or a
postcode (app/web/place_picker.py); a gap known only by its area keeps its area when the form
gives no place.
"""

from collections.abc import Mapping
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from app.errors import NotFound
from app.i18n import translations
from app.schemas.deficits import DeficitCreate, DeficitUpdate
from app.services.needs.postcodes import lookup_postcode
from app.web.forms import FieldText, FormFields, PageForm
from app.web.place_picker import Point, clicked_point, find_place, place_texts, point_or_none

Body = TypeVar("Body", DeficitCreate, DeficitUpdate)
STATUSES = ("open", "addressed")
SEVERITIES = ("1", "2", "3", "4", "5")
TEXT_FIELDS = (
    "theme",
    "title_en",
    "title_cy",
    "description_en",
    "description_cy",
    "severity",
    "postcode",
    "status",
    "reported_on",
    "reporter",
    "lon",
    "lat",
    "version",
)
# Within a millionth of a degree (about 10 cm), a map point is the place the form opened with.
SAME_PLACE = 1e-6


def deficit_texts(lang: str) -> dict[str, FieldText]:
    """The deficit form's fields, in form order: labels and messages in `lang`."""
    _ = translations(lang).gettext
    return {
        "theme": FieldText(_("Theme"), _("Choose the theme of the gap from the list")),
        "title_en": FieldText(
            _("Title in English"),
            _("The title in English has characters that cannot be saved: remove them"),
            _("Enter a title in English of 300 characters or fewer"),
        ),
        "title_cy": FieldText(
            _("Title in Welsh"),
            _("The title in Welsh has characters that cannot be saved: remove them"),
            _("Enter a title in Welsh of 300 characters or fewer"),
        ),
        "description_en": FieldText(
            _("Description in English"),
            _("The description in English has characters that cannot be saved: remove them"),
            _("Enter a description in English of 5000 characters or fewer"),
        ),
        "description_cy": FieldText(
            _("Description in Welsh"),
            _("The description in Welsh has characters that cannot be saved: remove them"),
            _("Enter a description in Welsh of 5000 characters or fewer"),
        ),
        "severity": FieldText(
            _("How severe the gap is"), _("Choose how severe the gap is, from 1 to 5")
        ),
        "postcode": FieldText(_("Postcode"), _("Enter a real postcode, like CF10 1AA")),
        "status": FieldText(_("Status"), _("Choose whether the gap has been addressed")),
        "reported_on": FieldText(
            _("Date reported"),
            _("Enter the date it was reported, like 2026-03-31: it cannot be in the future"),
        ),
        "reporter": FieldText(
            _("Who reported it"),
            _("Who reported it has characters that cannot be saved: remove them"),
            _("Enter who reported it in 200 characters or fewer"),
        ),
    }


def status_labels(lang: str) -> dict[str, str]:
    """The statuses of a gap, in words."""
    _ = translations(lang).gettext
    return {"open": _("Not yet addressed"), "addressed": _("Addressed")}


def severity_labels(lang: str) -> dict[str, str]:
    """The severities 1 to 5, in words at either end."""
    _ = translations(lang).gettext
    return {"1": _("1 (minor)"), "2": "2", "3": "3", "4": "4", "5": _("5 (severe)")}


def blank_values() -> dict[str, Any]:
    """An empty deficit form: open, of middling severity, reported today."""
    values: dict[str, Any] = {name: "" for name in TEXT_FIELDS}
    values.update(status="open", severity="3")
    return values


def values_of(record: Mapping[str, Any]) -> dict[str, Any]:
    """The form's values for a deficit record (app/services/needs/deficits.py)."""
    values = blank_values()
    for name in ("title_en", "title_cy", "description_en", "description_cy", "reporter"):
        values[name] = record.get(name) or ""
    if record.get("lon") is not None and record.get("lat") is not None:
        values["lon"], values["lat"] = f"{record['lon']:.6f}", f"{record['lat']:.6f}"
    values.update(
        theme=record["theme"],
        severity=str(record["severity"]),
        status=record["status"],
        reported_on=record["reported_on"].isoformat(),
        version=str(record["version"]),
    )
    return values


def deficit_form(fields: FormFields, lang: str, values: dict[str, Any] | None = None) -> PageForm:
    """The deficit form (blank, a deficit's values, or as posted) with its fields' texts."""
    if values is None:
        values = {name: fields.raw(name) for name in TEXT_FIELDS}
    values["point"] = point_or_none(fields) if fields.values else _point_of(values)
    aliases = {"location": "postcode", "area": "postcode", "": "title_en"}
    return PageForm(fields, deficit_texts(lang), values=values, aliases=aliases)


def _point_of(values: Mapping[str, Any]) -> Point | None:
    try:
        return float(values["lon"]), float(values["lat"])
    except ValueError:
        return None


def _postcode_point(session: Session, form: PageForm, lang: str) -> Point | None:
    """The typed postcode's centre, or None with the postcode refused."""
    try:
        found = lookup_postcode(session, form.fields.get("postcode"))
    except ValueError:
        form.refuse("postcode", form.texts["postcode"].invalid)
        return None
    except NotFound:
        form.refuse("postcode", place_texts(lang)["unknown"])
        return None
    return found.lon, found.lat


def _place(
    session: Session, form: PageForm, lang: str, current: Mapping[str, Any] | None
) -> Point | None:
    """Where the form says the gap is (None: it gives no place, refused unless the gap
    already has an area to keep)."""
    fields = form.fields
    postcode = fields.get("postcode")
    if current is not None:
        try:
            point = clicked_point(fields)
        except ValueError:
            point = None
        was = current.get("lon"), current.get("lat")
        unmoved = point is not None and None not in was and _same(point, was)
        if postcode and unmoved:
            # The form opened with the gap's place filled in: a postcode typed moves it.
            return _postcode_point(session, form, lang)
        if point is None and not postcode and current.get("area") is not None:
            return None
    found = find_place(session, form, lang)
    if found is None and postcode and "postcode" not in form.errors:
        form.refuse("postcode", form.texts["postcode"].invalid)  # not a postcode at all
    return found


def _same(point: Point, was: tuple[Any, Any]) -> bool:
    return abs(point[0] - float(was[0])) < SAME_PLACE and abs(point[1] - float(was[1])) < SAME_PLACE


def parse_deficit_form(
    session: Session,
    form: PageForm,
    lang: str,
    schema: type[Body],
    *,
    themes: Mapping[str, str],
    current: Mapping[str, Any] | None = None,
) -> Body | None:
    """The deficit the form holds, validated through `schema` once (DeficitCreate to add,
    DeficitUpdate to change the `current` record); None with each refused field's message."""
    _ = translations(lang).gettext
    fields = form.fields
    texts = form.texts
    if fields.get("theme") not in themes:
        form.refuse("theme", texts["theme"].invalid)
    if not (fields.get("title_en") or fields.get("title_cy")):
        form.refuse("title_en", _("Enter a title in English, in Welsh, or both"))
    if fields.get("severity") not in SEVERITIES:
        form.refuse("severity", texts["severity"].invalid)
    point = _place(session, form, lang, current)
    if fields.get("status") not in STATUSES:
        form.refuse("status", texts["status"].invalid)
    body: dict[str, Any] = {
        "theme": fields.get("theme"),
        "severity": fields.get("severity"),
        "status": fields.get("status"),
        **{
            name: fields.raw(name)
            for name in ("title_en", "title_cy", "description_en", "description_cy", "reporter")
        },
    }
    if fields.get("reported_on"):
        body["reported_on"] = fields.get("reported_on")
    if point is not None or "postcode" in form.errors:
        # A refused place is said once, on the postcode: not again by the schema.
        body["location"] = {"type": "Point", "coordinates": list(point or (0.0, 0.0))}
    return form.validate(schema, body)
