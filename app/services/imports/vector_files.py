"""Reading vector files (GeoJSON, GeoPackage, anything GDAL reads) as WGS84 features."""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyogrio.raw
import shapely
from pyproj import CRS, Transformer

WGS84 = CRS.from_epsg(4326)


@dataclass(frozen=True)
class Feature:
    """One feature: its 1-based number in the file, its attributes and its geometry (or None)."""

    number: int
    properties: dict[str, Any]
    geometry: Any


def read_features(path: Path, layer: str | None = None) -> Iterator[Feature]:
    """Every feature of the file, geometry reprojected to EPSG:4326 lon/lat when needed."""
    meta, _fids, geometries, columns = pyogrio.raw.read(path, layer=layer)
    names = list(meta["fields"])
    transform = _to_wgs84(meta.get("crs"))
    for index in range(len(columns[0]) if columns else len(geometries)):
        properties = {name: _plain(columns[i][index]) for i, name in enumerate(names)}
        wkb = geometries[index] if geometries is not None else None
        geom = shapely.from_wkb(wkb) if wkb is not None else None
        if geom is not None and transform is not None:
            geom = shapely.transform(geom, transform, interleaved=False)
        yield Feature(index + 1, properties, geom)


def _to_wgs84(crs: str | None) -> Any:
    if not crs:
        return None
    source = CRS.from_user_input(crs)
    if source.equals(WGS84, ignore_axis_order=True):
        return None
    transformer = Transformer.from_crs(source, WGS84, always_xy=True)
    return lambda x, y: transformer.transform(x, y)


def _plain(value: Any) -> Any:
    """numpy scalars and NaN as plain Python values (None for missing)."""
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value
