"""One responder for list pages: the same records as JSON, GeoJSON or CSV, chosen at the end.

Every list route reads its page once (records + next cursor) and hands it here, so the page
shapes and the `next` links are the same everywhere: JSON {items, numberReturned, next},
a GeoJSON FeatureCollection with `self`/`next` links, CSV with a `Link: <...>; rel="next"` header.
"""

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from fastapi import Request
from starlette.responses import Response

from app.formats import csv, geojson, json
from app.formats.json import dumps
from app.http.deps import Format
from app.http.links import page_url, public_url
from app.http.responses import CSVBody, GeoJSONBody, JSONBody
from app.settings import Settings


def list_response(
    request: Request,
    settings: Settings,
    fmt: Format,
    records: Sequence[Any],
    next_cursor: str | None,
    *,
    to_json: Callable[[Any], Any] | None = None,
    to_feature: Callable[[Any], dict[str, Any]] | None = None,
    csv_columns: Sequence[str] | None = None,
    to_row: Callable[[Any], Mapping[str, Any]] = csv.guarded,
    self_link: bool = True,
) -> Response:
    """A page of records in the asked format; a format the route does not offer answers JSON.

    to_json: record -> item (default: the record); to_feature: record -> GeoJSON Feature
    (None: no GeoJSON); csv_columns with to_row: the CSV (None: no CSV).
    """
    next_url = page_url(request, settings, cursor=next_cursor) if next_cursor else None
    if fmt is Format.csv and csv_columns is not None:
        headers = {"Link": f'<{next_url}>; rel="next"'} if next_url else None
        return CSVBody(csv.csv_text(csv_columns, records, to_row=to_row), headers=headers)
    if fmt is Format.geojson and to_feature is not None:
        self_url = public_url(request, settings) if self_link else None
        features = [to_feature(r) for r in records]
        return GeoJSONBody(geojson.feature_page(features, geojson.page_links(self_url, next_url)))
    items = [to_json(r) for r in records] if to_json is not None else list(records)
    return JSONBody(json.item_page(items, next_url))


def built_list_response(
    request: Request,
    settings: Settings,
    fmt: Format,
    items: bytes,
    count: int,
    next_cursor: str | None,
    *,
    self_link: bool = True,
) -> Response:
    """A JSON page (fmt json) or FeatureCollection (fmt geojson) around items the database
    wrote (JSON texts joined by commas): the bytes list_response makes for the same records."""
    next_url = page_url(request, settings, cursor=next_cursor) if next_cursor else None
    # One join: the items are up to a megabyte, and each `+` would copy them again.
    if fmt is Format.geojson:
        self_url = public_url(request, settings) if self_link else None
        links = dumps(geojson.page_links(self_url, next_url))
        head = (b'{"type":"FeatureCollection","features":[', items, b'],"numberReturned":')
        body = b"".join((*head, str(count).encode(), b',"links":', links, b"}"))
        return Response(body, media_type=geojson.MEDIA_TYPE)
    parts = (b'{"items":[', items, b'],"numberReturned":', str(count).encode())
    body = b"".join((*parts, b',"next":', dumps(next_url), b"}"))
    return Response(body, media_type=json.MEDIA_TYPE)
