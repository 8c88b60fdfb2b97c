"""Which SQL a service function runs, and the database's plan for it (EXPLAIN ANALYZE on
PostGIS, EXPLAIN QUERY PLAN plus a timed full fetch on SpatiaLite)."""

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, event


@dataclass
class Statement:
    """One statement as the driver received it."""

    sql: str
    parameters: Any


@contextmanager
def captured(engine: Engine) -> Iterator[list[Statement]]:
    """Record every statement the engine sends while the block runs."""
    seen: list[Statement] = []

    def record(_conn: Any, _cursor: Any, sql: str, parameters: Any, *_args: Any) -> None:
        seen.append(Statement(sql, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def statements_of(engine: Engine, call: Callable[[], object]) -> list[Statement]:
    """The statements one call runs (ORM look-ups of a single row included)."""
    with captured(engine) as seen:
        call()
    return list(seen)


def plan(engine: Engine, statement: Statement) -> dict[str, Any]:
    """The plan, and how long the statement takes alone with all its rows fetched."""
    with engine.connect() as connection:
        started = time.perf_counter()
        rows = connection.exec_driver_sql(statement.sql, statement.parameters).all()
        fetch_ms = (time.perf_counter() - started) * 1000
        if engine.dialect.name == "postgresql":
            explain = "EXPLAIN (ANALYZE, BUFFERS) "
            lines = [
                r[0]
                for r in connection.exec_driver_sql(explain + statement.sql, statement.parameters)
            ]
        else:
            explain = "EXPLAIN QUERY PLAN "
            lines = [
                f"{r[0]}|{r[1]}| {r[-1]}"
                for r in connection.exec_driver_sql(explain + statement.sql, statement.parameters)
            ]
    return {
        "sql": statement.sql,
        "parameters": repr(statement.parameters)[:500],
        "rows": len(rows),
        "fetch_ms": round(fetch_ms, 1),
        "plan": lines,
    }
