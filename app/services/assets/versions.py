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
from typing import Any, cast

from sqlalchemy import CursorResult, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.errors import PreconditionFailed


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


@contextmanager
def refused_if_stale(what: str) -> Iterator[None]:
    """Turn the ORM's StaleDataError (a versioned UPDATE/DELETE matched no row) into the 412
    domain error; the caller's transaction is rolled back by whoever owns the session."""
    try:
        yield
    except StaleDataError as exc:
        raise PreconditionFailed(f"{what} has changed meanwhile; fetch it again") from exc
