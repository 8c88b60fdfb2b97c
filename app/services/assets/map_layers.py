"""What a map shows of the assets in one view: grid clusters or named points, never people.

The same for every caller (published assets of public kinds only, whoever asks), so a page
embedded anywhere shows what the API shows. Clusters are counted by the database (one GROUP BY
through the spatial index) in cells sized by the zoom, so 100k assets cost one small answer.
"""

import math
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import InvalidInput
from app.formats.csv import csv_chunks as chunked_csv
from app.formats.geojson import feature_collection_chunks
from app.models import Asset, AssetTheme
from app.schemas.assets import asset_feature
from app.schemas.tabular import CSV_COLUMNS, asset_row
from app.services.assets.records import AssetFilters, count_assets, extent_of_assets, iter_assets
from app.services.assets.visibility import ANONYMOUS, Viewer, visible_assets
from app.services.changes import data_version
from app.spatial import BBox, backend_of

TABLE = "assets"
# Anybody's view: published assets of public kinds (people appear on no map, not even admins').
MAP_VIEWER: Viewer = replace(ANONYMOUS, with_people=False)
# Below this zoom a view is always clustered; from it, points when there are few enough.
POINTS_FROM_ZOOM = 13
# More assets than this in view: clusters, whatever the zoom.
MAX_POINTS = 300
# The most features one answer holds (clusters beyond it are left out, `truncated` says so).
MAX_FEATURES = 2000
# A cluster cell is this many screen pixels wide (and, by the Mercator stretch, high).
CELL_PX = 80
# A download of a view holds at most this many assets (a whole-county file is an export).
MAX_DOWNLOAD = 50_000


@dataclass(frozen=True)
class MapView:
    """A map's view: its box, its zoom, and the kinds and themes it is narrowed to."""

    bbox: BBox
    zoom: int = 12
    kinds: tuple[str, ...] = ()
    themes: tuple[str, ...] = ()


def cell_size(zoom: int, latitude: float) -> tuple[float, float]:
    """(width, height) in degrees of a square of CELL_PX screen pixels at this zoom (Web
    Mercator: a degree of latitude is longer on screen by 1/cos(latitude))."""
    width = CELL_PX * 360.0 / (256.0 * 2**zoom)
    return width, width * math.cos(math.radians(max(-85.0, min(85.0, latitude))))


def _conditions(session: Session, view: MapView) -> list[Any]:
    backend = backend_of(session)
    conditions: list[Any] = [
        visible_assets(MAP_VIEWER),
        backend.point_in_bbox(TABLE, Asset.location, Asset.id, view.bbox),
    ]
    if view.kinds:
        conditions.append(Asset.kind.in_(view.kinds))
    if view.themes:
        conditions.append(
            Asset.id.in_(select(AssetTheme.asset_id).where(AssetTheme.theme_code.in_(view.themes)))
        )
    return conditions


def _collection(mode: str, view: MapView, features: list[dict[str, Any]], **extra: Any) -> Any:
    return {
        "type": "FeatureCollection",
        "mode": mode,
        "zoom": view.zoom,
        "features": features,
        "numberReturned": len(features),
        **extra,
    }


def _point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}


def assets_in_view(session: Session, *, view: MapView, points: "PointCache") -> dict[str, Any]:
    """The view's assets as a GeoJSON FeatureCollection: points {id, name_en, name_cy, kind}
    when the zoom is close and they are few, else clusters {count} at their mean point;
    `total` is how many assets the features stand for."""
    backend = backend_of(session)
    conditions = _conditions(session, view)
    if view.zoom >= POINTS_FROM_ZOOM:
        lon, lat = backend.x(Asset.location), backend.y(Asset.location)
        stmt = (
            select(Asset.id, Asset.name_en, Asset.name_cy, Asset.kind, lon, lat)
            .where(*conditions)
            .order_by(Asset.id)
            .limit(MAX_POINTS + 1)
        )
        rows = session.execute(stmt).all()
        if len(rows) <= MAX_POINTS:
            features = [
                {
                    "type": "Feature",
                    "id": asset_id,
                    "geometry": _point(x, y),
                    "properties": {
                        "id": asset_id,
                        "name_en": name_en,
                        "name_cy": name_cy,
                        "kind": kind,
                    },
                }
                for asset_id, name_en, name_cy, kind, x, y in rows
            ]
            return _collection("points", view, features, total=len(features), truncated=False)
    xs, ys = points.arrays(session, view.kinds, view.themes)
    middle = (view.bbox.miny + view.bbox.maxy) / 2
    cells = grid_cells(xs, ys, view.bbox, cell_size(view.zoom, middle))
    truncated = len(cells) > MAX_FEATURES
    cells = cells[:MAX_FEATURES]
    features = [
        {"type": "Feature", "geometry": _point(x, y), "properties": {"count": n}}
        for n, x, y in cells
    ]
    total = sum(n for n, _, _ in cells)
    return _collection("clusters", view, features, total=total, truncated=truncated)


def grid_cells(
    lon: NDArray[np.float64], lat: NDArray[np.float64], bbox: BBox, cell: tuple[float, float]
) -> list[tuple[int, float, float]]:
    """(count, mean lon, mean lat) of the points inside `bbox`, per grid cell of `cell`
    degrees (cells counted from -180, -90, so a cell is the same at every view), fullest
    first, then west to east, south to north."""
    inside = (lon >= bbox.minx) & (lon <= bbox.maxx) & (lat >= bbox.miny) & (lat <= bbox.maxy)
    x, y = lon[inside], lat[inside]
    if x.size == 0:
        return []
    column = np.floor((x + 180.0) / cell[0]).astype(np.int64)
    row = np.floor((y + 90.0) / cell[1]).astype(np.int64)
    keys = column * (int(row.max()) + 1) + row
    unique, index, counts = np.unique(keys, return_inverse=True, return_counts=True)
    mean_x = np.bincount(index, weights=x) / counts
    mean_y = np.bincount(index, weights=y) / counts
    west = np.full(unique.size, np.inf)
    south = np.full(unique.size, np.inf)
    np.minimum.at(west, index, x)
    np.minimum.at(south, index, y)
    order = np.lexsort((south, west, -counts))
    return [(int(counts[i]), float(mean_x[i]), float(mean_y[i])) for i in order]


Version = tuple[Any, ...]
CachedPoints = tuple[Version, NDArray[np.float64], NDArray[np.float64]]


def points_version(session: Session) -> Version:
    """What changes whenever an asset is added, changed or removed: the data version
    (app/services/changes.py; one small query however many assets there are, where reading
    the assets table's count and sum of versions took a scan of every row), and the database."""
    return (str(session.get_bind().engine.url), data_version(session))


@dataclass
class PointCache:
    """The points of the public assets, per (kinds, themes), kept by one app process.

    An entry holds while the data version is the same (`points_version`: database triggers
    move it on every write, so every write path, a delete included, is seen). One small query
    per request then replaces reading 100k geometries. Several app processes (replicas) each
    keep their own, all checked against the one database in the request's own transaction, so
    a change made through any replica shows on every map at once (tests/replicas).
    """

    size: int = 16
    _entries: "OrderedDict[tuple[Any, ...], CachedPoints]" = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def arrays(
        self,
        session: Session,
        kinds: tuple[str, ...],
        themes: tuple[str, ...],
        version: Version | None = None,
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """(lon, lat) arrays of the published public assets of these kinds and themes;
        `version`: the points_version() the caller already read in this transaction."""
        version = version or points_version(session)
        key = (kinds, themes)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] == version:
                self._entries.move_to_end(key)
                return entry[1], entry[2]
        lon, lat = _public_points(session, kinds, themes)
        with self._lock:
            self._entries[key] = (version, lon, lat)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return lon, lat


def _public_points(
    session: Session, kinds: tuple[str, ...], themes: tuple[str, ...]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    backend = backend_of(session)
    conditions: list[Any] = [visible_assets(MAP_VIEWER)]
    if kinds:
        conditions.append(Asset.kind.in_(kinds))
    if themes:
        conditions.append(
            Asset.id.in_(select(AssetTheme.asset_id).where(AssetTheme.theme_code.in_(themes)))
        )
    return backend.point_arrays(
        session.connection(), backend.x(Asset.location), backend.y(Asset.location), conditions
    )


def public_extent(
    session: Session,
    *,
    kinds: tuple[str, ...] = (),
    themes: tuple[str, ...] = (),
    points: "PointCache | None" = None,
) -> BBox | None:
    """The box around the assets a map of these kinds and themes shows (None: there are none).

    With `points` (the process's PointCache), from the points the map's live layer draws: the
    same assets (published, not people), without reading a million of them again for each page
    (a full scan, 0.65 s at 1M on SpatiaLite)."""
    if points is None:
        filters = AssetFilters(kinds=kinds, themes=themes, statuses=("published",))
        return extent_of_assets(session, viewer=MAP_VIEWER, filters=filters)
    lon, lat = points.arrays(session, kinds, themes)
    if not len(lon):
        return None
    return BBox(float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max()))


def download_filters(session: Session, *, view: MapView) -> AssetFilters:
    """The filters of a download of the view; InvalidInput when it holds over MAX_DOWNLOAD."""
    filters = AssetFilters(
        kinds=view.kinds, themes=view.themes, bbox=view.bbox, statuses=("published",)
    )
    count = count_assets(session, viewer=MAP_VIEWER, filters=filters)
    if count > MAX_DOWNLOAD:
        raise InvalidInput(
            ("query", "bbox"),
            f"the view holds {count} assets; a download holds at most {MAX_DOWNLOAD}: zoom in",
        )
    return filters


def geojson_chunks(session: Session, filters: AssetFilters) -> Iterator[bytes]:
    """The view's assets as an RFC 7946 FeatureCollection (the API's features), streamed."""
    records = iter_assets(session, viewer=MAP_VIEWER, filters=filters)
    yield from feature_collection_chunks(asset_feature(record) for record in records)


def csv_chunks(session: Session, filters: AssetFilters, *, batch: int = 1000) -> Iterator[bytes]:
    """The view's assets as the API's CSV (same columns, same formula guard), streamed."""
    records = iter_assets(session, viewer=MAP_VIEWER, filters=filters, batch=batch)
    yield from chunked_csv(CSV_COLUMNS, records, to_row=asset_row, batch=batch)
