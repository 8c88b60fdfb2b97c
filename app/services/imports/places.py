"""Importing a gazetteer: OS Open Names CSV or GeoJSON with `name` / `name_cy`; all or nothing.

OS Open Names data files have no header row; their columns are in the order of the product's
header file (OS_COLUMNS). Only places people live in or call an area are kept (KEPT_TYPES):
roads, postcodes, hills, water and woods are counted as skipped. Points in EPSG:27700 (British
National Grid) are stored as WGS84. Every row is checked before any is written; the caller
commits only when the report is ok and it is not a dry run.
"""

import csv
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pyogrio
from pyogrio.errors import DataSourceError
from pyproj import Transformer
from shapely.geometry import Point
from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.orm import Session

from app.models import GazetteerPlace
from app.models.base import utcnow
from app.services.imports.formats import SourceFileError
from app.services.imports.vector_files import read_features
from app.services.places.gazetteer import place_key
from app.spatial import backend_of
from app.spatial.geometry import check_lon_lat

OS_COLUMNS = (
    "ID", "NAMES_URI", "NAME1", "NAME1_LANG", "NAME2", "NAME2_LANG", "TYPE", "LOCAL_TYPE",
    "GEOMETRY_X", "GEOMETRY_Y", "MOST_DETAIL_VIEW_RES", "LEAST_DETAIL_VIEW_RES", "MBR_XMIN",
    "MBR_YMIN", "MBR_XMAX", "MBR_YMAX", "POSTCODE_DISTRICT", "POSTCODE_DISTRICT_URI",
    "POPULATED_PLACE", "POPULATED_PLACE_URI", "POPULATED_PLACE_TYPE", "DISTRICT_BOROUGH",
    "DISTRICT_BOROUGH_URI", "DISTRICT_BOROUGH_TYPE", "COUNTY_UNITARY", "COUNTY_UNITARY_URI",
    "COUNTY_UNITARY_TYPE", "REGION", "REGION_URI", "COUNTRY", "COUNTRY_URI",
    "RELATED_SPATIAL_OBJECT", "SAME_AS_DBPEDIA", "SAME_AS_GEONAMES",
)  # fmt: skip
OS_SOURCE = "OS Open Names"
# OS Open Names' settlement types (TYPE populatedPlace) and named areas: the names people use
# for where they live. Everything else (roads, postcodes, landforms, water, woodland,
# stations...) is skipped: a search for "Splott" means the district, not Splott Road.
KEPT_TYPES = frozenset(
    {"city", "town", "village", "hamlet", "other settlement", "suburban area", "named area"}
)
POPULATED_PLACE = "populatedplace"
# Great Britain in British National Grid metres, with a margin.
EASTING = (0.0, 700_000.0)
NORTHING = (0.0, 1_300_000.0)
NAME_MAX = 200
ID_MAX = 200
TYPE_MAX = 60
BATCH = 2000
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_NUMBER = re.compile(r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$")
_TO_WGS84 = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class PlaceProblem:
    """A row that stops the import: where (CSV line or GeoJSON feature; 0: the file), why."""

    where: str
    number: int
    field: str
    reason: str

    def __str__(self) -> str:
        place = f"{self.where} {self.number}" if self.number else "file"
        return f"{place}: {self.field}: {self.reason}"


@dataclass
class PlaceImportReport:
    """What a gazetteer import did (or, for a dry run or with problems, would do)."""

    path: Path
    format: str
    source: str
    dry_run: bool = False
    records: int = 0
    skipped: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    problems: list[PlaceProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every row could be imported."""
        return not self.problems

    def summary(self) -> str:
        """One line for people: what changed (or would)."""
        verb = "would be " if self.dry_run else ""
        text = (
            f"{self.records} rows ({self.format}): {self.records - self.skipped} places "
            f"({self.created} {verb}created, {self.updated} {verb}updated, "
            f"{self.unchanged} unchanged"
        )
        if self.removed:
            text += f", {self.removed} {verb}removed"
        text += f"); {self.skipped} skipped (roads, postcodes and other kinds of name)"
        return text + (" (dry run: nothing written)" if self.dry_run else "")


@dataclass(frozen=True)
class PlaceRow:
    """One place read from a file, checked."""

    source_id: str
    name: str
    name_cy: str | None
    place_type: str
    lon: float
    lat: float


def _number(text: str) -> float:
    text = text.strip()
    return float(text) if _NUMBER.match(text) else math.nan


def _text_problem(value: str, limit: int) -> str | None:
    if len(value) > limit:
        return f"longer than {limit} characters"
    if _CONTROL.search(value):
        return "contains control characters"
    return None


def _names(cells: dict[str, str]) -> tuple[str, str | None]:
    """(name, Welsh name) of an OS Open Names row: NAME1/NAME2 by their languages ('eng',
    'cym'); a single name has no language and is the place's name in both."""
    named = [(cells["NAME1"], cells["NAME1_LANG"].lower())]
    if cells["NAME2"]:
        named.append((cells["NAME2"], cells["NAME2_LANG"].lower()))
    english = next((n for n, lang in named if lang == "eng"), None)
    welsh = next((n for n, lang in named if lang == "cym"), None)
    return english or welsh or named[0][0], welsh if english or len(named) > 1 else None


def _check_os_row(
    number: int, cells: list[str], seen: dict[str, int], bad: Callable[..., None]
) -> PlaceRow | bool | None:
    """A checked place, False when the row is of a kind that is skipped, None when it is bad."""
    if len(cells) != len(OS_COLUMNS):
        bad(number, "row", f"has {len(cells)} cells; OS Open Names rows have {len(OS_COLUMNS)}")
        return None
    row = {name: cell.strip() for name, cell in zip(OS_COLUMNS, cells, strict=True)}
    local_type = row["LOCAL_TYPE"]
    if row["TYPE"].lower() != POPULATED_PLACE and local_type.lower() not in KEPT_TYPES:
        return False
    found = 0
    for name, limit in (("ID", ID_MAX), ("NAME1", NAME_MAX), ("NAME2", NAME_MAX),
                        ("LOCAL_TYPE", TYPE_MAX)):  # fmt: skip
        if problem := _text_problem(row[name], limit):
            bad(number, name, problem)
            found += 1
    for name in ("ID", "NAME1"):
        if not row[name]:
            bad(number, name, "empty")
            found += 1
    if row["ID"] and row["ID"] in seen:
        bad(number, "ID", f"{row['ID'][:40]} is also on line {seen[row['ID']]}")
        found += 1
    elif row["ID"]:
        seen[row["ID"]] = number
    x, y = _number(row["GEOMETRY_X"]), _number(row["GEOMETRY_Y"])
    for name, value, (low, high), what in (
        ("GEOMETRY_X", x, EASTING, "an easting"),
        ("GEOMETRY_Y", y, NORTHING, "a northing"),
    ):
        if not (math.isfinite(value) and low <= value <= high):
            bad(
                number,
                name,
                f"{row[name][:40]!r} is not {what} in metres on the British National Grid "
                f"(EPSG:27700, {low:.0f}-{high:.0f})",
            )
            found += 1
    if found:
        return None
    lon, lat = _TO_WGS84.transform(x, y)
    name, welsh = _names(row)
    return PlaceRow(row["ID"], name, welsh, local_type or "place", lon, lat)


def read_os_open_names(path: Path, report: PlaceImportReport) -> list[PlaceRow]:
    """The kept places of an OS Open Names CSV (no header row; one is allowed), checked; the
    problems go into the report."""

    def bad(number: int, name: str, reason: str) -> None:
        report.problems.append(PlaceProblem("line", number, name, reason))

    places: list[PlaceRow] = []
    seen: dict[str, int] = {}
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            previous = 0
            for cells in reader:
                number, previous = previous + 1, reader.line_num
                if not any(c.strip() for c in cells):
                    continue
                if number == 1 and cells and cells[0].strip().upper() == "ID":
                    continue  # the product's header file put in front of the data
                report.records += 1
                checked = _check_os_row(number, cells, seen, bad)
                if checked is False:
                    report.skipped += 1
                elif isinstance(checked, PlaceRow):
                    places.append(checked)
    except UnicodeDecodeError as exc:
        raise SourceFileError(f"{path.name}: not UTF-8 text ({exc.reason})") from None
    except csv.Error as exc:
        raise SourceFileError(f"{path.name}: not readable CSV: {exc}") from None
    return places


def _geojson_id(properties: dict[str, Any], name: str, lon: float, lat: float) -> str:
    """A feature's key: its `id` property, else its name's key and point (to 1 m or so)."""
    given = properties.get("id")
    if given not in (None, ""):
        return str(given).strip()
    return f"{place_key(name)}@{lon:.5f},{lat:.5f}"


def read_geojson_places(path: Path, report: PlaceImportReport) -> list[PlaceRow]:
    """The places of a vector file (GeoJSON...) of points with `name` (English, or the only
    name) and optionally `name_cy`, `type` and `id`, checked; problems go into the report."""

    def bad(number: int, name: str, reason: str) -> None:
        report.problems.append(PlaceProblem("feature", number, name, reason))

    try:
        fields = [str(f) for f in pyogrio.read_info(path)["fields"]]
    except DataSourceError as exc:
        raise SourceFileError(f"{path.name}: not a readable vector file ({exc})") from None
    if "name" not in fields:
        bad(0, "name", f"no such property (the file has: {', '.join(fields) or 'none'})")
        return []
    places: list[PlaceRow] = []
    seen: dict[str, int] = {}
    for feature in read_features(path):
        report.records += 1
        found = 0
        props = feature.properties
        texts = {k: str(props.get(k) or "").strip() for k in ("name", "name_cy", "type")}
        for key, limit in (("name", NAME_MAX), ("name_cy", NAME_MAX), ("type", TYPE_MAX)):
            if problem := _text_problem(texts[key], limit):
                bad(feature.number, key, problem)
                found += 1
        if not texts["name"]:
            bad(feature.number, "name", "empty")
            found += 1
        geom = feature.geometry
        if not isinstance(geom, Point) or geom.is_empty:
            kind = "no geometry" if geom is None else f"{geom.geom_type} is not a point"
            bad(feature.number, "geometry", kind)
            found += 1
        else:
            try:
                check_lon_lat(geom.x, geom.y)
            except ValueError as exc:
                bad(feature.number, "geometry", str(exc))
                found += 1
        if found:
            continue
        source_id = _geojson_id(props, texts["name"], geom.x, geom.y)[:ID_MAX]
        if source_id in seen:
            bad(feature.number, "id", f"{source_id[:40]} is also feature {seen[source_id]}")
            continue
        seen[source_id] = feature.number
        places.append(
            PlaceRow(
                source_id,
                texts["name"],
                texts["name_cy"] or None,
                texts["type"] or "place",
                geom.x,
                geom.y,
            )
        )
    return places


def _ewkt(lon: float, lat: float) -> str:
    return f"SRID=4326;POINT({lon!r} {lat!r})"


def _values(row: PlaceRow, source: str) -> dict[str, Any]:
    return {
        "source": source,
        "source_id": row.source_id,
        "name": row.name,
        "name_cy": row.name_cy,
        "place_type": row.place_type,
        "name_key": place_key(row.name),
        "name_cy_key": place_key(row.name_cy) if row.name_cy else None,
        "location": _ewkt(row.lon, row.lat),
        "imported_at": utcnow(),
    }


def save_places(
    session: Session,
    rows: list[PlaceRow],
    report: PlaceImportReport,
    *,
    replace: bool,
    progress: Progress | None = None,
) -> None:
    """Create or update the places of the report's source by source id (flushed, not
    committed); with `replace`, remove the source's places that are not in `rows`."""
    backend = backend_of(session)
    existing = {
        r.source_id: r
        for r in session.execute(
            select(
                GazetteerPlace.id,
                GazetteerPlace.source_id,
                GazetteerPlace.name,
                GazetteerPlace.name_cy,
                GazetteerPlace.place_type,
                backend.x(GazetteerPlace.location).label("lon"),
                backend.y(GazetteerPlace.location).label("lat"),
            ).where(GazetteerPlace.source == report.source)
        )
    }
    creates: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for row in rows:
        old = existing.get(row.source_id)
        if old is None:
            creates.append(_values(row, report.source))
        elif (old.name, old.name_cy, old.place_type, old.lon, old.lat) == (
            row.name, row.name_cy, row.place_type, row.lon, row.lat,
        ):  # fmt: skip
            report.unchanged += 1
        else:
            updates.append({"id": old.id, **_values(row, report.source)})
    kept = {row.source_id for row in rows}
    gone = [old.id for key, old in existing.items() if key not in kept] if replace else []
    report.created, report.updated, report.removed = len(creates), len(updates), len(gone)
    if report.dry_run:
        return
    table = cast(Table, GazetteerPlace.__table__)
    total, done = len(creates) + len(updates), 0
    for start in range(0, len(creates), BATCH):
        session.execute(insert(table), creates[start : start + BATCH])
        done += len(creates[start : start + BATCH])
        if progress:
            progress(done, total)
    for start in range(0, len(updates), BATCH):
        session.execute(update(GazetteerPlace), updates[start : start + BATCH])
        done += len(updates[start : start + BATCH])
        if progress:
            progress(done, total)
    for start in range(0, len(gone), BATCH):
        session.execute(
            delete(GazetteerPlace).where(GazetteerPlace.id.in_(gone[start : start + BATCH]))
        )
    session.flush()


def import_places(
    session: Session,
    *,
    path: Path,
    source: str | None = None,
    replace: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> PlaceImportReport:
    """Check and import a gazetteer file (flushed, not committed); all or nothing.

    .csv is OS Open Names (source 'OS Open Names' unless given); .geojson/.json/.gpkg a point
    file with `name` and `name_cy` (source: the file's name). Places are created or updated by
    (source, id); importing the same file again changes nothing. With `replace`, the source's
    places missing from the file are removed. Raises SourceFileError when the file cannot be
    read at all."""
    if not path.is_file():
        raise SourceFileError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".geojson", ".json", ".gpkg"):
        raise SourceFileError(
            f"{path.name}: unknown format (use .csv for OS Open Names, or .geojson)"
        )
    kind = "csv" if suffix == ".csv" else "geojson"
    default = OS_SOURCE if kind == "csv" else path.name
    report = PlaceImportReport(path=path, format=kind, source=source or default, dry_run=dry_run)
    read = read_os_open_names if kind == "csv" else read_geojson_places
    rows = read(path, report)
    if report.ok and report.records == 0:
        report.problems.append(PlaceProblem("line", 0, "file", "the file has no rows"))
    if not report.ok:
        return report
    save_places(session, rows, report, replace=replace, progress=progress)
    return report
