"""Web Mercator tiles (z/x/y, as OpenStreetMap numbers them) and Mapbox Vector Tiles made in
Python (the `mapbox-vector-tile` package): what SpatiaLite, which has no ST_AsMVT, and the
cluster layer use. No SQL here; PostGIS makes its tiles itself (postgis.py `vector_tile`).

A tile's features are clipped to the tile plus BUFFER units on each side and quantised to an
EXTENT x EXTENT grid, as PostGIS' ST_AsMVTGeom does with the same numbers.
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import mapbox_vector_tile
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from app.spatial.base import BBox

EXTENT = 4096
BUFFER = 64
# Half the Web Mercator world's width, in metres (EPSG:3857).
ORIGIN = 20037508.342789244
# Web Mercator stops here (north and south).
MAX_LATITUDE = 85.0511287798066


@dataclass(frozen=True)
class TileBox:
    """One tile: zoom z, column x (west to east) and row y (north to south)."""

    z: int
    x: int
    y: int

    @property
    def mercator(self) -> tuple[float, float, float, float]:
        """The tile's box in EPSG:3857 metres (minx, miny, maxx, maxy)."""
        size = 2 * ORIGIN / 2**self.z
        minx = -ORIGIN + self.x * size
        maxy = ORIGIN - self.y * size
        return minx, maxy - size, minx + size, maxy

    def lonlat(self, buffer: int = BUFFER) -> BBox:
        """The tile's box in lon/lat, widened by `buffer` tile units on each side."""
        minx, miny, maxx, maxy = self.mercator
        pad = (maxx - minx) * buffer / EXTENT
        west, south = to_lonlat(minx - pad, miny - pad)
        east, north = to_lonlat(maxx + pad, maxy + pad)
        return BBox(max(west, -180.0), max(south, -90.0), min(east, 180.0), min(north, 90.0))

    @property
    def unit_degrees(self) -> float:
        """Degrees of longitude in one tile unit: what a simplification may move a vertex."""
        return 360.0 / (2**self.z * EXTENT)


def to_lonlat(x: float, y: float) -> tuple[float, float]:
    """EPSG:3857 metres to lon/lat degrees."""
    lon = x / ORIGIN * 180.0
    lat = math.degrees(2 * math.atan(math.exp(y / ORIGIN * math.pi)) - math.pi / 2)
    return lon, lat


def _to_mercator(coords: np.ndarray) -> np.ndarray:
    lon = coords[:, 0]
    lat = np.clip(coords[:, 1], -MAX_LATITUDE, MAX_LATITUDE)
    x = lon * ORIGIN / 180.0
    y = np.log(np.tan((90.0 + lat) * math.pi / 360.0)) * ORIGIN / math.pi
    return np.column_stack([x, y])


def encode_tile(
    layer: str,
    features: Iterable[tuple[BaseGeometry, dict[str, Any]]],
    tile: TileBox,
    *,
    simplify: float = 0.0,
) -> bytes:
    """One layer of (lon/lat geometry, properties) as a Mapbox Vector Tile: simplified by
    `simplify` degrees, clipped to the tile and its buffer, in tile units (0 to EXTENT);
    features left empty are dropped, and a tile without features is empty (b""), as ST_AsMVT's
    is. Properties that are None are left out (MVT has no null)."""
    minx, miny, maxx, _ = tile.mercator
    scale = EXTENT / (maxx - minx)

    def units(coords: np.ndarray) -> np.ndarray:
        # Tile units, y up: the encoder turns them y down, as MVT has them.
        metres = _to_mercator(coords)
        return np.column_stack([(metres[:, 0] - minx) * scale, (metres[:, 1] - miny) * scale])

    box = (-BUFFER, -BUFFER, EXTENT + BUFFER, EXTENT + BUFFER)
    kept = []
    for geometry, properties in features:
        if geometry is None or geometry.is_empty:
            continue
        if simplify and geometry.geom_type not in ("Point", "MultiPoint"):
            geometry = geometry.simplify(simplify, preserve_topology=True)
        shape = shapely.clip_by_rect(shapely.transform(geometry, units), *box)
        if shape.is_empty:
            continue
        values = {k: v for k, v in properties.items() if v is not None}
        kept.append({"geometry": shape, "properties": values})
    if not kept:
        return b""
    encoded: bytes = mapbox_vector_tile.encode(
        [{"name": layer, "features": kept}], default_options={"extents": EXTENT}
    )
    return encoded
