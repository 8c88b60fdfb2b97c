"""Optimistic locking done by the database, not compared in Python.

A change to a versioned record (assets, deficits) first *claims* its row:
`UPDATE <table> SET version = version WHERE id = :id AND version = :expected`. The claim is
the transaction's first write to the row, so it takes the row lock (PostgreSQL) or the write
lock (SQLite, which then waits up to its busy_timeout for another writer): of two editors
holding the same ETag, exactly one claims the row; the other's claim matches no row once the
first has committed, and the change is refused (412) before anything of it is written. Every
later ORM UPDATE or DELETE of the row also says `AND version = :version_read`
(`version_id_col` on the models) and raises StaleDataError, refused the same way, so a path
that forgets to claim still cannot overwrite a newer version.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.errors import NotFound, PreconditionFailed

Row = TypeVar("Row")


def claim(session: Session, model: Any, row_id: int, expected_version: int | None) -> bool:
    """Lock the row of a versioned model (id, version) for this transaction if it is at
    expected_version (None: any version).

    False when no row matched: the row changed (or went) since the caller read it."""
    stmt = update(model).where(model.id == row_id).values(version=model.version)
    if expected_version is not None:
        stmt = stmt.where(model.version == expected_version)
    stmt = stmt.execution_options(synchronize_session=False)
    result = cast(CursorResult[Any], session.execute(stmt))
    return result.rowcount == 1


def claimed(
    session: Session, model: type[Row], row_id: int, expected_version: int | None, *, what: str
) -> Row:
    """The row, claimed for this transaction at expected_version (None: any) and read after
    the claim, so that what a change starts from is what it will overwrite; NotFound when it
    has gone, PreconditionFailed (412) when it has changed."""
    table: Any = model  # a versioned model: id and version columns
    if not claim(session, table, row_id, expected_version):
        current = session.scalar(select(table.version).where(table.id == row_id))
        if current is None:
            raise NotFound(f"{what} not found")
        raise PreconditionFailed(f"{what} has changed (version {current}); fetch it again")
    fresh = select(table).where(table.id == row_id).execution_options(populate_existing=True)
    row = session.scalar(fresh)
    assert row is not None  # claimed: it exists, and it is ours until the transaction ends
    return cast(Row, row)


@contextmanager
def refused_if_stale(what: str) -> Iterator[None]:
    """Turn the ORM's StaleDataError (a versioned UPDATE/DELETE matched no row) into the 412
    domain error; the caller's transaction is rolled back by whoever owns the session."""
    try:
        yield
    except StaleDataError as exc:
        raise PreconditionFailed(f"{what} has changed meanwhile; fetch it again") from exc
