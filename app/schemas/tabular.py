"""Assets as flat rows (CSV, GeoPackage attributes): one column list, both directions."""

import re
from collections.abc import Iterable, Mapping
from typing import Any

from app.formats import csv
from app.schemas.assets import ROW_FIELDS, _iso

CSV_COLUMNS = ROW_FIELDS
LIST_SEPARATOR = ";"


def format_opening_hours(rows: list[dict[str, str]]) -> str:
    """'mon 09:00-17:00; tue 09:00-12:30' from structured rows."""
    return "; ".join(f"{r['day']} {r['opens']}-{r['closes']}" for r in rows)


def parse_opening_hours(text: str) -> list[dict[str, str]]:
    """Structured rows from 'mon 09:00-17:00; tue 09:00-12:30' (ValueError if malformed)."""
    rows = []
    for part in filter(None, (p.strip() for p in text.split(LIST_SEPARATOR))):
        match = re.fullmatch(r"([a-z]{3})\s+(\d{2}:\d{2})-(\d{2}:\d{2})", part)
        if not match:
            raise ValueError(f"opening hours {part!r} is not like 'mon 09:00-17:00'")
        rows.append({"day": match.group(1), "opens": match.group(2), "closes": match.group(3)})
    return rows


def asset_row(record: Mapping[str, Any]) -> dict[str, Any]:
    """An asset record as a flat row of CSV_COLUMNS (+ distance_m when present); text is safe."""
    area = record["service_area"]
    row: dict[str, Any] = {
        **{c: record.get(c) for c in CSV_COLUMNS},
        "themes": LIST_SEPARATOR.join(record["themes"]),
        "service_area": area.wkt if area is not None else None,
        "opening_hours": format_opening_hours(record["opening_hours"]),
        "accessibility": LIST_SEPARATOR.join(record["accessibility"]),
        "languages": LIST_SEPARATOR.join(record["languages"]),
        "last_verified_at": _iso(record["last_verified_at"]),
        "created_at": _iso(record["created_at"]),
        "updated_at": _iso(record["updated_at"]),
    }
    if "distance_m" in record:
        row["distance_m"] = round(record["distance_m"], 2)
    return csv.guarded(row)


def csv_columns(*, with_distance: bool = False) -> tuple[str, ...]:
    """The CSV header: CSV_COLUMNS, then distance_m for a search near a point."""
    return (*CSV_COLUMNS, "distance_m") if with_distance else CSV_COLUMNS


def csv_text(records: Iterable[Mapping[str, Any]], *, with_distance: bool = False) -> str:
    """Assets as CSV text with a header row (RFC 4180, UTF-8)."""
    return csv.csv_text(csv_columns(with_distance=with_distance), records, to_row=asset_row)
