"""Geometry conversions and checks in Python (shapely <-> WKB <-> GeoJSON); no SQL here."""

import functools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely
from geoalchemy2 import WKBElement
from pyproj import Transformer
from shapely.geometry import MultiPolygon, Point, Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry

from app.spatial.base import BBox

SRID = 4326


def check_lon_lat(lon: float, lat: float) -> None:
    """Raise ValueError unless lon/lat is a finite WGS84 position."""
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise ValueError("coordinates must be finite numbers")
    if not -180.0 <= lon <= 180.0:
        raise ValueError(f"longitude {lon} is outside -180..180")
    if not -90.0 <= lat <= 90.0:
        raise ValueError(f"latitude {lat} is outside -90..90")


def point_element(lon: float, lat: float) -> WKBElement:
    """A database value for a WGS84 point."""
    return WKBElement(shapely.to_wkb(Point(lon, lat)), srid=SRID)


def point_elements(positions: list[tuple[float, float]]) -> list[WKBElement]:
    """point_element for many lon/lat pairs at once (the same bytes, vectorised: bulk imports)."""
    if not positions:
        return []
    wkbs = shapely.to_wkb(shapely.points(positions))
    return [WKBElement(wkb, srid=SRID) for wkb in wkbs]


def area_element(area: MultiPolygon) -> WKBElement:
    """A database value for a WGS84 multipolygon."""
    return WKBElement(shapely.to_wkb(area), srid=SRID)


def geometry_from_db(value: Any) -> Any:
    """A shapely geometry from a database geometry value (WKB/EWKB element or bytes), or None."""
    if value is None:
        return None
    data = value.data if isinstance(value, WKBElement) else value
    return shapely.from_wkb(bytes(data) if not isinstance(data, str) else data)


def _polygon(rings: list[Any]) -> Polygon:
    shell, *holes = (np.asarray(ring, dtype=np.float64) for ring in rings)
    return shapely.polygons(shell, holes=holes or None)


def _polygonal(geometry: dict[str, Any]) -> BaseGeometry:
    """A GeoJSON Polygon or MultiPolygon as shapely reads it, built from arrays (several times
    faster than shapely.geometry.shape for an area of thousands of positions)."""
    coordinates = geometry["coordinates"]
    if geometry["type"] == "Polygon":
        return _polygon(coordinates)
    return shapely.multipolygons([_polygon(rings) for rings in coordinates])


def multipolygon_from_geojson(geometry: dict[str, Any]) -> MultiPolygon:
    """A valid WGS84 MultiPolygon from a GeoJSON Polygon/MultiPolygon; ValueError says why not."""
    if geometry.get("type") not in ("Polygon", "MultiPolygon"):
        raise ValueError("must be a GeoJSON Polygon or MultiPolygon")
    try:
        geom = _polygonal(geometry)
    except (ValueError, TypeError, AttributeError, IndexError, KeyError, shapely.GEOSException):
        try:  # shapely's own reading says best what is wrong
            geom = shape(geometry)
        except (ValueError, TypeError, AttributeError, IndexError, KeyError) as exc:
            raise ValueError(f"not a readable polygon: {exc}") from exc
    coords = shapely.get_coordinates(geom)
    if coords.size == 0:
        raise ValueError("polygon is empty")
    lons, lats = coords[:, 0], coords[:, 1]
    # Vectorised (an area may have thousands of positions); the first bad one says why.
    bad = ~(np.isfinite(lons) & np.isfinite(lats) & (np.abs(lons) <= 180) & (np.abs(lats) <= 90))
    if bad.any():
        first = int(np.argmax(bad))
        check_lon_lat(float(lons[first]), float(lats[first]))
    if not geom.is_valid:
        raise ValueError(f"invalid polygon: {shapely.is_valid_reason(geom)}")
    if isinstance(geom, Polygon):
        geom = MultiPolygon([geom])
    return geom


def geojson(geom: Any) -> dict[str, Any] | None:
    """RFC 7946 geometry object for a shapely geometry (None stays None)."""
    if geom is None:
        return None
    return mapping(geom)


def point_geojson(lon: float, lat: float) -> dict[str, Any]:
    """RFC 7946 Point."""
    return {"type": "Point", "coordinates": [lon, lat]}


def bounds_of(geometries: Sequence[BaseGeometry]) -> BBox:
    """The lon/lat box around some geometries (at least one)."""
    minx, miny, maxx, maxy = (float(v) for v in shapely.total_bounds(list(geometries)))
    return BBox(minx, miny, maxx, maxy)


# ---- British National Grid -------------------------------------------------------------------

EPSG_27700 = "EPSG:27700"


@functools.cache
def _transformer(source: str, target: str) -> Transformer:
    return Transformer.from_crs(source, target, always_xy=True)


def _coordinates(value: Any, transform: Transformer, digits: int) -> Any:
    if value and isinstance(value[0], int | float):
        x, y = transform.transform(value[0], value[1])
        return [round(x, digits), round(y, digits)]
    return [_coordinates(v, transform, digits) for v in value]


def to_british_national_grid(geometry: dict[str, Any] | None) -> dict[str, Any] | None:
    """A GeoJSON geometry (lon/lat) in EPSG:27700 eastings and northings, to the centimetre."""
    if geometry is None:
        return None
    transform = _transformer("OGC:CRS84", EPSG_27700)
    if geometry.get("type") == "GeometryCollection":
        parts = [to_british_national_grid(g) for g in geometry.get("geometries", [])]
        return {"type": "GeometryCollection", "geometries": parts}
    return {
        "type": geometry["type"],
        "coordinates": _coordinates(geometry["coordinates"], transform, 2),
    }


def bbox_from_british_national_grid(box: tuple[float, float, float, float]) -> BBox:
    """An EPSG:27700 box (minE, minN, maxE, maxN) as the lon/lat box that holds it."""
    transform = _transformer(EPSG_27700, "OGC:CRS84")
    minx, miny, maxx, maxy = transform.transform_bounds(*box, densify_pts=21)
    return BBox(minx, miny, maxx, maxy)
