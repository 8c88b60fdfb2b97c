"""PostGIS: the production database."""

import struct
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import orjson
import psycopg
from geoalchemy2 import Geography, Geometry
from numpy.typing import NDArray
from psycopg import sql
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Connection,
    DateTime,
    Executable,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    Select,
    Table,
    and_,
    cast,
    func,
    literal_column,
    select,
    text,
)
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.sql.elements import ColumnElement

from app.spatial.base import BBox, radius_envelope
from app.spatial.tiles import BUFFER, EXTENT, TileBox


def _point(lon: float, lat: float) -> Any:
    return func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326)


def _envelope(box: BBox) -> Any:
    """The box as a geometry; a point or a line when it has no width or height (a degenerate
    envelope intersects nothing)."""
    if box.minx == box.maxx and box.miny == box.maxy:
        return _point(box.minx, box.miny)
    if box.minx == box.maxx or box.miny == box.maxy:
        return func.ST_MakeLine(_point(box.minx, box.miny), _point(box.maxx, box.maxy))
    return func.ST_MakeEnvelope(box.minx, box.miny, box.maxx, box.maxy, 4326)


# How long a bulk write waits for the tables it must hold alone before it does without.
LOCK_WAIT = "2s"


class PostGIS:
    """Spatial SQL for PostgreSQL + PostGIS."""

    name = "postgis"
    # Writers wait only for the rows they both change.
    one_writer = False

    def engine_options(self) -> dict[str, Any]:
        """Pool sized for a stateless app behind a load balancer."""
        return {"pool_pre_ping": True, "pool_size": 10, "max_overflow": 10}

    def on_connect(self, dbapi_connection: Any, connection_record: Any) -> None:
        """Turn PostgreSQL's JIT compilation off for this connection.

        JIT starts when a plan's cost passes jit_above_cost, as the earlier gap statements over
        1M assets did: it spent 80 ms compiling a statement that ran 0.7 s and saved nothing
        (EXPLAIN ANALYZE, bench/README.md). A request's statements should be fast or be fixed,
        never compiled; the current gap statements stay below the threshold either way.
        """
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET jit = off")
        dbapi_connection.commit()  # else the first rollback of the session would undo the SET

    def x(self, geom: Any) -> ColumnElement[float]:
        """Longitude of a point."""
        return func.ST_X(geom)

    def y(self, geom: Any) -> ColumnElement[float]:
        """Latitude of a point."""
        return func.ST_Y(geom)

    def bounds(self, geom: Any) -> tuple[ColumnElement[float], ...]:
        """minx, miny, maxx, maxy of a geometry."""
        return func.ST_XMin(geom), func.ST_YMin(geom), func.ST_XMax(geom), func.ST_YMax(geom)

    def in_bbox(self, table_name: str, geom: Any, pk: Any, bbox: BBox) -> ColumnElement[bool]:
        """ST_Intersects with a constant envelope: the GiST index answers, then the exact test."""
        return func.ST_Intersects(geom, _envelope(bbox))

    def point_in_bbox(self, table_name: str, geom: Any, pk: Any, bbox: BBox) -> ColumnElement[bool]:
        """in_bbox: PostGIS tests a point against a box cheaply already."""
        return self.in_bbox(table_name, geom, pk, bbox)

    def within_m(
        self, table_name: str, geom: Any, pk: Any, lon: float, lat: float, radius_m: float
    ) -> ColumnElement[bool]:
        """Geometry-index prefilter on a box, then the exact geography (spheroid) check."""
        box = radius_envelope(lon, lat, radius_m)
        envelope = func.ST_MakeEnvelope(box.minx, box.miny, box.maxx, box.maxy, 4326)
        point = cast(func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326), Geography)
        return and_(
            geom.op("&&")(envelope),
            func.ST_DWithin(cast(geom, Geography), point, radius_m, True),
        )

    def joined_text(self, column: Any, separator: str) -> ColumnElement[str]:
        """string_agg."""
        return func.string_agg(column, separator)

    def distance_m(self, geom: Any, lon: float, lat: float) -> ColumnElement[float]:
        """Distance on the WGS84 spheroid (geography)."""
        point = cast(func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326), Geography)
        return func.ST_Distance(cast(geom, Geography), point, True)

    def plan_uses_spatial_index(self, connection: Connection, stmt: Executable, index: str) -> bool:
        """Read EXPLAIN for an index or bitmap index scan on the named GiST index."""
        compiled = stmt.compile(connection, compile_kwargs={"literal_binds": True})  # type: ignore[attr-defined]
        plan = "\n".join(row[0] for row in connection.exec_driver_sql(f"EXPLAIN {compiled}"))
        return f"Index Scan using {index}" in plan or f"Bitmap Index Scan on {index}" in plan

    def spatial_index_problems(
        self, connection: Connection, tables: dict[str, list[str]]
    ) -> list[str]:
        """Each geometry column must have a valid GiST index."""
        problems: list[str] = []
        for table_name, columns in tables.items():
            for column in columns:
                found = connection.execute(
                    text(
                        "SELECT i.indisvalid FROM pg_index i "
                        "JOIN pg_class t ON t.oid = i.indrelid "
                        "JOIN pg_class ix ON ix.oid = i.indexrelid "
                        "JOIN pg_am am ON am.oid = ix.relam "
                        "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY(i.indkey) "
                        "WHERE t.relname = :t AND a.attname = :c AND am.amname = 'gist'"
                    ),
                    {"t": table_name, "c": column},
                ).scalar()
                if found is None:
                    problems.append(f"{table_name}.{column}: no GiST index")
                elif not found:
                    problems.append(f"{table_name}.{column}: GiST index invalid")
        return problems

    def lock_table(self, connection: Connection, table_name: str) -> None:
        """LOCK TABLE ... IN SHARE ROW EXCLUSIVE MODE: other writers of the table wait."""
        quoted = connection.dialect.identifier_preparer.quote(table_name)
        connection.exec_driver_sql(f"LOCK TABLE {quoted} IN SHARE ROW EXCLUSIVE MODE")

    def begin_writes(self, connection: Connection) -> None:
        """Nothing to do: writers lock the rows they change, and ids come from sequences."""

    def reserve_ids(
        self, connection: Connection, table_name: str, column: str, count: int, above: int = 0
    ) -> list[int]:
        """Draw ids from the serial sequence, first moving it past `above` (explicit ids)."""
        params = {"t": table_name, "c": column, "above": above, "n": count}
        sequence = "pg_get_serial_sequence(:t, :c)"
        if above:
            connection.execute(
                text(f"SELECT setval({sequence}, GREATEST(:above, nextval({sequence})))"), params
            )
        if not count:
            return []
        # One array, not a row per id (a driver fetch each: 0.5 s per 60k ids).
        drawn = connection.execute(
            text(f"SELECT array_agg(nextval({sequence})) FROM generate_series(1, :n)"), params
        )
        return [int(value) for value in drawn.scalar_one()]

    def staging_table(self, connection: Connection, table: Table) -> Table | None:
        """CREATE TEMPORARY TABLE staging_<table> (LIKE <table>) ON COMMIT DROP: no WAL, no
        index, no constraint but NOT NULL, nothing any other session waits for."""
        name = f"staging_{table.name}"
        quote = connection.dialect.identifier_preparer.quote
        connection.exec_driver_sql(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {quote(name)} (LIKE {quote(table.name)} "
            "INCLUDING DEFAULTS) "
            "ON COMMIT DROP"
        )
        return Table(name, MetaData(), *(Column(c.name, c.type) for c in table.columns))

    def insert_staged(self, connection: Connection, table: Table, staging: Table) -> None:
        """INSERT INTO table (columns) SELECT columns FROM staging, then TRUNCATE staging."""
        quote = connection.dialect.identifier_preparer.quote
        names = ", ".join(quote(c.name) for c in staging.columns)
        connection.exec_driver_sql(
            f"INSERT INTO {quote(table.name)} ({names}) SELECT {names} FROM {quote(staging.name)}"
        )
        connection.exec_driver_sql(f"TRUNCATE {quote(staging.name)}")

    @contextmanager
    def foreign_keys_checked_once(self, connection: Connection, table: Table) -> Iterator[None]:
        """Drop the table's foreign keys, then add them again exactly as they were: one
        validating join per key instead of a trigger query per row (about 25 us each).

        Call it first in the transaction: it locks the table and the tables it refers to
        before anything else (waiting at most LOCK_WAIT, so no cycle with the app's writers
        can form); when they are busy, the keys are checked row by row as usual instead."""
        quote = connection.dialect.identifier_preparer.quote
        found = connection.execute(
            text(
                "SELECT conname, pg_get_constraintdef(oid), CAST(confrelid AS regclass) "
                "FROM pg_constraint WHERE conrelid = CAST(:t AS regclass) AND contype = 'f' "
                "ORDER BY conname"
            ),
            {"t": table.name},
        ).all()
        name = quote(table.name)
        wait = connection.exec_driver_sql("SHOW lock_timeout").scalar_one()
        attempt = connection.begin_nested()
        try:
            connection.exec_driver_sql(f"SET LOCAL lock_timeout = '{LOCK_WAIT}'")
            connection.exec_driver_sql(f"LOCK TABLE {name} IN ACCESS EXCLUSIVE MODE")
            for referred in sorted({str(row[2]) for row in found}):
                connection.exec_driver_sql(f"LOCK TABLE {referred} IN SHARE ROW EXCLUSIVE MODE")
            connection.exec_driver_sql(f"SET LOCAL lock_timeout = '{wait}'")
        except OperationalError:  # busy: lock_timeout
            attempt.rollback()
            found = []
        else:
            attempt.commit()
        for constraint, _, _ in found:
            connection.exec_driver_sql(f"ALTER TABLE {name} DROP CONSTRAINT {quote(constraint)}")
        yield
        for constraint, definition, _ in found:
            connection.exec_driver_sql(
                f"ALTER TABLE {name} ADD CONSTRAINT {quote(constraint)} {definition}"
            )

    def point_arrays(
        self, connection: Connection, lon: Any, lat: Any, where: list[ColumnElement[bool]]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """One bytea of big-endian float8 pairs (string_agg of float8send): a tenth of the
        client time of fetching 100k rows, and less server time than ST_Collect."""
        pair = func.float8send(lon).op("||")(func.float8send(lat))
        stmt = select(func.string_agg(pair, literal_column("''::bytea"))).where(*where)
        blob = connection.execute(stmt).scalar()
        pairs = np.frombuffer(blob or b"", dtype=">f8").astype(np.float64).reshape(-1, 2)
        return pairs[:, 0].copy(), pairs[:, 1].copy()

    def tagged_point_arrays(
        self, connection: Connection, lon: Any, lat: Any, tag: Any, where: list[ColumnElement[bool]]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int64]]:
        """One bytea of big-endian (float8, float8, int4) triples, as point_arrays."""
        triple = func.float8send(lon).op("||")(func.float8send(lat))
        triple = triple.op("||")(func.int4send(func.coalesce(tag, -1)))
        stmt = select(func.string_agg(triple, literal_column("''::bytea"))).where(*where)
        blob = connection.execute(stmt).scalar()
        rows = np.frombuffer(blob or b"", dtype=[("lon", ">f8"), ("lat", ">f8"), ("tag", ">i4")])
        return (
            rows["lon"].astype(np.float64),
            rows["lat"].astype(np.float64),
            rows["tag"].astype(np.int64),
        )

    def vector_tile(
        self,
        connection: Connection,
        rows: Select[Any],
        *,
        layer: str,
        tile: TileBox,
        simplify: float = 0.0,
    ) -> bytes:
        """ST_AsMVT of the rows (their `geom`, lon/lat, simplified by `simplify` degrees, then
        ST_AsMVTGeom into the tile: clipped, quantised; the other columns as properties)."""
        source = rows.subquery("source")
        geom: Any = source.c.geom
        if simplify:
            geom = func.ST_SimplifyPreserveTopology(geom, simplify)
        envelope = func.ST_TileEnvelope(cast(tile.z, Integer), cast(tile.x, Integer),
                                        cast(tile.y, Integer))  # fmt: skip
        shaped = func.ST_AsMVTGeom(func.ST_Transform(geom, 3857), envelope, EXTENT, BUFFER, True)
        columns = [c for c in source.c if c.name != "geom"]
        features = select(*columns, shaped.label("geom")).subquery("features")
        stmt = select(
            func.ST_AsMVT(literal_column("features"), layer, EXTENT, "geom", type_=LargeBinary)
        ).where(features.c.geom.is_not(None))
        return bytes(connection.execute(stmt).scalar() or b"")

    def bulk_insert(self, connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
        """COPY FROM STDIN in text format, the text built column by column.

        About 4 times faster than executemany, and building the COPY text ourselves (C-level
        joins over whole columns) is another 3 times faster than psycopg's per-row write_row.
        Geometries go as hex EWKB, JSON as the engine's JSON text, times as ISO 8601 with zone.
        """
        if not rows:
            return
        names = list(rows[0])
        dialect = connection.dialect
        serialize = dialect._json_serializer or _json_text
        columns = [
            _copy_column(table.c[name].type, [row[name] for row in rows], serialize)
            for name in names
        ]
        copy_sql = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, names))
        )
        driver = connection.connection.driver_connection
        assert driver is not None
        lines = list(map("\t".join, zip(*columns, strict=True)))
        try:
            with driver.cursor() as cursor, cursor.copy(copy_sql) as copy:
                for start in range(0, len(lines), _COPY_CHUNK):
                    chunk = lines[start : start + _COPY_CHUNK]
                    copy.write(("\n".join(chunk) + "\n").encode())
        except psycopg.IntegrityError as exc:  # as SQLAlchemy raises it for its own statements
            raise IntegrityError(copy_sql.as_string(driver), None, exc) from exc


def _copy_column(column_type: Any, values: list[Any], serialize: Any) -> list[str]:
    """One column's values as COPY text fields (\\N for NULL, special characters escaped)."""
    if isinstance(column_type, Geometry):
        return [_NULL if v is None else _ewkb_hex(v) for v in values]
    if isinstance(column_type, JSON):
        return _escaped_all(list(map(serialize, values)))
    if isinstance(column_type, Integer | Float | Numeric):
        return [_NULL if v is None else str(v) for v in values]
    if isinstance(column_type, Boolean):
        return [_NULL if v is None else ("t" if v else "f") for v in values]
    if isinstance(column_type, DateTime) or isinstance(
        getattr(column_type, "impl", None), DateTime
    ):
        times = {v: _NULL if v is None else _iso_time(v) for v in set(values)}
        return list(map(times.__getitem__, values))
    texts = _escaped_all([v if v is None or isinstance(v, str) else str(v) for v in values])
    return [_NULL if v is None else v for v in texts]


def _escaped_all(texts: list[Any]) -> list[Any]:
    """_escaped on each text, skipped for a whole column without special characters."""
    joined = "".join(filter(None, texts))
    if not any(special in joined for special in _SPECIALS):
        return texts
    return [None if t is None else _escaped(t) for t in texts]


def _iso_time(value: Any) -> str:
    if value.tzinfo is None:
        raise ValueError("naive datetime: pass an aware datetime")
    return value.isoformat()


def _escaped(text: str) -> str:
    """COPY text format: backslash, newline, carriage return and tab escaped."""
    if "\\" in text:
        text = text.replace("\\", "\\\\")
    if "\n" in text:
        text = text.replace("\n", "\\n")
    if "\r" in text:
        text = text.replace("\r", "\\r")
    if "\t" in text:
        text = text.replace("\t", "\\t")
    return text


_NULL = "\\N"
_SPECIALS = ("\\", "\n", "\r", "\t")
_COPY_CHUNK = 5000


def _json_text(value: Any) -> str:
    return orjson.dumps(value).decode()


def _ewkb_hex(element: Any) -> str:
    """PostGIS's hex EWKB (WKB with the SRID inside) for a WKB element."""
    data = bytes(element.data)
    order = "<" if data[0] == 1 else ">"
    (kind,) = struct.unpack(order + "I", data[1:5])
    if kind & _EWKB_SRID_FLAG:
        return data.hex()
    srid = element.srid if element.srid and element.srid > 0 else 4326
    return (data[:1] + struct.pack(order + "II", kind | _EWKB_SRID_FLAG, srid) + data[5:]).hex()


_EWKB_SRID_FLAG = 0x20000000
