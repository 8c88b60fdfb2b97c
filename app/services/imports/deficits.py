"""Importing service deficits from CSV, GeoJSON or GeoPackage: all valid, or nothing written.

A record has the fields theme, title_en, title_cy, description_en, description_cy, severity,
status, source, source_id, reporter and reported_on (CSV columns or GeoJSON properties), and a
place: in CSV `lon` + `lat` and/or `area` (WKT); in GeoJSON the geometry (a Point is the
location, a Polygon or MultiPolygon the area) and optionally an `area` property (GeoJSON or WKT)
beside a Point. Our exports' `id`, `version`, `created_at` and `updated_at` are ignored.

Every record needs `source` (or the `source` default) and `source_id`: importing the same pair
again updates that deficit, and changes nothing when nothing differs. An empty `status` or
`reported_on` means open / today for a new deficit and "keep" for an existing one.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import shapely
from pydantic import ValidationError
from shapely.geometry import mapping
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Deficit
from app.schemas.deficits import IMPORT_COLUMNS, SYSTEM_COLUMNS, DeficitCreate
from app.services.assets.themes import list_themes
from app.services.assets.visibility import Viewer
from app.services.imports.assets import ImportReport, Problem
from app.services.imports.formats import SourceRecord, open_source
from app.services.needs.deficits import (
    FIELDS,
    add_deficit,
    snapshot,
    stored_values,
    update_deficit,
    values_of,
)

LOOKUP_CHUNK = 500
TEXT_FIELDS = frozenset(IMPORT_COLUMNS) - {"severity", "reported_on", "lon", "lat", "area"}
Key = tuple[str, str]


@dataclass
class _Row:
    """A valid record: its number, its (source, source_id) and the values it gives."""

    number: int
    key: Key
    values: dict[str, Any]


def import_deficits(
    session: Session,
    *,
    path: Path,
    dry_run: bool = False,
    source: str | None = None,
    actor: str = "import",
) -> ImportReport:
    """Check every record of the file, then create or update deficits (flushed; caller commits).

    Writes nothing when any record has a problem or for a dry run; the report counts what was
    (or would be) created, updated and left unchanged, and lists each problem by line (CSV,
    header = line 1) or feature number, with the field and the reason.
    Raises SourceFileError when the file as a whole cannot be read.
    """
    opened = open_source(path, native=True)
    report = ImportReport(path=path, format=opened.format, dry_run=dry_run)
    if opened.format == "csv":
        report.problems += [
            Problem(1, name, "not a deficit column")
            for name in opened.columns
            if name not in IMPORT_COLUMNS and name not in SYSTEM_COLUMNS
        ]
    themes = frozenset(theme.code for theme in list_themes(session))
    rows: dict[Key, _Row] = {}
    for record in opened.records:
        report.records += 1
        row = _prepare(record, opened.format, source, themes, report.problems)
        if row is not None and row.key in rows:
            earlier = rows[row.key].number
            report.problems.append(
                Problem(row.number, "source_id", f"same source and source_id as {earlier}")
            )
        elif row is not None:
            rows[row.key] = row
    existing = _existing(session, list(rows))
    creates: list[_Row] = []
    updates: list[tuple[int, dict[str, Any]]] = []
    for key, row in rows.items():
        deficit = existing.get(key)
        if deficit is None:
            creates.append(row)
        elif changes := _changes(stored_values(deficit), row.values):
            updates.append((deficit.id, changes))
    report.created, report.updated = len(creates), len(updates)
    report.unchanged = len(rows) - len(creates) - len(updates)
    if not report.ok or dry_run:
        return report
    for row in creates:
        add_deficit(session, actor=actor, values=row.values)
    writer = Viewer(actor=actor, role="admin")
    for deficit_id, changes in updates:
        update_deficit(
            session, viewer=writer, deficit_id=deficit_id, expected_version=None, data=changes
        )
    return report


def _prepare(
    record: SourceRecord,
    file_format: str,
    default_source: str | None,
    themes: frozenset[str],
    problems: list[Problem],
) -> _Row | None:
    """A valid row, or None after adding the record's problems."""
    number = record.number
    if record.problem:
        problems.append(Problem(number, "record", record.problem))
        return None
    found: list[Problem] = []
    data: dict[str, Any] = {}
    for name, value in record.values.items():
        if name in SYSTEM_COLUMNS or name in ("lon", "lat", "area"):
            continue
        if name not in IMPORT_COLUMNS:
            if file_format != "csv":  # a CSV header is reported once, as line 1
                found.append(Problem(number, name, "not a deficit property"))
            continue
        plain = isinstance(value, int | float) and not isinstance(value, bool)
        data[name] = str(value) if name in TEXT_FIELDS and plain else value
    if default_source and not data.get("source"):
        data["source"] = default_source
    place_fields = _place(record, file_format, data, found)
    if found:
        problems.extend(found)
        return None
    try:
        valid = DeficitCreate.model_validate(data)
    except ValidationError as exc:
        problems.extend(
            Problem(number, _field_name(error, place_fields), _reason(error))
            for error in exc.errors()
        )
        return None
    if valid.theme not in themes:
        found.append(
            Problem(number, "theme", f"unknown theme {valid.theme!r} (see /api/v1/themes)")
        )
    if not (valid.source and valid.source_id):
        found.append(
            Problem(
                number,
                "source_id",
                "needed to import, with source: it lets a re-import update this deficit "
                "instead of adding it again",
            )
        )
    if found:
        problems.extend(found)
        return None
    assert valid.source and valid.source_id
    return _Row(number, (valid.source, valid.source_id), values_of(valid))


def _place(
    record: SourceRecord, file_format: str, data: dict[str, Any], found: list[Problem]
) -> dict[str, str]:
    """Put location and area into data; returns which field each was read from."""
    number, values, geometry = record.number, record.values, record.geometry
    fields = {"location": "lon/lat" if file_format == "csv" else "geometry", "area": "area"}
    if "lon" in values or "lat" in values:
        lon, lat = values.get("lon"), values.get("lat")
        if lon is None and lat is None:
            data["location"] = None
        elif lon is None or lat is None:
            found.append(Problem(number, "lon/lat", "give both lon and lat, or neither"))
        else:
            data["location"] = {"type": "Point", "coordinates": [lon, lat]}
    if "area" in values:
        data["area"] = _area_value(values["area"], number, found)
    if geometry is None:
        return fields
    kind = geometry.get("type")
    target = {"Point": "location", "Polygon": "area", "MultiPolygon": "area"}.get(str(kind))
    if target is None:
        found.append(
            Problem(
                number,
                "geometry",
                f"must be a Point (location) or a Polygon/MultiPolygon (area), not {kind}",
            )
        )
    elif target in data and data[target] is not None:
        given = "lon/lat" if target == "location" else "the area property"
        found.append(Problem(number, "geometry", f"the {target} is given twice (also {given})"))
    else:
        data[target] = {"type": kind, "coordinates": geometry.get("coordinates")}
        fields[target] = "geometry"
    return fields


def _area_value(value: Any, number: int, found: list[Problem]) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return mapping(shapely.from_wkt(value))
    except (shapely.errors.ShapelyError, ValueError) as exc:
        found.append(Problem(number, "area", f"not WKT: {exc}"))
        return None


_MODEL_ERRORS = {"no_title": "title_en", "no_place": "location", "no_source": "source"}


def _field_name(error: Any, place_fields: dict[str, str]) -> str:
    loc = error["loc"]
    name = str(loc[0]) if loc else _MODEL_ERRORS.get(error["type"], "record")
    return place_fields.get(name, name)


def _reason(error: Any) -> str:
    return str(error["msg"]).removeprefix("Value error, ")


def _existing(session: Session, keys: list[Key]) -> dict[Key, Deficit]:
    found: dict[Key, Deficit] = {}
    by_source: dict[str, list[str]] = {}
    for source, source_id in keys:
        by_source.setdefault(source, []).append(source_id)
    for source, source_ids in by_source.items():
        for start in range(0, len(source_ids), LOOKUP_CHUNK):
            chunk = source_ids[start : start + LOOKUP_CHUNK]
            stmt = select(Deficit).where(Deficit.source == source, Deficit.source_id.in_(chunk))
            for deficit in session.scalars(stmt):
                found[(source, deficit.source_id or "")] = deficit
    return found


def _changes(stored: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """The values of the record that differ from the stored deficit (empty status/date: keep)."""
    given = {k: v for k, v in values.items() if not (k in ("status", "reported_on") and v is None)}
    before, after = snapshot(stored), snapshot({**stored, **given})
    return {name: given[name] for name in FIELDS if before[name] != after[name]}
