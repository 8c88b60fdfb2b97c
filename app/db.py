"""Engine and session wiring: one engine per process, one session per request.

Also what counts as the database being unavailable (answered 503, not 500) and the one log line
per outage that says so (and one more when it is back).
"""

import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    InterfaceError,
    NoSuchModuleError,
    OperationalError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

from app.settings import Settings
from app.spatial import backend_for

log = logging.getLogger("assetmap.database")

# SQLite's words for "cannot use the file now" (as opposed to a mistake in a statement, which
# SQLite also reports as OperationalError).
SQLITE_UNAVAILABLE = (
    "database is locked",
    "database is busy",
    "database table is locked",
    "unable to open database file",
    "disk i/o error",
    "file is not a database",
    "database disk image is malformed",
)


class ConfigurationError(Exception):
    """A setting cannot be used as given; the message says which and why, in one line."""


def database_url(settings: Settings) -> URL:
    """The configured database URL, checked: a SpatiaLite file's directory must exist."""
    try:
        url = make_url(settings.database_url)
    except ArgumentError:
        raise ConfigurationError("ASSETMAP_DATABASE_URL is not a database URL") from None
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        directory = Path(url.database).parent
        if not directory.is_dir():
            raise ConfigurationError(
                f"ASSETMAP_DATABASE_URL: the directory {directory} does not exist "
                "(create it first; a mistyped path must not become a new empty database)"
            )
    return url


def make_engine(settings: Settings, *, serving: bool = False) -> Engine:
    """The engine for the configured database (SpatiaLite or PostGIS), ready for spatial SQL.

    Pool size and timeouts come from the settings; `serving` (the web app) also limits how
    long one statement may run on PostgreSQL, which commands such as imports must not be.
    """
    url = database_url(settings)
    backend = backend_for(url.get_backend_name())
    options: dict[str, Any] = {**backend.engine_options(), "pool_pre_ping": True}
    if url.get_backend_name() == "postgresql":
        connect_args: dict[str, Any] = {"connect_timeout": settings.db_connect_timeout}
        if serving and settings.db_statement_timeout > 0:
            milliseconds = round(settings.db_statement_timeout * 1000)
            connect_args["options"] = f"-c statement_timeout={milliseconds}"
        options["connect_args"] = connect_args
    else:
        # The driver's own busy timeout covers the statements run while connecting.
        options["connect_args"] = {"timeout": settings.db_busy_timeout}
    if url.get_backend_name() == "postgresql" or (url.database or ":memory:") != ":memory:":
        options |= {
            "pool_size": settings.db_pool_size,
            "max_overflow": settings.db_max_overflow,
            "pool_timeout": settings.db_pool_timeout,
        }
    try:
        engine = create_engine(
            url,
            # orjson reads the JSON columns (opening hours, languages...) ~5x faster than json.
            json_deserializer=orjson.loads,
            json_serializer=lambda value: orjson.dumps(value).decode(),
            # An error's text (logged, or shown by a traceback) never holds the statement's
            # values: they are people's names, contacts and places.
            hide_parameters=True,
            **options,
        )
    except (NoSuchModuleError, ImportError) as exc:
        raise ConfigurationError(
            f"ASSETMAP_DATABASE_URL: no database driver for {url.drivername!r} ({exc})"
        ) from None
    event.listen(engine, "connect", backend.on_connect)
    event.listen(engine, "handle_error", _without_values)
    if url.get_backend_name() == "sqlite":
        busy_ms = round(settings.db_busy_timeout * 1000)

        def busy_timeout(dbapi_connection: Any, connection_record: Any) -> None:
            # After the backend's own connect hook, so that the setting has the last word.
            dbapi_connection.execute(f"PRAGMA busy_timeout={busy_ms}")

        event.listen(engine, "connect", busy_timeout)
    return engine


def _without_values(context: Any) -> None:
    """Keep the values of a failed statement out of the error's text (so out of every log and
    traceback): PostgreSQL's DETAIL says e.g. "Failing row contains (..., name, email, ...)" or
    "Key (email)=(...) already exists". The text keeps PostgreSQL's primary message; the detail
    stays readable in code as `exc.orig.diag.message_detail`."""
    original = context.original_exception
    diag = getattr(original, "diag", None)
    if diag is None or not (diag.message_detail or diag.context):
        return
    full = str(original)
    terse = diag.message_primary or type(original).__name__
    original.args = (terse,)
    wrapped = context.sqlalchemy_exception
    if wrapped is not None and wrapped.args and isinstance(wrapped.args[0], str):
        wrapped.args = (wrapped.args[0].replace(full, terse), *wrapped.args[1:])


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


def database_unavailable(exc: BaseException) -> bool:
    """Whether an error means the database cannot be used just now (down, unreachable, stalled,
    locked, out of connections) rather than a mistake in what was asked of it."""
    if isinstance(exc, PoolTimeout):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated or isinstance(exc, InterfaceError):
        return True
    if not isinstance(exc, OperationalError):
        return "file is not a database" in str(exc.orig).lower()
    module = type(exc.orig).__module__
    if module.startswith("psycopg"):
        # PostgreSQL's operational errors: connection failures, shutdowns, statement timeouts,
        # too many clients, serialisation failures; all are worth retrying later.
        return True
    message = str(exc.orig).lower()
    return any(words in message for words in SQLITE_UNAVAILABLE)


def reason(exc: BaseException) -> str:
    """What went wrong, in one line and without the statement or its values."""
    if isinstance(exc, PoolTimeout):
        return "no free connection in the pool (ASSETMAP_DB_POOL_TIMEOUT passed)"
    original = exc.orig if isinstance(exc, DBAPIError) else exc
    lines = [line.strip() for line in str(original).splitlines() if line.strip()]
    first = lines[0] if lines else ""
    return f"{type(original).__name__}: {first}" if first else type(original).__name__


class OutageLog:
    """One warning when the database becomes unavailable and one line when it is back, instead
    of a traceback for every request in between."""

    def __init__(self, engine: Engine, logger: logging.Logger = log) -> None:
        self._lock = threading.Lock()
        self._down_since: float | None = None
        self._log = logger
        self._where = engine.url.render_as_string(hide_password=True)
        event.listen(engine, "after_cursor_execute", self._statement_ran)

    @property
    def down(self) -> bool:
        """Whether the last thing heard from the database was an outage."""
        return self._down_since is not None

    def failed(self, exc: BaseException) -> None:
        """Note an outage error; logs only when the database was thought to be up."""
        with self._lock:
            if self._down_since is not None:
                return
            self._down_since = time.monotonic()
        self._log.warning(
            "database unavailable (%s): %s; answering 503 until it answers again",
            self._where,
            reason(exc),
        )

    def _statement_ran(self, *args: Any) -> None:
        if self._down_since is None:  # the common case: one attribute read per statement
            return
        with self._lock:
            since, self._down_since = self._down_since, None
        if since is not None:
            self._log.warning(
                "database available again (%s) after %.1f s", self._where, time.monotonic() - since
            )
