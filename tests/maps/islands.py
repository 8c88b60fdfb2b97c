"""Reading a map's data island back as the browser does (JSON.parse of the element's text)."""

import json
import re
from typing import Any

from app.maps.base import MapParts

ISLAND = re.compile(r'<script type="application/json" id="([^"]+)">(.*?)</script>', re.S)


def island(parts: MapParts) -> dict[str, Any]:
    """The map's data, as the browser's JSON.parse reads it from the page."""
    (found,) = ISLAND.findall(parts.html)
    assert found[0] == f"{parts.element_id}-data"
    data: dict[str, Any] = json.loads(found[1])
    return data


def page_island(html: str, element_id: str = "map") -> dict[str, Any]:
    """The data of the map `element_id` on a page."""
    for found_id, text in ISLAND.findall(html):
        if found_id == f"{element_id}-data":
            data: dict[str, Any] = json.loads(text)
            return data
    raise AssertionError(f"no data island for the map {element_id!r}")
