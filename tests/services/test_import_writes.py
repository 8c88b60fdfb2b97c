"""An import's set-based writes: all or nothing when the database changes under them, and a
compact audit trail that still tells where each asset came from and what it was created with."""

from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from app.models import Asset, AssetTheme, AuditEvent, Theme
from app.services.assets.records import update_asset
from app.services.assets.visibility import SYSTEM, Viewer
from app.services.audit import AuditFilters, list_events
from app.services.imports import assets as imports
from app.services.imports import inserts, writes
from app.services.imports.assets import ImportOptions, import_assets
from tests.cli.conftest import good_row, write_csv


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def _foreign_keys(session: Session) -> list[str]:
    if session.get_bind().dialect.name != "postgresql":
        return []
    found = session.execute(
        text(
            "SELECT conname FROM pg_constraint WHERE contype = 'f' "
            "AND conrelid = CAST('asset_themes' AS regclass) ORDER BY conname"
        )
    )
    return list(found.scalars())


def test_a_theme_removed_while_the_file_is_read_leaves_nothing_written(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Several batches, staged in several flushes, foreign keys checked once at the end.
    monkeypatch.setattr(imports, "BATCH", 40)
    monkeypatch.setattr(writes, "FLUSH_ROWS", 100)
    monkeypatch.setattr(inserts, "KEYS_ONCE_MIN_LINKS", 10)
    session.add(Theme(code="pop_up", label_en="Pop-up", label_cy="Dros dro"))
    session.commit()
    keys = _foreign_keys(session)
    rows = [good_row(n, themes="food;pop_up") for n in range(1, 301)]
    path = write_csv(tmp_path / "a.csv", rows)
    engine = session.get_bind()

    def remove_the_theme(done: int, total: int) -> None:
        if done == 40:  # after the first batch: the file was checked against the theme
            with engine.begin() as other:  # type: ignore[union-attr]
                other.execute(delete(Theme).where(Theme.code == "pop_up"))

    report = import_assets(session, path, ImportOptions(), progress=remove_the_theme)
    session.rollback()

    assert [(p.number, p.field, p.reason) for p in report.problems] == [
        (0, "file", imports.TAKEN_MEANWHILE)
    ]
    assert (_count(session, Asset), _count(session, AssetTheme), _count(session, AuditEvent)) == (
        0,
        0,
        0,
    )
    assert _foreign_keys(session) == keys  # PostgreSQL: dropped and restored by the rollback


def test_an_imported_assets_history_shows_its_import_and_the_values_it_was_created_with(
    session: Session, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "a.csv", [good_row(n) for n in range(1, 4)])
    assert import_assets(session, path, ImportOptions(actor="cli-import")).created == 3
    session.commit()
    asset_id = session.scalar(select(Asset.id).where(Asset.source_id == "row-2"))
    assert asset_id is not None
    admin = Viewer(actor="admin", role="admin", with_people=False)
    update_asset(
        session,
        viewer=admin,
        asset_id=asset_id,
        expected_version=None,
        data={"name_en": "Renamed", "themes": ["food"]},
    )
    session.commit()

    history = list_events(
        session, viewer=SYSTEM, filters=AuditFilters(entity_type="asset", entity_id=str(asset_id))
    ).events
    (the_import,) = list_events(
        session, viewer=SYSTEM, filters=AuditFilters(entity_type="import")
    ).events
    stored = session.scalars(select(AuditEvent).where(AuditEvent.action == "create")).all()

    assert [e["action"] for e in history] == ["update", "create"]
    created = history[1]["changes"]
    assert created["import"] == [None, the_import["entity_id"]]
    assert created["name_en"] == [None, "Lunch club 2"]  # not the name it has now
    assert created["themes"] == [None, ["food", "older_people"]]
    assert created["source_id"] == [None, "row-2"]
    assert created["location"] == [None, [-3.168, 51.48]]
    assert history[0]["changes"]["name_en"] == ["Lunch club 2", "Renamed"]
    assert the_import["changes"]["sources"] == [None, ["test-file"]]
    assert the_import["changes"]["created"] == [None, 3]
    # Stored compactly: the import and the source keys, not every value again.
    assert {frozenset(e.changes) for e in stored} == {frozenset({"import", "source", "source_id"})}
