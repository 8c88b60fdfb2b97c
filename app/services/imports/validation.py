"""The bulk validator: AssetCreate's answer for an import record, at import speed.

`asset_values_of(data)` gives what `asset_values(AssetCreate.model_validate(data))` gives, or
raises ValidationError where AssetCreate does. Most records of a file are plain (text, a point,
weekly opening hours, an ordinary email address): those are checked here field by field, with
the same rules and the same normalisation as the schema, at a small fraction of its cost. A
value this module is not certain about (a service area, a consent record, an unusual email or
date, anything it does not know) sends the whole record through AssetCreate itself, so every
rejection and its wording are the schema's. tests/services/test_import_validation.py feeds the
same generated records, valid and invalid in every field, to both and requires the same answer.
"""

import re
from datetime import UTC, datetime
from functools import lru_cache
from typing import Annotated, Any

import email_validator
from pydantic import HttpUrl, TypeAdapter, UrlConstraints, ValidationError

from app.schemas.assets import (
    EMAIL_MAX,
    POSTCODE_MAX,
    WEBSITE_MAX,
    AssetCreate,
    fold,
    normalise_postcode,
)
from app.vocabularies import ACCESSIBILITY, DAYS, PERSON_KINDS, WRITABLE_STATUSES
from app.vocabularies import KINDS as ALL_KINDS

__all__ = ["asset_values_of", "plain_asset_values"]

_KINDS = frozenset(k for k in ALL_KINDS if k not in PERSON_KINDS)
_STATUSES = frozenset(WRITABLE_STATUSES)
_DAYS = frozenset(DAYS)
_ACCESSIBILITY = frozenset(ACCESSIBILITY)
_HOURS_KEYS = frozenset(("day", "opens", "closes"))
_POINT_KEYS = frozenset(("type", "coordinates"))
# Text limits below are the schema's own (app/schemas/assets.py: Name, Description, Line,
# SourceRef).
_FIELDS = frozenset(
    (
        "name_en",
        "name_cy",
        "description_en",
        "description_cy",
        "address",
        "source",
        "source_id",
        "kind",
        "location",
        "themes",
        "service_area",
        "postcode",
        "email",
        "phone",
        "website",
        "opening_hours",
        "accessibility",
        "languages",
        "status",
        "last_verified_at",
    )
)
# Control characters as the schema refuses them, and lone surrogates (which pydantic cannot
# hold): such text goes to the schema for its answer.
_DOUBTFUL_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_THEME = re.compile(r"[a-z0-9_]+")
_LANGUAGE = re.compile(r"[a-z]{2,3}")
_PHONE = re.compile(r"\+?[0-9 ()\-]{5,40}")
_HOUR = re.compile(r"(?:[01][0-9]|2[0-3]):[0-5][0-9]")
_DEGREES = re.compile(r"-?[0-9]{1,3}(?:\.[0-9]{1,15})?")
_MOMENT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:Z|[+-][0-9]{2}:00)")
# An ordinary address: dot-atom ASCII local part, lower-case ASCII host names.
_EMAIL = re.compile(r"([A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*)@([a-z0-9-]+(?:\.[a-z0-9-]+)+)")
_LOCAL_MAX = 64
_ADDRESS_MAX = 254
_WEBSITE = TypeAdapter(Annotated[HttpUrl, UrlConstraints(max_length=WEBSITE_MAX)])


class _Doubt(Exception):
    """A value the plain path does not decide: the schema will."""


def asset_values_of(data: dict[str, Any]) -> dict[str, Any]:
    """The stored values of a record (asset_values' form); ValidationError as AssetCreate."""
    values = plain_asset_values(data)
    if values is not None:
        return values
    from app.services.imports.rows import asset_values  # rows imports this module

    return asset_values(AssetCreate.model_validate(data))


def plain_asset_values(data: dict[str, Any]) -> dict[str, Any] | None:
    """The stored values of a plain, valid record; None when the schema must decide."""
    try:
        return _plain(data)
    except _Doubt:
        return None


def _plain(data: dict[str, Any]) -> dict[str, Any]:
    if not _FIELDS.issuperset(data):
        raise _Doubt
    get = data.get
    kind = get("kind")
    if type(kind) is not str or kind not in _KINDS:
        raise _Doubt
    name_en, name_cy = _text(get("name_en"), 300), _text(get("name_cy"), 300)
    if not (name_en or name_cy):
        raise _Doubt
    source, source_id = _text(get("source"), 200), _text(get("source_id"), 200)
    if source_id and not source:
        raise _Doubt
    if get("service_area") is not None:
        raise _Doubt
    status = get("status", "pending")
    if type(status) is not str or status not in _STATUSES:
        raise _Doubt
    description_en = _text(get("description_en"), 5000)
    description_cy = _text(get("description_cy"), 5000)
    return {
        "search_text": _search_text(name_en, name_cy, description_en, description_cy),
        "kind": kind,
        "name_en": name_en,
        "name_cy": name_cy,
        "description_en": description_en,
        "description_cy": description_cy,
        "address": _text(get("address"), 500),
        "postcode": _postcode(get("postcode")),
        "email": _email(get("email")),
        "phone": _phone(get("phone")),
        "website": _website(get("website")),
        "opening_hours": _opening_hours(get("opening_hours", [])),
        "accessibility": _accessibility(get("accessibility", [])),
        "languages": _codes(get("languages", []), _LANGUAGE, 20, 3),
        "status": status,
        "last_verified_at": _moment(get("last_verified_at")),
        "source": source,
        "source_id": source_id,
        "location": _location(get("location")),
        "service_area": None,
        "themes": _codes(get("themes", []), _THEME, 30, 40),
    }


def _search_text(*texts: str | None) -> str:
    # fold(" ".join(texts)) word by word: folding (casefold, NFKD, combining marks dropped)
    # never joins or splits across a space, and a file repeats its non-ASCII words.
    text = " ".join(filter(None, texts))
    if text.isascii():
        return text.lower()
    return " ".join(map(_folded_word, text.split(" ")))


_folded_word = lru_cache(maxsize=65536)(fold)


def _stripped(value: Any) -> str | None:
    # The schema's _blank_to_none: surrounding space removed, blank is None.
    if value is None:
        return None
    if type(value) is not str:
        raise _Doubt
    return value.strip() or None


def _text(value: Any, limit: int) -> str | None:
    text = _stripped(value)
    if text is not None and (len(text) > limit or _DOUBTFUL_TEXT.search(text)):
        raise _Doubt
    return text


def _postcode(value: Any) -> str | None:
    text = _stripped(value)
    if text is None:
        return None
    if len(text) > POSTCODE_MAX:
        raise _Doubt
    try:
        return normalise_postcode(text)
    except ValueError:
        raise _Doubt from None


def _phone(value: Any) -> str | None:
    text = _stripped(value)
    if text is not None and not _PHONE.fullmatch(text):
        raise _Doubt
    return text


def _email(value: Any) -> str | None:
    text = _stripped(value)
    if text is None:
        return None
    match = _EMAIL.fullmatch(text)
    if (
        match is None
        or len(text) > min(EMAIL_MAX, _ADDRESS_MAX)
        or len(match.group(1)) > _LOCAL_MAX
        or not _mail_domain(match.group(2))
    ):
        raise _Doubt
    # A dot-atom ASCII local part and a lower-case ASCII domain that email_validator accepts
    # as it is: the address is its own normalised form.
    return text


@lru_cache(maxsize=4096)
def _mail_domain(domain: str) -> bool:
    # email_validator's domain rules (length, labels, special-use names, IDNA), asked once per
    # domain: a file's addresses share a few domains.
    probe = f"a@{domain}"
    try:
        found = email_validator.validate_email(probe, check_deliverability=False)
    except email_validator.EmailNotValidError:
        return False
    return found.normalized == probe


def _website(value: Any) -> str | None:
    text = _stripped(value)
    if text is None:
        return None
    try:
        url = str(_WEBSITE.validate_python(text))
    except ValidationError:
        raise _Doubt from None
    if len(url) > WEBSITE_MAX:
        raise _Doubt
    return url


def _opening_hours(value: Any) -> list[dict[str, str]]:
    if type(value) is not list or len(value) > 50:
        raise _Doubt
    rows = []
    for rule in value:
        if type(rule) is not dict or rule.keys() != _HOURS_KEYS:
            raise _Doubt
        day, opens, closes = rule["day"], rule["opens"], rule["closes"]
        if (
            type(day) is not str
            or day not in _DAYS
            or type(opens) is not str
            or type(closes) is not str
            or not _HOUR.fullmatch(opens)
            or not _HOUR.fullmatch(closes)
            or closes <= opens
        ):
            raise _Doubt
        rows.append({"day": day, "opens": opens, "closes": closes})
    return rows


def _accessibility(value: Any) -> list[str]:
    if type(value) is not list:
        raise _Doubt
    for item in value:
        if type(item) is not str or item not in _ACCESSIBILITY:
            raise _Doubt
    return list(value)


def _codes(value: Any, pattern: re.Pattern[str], most: int, longest: int) -> list[str]:
    if type(value) is not list or len(value) > most:
        raise _Doubt
    for item in value:
        if type(item) is not str or len(item) > longest or not pattern.fullmatch(item):
            raise _Doubt
    return sorted(set(value))


def _moment(value: Any) -> datetime | None:
    if value is None:
        return None
    if type(value) is not str or not _MOMENT.fullmatch(value):
        raise _Doubt
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _Doubt from None
    if moment > datetime.now(UTC):
        raise _Doubt
    return moment.astimezone(UTC)


def _location(value: Any) -> tuple[float, float]:
    if type(value) is not dict or value.keys() != _POINT_KEYS:
        raise _Doubt
    coordinates = value["coordinates"]
    if value["type"] != "Point" or type(coordinates) is not list or len(coordinates) != 2:
        raise _Doubt
    lon, lat = _degrees(coordinates[0], 180.0), _degrees(coordinates[1], 90.0)
    return lon, lat


def _degrees(value: Any, bound: float) -> float:
    kind = type(value)
    if kind is str:
        if not _DEGREES.fullmatch(value):
            raise _Doubt
    elif kind is int:
        if not -bound <= value <= bound:  # before float(): a huge int would not convert
            raise _Doubt
    elif kind is not float:
        raise _Doubt
    number = float(value)
    if not -bound <= number <= bound:  # also refuses nan
        raise _Doubt
    return number
