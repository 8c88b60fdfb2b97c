"""Published assets as Open Referral UK 3.0 documents (the profile's compiled schemas).

The mapping, deliberately (the README's "Open Referral UK" section says the same):
- every published asset of a public kind (group, space, organisation, service, business,
  culture) is one ORUK **service** at one physical **location** (its point and address), joined
  by one **service_at_location**; people (skill, volunteer) and pending or archived records never
  appear, whoever asks;
- an organisation, group or business is also the service's **organization** (the body that
  offers it, with its email and website); a service, space or culture asset has no organization
  here, as the registry does not hold who runs it;
- themes are the terms of the taxonomy "assetmap themes" and kinds of "assetmap asset kinds";
  each service carries its themes and its kind as **attributes** (taxonomy terms);
- opening rules are **schedules**: weekly ones WEEKLY (byday, opens_at, closes_at), every N
  weeks WEEKLY with interval and dtstart, the Nth weekday MONTHLY with byday "1TU" / "-1FR";
  valid_from/valid_to as held; the description is the rule in words then its note, and
  closures, which ORUK has no field for, are `notes` in words; languages,
  accessibility (on the location), the phone number (`phones`, as HSDS 3 has it) and the
  service area (GeoJSON `extent`) follow;
- ids are UUIDs that never change: a service, location, service_at_location or organization
  id carries its asset's id (a version 8 UUID: a fixed tag of the object type, then the id), so
  it can be looked up; the ids of the parts (schedules, languages, ...) are uuid5 names.

Text is in English, or in Welsh where held for `lang="cy"` (English when no Welsh is held).
"""

import functools
import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import orjson
from shapely.geometry import mapping
from sqlalchemy.orm import Session

from app.i18n import translations
from app.i18n.labels import accessibility_labels, day_names, kind_labels, language_name
from app.i18n.schedules import is_plain_weekly, schedule_words
from app.models import Theme
from app.schemas.assets import AssetRecord
from app.schemas.schedules import OpeningPeriod
from app.services.assets.records import (
    AssetFilters,
    Near,
    asset_records,
    build_list_query,
    count_assets,
)
from app.services.assets.themes import list_themes, themes_named
from app.services.assets.visibility import ANONYMOUS
from app.vocabularies import PUBLIC_KINDS

# Fixed for this project: the same asset always has the same ids in every answer.
NAMESPACE = uuid.UUID("1a417808-ad80-489c-9504-e5f08d69cfb2")
PUBLIC = replace(ANONYMOUS, with_people=False)
ORGANIZATION_KINDS = ("organisation", "group", "business")
BYDAY = {"mon": "MO", "tue": "TU", "wed": "WE", "thu": "TH", "fri": "FR", "sat": "SA", "sun": "SU"}
PER_PAGE = 50
MAX_PER_PAGE = 500
VERSION = "3.0"
PROFILE = "https://github.com/openreferral/uk-profile"
OPENAPI_URL = "https://raw.githubusercontent.com/openreferral/uk-profile/main/schema/openapi.json"


def oruk_id(*parts: object) -> str:
    """The stable UUID of a part of a document (e.g. oruk_id("asset", 7, "language", "cy"))."""
    return str(uuid.uuid5(NAMESPACE, "/".join(str(p) for p in parts)))


# The objects whose ids carry their asset's id, and can be looked up by it.
OBJECTS = ("service", "location", "service_at_location", "organization")
ASSET_ID_BITS = 48


def _tag(kind: str) -> int:
    """The fixed 80 high bits of an object type's ids."""
    return uuid.uuid5(NAMESPACE, f"object/{kind}").int >> ASSET_ID_BITS


def asset_object_id(kind: str, asset_id: int) -> str:
    """The id of an asset's service, location, service_at_location or organization: a version
    8 UUID (RFC 9562) of the type's tag and the asset id."""
    value = (_tag(kind) << ASSET_ID_BITS) | asset_id
    value = (value & ~(0xF << 76)) | (0x8 << 76)  # version 8
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # RFC 9562 variant
    return str(uuid.UUID(int=value))


def asset_of(kind: str, object_id: str) -> int | None:
    """The asset id an object id of this type carries; None when it is not one of ours."""
    try:
        asset_id = uuid.UUID(object_id).int & ((1 << ASSET_ID_BITS) - 1)
    except ValueError:
        return None
    if not 0 < asset_id < 2**31 or asset_object_id(kind, asset_id) != object_id.lower():
        return None
    return asset_id


def _text(record: Mapping[str, Any], stem: str, lang: str) -> str:
    if lang == "cy":
        return record.get(f"{stem}_cy") or record.get(f"{stem}_en") or ""
    return record.get(f"{stem}_en") or record.get(f"{stem}_cy") or ""


# ---- taxonomies ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """A term of one of the two taxonomies (themes, kinds) and its taxonomy."""

    code: str
    taxonomy: str  # "themes" or "kinds"
    name: str

    @property
    def id(self) -> str:
        return oruk_id("taxonomy", self.taxonomy, self.code)


def taxonomies(lang: str) -> list[dict[str, Any]]:
    """The two taxonomies terms come from."""
    _ = translations(lang).gettext
    return [
        {
            "id": oruk_id("taxonomy", "themes"),
            "name": _("assetmap themes"),
            "description": _("The themes community assets are grouped by (English and Welsh)."),
            "version": "1",
        },
        {
            "id": oruk_id("taxonomy", "kinds"),
            "name": _("assetmap asset kinds"),
            "description": _(
                "What kind of community asset it is: a group, space, organisation, service, "
                "business or culture."
            ),
            "version": "1",
        },
    ]


@functools.cache
def _taxonomy(code: str, lang: str) -> dict[str, Any]:
    """One of the two taxonomies ("themes", "kinds"), made once per language (every term of
    every service names its taxonomy)."""
    wanted = oruk_id("taxonomy", code)
    return next(t for t in taxonomies(lang) if t["id"] == wanted)


def terms(session: Session, lang: str) -> list[Term]:
    """Every term: the active themes in taxonomy order, then the public kinds."""
    themes: Sequence[Theme] = list_themes(session)
    kinds = kind_labels(lang)
    return [Term(t.code, "themes", t.label_cy if lang == "cy" else t.label_en) for t in themes] + [
        Term(kind, "kinds", kinds[kind]) for kind in PUBLIC_KINDS
    ]


def term_document(term: Term, lang: str) -> dict[str, Any]:
    """A taxonomy_term."""
    taxonomy = _taxonomy(term.taxonomy, lang)
    return {
        "id": term.id,
        "name": term.name,
        "description": term.name,
        "code": term.code,
        "taxonomy": taxonomy["name"],
        "taxonomy_id": taxonomy["id"],
        "term": term.code,
    }


# ---- one service --------------------------------------------------------------------------------


def _schedules(record: AssetRecord, lang: str) -> list[dict[str, Any]]:
    service_id = asset_object_id("service", record["id"])
    days = day_names(lang)
    _ = translations(lang).gettext
    out = []
    for period in record.get("opening_hours") or []:
        day, opens, closes = period["day"], period["opens"], period["closes"]
        schedule: dict[str, Any] = {
            # A weekly slot keeps the id it always had; a richer rule adds what sets it apart.
            "id": oruk_id("asset", record["id"], "schedule", day, opens, closes)
            if is_plain_weekly(period)
            else oruk_id("asset", record["id"], "schedule", orjson.dumps(period).decode()),
            "service_id": service_id,
            "freq": "WEEKLY",
            "interval": 1,
            "byday": BYDAY[day],
            "opens_at": f"{opens}:00",
            "closes_at": f"{closes}:00",
            "description": _("%(day)s, %(opens)s to %(closes)s")
            % {"day": days[day], "opens": opens, "closes": closes},
        }
        if not is_plain_weekly(period):
            schedule.update(_rule_fields(period, lang))
        out.append(schedule)
    return out


def _rule_fields(period: OpeningPeriod, lang: str) -> dict[str, Any]:
    # HSDS schedules are iCal-like: every N weeks is WEEKLY with an interval counted from
    # dtstart; the Nth weekday is MONTHLY with a numbered byday ("1TU", "-1FR"). ORUK has no
    # field for closures, so they go in `notes` in words; the note follows the rule's words in
    # the `description` (read.py takes it back off).
    words = schedule_words(period, lang)
    fields: dict[str, Any] = {"description": words.when}
    if period.get("week_of_month") is not None:
        fields.update(freq="MONTHLY", byday=f"{period['week_of_month']}{BYDAY[period['day']]}")
    elif period.get("every_weeks", 1) > 1:
        fields["interval"] = period["every_weeks"]
    if period.get("starting"):
        fields["dtstart"] = period["starting"]
    for key in ("valid_from", "valid_to"):
        if period.get(key):
            fields[key] = period[key]
    if words.note:
        fields["description"] = f"{words.when}. {words.note}"
    if words.closures:
        fields["notes"] = "; ".join(words.closures)
    return fields


def _location(record: AssetRecord, lang: str) -> dict[str, Any]:
    location_id = asset_object_id("location", record["id"])
    labels = accessibility_labels(lang)
    location: dict[str, Any] = {
        "id": location_id,
        "location_type": "physical",
        "name": _text(record, "name", lang),
        "latitude": round(record["lat"], 6),
        "longitude": round(record["lon"], 6),
        "external_identifier": str(record["id"]),
        "external_identifier_type": "assetmap asset id",
        "addresses": [],
        "accessibility": [
            {
                "id": oruk_id("asset", record["id"], "accessibility", code),
                "location_id": location_id,
                "description": labels.get(code, code),
                "accessibility": code,
            }
            for code in record.get("accessibility") or []
        ],
    }
    if record.get("address") or record.get("postcode"):
        lines = [part.strip() for part in (record.get("address") or "").split(",") if part.strip()]
        location["addresses"].append(
            {
                "id": oruk_id("asset", record["id"], "address"),
                "location_id": location_id,
                "address_1": lines[0] if lines else "",
                "city": lines[-1] if len(lines) > 1 else "",
                "region": "",
                "state_province": "",
                "postal_code": record.get("postcode") or "",
                "country": "GB",
                "address_type": "physical",
            }
        )
    return location


def _organization(record: AssetRecord, lang: str) -> dict[str, Any] | None:
    if record["kind"] not in ORGANIZATION_KINDS:
        return None
    organization: dict[str, Any] = {
        "id": asset_object_id("organization", record["id"]),
        "name": _text(record, "name", lang),
        "description": _text(record, "description", lang),
    }
    if record.get("email"):
        organization["email"] = record["email"]
    if record.get("website"):
        organization["website"] = record["website"]
    return organization


def service_summary(record: AssetRecord, lang: str) -> dict[str, Any]:
    """A service as one item of a page of services (compiled/service_list.json)."""
    service: dict[str, Any] = {
        "id": asset_object_id("service", record["id"]),
        "name": _text(record, "name", lang),
        "description": _text(record, "description", lang),
        "status": "active",
        "last_modified": record["updated_at"].isoformat(),
    }
    if record.get("website"):
        service["url"] = record["website"]
    if record.get("email"):
        service["email"] = record["email"]
    verified = record.get("last_verified_at")
    if verified is not None:
        service["assured_date"] = verified.date().isoformat()
    organization = _organization(record, lang)
    if organization is not None:
        service["organization_id"] = organization["id"]
        service["organization"] = organization
    return service


def service_document(record: AssetRecord, lang: str, names: Mapping[str, Term]) -> dict[str, Any]:
    """A fully nested service (compiled/service.json): `names` is every term by its code
    (themes and kinds)."""
    service = service_summary(record, lang)
    service_id = service["id"]
    location = _location(record, lang)
    service["service_at_locations"] = [
        {
            "id": asset_object_id("service_at_location", record["id"]),
            "service_id": service_id,
            "location_id": location["id"],
            "location": location,
        }
    ]
    service["schedules"] = _schedules(record, lang)
    service["languages"] = [
        {
            "id": oruk_id("asset", record["id"], "language", code),
            "service_id": service_id,
            "code": code,
            "name": language_name(code, lang),
        }
        for code in record.get("languages") or []
    ]
    service["phones"] = (
        [
            {
                "id": oruk_id("asset", record["id"], "phone"),
                "service_id": service_id,
                "number": record["phone"],
            }
        ]
        if record.get("phone")
        else []
    )
    service["contacts"] = []
    area = record.get("service_area")
    service["service_areas"] = (
        [
            {
                "id": oruk_id("asset", record["id"], "service_area"),
                "service_id": service_id,
                "name": service["name"],
                "extent": orjson.dumps(mapping(area)).decode(),
                "extent_type": "geojson",
            }
        ]
        if area is not None
        else []
    )
    codes = [*record.get("themes", []), record["kind"]]
    service["attributes"] = [
        {
            "id": oruk_id("asset", record["id"], "attribute", names[code].taxonomy, code),
            "link_id": service_id,
            "link_type": "service",
            "taxonomy_term_id": names[code].id,
            "taxonomy_term": term_document(names[code], lang),
        }
        for code in codes
        if code in names
    ]
    return service


def service_at_location_document(
    record: AssetRecord, lang: str, names: Mapping[str, Term], *, full: bool
) -> dict[str, Any]:
    """A service_at_location with its location and its service (fully nested when `full`)."""
    service = service_document(record, lang, names) if full else service_summary(record, lang)
    location = _location(record, lang)
    document: dict[str, Any] = {
        "id": asset_object_id("service_at_location", record["id"]),
        "service_id": service["id"],
        "location_id": location["id"],
        "location": location,
        "service": service,
    }
    if "distance_m" in record:
        document["distance"] = round(record["distance_m"])
    return document


# ---- finding services ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceQuery:
    """What a page of services is narrowed by (the profile's query parameters)."""

    text: str | None = None
    taxonomy_term_id: str | None = None
    taxonomy_id: str | None = None
    near: Near | None = None
    page: int = 1
    per_page: int = PER_PAGE


class UnknownTerm(ValueError):
    """A taxonomy_term_id or taxonomy_id that names no term or taxonomy here."""


def _filters(session: Session, query: ServiceQuery, names: Mapping[str, Term]) -> AssetFilters:
    kinds: tuple[str, ...] = PUBLIC_KINDS
    themes: tuple[str, ...] = ()
    if query.taxonomy_term_id is not None:
        term = next((t for t in names.values() if t.id == query.taxonomy_term_id), None)
        if term is None:
            raise UnknownTerm("taxonomy_term_id")
        if term.taxonomy == "kinds":
            kinds = (term.code,)
        else:
            themes = (term.code,)
    if query.taxonomy_id is not None and query.taxonomy_id not in {
        oruk_id("taxonomy", "themes"),
        oruk_id("taxonomy", "kinds"),
    }:
        raise UnknownTerm("taxonomy_id")
    if query.taxonomy_id == oruk_id("taxonomy", "themes") and not themes:
        themes = tuple(t.code for t in names.values() if t.taxonomy == "themes")
    text = query.text.strip() if query.text else None
    return AssetFilters(
        kinds=kinds,
        themes=themes,
        q=text or None,
        q_themes=themes_named(session, text) if text else (),
        near=query.near,
        statuses=("published",),
    )


@dataclass(frozen=True)
class Found:
    """One page of matching published assets, and how many match in all."""

    records: list[AssetRecord]
    total: int


def find(session: Session, query: ServiceQuery, names: Mapping[str, Term]) -> Found:
    """The page of published public assets the query asks for (nearest first with a point,
    else by id)."""
    filters = _filters(session, query, names)
    total = count_assets(session, viewer=PUBLIC, filters=filters)
    stmt = build_list_query(
        session, viewer=PUBLIC, filters=filters, limit=query.per_page, cursor=None
    ).offset((query.page - 1) * query.per_page)
    rows = list(session.execute(stmt))[: query.per_page]
    return Found(asset_records(rows), total)


def page_document(found: Found, query: ServiceQuery, contents: list[Any]) -> dict[str, Any]:
    """The profile's page envelope around `contents`."""
    pages = math.ceil(found.total / query.per_page) if found.total else 0
    return {
        "total_items": found.total,
        "total_pages": pages,
        "page_number": query.page,
        "size": len(contents),
        "first_page": query.page == 1,
        "last_page": query.page >= pages,
        "empty": not contents,
        "contents": contents,
    }


def names_by_code(session: Session, lang: str) -> dict[str, Term]:
    """Every term by its code (theme codes and kind codes do not overlap)."""
    return {t.code: t for t in terms(session, lang)}


def paged(items: list[dict[str, Any]], page: int, per_page: int) -> dict[str, Any]:
    """A short list held in memory (taxonomies, terms) as one page of the profile's envelope."""
    start = (page - 1) * per_page
    contents = items[start : start + per_page]
    return page_document(
        Found([], len(items)), ServiceQuery(page=page, per_page=per_page), contents
    )


def every_service(session: Session, lang: str = "en") -> list[dict[str, Any]]:
    """Every published public asset as a fully nested service (what /services/{id} answers),
    for an export."""
    names = names_by_code(session, lang)
    documents, page = [], 1
    while True:
        found = find(session, ServiceQuery(page=page, per_page=MAX_PER_PAGE), names)
        documents += [service_document(record, lang, names) for record in found.records]
        if page * MAX_PER_PAGE >= found.total or not found.records:
            return documents
        page += 1
