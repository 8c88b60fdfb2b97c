"""Reading the sign-in and connector forms: a safe `next`, and the asset form.

Forms are read by app/web/forms.py. The asset form is checked in two steps: first what a
person can get wrong on the form (missing name, place, times), with messages in the page's
language; then the API's own schema (AssetCreate/AssetUpdate), whose errors are mapped back to
the form's fields.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any
from urllib.parse import urlsplit

from pydantic import ValidationError
from sqlalchemy.orm import Session

from app.errors import InvalidInput, NotFound
from app.i18n import translations
from app.models import CONSENT_METHODS, KINDS, PERSON_KINDS
from app.schemas.assets import AssetCreate, AssetUpdate, normalise_postcode
from app.schemas.people import MAX_CONSENT
from app.services.needs.postcodes import lookup_postcode
from app.vocabularies import ACCESSIBILITY, DAYS
from app.web.forms import Form

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


def first(form: Form, name: str) -> str:
    """A field's first value, stripped ('' when absent)."""
    return (form.get(name) or [""])[0].strip()


def safe_next(value: str | None) -> str | None:
    """`value` if it is a path on this site ('/x', never '//host' or '/\\host'), else None."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return None
    if any(c in value for c in "\\\r\n\t") or any(ord(c) < 32 for c in value):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return None
    return value


# ---- the asset form ----------------------------------------------------------------------------


@dataclass
class AssetForm:
    """The asset form's values as typed (to show again), and the errors per field id."""

    values: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)
    payload: dict[str, Any] = field(default_factory=dict)


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
        hours=[{"day": "", "opens": "", "closes": ""} for _ in range(BLANK_HOURS + 1)],
    )
    return values


def values_of(record: dict[str, Any]) -> dict[str, Any]:
    """The form's values for an asset record (from app/services/assets/records.py)."""
    values = blank_values()
    for name in TEXT_FIELDS:
        if record.get(name) is not None:
            values[name] = str(record[name])
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
        hours=[dict(h) for h in record.get("opening_hours") or []]
        + [{"day": "", "opens": "", "closes": ""} for _ in range(BLANK_HOURS)],
    )
    return values


def _form_values(form: Form) -> dict[str, Any]:
    values = blank_values()
    for name in TEXT_FIELDS:
        values[name] = first(form, name)
    rows = []
    for index in range(50):
        row = {part: first(form, f"hours-{index}-{part}") for part in ("day", "opens", "closes")}
        if f"hours-{index}-day" not in form:
            break
        rows.append(row)
    filled = [r for r in rows if any(r.values())]
    values.update(
        kind=first(form, "kind"),
        themes=form.get("themes", []),
        accessibility=form.get("accessibility", []),
        languages=form.get("languages", []),
        status=first(form, "status"),
        version=first(form, "version"),
        hours=filled + [{"day": "", "opens": "", "closes": ""} for _ in range(BLANK_HOURS)],
    )
    return values


def _time(text: str) -> time | None:
    try:
        return time.fromisoformat(text)
    except ValueError:
        return None


class Checker:
    """Collects translated errors for one form (`_` translates into its language)."""

    def __init__(self, lang: str) -> None:
        self._ = translations(lang).gettext
        self.errors: dict[str, str] = {}

    def add(self, name: str, message: str) -> None:
        """Keep the first error for a field."""
        self.errors.setdefault(name, message)


def _location(session: Session, values: dict[str, Any], check: Checker) -> list[float] | None:
    _ = check._
    lon_text, lat_text = values["lon"], values["lat"]
    if not lon_text and not lat_text:
        if not values["postcode"]:
            check.add("lon", _("Choose the place on the map, or give its postcode"))
            return None
        try:
            found = lookup_postcode(session, values["postcode"])
        except ValueError:
            return None  # the postcode's own error says what is wrong
        except NotFound:
            check.add(
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
    if not -180 <= lon <= 180:
        check.add("lon", _("Enter a longitude between -180 and 180, like -3.18"))
    if not -90 <= lat <= 90:
        check.add("lat", _("Enter a latitude between -90 and 90, like 51.48"))
    if "lon" in check.errors or "lat" in check.errors:
        return None
    return [lon, lat]


def _hours(values: dict[str, Any], check: Checker) -> list[dict[str, str]]:
    _ = check._
    hours = []
    for index, row in enumerate(values["hours"]):
        if not any(row.values()):
            continue
        if row["day"] not in DAYS:
            check.add(f"hours-{index}-day", _("Choose the day"))
            continue
        opens, closes = _time(row["opens"]), _time(row["closes"])
        if opens is None:
            check.add(f"hours-{index}-opens", _("Enter the time it opens, like 09:30"))
        if closes is None:
            check.add(f"hours-{index}-closes", _("Enter the time it closes, like 17:00"))
        if opens is not None and closes is not None:
            if closes <= opens:
                check.add(f"hours-{index}-closes", _("The closing time must be after opening"))
            else:
                hours.append(
                    {"day": row["day"], "opens": row["opens"][:5], "closes": row["closes"][:5]}
                )
    return hours


def _consent(values: dict[str, Any], check: Checker) -> dict[str, str] | None:
    _ = check._
    method = values["consent_method"]
    if method not in CONSENT_METHODS:
        check.add("consent_method", _("Choose how the person gave their consent"))
    notice = values["consent_notice_version"]
    if not notice or len(notice) > 40:
        check.add(
            "consent_notice_version",
            _("Enter the version of the privacy notice they were shown (up to 40 characters)"),
        )
    expires = consent_expiry(values["consent_expires_at"], check)
    if "consent_method" in check.errors or "consent_notice_version" in check.errors:
        return None
    if expires is None:
        return None
    return {"method": method, "notice_version": notice, "expires_at": expires.isoformat()}


def consent_expiry(text: str, check: Checker, name: str = "consent_expires_at") -> datetime | None:
    """The consent expiry date typed (start of that day, UTC), or None with an error added."""
    _ = check._
    try:
        day = date.fromisoformat(text)
    except ValueError:
        check.add(name, _("Enter the date consent ends, like 2027-03-31"))
        return None
    expires = datetime.combine(day, time(0, 0), tzinfo=UTC)
    now = datetime.now(UTC)
    if expires <= now:
        check.add(name, _("The date consent ends must be in the future"))
        return None
    if expires > now + MAX_CONSENT:
        check.add(name, _("Consent can last at most 3 years: ask again then"))
        return None
    return expires


def _languages(values: dict[str, Any], check: Checker) -> list[str]:
    others = [c.strip().lower() for c in values["other_languages"].replace(";", ",").split(",")]
    return [c for c in values["languages"] if c in COMMON_LANGUAGES] + [c for c in others if c]


def field_message(lang: str, name: str, kind: str, ctx: dict[str, Any] | None = None) -> str:
    """A translated message for a schema error on a form field."""
    _ = translations(lang).gettext
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


def field_of(loc: tuple[str | int, ...]) -> str:
    """The form field id for a schema or service error location."""
    parts = [str(p) for p in loc if p != "body"]
    head = parts[0] if parts else ""
    if head == "consent" and len(parts) > 1:
        return f"consent_{parts[1]}"
    return FIELD_OF_LOC.get(head, head)


def parse_asset_form(session: Session, form: Form, lang: str, *, creating: bool) -> AssetForm:
    """The asset form as typed, checked; `payload` is the AssetCreate/AssetUpdate body when
    there are no errors."""
    values = _form_values(form)
    check = Checker(lang)
    _ = check._
    if values["kind"] not in KINDS:
        check.add("kind", _("Choose what kind of asset this is"))
    if not (values["name_en"] or values["name_cy"]):
        check.add("name_en", _("Give a name in English or Welsh, or both"))
    if values["postcode"]:
        try:
            values["postcode"] = normalise_postcode(values["postcode"])
        except ValueError:
            check.add("postcode", _("Enter a UK postcode, like CF10 1AA"))
    location = _location(session, values, check)
    hours = _hours(values, check)
    if values["status"] not in ("published", "pending"):
        check.add("status", _("Choose whether to publish it now"))
    consent = None
    if creating and values["kind"] in PERSON_KINDS:
        consent = _consent(values, check)
    payload: dict[str, Any] = {
        "kind": values["kind"],
        **{k: values[k] or None for k in TEXT_FIELDS[:9]},
        "themes": values["themes"],
        "opening_hours": hours,
        "accessibility": values["accessibility"],
        "languages": _languages(values, check),
        "status": values["status"],
    }
    if location is not None:
        payload["location"] = {"type": "Point", "coordinates": location}
    if consent is not None:
        payload["consent"] = consent
    result = AssetForm(values=values, errors=check.errors)
    if result.errors:
        return result
    try:
        (AssetCreate if creating else AssetUpdate).model_validate(payload)
    except ValidationError as exc:
        for error in exc.errors():
            name = field_of(tuple(error.get("loc", ())))
            message = field_message(lang, name, str(error.get("type")), error.get("ctx"))
            result.errors.setdefault(name, message)
        return result
    result.payload = payload
    return result


def service_error(lang: str, error: InvalidInput) -> tuple[str, str]:
    """The form field and translated message for a service's InvalidInput."""
    name = field_of(error.loc)
    return name, field_message(lang, name, error.kind)
