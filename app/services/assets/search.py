"""What the resident's search finds: places (areas) and assets by name, assets near a postcode
or a point, each narrowed by theme and kind. Only what anybody may see: published, never people.
"""

import math
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import NotFound
from app.models import Area, AssetArea
from app.models.assets import Asset
from app.schemas.assets import fold, normalise_postcode
from app.services.assets.records import (
    THEME_SEPARATOR,
    AssetFilters,
    Near,
    build_list_query,
    get_asset,
    list_assets,
)
from app.services.assets.themes import known_codes
from app.services.assets.visibility import ANONYMOUS
from app.services.needs.postcodes import lookup_postcode
from app.spatial.geometry import geometry_from_db
from app.vocabularies import PUBLIC_KINDS

MAX_QUERY = 200
RESULTS = 50
PLACES = 10
NEAR_RADIUS_M = 1000.0
# The kinds a resident may filter by (and ever sees): every kind but the person-linked ones.
# Searches show what anybody may see, whoever is signed in: people only ever as counts,
# elsewhere, and pending records (which connectors see in their patch) not at all.
PUBLIC = replace(ANONYMOUS, with_people=False)
# Bigger places first when names match equally well ("Cardiff" the county before "Cardiff 036A").
LEVEL_ORDER = {"local_authority": 0, "ward": 1, "msoa": 2, "lsoa": 3, "custom": 4}


@dataclass(frozen=True)
class SearchFilters:
    """Themes and kinds a search is narrowed by (empty: any)."""

    themes: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        """Whether any filter is set."""
        return bool(self.themes or self.kinds)


@dataclass(frozen=True)
class Place:
    """An area whose name matched the search."""

    id: int
    code: str
    level: str
    name_en: str | None
    name_cy: str | None


@dataclass
class SearchResults:
    """What a search found and how it read the query.

    `records` are the assets near the postcode or point, or whose name matches the text;
    for text, `places` are the areas whose name matches and `area_records` the assets inside
    the best of them (`places[0]`). At most RESULTS assets per list; `more*` says when there
    were others."""

    query: str
    filters: SearchFilters = field(default_factory=SearchFilters)
    records: list[dict[str, Any]] = field(default_factory=list)
    more: bool = False
    postcode: str | None = None
    postcode_unknown: bool = False
    near: tuple[float, float] | None = None
    near_invalid: bool = False
    places: list[Place] = field(default_factory=list)
    more_places: bool = False
    area_records: list[dict[str, Any]] = field(default_factory=list)
    area_more: bool = False

    @property
    def mode(self) -> str:
        """How the search was read: 'empty', 'near' (a point), 'postcode' or 'text'."""
        if self.near is not None or self.near_invalid:
            return "near"
        if not self.query:
            return "empty"
        return "postcode" if self.postcode else "text"

    @property
    def area(self) -> Place | None:
        """The best-matching place, whose assets `area_records` are."""
        return self.places[0] if self.places else None

    @property
    def all_records(self) -> list[dict[str, Any]]:
        """Every asset found, once each, in the order the page lists them (area first)."""
        seen: set[int] = set()
        found = []
        for record in [*self.area_records, *self.records]:
            if record["id"] not in seen:
                seen.add(record["id"])
                found.append(record)
        return found


def parse_near(text: str) -> tuple[float, float]:
    """'LAT,LON' in decimal degrees -> (lat, lon); ValueError when it is not a place on Earth."""
    parts = text.split(",")
    if len(parts) != 2:
        raise ValueError("near is LAT,LON")
    lat, lon = (float(p.strip()) for p in parts)
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError("near is outside -90..90, -180..180")
    return lat, lon


def clean_filters(
    session: Session, *, themes: list[str] | tuple[str, ...], kinds: list[str] | tuple[str, ...]
) -> SearchFilters:
    """The filters as asked, less unknown themes and kinds (a hand-edited address may hold
    anything; the form offers only known ones). People's kinds are never a filter."""
    wanted_themes = list(dict.fromkeys(t for t in themes if len(t) <= 40))
    known = known_codes(session, wanted_themes)
    return SearchFilters(
        themes=tuple(t for t in wanted_themes if t in known),
        kinds=tuple(dict.fromkeys(k for k in kinds if k in PUBLIC_KINDS)),
    )


def search(
    session: Session,
    *,
    query: str = "",
    near: str | None = None,
    filters: SearchFilters | None = None,
) -> SearchResults:
    """Search as a resident: text that is a postcode finds the assets within 1 km of it,
    nearest first; other text finds places and assets by English or Welsh name (case- and
    accent-folded); with no text, `near` ('LAT,LON') finds the assets within 1 km of that
    point. Filters apply to every list of assets. People and unpublished assets never appear."""
    filters = filters or SearchFilters()
    query = " ".join(query.split())[:MAX_QUERY]
    results = SearchResults(query=query, filters=filters)
    base = AssetFilters(themes=filters.themes, kinds=filters.kinds or PUBLIC_KINDS)
    if not query and near:
        try:
            results.near = parse_near(near)
        except ValueError:
            results.near_invalid = True
            return results
        lat, lon = results.near
        _nearby(session, results, base, lon, lat)
        return results
    if not query:
        return results
    try:
        postcode = normalise_postcode(query)
    except ValueError:
        _by_name(session, results, base)
        return results
    results.postcode = postcode
    try:
        found = lookup_postcode(session, postcode)
    except NotFound:
        results.postcode_unknown = True
        return results
    _nearby(session, results, base, found.lon, found.lat)
    return results


def _nearby(
    session: Session, results: SearchResults, base: AssetFilters, lon: float, lat: float
) -> None:
    filters = AssetFilters(themes=base.themes, kinds=base.kinds, near=Near(lon, lat, NEAR_RADIUS_M))
    page = list_assets(session, viewer=PUBLIC, filters=filters, limit=RESULTS)
    results.records = page.records
    results.more = page.next_cursor is not None


def _by_name(session: Session, results: SearchResults, base: AssetFilters) -> None:
    filters = AssetFilters(themes=base.themes, kinds=base.kinds, q=results.query)
    page = list_assets(session, viewer=PUBLIC, filters=filters, limit=RESULTS)
    results.records = page.records
    results.more = page.next_cursor is not None
    results.places, results.more_places = find_places(session, results.query)
    if results.places:
        results.area_records, results.area_more = assets_in_area(
            session, results.places[0].id, base
        )


def _match_rank(folded_query: str, name: str | None) -> int | None:
    """How well a name matches: 0 the whole name, 1 its start, 2 a word's start, 3 inside it."""
    if not name:
        return None
    folded = fold(name)
    if folded == folded_query:
        return 0
    if folded.startswith(folded_query):
        return 1
    position = folded.find(folded_query)
    if position < 0:
        return None
    return 2 if not folded[position - 1].isalnum() else 3


def find_places(session: Session, query: str, limit: int = PLACES) -> tuple[list[Place], bool]:
    """Areas whose English or Welsh name (or code) matches the text, best first, at most
    `limit`; and whether there were more.

    Names are folded here rather than in SQL: neither backend strips accents ("Môn" ~ "mon")
    the same way, and there are only a few thousand areas even for all of Wales."""
    folded_query = fold(" ".join(query.split()))
    if not folded_query:
        return [], False
    ranked = []
    rows = session.execute(select(Area.id, Area.code, Area.level, Area.name_en, Area.name_cy))
    for area_id, code, level, name_en, name_cy in rows:
        ranks = [
            r for r in (_match_rank(folded_query, n) for n in (name_en, name_cy)) if r is not None
        ]
        if code.lower() == folded_query:
            ranks.append(0)
        if not ranks:
            continue
        shortest = min(len(n) for n in (name_en, name_cy, code) if n)
        key = (min(ranks), LEVEL_ORDER.get(level, len(LEVEL_ORDER)), shortest, code)
        ranked.append((key, Place(area_id, code, level, name_en, name_cy)))
    ranked.sort(key=lambda pair: pair[0])
    return [place for _, place in ranked[:limit]], len(ranked) > limit


def assets_in_area(
    session: Session, area_id: int, filters: AssetFilters, limit: int = RESULTS
) -> tuple[list[dict[str, Any]], bool]:
    """The public assets the stored area assignment puts in this area (by id, at most
    `limit`), and whether there were more."""
    inside = Asset.id.in_(select(AssetArea.asset_id).where(AssetArea.area_id == area_id))
    stmt = build_list_query(
        session, viewer=PUBLIC, filters=filters, limit=limit, cursor=None
    ).where(inside)
    rows = list(session.execute(stmt))
    return [_record(row) for row in rows[:limit]], len(rows) > limit


def _record(row: Any) -> dict[str, Any]:
    """A row of build_list_query as list_assets returns it."""
    record = dict(row._mapping)
    record["service_area"] = geometry_from_db(record["service_area"])
    themes = record["themes"]
    record["themes"] = sorted(themes.split(THEME_SEPARATOR)) if themes else []
    return record


def public_asset(session: Session, asset_id: int) -> dict[str, Any]:
    """A published, non-person asset as a record; NotFound for anything else (a missing id,
    a pending or archived asset, a person), whoever asks, all alike."""
    if not 0 < asset_id < 2**31:  # beyond SQL INTEGER: PostGIS would fail, not find nothing
        raise NotFound(f"asset {asset_id} not found")
    return get_asset(session, viewer=PUBLIC, asset_id=asset_id)
