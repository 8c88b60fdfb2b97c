"""A database that is down, stalled, locked or out of connections: the app answers 503 with
Retry-After (JSON for the API, a translated page for pages), logs one line per outage instead
of a traceback per request, and recovers by itself when the database is back."""

import contextlib
import gc
import logging
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from app.db import ConfigurationError, make_engine
from app.main import create_app
from app.settings import Settings
from tests.conftest import ADMIN, asset_body, fresh_postgis_database, postgis_url

WELSH_503 = "Nid yw'r map hwn ar gael ar hyn o bryd"
PAGE = "/cy/assets/1"
API = "/api/v1/assets"


class Proxy:
    """A TCP proxy in front of PostgreSQL that a test can cut (connections closed at once),
    stall (connections accepted, never answered) and mend."""

    def __init__(self, port: int) -> None:
        self.target = port
        self.mode = "forward"
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self.mode == "down":
                client.close()
                continue
            with self._lock:
                self._open.append(client)
            if self.mode == "stall":
                continue
            upstream = socket.create_connection(("127.0.0.1", self.target))
            with self._lock:
                self._open.append(upstream)
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for s in (source, sink):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def set(self, mode: str) -> None:
        """forward, down (every connection closed) or stall (accepted, never answered)."""
        self.mode = mode
        if mode != "forward":
            with self._lock:
                connections, self._open = self._open, []
            for s in connections:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()

    def close(self) -> None:
        """Stop listening and close every connection."""
        self.set("down")
        self._listener.close()


@pytest.fixture
def outage_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Log records of warnings and worse."""
    caplog.set_level(logging.WARNING)
    return caplog


def problems(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Warning (and worse) log lines."""
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def assert_unavailable(client: TestClient, *, headers: dict[str, str] | None = None) -> None:
    """API and page both answer 503 with Retry-After."""
    api = client.get(API, headers=headers)
    assert api.status_code == 503, api.text
    assert api.headers["retry-after"] == "5"
    assert api.json() == {"detail": "the database is not available just now; try again shortly"}
    page = client.get(PAGE)
    assert page.status_code == 503
    assert page.headers["retry-after"] == "5"
    assert WELSH_503 in page.text and "Traceback" not in page.text
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.json()["status"] == "unavailable"
    assert client.get("/healthz").status_code == 200


# ---- readiness -------------------------------------------------------------------------------


def test_healthz_answers_while_readyz_says_the_database_is_ready(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["status"] == "ready"
    assert ready.json()["revision"] == ready.json()["expected"] != []


@pytest.fixture
def empty_database_url(backend_name: str, tmp_path: Path) -> Iterator[str]:
    """A database that exists but was never migrated."""
    if backend_name == "spatialite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite'}"
        return
    with fresh_postgis_database(postgis_url()) as url:
        yield url


def test_an_empty_unmigrated_database_is_not_ready(empty_database_url: str) -> None:
    app = create_app(Settings(database_url=empty_database_url, consent_sweep_seconds=0))
    with TestClient(app) as client:
        ready = client.get("/readyz")
        assert client.get("/healthz").status_code == 200
    assert ready.status_code == 503
    assert ready.headers["retry-after"] == "5"
    assert ready.json()["status"] == "not migrated"
    assert ready.json()["revision"] == []


def test_a_spatialite_path_in_a_missing_directory_is_an_error(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'typo' / 'assetmap.sqlite'}"
    with pytest.raises(ConfigurationError, match="does not exist"):
        make_engine(Settings(database_url=url))
    assert not (tmp_path / "typo").exists()


# ---- PostGIS down, back, stalled -------------------------------------------------------------


@pytest.fixture
def proxied(db: Engine, db_url: str, backend_name: str) -> Iterator[tuple[Proxy, Settings]]:
    """The migrated test PostGIS database behind a proxy that the test can cut, and settings
    (short timeouts) pointing at it through the proxy."""
    assert backend_name == "postgis", "a TCP proxy only stands between the app and PostgreSQL"
    url = make_url(db_url)
    proxy = Proxy(url.port or 5432)
    settings = Settings(
        database_url=url.set(port=proxy.port).render_as_string(hide_password=False),
        admin_token="test-admin-token",
        db_connect_timeout=2,
        db_statement_timeout=1,
        consent_sweep_seconds=0,
    )
    yield proxy, settings
    proxy.close()


@pytest.mark.backend("postgis")
def test_postgis_down_answers_503_logs_once_and_recovers_without_restart(
    proxied: tuple[Proxy, Settings], outage_logs: pytest.LogCaptureFixture
) -> None:
    proxy, settings = proxied
    with TestClient(create_app(settings)) as client:
        assert client.post(API, json=asset_body(), headers=ADMIN).status_code == 201
        assert client.get(API).status_code == 200
        proxy.set("down")
        for _ in range(10):
            assert_unavailable(client)
            assert client.post(API, json=asset_body(), headers=ADMIN).status_code == 503
        lines = problems(outage_logs)
        assert len(lines) == 1, lines
        assert lines[0].startswith("database unavailable (postgresql+psycopg://")
        assert "answering 503" in lines[0]
        assert not any(r.exc_info for r in outage_logs.records)

        proxy.set("forward")
        assert client.get(API).status_code == 200
        assert client.get("/readyz").status_code == 200
        assert len(client.get(API, params={"f": "geojson"}).json()["features"]) == 1
        lines = problems(outage_logs)
        assert len(lines) == 2 and lines[1].startswith("database available again")

        # A second outage is logged again, once.
        proxy.set("down")
        for _ in range(5):
            assert_unavailable(client)
        proxy.set("forward")
        assert client.get(API).status_code == 200
    assert len(problems(outage_logs)) == 4


@pytest.mark.backend("postgis")
def test_a_stalled_postgis_answers_503_within_the_connect_timeout(
    proxied: tuple[Proxy, Settings], outage_logs: pytest.LogCaptureFixture
) -> None:
    proxy, settings = proxied
    with TestClient(create_app(settings)) as client:
        assert client.get(API).status_code == 200
        proxy.set("stall")  # accepts connections, never answers
        started = time.monotonic()
        response = client.get(API)
        elapsed = time.monotonic() - started
        assert response.status_code == 503
        assert response.headers["retry-after"] == "5"
        assert elapsed < settings.db_connect_timeout + 1.5, elapsed
        proxy.set("forward")
        assert client.get(API).status_code == 200
    assert len(problems(outage_logs)) == 2


@pytest.mark.backend("postgis")
def test_a_statement_stuck_behind_a_lock_answers_503_within_the_statement_timeout(
    proxied: tuple[Proxy, Settings], db_url: str, outage_logs: pytest.LogCaptureFixture
) -> None:
    _, settings = proxied
    blocker = create_engine(db_url)
    with TestClient(create_app(settings)) as client:
        assert client.get(API).status_code == 200
        with blocker.connect() as connection:
            connection.execute(text("LOCK TABLE assets IN ACCESS EXCLUSIVE MODE"))
            started = time.monotonic()
            response = client.get(API)
            elapsed = time.monotonic() - started
            connection.rollback()
        assert response.status_code == 503
        assert 0.9 < elapsed < settings.db_statement_timeout + 1.5, elapsed
        assert client.get(API).status_code == 200
    blocker.dispose()
    lines = problems(outage_logs)
    assert len(lines) == 2 and "statement timeout" in lines[0]


# ---- SpatiaLite locked; no free connection (both) --------------------------------------------


@pytest.mark.backend("spatialite")
@pytest.mark.slow  # ~6 s: waits out the lock timeout (left out of make test-fast)
def test_a_locked_spatialite_file_answers_503_and_recovers(
    db: Engine, settings: Settings, backend_name: str, outage_logs: pytest.LogCaptureFixture
) -> None:
    assert backend_name == "spatialite", "an exclusive file lock is SQLite's own outage"
    path = make_url(settings.database_url).database
    # No background jobs: one holding a connection would keep the file from being taken.
    quick = settings.model_copy(
        update={"db_busy_timeout": 0.3, "consent_sweep_seconds": 0, "mail_every_seconds": 0}
    )
    with TestClient(create_app(quick)) as client:
        assert client.get(API).status_code == 200
        import pysqlite3.dbapi2 as sqlite

        # Another process takes the file for itself (every open WAL connection holds a shared
        # lock, so the idle ones of the app and the test are closed first).
        client.app.state.engine.dispose()  # type: ignore[attr-defined]
        db.dispose()
        gc.collect()  # and those of earlier tests' apps that only a collection would close
        locker = sqlite.connect(path, isolation_level=None)
        locker.execute("PRAGMA locking_mode=EXCLUSIVE")
        locker.execute("BEGIN EXCLUSIVE")
        try:
            for _ in range(5):
                assert_unavailable(client, headers=ADMIN)
        finally:
            locker.execute("ROLLBACK")
            locker.close()
        assert client.get(API).status_code == 200
    lines = problems(outage_logs)
    assert len(lines) == 2, lines
    assert "database is locked" in lines[0] and lines[1].startswith("database available again")


def test_no_free_connection_answers_503_after_the_pool_timeout(
    settings: Settings, outage_logs: pytest.LogCaptureFixture
) -> None:
    tight = settings.model_copy(
        update={
            "db_pool_size": 1,
            "db_max_overflow": 0,
            "db_pool_timeout": 0.5,
            "consent_sweep_seconds": 0,
        }
    )
    app = create_app(tight)
    with TestClient(app) as client:
        assert client.get(API).status_code == 200
        engine: Engine = app.state.engine
        with engine.connect():  # the only connection, held
            started = time.monotonic()
            response = client.get(API)
            elapsed = time.monotonic() - started
        assert response.status_code == 503
        assert response.headers["retry-after"] == "5"
        assert elapsed < 2, elapsed
        assert client.get(API).status_code == 200
    assert "no free connection" in problems(outage_logs)[0]


def test_pool_size_and_timeouts_are_settings(settings: Settings, backend_name: str) -> None:
    custom = settings.model_copy(
        update={"db_pool_size": 3, "db_max_overflow": 2, "db_statement_timeout": 2.5}
    )
    engine = make_engine(custom, serving=True)
    pool: Any = engine.pool
    try:
        assert (pool.size(), pool._max_overflow) == (3, 2)
        with engine.connect() as connection:
            if backend_name == "postgis":
                assert connection.scalar(text("SHOW statement_timeout")) == "2500ms"
            else:
                assert connection.scalar(text("PRAGMA busy_timeout")) == round(
                    custom.db_busy_timeout * 1000
                )
        command_engine = make_engine(custom)  # commands: no statement timeout
        with command_engine.connect() as connection:
            if backend_name == "postgis":
                assert connection.scalar(text("SHOW statement_timeout")) == "0"
        command_engine.dispose()
    finally:
        engine.dispose()
