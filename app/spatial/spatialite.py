"""SpatiaLite: the embedded default (one SQLite file)."""

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import orjson
import shapely
from geoalchemy2 import Geometry
from geoalchemy2.admin.dialects.sqlite import init_spatialite, load_spatialite_driver
from numpy.typing import NDArray
from sqlalchemy import (
    JSON,
    Connection,
    Executable,
    Select,
    Table,
    and_,
    func,
    literal_column,
    select,
    table,
    text,
)
from sqlalchemy.sql.elements import ColumnElement

from app.spatial.base import BBox, radius_envelope
from app.spatial.geometry import geometry_from_db
from app.spatial.tiles import TileBox, encode_tile

os.environ.setdefault("SPATIALITE_LIBRARY_PATH", "mod_spatialite")

# From this many rows, an insert does its triggers' work once, after the rows, not row by row.
BULK_INDEX_MIN_ROWS = 10_000


def sqlite_module() -> Any:
    """A sqlite3 DBAPI module that can load extensions (the system one here cannot)."""
    try:
        import pysqlite3.dbapi2 as module
    except ImportError:  # other platforms: the standard library may allow extensions
        import sqlite3 as module
    return module


def _rtree(table_name: str, column: str) -> Any:
    """The R*Tree virtual table SpatiaLite keeps for a geometry column."""
    return table(
        f"idx_{table_name}_{column}",
        *(literal_column(c) for c in ("pkid", "xmin", "xmax", "ymin", "ymax")),
    )


def _envelope(box: BBox) -> Any:
    """The box as a geometry; a point or a line when it has no width or height (a degenerate
    BuildMbr intersects nothing)."""
    low = func.MakePoint(box.minx, box.miny, 4326)
    if box.minx == box.maxx and box.miny == box.maxy:
        return low
    if box.minx == box.maxx or box.miny == box.maxy:
        return func.MakeLine(low, func.MakePoint(box.maxx, box.maxy, 4326))
    return func.BuildMbr(box.minx, box.miny, box.maxx, box.maxy, 4326)


class SpatiaLite:
    """Spatial SQL for SQLite + mod_spatialite."""

    name = "spatialite"
    # One writer at a time: a long write transaction makes every other writer wait.
    one_writer = True

    def engine_options(self) -> dict[str, Any]:
        """Use an extension-capable sqlite3 module."""
        return {"module": sqlite_module()}

    def on_connect(self, dbapi_connection: Any, connection_record: Any) -> None:
        """Load SpatiaLite, create its metadata once, and make concurrent use safe (WAL)."""
        (driver_timeout,) = dbapi_connection.execute("PRAGMA busy_timeout").fetchone()
        load_spatialite_driver(dbapi_connection)
        # mod_spatialite sets a 5 s busy timeout when it loads: keep the driver's (the engine
        # passes ASSETMAP_DB_BUSY_TIMEOUT) for the statements below, so a locked file fails fast.
        dbapi_connection.execute(f"PRAGMA busy_timeout={int(driver_timeout)}")
        init_spatialite(dbapi_connection, transaction=True, init_mode="WGS84")
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # A writer waits for another's lock (e.g. an import's final transaction) this long;
        # the app's engine sets ASSETMAP_DB_BUSY_TIMEOUT after this.
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    def x(self, geom: Any) -> ColumnElement[float]:
        """Longitude of a point."""
        return func.ST_X(geom)

    def y(self, geom: Any) -> ColumnElement[float]:
        """Latitude of a point."""
        return func.ST_Y(geom)

    def bounds(self, geom: Any) -> tuple[ColumnElement[float], ...]:
        """minx, miny, maxx, maxy of a geometry (its MBR)."""
        return func.MbrMinX(geom), func.MbrMinY(geom), func.MbrMaxX(geom), func.MbrMaxY(geom)

    def _index_candidates(self, table_name: str, geom: Any, pk: Any, box: BBox) -> Any:
        # SpatiaLite never uses its R*Tree on its own: ask it for candidate rowids explicitly.
        idx = _rtree(table_name, geom.key)
        return pk.in_(
            select(idx.c.pkid).where(
                idx.c.xmin <= box.maxx,
                idx.c.xmax >= box.minx,
                idx.c.ymin <= box.maxy,
                idx.c.ymax >= box.miny,
            )
        )

    def in_bbox(self, table_name: str, geom: Any, pk: Any, bbox: BBox) -> ColumnElement[bool]:
        """R*Tree candidates (float32 boxes), rechecked with the exact predicate."""
        return and_(
            self._index_candidates(table_name, geom, pk, bbox),
            func.ST_Intersects(geom, _envelope(bbox)) == 1,
        )

    def point_in_bbox(self, table_name: str, geom: Any, pk: Any, bbox: BBox) -> ColumnElement[bool]:
        """R*Tree candidates, rechecked on the coordinates (ST_Intersects costs as much again)."""
        x, y = func.ST_X(geom), func.ST_Y(geom)
        return and_(
            self._index_candidates(table_name, geom, pk, bbox),
            x.between(bbox.minx, bbox.maxx),
            y.between(bbox.miny, bbox.maxy),
        )

    def within_m(
        self, table_name: str, geom: Any, pk: Any, lon: float, lat: float, radius_m: float
    ) -> ColumnElement[bool]:
        """R*Tree candidates in a box around the point, then the exact geodesic distance."""
        box = radius_envelope(lon, lat, radius_m)
        return and_(
            self._index_candidates(table_name, geom, pk, box),
            self.distance_m(geom, lon, lat) <= radius_m,
        )

    def joined_text(self, column: Any, separator: str) -> ColumnElement[str]:
        """group_concat."""
        return func.group_concat(column, separator)

    def distance_m(self, geom: Any, lon: float, lat: float) -> ColumnElement[float]:
        """Distance on the WGS84 ellipsoid (use_ellipsoid=1)."""
        return func.ST_Distance(geom, func.MakePoint(lon, lat, 4326), 1)

    def plan_uses_spatial_index(self, connection: Connection, stmt: Executable, index: str) -> bool:
        """Read EXPLAIN QUERY PLAN for a scan of the R*Tree virtual table."""
        compiled = stmt.compile(connection, compile_kwargs={"literal_binds": True})  # type: ignore[attr-defined]
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}").all()
        return any(index in str(row[-1]) and "VIRTUAL TABLE" in str(row[-1]) for row in rows)

    def spatial_index_problems(
        self, connection: Connection, tables: dict[str, list[str]]
    ) -> list[str]:
        """Check each geometry column is registered, indexed, trigger-maintained and consistent.

        A table rebuild (Alembic batch mode) drops SpatiaLite's triggers and metadata without an
        error; spatial queries then silently return nothing.
        """
        problems: list[str] = []
        triggers = {
            row[0]
            for row in connection.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'trigger'"
            )
        }
        for table_name, columns in tables.items():
            for column in columns:
                label = f"{table_name}.{column}"
                registered = connection.execute(
                    text(
                        "SELECT spatial_index_enabled FROM geometry_columns WHERE "
                        "lower(f_table_name) = lower(:t) AND lower(f_geometry_column) = lower(:c)"
                    ),
                    {"t": table_name, "c": column},
                ).scalar()
                if registered is None:
                    problems.append(f"{label}: not registered in geometry_columns")
                    continue
                if registered != 1:
                    problems.append(f"{label}: spatial index disabled")
                    continue
                for prefix in ("gii", "giu", "gid"):
                    if f"{prefix}_{table_name}_{column}" not in triggers:
                        problems.append(f"{label}: index trigger {prefix}_ missing")
                ok = connection.execute(
                    text("SELECT CheckSpatialIndex(:t, :c)"), {"t": table_name, "c": column}
                ).scalar()
                if ok != 1:
                    problems.append(f"{label}: R*Tree does not match the table")
        return problems

    def lock_table(self, connection: Connection, table_name: str) -> None:
        """The write lock covers every table: begin_writes."""
        self.begin_writes(connection)

    def begin_writes(self, connection: Connection) -> None:
        """BEGIN IMMEDIATE unless the transaction already writes (the sqlite3 module begins one
        only before DML): what the transaction reads from now on stays true until it ends."""
        driver = connection.connection.driver_connection
        if driver is not None and driver.isolation_level is not None and not driver.in_transaction:
            driver.execute("BEGIN IMMEDIATE")

    def reserve_ids(
        self, connection: Connection, table_name: str, column: str, count: int, above: int = 0
    ) -> list[int]:
        """The ids after max(rowid) and `above`, read under the write lock (SQLite has one
        writer: this transaction, from here until it ends)."""
        if not count:
            return []
        self.begin_writes(connection)
        top = connection.execute(
            select(func.max(literal_column(column))).select_from(table(table_name))
        ).scalar()
        start = max(int(top or 0), above) + 1
        return list(range(start, start + count))

    def point_arrays(
        self, connection: Connection, lon: Any, lat: Any, where: list[ColumnElement[bool]]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """One MULTIPOINT (Collect of MakePoint) as WKB, read by shapely: faster than the
        sqlite3 module's rows, and exact (doubles, unlike SQLite's JSON functions)."""
        stmt = select(func.AsBinary(func.Collect(func.MakePoint(lon, lat)))).where(*where)
        wkb = connection.execute(stmt).scalar()
        if wkb is None:
            return np.empty(0), np.empty(0)
        coordinates = shapely.get_coordinates(shapely.from_wkb(bytes(wkb)))
        return coordinates[:, 0].copy(), coordinates[:, 1].copy()

    def tagged_point_arrays(
        self, connection: Connection, lon: Any, lat: Any, tag: Any, where: list[ColumnElement[bool]]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int64]]:
        """One MULTIPOINT Z, the tag as z (exact for integers below 2**53), as point_arrays."""
        point = func.MakePointZ(lon, lat, func.coalesce(tag, -1))
        wkb = connection.execute(select(func.AsBinary(func.Collect(point))).where(*where)).scalar()
        if wkb is None:
            return np.empty(0), np.empty(0), np.empty(0, dtype=np.int64)
        xyz = shapely.get_coordinates(shapely.from_wkb(bytes(wkb)), include_z=True)
        return xyz[:, 0].copy(), xyz[:, 1].copy(), xyz[:, 2].astype(np.int64)

    def vector_tile(
        self,
        connection: Connection,
        rows: Select[Any],
        *,
        layer: str,
        tile: TileBox,
        simplify: float = 0.0,
    ) -> bytes:
        """The rows encoded in Python (app/spatial/tiles.py): SpatiaLite has no ST_AsMVT."""
        features = []
        for row in connection.execute(rows).mappings():
            properties = {k: v for k, v in row.items() if k != "geom"}
            features.append((geometry_from_db(row["geom"]), properties))
        return encode_tile(layer, features, tile, simplify=simplify)

    def staging_table(self, connection: Connection, table: Table) -> Table | None:
        """None: one executemany into the table itself is SQLite's fastest way in (no COPY)."""
        return None

    def insert_staged(self, connection: Connection, table: Table, staging: Table) -> None:
        """Never called (staging_table gives None)."""
        raise NotImplementedError

    @contextmanager
    def foreign_keys_checked_once(self, connection: Connection, table: Table) -> Iterator[None]:
        """Nothing to change: SQLite checks a row's keys with an index probe, cheap as it is;
        deferring them (PRAGMA defer_foreign_keys) would only move a failure to COMMIT."""
        yield

    def bulk_insert(self, connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
        """One DBAPI executemany of plain tuples, converted column by column.

        Geometries go in as WKB through GeomFromWKB (GeoAlchemy2 would turn each into EWKT
        text for SpatiaLite to parse again). Other values go through the columns' own bind
        processors, once per distinct value where values repeat (timestamps), so what is
        stored is what SQLAlchemy would store. A big batch in a transaction runs without the
        table's per-row insert triggers and does their work once, after the rows: the R*Tree
        filled in one statement (about 4 times faster here), the data version moved by the
        number of rows in one write (one per row was a quarter of a theme link's insert).
        """
        if not rows:
            return
        dialect = connection.dialect
        names = list(rows[0])
        marks: list[str] = []
        columns: list[list[Any]] = []
        for name in names:
            column_type = table.c[name].type
            values = [row[name] for row in rows]
            if isinstance(column_type, Geometry):
                marks.append(f"GeomFromWKB(?, {int(column_type.srid)})")
                columns.append([None if v is None else bytes(v.data) for v in values])
            else:
                marks.append("?")
                columns.append(_bound(column_type, values, dialect))
        quote = dialect.identifier_preparer.quote
        statement = (
            f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in names)}) "
            f"VALUES ({', '.join(marks)})"
        )
        params = list(zip(*columns, strict=True))
        if len(rows) < BULK_INDEX_MIN_ROWS or not _in_transaction(connection):
            connection.exec_driver_sql(statement, params)
            return
        primary = [c.name for c in table.primary_key.columns]
        indexed = [
            c.name
            for c in table.columns
            if isinstance(c.type, Geometry) and c.type.spatial_index and c.name in names
        ]
        if len(primary) != 1 or primary[0] not in names:
            indexed = []  # the R*Tree is filled by rowid: only a table whose key is given
        with _insert_triggers_suspended(connection, table.name, indexed, len(rows)):
            connection.exec_driver_sql(statement, params)
            if indexed:
                ids = [row[primary[0]] for row in rows]
                for column in indexed:
                    _index_rows(connection, table.name, column, ids)


def _bound(column_type: Any, values: list[Any], dialect: Any) -> list[Any]:
    """Values as the column's bind processor makes them (each distinct value once)."""
    if isinstance(column_type, JSON) and not any(v is None for v in values):
        serialize = dialect._json_serializer or json.dumps
        return list(map(serialize, values))
    process = column_type.dialect_impl(dialect).bind_processor(dialect)
    if process is None:
        return values
    try:
        converted = {value: process(value) for value in set(values)}
    except TypeError:  # unhashable values (JSON with nulls)
        return list(map(process, values))
    return list(map(converted.__getitem__, values))


def _in_transaction(connection: Connection) -> bool:
    """True when the DBAPI connection is in (or now opens) a transaction the caller ends."""
    driver = connection.connection.driver_connection
    if driver is None or driver.isolation_level is None:  # autocommit: no transaction to use
        return False
    if not driver.in_transaction:
        # The sqlite3 module begins one implicitly only before DML; DDL comes first here.
        driver.execute("BEGIN")
    return True


@contextmanager
def _insert_triggers_suspended(
    connection: Connection, table_name: str, columns: list[str], rows: int
) -> Iterator[None]:
    """Drop the table's per-row insert triggers (SpatiaLite's R*Tree and last-insert time of
    these columns; the data version's, migration 0011), then create them again from their own
    stored DDL, all inside the caller's transaction, and do once what they did per row."""
    names = [f"{prefix}_{table_name}_{column}" for column in columns for prefix in ("gii", "tmi")]
    names.append(f"data_changed_{table_name}_insert")
    marks = ", ".join("?" for _ in names)
    saved = connection.exec_driver_sql(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name IN ({marks})",
        tuple(names),
    ).all()
    for name, _ in saved:
        connection.exec_driver_sql(f'DROP TRIGGER "{name}"')
    try:
        yield
    finally:
        present = {
            row[0]
            for row in connection.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'trigger'"
            )
        }
        for name, ddl in saved:
            if name not in present:  # an error may have rolled the drops back already
                connection.exec_driver_sql(ddl)
    dropped = {name for name, _ in saved}
    for column in columns:
        if f"tmi_{table_name}_{column}" in dropped:
            connection.exec_driver_sql(
                "UPDATE geometry_columns_time "
                "SET last_insert = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') "
                "WHERE Lower(f_table_name) = Lower(?) AND Lower(f_geometry_column) = Lower(?)",
                (table_name, column),
            )
    if f"data_changed_{table_name}_insert" in dropped:
        # What the trigger adds for each row, added once: the version moves by as much.
        connection.exec_driver_sql(
            "INSERT INTO data_changes (id, tx, weight) VALUES (1, NULL, ?) "
            "ON CONFLICT (id) DO UPDATE SET weight = weight + excluded.weight",
            (rows,),
        )


def _index_rows(connection: Connection, table_name: str, column: str, ids: list[int]) -> None:
    """What the gii_ trigger does for each inserted row, in two statements. The entries are the
    geometries' boxes (SQLite's R*Tree rounds each stored bound outwards to 32 bits, as
    RTreeAlign does), written by one INSERT ... SELECT: nothing comes back to Python."""
    listed = (orjson.dumps(ids).decode(),)
    index = f'"idx_{table_name}_{column}"'
    connection.exec_driver_sql(
        f"DELETE FROM {index} WHERE pkid IN (SELECT value FROM json_each(?))", listed
    )
    connection.exec_driver_sql(
        f"INSERT INTO {index} (pkid, xmin, xmax, ymin, ymax) "
        f'SELECT rowid, MbrMinX("{column}"), MbrMaxX("{column}"), '
        f'MbrMinY("{column}"), MbrMaxY("{column}") FROM "{table_name}" '
        f'WHERE rowid IN (SELECT value FROM json_each(?)) AND "{column}" IS NOT NULL',
        listed,
    )
