"""Running the Alembic history from code (CLI, tests) against a given engine."""

from functools import lru_cache

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from app.paths import MIGRATIONS_DIR


def alembic_config() -> Config:
    """The project's Alembic configuration, for running the history from code.

    Built here rather than read from alembic.ini, which is for developers' `alembic revision`
    in a checkout: an installed wheel has no alembic.ini, and the ini's prepend_sys_path (the
    working directory) could put another `app` package before the installed one.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database up to `revision`, then add missing taxonomy terms."""
    from app.services.assets.themes import seed_themes

    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    if revision == "head":
        with Session(engine) as session:
            seed_themes(session)
            session.commit()


def downgrade(engine: Engine, revision: str) -> None:
    """Migrate the database down to `revision` ('base' removes everything)."""
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


@lru_cache(maxsize=1)
def head_revisions() -> frozenset[str]:
    """The revisions the code expects the database to be at (Alembic heads)."""
    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def current_revisions(connection: Connection) -> frozenset[str]:
    """The revisions the database says it is at (empty: never migrated)."""
    return frozenset(MigrationContext.configure(connection).get_current_heads())
