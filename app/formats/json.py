"""JSON: one serialiser (orjson) and the shape of a list page ({items, numberReturned, next})."""

from typing import Any

import orjson

MEDIA_TYPE = "application/json"


def dumps(content: Any) -> bytes:
    """content as compact UTF-8 JSON (orjson; non-string dict keys allowed)."""
    return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)


def item_page(items: list[Any], next_url: str | None) -> dict[str, Any]:
    """One page of a list: its items, how many, and the URL of the next page (or null)."""
    return {"items": items, "numberReturned": len(items), "next": next_url}
