"""Engine and session wiring: one engine per process, one session per request."""

from collections.abc import Iterator
from pathlib import Path

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from app.settings import Settings
from app.spatial import backend_for


def make_engine(settings: Settings) -> Engine:
    """The engine for the configured database (SpatiaLite or PostGIS), ready for spatial SQL."""
    url = make_url(settings.database_url)
    backend = backend_for(url.get_backend_name())
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        # orjson reads the JSON columns (opening hours, languages...) ~5x faster than json.
        json_deserializer=orjson.loads,
        json_serializer=lambda value: orjson.dumps(value).decode(),
        **backend.engine_options(),
    )
    event.listen(engine, "connect", backend.on_connect)
    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to the engine; objects stay readable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One session, committed by the caller, rolled back and closed on the way out."""
    session = factory()
    try:
        yield session
    finally:
        session.rollback()
        session.close()
