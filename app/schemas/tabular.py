"""Assets as flat rows (CSV, GeoPackage attributes): one column list, both directions."""

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from app.formats import csv
from app.schemas.assets import ROW_FIELDS, _iso

CSV_COLUMNS = ROW_FIELDS
LIST_SEPARATOR = ";"


def format_opening_hours(rows: list[dict[str, Any]]) -> str:
    """'mon 09:00-17:00; tue 09:00-12:30' from weekly rows; rules with more to say than a
    weekly slot (every N weeks, Nth weekday, dates, closures, notes) as their JSON list."""
    if any(set(r) - {"day", "opens", "closes"} for r in rows):
        return json.dumps(rows, ensure_ascii=False, separators=(",", ":"))
    return "; ".join(f"{r['day']} {r['opens']}-{r['closes']}" for r in rows)


def parse_opening_hours(text: str) -> list[dict[str, Any]]:
    """Structured rows from 'mon 09:00-17:00; tue 09:00-12:30' or from the JSON list
    format_opening_hours writes for richer rules (ValueError if malformed)."""
    if text.lstrip().startswith("["):
        try:
            rules = json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(f"opening hours are not a valid JSON list: {error}") from None
        if not isinstance(rules, list) or not all(isinstance(r, dict) for r in rules):
            raise ValueError("opening hours JSON must be a list of objects")
        return rules
    rows: list[dict[str, Any]] = []
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
