"""One record of an import file -> a validated row (or the problems that stop it).

Every record obeys every rule an API write does: AssetCreate's, through the bulk validator
(validation.py) that gives its answers at import speed. The rows carry plain values only (no
pydantic objects), so batches of them pass cheaply between processes (see worker.py).
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from itertools import islice
from typing import Any

from pydantic import TypeAdapter, ValidationError
from shapely.geometry import mapping as geojson_mapping

from app.schemas.assets import AreaIn, AssetCreate, fold
from app.schemas.schedules import OpeningHours
from app.services.assets.records import AUDITED_COLUMNS
from app.services.imports.formats import SourceFile, SourceRecord, native_row
from app.services.imports.mappings import LIST_TARGETS, Mapping, UnmappedValue
from app.services.imports.validation import plain_asset_values

Key = tuple[str, str]
_AREA = TypeAdapter(AreaIn)


@dataclass(frozen=True)
class Problem:
    """Why one record cannot be imported: its line or feature number, the field and the reason."""

    number: int
    field: str
    reason: str


@dataclass(frozen=True)
class ImportOptions:
    """How to import: a mapping for other publishers' columns, dry run, defaults."""

    mapping: Mapping | None = None
    dry_run: bool = False
    source: str | None = None
    new_ids: bool = False
    actor: str = "import"


@dataclass
class Row:
    """A valid record: its stored values, what a re-import may change, and the file's own
    id, version and timestamps (kept for new assets)."""

    number: int
    values: dict[str, Any]
    update_fields: frozenset[str]
    id: int | None = None
    version: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def key(self) -> Key | None:
        """(source, source_id) when the record has both."""
        source, source_id = self.values["source"], self.values["source_id"]
        return (source, source_id) if source and source_id else None


@dataclass
class Batch:
    """Consecutive records of a file: the valid rows, the problems, how many records."""

    rows: list[Row]
    problems: list[Problem]
    records: int


def prepared_batches(
    source_file: SourceFile, options: ImportOptions, known_themes: frozenset[str], size: int
) -> Iterator[Batch]:
    """The file's records, validated, a batch at a time."""
    records = source_file.records
    while chunk := list(islice(records, size)):
        batch = Batch(rows=[], problems=[], records=len(chunk))
        for record in chunk:
            found = prepare(record, source_file.location_field, options, known_themes)
            if isinstance(found, Row):
                batch.rows.append(found)
            else:
                batch.problems.extend(found)
        yield batch


def prepare(
    record: SourceRecord, where: str, options: ImportOptions, known_themes: frozenset[str]
) -> Row | list[Problem]:
    """The valid row for a record, or every problem found in it."""
    number = record.number
    if record.problem:
        return [Problem(number, "record", record.problem)]
    mapping = options.mapping
    if mapping is not None:
        try:
            mapped = mapping.apply(record.values)
        except UnmappedValue as exc:
            return [Problem(number, exc.field, exc.reason)]
        values = {k: _as_text(k, v) for k, v in mapped.values.items()}
        if record.geometry is None and not {"lon", "lat"} & set(mapping.fields):
            # A CSV's position is in lon/lat columns unless the mapping says otherwise.
            values["lon"], values["lat"] = record.values.get("lon"), record.values.get("lat")
        explicit = values.get("lon") is not None or values.get("lat") is not None
        native = native_row(values, None if explicit else record.geometry, location_field=where)
        # Empty source values never overwrite what is stored (e.g. a Welsh name added later).
        update_fields = {k for k, v in mapped.values.items() if v not in (None, [], "")}
        update_fields -= mapped.create_only
    else:
        native = native_row(record.values, record.geometry, location_field=where)
        update_fields = set(native.data)
    if options.source and not native.data.get("source"):
        native.data["source"] = options.source
        update_fields.add("source")
    found = [Problem(number, f, reason) for f, reason in native.problems]
    # The bulk validator decides plain records; AssetCreate the rest, and lists every problem.
    stored = None if found else plain_asset_values(native.data)
    if stored is None:
        try:
            data = AssetCreate.model_validate(native.data)
        except ValidationError as exc:
            flagged = {p.field for p in found}
            for error in exc.errors():
                name = _field_name(error["loc"], where)
                if name not in flagged:
                    found.append(Problem(number, name, error["msg"].removeprefix("Value error, ")))
            return found
        stored = asset_values(data)
    found += [
        Problem(number, "themes", f"unknown theme {code!r} (see /api/v1/themes)")
        for code in native.data.get("themes", ())
        if code not in known_themes
    ]
    row = Row(number, stored, _update_fields(frozenset(update_fields)))
    if not options.new_ids:
        found += _system_columns(number, native.system, row)
    return found or row


def _as_text(name: str, value: Any) -> Any:
    # Other publishers' numbers (e.g. a numeric source_id) are text in our fields.
    if name in ("lon", "lat") or name in LIST_TARGETS or isinstance(value, bool):
        return value
    return str(value) if isinstance(value, int | float) else value


@cache
def _update_fields(columns: frozenset[str]) -> frozenset[str]:
    # Cached: every record of a file usually has the same columns.
    return frozenset("location" if name in ("lon", "lat") else name for name in columns)


def _field_name(loc: tuple[Any, ...], where: str) -> str:
    if not loc:
        return "record"
    if loc[0] == "location":
        return where
    return ".".join(str(part) for part in loc)


def _system_columns(number: int, system: dict[str, Any], row: Row) -> list[Problem]:
    found = []
    for name in ("id", "version"):
        value = system.get(name)
        if value is None:
            continue
        try:
            whole = int(value)
            if whole < 1 or str(whole) != str(value).strip():
                raise ValueError
        except (TypeError, ValueError):
            found.append(Problem(number, name, f"must be a whole number from 1 ({value!r})"))
            continue
        setattr(row, name, whole)
    for name in ("created_at", "updated_at"):
        value = system.get(name)
        if value is None:
            continue
        try:
            moment = datetime.fromisoformat(str(value))
            if moment.tzinfo is None:
                raise ValueError
        except ValueError:
            found.append(Problem(number, name, f"not an ISO 8601 time with a zone ({value!r})"))
            continue
        setattr(row, name, moment.astimezone(UTC))
    return found


def asset_values(data: AssetCreate) -> dict[str, Any]:
    """The column values a validated asset is stored with (themes sorted, times in UTC)."""
    verified = data.last_verified_at
    texts = (data.name_en, data.name_cy, data.description_en, data.description_cy)
    return {
        "search_text": fold(" ".join(filter(None, texts))),
        "kind": data.kind,
        "name_en": data.name_en,
        "name_cy": data.name_cy,
        "description_en": data.description_en,
        "description_cy": data.description_cy,
        "address": data.address,
        "postcode": data.postcode,
        "email": data.email,
        "phone": data.phone,
        "website": str(data.website) if data.website is not None else None,
        "opening_hours": [dict(h.stored()) for h in data.opening_hours],
        "accessibility": list(data.accessibility),
        "languages": list(data.languages),
        "status": data.status,
        "last_verified_at": verified.astimezone(UTC) if verified is not None else None,
        "source": data.source,
        "source_id": data.source_id,
        "location": (float(data.location.coordinates[0]), float(data.location.coordinates[1])),
        "service_area": data.service_area.to_shape() if data.service_area is not None else None,
        "themes": sorted(set(data.themes)),
    }


def audit_snapshot(values: dict[str, Any]) -> dict[str, Any]:
    """Stored values in the audit trail's form (as services.assets records them)."""
    snapshot = {name: values[name] for name in AUDITED_COLUMNS}
    verified = values["last_verified_at"]
    snapshot["last_verified_at"] = verified.isoformat() if verified is not None else None
    snapshot["location"] = list(values["location"])
    area = values["service_area"]
    snapshot["service_area"] = area.wkt if area is not None else None
    snapshot["themes"] = list(values["themes"])
    return snapshot


def update_values(values: dict[str, Any], names: list[str]) -> dict[str, Any]:
    """Values of these fields in the form services.assets.update_asset takes."""
    out: dict[str, Any] = {}
    for name in names:
        value = values[name]
        if name == "location":
            value = {"type": "Point", "coordinates": list(value)}
        elif name == "service_area" and value is not None:
            value = _AREA.validate_python(geojson_mapping(value))
        elif name == "opening_hours":
            value = [OpeningHours.model_validate(hours) for hours in value]
        out[name] = value
    return out
