"""PostGIS: the production database."""

from typing import Any

from geoalchemy2 import Geography
from sqlalchemy import Connection, Executable, and_, cast, func, text
from sqlalchemy.sql.elements import ColumnElement

from app.spatial.base import BBox, radius_envelope


class PostGIS:
    """Spatial SQL for PostgreSQL + PostGIS."""

    name = "postgis"

    def engine_options(self) -> dict[str, Any]:
        """Pool sized for a stateless app behind a load balancer."""
        return {"pool_pre_ping": True, "pool_size": 10, "max_overflow": 10}

    def on_connect(self, dbapi_connection: Any, connection_record: Any) -> None:
        """Nothing to prepare: PostGIS is an installed extension."""

    def x(self, geom: Any) -> ColumnElement[float]:
        """Longitude of a point."""
        return func.ST_X(geom)

    def y(self, geom: Any) -> ColumnElement[float]:
        """Latitude of a point."""
        return func.ST_Y(geom)

    def in_bbox(self, table_name: str, geom: Any, pk: Any, bbox: BBox) -> ColumnElement[bool]:
        """ST_Intersects with a constant envelope: the GiST index answers, then the exact test."""
        envelope = func.ST_MakeEnvelope(bbox.minx, bbox.miny, bbox.maxx, bbox.maxy, 4326)
        return func.ST_Intersects(geom, envelope)

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
