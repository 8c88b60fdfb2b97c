"""Planning analysis: assets beside need, area by area (gap analysis and coverage)."""

from collections.abc import Hashable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

import numpy as np
from pyproj import Geod
from sqlalchemy import func, select, true
from sqlalchemy.orm import Session

from app.errors import InvalidInput, NotFound
from app.models import LEVELS, Area, AssetTheme, Indicator, IndicatorValue, Theme
from app.services.assets.nearby import near_counts
from app.services.needs.indicators import need_percentiles
from app.services.needs.shapes import area_shapes
from app.spatial import backend_of

GEOD = Geod(ellps="WGS84")
CATEGORIES = ("priority", "strength", "well_served", "low_need")
K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class GapParameters:
    """What a gap analysis compares, and where it draws its lines."""

    indicator: str
    theme: str
    level: str = "lsoa"
    distance_m: float = 800.0
    high_need_percentile: float = 80.0
    min_assets: int = 1
    # 0 (off, the default) to 1: how far residents' published "missing here" gaps of the theme
    # raise an area's need (see `weighted_need`).
    reported_gaps_weight: float = 0.0


def method_note(p: GapParameters, indicator: Indicator, theme: Theme) -> str:
    """The method of a gap analysis, in plain words."""
    direction = "a higher" if indicator.higher_is_more_need else "a lower"
    return (
        f"Each {p.level} area is ranked by '{indicator.label_en}' ({indicator.unit}; {direction} "
        f"value means more need) against the other {p.level} areas held here: need_percentile is "
        f"0 for the least need and 100 for the most (ties share their mid-rank). Published "
        f"'{theme.label_en}' assets are counted in each area (assets_in_area, and per 1,000 "
        f"residents) and within {p.distance_m:g} m, measured along the ground (geodesic), of the "
        f"area's population-weighted centroid (assets_within_distance). An area is high need when "
        f"need_percentile >= {p.high_need_percentile:g}, and has many assets when "
        f"assets_within_distance >= {p.min_assets}. priority = high need and few assets: where "
        f"nothing exists yet. strength = high need and many assets: build on them. well_served = "
        f"not high need, many assets. low_need = not high need, few assets. People's own "
        f"skills and volunteering are not counted here; where people counts are shown beside "
        f"this analysis (/api/v1/people/counts, the planner's table) they are perturbed by up to "
        f"2 and under 5 is 'fewer than 5', to protect the people counted."
    )


def weighted_need(percentile: float, supports: int, most: int, weight: float) -> float:
    """An area's need percentile raised by residents' reported gaps: by `weight` (0-1) times
    the distance to 100, times the area's published "me too"s as a share of the most any area
    has. Off (weight 0) or no supports anywhere: the percentile unchanged."""
    if weight <= 0 or most <= 0:
        return percentile
    return percentile + weight * (100.0 - percentile) * supports / most


def reported_gaps_note(p: GapParameters) -> str:
    """The weighting's part of the method note ('' when it is off)."""
    if p.reported_gaps_weight <= 0:
        return ""
    return (
        f" Residents' reported gaps weigh in (reported_gaps_weight {p.reported_gaps_weight:g}): "
        f"reported_gap_supports is the sum of the published 'me too' counts of the published "
        f"'missing here' gaps of the theme in the area (a count under 5 adds 0), and "
        f"weighted_need_percentile = need_percentile + weight x (100 - need_percentile) x "
        f"supports / the most supports of any area. Categories use the weighted percentile."
    )


def gap_supports(session: Session, *, theme: str, level: str) -> dict[int, int]:
    """Per area of the level, the published "me too"s of residents' published gaps of the theme
    (app/services/coproduction/gaps.py)."""
    from app.services.coproduction.published_gaps import area_gap_supports

    return area_gap_supports(session, theme=theme, level=level)


def apply_reported_gaps(rows: list[dict[str, Any]], supports: list[int], p: GapParameters) -> None:
    """Add reported_gap_supports and weighted_need_percentile to each row (in order with
    `supports`) and put it in the category of its weighted need; nothing when the weight is 0."""
    if p.reported_gaps_weight <= 0:
        return
    most = max(supports, default=0)
    for row, count in zip(rows, supports, strict=True):
        weighted = weighted_need(row["need_percentile"], count, most, p.reported_gaps_weight)
        row["reported_gap_supports"] = count
        row["weighted_need_percentile"] = round(weighted, 2)
        row["category"] = category(weighted, row["assets_within_distance"], p)


def counts_in_areas(session: Session, *, level: str, theme: str) -> dict[int, int]:
    """Public assets of the theme in each area of the level (stored assignment; no spatial join).

    One aggregate over the theme's public links in their covering index: each link carries its
    asset's area of every level (asset_themes.area_<level>, kept by needs/areas.py), so
    neither assets nor asset_areas is read."""
    area = AssetTheme.area_column(level)
    stmt = (
        select(area, func.count())
        .where(AssetTheme.theme_code == theme, AssetTheme.public == true(), area.is_not(None))
        .group_by(area)
    )
    return {area_id: int(n) for area_id, n in session.execute(stmt)}


def counts_within(session: Session, *, level: str, theme: str, distance_m: float) -> dict[int, int]:
    """Public assets of the theme within distance_m (geodesic, WGS84) of each area's centroid.

    Areas with none are left out; see `counts_near`."""
    backend = backend_of(session)
    centroids = session.execute(
        select(Area.id, backend.x(Area.centroid), backend.y(Area.centroid)).where(
            Area.level == level
        )
    ).all()
    centres = [(int(i), float(x), float(y)) for i, x, y in centroids]
    return counts_near(session, centres, theme=theme, distance_m=distance_m)


def counts_near(
    session: Session, centres: Sequence[tuple[K, float, float]], *, theme: str, distance_m: float
) -> dict[K, int]:
    """Public assets of the theme within distance_m (geodesic, WGS84) of each (key, lon, lat).

    The theme's public points are read once from the covering index of asset_themes (however
    many assets of other themes there are), gathered by the database into one value, and
    paired with the centres in memory (nearby.near_counts). Centres with none are left out."""
    if not centres:
        return {}
    backend = backend_of(session)
    lon, lat = backend.point_arrays(
        session.connection(),
        AssetTheme.lon,
        AssetTheme.lat,
        [AssetTheme.theme_code == theme, AssetTheme.public == true()],
    )
    keys = [c[0] for c in centres]
    cx = np.array([c[1] for c in centres], dtype=np.float64)
    cy = np.array([c[2] for c in centres], dtype=np.float64)
    counts = near_counts(cx, cy, lon, lat, distance_m)
    return {key: int(n) for key, n in zip(keys, counts.tolist(), strict=True) if n}


def gap_counts(
    session: Session,
    centres: Sequence[tuple[int, float, float]],
    *,
    level: str,
    theme: str,
    distance_m: float,
) -> tuple[dict[int, int], dict[int, int]]:
    """Both counts of a gap analysis from one read of the theme's public links: per area of
    the level, those in it (counts_in_areas), and per (area id, lon, lat) centre those within
    distance_m of it (counts_near). Areas and centres with none are left out.

    Each link carries its point and its asset's area of the level, so one range of the covering
    index of asset_themes, gathered by the database into one value, gives both."""
    backend = backend_of(session)
    lon, lat, area = backend.tagged_point_arrays(
        session.connection(),
        AssetTheme.lon,
        AssetTheme.lat,
        AssetTheme.area_column(level),
        [AssetTheme.theme_code == theme, AssetTheme.public == true()],
    )
    placed = area[area >= 0]
    per_area = np.bincount(placed) if placed.size else np.zeros(0, dtype=np.int64)
    in_area = {int(i): int(per_area[i]) for i in np.flatnonzero(per_area)}
    if not centres:
        return in_area, {}
    cx = np.array([c[1] for c in centres], dtype=np.float64)
    cy = np.array([c[2] for c in centres], dtype=np.float64)
    near = near_counts(cx, cy, lon, lat, distance_m)
    within = {c[0]: int(n) for c, n in zip(centres, near.tolist(), strict=True) if n}
    return in_area, within


def check_parameters(session: Session, p: GapParameters) -> tuple[Indicator, Theme]:
    """The indicator and theme of a gap analysis; InvalidInput for an unknown one."""
    if p.level not in LEVELS:
        raise InvalidInput(("query", "level"), f"unknown level; one of {', '.join(LEVELS)}")
    indicator = session.get(Indicator, p.indicator)
    if indicator is None:
        raise InvalidInput(("query", "indicator"), f"unknown indicator {p.indicator!r}")
    theme = session.get(Theme, p.theme)
    if theme is None:
        raise InvalidInput(("query", "theme"), f"unknown theme {p.theme!r}")
    return indicator, theme


def category(percentile: float, within: int, p: GapParameters) -> str:
    """The gap category of one area."""
    high = percentile >= p.high_need_percentile
    many = within >= p.min_assets
    if high:
        return "strength" if many else "priority"
    return "well_served" if many else "low_need"


def gap_analysis(
    session: Session, p: GapParameters, *, with_geometry: bool = False
) -> dict[str, Any]:
    """One row per area of the level with a value of the indicator: need beside assets."""
    indicator, theme = check_parameters(session, p)
    backend = backend_of(session)
    columns = [
        Area.id,
        Area.code,
        Area.name_en,
        Area.name_cy,
        Area.population,
        IndicatorValue.value,
        backend.x(Area.centroid).label("x"),
        backend.y(Area.centroid).label("y"),
    ]
    areas = session.execute(
        select(*columns)
        .join(IndicatorValue, IndicatorValue.area_id == Area.id)
        .where(Area.level == p.level, IndicatorValue.indicator_code == p.indicator)
        .order_by(Area.code)
    ).all()
    percentiles = need_percentiles(
        {a.id: a.value for a in areas}, higher_is_more_need=indicator.higher_is_more_need
    )
    in_area, within = gap_counts(
        session,
        [(a.id, a.x, a.y) for a in areas],
        level=p.level,
        theme=p.theme,
        distance_m=p.distance_m,
    )
    shapes = area_shapes(session, (a.id for a in areas)) if with_geometry else {}
    rows = []
    for a in areas:
        count = in_area.get(a.id, 0)
        near = within.get(a.id, 0)
        row = {
            "area_code": a.code,
            "area_name": a.name_en or a.name_cy,
            "area_name_cy": a.name_cy,
            "population": a.population,
            "need_value": a.value,
            "need_percentile": round(percentiles[a.id], 2),
            "assets_in_area": count,
            "assets_within_distance": near,
            "assets_per_1000": round(count * 1000 / a.population, 3) if a.population else None,
            "category": category(percentiles[a.id], near, p),
        }
        if with_geometry:
            row["geometry"] = shapes.get(a.id)
        rows.append(row)
    if p.reported_gaps_weight > 0:
        supports = gap_supports(session, theme=p.theme, level=p.level)
        apply_reported_gaps(rows, [supports.get(a.id, 0) for a in areas], p)
    return {
        "indicator": {
            "code": indicator.code,
            "label_en": indicator.label_en,
            "label_cy": indicator.label_cy,
        },
        "theme": {"code": theme.code, "label_en": theme.label_en, "label_cy": theme.label_cy},
        "parameters": asdict(p),
        "method": method_note(p, indicator, theme) + reported_gaps_note(p),
        "summary": {c: sum(1 for r in rows if r["category"] == c) for c in CATEGORIES},
        "items": rows,
    }


def coverage(
    session: Session,
    *,
    theme: str,
    distance_m: float,
    level: str = "lsoa",
    with_geometry: bool = False,
) -> dict[str, Any]:
    """Share of residents whose area centroid is within distance_m of a public theme asset."""
    if session.get(Theme, theme) is None:
        raise InvalidInput(("query", "theme"), f"unknown theme {theme!r}")
    if level not in LEVELS:
        raise InvalidInput(("query", "level"), f"unknown level; one of {', '.join(LEVELS)}")
    columns = [Area.id, Area.code, Area.name_en, Area.name_cy, Area.population]
    areas = session.execute(select(*columns).where(Area.level == level).order_by(Area.code)).all()
    if not areas:
        raise NotFound(f"no {level} areas have been imported")
    within = counts_within(session, level=level, theme=theme, distance_m=distance_m)
    shapes = area_shapes(session, (a.id for a in areas)) if with_geometry else {}
    rows = []
    for a in areas:
        row = {
            "area_code": a.code,
            "area_name": a.name_en or a.name_cy,
            "area_name_cy": a.name_cy,
            "population": a.population,
            "assets_within_distance": within.get(a.id, 0),
            "covered": within.get(a.id, 0) > 0,
        }
        if with_geometry:
            row["geometry"] = shapes.get(a.id)
        rows.append(row)
    counted = [r for r in rows if r["population"] is not None]
    total = sum(r["population"] for r in counted)
    covered = sum(r["population"] for r in counted if r["covered"])
    return {
        "theme": theme,
        "level": level,
        "distance_m": distance_m,
        "population": total,
        "population_covered": covered,
        "share_covered": round(covered / total, 4) if total else None,
        "areas": len(rows),
        "areas_covered": sum(1 for r in rows if r["covered"]),
        "method": (
            f"An area counts as covered when at least one published asset of the theme lies "
            f"within {distance_m:g} m (geodesic) of its population-weighted centroid; its whole "
            f"population then counts as covered. Areas without a population are listed but not "
            f"counted."
        ),
        "items": rows,
    }
