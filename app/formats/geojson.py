"""GeoJSON (RFC 7946): FeatureCollections whole or streamed, and the links that page them."""

from collections.abc import Iterable, Iterator
from typing import Any

from app.formats.json import dumps

MEDIA_TYPE = "application/geo+json"


def page_links(self_url: str | None, next_url: str | None) -> list[dict[str, str]]:
    """`self` (when given) and `next` (when there is a next page), both as GeoJSON."""
    pages = [("self", self_url), ("next", next_url)]
    return [{"rel": rel, "href": url, "type": MEDIA_TYPE} for rel, url in pages if url]


def feature_collection(features: list[dict[str, Any]], **members: Any) -> dict[str, Any]:
    """{"type": "FeatureCollection", "features": [...], **members} (numberReturned, links...)."""
    return {"type": "FeatureCollection", "features": features, **members}


def feature_page(features: list[dict[str, Any]], links: list[dict[str, str]]) -> dict[str, Any]:
    """One page of a list as a FeatureCollection with numberReturned and its links."""
    return feature_collection(features, numberReturned=len(features), links=links)


def feature_collection_chunks(features: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    """A FeatureCollection streamed as UTF-8, one feature per line (diffable files)."""
    yield b'{"type":"FeatureCollection","features":['
    for position, feature in enumerate(features):
        yield (b"\n" if position == 0 else b",\n") + dumps(feature)
    yield b"\n]}\n"
