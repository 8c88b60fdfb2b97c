"""The copies of an asset's point and public flag on its theme links (asset_themes.lon, lat,
public), which gap analysis counts from; every write of an asset's location, status, kind or
themes goes through here (tests/services/test_theme_points.py compares them with assets)."""

from typing import Any

from app.models import PERSON_KINDS, Asset
from app.spatial.geometry import geometry_from_db


def is_public(kind: str, status: str) -> bool:
    """Whether anybody may see an asset of this kind and status (as visibility.visible_assets
    decides for anonymous viewers): published, and not a person."""
    return status == "published" and kind not in PERSON_KINDS


def theme_point(kind: str, status: str, lon: float, lat: float) -> dict[str, Any]:
    """The denormalised values of one theme link (for bulk inserts)."""
    return {"lon": float(lon), "lat": float(lat), "public": is_public(kind, status)}


def sync_theme_points(asset: Asset) -> None:
    """Copy the asset's location and public flag onto each of its theme links (ORM objects;
    call after changing location, status, kind or themes, before the flush)."""
    if not asset.themes:
        return
    point = geometry_from_db(asset.location)
    public = is_public(asset.kind, asset.status)
    for link in asset.themes:
        link.lon, link.lat, link.public = point.x, point.y, public
