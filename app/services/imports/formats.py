"""Reading asset files (CSV, GeoJSON, GeoPackage) into source records, and our own columns back
into asset fields (the inverse of app/schemas/tabular.py and asset_feature)."""

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import orjson
import shapely
from shapely.geometry import mapping as geojson_mapping

from app.formats.csv import unsafe_cell
from app.schemas.tabular import CSV_COLUMNS, LIST_SEPARATOR, parse_opening_hours
from app.services.imports.gpkg_files import GeoPackageError, read_layer

FORMATS = {".csv": "csv", ".geojson": "geojson", ".json": "geojson", ".gpkg": "gpkg"}
GPKG_LAYER = "assets"
# Columns of our exports that describe the database holding the asset, not the asset.
SYSTEM_COLUMNS = ("id", "version", "created_at", "updated_at")
# Columns our outputs may carry that an import ignores (distance_m: from a near-me search).
IGNORED_COLUMNS = ("distance_m",)
NATIVE_COLUMNS = frozenset(CSV_COLUMNS) | frozenset(IGNORED_COLUMNS)
LIST_FIELDS = ("themes", "accessibility", "languages")


class SourceFileError(ValueError):
    """The file as a whole cannot be read (wrong format, no header, not a FeatureCollection)."""


@dataclass
class SourceRecord:
    """One record as the file has it: its line (CSV) or feature number, values and geometry."""

    number: int
    values: dict[str, Any]
    geometry: dict[str, Any] | None = None
    problem: str | None = None


@dataclass
class RawLines:
    """A CSV file's lines as cells, not yet records: what a worker process is handed (cheaper to
    send than records), with the picklable function that makes each a record there."""

    lines: Iterator[tuple[int, list[str]]]
    to_record: Callable[[int, list[str]], SourceRecord]


@dataclass
class SourceFile:
    """An opened asset file: its format, how many records, the largest `id`, and the records
    (read once: either `records`, or for CSV `lines` to make them elsewhere)."""

    format: str
    count: int
    max_id: int
    columns: list[str]
    records: Iterator[SourceRecord]
    lines: RawLines | None = None

    @property
    def location_field(self) -> str:
        """What a location problem is reported against: CSV columns or the geometry."""
        return "lon/lat" if self.format == "csv" else "geometry"


def file_format(path: Path) -> str:
    """csv, geojson or gpkg from the file name; SourceFileError for anything else."""
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError:
        raise SourceFileError(
            f"{path.name}: unknown format (use .csv, .geojson or .gpkg)"
        ) from None


def open_source(path: Path, *, native: bool) -> SourceFile:
    """Open an asset file; `native` (our own columns) undoes the CSV formula guard."""
    kind = file_format(path)
    if not path.exists():
        raise SourceFileError(f"{path}: no such file")
    if kind == "csv":
        return _open_csv(path, native=native)
    if kind == "geojson":
        return _open_geojson(path)
    return _open_gpkg(path)


def _int_id(value: Any) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 0
    return number if number > 0 else 0


def _open_csv(path: Path, *, native: bool) -> SourceFile:
    # A first pass counts rows (for the progress bar) and finds the largest id (so ids the
    # file brings are never handed out to its new rows); csv.reader is cheap next to validation.
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if not header:
                raise SourceFileError(f"{path.name}: empty file (a header row is needed)")
            id_at = header.index("id") if "id" in header else None
            count = max_id = 0
            for row in reader:
                count += 1
                if id_at is not None and id_at < len(row) and row[id_at]:
                    max_id = max(max_id, _int_id(row[id_at]))
    except UnicodeDecodeError as exc:
        raise SourceFileError(
            f"{path.name}: not UTF-8 text ({exc.reason}); save as UTF-8 CSV"
        ) from None
    except csv.Error as exc:
        raise SourceFileError(f"{path.name}: not readable CSV: {exc}") from None
    if len(set(header)) != len(header):
        raise SourceFileError(f"{path.name}: the header repeats a column name")

    def lines() -> Iterator[tuple[int, list[str]]]:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            next(reader)
            last_line = reader.line_num
            for row in reader:
                # The line the record starts on, as an editor shows it (header = line 1).
                number, last_line = last_line + 1, reader.line_num
                if row:
                    yield number, row

    to_record = partial(csv_record, tuple(header), native)
    return SourceFile(
        format="csv",
        count=count,
        max_id=max_id,
        columns=header,
        records=(to_record(number, row) for number, row in lines()),
        lines=RawLines(lines(), to_record),
    )


def csv_record(header: tuple[str, ...], native: bool, number: int, row: list[str]) -> SourceRecord:
    """One CSV line's cells as a record of the header's columns (empty cells None)."""
    # The formula guard's apostrophe, looked for in the whole row at once.
    if native and "\x1f'" in "\x1f" + "\x1f".join(row):
        cells = [unsafe_cell(c) or None for c in row]
    else:
        cells = [c or None for c in row]
    values = dict(zip(header, cells + [None] * (len(header) - len(cells)), strict=False))
    problem = None
    if len(row) > len(header):
        problem = f"{len(row)} cells but the header has {len(header)} columns"
    return SourceRecord(number=number, values=values, problem=problem)


def _open_geojson(path: Path) -> SourceFile:
    try:
        document = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise SourceFileError(f"{path.name}: not JSON: {exc}") from exc
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise SourceFileError(f"{path.name}: not a GeoJSON FeatureCollection")
    features = document.get("features")
    if not isinstance(features, list):
        raise SourceFileError(f"{path.name}: `features` must be a list")
    parsed: list[SourceRecord] = []
    columns: dict[str, None] = {}
    max_id = 0
    for number, feature in enumerate(features, 1):
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            parsed.append(SourceRecord(number, {}, problem="not a GeoJSON Feature"))
            continue
        properties = feature.get("properties") or {}
        if not isinstance(properties, dict):
            parsed.append(SourceRecord(number, {}, problem="`properties` is not an object"))
            continue
        values = dict(properties)
        if "id" in feature and "id" not in values:
            values["id"] = feature["id"]
        max_id = max(max_id, _int_id(values.get("id")))
        columns.update(dict.fromkeys(values))
        geometry = feature.get("geometry")
        parsed.append(
            SourceRecord(
                number=number,
                values=values,
                geometry=geometry if isinstance(geometry, dict) else None,
            )
        )
    return SourceFile(
        format="geojson",
        count=len(parsed),
        max_id=max_id,
        columns=list(columns),
        records=iter(parsed),
    )


def _open_gpkg(path: Path) -> SourceFile:
    try:
        layer = read_layer(path, prefer=GPKG_LAYER)
    except GeoPackageError as exc:
        raise SourceFileError(f"{path.name}: {exc}") from None
    shapes = shapely.from_wkb(layer.geometries)
    parsed: list[SourceRecord] = []
    max_id = 0
    for index, shape in enumerate(shapes):
        values = {
            name: column[index] for name, column in zip(layer.fields, layer.columns, strict=True)
        }
        max_id = max(max_id, _int_id(values.get("id")))
        geometry = geojson_mapping(shape) if shape is not None and not shape.is_empty else None
        parsed.append(SourceRecord(number=index + 1, values=values, geometry=geometry))
    return SourceFile(
        format="gpkg", count=len(parsed), max_id=max_id, columns=layer.fields, records=iter(parsed)
    )


# ---- our own columns -> asset fields -------------------------------------------------------------


@dataclass
class NativeRow:
    """A record in our columns, split into AssetCreate input and the database's own columns."""

    data: dict[str, Any]
    system: dict[str, Any]
    problems: list[tuple[str, str]]


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(LIST_SEPARATOR) if part.strip()]
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def _location(
    values: dict[str, Any], geometry: dict[str, Any] | None, field: str
) -> tuple[dict[str, Any] | None, str | None]:
    if geometry is not None:
        if geometry.get("type") != "Point":
            return None, f"must be a Point (the asset's location), not {geometry.get('type')}"
        return {"type": "Point", "coordinates": geometry.get("coordinates")}, None
    lon, lat = values.get("lon"), values.get("lat")
    if lon is None or lat is None:
        missing = "geometry" if field == "geometry" else "lon and lat"
        return None, f"missing: every asset needs a location ({missing})"
    return {"type": "Point", "coordinates": [lon, lat]}, None


def native_row(
    values: dict[str, Any], geometry: dict[str, Any] | None, *, location_field: str
) -> NativeRow:
    """AssetCreate input from a record in our own columns (lists joined with ';', WKT areas)."""
    data: dict[str, Any] = {}
    system: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    for key, value in values.items():
        if key in ("lon", "lat") or key in IGNORED_COLUMNS:
            continue
        if key in SYSTEM_COLUMNS:
            system[key] = value
        elif key not in NATIVE_COLUMNS:
            problems.append((key, "not an asset column (map other columns with --mapping)"))
        elif key in LIST_FIELDS:
            data[key] = _list(value)
        elif key == "opening_hours" and isinstance(value, str):
            try:
                data[key] = parse_opening_hours(value)
            except ValueError as exc:
                problems.append((key, str(exc)))
        elif key == "service_area" and isinstance(value, str):
            try:
                data[key] = geojson_mapping(shapely.from_wkt(value))
            except (shapely.errors.ShapelyError, ValueError) as exc:
                problems.append((key, f"not WKT: {exc}"))
        else:
            data[key] = [] if key == "opening_hours" and value is None else value
    location, problem = _location(values, geometry, location_field)
    if problem:
        problems.append((location_field, problem))
    else:
        data["location"] = location
    return NativeRow(data=data, system=system, problems=problems)
