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
    """The statements one call runs (ORM look-ups of a single row included); when the call
    fails (a time budget ran out), those sent until then."""
    with captured(engine) as seen:
        try:
            call()
        except Exception as exc:  # the statement that timed out is the one to explain
            print(f"  (explaining a call that stopped: {str(exc).splitlines()[0][:120]})")
    return list(seen)


def plan(engine: Engine, statement: Statement) -> dict[str, Any]:
    """The plan, and how long the statement takes alone with all its rows fetched (None when
    the engine gave up: then PostGIS shows EXPLAIN without ANALYZE)."""
    postgres = engine.dialect.name == "postgresql"
    rows: int | None = None
    fetch_ms: float | None = None
    error = None
    with engine.connect() as connection:
        started = time.perf_counter()
        try:
            rows = len(connection.exec_driver_sql(statement.sql, statement.parameters).all())
            fetch_ms = round((time.perf_counter() - started) * 1000, 1)
        except Exception as exc:
            took = time.perf_counter() - started
            error = f"stopped after {took:.0f} s: {str(exc).splitlines()[0][:160]}"
    if postgres:
        explain = "EXPLAIN (ANALYZE, BUFFERS) " if error is None else "EXPLAIN "
    else:
        explain = "EXPLAIN QUERY PLAN "
    with engine.connect() as connection:
        found = connection.exec_driver_sql(explain + statement.sql, statement.parameters).all()
    # SQLite's rows are (id, parent, notused, detail): keep the tree shape readable.
    lines = [r[0] if postgres else f"{r[0]}<{r[1]} {r[-1]}" for r in found]
    return {
        "sql": statement.sql,
        "parameters": repr(statement.parameters)[:500],
        "rows": rows,
        "fetch_ms": fetch_ms,
        "error": error,
        "plan": lines,
    }
