"""The contract each spatial backend keeps, and backend-neutral helpers."""

import math
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Connection, Executable, Select, Table
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

    def staging_table(self, connection: Connection, table: Table) -> Table | None:
        """An empty temporary table with the table's columns and no index, constraint or
        trigger (the same one until the transaction ends, then dropped): bulk_insert into it
        and insert_staged from it. None where inserting into the table itself is as fast."""
        ...

    def insert_staged(self, connection: Connection, table: Table, staging: Table) -> None:
        """INSERT INTO table SELECT the staged rows (one statement), and empty the staging."""
        ...

    def foreign_keys_checked_once(
        self, connection: Connection, table: Table
    ) -> AbstractContextManager[None]:
        """Inside the block, the table's new rows have their foreign keys checked once at its
        end, all together, instead of one row at a time (PostgreSQL: the constraints are
        dropped and added again, holding the table exclusively until commit; SQLite: row by
        row as ever, an index probe each). On an error inside, roll the transaction back."""
        ...

    def point_arrays(
        self, connection: Connection, lon: Any, lat: Any, where: list[ColumnElement[bool]]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """The lon and lat columns of the rows matching `where`, as two float arrays, gathered
        into one value by the database (no Python row per point: for 100k-point reads)."""
        ...

    def tagged_point_arrays(
        self, connection: Connection, lon: Any, lat: Any, tag: Any, where: list[ColumnElement[bool]]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int64]]:
        """As point_arrays, with an integer column read beside each point (-1 where NULL), in
        the same one value: the gap analysis's points and their areas in one index read."""
        ...

    def vector_tile(
        self,
        connection: Connection,
        rows: Select[Any],
        *,
        layer: str,
        tile: Any,
        simplify: float = 0.0,
    ) -> bytes:
        """The rows as one layer of a Mapbox Vector Tile (app/spatial/tiles.py TileBox): their
        `geom` column (lon/lat) as the geometry, simplified by `simplify` degrees, clipped to
        the tile; the other columns as properties. b"" when no feature is in the tile."""
        ...
