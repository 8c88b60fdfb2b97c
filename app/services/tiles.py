"""Vector tiles for maps at national scale: area outlines (all of Wales) and public assets.

`/tiles/{layer}/{z}/{x}/{y}.mvt` (app/api/tiles.py) serves Mapbox Vector Tiles made by the
database where it can (PostGIS makes them itself) and in Python where it cannot (SpatiaLite; asset
clusters), through app/spatial. Two layers:

- `areas`: each area's outline with its code, level and names, nothing else: a map styles the
  areas from its own data keyed by code (the planner's need deciles and gap categories), so one
  tile serves every indicator, theme and language, and browsers cache it.
- `assets`: the published assets of public kinds that any caller may see (MAP_VIEWER, the
  viewer every map uses: people never): the assets themselves (id, names, kind) from zoom
  POINTS_FROM_ZOOM when a tile holds at most MAX_TILE_POINTS, else clusters ({count} at their
  cell's mean point) counted from the process' public point cache.

Each tile has a strong ETag made from the state of what it shows (the areas' state, the
assets' version), so a client revalidates with If-None-Match and gets 304 while nothing
changed; each process keeps the last tiles it made under the same key.
"""

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import InvalidInput, NotFound
from app.models import Area, Asset
from app.services.assets.map_layers import MAP_VIEWER, PointCache, points_version
from app.services.assets.visibility import visible_assets
from app.services.needs.shapes import areas_state
from app.spatial import backend_of
from app.spatial.tiles import TileBox, encode_tile
from app.vocabularies import LEVELS

LAYERS = ("areas", "assets")
MAX_ZOOM = 22
MEDIA_TYPE = "application/vnd.mapbox-vector-tile"
# Change when what a tile holds changes, so that no client keeps an old tile as current.
FORMAT = "1"
# Assets themselves from this zoom (as the live layer, app/services/assets/map_layers.py)...
POINTS_FROM_ZOOM = 13
# ...when the tile holds at most this many; else clusters.
MAX_TILE_POINTS = 2000
# Clusters: a tile is cut into CELLS x CELLS cells (64 screen pixels each on a 256 px tile).
CELLS = 4
# Bytes of tiles each process keeps (the latest made first out last).
CACHE_BYTES = 32 * 2**20


def tile_at(z: int, x: int, y: int) -> TileBox:
    """The tile z/x/y; NotFound, saying why, when there is no such tile."""
    if not 0 <= z <= MAX_ZOOM:
        raise NotFound(f"no tiles at zoom {z}: zooms run from 0 to {MAX_ZOOM}")
    last = 2**z - 1
    if not (0 <= x <= last and 0 <= y <= last):
        raise NotFound(f"no tile {x}/{y} at zoom {z}: x and y run from 0 to {last} there")
    return TileBox(z, x, y)


def check_level(level: str | None) -> str | None:
    """The area level asked for (None: every level); InvalidInput when it is not one."""
    if level is not None and level not in LEVELS:
        raise InvalidInput(("query", "level"), f"unknown level {level!r}; one of {list(LEVELS)}")
    return level


@dataclass(frozen=True)
class TileRequest:
    """What a tile is: its layer, its place and (areas) the level it is narrowed to."""

    layer: str
    tile: TileBox
    level: str | None = None


def tile_etag(session: Session, request: TileRequest) -> tuple[str, Any]:
    """The tile's strong ETag (quoted) and the data state it stands for (one aggregate)."""
    if request.layer == "areas":
        state: Any = areas_state(session)
    else:
        state = points_version(session)
    t = request.tile
    key = repr((FORMAT, request.layer, request.level, t.z, t.x, t.y, state))
    return '"' + hashlib.sha256(key.encode()).hexdigest()[:32] + '"', state


def area_tile(session: Session, tile: TileBox, level: str | None = None) -> bytes:
    """The areas (of `level`, or all) crossing the tile: outline, code, level, names."""
    backend = backend_of(session)
    box = tile.lonlat()
    rows = select(Area.code, Area.level, Area.name_en, Area.name_cy, Area.geom.label("geom")).where(
        backend.in_bbox("areas", Area.geom, Area.id, box)
    )
    if level is not None:
        rows = rows.where(Area.level == level)
    connection = session.connection()
    return backend.vector_tile(
        connection, rows, layer="areas", tile=tile, simplify=tile.unit_degrees
    )


def asset_tile(session: Session, tile: TileBox, points: PointCache, version: Any = None) -> bytes:
    """The public assets in the tile: the assets (id, name_en, name_cy, kind) from zoom
    POINTS_FROM_ZOOM when there are at most MAX_TILE_POINTS, else clusters {count}."""
    xs, ys = points.arrays(session, (), (), version)
    box = tile.lonlat(buffer=0)
    inside = (xs >= box.minx) & (xs < box.maxx) & (ys > box.miny) & (ys <= box.maxy)
    count = int(inside.sum())
    if tile.z >= POINTS_FROM_ZOOM and count <= MAX_TILE_POINTS:
        backend = backend_of(session)
        rows = select(
            Asset.id, Asset.name_en, Asset.name_cy, Asset.kind, Asset.location.label("geom")
        ).where(
            visible_assets(MAP_VIEWER),
            backend.point_in_bbox("assets", Asset.location, Asset.id, tile.lonlat()),
        )
        return backend.vector_tile(session.connection(), rows, layer="assets", tile=tile)
    return encode_tile("assets", _clusters(xs[inside], ys[inside], tile), tile)


def _clusters(xs: np.ndarray, ys: np.ndarray, tile: TileBox) -> list[tuple[Any, dict[str, Any]]]:
    """(mean point, {count}) of the points per cell of a CELLS x CELLS grid over the tile."""
    if xs.size == 0:
        return []
    box = tile.lonlat(buffer=0)
    column = np.clip(((xs - box.minx) / (box.maxx - box.minx) * CELLS).astype(int), 0, CELLS - 1)
    row = np.clip(((box.maxy - ys) / (box.maxy - box.miny) * CELLS).astype(int), 0, CELLS - 1)
    keys = row * CELLS + column
    unique, index, counts = np.unique(keys, return_inverse=True, return_counts=True)
    mean_x = np.bincount(index, weights=xs) / counts
    mean_y = np.bincount(index, weights=ys) / counts
    return [
        (shapely.Point(float(mean_x[i]), float(mean_y[i])), {"count": int(counts[i])})
        for i in range(unique.size)
    ]


@dataclass
class TileCache:
    """The tiles one process made last, by ETag (which names their data's state): a tile asked
    again while nothing changed costs the state's aggregate only."""

    max_bytes: int = CACHE_BYTES
    _tiles: "OrderedDict[str, bytes]" = field(default_factory=OrderedDict)
    _bytes: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, etag: str) -> bytes | None:
        """The tile made under this ETag, if still kept."""
        with self._lock:
            tile = self._tiles.get(etag)
            if tile is not None:
                self._tiles.move_to_end(etag)
            return tile

    def put(self, etag: str, tile: bytes) -> None:
        """Keep a tile, dropping the least recently used beyond max_bytes."""
        with self._lock:
            if etag in self._tiles:
                return
            self._tiles[etag] = tile
            self._bytes += len(tile)
            while self._bytes > self.max_bytes and self._tiles:
                _, dropped = self._tiles.popitem(last=False)
                self._bytes -= len(dropped)


def tile_bytes(
    session: Session,
    request: TileRequest,
    *,
    etag: str,
    state: Any,
    points: PointCache,
    cache: TileCache,
) -> bytes:
    """The tile's bytes (from the cache while its data is in the state tile_etag() read)."""
    tile = cache.get(etag)
    if tile is None:
        if request.layer == "areas":
            tile = area_tile(session, request.tile, request.level)
        else:
            tile = asset_tile(session, request.tile, points, state)
        cache.put(etag, tile)
    return tile
