"""The only home of SQL that differs between SpatiaLite and PostGIS.

Everything else asks `backend_of(session)` (or `backend_for(dialect_name)`) for expressions
and checks.
"""

from sqlalchemy.orm import Session

from app.spatial.base import BBox, SpatialBackend


def backend_for(dialect_name: str) -> SpatialBackend:
    """The spatial backend for an SQLAlchemy dialect name ('sqlite' or 'postgresql')."""
    if dialect_name == "sqlite":
        from app.spatial.spatialite import SpatiaLite

        return SpatiaLite()
    if dialect_name == "postgresql":
        from app.spatial.postgis import PostGIS

        return PostGIS()
    raise ValueError(f"no spatial backend for {dialect_name!r}")


def backend_of(session: Session) -> SpatialBackend:
    """The spatial backend of the database a session is bound to."""
    return backend_for(session.get_bind().dialect.name)


__all__ = ["BBox", "SpatialBackend", "backend_for", "backend_of"]
