"""The connector's asset form: its values, the checks a person can get wrong on it, and its
payload validated through the API's own schema (AssetCreate/AssetUpdate) once.

Read and checked with the page form object (app/web/forms.py): first what a person can get
wrong on the form (missing name, place, times), with messages in the page's language; then the
schema, whose errors are mapped back to the form's fields.
"""

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from typing import Any, TypeVar

from pydantic_core import ErrorDetails
from sqlalchemy.orm import Session

from app.errors import NotFound
from app.i18n import translations
from app.schemas.assets import AssetCreate, AssetRecord, AssetUpdate, normalise_postcode
from app.schemas.people import MAX_CONSENT
from app.services.needs.postcodes import lookup_postcode
from app.vocabularies import ACCESSIBILITY, DAYS, KINDS, PERSON_KINDS, RECORDED_CONSENT_METHODS
from app.web.forms import FormFields, Loc, PageForm

Body = TypeVar("Body", AssetCreate, AssetUpdate)
FEATURES = ACCESSIBILITY
COMMON_LANGUAGES = ("cy", "en", "bfi")
TEXT_FIELDS = (
    "name_en",
    "name_cy",
    "description_en",
    "description_cy",
    "address",
    "postcode",
    "email",
    "phone",
    "website",
    "lon",
    "lat",
    "other_languages",
    "consent_method",
    "consent_notice_version",
    "consent_expires_at",
)
BLANK_HOURS = 3
# One row of opening hours on the form: a weekly slot, and what makes it a richer rule
# (app/schemas/assets.py OpeningHours). `repeat` is "" (every week), "weeksN" or "monthN".
RULE_PARTS = ("repeat", "starting", "valid_from", "valid_to", "closures", "note_en", "note_cy")
HOURS_PARTS = ("day", "opens", "closes", *RULE_PARTS)
EVERY_WEEKS = tuple(range(2, 9))
WEEKS_OF_MONTH = (1, 2, 3, 4, -1)
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def blank_row() -> dict[str, str]:
    """An empty row of opening hours."""
    return {part: "" for part in HOURS_PARTS}


def row_of(rule: Mapping[str, Any]) -> dict[str, str]:
    """A stored opening rule as a row of the form."""
    row = blank_row()
    row.update({key: str(rule[key]) for key in HOURS_PARTS if rule.get(key) is not None})
    if rule.get("week_of_month") is not None:
        row["repeat"] = f"month{rule['week_of_month']}"
    elif int(rule.get("every_weeks") or 1) > 1:
        row["repeat"] = f"weeks{rule['every_weeks']}"
    row["closures"] = "\n".join(
        c["closed_from"]
        if c["closed_from"] == c["closed_to"]
        else f"{c['closed_from']} to {c['closed_to']}"
        for c in rule.get("closures") or []
    )
    return row


def blank_values() -> dict[str, Any]:
    """An empty asset form."""
    values: dict[str, Any] = {name: "" for name in TEXT_FIELDS}
    values.update(
        kind="",
        themes=[],
        accessibility=[],
        languages=[],
        status="published",
        version="",
        hours=[blank_row() for _ in range(BLANK_HOURS + 1)],
    )
    return values


def values_of(record: AssetRecord) -> dict[str, Any]:
    """The form's values for an asset record (from app/services/assets/records.py)."""
    values = blank_values()
    columns: Mapping[str, Any] = record
    for name in TEXT_FIELDS:
        if columns.get(name) is not None:
            values[name] = str(columns[name])
    values["lon"], values["lat"] = f"{record['lon']:.6f}", f"{record['lat']:.6f}"
    languages = list(record.get("languages") or [])
    values.update(
        kind=record["kind"],
        themes=list(record.get("themes") or []),
        accessibility=list(record.get("accessibility") or []),
        languages=[c for c in languages if c in COMMON_LANGUAGES],
        other_languages=", ".join(c for c in languages if c not in COMMON_LANGUAGES),
        status=record["status"] if record["status"] in ("published", "pending") else "pending",
        version=str(record["version"]),
        hours=[row_of(h) for h in record.get("opening_hours") or []]
        + [blank_row() for _ in range(BLANK_HOURS)],
    )
    return values


def _form_values(fields: FormFields) -> dict[str, Any]:
    values = blank_values()
    for name in TEXT_FIELDS:
        values[name] = fields.get(name)
    rows = []
    for index in range(50):
        if f"hours-{index}-day" not in fields:
            break
        rows.append({part: fields.get(f"hours-{index}-{part}") or "" for part in HOURS_PARTS})
    filled = [r for r in rows if any(r.values())]
    values.update(
        kind=fields.get("kind"),
        themes=fields.getlist("themes"),
        accessibility=fields.getlist("accessibility"),
        languages=fields.getlist("languages"),
        status=fields.get("status"),
        version=fields.get("version"),
        hours=filled + [blank_row() for _ in range(BLANK_HOURS)],
    )
    return values


def _time(text: str) -> time | None:
    try:
        return time.fromisoformat(text)
    except ValueError:
        return None


def _location(session: Session, form: PageForm, lang: str) -> list[float] | None:
    _ = translations(lang).gettext
    values = form.values
    lon_text, lat_text = values["lon"], values["lat"]
    if not lon_text and not lat_text:
        if not values["postcode"]:
            form.refuse("lon", _("Choose the place on the map, or give its postcode"))
            return None
        try:
            found = lookup_postcode(session, values["postcode"])
        except ValueError:
            return None  # the postcode's own error says what is wrong
        except NotFound:
            form.refuse(
                "postcode",
                _("We do not know this postcode: choose the place on the map instead"),
            )
            return None
        values["lon"], values["lat"] = f"{found.lon:.6f}", f"{found.lat:.6f}"
        return [found.lon, found.lat]
    try:
        lon, lat = float(lon_text), float(lat_text)
    except ValueError:
        lon = lat = float("nan")
    placed = True
    if not -180 <= lon <= 180:
        form.refuse("lon", _("Enter a longitude between -180 and 180, like -3.18"))
        placed = False
    if not -90 <= lat <= 90:
        form.refuse("lat", _("Enter a latitude between -90 and 90, like 51.48"))
        placed = False
    return [lon, lat] if placed else None


def _hours(form: PageForm, lang: str) -> list[dict[str, Any]]:
    _ = translations(lang).gettext
    hours = []
    for index, row in enumerate(form.values["hours"]):
        if not any(row.values()):
            continue
        if row["day"] not in DAYS:
            form.refuse(f"hours-{index}-day", _("Choose the day"))
            continue
        opens, closes = _time(row["opens"]), _time(row["closes"])
        if opens is None:
            form.refuse(f"hours-{index}-opens", _("Enter the time it opens, like 09:30"))
        if closes is None:
            form.refuse(f"hours-{index}-closes", _("Enter the time it closes, like 17:00"))
        rule = _rule(form, index, row, lang)
        if opens is not None and closes is not None:
            if closes <= opens:
                form.refuse(f"hours-{index}-closes", _("The closing time must be after opening"))
            elif rule is not None:
                hours.append(
                    {"day": row["day"], "opens": row["opens"][:5], "closes": row["closes"][:5]}
                    | rule
                )
    return hours


def _rule(form: PageForm, index: int, row: dict[str, str], lang: str) -> dict[str, Any] | None:
    """What makes a row more than a weekly slot, as OpeningHours takes it (None if refused)."""
    _ = translations(lang).gettext
    rule: dict[str, Any] = {}
    repeat = row["repeat"]
    if repeat.startswith("weeks") and repeat[5:].isdigit():
        rule["every_weeks"] = int(repeat[5:])
    elif repeat.startswith("month") and repeat[5:] in {str(n) for n in WEEKS_OF_MONTH}:
        rule["week_of_month"] = int(repeat[5:])
    elif repeat:
        form.refuse(f"hours-{index}-repeat", _("Choose how often it happens"))
        return None
    ok = True
    for part in ("starting", "valid_from", "valid_to"):
        text = row[part].strip()
        if not text:
            continue
        try:
            rule[part] = date.fromisoformat(text).isoformat()
        except ValueError:
            form.refuse(f"hours-{index}-{part}", _("Enter a date like 2027-03-31"))
            ok = False
    if "every_weeks" in rule and not row["starting"].strip():
        form.refuse(
            f"hours-{index}-starting",
            _("Give the date of one of the days it happens, to count the weeks from"),
        )
        ok = False
    closures = []
    for line in filter(None, (line.strip() for line in row["closures"].splitlines())):
        found = ISO_DATE.findall(line)
        if len(found) not in (1, 2):
            form.refuse(f"hours-{index}-closures", closures_error(lang))
            ok = False
            continue
        closures.append({"closed_from": found[0], "closed_to": found[-1]})
    if closures:
        rule["closures"] = closures
    for part in ("note_en", "note_cy"):
        if row[part].strip():
            rule[part] = row[part].strip()
    return rule if ok else None


def closures_error(lang: str) -> str:
    """What to say when the closures of an opening time cannot be read."""
    return translations(lang).gettext(
        "Enter one closure a line, like 2026-12-24 to 2027-01-02, or one day"
    )


def consent_method_error(lang: str) -> str:
    """What to say when no (or no known) consent method is chosen."""
    return translations(lang).gettext("Choose how the person gave their consent")


def notice_version_error(lang: str) -> str:
    """What to say when the privacy notice version is missing or too long."""
    return translations(lang).gettext(
        "Enter the version of the privacy notice they were shown (up to 40 characters)"
    )


def _consent(form: PageForm, lang: str) -> dict[str, str] | None:
    values = form.values
    method = values["consent_method"]
    if method not in RECORDED_CONSENT_METHODS:
        form.refuse("consent_method", consent_method_error(lang))
    notice = values["consent_notice_version"]
    if not notice or len(notice) > 40:
        form.refuse("consent_notice_version", notice_version_error(lang))
    expires = consent_expiry(values["consent_expires_at"], form, lang)
    if "consent_method" in form.errors or "consent_notice_version" in form.errors:
        return None
    if expires is None:
        return None
    return {"method": method, "notice_version": notice, "expires_at": expires.isoformat()}


def consent_expiry(
    text: str, form: PageForm, lang: str, name: str = "consent_expires_at"
) -> datetime | None:
    """The consent expiry date typed (start of that day, UTC), or None with `name` refused."""
    _ = translations(lang).gettext
    try:
        day = date.fromisoformat(text)
    except ValueError:
        form.refuse(name, _("Enter the date consent ends, like 2027-03-31"))
        return None
    expires = datetime.combine(day, time(0, 0), tzinfo=UTC)
    now = datetime.now(UTC)
    if expires <= now:
        form.refuse(name, _("The date consent ends must be in the future"))
        return None
    if expires > now + MAX_CONSENT:
        form.refuse(name, _("Consent can last at most 3 years: ask again then"))
        return None
    return expires


def _languages(values: dict[str, Any]) -> list[str]:
    others = [c.strip().lower() for c in values["other_languages"].replace(";", ",").split(",")]
    return [c for c in values["languages"] if c in COMMON_LANGUAGES] + [c for c in others if c]


def field_message(lang: str, name: str, error: ErrorDetails) -> str:
    """A translated message for a schema or service error on an asset form field."""
    _ = translations(lang).gettext
    kind, ctx = error["type"], error.get("ctx")
    if kind == "string_too_long" and ctx and "max_length" in ctx:
        return _("Use %(max)d characters or fewer") % {"max": ctx["max_length"]}
    messages = {
        "name_en": _("Give a name in English or Welsh, or both"),
        "email": _("Enter an email address like name@example.org"),
        "phone": _("Enter a phone number using only digits, spaces, brackets, + and -"),
        "website": _("Enter a full web address, like https://example.org"),
        "postcode": _("Enter a UK postcode, like CF10 1AA"),
        "themes": _("Choose themes from the list"),
        "accessibility": _("Choose features from the list"),
        "other_languages": _("Enter languages as 2 or 3 letter codes, like cy, en or bfi"),
        "lon": _("Choose the place on the map, or give its postcode"),
        "kind": _("A person's record cannot become a group or organisation, or the other way"),
        "status": _("This person's consent has lapsed: record new consent before publishing"),
    }
    if name.startswith("hours-"):
        part = name.split("-", 2)[-1]
        hours_messages = {
            "closes": _("The closing time must be after opening"),
            "starting": _("The date to count from must be on the day chosen"),
            "valid_to": _("The last date must not be before the first"),
            "closures": closures_error(lang),
        }
        return hours_messages.get(part, _("Check this answer"))
    if kind == "value_error" and name in TEXT_FIELDS and name not in messages:
        return _("Remove control characters (such as from copying and pasting)")
    return messages.get(name, _("Check this answer"))


FIELD_OF_LOC = {
    "location": "lon",
    "languages": "other_languages",
    "opening_hours": "hours-0-day",
    "consent": "consent_method",
    "": "name_en",
    "body": "name_en",
}


def field_of(loc: Loc) -> str:
    """The form field id for a schema or service error location."""
    parts = [str(p) for p in loc if p != "body"]
    head = parts[0] if parts else ""
    if head == "consent" and len(parts) > 1:
        return f"consent_{parts[1]}"
    if head == "opening_hours" and len(parts) > 2:
        part = {"every_weeks": "repeat", "week_of_month": "repeat"}.get(parts[2], parts[2])
        return f"hours-{parts[1]}-{part if part in HOURS_PARTS else 'day'}"
    return FIELD_OF_LOC.get(head, head)


def asset_form(fields: FormFields, lang: str, values: dict[str, Any] | None = None) -> PageForm:
    """The asset form (blank, an asset's values, or as posted) with its field mapping."""
    return PageForm(
        fields,
        values=values if values is not None else _form_values(fields),
        field_of=field_of,
        message=lambda name, error: field_message(lang, name, error),
    )


def parse_asset_form(
    session: Session, fields: FormFields, lang: str, schema: type[Body]
) -> tuple[PageForm, Body | None]:
    """The asset form as posted, checked, and its body validated through `schema` (AssetCreate
    to add, AssetUpdate to change) once: None with the errors on the form when anything is
    refused."""
    creating = schema is AssetCreate
    form = asset_form(fields, lang)
    values = form.values
    _ = translations(lang).gettext
    if values["kind"] not in KINDS:
        form.refuse("kind", _("Choose what kind of asset this is"))
    if not (values["name_en"] or values["name_cy"]):
        form.refuse("name_en", _("Give a name in English or Welsh, or both"))
    if values["postcode"]:
        try:
            values["postcode"] = normalise_postcode(values["postcode"])
        except ValueError:
            form.refuse("postcode", _("Enter a UK postcode, like CF10 1AA"))
    location = _location(session, form, lang)
    hours = _hours(form, lang)
    if values["status"] not in ("published", "pending"):
        form.refuse("status", _("Choose whether to publish it now"))
    consent = None
    if creating and values["kind"] in PERSON_KINDS:
        consent = _consent(form, lang)
    if not form.ok:
        return form, None
    payload: dict[str, Any] = {
        "kind": values["kind"],
        **{k: values[k] or None for k in TEXT_FIELDS[:9]},
        "themes": values["themes"],
        "opening_hours": hours,
        "accessibility": values["accessibility"],
        "languages": _languages(values),
        "status": values["status"],
    }
    if location is not None:
        payload["location"] = {"type": "Point", "coordinates": location}
    if consent is not None:
        payload["consent"] = consent
    return form, form.validate(schema, payload)
