"""Running the `assetmap` command against the test database, and files for it to read."""

import csv
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from sqlalchemy import Engine, delete, func, select
from typer.testing import CliRunner

from app.cli import app
from app.models import Asset, AuditEvent, Base
from app.settings import get_settings

Invoke = Callable[..., Result]


@pytest.fixture
def assetmap(db: Engine, db_url: str, tmp_path: Path) -> Iterator[Invoke]:
    """Run `assetmap ARGS...` with ASSETMAP_DATABASE_URL pointing at the emptied test database
    (and an erasure ledger of this test's own, as the database is emptied for each test)."""
    runner = CliRunner()
    env = {
        "ASSETMAP_DATABASE_URL": db_url,
        "ASSETMAP_ERASURE_LEDGER": str(tmp_path / "erasures.jsonl"),
    }

    def invoke(*args: str) -> Result:
        get_settings.cache_clear()  # each command reads the environment afresh, as a process does
        try:
            return runner.invoke(app, list(args), env=env)
        finally:
            get_settings.cache_clear()

    yield invoke


TAXONOMY_TABLES = ("themes", "theme_relations")
# Kept too: the data version only ever grows (answers cached under it would be taken again).
KEPT_TABLES = (*TAXONOMY_TABLES, "data_changes")


def empty_database(engine: Engine) -> None:
    """Delete every row but the taxonomy (themes and their relations): an empty registry."""
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name not in KEPT_TABLES:
                connection.execute(delete(table))


def count(engine: Engine, model: Any = Asset) -> int:
    """Rows in a model's table."""
    with engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(model)) or 0)


def audit_count(engine: Engine) -> int:
    """Audit events written so far."""
    return count(engine, AuditEvent)


CSV_HEADER = ("kind", "name_en", "name_cy", "themes", "lon", "lat", "status", "source", "source_id")


def write_csv(path: Path, rows: list[dict[str, Any]], header: tuple[str, ...] = CSV_HEADER) -> Path:
    """A CSV in our import columns (missing cells empty)."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\r\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: row.get(k, "") for k in header})
    return path


def good_row(n: int, **overrides: Any) -> dict[str, Any]:
    """A valid CSV row for a published group in Cardiff, source_id `row-N`."""
    row = {
        "kind": "group",
        "name_en": f"Lunch club {n}",
        "name_cy": f"Clwb cinio {n}",
        "themes": "food;older_people",
        "lon": f"{-3.17 + n / 1000:.6f}",
        "lat": "51.48",
        "status": "published",
        "source": "test-file",
        "source_id": f"row-{n}",
    }
    row.update(overrides)
    return row
