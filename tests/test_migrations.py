"""The Alembic history upgrades, downgrades and upgrades again on both backends, with spatial
indexes intact after every step (SpatiaLite loses them silently on a table rebuild)."""

from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, insert, inspect, select

from app.db import make_engine
from app.migrate import alembic_config, downgrade, upgrade
from app.models import SPATIAL_COLUMNS, Asset, Base
from app.settings import Settings
from app.spatial import BBox, backend_for
from app.spatial.geometry import point_element


def revisions() -> list[str]:
    script = ScriptDirectory.from_config(alembic_config())
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def our_tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names()) & set(Base.metadata.tables)


def index_problems(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        present = set(inspect(connection).get_table_names())
        tables = {t: c for t, c in SPATIAL_COLUMNS.items() if t in present}
        return backend_for(engine.dialect.name).spatial_index_problems(connection, tables)


def test_upgrade_downgrade_upgrade_step_by_step(blank_engine: Engine) -> None:
    downgrade(blank_engine, "base")
    assert our_tables(blank_engine) == set()
    for revision in revisions():
        upgrade(blank_engine, revision)
        assert index_problems(blank_engine) == []
    assert our_tables(blank_engine) == set(Base.metadata.tables)
    downgrade(blank_engine, "base")
    assert our_tables(blank_engine) == set()
    upgrade(blank_engine)
    assert our_tables(blank_engine) == set(Base.metadata.tables)
    assert index_problems(blank_engine) == []


def test_models_and_migrations_agree(blank_engine: Engine) -> None:
    upgrade(blank_engine)
    config = alembic_config()
    with blank_engine.connect() as connection:
        config.attributes["connection"] = connection
        command.check(config)  # raises if autogenerate would produce operations


def test_spatial_query_finds_rows_after_migrating(blank_engine: Engine) -> None:
    downgrade(blank_engine, "base")
    upgrade(blank_engine)
    backend = backend_for(blank_engine.dialect.name)
    row = {
        "kind": "group",
        "name_en": "x",
        "search_text": "x",
        "location": point_element(-3.18, 51.48),
        "opening_hours": [],
        "accessibility": [],
        "languages": [],
        "status": "published",
        "version": 1,
    }
    with blank_engine.begin() as connection:
        connection.execute(insert(Asset), [row])
        found = connection.execute(
            select(Asset.id).where(
                backend.in_bbox("assets", Asset.location, Asset.id, BBox(-3.3, 51.4, -3.1, 51.6))
            )
        ).all()
    assert len(found) == 1


def test_a_table_rebuild_is_caught_by_the_spatial_index_check(tmp_path: Path) -> None:
    """What a batch-mode ALTER does to SpatiaLite: the check must notice, not the users."""
    engine = make_engine(Settings(database_url=f"sqlite:///{tmp_path / 'r.sqlite'}"))
    upgrade(engine)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE assets_new AS SELECT * FROM assets")
        connection.exec_driver_sql("DROP TABLE asset_themes")
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.exec_driver_sql("DROP TABLE assets")
        connection.exec_driver_sql("ALTER TABLE assets_new RENAME TO assets")
    problems = index_problems(engine)
    engine.dispose()
    assert problems, "a rebuilt table without its spatial triggers must be reported"
