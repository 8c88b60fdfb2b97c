"""The lon/lat box around the areas held, and around the reported deficits (points and areas):
the extents the OGC API's collections declare."""

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Area, Deficit
from app.spatial import BBox, backend_of


def _extent(session: Session, geom: Any, *conditions: Any) -> BBox | None:
    bounds = backend_of(session).bounds(geom)
    row = session.execute(
        select(
            func.min(bounds[0]), func.min(bounds[1]), func.max(bounds[2]), func.max(bounds[3])
        ).where(geom.is_not(None), *conditions)
    ).one()
    return None if row[0] is None else BBox(*(float(v) for v in row))


def _union(boxes: list[BBox | None]) -> BBox | None:
    held = [b for b in boxes if b is not None]
    if not held:
        return None
    return BBox(
        min(b.minx for b in held),
        min(b.miny for b in held),
        max(b.maxx for b in held),
        max(b.maxy for b in held),
    )


def areas_extent(session: Session, level: str | None = None) -> BBox | None:
    """The box around the areas (of one level when given); None when none are held."""
    conditions = [Area.level == level] if level else []
    return _extent(session, Area.geom, *conditions)


def deficits_extent(session: Session) -> BBox | None:
    """The box around every reported deficit's point and area; None when there are none."""
    return _union([_extent(session, Deficit.location), _extent(session, Deficit.area)])
