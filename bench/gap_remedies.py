"""Candidate faster ways to count assets within a distance of every area centroid, measured in
the same moments as the app's own counts_within (bench-side prototypes; app/ does not use them).

- asset-driven: the same app.spatial helper with the roles swapped: each published asset of
  the theme probes the (small) spatial index of area centroids, instead of each centroid
  probing the index of all assets, every theme, and testing each candidate's theme after.
- in Python: fetch the theme's points once, pair them with centroids through a shapely STRtree
  of boxes, and keep the pairs within the distance by pyproj's geodesic (WGS84).
- JIT off (PostGIS): the app's statement on a connection with `jit = off`.
- correlated fix (SpatiaLite): the app's statement with the R*Tree candidate subquery
  correlated to the outer areas row (`correlate_except`); as the app builds it, SQLAlchemy
  correlates it only to the enclosing count subquery, so `areas` lands in its own FROM list and
  the candidate list becomes every asset near ANY centroid, scanned again for each area.
"""

from typing import Any

import numpy as np
import shapely
from pyproj import Geod
from sqlalchemy import Engine, and_, create_engine, exists, func, literal_column, select, table
from sqlalchemy.orm import Session

from app.models import Area, Asset, AssetTheme
from app.services.visibility import ANONYMOUS, visible_assets
from app.spatial import backend_for
from app.spatial.base import degree_margins

GEOD = Geod(ellps="WGS84")


def _theme_assets(theme: str) -> list[Any]:
    return [
        visible_assets(ANONYMOUS),
        exists().where(AssetTheme.asset_id == Asset.id, AssetTheme.theme_code == theme),
    ]


def _rtree(table_name: str, column: str) -> Any:
    return table(
        f"idx_{table_name}_{column}",
        *(literal_column(c) for c in ("pkid", "xmin", "xmax", "ymin", "ymax")),
    )


def _box(rtree: Any, point: Any, distance_m: float) -> list[Any]:
    """R*Tree rows whose box meets a box around the point (SpatiaLite; as app/spatial pads)."""
    dlat, m_per_deg_lon = degree_margins(distance_m)
    x, y = func.ST_X(point), func.ST_Y(point)
    dlon = distance_m / (m_per_deg_lon * func.cos(func.radians(func.min(89.9, func.abs(y) + dlat))))
    return [
        rtree.c.xmin <= x + dlon,
        rtree.c.xmax >= x - dlon,
        rtree.c.ymin <= y + dlat,
        rtree.c.ymax >= y - dlat,
    ]


def counts_within_correlated_fix(
    session: Session, *, level: str, theme: str, distance_m: float
) -> dict[int, int]:
    """The app's counts_within statement on SpatiaLite with the candidate subquery correlated."""
    rtree = _rtree("assets", "location")
    candidates = Asset.id.in_(
        select(rtree.c.pkid).where(*_box(rtree, Area.centroid, distance_m)).correlate_except(rtree)
    )
    near = and_(candidates, func.ST_Distance(Asset.location, Area.centroid, 1) <= distance_m)
    count = (
        select(func.count())
        .select_from(Asset)
        .where(near, *_theme_assets(theme))
        .correlate(Area)
        .scalar_subquery()
    )
    stmt = select(Area.id, count).where(Area.level == level)
    return {area_id: int(n) for area_id, n in session.execute(stmt) if n}


def counts_within_asset_driven(
    session: Session, *, level: str, theme: str, distance_m: float
) -> dict[int, int]:
    """Like app.services.analysis.counts_within, driven from the theme's assets (areas with no
    asset near are left out, as the app's callers read them with .get(id, 0))."""
    backend = backend_for(session.get_bind().dialect.name)
    if backend.name == "postgis":
        near = backend.within_m_of_column(
            "areas", Area.centroid, Area.id, Asset.location, distance_m
        )
        stmt = (
            select(Area.id, func.count())
            .select_from(Asset)
            .join(Area, and_(Area.level == level, near))
        )
    else:  # the R*Tree joined, so SQLite drives from the assets into it
        rtree = _rtree("areas", "centroid")
        stmt = (
            select(Area.id, func.count())
            .select_from(Asset)
            .join(rtree, and_(*_box(rtree, Asset.location, distance_m)))
            .join(Area, Area.id == rtree.c.pkid)
            .where(
                Area.level == level,
                func.ST_Distance(Asset.location, Area.centroid, 1) <= distance_m,
            )
        )
    stmt = stmt.where(*_theme_assets(theme)).group_by(Area.id)
    return {area_id: int(n) for area_id, n in session.execute(stmt)}


def counts_within_python(
    session: Session, *, level: str, theme: str, distance_m: float
) -> dict[int, int]:
    """counts_within computed here: the theme's points fetched once, paired in memory."""
    backend = backend_for(session.get_bind().dialect.name)
    areas = session.execute(
        select(Area.id, backend.x(Area.centroid), backend.y(Area.centroid)).where(
            Area.level == level
        )
    ).all()
    points = session.execute(
        select(backend.x(Asset.location), backend.y(Asset.location)).where(*_theme_assets(theme))
    ).all()
    ids = np.array([a[0] for a in areas], dtype=np.int64)
    cx = np.array([a[1] for a in areas], dtype=float)
    cy = np.array([a[2] for a in areas], dtype=float)
    xy = np.array(points, dtype=float).reshape(-1, 2)
    if len(xy) == 0 or len(ids) == 0:
        return {}
    dlat, m_per_deg_lon = degree_margins(distance_m)
    dlon = distance_m / (m_per_deg_lon * np.cos(np.radians(np.minimum(89.9, np.abs(cy) + dlat))))
    tree = shapely.STRtree(shapely.points(xy))
    area_index, point_index = tree.query(shapely.box(cx - dlon, cy - dlat, cx + dlon, cy + dlat))
    _, _, metres = GEOD.inv(cx[area_index], cy[area_index], xy[point_index, 0], xy[point_index, 1])
    counts = np.bincount(area_index[metres <= distance_m], minlength=len(ids))
    return {int(i): int(n) for i, n in zip(ids, counts, strict=True) if n}


def jit_off_engine(engine: Engine) -> Engine:
    """A second engine on the same PostGIS database whose connections run with jit = off."""
    return create_engine(engine.url, connect_args={"options": "-c jit=off"})
