"""Fresh benchmark databases (a SpatiaLite temp file; database `bench` on the PostGIS server),
and loading them with the `assetmap import assets` CLI (the stand-in loader is in standin.py).
"""

import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from app.db import make_engine
from app.settings import Settings

BIN = Path(sys.executable).parent
ASSETMAP = str(BIN / "assetmap")


@dataclass
class Target:
    """One backend under test: its name, the app's database URL, and an engine on it."""

    backend: str
    url: str
    engine: Engine

    def env(self) -> dict[str, str]:
        """Environment for app subprocesses (CLI, server) pointing at this database, with no
        basemap (timings of this server only, comparable offline)."""
        return {**os.environ, "ASSETMAP_DATABASE_URL": self.url, "ASSETMAP_BASEMAP": "none"}


def postgis_server_url() -> str:
    """The PostGIS server to create the bench database on (ASSETMAP_BENCH_POSTGIS_URL, else the
    test server's URL from ASSETMAP_TEST_POSTGIS_URL or /tmp/pgurl)."""
    for name in ("ASSETMAP_BENCH_POSTGIS_URL", "ASSETMAP_TEST_POSTGIS_URL"):
        if os.environ.get(name):
            return os.environ[name]
    path = Path("/tmp/pgurl")
    if path.exists():
        return path.read_text().strip()
    raise SystemExit("no PostGIS: set ASSETMAP_BENCH_POSTGIS_URL (postgresql+psycopg://...)")


def _migrate(url: str) -> None:
    env = {**os.environ, "ASSETMAP_DATABASE_URL": url}
    subprocess.run([ASSETMAP, "db", "upgrade"], env=env, check=True, capture_output=True)


def fresh_target(
    backend: str, *, workdir: Path, pg_database: str = "bench", migrate: bool = True
) -> Target:
    """An empty database for the backend, migrated unless told not to (SpatiaLite: a file in
    workdir, which the caller removes; PostGIS: pg_database, dropped and re-created)."""
    if not re.fullmatch(r"bench[a-z0-9_]*", pg_database):
        raise SystemExit("the PostGIS database name must start with `bench` (it is dropped)")
    if backend == "spatialite":
        path = workdir / "bench.sqlite"
        for old in workdir.glob("bench.sqlite*"):
            old.unlink()
        url = f"sqlite:///{path}"
        if migrate:
            _migrate(url)
        return Target(backend, url, make_engine(Settings(database_url=url)))
    if backend == "postgis":
        server = make_url(postgis_server_url())
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {pg_database} WITH (FORCE)")
            connection.exec_driver_sql(f"CREATE DATABASE {pg_database}")
        admin.dispose()
        url = server.set(database=pg_database).render_as_string(hide_password=False)
        with create_engine(url, isolation_level="AUTOCOMMIT").connect() as connection:
            connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS postgis")
        if migrate:
            _migrate(url)
        return Target(backend, url, make_engine(Settings(database_url=url)))
    raise SystemExit(f"unknown backend {backend!r} (spatialite, postgis)")


def versions(target: Target) -> dict[str, str]:
    """Database and spatial extension versions."""
    with target.engine.connect() as connection:
        if target.backend == "spatialite":
            return {
                "sqlite": str(connection.exec_driver_sql("SELECT sqlite_version()").scalar()),
                "spatialite": str(
                    connection.exec_driver_sql("SELECT spatialite_version()").scalar()
                ),
            }
        return {
            "postgresql": str(connection.exec_driver_sql("SHOW server_version").scalar()),
            "postgis": str(connection.exec_driver_sql("SELECT postgis_lib_version()").scalar()),
        }


def import_cli_available() -> bool:
    """Whether `assetmap import assets` exists yet."""
    done = subprocess.run(
        [ASSETMAP, "import", "assets", "--help"], capture_output=True, text=True, check=False
    )
    return done.returncode == 0


def cli_startup_seconds() -> float:
    """Wall time of `assetmap --help` (process start + imports), to read import figures by."""
    started = time.perf_counter()
    subprocess.run([ASSETMAP, "--help"], capture_output=True, check=True)
    return time.perf_counter() - started


def load_with_cli(target: Target, csv_path: Path) -> float:
    """Run `assetmap import assets CSV` against the target; wall seconds (raises on failure)."""
    started = time.perf_counter()
    done = subprocess.run(
        [ASSETMAP, "import", "assets", str(csv_path)],
        env=target.env(),
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-15:]
        raise RuntimeError(f"exit {done.returncode}: " + "\n".join(tail))
    return elapsed


def analyze(target: Target) -> None:
    """PostGIS: refresh planner statistics, as autovacuum would shortly after a bulk load.

    SpatiaLite is left as the app leaves it (SQLite has no automatic ANALYZE).
    """
    if target.backend == "postgis":
        with target.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")


def row_count(target: Target) -> int:
    """How many assets the database holds."""
    with target.engine.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM assets")).scalar_one())


def drop(target: Target) -> None:
    """Release the engine (the PostGIS database stays for inspection until the next run)."""
    target.engine.dispose()
