"""How many points lie within a geodesic distance of each of many centres, in memory (numpy).

Gap analysis pairs ~2,000 area centroids with up to ~100k points of a theme on every call, so
this avoids a Python object per point: candidates come from a sort and binary searches, and
distances from a local estimate whose error is far below a margin; only pairs within that
margin of the line are measured exactly (pyproj's geodesic on WGS84, as elsewhere here).
"""

import numpy as np
from numpy.typing import NDArray
from pyproj import Geod

from app.spatial.base import degree_margins

_GEOD = Geod(ellps="WGS84")
_A = 6_378_137.0  # WGS84 semi-major axis, metres
_E2 = (1 / 298.257223563) * (2 - 1 / 298.257223563)  # WGS84 first eccentricity squared
# Measured against pyproj over 5M random pairs up to 75 km apart within 70 degrees of the
# equator, the estimate is off by at most 4.9e-5 of the distance; a pair whose estimate is within
# 1e-3 of distance_m of the line (20 times that), or nearer a pole, is measured exactly.
_UNSURE_SHARE = 1e-3
_ESTIMATE_MAX_LAT = 70.0
# Sort key: latitude row * _ROW + (lon + 180); rows never overlap as lon + 180 <= 360 < _ROW.
_ROW = 1000.0
_MIN_ROW_DEG = 0.01  # keeps row numbers small, so the float key resolves ~1e-9 degrees
_PAD_DEG = 1e-6  # widens the binary-search bounds beyond the key's rounding
_PAIRS_PER_CHUNK = 2_000_000  # candidate pairs held in memory at once


def _estimate_m(
    lon1: NDArray[np.float64],
    lat1: NDArray[np.float64],
    lon2: NDArray[np.float64],
    lat2: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Distance on the ellipsoid's tangent plane at the mid-latitude (radii of curvature)."""
    phi1, phi2 = np.radians(lat1), np.radians(lat2)
    mid = (phi1 + phi2) / 2
    w = 1 - _E2 * np.sin(mid) ** 2
    prime_vertical = _A / np.sqrt(w)
    meridian = _A * (1 - _E2) / (w * np.sqrt(w))
    dlon = np.radians((lon2 - lon1 + 180.0) % 360.0 - 180.0)
    return np.asarray(np.hypot(prime_vertical * np.cos(mid) * dlon, meridian * (phi2 - phi1)))


def near_counts(
    cx: NDArray[np.float64],
    cy: NDArray[np.float64],
    lon: NDArray[np.float64],
    lat: NDArray[np.float64],
    distance_m: float,
) -> NDArray[np.int64]:
    """For each centre (cx, cy), how many points (lon, lat) lie within distance_m (geodesic)."""
    counts = np.zeros(len(cx), dtype=np.int64)
    if len(cx) == 0 or len(lon) == 0:
        return counts
    dlat, m_per_deg_lon = degree_margins(distance_m)
    far_lat = np.abs(cy) + dlat
    dlon = distance_m / (m_per_deg_lon * np.cos(np.radians(np.minimum(89.9, far_lat))))
    # A box reaching (nearly) a pole, or wider than the globe, takes every longitude.
    dlon = np.where((far_lat >= 89.9) | (dlon >= 180.0), 180.0, dlon)
    # A box over the antimeridian is searched a second time, shifted by 360 degrees.
    shift = np.where(cx - dlon < -180.0, 360.0, np.where(cx + dlon > 180.0, -360.0, 0.0))
    shift[dlon >= 180.0] = 0.0
    crossing = np.flatnonzero(shift)
    box = np.concatenate([np.arange(len(cx)), crossing])
    box_x = np.concatenate([cx, cx[crossing] + shift[crossing]])
    # Points sorted by latitude row, then longitude: a centre's box (no taller than a row)
    # meets at most two rows, and in each its points are one slice found by binary search.
    height = max(2 * dlat, _MIN_ROW_DEG)
    key = np.floor(lat / height) * _ROW + (lon + 180.0)
    # Any order of equal keys will do: the counts do not depend on it (quicksort: half the time).
    order = np.argsort(key)
    key, plon, plat = key[order], lon[order], lat[order]
    first = np.floor((cy[box] - dlat) / height)
    full = dlon[box] >= 180.0
    low = np.where(full, -180.0, box_x - dlon[box]) + 180.0 - _PAD_DEG
    high = np.where(full, 180.0, box_x + dlon[box]) + 180.0 + _PAD_DEG
    starts, ends = [], []
    for row in (first, first + 1):
        starts.append(np.searchsorted(key, row * _ROW + low, "left"))
        ends.append(np.searchsorted(key, row * _ROW + high, "right"))
    start = np.concatenate(starts)
    size = np.maximum(np.concatenate(ends) - start, 0)
    centre = np.tile(box, 2)

    def count(part: NDArray[np.int64]) -> NDArray[np.int64]:
        """Counts from the slices `part`: centre[i] owns the sorted points start[i]:+size[i]."""
        total = int(size[part].sum())
        owner = np.repeat(centre[part], size[part])
        first_of_slice = np.repeat(start[part] - (np.cumsum(size[part]) - size[part]), size[part])
        point = first_of_slice + np.arange(total)
        keep = np.abs(plat[point] - cy[owner]) <= dlat
        owner, point = owner[keep], point[keep]
        x1, y1, x2, y2 = cx[owner], cy[owner], plon[point], plat[point]
        metres = _estimate_m(x1, y1, x2, y2)
        unsure = (np.abs(metres - distance_m) <= _UNSURE_SHARE * distance_m) | (
            np.maximum(np.abs(y1), np.abs(y2)) > _ESTIMATE_MAX_LAT
        )
        near = metres <= distance_m
        if unsure.any():
            _, _, exact = _GEOD.inv(x1[unsure], y1[unsure], x2[unsure], y2[unsure])
            near[unsure] = np.asarray(exact) <= distance_m
        return np.bincount(owner[near], minlength=len(cx)).astype(np.int64)

    # Whole slices at a time, so that a large distance_m cannot exhaust memory.
    ends_at = np.cumsum(size)
    cuts = np.searchsorted(ends_at, np.arange(_PAIRS_PER_CHUNK, ends_at[-1], _PAIRS_PER_CHUNK))
    for part in np.split(np.arange(len(size)), np.unique(cuts)):
        counts += count(part)
    return counts
