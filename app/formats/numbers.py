"""How asset lists write their numbers, in a form both databases make exactly too
(app/spatial/json_sql.py builds the same bytes in SQL): the reference the SQL-built pages are
tested against. Neither database formats every double as Python does (SQLite's printf rounds
some 15-digit ties the other way; PostgreSQL's float8-to-numeric keeps 15 digits), but each
formats an integer exactly, so every number goes through one:

- coordinates (points and areas): snapped to a 1e-9 degree grid (about 0.1 mm) as the
  databases snap geometries to a grid, rint(x / 1e-9), and written with at most 9 decimals and no
  trailing zeros (-3.1791234568, 51.48, -3);
- distance_m: whole centimetres, trunc(d * 100) plus one from half a centimetre, written the same
  way (123.45, 120.5, 98): the value round(d, 2) gives.
"""

import math
from typing import Any

import orjson

DECIMALS = 9
GRID = 1e-9


def _decimal(units: int, decimals: int) -> str:
    """units / 10**decimals as short decimal text (no trailing zeros, never -0)."""
    if units == 0:
        return "0"
    whole, fraction = divmod(abs(units), 10**decimals)
    text = str(whole)
    if fraction:
        text += "." + f"{fraction:0{decimals}d}".rstrip("0")
    return "-" + text if units < 0 else text


def degrees(value: float) -> str:
    """A coordinate snapped to the 1e-9 degree grid, as text."""
    return _decimal(round(value / GRID), DECIMALS)


def metres(value: float) -> str:
    """A non-negative distance in whole centimetres (half a centimetre up), as text."""
    scaled = value * 100.0
    whole = math.trunc(scaled)
    return _decimal(whole + (1 if scaled - whole >= 0.5 else 0), 2)


def point_fragment(lon: float, lat: float) -> orjson.Fragment:
    """A GeoJSON Point as JSON text with degrees() coordinates."""
    return orjson.Fragment(
        f'{{"type":"Point","coordinates":[{degrees(lon)},{degrees(lat)}]}}'.encode()
    )


def metres_fragment(value: float) -> orjson.Fragment:
    """A distance as metres() JSON text."""
    return orjson.Fragment(metres(value).encode())


def area_fragment(geometry: dict[str, Any] | None) -> Any:
    """A GeoJSON geometry (as shapely's mapping makes it) with degrees() coordinates, or None."""
    if geometry is None:
        return None
    coordinates = _coordinates(geometry["coordinates"])
    return orjson.Fragment(
        b'{"type":' + orjson.dumps(geometry["type"]) + b',"coordinates":' + coordinates + b"}"
    )


def _coordinates(value: Any) -> bytes:
    if value and isinstance(value[0], int | float):
        return ("[" + ",".join(degrees(float(v)) for v in value) + "]").encode()
    return b"[" + b",".join(_coordinates(v) for v in value) + b"]"
