"""Matching a reported deficit with the assets that could help meet it."""

from typing import Any

from sqlalchemy.orm import Session

from app.errors import NotFound
from app.models import Deficit
from app.services.assets.records import AssetFilters, Near, list_assets
from app.services.assets.themes import related_codes
from app.services.assets.visibility import ANONYMOUS
from app.spatial.geometry import geometry_from_db


def deficit_place(deficit: Deficit) -> tuple[float, float]:
    """Where a deficit is: its point, else a point inside its area."""
    if deficit.location is not None:
        point = geometry_from_db(deficit.location)
    else:
        point = geometry_from_db(deficit.area).point_on_surface()
    return point.x, point.y


def deficit_matches(
    session: Session, deficit_id: int, *, distance_m: float, limit: int
) -> dict[str, Any]:
    """Published assets of the deficit's or related themes within distance_m, nearest first."""
    deficit = session.get(Deficit, deficit_id)
    if deficit is None:
        raise NotFound(f"deficit {deficit_id} not found")
    lon, lat = deficit_place(deficit)
    themes = related_codes(session, deficit.theme_code)
    filters = AssetFilters(themes=tuple(themes), near=Near(lon, lat, distance_m))
    page = list_assets(session, viewer=ANONYMOUS, filters=filters, limit=limit)
    return {
        "deficit_id": deficit.id,
        "theme": deficit.theme_code,
        "themes_matched": themes,
        "from": {"type": "Point", "coordinates": [lon, lat]},
        "distance_m": distance_m,
        "items": page.records,
    }
