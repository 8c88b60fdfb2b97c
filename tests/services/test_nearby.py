"""near_counts (gap analysis's in-memory pairing) gives pyproj's geodesic answer for every centre,
whatever the distance, near the poles and across the antimeridian; the backends hand it the
points exactly as stored."""

from typing import Any

import numpy as np
import pytest
from pyproj import Geod
from sqlalchemy.orm import Session

from app.models import AssetTheme
from app.services.assets.nearby import near_counts
from app.spatial import backend_for

GEOD = Geod(ellps="WGS84")


def geodesic_counts(cx: Any, cy: Any, lon: Any, lat: Any, distance_m: float) -> list[int]:
    """The reference: every pair measured by pyproj."""
    counts = []
    for x, y in zip(cx, cy, strict=True):
        _, _, metres = GEOD.inv(np.full(len(lon), x), np.full(len(lat), y), lon, lat)
        counts.append(int((metres <= distance_m).sum()))
    return counts


def scattered(lon0: float, lat0: float, distance_m: float, seed: int) -> tuple[Any, ...]:
    """20 centres and 2,000 points around lon0/lat0 within a few distances, plus 100 points at
    exactly distance_m from the first centre (the closest calls there are)."""
    rng = np.random.default_rng(seed)
    spread = 3 * distance_m / 111_000

    def around(n: int) -> tuple[Any, Any]:
        lat = np.clip(lat0 + rng.normal(0, spread, n), -89.99, 89.99)
        stretch = 1 / max(np.cos(np.radians(lat0)), 0.05)
        lon = (lon0 + rng.normal(0, spread * stretch, n) + 180.0) % 360.0 - 180.0
        return lon, lat

    cx, cy = around(20)
    lon, lat = around(2000)
    rim_lon, rim_lat, _ = GEOD.fwd(
        np.full(100, cx[0]), np.full(100, cy[0]), rng.uniform(0, 360, 100), np.full(100, distance_m)
    )
    return cx, cy, np.concatenate([lon, rim_lon]), np.concatenate([lat, rim_lat])


@pytest.mark.parametrize(
    ("lon0", "lat0", "distance_m"),
    [
        (-3.2, 51.5, 800.0),  # Cardiff, the default distance
        (-3.2, 51.5, 0.5),
        (-3.9, 52.3, 50_000.0),  # the largest distance the API takes
        (179.99, -16.5, 2_000.0),  # Fiji, across the antimeridian
        (-179.995, 65.0, 20_000.0),
        (20.0, 78.5, 5_000.0),  # Svalbard: past the fast estimate's latitude limit
        (0.0, 89.98, 3_000.0),  # around the North Pole
    ],
)
def test_counts_match_the_geodesic_for_every_centre(
    lon0: float, lat0: float, distance_m: float
) -> None:
    cx, cy, lon, lat = scattered(lon0, lat0, distance_m, seed=int(abs(lon0 * lat0)))
    expected = geodesic_counts(cx, cy, lon, lat, distance_m)
    assert sum(expected) > 0
    assert near_counts(cx, cy, lon, lat, distance_m).tolist() == expected


def test_nothing_to_pair_gives_zero_counts() -> None:
    centres = np.array([-3.2, -3.1]), np.array([51.5, 51.4])
    empty = np.empty(0)
    assert near_counts(*centres, empty, empty, 800.0).tolist() == [0, 0]
    assert near_counts(empty, empty, *centres, 800.0).tolist() == []


def test_the_backend_reads_the_points_exactly_as_stored(session: Session, make_asset: Any) -> None:
    places = [(-3.123456789012345, 51.98765432109876), (-4.1, 52.2), (-3.123456789012345, 51.5)]
    for lon, lat in places:
        make_asset(themes=["food"], location={"type": "Point", "coordinates": [lon, lat]})
    make_asset(themes=["food"], status="pending")
    backend = backend_for(session.get_bind().dialect.name)
    lon, lat = backend.point_arrays(
        session.connection(),
        AssetTheme.lon,
        AssetTheme.lat,
        [AssetTheme.theme_code == "food", AssetTheme.public.is_(True)],
    )
    assert sorted(zip(lon.tolist(), lat.tolist(), strict=True)) == sorted(places)
    none = backend.point_arrays(
        session.connection(), AssetTheme.lon, AssetTheme.lat, [AssetTheme.theme_code == "housing"]
    )
    assert [len(column) for column in none] == [0, 0]
