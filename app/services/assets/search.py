"""What the resident's search finds: assets near a postcode, an outcode, a gazetteer place or a
point (nearest first, with their distance); else places (areas) and assets by name or theme
word, each narrowed by theme and kind. Only what anybody may see: published, never people.
"""

import math
from dataclasses import dataclass, field, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import NotFound
from app.models import Area, AssetArea
from app.models.assets import Asset
from app.schemas.assets import AssetRecord, fold, normalise_postcode
from app.services.assets.records import (
    AssetFilters,
    Near,
    asset_records,
    build_list_query,
    get_asset,
    list_assets,
)
from app.services.assets.themes import known_codes, themes_named
from app.services.assets.visibility import ANONYMOUS
from app.services.needs.postcodes import lookup_postcode
from app.services.places.gazetteer import PlaceMatch, outcode_centre, outcode_of
from app.services.places.gazetteer import find_places as find_gazetteer_places
from app.vocabularies import PUBLIC_KINDS

MAX_QUERY = 200
RESULTS = 50
PLACES = 10
NEAR_RADIUS_M = 1000
# The distances a resident may search within, in metres (the form offers each).
RADII = (500, 1000, 2000, 5000)
# Words that join what is sought to where ("food in Splott", "bwyd ger Treganna").
CONNECTIVES = frozenset({"in", "near", "around", "at", "by", "nr", "yn", "ger", "gerllaw", "o"})
# Longer text is not split into words and a place (each split looks the place up).
MAX_SPLIT_WORDS = 8
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

    `records` are the assets within `radius_m` of the point searched (`point`: a postcode,
    outcode, gazetteer place or location; nearest first, each with `distance_m`), or whose
    name or theme matches the text; for text, `places` are the areas whose name matches and
    `area_records` the assets inside the best of them (`places[0]`). At most RESULTS assets
    per list; `more*` says when there were others."""

    query: str
    filters: SearchFilters = field(default_factory=SearchFilters)
    radius_m: int = NEAR_RADIUS_M
    records: list[AssetRecord] = field(default_factory=list)
    more: bool = False
    postcode: str | None = None
    postcode_unknown: bool = False
    outcode: str | None = None
    # The gazetteer place the text named (its whole name, in English or Welsh).
    place: PlaceMatch | None = None
    # Gazetteer places whose name starts with the text (or other places of that name).
    other_places: list[PlaceMatch] = field(default_factory=list)
    # The point searched around (lon, lat): the postcode, outcode, place or location.
    point: tuple[float, float] | None = None
    # Words sought near the place ("food" of "food Splott"); empty: everything near it.
    words: str = ""
    near: tuple[float, float] | None = None
    near_invalid: bool = False
    places: list[Place] = field(default_factory=list)
    more_places: bool = False
    area_records: list[AssetRecord] = field(default_factory=list)
    area_more: bool = False

    @property
    def mode(self) -> str:
        """How the search was read: 'empty', 'near' (a point), 'postcode', 'outcode', 'place'
        (a gazetteer name) or 'text'."""
        if self.near is not None or self.near_invalid:
            return "near"
        if not self.query:
            return "empty"
        if self.postcode:
            return "postcode"
        if self.outcode:
            return "outcode"
        return "place" if self.place else "text"

    @property
    def area(self) -> Place | None:
        """The best-matching place, whose assets `area_records` are."""
        return self.places[0] if self.places else None

    @property
    def all_records(self) -> list[AssetRecord]:
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
    radius_m: int = NEAR_RADIUS_M,
) -> SearchResults:
    """Search as a resident. Text that is a postcode, an outcode ('CF10': the centre of its
    postcodes held) or the whole English or Welsh name of a gazetteer place finds the assets
    within `radius_m` of it, nearest first, each with its distance; other text finds places
    and assets by English or Welsh name or theme word (case- and accent-folded), and
    gazetteer places whose name starts with it; when that finds nothing, words then a place
    ('food Splott') find what the words name near the place. With no text, `near`
    ('LAT,LON') finds the assets within `radius_m` of that point. Filters apply to every
    list of assets. People and unpublished assets never appear. ValueError for a radius not
    in RADII."""
    if radius_m not in RADII:
        raise ValueError(f"radius is one of {', '.join(map(str, RADII))} (metres)")
    filters = filters or SearchFilters()
    query = " ".join(query.split())[:MAX_QUERY]
    results = SearchResults(query=query, filters=filters, radius_m=radius_m)
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
        _by_place_or_name(session, results, base)
        return results
    results.postcode = postcode
    try:
        found = lookup_postcode(session, postcode)
    except NotFound:
        results.postcode_unknown = True
        return results
    _nearby(session, results, base, found.lon, found.lat)
    return results


def _by_place_or_name(session: Session, results: SearchResults, base: AssetFilters) -> None:
    """An outcode held or a gazetteer place's whole name; else a search by name; and when
    that finds nothing, words then a place ("food Splott", "bwyd ger Treganna", "cafe CF24")."""
    if _near_place(session, results, base, results.query):
        return
    matches = find_gazetteer_places(session, results.query)
    _by_name(session, results, base)
    if not (results.records or results.places):
        words = results.query.split()
        for split in range(1, len(words) if len(words) <= MAX_SPLIT_WORDS else 0):
            head = words[:split]
            while head and fold(head[-1]) in CONNECTIVES:
                head.pop()
            where = " ".join(words[split:])
            if head and _near_place(session, results, base, where, words=" ".join(head)):
                return
    results.other_places = matches


def _near_place(
    session: Session, results: SearchResults, base: AssetFilters, text: str, words: str = ""
) -> bool:
    """Search near `text` when it is a postcode or outcode held or a gazetteer place's whole
    name, for the assets `words` name (any, when empty); whether it was."""
    point: tuple[float, float] | None = None
    try:
        postcode = normalise_postcode(text) if words else None
    except ValueError:
        postcode = None
    if postcode is not None:
        try:
            found = lookup_postcode(session, postcode)
        except NotFound:
            return False
        results.postcode, point = postcode, (found.lon, found.lat)
    elif (outcode := outcode_of(text)) and (centre := outcode_centre(session, outcode)):
        results.outcode, point = centre.outcode, (centre.lon, centre.lat)
    else:
        matches = find_gazetteer_places(session, text)
        if not (matches and matches[0].exact):
            return False
        results.place = matches[0]
        results.other_places = [m for m in matches[1:] if m.name != results.place.name]
        point = (results.place.lon, results.place.lat)
    results.words = words
    _nearby(session, results, base, *point)
    return True


def _nearby(
    session: Session, results: SearchResults, base: AssetFilters, lon: float, lat: float
) -> None:
    results.point = (lon, lat)
    near = Near(lon, lat, float(results.radius_m))
    filters = AssetFilters(themes=base.themes, kinds=base.kinds, near=near)
    if results.words:
        named = themes_named(session, results.words)
        filters = replace(filters, q=results.words, q_themes=named)
    page = list_assets(session, viewer=PUBLIC, filters=filters, limit=RESULTS)
    results.records = page.records
    results.more = page.next_cursor is not None


def _by_name(session: Session, results: SearchResults, base: AssetFilters) -> None:
    filters = AssetFilters(
        themes=base.themes,
        kinds=base.kinds,
        q=results.query,
        q_themes=themes_named(session, results.query),
    )
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
) -> tuple[list[AssetRecord], bool]:
    """The public assets the stored area assignment puts in this area (by id, at most
    `limit`), and whether there were more."""
    inside = Asset.id.in_(select(AssetArea.asset_id).where(AssetArea.area_id == area_id))
    stmt = build_list_query(
        session, viewer=PUBLIC, filters=filters, limit=limit, cursor=None
    ).where(inside)
    rows = list(session.execute(stmt))
    return asset_records(rows[:limit]), len(rows) > limit


def public_asset(session: Session, asset_id: int) -> AssetRecord:
    """A published, non-person asset as a record; NotFound for anything else (a missing id,
    a pending or archived asset, a person), whoever asks, all alike."""
    if not 0 < asset_id < 2**31:  # beyond SQL INTEGER: PostGIS would fail, not find nothing
        raise NotFound(f"asset {asset_id} not found")
    return get_asset(session, viewer=PUBLIC, asset_id=asset_id)
