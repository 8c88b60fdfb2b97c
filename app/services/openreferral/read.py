"""Reading Open Referral UK: services from another directory's API or from files become assets.

A source is an ORUK API base URL (its `/services` pages are walked and each `/services/{id}`
fetched, fully nested), a JSON file or folder of them (a fully nested service, a page of
them, or a list), or the profile's CSV data package (package.py assembles its tables into
nested services; a service naming a row the package lacks is skipped).
Each service becomes one asset in assetmap's own columns and the whole lot
goes through the asset import (app/services/imports/assets.py): matched by source + the ORUK
service id, so importing again changes nothing, and all or nothing.

What cannot be held is never dropped silently: a service without a location with coordinates
on Earth, a summary without its locations, or an inactive or defunct one is *skipped*, and a
schedule that is not weekly, a taxonomy term no theme maps to, or accessibility text outside
the registry's features is *noted*; the report lists both.
"""

import json
import tempfile
import unicodedata
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import MultiPolygon, shape
from sqlalchemy.orm import Session

from app.i18n.schedules import schedule_words
from app.models import Theme
from app.paths import DATA_DIR
from app.schemas.assets import normalise_postcode
from app.services.assets.themes import list_themes
from app.services.imports.assets import ImportOptions, ImportReport, import_assets
from app.services.openreferral.package import DATAPACKAGE, PackageError, read_package
from app.services.openreferral.publish import BYDAY, oruk_id
from app.vocabularies import ACCESSIBILITY, DAYS, PUBLIC_KINDS

DEFAULT_MAPPING = DATA_DIR / "mappings" / "openreferral_terms.json"
PER_PAGE = 100
MAX_BYTES = 20 * 1024 * 1024
TIMEOUT = 30
DAY_OF = {code: day for day, code in BYDAY.items()}
WEEKDAY = {BYDAY[day]: number for number, day in enumerate(DAYS)}
HELD = ("active", "temporarily closed")


class OrukSourceError(ValueError):
    """The source as a whole cannot be read (unreachable, not JSON, not ORUK)."""


@dataclass(frozen=True)
class Skipped:
    """A service that could not become an asset, and why."""

    service_id: str
    name: str
    reason: str


@dataclass
class OrukImportReport:
    """What reading the source found, and what the asset import then did."""

    source: str
    services: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    assets: ImportReport | None = None

    @property
    def ok(self) -> bool:
        """True when every service that could be held was imported."""
        return self.assets is None or self.assets.ok


# ---- reading the source -------------------------------------------------------------------------


def fetch_json(url: str, *, language: str | None = None) -> Any:
    """GET a JSON document over http(s) (OrukSourceError if it fails or is not JSON)."""
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise OrukSourceError(f"not an http(s) URL: {url}")
    headers = {"Accept": "application/json", "User-Agent": "assetmap-openreferral-import"}
    if language:
        headers["Accept-Language"] = language
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            body = response.read(MAX_BYTES + 1)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise OrukSourceError(f"cannot read {url}: {exc}") from None
    if len(body) > MAX_BYTES:
        raise OrukSourceError(f"{url} is larger than {MAX_BYTES // 1024 // 1024} MB")
    try:
        return json.loads(body)
    except ValueError:
        raise OrukSourceError(f"{url} did not answer JSON") from None


def harvest_url(
    base: str, *, welsh: bool, progress: Callable[[int, int], None] | None = None
) -> Iterator[tuple[dict[str, Any], dict[str, Any] | None]]:
    """Every service of an ORUK API, fully nested (and in Welsh too when `welsh`)."""
    base = base.rstrip("/")
    page, done = 1, 0
    while True:
        document = fetch_json(f"{base}/services?page={page}&per_page={PER_PAGE}")
        if not isinstance(document, dict) or not isinstance(document.get("contents"), list):
            raise OrukSourceError(f"{base}/services is not a page of ORUK services")
        total = int(document.get("total_items") or 0)
        for item in document["contents"]:
            service_id = urllib.parse.quote(str(item.get("id", "")), safe="")
            full = fetch_json(f"{base}/services/{service_id}")
            in_welsh = fetch_json(f"{base}/services/{service_id}", language="cy") if welsh else None
            done += 1
            if progress is not None:
                progress(done, total)
            yield full, in_welsh
        if document.get("last_page", True) or not document["contents"]:
            return
        page += 1


def _services_in(document: Any) -> list[Any]:
    if isinstance(document, list):
        return document
    if isinstance(document, dict) and isinstance(document.get("contents"), list):
        return list(document["contents"])
    if isinstance(document, dict) and "service" in document and "location" in document:
        service = dict(document["service"])  # a service_at_location: its service, there
        service.setdefault("service_at_locations", [document])
        return [service]
    return [document]


def harvest_path(path: Path) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
    """The services in a JSON file, or in every .json file of a folder (by name)."""
    files = sorted(path.glob("*.json")) if path.is_dir() else [path]
    if not files:
        raise OrukSourceError(f"no .json files in {path}")
    found: list[tuple[dict[str, Any], dict[str, Any] | None]] = []
    for file in files:
        try:
            document = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise OrukSourceError(f"cannot read {file}: {exc}") from None
        for item in _services_in(document):
            if isinstance(item, dict) and "name" in item and "status" in item:
                found.append((item, None))
    return found


def is_package(path: Path) -> bool:
    """Whether a path is the profile's CSV data package (its folder or its datapackage.json)."""
    if path.is_dir():
        return any((path / name).is_file() for name in (DATAPACKAGE, "services.csv", "service.csv"))
    return path.name == DATAPACKAGE


def harvest_package(
    path: Path,
) -> tuple[list[tuple[dict[str, Any], dict[str, Any] | None]], list[Skipped], list[str]]:
    """The services of a CSV data package; those naming a row it lacks, skipped; notes."""
    try:
        package = read_package(path)
    except PackageError as exc:
        raise OrukSourceError(str(exc)) from None
    skipped = [
        Skipped(str(row.get("id")), str(row.get("name") or ""), reason)
        for row, reason in package.missing
    ]
    return [(service, None) for service in package.services], skipped, package.notes


# ---- taxonomy terms -> themes -------------------------------------------------------------------


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def load_term_mapping(path: Path | None) -> dict[str, str]:
    """A mapping file's terms (id, term code or name -> theme code), keys folded."""
    path = path or DEFAULT_MAPPING
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        terms = document["terms"]
        assert isinstance(terms, dict)
    except (OSError, ValueError, KeyError, AssertionError) as exc:
        raise OrukSourceError(f"{path}: not a terms mapping ({exc})") from None
    return {_fold(str(key)): str(value) for key, value in terms.items()}


def _theme_of(term: dict[str, Any], mapping: dict[str, str], themes: list[Theme]) -> str | None:
    codes = {t.code for t in themes}
    if term.get("taxonomy_id") == oruk_id("taxonomy", "themes") and term.get("term") in codes:
        return str(term["term"])
    for key in (term.get("id"), term.get("term"), term.get("name")):
        if key and _fold(str(key)) in mapping and mapping[_fold(str(key))] in codes:
            return mapping[_fold(str(key))]
    name = _fold(str(term.get("name") or ""))
    for theme in themes:
        if name and name in (_fold(theme.label_en), _fold(theme.label_cy)):
            return theme.code
    return None


# ---- one service -> one asset -------------------------------------------------------------------


class Skip(Exception):
    """This service cannot become an asset (the reason is the message)."""


def _located(service: dict[str, Any]) -> dict[str, Any]:
    for at in service.get("service_at_locations") or []:
        location = (at or {}).get("location") or {}
        lat, lon = location.get("latitude"), location.get("longitude")
        if isinstance(lat, int | float) and isinstance(lon, int | float):
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise Skip(f"its location ({lat}, {lon}) is not a latitude and longitude on Earth")
            return dict(location)
    if "service_at_locations" not in service:
        raise Skip("a summary without its locations: give the fully nested service")
    raise Skip("no location with coordinates (virtual or postal-only services are not held)")


def _address(location: dict[str, Any]) -> tuple[str | None, str | None]:
    for address in location.get("addresses") or []:
        postcode = None
        raw = str(address.get("postal_code") or "").strip()
        if raw:
            try:
                postcode = normalise_postcode(raw)
            except ValueError:
                postcode = None
        parts = [address.get("address_1"), address.get("city"), address.get("state_province")]
        if raw and postcode is None:
            parts.append(raw)  # not a UK postcode: kept in the address text
        text = ", ".join(str(p).strip() for p in parts if p and str(p).strip())
        return text or None, postcode
    return None, None


def _hours(
    service: dict[str, Any], welsh: dict[str, Any] | None, notes: list[str], name: str
) -> list[dict[str, Any]]:
    hours: list[dict[str, Any]] = []
    in_welsh = {s.get("id"): s for s in (welsh or {}).get("schedules") or []}
    for schedule in service.get("schedules") or []:
        opens, closes = schedule.get("opens_at"), schedule.get("closes_at")
        days = [d.strip() for d in str(schedule.get("byday") or "").split(",") if d.strip()]
        rules = _rules(schedule, days) if opens and closes else None
        if not rules:
            notes.append(
                f"{name}: schedule {schedule.get('description') or schedule.get('id')!r} is not "
                "a weekly, every-N-weeks or Nth-weekday-of-the-month time: not imported"
            )
            continue
        for rule in rules:
            rule.update(opens=opens[:5], closes=closes[:5])
            if set(rule) != {"day", "opens", "closes"} or schedule.get("notes"):
                rule.update(_dates_and_words(schedule, rule))
                note_cy = _note(in_welsh.get(schedule.get("id")) or {}, rule, "cy")
                if note_cy and note_cy != rule.get("note_en"):
                    rule["note_cy"] = note_cy
            hours.append(rule)
    return hours


def _rules(schedule: dict[str, Any], days: list[str]) -> list[dict[str, Any]] | None:
    """The day-by-day rules of an ORUK schedule, or None when it says something else."""
    freq, interval = schedule.get("freq"), schedule.get("interval") or 1
    if freq == "MONTHLY" and interval == 1 and not schedule.get("bymonthday"):
        rules = []
        for part in days:
            ordinal, code = part[:-2], part[-2:]
            if code not in DAY_OF or ordinal not in ("1", "2", "3", "4", "-1"):
                return None
            rules.append({"day": DAY_OF[code], "week_of_month": int(ordinal)})
        return rules or None
    if freq != "WEEKLY" or not days or any(code not in DAY_OF for code in days):
        return None
    if interval == 1:
        return [{"day": DAY_OF[code]} for code in days]
    try:
        start = date.fromisoformat(str(schedule.get("dtstart") or "")[:10])
        every = int(interval)
    except ValueError:
        return None
    rules = []
    for code in days:
        # iCal counts whole weeks (from Monday) from dtstart's week; a day before dtstart in
        # that week first happens `interval` weeks later.
        first = start - timedelta(days=start.weekday()) + timedelta(days=WEEKDAY[code])
        if first < start:
            first += timedelta(weeks=every)
        rules.append({"day": DAY_OF[code], "every_weeks": every, "starting": first.isoformat()})
    return rules


def _dates_and_words(schedule: dict[str, Any], rule: dict[str, Any]) -> dict[str, Any]:
    """A rule's dates, closures and note from an ORUK schedule (as publish.py writes them)."""
    fields: dict[str, Any] = {}
    for key in ("valid_from", "valid_to"):
        if schedule.get(key):
            fields[key] = str(schedule[key])[:10]
    closures, other = [], []
    for part in filter(None, (p.strip() for p in str(schedule.get("notes") or "").split(";"))):
        closure = _closure(part)
        if closure is None:
            other.append(part)
        else:
            closures.append(closure)
    if closures:
        fields["closures"] = closures
    note = " ".join(filter(None, (_note(schedule, {**rule, **fields}, "en"), *other)))
    if note:
        fields["note_en"] = note
    return fields


def _note(schedule: dict[str, Any], rule: dict[str, Any], lang: str) -> str:
    """A schedule's description without the rule's own words in `lang` (publish.py's form)."""
    when = schedule_words(rule, lang).when
    description = (schedule.get("description") or "").strip()
    if description.startswith(f"{when}. "):
        return description[len(when) + 2 :]
    return "" if description == when else description


def _closure(text: str) -> dict[str, str] | None:
    """{closed_from, closed_to} from 'Closed 24 December 2026 to 2 January 2027' (or one day)."""
    if not text.startswith("Closed "):
        return None
    parts = text.removeprefix("Closed ").split(" to ")
    try:
        dates = [datetime.strptime(part, "%d %B %Y").date() for part in parts]
    except ValueError:
        return None
    if len(dates) not in (1, 2):
        return None
    return {"closed_from": dates[0].isoformat(), "closed_to": dates[-1].isoformat()}


def _service_area(service: dict[str, Any]) -> str | None:
    for area in service.get("service_areas") or []:
        if area.get("extent_type") == "geojson" and area.get("extent"):
            try:
                geometry = shape(json.loads(area["extent"]))
            except (ValueError, TypeError, AttributeError, shapely.errors.ShapelyError):
                return None
            if geometry.geom_type == "Polygon":
                geometry = MultiPolygon([geometry])
            if geometry.geom_type == "MultiPolygon":
                return str(geometry.wkt)
    return None


def _kind(service: dict[str, Any]) -> str:
    for attribute in service.get("attributes") or []:
        term = (attribute or {}).get("taxonomy_term") or {}
        if term.get("taxonomy_id") == oruk_id("taxonomy", "kinds") and term.get("term") in (
            PUBLIC_KINDS
        ):
            return str(term["term"])
    return "organisation" if service.get("organization") else "service"


def asset_feature(
    service: dict[str, Any],
    welsh: dict[str, Any] | None,
    mapping: dict[str, str],
    themes: list[Theme],
    source: str,
    notes: list[str],
) -> dict[str, Any]:
    """A GeoJSON feature in assetmap's own columns for one ORUK service; Skip if it cannot be
    held."""
    name = str(service.get("name") or "").strip()
    if service.get("status") not in HELD:
        raise Skip(f"its status is {service.get('status')!r}: only active services are held")
    if not name:
        raise Skip("it has no name")
    location = _located(service)
    organization = service.get("organization") or {}
    address, postcode = _address(location)
    theme_codes: list[str] = []
    for attribute in service.get("attributes") or []:
        term = (attribute or {}).get("taxonomy_term") or {}
        if term.get("taxonomy_id") == oruk_id("taxonomy", "kinds"):
            continue
        code = _theme_of(term, mapping, themes)
        if code is None:
            notes.append(f"{name}: taxonomy term {term.get('name')!r} maps to no theme")
        elif code not in theme_codes:
            theme_codes.append(code)
    accessibility = []
    for item in location.get("accessibility") or []:
        code = item.get("accessibility")
        if code in ACCESSIBILITY:
            accessibility.append(code)
        elif item.get("description"):
            notes.append(
                f"{name}: accessibility {item['description'][:60]!r} is not one of "
                "the registry's features: not imported"
            )
    phones = [p.get("number") for p in service.get("phones") or [] if p.get("number")]
    languages = [lang["code"] for lang in service.get("languages") or [] if lang.get("code")]
    assured = service.get("assured_date")
    properties: dict[str, Any] = {
        "source": source,
        "source_id": str(service.get("id")),
        "kind": _kind(service),
        "name_en": name,
        "description_en": (service.get("description") or "").strip() or None,
        "themes": theme_codes,
        "address": address,
        "postcode": postcode,
        "email": service.get("email") or organization.get("email"),
        "phone": phones[0] if phones else None,
        "website": service.get("url") or organization.get("website"),
        "opening_hours": _hours(service, welsh, notes, name),
        "accessibility": accessibility,
        "languages": languages,
        "service_area": _service_area(service),
        "status": "published",
        "last_verified_at": f"{assured}T00:00:00+00:00" if assured else None,
    }
    if welsh is not None:
        for stem, key in (("name", "name"), ("description", "description")):
            text = (welsh.get(key) or "").strip()
            if text and text != (service.get(key) or "").strip():
                properties[f"{stem}_cy"] = text
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [location["longitude"], location["latitude"]]},
        "properties": {k: v for k, v in properties.items() if v not in (None, [], "")},
    }


# ---- the import ---------------------------------------------------------------------------------


def import_openreferral(
    session: Session,
    source: str,
    *,
    source_name: str | None = None,
    mapping: Path | None = None,
    welsh: bool = False,
    dry_run: bool = False,
    actor: str = "import",
    progress: Callable[[int, int], None] | None = None,
) -> OrukImportReport:
    """Read every service of `source` (URL, file or folder) and import those that can be held
    (flushed, not committed: the caller commits when the report is ok and not a dry run)."""
    is_url = urllib.parse.urlsplit(source).scheme in ("http", "https")
    package = None
    if is_url:
        services = list(harvest_url(source, welsh=welsh, progress=progress))
        name = source_name or urllib.parse.urlsplit(source).netloc
    else:
        path = Path(source)
        if not path.exists():
            raise OrukSourceError(f"no such file or folder: {source}")
        package = harvest_package(path) if is_package(path) else None
        services = harvest_path(path) if package is None else package[0]
        name = source_name or "openreferral"
        for done in range(1, len(services) + 1):
            if progress is not None:
                progress(done, len(services))
    report = OrukImportReport(source=source, services=len(services))
    if package is not None:
        report.services += len(package[1])
        report.skipped += package[1]
        report.notes += package[2]
    terms = load_term_mapping(mapping)
    themes = list_themes(session)
    features = []
    for service, in_welsh in services:
        try:
            features.append(asset_feature(service, in_welsh, terms, themes, name, report.notes))
        except Skip as exc:
            report.skipped.append(
                Skipped(str(service.get("id")), str(service.get("name") or ""), str(exc))
            )
    with tempfile.TemporaryDirectory(prefix="assetmap-oruk-") as folder:
        path = Path(folder) / "services.geojson"
        path.write_text(
            json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8"
        )
        options = ImportOptions(dry_run=dry_run, source=name, new_ids=True, actor=actor)
        report.assets = import_assets(session, path, options)
    report.assets.path, report.assets.format = Path(name), "openreferral"
    for number in sorted({p.number for p in report.assets.problems if p.number > 0}):
        props = features[number - 1]["properties"]
        report.notes.append(
            f"feature {number} is service {props['name_en']!r} ({props['source_id']})"
        )
    return report
