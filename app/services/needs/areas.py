"""Areas: importing boundaries, keeping each asset assigned to the areas that contain it."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from app.errors import NotFound
from app.models import Area, Asset, AssetArea, AssetTheme
from app.models.base import utcnow
from app.schemas.codes import area_code_problem
from app.services.imports.vector_files import read_features
from app.services.needs.link_areas import copy_link_areas, set_asset_link_areas
from app.spatial import BBox, backend_of
from app.spatial.geometry import area_element, geometry_from_db, point_element


@dataclass(frozen=True)
class AreaInput:
    """One area read from a file, checked."""

    number: int
    code: str
    name_en: str | None
    name_cy: str | None
    population: int | None
    parent_code: str | None
    geom: MultiPolygon


@dataclass(frozen=True)
class BadFeature:
    """A feature that could not be imported: where, which field, why."""

    number: int
    code: str | None
    field: str
    reason: str

    def __str__(self) -> str:
        code = f" ({self.code})" if self.code else ""
        return f"feature {self.number}{code}: {self.field}: {self.reason}"


@dataclass
class AreaImport:
    """What an area import did (or would do)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    repaired: list[str] = field(default_factory=list)
    assigned_assets: int = 0


@dataclass(frozen=True)
class AreaFields:
    """Which attributes of an area file hold what."""

    code: str
    name_en: str | None = None
    name_cy: str | None = None
    population: str | None = None
    parent: str | None = None


def _polygonal(geom: Any, repair: bool) -> tuple[MultiPolygon | None, str | None, bool]:
    """(multipolygon, reason if rejected, whether it was repaired)."""
    if geom is None or geom.is_empty:
        return None, "no geometry", False
    if not isinstance(geom, Polygon | MultiPolygon):
        return None, f"{geom.geom_type} is not a polygon", False
    coords = shapely.get_coordinates(geom)
    if not (
        (coords[:, 0] >= -180)
        & (coords[:, 0] <= 180)
        & (coords[:, 1] >= -90)
        & (coords[:, 1] <= 90)
    ).all():
        return None, "coordinates are not WGS84 lon/lat", False
    repaired = False
    if not geom.is_valid:
        if not repair:
            return None, f"invalid: {shapely.is_valid_reason(geom)} (use --repair to fix)", False
        fixed = shapely.make_valid(geom)
        parts = [
            g for g in getattr(fixed, "geoms", [fixed]) if isinstance(g, Polygon | MultiPolygon)
        ]
        geom = shapely.union_all(parts) if parts else None
        if geom is None or geom.is_empty:
            return None, "invalid and nothing polygonal is left after repair", False
        repaired = True
    if isinstance(geom, Polygon):
        geom = MultiPolygon([geom])
    return geom, None, repaired


def read_areas(
    path: Path, fields: AreaFields, *, repair: bool = False
) -> tuple[list[AreaInput], list[BadFeature], list[str]]:
    """Areas from a vector file: (good areas, bad features, codes that were repaired)."""
    good: list[AreaInput] = []
    bad: list[BadFeature] = []
    repaired: list[str] = []
    seen: set[str] = set()
    for feature in read_features(path):
        props = feature.properties
        if fields.code not in props:
            bad.append(BadFeature(feature.number, None, fields.code, "no such attribute"))
            continue
        code = str(props[fields.code] or "").strip()
        if problem := area_code_problem(code):
            bad.append(BadFeature(feature.number, None, fields.code, problem))
            continue
        if code in seen:
            bad.append(BadFeature(feature.number, code, fields.code, "duplicate code"))
            continue
        seen.add(code)
        geom, reason, was_repaired = _polygonal(feature.geometry, repair)
        if reason:
            bad.append(BadFeature(feature.number, code, "geometry", reason))
            continue
        population = props.get(fields.population) if fields.population else None
        if population is not None:
            try:
                population = int(population)
                if population < 0:
                    raise ValueError
            except (TypeError, ValueError):
                bad.append(
                    BadFeature(
                        feature.number, code, fields.population or "", "not a whole number >= 0"
                    )
                )
                continue
        parent_code = _text(props.get(fields.parent)) if fields.parent else None
        if parent_code and (problem := area_code_problem(parent_code)):
            bad.append(BadFeature(feature.number, code, fields.parent or "", problem))
            continue
        if was_repaired:
            repaired.append(code)
        good.append(
            AreaInput(
                number=feature.number,
                code=code,
                name_en=_text(props.get(fields.name_en)) if fields.name_en else None,
                name_cy=_text(props.get(fields.name_cy)) if fields.name_cy else None,
                population=population,
                parent_code=parent_code,
                geom=geom,
            )
        )
    return good, bad, repaired


def read_centroids(path: Path, code_field: str) -> tuple[dict[str, Point], list[BadFeature]]:
    """Population-weighted centroids by area code, from a point file."""
    points: dict[str, Point] = {}
    bad: list[BadFeature] = []
    for feature in read_features(path):
        code = _text(feature.properties.get(code_field))
        geom = feature.geometry
        if not code:
            bad.append(BadFeature(feature.number, None, code_field, "empty or missing code"))
        elif not isinstance(geom, Point) or geom.is_empty:
            bad.append(BadFeature(feature.number, code, "geometry", "not a point"))
        else:
            points[code] = geom
    return points, bad


def _text(value: Any) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def save_areas(
    session: Session,
    *,
    level: str,
    areas: list[AreaInput],
    centroids: dict[str, Point],
    source: str | None,
) -> AreaImport:
    """Create or update areas by code, then reassign assets to them (flushed, not committed)."""
    result = AreaImport()
    existing = {
        a.code: a
        for a in session.scalars(select(Area).where(Area.code.in_([a.code for a in areas])))
    }
    for item in areas:
        centroid = centroids.get(item.code)
        kind = "population_weighted" if centroid is not None else "point_on_surface"
        centroid = centroid if centroid is not None else item.geom.point_on_surface()
        values = {
            "level": level,
            "name_en": item.name_en,
            "name_cy": item.name_cy,
            "population": item.population,
            "parent_code": item.parent_code,
            "centroid_kind": kind,
            "source": source,
        }
        area = existing.get(item.code)
        if area is None:
            session.add(
                Area(
                    code=item.code,
                    geom=area_element(item.geom),
                    centroid=point_element(centroid.x, centroid.y),
                    imported_at=utcnow(),
                    **values,
                )
            )
            result.created += 1
            continue
        old_geom = geometry_from_db(area.geom)
        old_centroid = geometry_from_db(area.centroid)
        same = (
            all(getattr(area, k) == v for k, v in values.items())
            and old_geom.equals_exact(item.geom, 0)
            and old_centroid.equals_exact(centroid, 0)
        )
        if same:
            result.unchanged += 1
            continue
        for key, value in values.items():
            setattr(area, key, value)
        area.geom = area_element(item.geom)
        area.centroid = point_element(centroid.x, centroid.y)
        area.imported_at = utcnow()
        result.updated += 1
    session.flush()
    if result.created or result.updated:
        result.assigned_assets = assign_assets(session, levels=[level])
    return result


# ---- assignment --------------------------------------------------------------------------------


def _covering(candidates: list[tuple[int, str, str, Any]], x: float, y: float) -> dict[str, int]:
    """For one point: per level, the id of the covering area with the lowest code."""
    chosen: dict[str, tuple[str, int]] = {}
    for area_id, code, level, geom in candidates:
        if shapely.intersects_xy(geom, x, y) and (level not in chosen or code < chosen[level][0]):
            chosen[level] = (code, area_id)
    return {level: area_id for level, (_code, area_id) in chosen.items()}


def areas_covering(session: Session, x: float, y: float) -> dict[str, int]:
    """Per level, the id of the area that contains the point (lowest code on a shared edge)."""
    backend = backend_of(session)
    candidates = [
        (a.id, a.code, a.level, geometry_from_db(a.geom))
        for a in session.execute(
            select(Area.id, Area.code, Area.level, Area.geom).where(
                backend.in_bbox("areas", Area.geom, Area.id, BBox(x, y, x, y))
            )
        )
    ]
    return _covering(candidates, x, y)


def assign_asset(session: Session, asset_id: int) -> None:
    """Put one asset in the areas (one per level) that contain its location."""
    backend = backend_of(session)
    row = session.execute(
        select(backend.x(Asset.location), backend.y(Asset.location)).where(Asset.id == asset_id)
    ).one()
    x, y = row
    session.execute(delete(AssetArea).where(AssetArea.asset_id == asset_id))
    chosen = areas_covering(session, x, y)
    if chosen:
        session.execute(
            insert(AssetArea), [{"asset_id": asset_id, "area_id": a} for a in chosen.values()]
        )
    set_asset_link_areas(session, asset_id, chosen)


def assign_all_assets(session: Session) -> int:
    """Recompute area assignments for every level held (after a bulk change of assets)."""
    levels = list(session.scalars(select(Area.level).distinct()))
    return assign_assets(session, levels=levels) if levels else 0


def assign_assets(session: Session, *, levels: Iterable[str]) -> int:
    """Recompute which assets lie in the areas of these levels; returns assignments made.

    Each asset goes to exactly one area per level: the one covering it (a point on a shared
    boundary goes to the area with the lowest code), so per-area counts add up to the total.
    """
    backend = backend_of(session)
    # The app places its new assets meanwhile: they wait for this rewrite to commit, instead of
    # adding a row it would add again (PostgreSQL's unique violation, the import lost). The theme
    # links first, in the order the app's writes take them (links, then areas): an edit that has
    # written its links finishes before this starts, instead of a deadlock on the copies.
    backend.lock_table(session.connection(), AssetTheme.__tablename__)
    backend.lock_table(session.connection(), AssetArea.__tablename__)
    levels = list(levels)
    areas = session.execute(
        select(Area.id, Area.code, Area.level, Area.geom).where(Area.level.in_(levels))
    ).all()
    session.execute(
        delete(AssetArea).where(
            AssetArea.area_id.in_(select(Area.id).where(Area.level.in_(levels)))
        )
    )
    best: dict[tuple[int, str], tuple[str, int]] = {}
    for area in areas:
        geom = geometry_from_db(area.geom)
        minx, miny, maxx, maxy = geom.bounds
        rows = session.execute(
            select(Asset.id, backend.x(Asset.location), backend.y(Asset.location)).where(
                backend.in_bbox("assets", Asset.location, Asset.id, BBox(minx, miny, maxx, maxy))
            )
        ).all()
        if not rows:
            continue
        ids = [r[0] for r in rows]
        inside = shapely.intersects_xy(geom, [r[1] for r in rows], [r[2] for r in rows])
        for asset_id, hit in zip(ids, inside, strict=True):
            key = (asset_id, area.level)
            if hit and (key not in best or area.code < best[key][0]):
                best[key] = (area.code, area.id)
    pairs = [
        {"asset_id": asset_id, "area_id": area_id} for (asset_id, _), (_, area_id) in best.items()
    ]
    for start in range(0, len(pairs), 5000):
        session.execute(insert(AssetArea), pairs[start : start + 5000])
    copy_link_areas(session, levels=levels)
    session.flush()
    return len(pairs)


Placements = dict[int, dict[str, int]]


def place_points(session: Session, points: list[tuple[int, float, float]]) -> Placements:
    """For new assets (id, lon, lat): per asset id, its area id per level (the levels it lies
    in; one area each, as assign_assets decides). Reads the areas, writes nothing."""
    placed: Placements = {}
    if not points:
        return placed
    ids = np.array([p[0] for p in points], dtype=np.int64)
    xs = np.array([p[1] for p in points], dtype=np.float64)
    ys = np.array([p[2] for p in points], dtype=np.float64)
    best: dict[tuple[int, str], tuple[str, int]] = {}
    for area in session.execute(select(Area.id, Area.code, Area.level, Area.geom)):
        geom = geometry_from_db(area.geom)
        minx, miny, maxx, maxy = geom.bounds
        near = np.flatnonzero((xs >= minx) & (xs <= maxx) & (ys >= miny) & (ys <= maxy))
        if not near.size:
            continue
        inside = near[shapely.intersects_xy(geom, xs[near], ys[near])]
        for asset_id in ids[inside].tolist():
            key = (asset_id, area.level)
            if key not in best or area.code < best[key][0]:
                best[key] = (area.code, area.id)
    for (asset_id, level), (_code, area_id) in best.items():
        placed.setdefault(asset_id, {})[level] = area_id
    return placed


def assign_new_assets(
    session: Session, points: list[tuple[int, float, float]], *, placed: Placements | None = None
) -> int:
    """Put new assets (id, lon, lat), not yet in any area, in the areas covering them (one per
    level, as assign_assets decides), and copy those onto their theme links (written before
    this call); returns assignments made.

    A bulk writer that wrote the links with their areas already (place_points first, then
    `theme_point(..., areas=placed.get(id))` for each link) passes `placed`: the links are then
    left as they are, which saves rewriting each of them.

    Touches only these assets' rows, so the app may place its own new assets meanwhile (a
    whole-table reassignment would collide with them on PostgreSQL)."""
    if not points:
        return 0
    links_placed = placed is not None
    placed = placed if placed is not None else place_points(session, points)
    pairs = [
        {"asset_id": asset_id, "area_id": area_id}
        for asset_id, chosen in placed.items()
        for area_id in chosen.values()
    ]
    for start in range(0, len(pairs), 5000):
        session.execute(insert(AssetArea), pairs[start : start + 5000])
    if not links_placed:
        levels = {level for chosen in placed.values() for level in chosen}
        copy_link_areas(session, levels=sorted(levels), asset_ids=sorted(placed))
    session.flush()
    return len(pairs)


# ---- reads -------------------------------------------------------------------------------------


def get_area(session: Session, code: str) -> Area:
    """The area with this code; NotFound otherwise."""
    area = session.scalar(select(Area).where(Area.code == code))
    if area is None:
        raise NotFound(f"area {code!r} not found")
    return area


def list_areas(
    session: Session, *, level: str | None, bbox: BBox | None, limit: int, after: str | None
) -> list[Area]:
    """Areas by code, optionally of one level and intersecting a bbox (limit + 1 rows)."""
    backend = backend_of(session)
    stmt = select(Area).order_by(Area.code).limit(limit + 1)
    if level:
        stmt = stmt.where(Area.level == level)
    if bbox:
        stmt = stmt.where(backend.in_bbox("areas", Area.geom, Area.id, bbox))
    if after:
        stmt = stmt.where(Area.code > after)
    return list(session.scalars(stmt))


def count_areas(session: Session, *, level: str | None, bbox: BBox | None) -> int:
    """How many areas (of one level, intersecting a bbox) there are."""
    backend = backend_of(session)
    stmt = select(func.count()).select_from(Area)
    if level:
        stmt = stmt.where(Area.level == level)
    if bbox:
        stmt = stmt.where(backend.in_bbox("areas", Area.geom, Area.id, bbox))
    return int(session.scalar(stmt) or 0)
