"""Running the Alembic history from code (CLI, tests) against a given engine."""

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.settings import PROJECT_DIR


def alembic_config() -> Config:
    """The project's Alembic configuration."""
    config = Config(str(PROJECT_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_DIR / "migrations"))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database up to `revision`, then add missing taxonomy terms."""
    from app.services.themes import seed_themes

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
