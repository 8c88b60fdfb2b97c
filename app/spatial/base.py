"""The contract each spatial backend keeps, and backend-neutral helpers."""

import math
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Connection, Executable, Table
from sqlalchemy.sql.elements import ColumnElement

# Metres per degree of latitude at the equator (the smallest value), used to size prefilter boxes.
_M_PER_DEG_LAT_MIN = 110_574.0
_M_PER_DEG_LON_EQUATOR = 111_320.0


@dataclass(frozen=True)
class BBox:
    """A lon/lat box in EPSG:4326."""

    minx: float
    miny: float
    maxx: float
    maxy: float


def degree_margins(radius_m: float) -> tuple[float, float]:
    """(degrees of latitude, metres per degree of longitude at the equator) padding a radius."""
    return radius_m / _M_PER_DEG_LAT_MIN * 1.01, _M_PER_DEG_LON_EQUATOR / 1.01


def radius_envelope(lon: float, lat: float, radius_m: float) -> BBox:
    """A lon/lat box that certainly contains every point within radius_m (geodesic) of lon/lat."""
    dlat = radius_m / _M_PER_DEG_LAT_MIN * 1.01
    far_lat = min(89.9, abs(lat) + dlat)
    dlon = radius_m / (_M_PER_DEG_LON_EQUATOR * math.cos(math.radians(far_lat))) * 1.01
    return BBox(
        max(-180.0, lon - dlon),
        max(-90.0, lat - dlat),
        min(180.0, lon + dlon),
        min(90.0, lat + dlat),
    )


class SpatialBackend(Protocol):
    """Spatial SQL for one database; every method returns SQLAlchemy expressions or facts."""

    name: str
    # Whether the database has one writer at a time (SQLite): a long write transaction then
    # makes every other writer wait, so long jobs keep theirs short.
    one_writer: bool

    def engine_options(self) -> dict[str, Any]:
        """Keyword arguments for create_engine."""
        ...

    def on_connect(self, dbapi_connection: Any, connection_record: Any) -> None:
        """Prepare a new DBAPI connection (load extensions, pragmas)."""
        ...

    def x(self, geom: Any) -> ColumnElement[float]:
        """Longitude of a point column."""
        ...

    def y(self, geom: Any) -> ColumnElement[float]:
        """Latitude of a point column."""
        ...

    def bounds(self, geom: Any) -> tuple[ColumnElement[float], ...]:
        """A geometry's minx, miny, maxx and maxy (aggregate them with min/max for an extent)."""
        ...

    def in_bbox(self, table_name: str, geom: Any, pk: Any, bbox: BBox) -> ColumnElement[bool]:
        """Rows whose geometry intersects bbox, through the spatial index, rechecked exactly."""
        ...

    def point_in_bbox(self, table_name: str, geom: Any, pk: Any, bbox: BBox) -> ColumnElement[bool]:
        """in_bbox for a POINT column: the same rows, rechecked by comparing coordinates (no
        geometry predicate: for the 100k points of a map view)."""
        ...

    def within_m(
        self, table_name: str, geom: Any, pk: Any, lon: float, lat: float, radius_m: float
    ) -> ColumnElement[bool]:
        """Rows within radius_m geodesic metres of lon/lat, through the spatial index."""
        ...

    def joined_text(self, column: Any, separator: str) -> ColumnElement[str]:
        """Aggregate: the column's values joined by separator (order not guaranteed)."""
        ...

    def distance_m(self, geom: Any, lon: float, lat: float) -> ColumnElement[float]:
        """Geodesic distance in metres (WGS84 ellipsoid) from geom to lon/lat."""
        ...

    def plan_uses_spatial_index(self, connection: Connection, stmt: Executable, index: str) -> bool:
        """True when the database's plan for stmt reads the named spatial index."""
        ...

    def spatial_index_problems(
        self, connection: Connection, tables: dict[str, list[str]]
    ) -> list[str]:
        """Problems with the spatial indexes of these geometry columns (empty: none)."""
        ...

    def lock_table(self, connection: Connection, table_name: str) -> None:
        """Keep other transactions from changing the table's rows until this one ends (reads
        go on): for a rewrite of many rows that others also insert (PostgreSQL: SHARE ROW
        EXCLUSIVE; SQLite: the write lock)."""
        ...

    def begin_writes(self, connection: Connection) -> None:
        """Make the connection's transaction a writer now, before its first write (SQLite's
        BEGIN IMMEDIATE: waits for another writer, then holds the write lock until commit)."""
        ...

    def reserve_ids(
        self, connection: Connection, table_name: str, column: str, count: int, above: int = 0
    ) -> list[int]:
        """`count` new ids for the table, all above `above` and any id in use or handed out;
        later ids from the table's own generator stay above `above` too."""
        ...

    def bulk_insert(self, connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
        """Insert many rows (same keys; geometry values as WKB elements) as fast as it can."""
        ...

    def point_arrays(
        self, connection: Connection, lon: Any, lat: Any, where: list[ColumnElement[bool]]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """The lon and lat columns of the rows matching `where`, as two float arrays, gathered
        into one value by the database (no Python row per point: for 100k-point reads)."""
        ...
