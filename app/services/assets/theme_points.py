"""The copies of an asset's point, public flag and areas on its theme links (asset_themes.lon,
lat, public, area_<level>), which gap analysis counts from; every write of an asset's location,
status, kind or themes goes through here (tests/services/test_theme_points.py compares them with
assets), and every area assignment through app/services/needs/areas.py, which copies the areas
(tests/services/test_link_areas.py compares them with a fresh spatial assignment)."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm import object_session

from app.models import LEVELS, PERSON_KINDS, Asset
from app.services.needs.link_areas import stored_areas
from app.spatial.geometry import geometry_from_db


def is_public(kind: str, status: str) -> bool:
    """Whether anybody may see an asset of this kind and status (as visibility.visible_assets
    decides for anonymous viewers): published, and not a person."""
    return status == "published" and kind not in PERSON_KINDS


def theme_point(
    kind: str, status: str, lon: float, lat: float, areas: Mapping[str, int] | None = None
) -> dict[str, Any]:
    """The denormalised values of one theme link (for bulk inserts): point, public flag and
    the asset's area id per level (`areas`, from areas.place_points; none given: all NULL, and
    areas.assign_new_assets fills them after the insert)."""
    areas = areas or {}
    return {
        "lon": float(lon),
        "lat": float(lat),
        "public": is_public(kind, status),
        **{f"area_{level}": areas.get(level) for level in LEVELS},
    }


def sync_theme_points(asset: Asset) -> None:
    """Copy the asset's location and public flag onto each of its theme links (ORM objects;
    call after changing location, status, kind or themes, before the flush). New links of an
    asset already placed also get its areas (assign_asset puts them on the links of a new or
    moved asset)."""
    if not asset.themes:
        return
    point = geometry_from_db(asset.location)
    public = is_public(asset.kind, asset.status)
    for link in asset.themes:
        link.lon, link.lat, link.public = point.x, point.y, public
    session = object_session(asset)
    new = [link for link in asset.themes if inspect(link).transient or inspect(link).pending]
    if not new or session is None or asset.id is None:
        return
    with session.no_autoflush:
        areas = stored_areas(session, asset.id)
    for link in new:
        for level in LEVELS:
            setattr(link, f"area_{level}", areas.get(level))
