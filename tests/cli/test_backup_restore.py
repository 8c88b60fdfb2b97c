"""`assetmap db backup` / `db restore`: a backup restores exactly, is consistent while the app
writes, and a restore never brings an erased person back."""

import threading
from pathlib import Path
from typing import Any

import orjson
import pytest
from geoalchemy2 import Geometry
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from app.models import Asset, AuditEvent, Base
from app.schemas.assets import AssetCreate
from app.services import backups
from app.services.assets import records as asset_service
from app.services.changes import data_version
from app.settings import Settings
from app.spatial.geometry import geometry_from_db
from tests.cli.conftest import Invoke
from tests.conftest import Patches, asset_body, fresh_postgis_database, person_body, postgis_url

NAME = "Ceridwen Pritchard-Vaughan"
EMAIL = "ceridwen.pv@example.org"
PHONE = "029 2011 4455"
POINT = (-3.171234, 51.476543)
# Nothing of these may remain anywhere after the erasure, restore or not.
PERSONAL = (NAME, "Ceridwen", EMAIL, PHONE, "3.171234", "51.476543")


def create(session: Session, body: dict[str, Any]) -> int:
    """An asset created through the service (with its audit event); its id."""
    asset = asset_service.create_asset(
        session, actor="connector:1", data=AssetCreate.model_validate(body)
    )
    session.commit()
    return asset.id


def the_person(session: Session) -> int:
    """The person who will ask to be erased."""
    return create(
        session,
        person_body(
            name_en=NAME,
            email=EMAIL,
            phone=PHONE,
            location={"type": "Point", "coordinates": list(POINT)},
        ),
    )


def dump(engine: Engine) -> dict[str, list[str]]:
    """Every row of every table as text (geometries as WKT), in primary key order."""
    tables: dict[str, list[str]] = {}
    with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            if table.name == "data_changes":  # the version moves on with any write
                continue
            rows = []
            for row in connection.execute(select(table).order_by(*table.primary_key.columns)):
                values = {}
                for key, value in row._asdict().items():
                    if isinstance(table.c[key].type, Geometry) and value is not None:
                        value = geometry_from_db(value).wkt
                    values[key] = value
                options = orjson.OPT_NON_STR_KEYS | orjson.OPT_SORT_KEYS
                rows.append(orjson.dumps(values, default=str, option=options).decode())
            tables[table.name] = rows
    return tables


def without(tables: dict[str, list[str]], person: int) -> dict[str, list[str]]:
    """The dump less the rows about a person, their audit events and the tombstones."""
    kept = {}
    for name, rows in tables.items():
        if name == "erasures":
            continue
        out = []
        for text in rows:
            row = orjson.loads(text)
            if row.get("asset_id") == person or (name == "assets" and row["id"] == person):
                continue
            if name == "audit_events" and (row["entity_type"], row["entity_id"]) == (
                "asset",
                str(person),
            ):
                continue
            out.append(text)
        kept[name] = out
    return kept


def export(assetmap: Invoke, out: Path) -> list[dict[str, Any]]:
    """`assetmap export assets` as GeoJSON features."""
    result = assetmap("export", "assets", str(out))
    assert result.exit_code == 0, result.output
    return list(orjson.loads(out.read_bytes())["features"])


@pytest.mark.parametrize("tombstones_from", ["ledger", "replaced database", "both"])
def test_a_restore_keeps_everything_but_brings_no_erased_person_back(
    assetmap: Invoke,
    db: Engine,
    session: Session,
    patches: Patches,
    tmp_path: Path,
    tombstones_from: str,
) -> None:
    groups = [create(session, asset_body(name_en=f"Lunch club {n}")) for n in range(3)]
    person = the_person(session)
    create(session, person_body(name_en="Another Person", email="other@example.org"))
    backup = tmp_path / "assetmap.backup"

    result = assetmap("db", "backup", str(backup))
    assert result.exit_code == 0, result.output
    at_backup = dump(db)
    exported_at_backup = export(assetmap, tmp_path / "before.geojson")

    create(session, asset_body(name_en="Made after the backup"))
    erased = assetmap("people", "erase", "--asset", str(person))
    assert erased.exit_code == 0, erased.output
    ledger = tmp_path / "erasures.jsonl"
    entries = [orjson.loads(line) for line in ledger.read_bytes().splitlines()]
    assert [sorted(e) for e in entries] == [["asset_id", "erased_at", "erased_by"]]
    assert entries[0]["asset_id"] == person

    session.close()  # as the app's sessions are between requests
    with db.connect() as connection:
        version_before = data_version(connection)
    if tombstones_from == "replaced database":
        ledger.unlink()  # lost: the tombstone comes from the database being replaced
    elif tombstones_from == "ledger":
        # The live database is lost (a new server): only the ledger knows.
        assert assetmap("db", "downgrade", "base").exit_code == 0
    restored = assetmap("db", "restore", str(backup), "--yes")
    assert restored.exit_code == 0, restored.output
    assert f"erased again 1 person erased since the backup: {person}" in restored.stdout

    after = dump(db)
    # The data version moved past every value it had before (the backup's was smaller): no
    # answer cached before the restore can be taken for one made after it.
    with db.connect() as connection:
        assert data_version(connection) > version_before
    # The erased person is nowhere: no row, no audit value, no name, email or exact point.
    text = "\n".join(line for rows in after.values() for line in rows)
    for value in PERSONAL:
        assert value not in text
    assert session.get(Asset, person) is None
    session.close()
    # Everything else is exactly as backed up (the asset made later is gone with the restore).
    assert without(after, person) == without(at_backup, person)
    counts = {name: len(rows) for name, rows in after.items()}
    expected = {name: len(rows) for name, rows in without(at_backup, person).items()}
    expected["erasures"] = 1
    person_events = sum(f'"entity_id":"{person}"' in r for r in at_backup["audit_events"])
    expected["audit_events"] += person_events + 1  # scrubbed, plus the re-erasure itself
    assert counts == expected
    assert sorted(groups) == sorted(
        f["id"] for f in export(assetmap, tmp_path / "after.geojson") if f["id"] in groups
    )
    assert export(assetmap, tmp_path / "after.geojson") == [
        f for f in exported_at_backup if f["id"] != person
    ]
    # Restoring again changes nothing more, and the ledger still holds the one tombstone.
    assert "erased again 1" in assetmap("db", "restore", str(backup), "--yes").stdout
    assert without(dump(db), person) == without(at_backup, person)


def test_reapply_erasures_reads_the_ledger_after_a_restore_made_by_hand(
    assetmap: Invoke, db: Engine, session: Session, patches: Patches, tmp_path: Path
) -> None:
    person = the_person(session)
    backup = tmp_path / "b.backup"
    assert assetmap("db", "backup", str(backup)).exit_code == 0
    assert assetmap("people", "erase", "--asset", str(person)).exit_code == 0
    session.close()
    settings = Settings(database_url=str(db.url.render_as_string(hide_password=False)))
    # What an operator might do without `db restore`: put the backup back, tombstones and all
    # lost, then ask for the erasures again.
    assert assetmap("db", "downgrade", "base").exit_code == 0
    if db.dialect.name == "sqlite":
        backups._sqlite_restore(settings, db.url, backup)
    else:
        backups._postgis_restore(db.url, backup)
    result = assetmap("people", "reapply-erasures")
    assert result.exit_code == 0, result.output
    assert f"erased again 1 restored person: {person}" in result.stdout
    text = "\n".join(line for rows in dump(db).values() for line in rows)
    assert not any(value in text for value in PERSONAL)


def test_a_backup_taken_while_the_app_writes_is_consistent(
    db: Engine, db_url: str, patches: Patches, tmp_path: Path
) -> None:
    stop = threading.Event()
    written = 0

    def write() -> None:
        nonlocal written
        with Session(db, expire_on_commit=False) as session:
            while not stop.is_set():
                create(session, asset_body(name_en=f"Written during the backup {written}"))
                written += 1

    writer = threading.Thread(target=write)
    writer.start()
    settings = Settings(database_url=db_url)
    try:
        copies = []
        for n in range(3):
            while written < 20 * (n + 1):
                stop.wait(0.01)
            copies.append(backups.backup(settings, tmp_path / f"during-{n}.backup"))
    finally:
        stop.set()
        writer.join()
    seen = []
    for copy in copies:
        assets, creations = opened_counts(db, copy, tmp_path)
        assert assets == creations  # each asset with its audit event, never one without
        seen.append(assets)
    assert seen == sorted(seen) and seen[0] >= 20 and seen[-1] <= written


def opened_counts(db: Engine, copy: Path, tmp_path: Path) -> tuple[int, int]:
    """Open a backup (restored into a database of its own) and count assets and their
    creation audit events."""
    from app.db import make_engine

    if db.dialect.name == "sqlite":
        url = f"sqlite:///{tmp_path / (copy.name + '.sqlite')}"
        backups.restore(Settings(database_url=url, erasure_ledger=tmp_path / "none"), copy)
        return _counts(make_engine(Settings(database_url=url)))
    with fresh_postgis_database(postgis_url()) as url:
        backups.restore(Settings(database_url=url, erasure_ledger=tmp_path / "none"), copy)
        return _counts(make_engine(Settings(database_url=url)))


def _counts(engine: Engine) -> tuple[int, int]:
    try:
        with engine.connect() as connection:
            assets = connection.scalar(select(func.count()).select_from(Asset))
            creations = connection.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.entity_type == "asset", AuditEvent.action == "create")
            )
        return int(assets or 0), int(creations or 0)
    finally:
        engine.dispose()
