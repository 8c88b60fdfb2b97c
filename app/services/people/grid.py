"""Public locations of people: the centre of the 1 km grid square a point lies in.

In Great Britain the square is one of the British National Grid (EPSG:27700); elsewhere one of
an equal-area 1 km grid (EPSG:6933, EASE-Grid 2.0 global). The centre depends only on the
square, so it is fixed when a record is saved and two people in one square share one point.
"""

from dataclasses import dataclass
from functools import lru_cache

from pyproj import CRS, Transformer

BNG = "EPSG:27700"
EQUAL_AREA = "EPSG:6933"
CELL_M = 1000
# Where the British National Grid is defined (its CRS's area of use, west, south, east, north).
_BNG_AREA = CRS.from_user_input(BNG).area_of_use
# Coordinates of public points are rounded so equal squares give byte-identical output.
DECIMALS = 6


@dataclass(frozen=True)
class PublicSquare:
    """A 1 km grid square: its centre (lon, lat, WGS84), grid and cell name."""

    lon: float
    lat: float
    grid: str
    cell: str


@lru_cache(maxsize=4)
def _transformers(grid: str) -> tuple[Transformer, Transformer]:
    forward = Transformer.from_crs("EPSG:4326", grid, always_xy=True)
    back = Transformer.from_crs(grid, "EPSG:4326", always_xy=True)
    return forward, back


def _in_bng(lon: float, lat: float) -> bool:
    area = _BNG_AREA
    assert area is not None
    return area.west <= lon <= area.east and area.south <= lat <= area.north


def public_square(lon: float, lat: float) -> PublicSquare:
    """The 1 km square of a point and its centre: where a person is shown."""
    grid = BNG if _in_bng(lon, lat) else EQUAL_AREA
    forward, back = _transformers(grid)
    x, y = forward.transform(lon, lat)
    col, row = int(x // CELL_M), int(y // CELL_M)
    centre_lon, centre_lat = back.transform((col + 0.5) * CELL_M, (row + 0.5) * CELL_M)
    return PublicSquare(
        lon=round(centre_lon, DECIMALS),
        lat=round(centre_lat, DECIMALS),
        grid=grid,
        cell=f"{col}:{row}",
    )
