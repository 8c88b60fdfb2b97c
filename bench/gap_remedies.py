"""What the app's gap counts did before issue 4 point 8, kept as what-if lanes so that each run
measures before and after in the same moments (bench-side; app/ does not use them).

- before, counts_in_areas: the theme's links joined to the wide `assets` table for the public
  test (status, kind), then to the stored area assignment.
- before, counts_within: the theme's public points read as SQLAlchemy rows through the same
  join, turned into a numpy array row by row, paired through a shapely STRtree of the points,
  every candidate pair measured by pyproj's geodesic.
- rows fetch: today's counts_within, but the points fetched as SQLAlchemy rows from asset_themes
  instead of the one aggregated value of `point_arrays`.
- before issue 17, counts_in_areas: the theme's public links (covering index) joined to the
  stored area assignment (asset_areas) and areas, one look-up per link; gap_analysis then read
  the theme's points a second time for counts_within.
"""

from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely
from pyproj import Geod
from sqlalchemy import func, select, true
from sqlalchemy.orm import Session

from app.models import Area, Asset, AssetArea, AssetTheme
from app.services.assets.nearby import near_counts
from app.services.assets.visibility import ANONYMOUS, visible_assets
from app.services.needs.analysis import counts_near
from app.spatial import backend_for
from app.spatial.base import degree_margins

GEOD = Geod(ellps="WGS84")


def counts_in_areas_before(session: Session, *, level: str, theme: str) -> dict[int, int]:
    """app.services.needs.analysis.counts_in_areas before: through the assets table."""
    stmt = (
        select(AssetArea.area_id, func.count())
        .select_from(AssetTheme)
        .join(Asset, Asset.id == AssetTheme.asset_id)
        .join(AssetArea, AssetArea.asset_id == Asset.id)
        .join(Area, Area.id == AssetArea.area_id)
        .where(AssetTheme.theme_code == theme, Area.level == level, visible_assets(ANONYMOUS))
        .group_by(AssetArea.area_id)
    )
    return {area_id: int(n) for area_id, n in session.execute(stmt)}


def _centroids(session: Session, level: str) -> list[Any]:
    backend = backend_for(session.get_bind().dialect.name)
    return list(
        session.execute(
            select(Area.id, backend.x(Area.centroid), backend.y(Area.centroid)).where(
                Area.level == level
            )
        ).all()
    )


def counts_within_before(
    session: Session, *, level: str, theme: str, distance_m: float
) -> dict[int, int]:
    """app.services.needs.analysis.counts_within before: rows through the assets table, STRtree."""
    backend = backend_for(session.get_bind().dialect.name)
    points = session.execute(
        select(backend.x(Asset.location), backend.y(Asset.location))
        .select_from(AssetTheme)
        .join(Asset, Asset.id == AssetTheme.asset_id)
        .where(AssetTheme.theme_code == theme, visible_assets(ANONYMOUS))
    ).all()
    return _pairs_within_before(_centroids(session, level), points, distance_m)


def _pairs_within_before(
    centroids: Sequence[Sequence[Any]], points: Sequence[Sequence[float]], distance_m: float
) -> dict[int, int]:
    if not centroids or not points:
        return {}
    ids = np.array([c[0] for c in centroids], dtype=np.int64)
    cx = np.array([c[1] for c in centroids], dtype=float)
    cy = np.array([c[2] for c in centroids], dtype=float)
    xy = np.array(points, dtype=float).reshape(-1, 2)  # row objects: the slow path of numpy
    dlat, m_per_deg_lon = degree_margins(distance_m)
    dlon = distance_m / (m_per_deg_lon * np.cos(np.radians(np.minimum(89.9, np.abs(cy) + dlat))))
    tree = shapely.STRtree(shapely.points(xy))
    near_area, near_point = tree.query(shapely.box(cx - dlon, cy - dlat, cx + dlon, cy + dlat))
    _, _, metres = GEOD.inv(cx[near_area], cy[near_area], xy[near_point, 0], xy[near_point, 1])
    counts = np.bincount(near_area[metres <= distance_m], minlength=len(ids))
    return {int(i): int(n) for i, n in zip(ids, counts, strict=True) if n}


def counts_within_rows_fetch(
    session: Session, *, level: str, theme: str, distance_m: float
) -> dict[int, int]:
    """Today's counts_within with the points fetched as SQLAlchemy rows."""
    centroids = _centroids(session, level)
    rows = session.execute(
        select(AssetTheme.lon, AssetTheme.lat).where(
            AssetTheme.theme_code == theme, AssetTheme.public == true()
        )
    ).all()
    if not centroids or not rows:
        return {}
    lon, lat = (np.array(column, dtype=np.float64) for column in zip(*rows, strict=True))
    cx = np.array([c[1] for c in centroids], dtype=np.float64)
    cy = np.array([c[2] for c in centroids], dtype=np.float64)
    counts = near_counts(cx, cy, lon, lat, distance_m)
    return {c[0]: int(n) for c, n in zip(centroids, counts.tolist(), strict=True) if n}


def counts_in_areas_through_assignment(
    session: Session, *, level: str, theme: str
) -> dict[int, int]:
    """app.services.needs.analysis.counts_in_areas before issue 17: links joined to asset_areas."""
    stmt = (
        select(AssetArea.area_id, func.count())
        .select_from(AssetTheme)
        .join(AssetArea, AssetArea.asset_id == AssetTheme.asset_id)
        .join(Area, Area.id == AssetArea.area_id)
        .where(AssetTheme.theme_code == theme, AssetTheme.public == true(), Area.level == level)
        .group_by(AssetArea.area_id)
    )
    return {area_id: int(n) for area_id, n in session.execute(stmt)}


def gap_counts_before_17(
    session: Session,
    centres: Sequence[tuple[int, float, float]],
    *,
    level: str,
    theme: str,
    distance_m: float,
) -> tuple[dict[int, int], dict[int, int]]:
    """app.services.needs.analysis.gap_counts as the counting was before issue 17: two reads
    of the theme's links, the first joined to the stored assignment."""
    in_area = counts_in_areas_through_assignment(session, level=level, theme=theme)
    return in_area, counts_near(session, centres, theme=theme, distance_m=distance_m)


def gap_counts_before(
    session: Session,
    centres: Sequence[tuple[int, float, float]],
    *,
    level: str,
    theme: str,
    distance_m: float,
) -> tuple[dict[int, int], dict[int, int]]:
    """app.services.needs.analysis.gap_counts as the counting was before issue 4 point 8."""
    in_area = counts_in_areas_before(session, level=level, theme=theme)
    return in_area, counts_within_before(session, level=level, theme=theme, distance_m=distance_m)
