"""The version of the data, for caches of derived answers (app/http/response_cache.py).

`data_version` is one small query: the sum of data_changes' weights, which database triggers
move on every write to a tracked table (migrations/versions/0011_data_changes.py explains how on
each database). Read in a transaction before the data it keys, it never claims newer data than
that transaction then reads, so an answer cached under it is never older than its key; a change
made through any replica moves the one shared sum, so every process sees it at its next request.
"""

from sqlalchemy import Connection, func, select, text
from sqlalchemy.orm import Session

from app.models import DataChange

# Tables without the trigger, and why no answer that may be cached is made from them. Every
# other table must carry it (tests/services/test_data_changes.py walks the models).
UNTRACKED = {
    "alembic_version": "the schema's revision, not data",
    "data_changes": "the version itself",
    "audit_events": "written beside a tracked change; shown only to signed-in staff",
    "outbox": "email waiting to be sent; never shown",
    "job_runs": "which replica ran a background job; never shown",
    "users": "accounts: shown only to signed-in people, whose requests are never cached",
    "credentials": "passwords, sessions and tokens; never shown",
}


# The version as a SELECT, to read beside other values in one statement.
VERSION = select(func.coalesce(func.sum(DataChange.weight), 0))


def data_version(connection: Connection | Session) -> int:
    """The current version of the data (grows with every committed write to a tracked table)."""
    return int(connection.execute(VERSION).scalar_one())


# Fold every row but the newest into one of the same total weight, in one statement, so the sum
# never moves; rows of transactions still open are not visible to it and stay as they are.
_COMPACT_POSTGRES = text(
    """
    WITH newest AS (SELECT max(id) AS id FROM data_changes),
    gone AS (
        DELETE FROM data_changes WHERE id < (SELECT id FROM newest) RETURNING weight
    )
    INSERT INTO data_changes (tx, weight)
    SELECT NULL, sum(weight) FROM gone HAVING count(*) > 0
    """
)


def compact(session: Session) -> None:
    """Keep data_changes small on PostgreSQL (one row per writing transaction until folded);
    SQLite keeps a single row. The version is the same before and after."""
    if session.get_bind().dialect.name != "postgresql":
        return
    session.execute(_COMPACT_POSTGRES)
