"""Imports and the app's writes coexist: a 50k-row import runs (as `assetmap import assets`, in
its own process) while assets are created and changed through the API of a live server.

Both succeed: every API write answers 201/200 (none "database is locked", none 500), the import
has all its rows, the API's assets exist and are placed in their areas. The import writes in one
short transaction at the end, so the API waits at most that long. A killed import
(SIGKILL, while reading the file or in its final transaction) leaves nothing behind.
"""

import csv
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, event, func, select, text
from sqlalchemy.orm import Session

from app.models import Area, Asset, AssetArea, AuditEvent
from app.schemas.assets import AssetCreate
from app.services.assets import records as asset_service
from app.services.imports import assets as imports
from app.services.imports import writes as import_writes
from app.services.imports.assets import ImportOptions, import_assets
from app.services.needs.areas import AreaFields, read_areas, save_areas
from app.settings import Settings
from tests.api.conftest import serve
from tests.conftest import ADMIN, PROJECT_DIR, asset_body
from tests.services.test_areas import feature, square, write_geojson

ROWS = 50_000
HEADER = ("kind", "name_en", "themes", "lon", "lat", "status", "source", "source_id")
# Two areas side by side covering every point of the file and of the API's assets.
WEST, EAST = (-3.3, 51.4), (-3.2, 51.4)
API_POINT = [-3.25, 51.45]


def _write_file(path: Path) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(HEADER)
        for n in range(ROWS):
            lon = -3.299 + (n % 1000) * 0.00019
            lat = 51.401 + (n // 1000) * 0.0019
            row = ("group", f"Club {n}", "food", f"{lon:.6f}", f"{lat:.6f}", "published")
            writer.writerow((*row, "big-file", f"r{n}"))
    return path


def _areas(session: Session, tmp_path: Path) -> None:
    west = feature("W01000001", square(*WEST, 0.1))
    east = feature("W01000002", square(*EAST, 0.1))
    path = write_geojson(tmp_path / "areas.geojson", [west, east])
    good, _, _ = read_areas(path, AreaFields(code="code", name_en="name"))
    save_areas(session, level="lsoa", areas=good, centroids={}, source=None)
    session.commit()


def _start_import(db_url: str, path: Path, tmp_path: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "ASSETMAP_DATABASE_URL": db_url,
        "ASSETMAP_ERASURE_LEDGER": str(tmp_path / "erasures.jsonl"),
    }
    return subprocess.Popen(
        [sys.executable, "-c", "from app.cli import app; app()", "import", "assets", str(path)],
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _counts(db: Engine) -> dict[str, int]:
    with Session(db) as session:
        return {
            "assets": session.scalar(select(func.count()).select_from(Asset)) or 0,
            "events": session.scalar(select(func.count()).select_from(AuditEvent)) or 0,
            "placed": session.scalar(select(func.count()).select_from(AssetArea)) or 0,
        }


@pytest.fixture
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write_file(tmp_path_factory.mktemp("import") / "big.csv")


@pytest.mark.slow  # ~20 s: a 50,000-row import (left out of make test-fast)
def test_api_writes_during_a_50k_import_all_succeed_and_so_does_the_import(
    settings: Settings, db: Engine, db_url: str, big_file: Path, tmp_path: Path
) -> None:
    with Session(db) as session:
        _areas(session, tmp_path)
    statuses: dict[int, int] = {}
    slowest = 0.0
    made: list[int] = []
    with (
        serve(settings) as live,
        httpx.Client(base_url=live.url, headers=ADMIN, timeout=120) as http,
    ):
        first = http.post("/api/v1/assets", json=asset_body(location=_point()))
        assert first.status_code == 201, first.text
        url = f"/api/v1/assets/{first.json()['id']}"
        etag = first.headers["ETag"]
        importer = _start_import(db_url, big_file, tmp_path)
        n = 0
        while importer.poll() is None:
            n += 1
            started = time.monotonic()
            created = http.post(
                "/api/v1/assets", json=asset_body(name_en=f"API {n}", location=_point())
            )
            changed = http.patch(
                url, json={"description_en": f"edit {n}"}, headers={"If-Match": etag}
            )
            slowest = max(slowest, time.monotonic() - started)
            for answer in (created, changed):
                statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1
            if created.status_code == 201:
                made.append(created.json()["id"])
            if changed.status_code == 200:
                etag = changed.headers["ETag"]
            time.sleep(0.02)
        output = importer.communicate()[0].decode(errors="replace")
    assert importer.returncode == 0, output
    assert f"{ROWS} records: {ROWS} created" in output, output
    assert set(statuses) == {200, 201}, statuses
    assert statuses[201] == len(made) >= 10, statuses  # the API wrote all along the import
    with Session(db) as session:
        from_file = session.scalar(
            select(func.count()).select_from(Asset).where(Asset.source == "big-file")
        )
        assert from_file == ROWS
        ids = set(session.scalars(select(Asset.id).where(Asset.source.is_(None))))
        assert set(made) <= ids and len(ids) == len(made) + 1
        # Every asset is in exactly one area of the level: the file's and the API's.
        assert session.scalar(select(func.count()).select_from(AssetArea)) == ROWS + len(ids)
        assert session.scalar(select(func.count(func.distinct(AssetArea.asset_id)))) == (
            ROWS + len(ids)
        )
    print(f"API writes during the import: {statuses}, slowest pair {slowest:.2f} s")


def _point() -> dict[str, Any]:
    return {"type": "Point", "coordinates": API_POINT}


def _import_is_writing(db: Engine) -> bool:
    """Whether another connection holds a write on the assets table (the final transaction)."""
    with db.connect() as connection:
        if db.dialect.name == "postgresql":
            held = connection.execute(
                text(
                    "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                    "WHERE c.relname = 'assets' AND l.mode = 'RowExclusiveLock' "
                    "AND l.pid <> pg_backend_pid()"
                )
            ).scalar()
            return bool(held)
        waits = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
        connection.exec_driver_sql("PRAGMA busy_timeout=0")
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except Exception:  # "database is locked": the import holds the write lock
            return True
        finally:
            connection.exec_driver_sql(f"PRAGMA busy_timeout={int(waits or 0)}")
        connection.exec_driver_sql("ROLLBACK")
        return False


@pytest.mark.slow  # ~15 s: kills a 50,000-row import (left out of make test-fast)
@pytest.mark.parametrize("when", ["reading", "writing"])
def test_a_killed_import_leaves_nothing_behind(
    db: Engine, db_url: str, big_file: Path, tmp_path: Path, when: str
) -> None:
    with Session(db) as session:
        _areas(session, tmp_path)
    before = _counts(db)
    importer = _start_import(db_url, big_file, tmp_path)
    deadline = time.monotonic() + 120
    try:
        if when == "reading":
            time.sleep(1.5)
        else:
            while not _import_is_writing(db):
                assert importer.poll() is None, "the import ended before it could be killed"
                assert time.monotonic() < deadline
                time.sleep(0.005)
    finally:
        importer.send_signal(signal.SIGKILL)
        importer.communicate()
    assert importer.returncode == -signal.SIGKILL
    assert _counts(db) == before
    with Session(db) as session:  # the database is usable: a new import writes
        assert session.scalar(select(func.count()).select_from(Area)) == 2


def test_an_asset_created_while_an_import_places_its_assets_in_areas_breaks_nothing(
    db: Engine, tmp_path: Path
) -> None:
    """The moment the issue found on PostGIS: the app commits a new asset (placed in its area)
    while the import is placing the file's assets in areas. Deterministic: the app's create
    runs right after the import's first statement on asset_areas."""
    with Session(db) as session:
        _areas(session, tmp_path)
    path = tmp_path / "small.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(HEADER)
        for n in range(300):
            lon, lat = -3.29 + n * 0.0005, 51.45
            writer.writerow(("group", f"Club {n}", "food", lon, lat, "published", "f", f"r{n}"))
    made: list[int] = []
    errors: list[BaseException] = []

    def app_creates() -> None:
        try:
            with Session(db) as other:
                data = AssetCreate.model_validate(asset_body(location=_point()))
                made.append(asset_service.create_asset(other, actor="app", data=data).id)
                other.commit()
        except BaseException as exc:  # reported by the test below
            errors.append(exc)

    app_thread = threading.Thread(target=app_creates)

    def meanwhile(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "asset_areas" in statement and not app_thread.is_alive() and not made:
            app_thread.start()
            # PostgreSQL: the create commits now. SQLite: it waits for the import's lock.
            app_thread.join(timeout=2)

    with Session(db) as session:
        event.listen(session.connection(), "after_cursor_execute", meanwhile)
        report = import_assets(session, path, ImportOptions(actor="bulk"))
        assert report.ok, report.problems
        session.commit()
    app_thread.join(timeout=30)
    assert not errors, errors
    assert len(made) == 1
    with Session(db) as session:
        assert session.scalar(select(func.count()).select_from(Asset)) == 301
        placed = select(func.count(func.distinct(AssetArea.asset_id)))
        assert session.scalar(placed) == 301
        assert session.scalar(select(func.count()).select_from(AssetArea)) == 301


def test_a_source_id_taken_by_the_app_during_an_import_is_reported_and_nothing_written(
    db: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "small.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(HEADER)
        for n in range(50):
            writer.writerow(("group", f"Club {n}", "food", -3.25, 51.45, "published", "f", f"r{n}"))
    finish = import_writes.Planner.finish

    def app_takes_a_key_first(self: Any, session: Session, actor: str) -> None:
        with Session(db) as other:  # matched as new; the app creates it before the write
            body = asset_body(location=_point(), source="f", source_id="r7")
            asset_service.create_asset(other, actor="app", data=AssetCreate.model_validate(body))
            other.commit()
        finish(self, session, actor)

    monkeypatch.setattr(import_writes.Planner, "finish", app_takes_a_key_first)
    with Session(db) as session:
        report = import_assets(session, path, ImportOptions(actor="bulk"))
        assert [p.reason for p in report.problems] == [imports.TAKEN_MEANWHILE]
        session.rollback()
    with Session(db) as session:
        assert session.scalars(select(Asset.created_by)).all() == ["app"]
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == 1
