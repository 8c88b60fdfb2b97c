"""What the resident's search box finds: assets near a postcode, or assets by name."""

from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy.orm import Session

from app.errors import NotFound
from app.schemas.assets import normalise_postcode
from app.services.assets import AssetFilters, Near, list_assets
from app.services.postcodes import lookup_postcode
from app.services.visibility import Viewer

MAX_QUERY = 200
RESULTS = 50
POSTCODE_RADIUS_M = 1000.0


@dataclass
class SearchResults:
    """The assets a search found (at most RESULTS), and how the query was read."""

    query: str
    records: list[dict[str, Any]] = field(default_factory=list)
    postcode: str | None = None
    postcode_unknown: bool = False
    more: bool = False


def search(session: Session, *, viewer: Viewer, query: str) -> SearchResults:
    """A postcode finds the assets within 1 km of it, nearest first; other text finds assets
    whose English or Welsh name or description contains it. People are never included."""
    query = " ".join(query.split())[:MAX_QUERY]
    results = SearchResults(query=query)
    if not query:
        return results
    # Pages show people to nobody, whoever is signed in: only as counts, elsewhere.
    viewer = replace(viewer, with_people=False)
    try:
        postcode = normalise_postcode(query)
    except ValueError:
        filters = AssetFilters(q=query)
    else:
        results.postcode = postcode
        try:
            found = lookup_postcode(session, postcode)
        except NotFound:
            results.postcode_unknown = True
            return results
        filters = AssetFilters(near=Near(found.lon, found.lat, POSTCODE_RADIUS_M))
    page = list_assets(session, viewer=viewer, filters=filters, limit=RESULTS)
    results.records = page.records
    results.more = page.next_cursor is not None
    return results


@dataclass(frozen=True)
class ResultItem:
    """One result as a page shows it: the record, and its name in the page's language or,
    failing that, in the other (`name_lang` says which)."""

    record: dict[str, Any]
    name: str
    name_lang: str


def result_items(results: SearchResults, lang: str) -> list[ResultItem]:
    """The results, named for a page in `lang`."""
    return [ResultItem(r, *display_name(r, lang)) for r in results.records]


def display_name(record: dict[str, Any], lang: str) -> tuple[str, str]:
    """An asset's name in the page's language, else in the other one: (text, its language)."""
    first, second = ("name_cy", "name_en") if lang == "cy" else ("name_en", "name_cy")
    if record.get(first):
        return record[first], lang
    return record.get(second) or "", "en" if lang == "cy" else "cy"
