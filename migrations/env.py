"""Alembic environment: one history for SpatiaLite and PostGIS.

The database comes from ASSETMAP_DATABASE_URL (or a connection passed in by app.migrate).
After every upgrade or downgrade on SpatiaLite, the spatial indexes are checked: a table rebuild
silently drops their triggers and spatial queries then return nothing.
"""

from alembic import context
from geoalchemy2 import alembic_helpers

from app.db import make_engine
from app.models import SPATIAL_COLUMNS, Base
from app.settings import Settings
from app.spatial import backend_for

config = context.config
target_metadata = Base.metadata


def _include_name(name, type_, parent_names) -> bool:  # type: ignore[no-untyped-def]
    # Only our own tables: SpatiaLite keeps many internal ones in the same schema.
    return type_ != "table" or name in target_metadata.tables


def _configure(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_name=_include_name,
        include_object=alembic_helpers.include_object,
        process_revision_directives=alembic_helpers.writer,
        render_item=alembic_helpers.render_item,
        render_as_batch=connection.dialect.name == "sqlite",
    )


def _check_spatial_indexes(connection) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import inspect

    present = set(inspect(connection).get_table_names())
    tables = {t: cols for t, cols in SPATIAL_COLUMNS.items() if t in present}
    problems = backend_for(connection.dialect.name).spatial_index_problems(connection, tables)
    if problems:
        raise RuntimeError("spatial indexes broken after migration: " + "; ".join(problems))


def run_migrations_online() -> None:
    """Run migrations on the given connection, or on one to ASSETMAP_DATABASE_URL."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        _check_spatial_indexes(connection)
        return
    engine = make_engine(Settings())
    with engine.connect() as connection:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        _check_spatial_indexes(connection)
        connection.commit()
    engine.dispose()


run_migrations_online()
