"""Backups that restore, and erasures that stay erased after a restore.

SpatiaLite: SQLite's online backup API copies the database page by page inside one read
transaction, so the copy is consistent while the app goes on writing (copying the file is not:
a copy taken mid-write misses committed rows that are still in the WAL file, or is torn).
PostGIS: pg_dump's custom format (one snapshot) and pg_restore --clean into the configured
database.

A restore brings back people erased since the backup was taken. `restore` therefore collects
the tombstones first, from the database about to be replaced and from the erasure ledger (a
file the restore does not reach), writes any the ledger lacks to it, restores, puts the
tombstones back and erases those people again.
"""

import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, inspect
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from app.db import ConfigurationError, database_url, make_engine
from app.models import DataChange
from app.services.changes import data_version
from app.services.people import erasure
from app.settings import Settings
from app.spatial.spatialite import sqlite_module  # SQLite with .backup(), as the app uses

ACTOR = "restore"
# How long a backup or restore waits for a table another session holds.
LOCK_WAIT_SECONDS = 60
POSTGRES_BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


class BackupError(Exception):
    """A backup or restore could not be made; the message says why, in one line."""


@dataclass(frozen=True)
class RestoreReport:
    """What a restore did: the revision restored, and the people erased again."""

    revision: list[str]
    upgraded: bool
    tombstones: int
    erased_again: list[int]


def _postgres_tool(name: str) -> str:
    """pg_dump or pg_restore: from PATH, else the newest Debian PostgreSQL install."""
    found = shutil.which(name)
    if found:
        return found
    for directory in POSTGRES_BIN_DIRS:
        if (directory / name).exists():
            return str(directory / name)
    raise BackupError(f"{name} not found: install the PostgreSQL client tools (postgresql-client)")


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection string for a URL, and the environment carrying its password (so that
    it never appears in a process list)."""
    from psycopg.conninfo import make_conninfo

    params: dict[str, Any] = {
        "host": url.host,
        "port": url.port,
        "dbname": url.database,
        "user": url.username,
    }
    params |= {k: v for k, v in url.query.items() if isinstance(v, str)}
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    return make_conninfo(**{k: v for k, v in params.items() if v is not None}), env


def _run(command: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        raise BackupError(f"{Path(command[0]).name} failed: {lines[0] if lines else 'no message'}")
    return done.stdout


def _sqlite_file(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise ConfigurationError("an in-memory SpatiaLite database cannot be backed up")
    return Path(url.database)


def _check_sqlite_copy(path: Path) -> None:
    """The file is an SQLite database that holds an assetmap schema."""
    module = sqlite_module()
    try:
        connection = module.connect(f"file:{path}?mode=ro", uri=True)
        try:
            checked = connection.execute("PRAGMA quick_check").fetchone()[0]
            tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        finally:
            connection.close()
    except module.DatabaseError as exc:
        raise BackupError(f"{path} is not a SpatiaLite database ({exc})") from None
    if checked != "ok":
        raise BackupError(f"{path} is damaged: {checked}")
    if not {"alembic_version", "assets"} <= tables:
        raise BackupError(f"{path} is not an assetmap database (no assets or alembic_version)")


def _sqlite_copy(source: str, target: str, *, busy_ms: int) -> None:
    """Copy one SQLite database onto another with the online backup API (all pages in one
    step: one consistent snapshot of the source)."""
    module = sqlite_module()
    src = module.connect(source, uri=True)
    dst = module.connect(target, uri=True)
    try:
        for connection in (src, dst):
            connection.execute(f"PRAGMA busy_timeout={busy_ms}")
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def backup(settings: Settings, out: Path) -> Path:
    """Write a backup of the configured database to `out` (replaced only once complete)."""
    url = database_url(settings)
    partial = out.with_name(out.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        if url.get_backend_name() == "sqlite":
            path = _sqlite_file(url)
            if not path.exists():
                raise BackupError(f"there is no database at {path}")
            busy_ms = round(settings.db_busy_timeout * 1000)
            _sqlite_copy(f"file:{path}?mode=ro", str(partial), busy_ms=busy_ms)
            _check_sqlite_copy(partial)
        else:
            conninfo, env = _libpq(url)
            command = [
                _postgres_tool("pg_dump"),
                "--format=custom",
                f"--lock-wait-timeout={LOCK_WAIT_SECONDS * 1000}",
                f"--file={partial}",
            ]
            _run([*command, f"--dbname={conninfo}"], env)
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    return out


def _sqlite_restore(settings: Settings, url: URL, source: Path) -> None:
    _check_sqlite_copy(source)
    busy_ms = round(settings.db_busy_timeout * 1000)
    # Into the live file under SQLite's own write lock: connections open elsewhere see the
    # restored database at their next transaction.
    _sqlite_copy(f"file:{source}?mode=ro", str(_sqlite_file(url)), busy_ms=busy_ms)


def _postgis_restore(url: URL, source: Path) -> None:
    conninfo, env = _libpq(url)
    # A session left idle in a transaction would make the restore wait for ever: give up.
    env["PGOPTIONS"] = f"-c lock_timeout={LOCK_WAIT_SECONDS * 1000}"
    restore = _postgres_tool("pg_restore")
    contents = _run([restore, "--list", str(source)], env)
    # The target keeps its own PostGIS extension (and its version): restore everything else.
    keep = [
        line
        for line in contents.splitlines()
        if not (" EXTENSION " in line or line.rstrip().endswith((" SCHEMA - public",)))
    ]
    listing = source.with_name(source.name + ".list")
    listing.write_text("\n".join(keep) + "\n", encoding="utf-8")
    try:
        _run(
            [
                restore,
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                "--exit-on-error",
                f"--use-list={listing}",
                f"--dbname={conninfo}",
                str(source),
            ],
            env,
        )
    finally:
        listing.unlink(missing_ok=True)


def _live_tombstones(engine: Engine) -> list[erasure.Tombstone]:
    """The tombstones in the database about to be replaced (none if it has no schema yet)."""
    if not inspect(engine).has_table("erasures"):
        return []
    with Session(engine) as session:
        return erasure.tombstones(session)


def restore(settings: Settings, source: Path) -> RestoreReport:
    """Replace the configured database with the backup `source`, migrate it to this code's
    revision if it is older, and erase again everyone erased since (tombstones from the
    database being replaced and from the erasure ledger)."""
    from app.migrate import current_revisions, head_revisions, upgrade

    if not source.is_file():
        raise BackupError(f"there is no backup at {source}")
    url = database_url(settings)
    ledger = erasure.ledger_path(settings)
    engine = make_engine(settings)
    try:
        live = _live_tombstones(engine) if _exists(url) else []
        version_before = _version(engine) if _exists(url) else 0
        # Into the ledger before the database holding them is replaced.
        recorded = {(t.asset_id, t.erased_at) for t in erasure.read_ledger(ledger)}
        erasure.append_to_ledger(
            ledger, [t for t in live if (t.asset_id, t.erased_at) not in recorded]
        )
    finally:
        engine.dispose()

    if url.get_backend_name() == "sqlite":
        _sqlite_restore(settings, url, source)
    else:
        _postgis_restore(url, source)

    engine = make_engine(settings)
    try:
        with engine.connect() as connection:
            revision = sorted(current_revisions(connection))
        upgraded = revision != sorted(head_revisions())
        if upgraded:
            upgrade(engine)
        known = erasure.read_ledger(ledger)
        with Session(engine, expire_on_commit=False) as session:
            erasure.remember_tombstones(session, known)
            erased_again = erasure.reapply_erasures(session, actor=ACTOR)
            _move_version_on(session, version_before)
            session.commit()
    finally:
        engine.dispose()
    return RestoreReport(
        revision=revision, upgraded=upgraded, tombstones=len(known), erased_again=erased_again
    )


def _move_version_on(session: Session, before: int) -> None:
    """Move the restored database's data version past every value the replaced one had (and
    past the clock in microseconds, for a database that was lost), so no answer a process
    cached before the restore is taken for one made after it."""
    target = max(before, time.time_ns() // 1000) + 1
    weight = target - data_version(session)
    if weight > 0:
        session.add(DataChange(tx=None, weight=weight))


def _version(engine: Engine) -> int:
    """The data version of the database about to be replaced (0: it has none yet)."""
    with engine.connect() as connection:
        if "data_changes" not in inspect(connection).get_table_names():
            return 0
        return data_version(connection)


def _exists(url: URL) -> bool:
    """Whether there is a database to read tombstones from (a SpatiaLite file may not be)."""
    return url.get_backend_name() != "sqlite" or _sqlite_file(url).exists()
