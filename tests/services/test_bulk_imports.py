"""Big imports take the bulk paths (R*Tree filled after the rows, COPY text built by hand):
what they store must be what a small import stores, spatial indexes included."""

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import make_engine
from app.migrate import upgrade
from app.models import Asset, AuditEvent
from app.services.assets.records import iter_assets
from app.services.assets.visibility import SYSTEM
from app.services.audit import AuditFilters, list_events
from app.services.changes import data_version
from app.services.imports import writes as import_writes
from app.services.imports.assets import ImportOptions, import_assets
from app.settings import Settings
from app.spatial import backend_for, spatialite
from app.spatial.base import BBox
from tests.cli.conftest import CSV_HEADER, good_row, write_csv

AREA = "POLYGON ((-3.2 51.4, -3.1 51.4, -3.1 51.5, -3.2 51.4))"
AWKWARD = "Tab\there,\nnew line, back\\slash and \\N"
HEADER = (*CSV_HEADER, "description_en", "address", "service_area")


@pytest.fixture
def big_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make a few hundred rows count as a big import."""
    monkeypatch.setattr(import_writes, "FLUSH_ROWS", 100)
    monkeypatch.setattr(spatialite, "BULK_INDEX_MIN_ROWS", 50)


def _import(session: Session, path: Path) -> None:
    report = import_assets(session, path, ImportOptions(actor="bulk"))
    assert report.ok, report.problems
    session.commit()


def _triggers(session: Session) -> dict[str, str]:
    rows = session.connection().exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
        "AND tbl_name IN ('assets', 'asset_themes')"
    )
    return {name: ddl for name, ddl in rows}


def _version_moved_by_import(tmp_path: Path, name: str, rows: list[dict[str, str]]) -> int:
    engine = make_engine(Settings(database_url=f"sqlite:///{tmp_path / name}"))
    upgrade(engine)
    with Session(engine) as session:
        before = data_version(session)
        session.rollback()
        _import(session, write_csv(tmp_path / f"{name}.csv", rows))
        moved = data_version(session) - before
    engine.dispose()
    return moved


def test_a_big_import_leaves_the_spatial_indexes_complete_and_used(
    session: Session, tmp_path: Path, big_batches: None
) -> None:
    rows = [good_row(n, service_area=AREA if n % 3 == 0 else "") for n in range(1, 251)]
    _import(session, write_csv(tmp_path / "big.csv", rows, HEADER))

    backend = backend_for(session.get_bind().dialect.name)
    connection = session.connection()
    assert (
        backend.spatial_index_problems(connection, {"assets": ["location", "service_area"]}) == []
    )
    inside = select(Asset.id).where(
        backend.in_bbox("assets", Asset.location, Asset.id, BBox(-3.2, 51.0, -2.9, 52.0))
    )
    assert len(session.scalars(inside).all()) == 250
    areas = select(Asset.id).where(
        backend.in_bbox("assets", Asset.service_area, Asset.id, BBox(-3.15, 51.41, -3.14, 51.42))
    )
    assert len(session.scalars(areas).all()) == 83


def test_a_big_import_into_spatialite_keeps_spatialites_own_triggers(
    tmp_path: Path, big_batches: None
) -> None:
    engine = make_engine(Settings(database_url=f"sqlite:///{tmp_path / 'triggers.sqlite'}"))
    upgrade(engine)
    with Session(engine) as session:
        before = _triggers(session)
        session.rollback()

        _import(session, write_csv(tmp_path / "big.csv", [good_row(n) for n in range(1, 151)]))

        assert _triggers(session) == before
        assert len(before) >= 19  # SpatiaLite's 16 on assets, the data version's 3 on links
    engine.dispose()


def test_a_big_import_into_spatialite_moves_the_data_version_as_row_by_row_inserts_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The bulk path does the data version's per-row trigger work once: by as much, so the
    # caches keyed by the version (app/http/response_cache.py) see the same change.
    rows = [good_row(n) for n in range(1, 151)]
    row_by_row = _version_moved_by_import(tmp_path, "small.sqlite", rows)
    monkeypatch.setattr(spatialite, "BULK_INDEX_MIN_ROWS", 50)
    bulk = _version_moved_by_import(tmp_path, "big.sqlite", rows)
    assert bulk == row_by_row >= 150 * 3  # each asset and its two theme links


def test_text_with_tabs_new_lines_and_backslashes_is_stored_as_given(
    session: Session, tmp_path: Path, big_batches: None
) -> None:
    rows = [good_row(n, description_en=AWKWARD, address="1\\2 Stryd") for n in range(1, 121)]
    _import(session, write_csv(tmp_path / "awkward.csv", rows, HEADER))

    records = list(iter_assets(session, viewer=SYSTEM))
    assert {(r["description_en"], r["address"]) for r in records} == {(AWKWARD, "1\\2 Stryd")}
    event = session.scalars(select(AuditEvent).limit(1)).one()
    filters = AuditFilters(entity_type="asset", entity_id=event.entity_id)
    (shown,) = list_events(session, viewer=SYSTEM, filters=filters).events
    assert shown["changes"]["description_en"] == [None, AWKWARD]
    assert (event.actor, event.action) == ("bulk", "create")
