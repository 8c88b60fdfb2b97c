"""Exporting assets to files: GeoJSON, CSV and GeoPackage, format by file extension.

Every record comes from services.assets.iter_assets through the visibility function, so
person-linked kinds never reach a file. The files carry what the API shows (ids, version and
timestamps included), and `assetmap import assets` reads each of them back unchanged.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.formats.csv import unsafe_cell, write_csv_file
from app.formats.geojson import feature_collection_chunks
from app.models import STATUSES
from app.schemas.assets import asset_feature
from app.schemas.tabular import CSV_COLUMNS, asset_row
from app.services.assets.records import AssetFilters, iter_assets
from app.services.assets.visibility import EXPORTER, Viewer
from app.services.imports.formats import GPKG_LAYER, SourceFileError, file_format
from app.services.imports.gpkg_files import write_points
from app.spatial.geometry import point_element

# Archived assets are deleted ones: left out unless asked for by --status archived.
DEFAULT_STATUSES = tuple(s for s in STATUSES if s != "archived")
# GeoPackage attributes: the CSV columns, less lon/lat (the point geometry holds the position).
GPKG_COLUMNS = tuple(c for c in CSV_COLUMNS if c not in ("lon", "lat"))
GPKG_INTEGER_COLUMNS = ("id", "version")
# GeoPackage 1.2 opens without warnings in older GDAL/QGIS too (Debian 12 ships GDAL 3.6).
GPKG_OPTIONS = {"VERSION": "1.2"}
EMPTY_EXPORT_TIME = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class ExportResult:
    """Where the export went, in which format, and how many assets it holds."""

    path: Path
    format: str
    count: int


def export_assets(
    session: Any,
    path: Path,
    *,
    statuses: tuple[str, ...] = DEFAULT_STATUSES,
    kinds: tuple[str, ...] = (),
    viewer: Viewer = EXPORTER,
) -> ExportResult:
    """Write the assets the viewer may see (EXPORTER: all but people) to path."""
    kind = file_format(path)
    filters = AssetFilters(statuses=statuses, kinds=kinds)
    records = iter_assets(session, viewer=viewer, filters=filters)
    if kind == "geojson":
        count = write_geojson(path, records)
    elif kind == "csv":
        count = write_csv(path, records)
    elif kind == "gpkg":
        count = write_gpkg(path, records)
    else:  # pragma: no cover - file_format knows only these
        raise SourceFileError(f"{path.name}: cannot export to {kind}")
    return ExportResult(path=path, format=kind, count=count)


def write_geojson(path: Path, records: Iterable[Mapping[str, Any]]) -> int:
    """An RFC 7946 FeatureCollection, one feature per line (diffable), streamed."""
    count = 0

    def features() -> Iterable[dict[str, Any]]:
        nonlocal count
        for record in records:
            count += 1
            yield asset_feature(record)

    with path.open("wb") as out:
        out.writelines(feature_collection_chunks(features()))
    return count


def write_csv(path: Path, records: Iterable[Mapping[str, Any]]) -> int:
    """The API's CSV (app.schemas.tabular: same columns, same formula guard), streamed."""
    return write_csv_file(path, CSV_COLUMNS, records, to_row=asset_row)


def write_gpkg(path: Path, records: Iterable[Mapping[str, Any]]) -> int:
    """A GeoPackage with one point layer `assets` (EPSG:4326) and the CSV columns as text."""
    geometries: list[bytes] = []
    columns: dict[str, list[Any]] = {name: [] for name in GPKG_COLUMNS}
    latest = EMPTY_EXPORT_TIME
    for record in records:
        geometries.append(bytes(point_element(record["lon"], record["lat"]).data))
        # A GeoPackage is no spreadsheet: values go in as they are, without the CSV guard.
        row = {k: unsafe_cell(v) if isinstance(v, str) else v for k, v in asset_row(record).items()}
        for name in GPKG_COLUMNS:
            columns[name].append(row[name])
        latest = max(latest, record["updated_at"])
    write_points(
        path,
        layer=GPKG_LAYER,
        geometries=geometries,
        columns=columns,
        integer_columns=GPKG_INTEGER_COLUMNS,
        dataset_options=GPKG_OPTIONS,
        last_change=latest,
    )
    return len(geometries)
