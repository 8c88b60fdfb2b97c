"""The data version (app/services/changes.py): every table a shared answer is made from moves it
on every committed write, through any path; nothing else does; compaction never moves it."""

import pytest
from sqlalchemy import Engine, delete, func, insert, select, text, update
from sqlalchemy.orm import Session

from app.models import Area, Base, DataChange, Indicator, IndicatorValue, Theme
from app.services.changes import UNTRACKED, compact, data_version
from tests.conftest import Patches


def version(engine: Engine) -> int:
    with engine.connect() as connection:
        return data_version(connection)


def triggers_on(engine: Engine, table: str) -> int:
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            query = (
                "SELECT count(*) FROM pg_trigger "
                "WHERE tgrelid = CAST(:t AS regclass) AND tgname = 'data_changed'"
            )
        else:
            query = (
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t "
                "AND name LIKE 'data_changed_%'"
            )
        return int(connection.execute(text(query), {"t": table}).scalar_one())


def test_every_table_moves_the_version_or_is_named_with_a_reason(db: Engine) -> None:
    expected = 1 if db.dialect.name == "postgresql" else 3  # one per statement / per action
    for table in Base.metadata.sorted_tables:
        if table.name in UNTRACKED:
            assert triggers_on(db, table.name) == 0, table.name
        else:
            assert triggers_on(db, table.name) == expected, f"{table.name} has no trigger"
    assert set(UNTRACKED) - {"alembic_version"} <= set(Base.metadata.tables)


def test_a_committed_write_moves_it_and_a_rolled_back_one_does_not(
    db: Engine, session: Session, patches: Patches
) -> None:
    before = version(db)
    session.execute(update(Theme).where(Theme.code == "food").values(label_cy="Bwyd!"))
    session.rollback()
    assert version(db) == before
    code = session.scalars(select(Area.code)).first()
    steps = [
        update(Theme).where(Theme.code == "food").values(label_cy="Bwyd!"),
        update(Area).values(population=Area.population),  # a write that changes no value
        insert(Indicator).values(
            code="x",
            label_en="X",
            label_cy="X",
            unit="score",
            higher_is_more_need=True,
            source="test",
            year=2019,
            licence="OGL",
        ),
        text(
            "INSERT INTO indicator_values (indicator_code, area_id, value) "
            f"SELECT 'x', id, 1 FROM areas WHERE code = '{code}'"
        ),
        delete(IndicatorValue),
        delete(Indicator),
    ]
    for step in steps:
        last = version(db)
        session.execute(step)
        session.commit()
        assert version(db) > last, step
    # Read before a write commits, it is the old version (the data read with it is the old too).
    session.execute(update(Theme).where(Theme.code == "food").values(label_cy="Bwyd"))
    pending = version(db)
    session.commit()
    assert version(db) > pending


def test_untracked_tables_do_not_move_it(db: Engine, session: Session) -> None:
    before = version(db)
    session.execute(text("INSERT INTO job_runs (name, ran_at) VALUES ('a job', CURRENT_TIMESTAMP)"))
    session.commit()
    assert version(db) == before


@pytest.mark.backend("postgis")
def test_compaction_keeps_the_version_and_folds_the_rows(db: Engine, session: Session) -> None:
    for n in range(5):
        session.execute(update(Theme).where(Theme.code == "food").values(label_cy=f"Bwyd {n}"))
        session.commit()
    before = version(db)
    rows = session.scalar(select(func.count()).select_from(DataChange))
    assert rows is not None and rows >= 5
    compact(session)
    session.commit()
    assert version(db) == before
    assert session.scalar(select(func.count()).select_from(DataChange)) == 2
    session.execute(update(Theme).where(Theme.code == "food").values(label_cy="Bwyd"))
    session.commit()
    assert version(db) == before + 1


def test_writes_still_move_it_after_its_rows_are_deleted(db: Engine, session: Session) -> None:
    # Deleting data_changes by hand must not stop the version (SQLite makes its row again).
    session.execute(delete(DataChange))
    session.commit()
    assert version(db) == 0
    session.execute(update(Theme).where(Theme.code == "food").values(label_cy="Bwyd"))
    session.commit()
    assert version(db) > 0
