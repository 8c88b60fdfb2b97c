"""Matching a reported deficit with the assets that could help meet it.

`deficit_matches` answers for one deficit (the API); `gaps_with_matches` shapes the deficits
page: a page of deficits, each with the area it lies in and its nearest matching assets.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from shapely.geometry.base import BaseGeometry
from sqlalchemy.orm import Session

from app.errors import NotFound
from app.models import Deficit
from app.schemas.assets import AssetRecord
from app.schemas.deficits import DeficitRecord
from app.services.assets.records import AssetFilters, Near, list_assets
from app.services.assets.themes import related_codes
from app.services.assets.visibility import ANONYMOUS, Viewer
from app.services.needs.deficits import get_deficit, list_deficits
from app.services.needs.postcodes import covering_area
from app.services.places.gazetteer import PlaceMatch, places_in_areas
from app.spatial.geometry import geometry_from_db

# How far from a gap an asset may be and still be offered as meeting it (the API's default).
MATCH_DISTANCE_M = 2000.0
# Matching assets listed under each gap on the deficits page (the nearest).
MATCHES_PER_GAP = 5


def deficit_place(deficit: Deficit) -> tuple[float, float]:
    """Where a deficit is: its point, else a point inside its area."""
    if deficit.location is not None:
        point = geometry_from_db(deficit.location)
    else:
        point = geometry_from_db(deficit.area).point_on_surface()
    return point.x, point.y


def _matching(
    session: Session, theme: str, lon: float, lat: float, *, distance_m: float, limit: int
) -> tuple[list[str], list[AssetRecord], bool]:
    """The themes matched, the published assets of them within distance_m nearest first, and
    whether there are more than `limit`."""
    themes = related_codes(session, theme)
    filters = AssetFilters(themes=tuple(themes), near=Near(lon, lat, distance_m))
    page = list_assets(session, viewer=ANONYMOUS, filters=filters, limit=limit)
    return themes, page.records, page.next_cursor is not None


def deficit_matches(
    session: Session, deficit_id: int, *, distance_m: float, limit: int
) -> dict[str, Any]:
    """Published assets of the deficit's or related themes within distance_m, nearest first."""
    deficit = session.get(Deficit, deficit_id)
    if deficit is None:
        raise NotFound(f"deficit {deficit_id} not found")
    lon, lat = deficit_place(deficit)
    themes, records, _more = _matching(
        session, deficit.theme_code, lon, lat, distance_m=distance_m, limit=limit
    )
    return {
        "deficit_id": deficit.id,
        "theme": deficit.theme_code,
        "themes_matched": themes,
        "from": {"type": "Point", "coordinates": [lon, lat]},
        "distance_m": distance_m,
        "items": records,
    }


@dataclass(frozen=True)
class GapArea:
    """The area a gap lies in (the smallest level held) and a gazetteer place inside it."""

    code: str
    name_en: str | None
    name_cy: str | None
    near: PlaceMatch | None


@dataclass(frozen=True)
class GapWithMatches:
    """One deficit record (app/services/needs/deficits.py), where it is, the area it lies in,
    and, while it is open, the nearest published assets that could meet it."""

    record: DeficitRecord
    lon: float
    lat: float
    area: GapArea | None
    matches: list[AssetRecord]
    more_matches: bool


@dataclass(frozen=True)
class GapsPage:
    """A page of gaps with their matches, the next page's cursor (None: the last page) and
    the distance the matches were looked for within."""

    gaps: list[GapWithMatches]
    next_cursor: str | None
    distance_m: float


def record_place(record: DeficitRecord) -> tuple[float, float]:
    """Where a deficit record is: its point, else a point inside its area."""
    if record["lon"] is not None and record["lat"] is not None:
        return float(record["lon"]), float(record["lat"])
    area: BaseGeometry = record["area"]
    point = area.point_on_surface()
    return point.x, point.y


def _with_matches(
    session: Session, records: list[DeficitRecord], *, distance_m: float, per_gap: int
) -> list[GapWithMatches]:
    placed = []
    for record in records:
        lon, lat = record_place(record)
        placed.append((record, lon, lat, covering_area(session, lon, lat)))
    near = places_in_areas(session, {a.code for *_, a in placed if a is not None})
    gaps = []
    for record, lon, lat, area in placed:
        matches: list[AssetRecord] = []
        more = False
        if record["status"] == "open":
            _themes, matches, more = _matching(
                session, record["theme"], lon, lat, distance_m=distance_m, limit=per_gap
            )
        where = None
        if area is not None:
            where = GapArea(area.code, area.name_en, area.name_cy, near.get(area.code))
        gaps.append(GapWithMatches(record, lon, lat, where, matches, more))
    return gaps


def gaps_with_matches(
    session: Session,
    *,
    viewer: Viewer,
    theme: Sequence[str] = (),
    status: Sequence[str] = (),
    limit: int = 20,
    cursor: str | None = None,
    distance_m: float = MATCH_DISTANCE_M,
    per_gap: int = MATCHES_PER_GAP,
) -> GapsPage:
    """One page of deficits (by id; the themes and statuses given) with the area each lies in
    and, for open ones, the published assets of related themes within distance_m."""
    page = list_deficits(
        session, viewer=viewer, theme=theme, status=status, limit=limit, cursor=cursor
    )
    gaps = _with_matches(session, page.records, distance_m=distance_m, per_gap=per_gap)
    return GapsPage(gaps, page.next_cursor, distance_m)


def gap_with_matches(
    session: Session,
    *,
    viewer: Viewer,
    deficit_id: int,
    distance_m: float = MATCH_DISTANCE_M,
    per_gap: int = MATCHES_PER_GAP,
) -> GapWithMatches:
    """One deficit with its area and matching assets, as gaps_with_matches gives each;
    NotFound if there is none with this id."""
    record = get_deficit(session, viewer=viewer, deficit_id=deficit_id)
    return _with_matches(session, [record], distance_m=distance_m, per_gap=per_gap)[0]
