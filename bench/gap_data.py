"""Seeded synthetic small areas over the Wales-like extent (Voronoi cells, LSOA-like), loaded
through the service layer, and the independent recount the gap benchmark checks answers with.
"""

import csv
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from pyproj import Geod
from shapely.geometry import MultiPolygon, Point, box
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app.models import Area, Indicator, IndicatorValue
from app.services.needs.areas import AreaInput, save_areas
from app.services.needs.indicators import need_percentiles

from generate import EXTENT, _coordinates

INDICATOR = "bench_need_rank"
LEVEL = "lsoa"
GEOD = Geod(ellps="WGS84")
# Distances this close to the limit may fall either side in another geodesic implementation.
TOLERANCE_M = 0.01


@dataclass
class Areas:
    """The generated areas: codes, polygons, population-weighted centroids, populations, ranks."""

    codes: list[str]
    polygons: list[MultiPolygon]
    centroids: list[Point]
    populations: list[int]
    ranks: list[int]


def generate_areas(count: int, seed: int) -> Areas:
    """`count` Voronoi cells tiling the extent, seeded where assets cluster (small in towns, like
    LSOAs of equal population); each seed lies in its cell and serves as its centroid."""
    rng = np.random.default_rng(seed + 1000)
    lon, lat = _coordinates(count * 2, seed + 1000)
    # Strictly inside the extent and distinct: each seed then lies inside its own clipped cell.
    inner = (lon > EXTENT[0]) & (lon < EXTENT[2]) & (lat > EXTENT[1]) & (lat < EXTENT[3])
    points = np.unique(np.column_stack([lon[inner], lat[inner]]), axis=0)
    points = points[rng.permutation(len(points))[:count]]
    if len(points) < count:
        raise SystemExit(f"only {len(points)} distinct area seeds for {count} areas")
    frame = box(*EXTENT)
    seeds = shapely.points(points)
    cells = shapely.voronoi_polygons(
        shapely.multipoints(seeds), extend_to=frame, ordered=True
    ).geoms
    polygons = []
    for seed_point, cell in zip(seeds, cells, strict=True):
        clipped = shapely.intersection(cell, frame)
        if not clipped.contains(seed_point):  # ordered=True keeps cell i with seed i
            raise SystemExit("a Voronoi cell does not hold its seed")
        polygons.append(MultiPolygon([clipped]) if clipped.geom_type == "Polygon" else clipped)
    return Areas(
        codes=[f"WB{i:07d}" for i in range(1, count + 1)],
        polygons=polygons,
        centroids=list(seeds),
        populations=[int(p) for p in rng.integers(1000, 3001, count)],
        ranks=[int(r) for r in rng.permutation(count) + 1],
    )


def load_areas(session: Session, areas: Areas) -> dict[str, Any]:
    """Save the areas (app.services.needs.areas.save_areas) and the rank indicator; commit;
    timings."""
    started = time.perf_counter()
    inputs = [
        AreaInput(
            number=i + 1,
            code=code,
            name_en=f"Bench area {i + 1}",
            name_cy=f"Ardal fainc {i + 1}",
            population=areas.populations[i],
            parent_code=None,
            geom=areas.polygons[i],
        )
        for i, code in enumerate(areas.codes)
    ]
    centroids = dict(zip(areas.codes, areas.centroids, strict=True))
    report = save_areas(session, level=LEVEL, areas=inputs, centroids=centroids, source="bench")
    session.flush()
    saved_s = time.perf_counter() - started
    session.add(
        Indicator(
            code=INDICATOR,
            label_en="Bench need rank",
            label_cy="Rheng angen mainc",
            unit="rank",
            higher_is_more_need=False,
            source="bench (synthetic)",
            year=2026,
            licence="none",
        )
    )
    session.flush()
    codes = select(Area.code, Area.id).where(Area.level == LEVEL)
    ids = dict(session.execute(codes).tuples().all())
    values = [
        {"indicator_code": INDICATOR, "area_id": ids[code], "value": float(rank)}
        for code, rank in zip(areas.codes, areas.ranks, strict=True)
    ]
    session.execute(insert(IndicatorValue), values)
    session.commit()
    return {
        "created": report.created,
        "save_areas_s": round(saved_s, 3),
        "with_indicator_s": round(time.perf_counter() - started, 3),
    }


def read_themes(csv_path: Path) -> dict[str, np.ndarray]:
    """For each theme, which generated assets (file order = id order) carry it."""
    with csv_path.open(encoding="utf-8", newline="") as handle:
        column = [row["themes"] for row in csv.DictReader(handle)]
    masks: dict[str, np.ndarray] = {}
    for index, value in enumerate(column):
        for code in value.split(";"):
            if code not in masks:
                masks[code] = np.zeros(len(column), dtype=bool)
            masks[code][index] = True
    return masks


@dataclass
class Recount:
    """The independent answer for one area and theme."""

    in_area: int
    within: int
    borderline: int  # assets within TOLERANCE_M of the distance limit


def recount(
    areas: Areas, index: int, lon: np.ndarray, lat: np.ndarray, distance_m: float
) -> Recount:
    """Theme assets (given as arrays) in the area's polygon (shapely, boundary included) and
    within distance_m of its centroid (pyproj geodesic on WGS84)."""
    inside = int(shapely.intersects_xy(areas.polygons[index], lon, lat).sum())
    centre = areas.centroids[index]
    # A cheap box first: 1 degree of latitude is > 110 km, of longitude > 60 km up here.
    dlat = distance_m / 110_000 * 1.5
    dlon = distance_m / 60_000 * 1.5
    near = (np.abs(lon - centre.x) <= dlon) & (np.abs(lat - centre.y) <= dlat)
    count = int(near.sum())
    if count == 0:
        return Recount(inside, 0, 0)
    _, _, metres = GEOD.inv(
        np.full(count, centre.x), np.full(count, centre.y), lon[near], lat[near]
    )
    within = int((metres <= distance_m).sum())
    borderline = int((np.abs(metres - distance_m) <= TOLERANCE_M).sum())
    return Recount(inside, within, borderline)


def spot_check(
    rows: list[dict[str, Any]],
    areas: Areas,
    picks: list[int],
    lon: np.ndarray,
    lat: np.ndarray,
    distance_m: float,
    label: str,
) -> list[str]:
    """Compare rows (gap analysis items) for the picked areas with the recount; problems."""
    problems: list[str] = []
    by_code = {r["area_code"]: r for r in rows}
    if len(by_code) != len(areas.codes):
        problems.append(f"{label}: {len(by_code)} rows for {len(areas.codes)} areas")
    percentiles = need_percentiles(
        dict(zip(areas.codes, areas.ranks, strict=True)), higher_is_more_need=False
    )
    for index in picks:
        code = areas.codes[index]
        row = by_code.get(code)
        if row is None:
            problems.append(f"{label}: no row for {code}")
            continue
        expected = recount(areas, index, lon, lat, distance_m)
        if row["assets_in_area"] != expected.in_area:
            problems.append(
                f"{label}: {code} assets_in_area {row['assets_in_area']} != {expected.in_area}"
            )
        if abs(row["assets_within_distance"] - expected.within) > expected.borderline:
            problems.append(
                f"{label}: {code} assets_within_distance {row['assets_within_distance']} != "
                f"{expected.within}"
            )
        if row["population"] != areas.populations[index]:
            problems.append(f"{label}: {code} population {row['population']}")
        if abs(row["need_percentile"] - round(percentiles[code], 2)) > 1e-9:
            problems.append(f"{label}: {code} need_percentile {row['need_percentile']}")
    total = sum(r["assets_in_area"] for r in rows)
    if total != len(lon):  # every asset lies in exactly one area of the tiling
        problems.append(f"{label}: assets_in_area sums to {total}, {len(lon)} theme assets exist")
    return problems
