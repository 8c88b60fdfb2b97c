"""A fast loader that is not the product: plain inserts of the generated CSV, no validation, no
audit events. It stands in when the import CLI is missing or fails (or with --loader bulk), so
the HTTP figures can still be measured; its rows/s is never judged against the import target.
"""

import csv
import struct
import time
from collections.abc import Iterator
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, insert

from app.models import Asset, AssetTheme
from app.models.base import utcnow
from app.schemas.assets import fold
from app.schemas.tabular import LIST_SEPARATOR, parse_opening_hours
from app.services.assets.theme_points import theme_point
from app.spatial.geometry import point_element

from databases import Target

BATCH = 5000
JSON_COLUMNS = ("opening_hours", "accessibility", "languages")


def _asset_values(asset_id: int, row: dict[str, str], now: datetime) -> dict[str, Any]:
    def blank(key: str) -> str | None:
        return row[key] or None

    names = (row["name_en"], row["name_cy"], row["description_en"], row["description_cy"])
    verified = row["last_verified_at"]
    return {
        "id": asset_id,
        "kind": row["kind"],
        "name_en": blank("name_en"),
        "name_cy": blank("name_cy"),
        "description_en": blank("description_en"),
        "description_cy": blank("description_cy"),
        "search_text": fold(" ".join(filter(None, names))),
        "location": (float(row["lon"]), float(row["lat"])),
        "address": blank("address"),
        "postcode": blank("postcode"),
        "email": blank("email"),
        "phone": blank("phone"),
        "website": blank("website"),
        "opening_hours": parse_opening_hours(row["opening_hours"]),
        "accessibility": [a for a in row["accessibility"].split(LIST_SEPARATOR) if a],
        "languages": [a for a in row["languages"].split(LIST_SEPARATOR) if a],
        "status": row["status"],
        "last_verified_at": datetime.fromisoformat(verified) if verified else None,
        "source": row["source"],
        "source_id": row["source_id"],
        "version": 1,
        "created_at": now,
        "updated_at": now,
        "created_by": "bench",
        "updated_by": "bench",
    }


def _chunks(csv_path: Path) -> Iterator[tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
    """(asset values, theme links) a batch at a time; ids 1..N in file order (fresh database)."""
    now = utcnow()
    next_id = 1
    with csv_path.open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(handle)
        while chunk := list(islice(rows, BATCH)):
            ids = range(next_id, next_id + len(chunk))
            next_id += len(chunk)
            values = [_asset_values(i, r, now) for i, r in zip(ids, chunk, strict=True)]
            # The theme links carry the asset's point and public flag, as the import writes them.
            links = [
                {
                    "asset_id": asset_id,
                    "theme_code": code,
                    **theme_point(row["kind"], row["status"], float(row["lon"]), float(row["lat"])),
                }
                for asset_id, row in zip(ids, chunk, strict=True)
                for code in row["themes"].split(LIST_SEPARATOR)
                if code
            ]
            yield values, links


def _ewkb_hex(lon: float, lat: float) -> str:
    # Little-endian EWKB point with SRID 4326: PostGIS reads its hex form in COPY text.
    return struct.pack("<BIIdd", 1, 0x20000001, 4326, lon, lat).hex()


def _copy(conn: Connection, table: str, rows: list[dict[str, Any]]) -> None:
    columns = list(rows[0])
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            values = dict(row)
            if "location" in values:
                values["location"] = _ewkb_hex(*values["location"])
            for name in JSON_COLUMNS:
                if name in values:
                    values[name] = orjson.dumps(values[name]).decode()
            copy.write_row([values[c] for c in columns])


def load_bulk(target: Target, csv_path: Path) -> float:
    """Load the CSV (PostGIS: COPY; SpatiaLite: executemany); wall seconds."""
    started = time.perf_counter()
    with target.engine.begin() as conn:
        for values, links in _chunks(csv_path):
            if target.backend == "postgis":
                _copy(conn, "assets", values)
                _copy(conn, "asset_themes", links)
                continue
            for value in values:
                value["location"] = point_element(*value["location"])
            conn.execute(insert(Asset.__table__), values)  # type: ignore[arg-type]
            conn.execute(insert(AssetTheme.__table__), links)  # type: ignore[arg-type]
        if target.backend == "postgis":  # ids were given: move the sequence past them
            conn.exec_driver_sql(
                "SELECT setval(pg_get_serial_sequence('assets', 'id'), max(id)) FROM assets"
            )
    return time.perf_counter() - started
