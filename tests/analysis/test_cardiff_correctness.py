"""On the real Cardiff data, per-area asset counts agree with an independent computation
(shapely and pyproj in this test, not the service's own code), on both backends."""

import csv
import json
from pathlib import Path

import pytest
import shapely
from pyproj import Geod
from shapely.geometry import Point, shape
from sqlalchemy.orm import Session

from app.services.imports.assets import ImportOptions, import_assets
from app.services.imports.mappings import load_mapping
from app.services.needs.analysis import GapParameters, coverage, gap_analysis
from app.services.needs.indicators import import_indicators
from tests.conftest import PROJECT_DIR

MAPPING = PROJECT_DIR / "data" / "mappings" / "wales_public_services.json"
WIMD_META = PROJECT_DIR / "data" / "indicators" / "wimd2019.json"
GEOD = Geod(ellps="WGS84")


@pytest.fixture
def cardiff(session: Session, cardiff_dir: Path, cardiff_lsoas: int) -> Path:
    """Cardiff's LSOAs, WIMD 2019 and real assets, loaded through the service's own imports."""
    report = import_assets(
        session, cardiff_dir / "assets.geojson", ImportOptions(mapping=load_mapping(MAPPING))
    )
    assert report.ok, report.problems
    wimd = import_indicators(
        session,
        csv_path=cardiff_dir / "wimd2019_lsoa11.csv",
        meta_path=WIMD_META,
        area_code_column="lsoa11cd",
    )
    assert wimd.ok, wimd.problems
    session.commit()
    return cardiff_dir


def themed_points(session: Session, theme: str) -> list[tuple[float, float]]:
    """Published assets of the theme, straight from the API-independent export of the features."""
    from app.services.assets.records import AssetFilters, iter_assets
    from app.services.assets.visibility import ANONYMOUS

    return [
        (r["lon"], r["lat"])
        for r in iter_assets(session, viewer=ANONYMOUS, filters=AssetFilters(themes=(theme,)))
    ]


def lsoas(cardiff_dir: Path) -> dict[str, tuple[object, Point, int]]:
    polygons = json.loads((cardiff_dir / "lsoa11_boundaries.geojson").read_text())["features"]
    centroids = json.loads(
        (cardiff_dir / "lsoa11_population_weighted_centroids.geojson").read_text()
    )["features"]
    points = {f["properties"]["lsoa11cd"]: shape(f["geometry"]) for f in centroids}
    with (cardiff_dir / "population_mid2019_lsoa11.csv").open() as handle:
        population = {r["lsoa11cd"]: int(r["population_mid2019"]) for r in csv.DictReader(handle)}
    return {
        f["properties"]["lsoa11cd"]: (
            shape(f["geometry"]),
            points[f["properties"]["lsoa11cd"]],
            population[f["properties"]["lsoa11cd"]],
        )
        for f in polygons
    }


@pytest.mark.parametrize("theme", ["health_wellbeing", "learning_skills"])
def test_every_lsoa_count_matches_an_independent_computation(
    session: Session, cardiff: Path, theme: str
) -> None:
    points = themed_points(session, theme)
    assert points, f"the mapping gives no {theme} assets"
    result = gap_analysis(session, GapParameters("wimd2019_overall_rank", theme, distance_m=800))
    rows = {r["area_code"]: r for r in result["items"]}
    areas = lsoas(cardiff)
    assert set(rows) == set(areas) and len(rows) == 214
    for code, (polygon, centroid, population) in areas.items():
        inside = sum(1 for x, y in points if polygon.covers(Point(x, y)))
        distances = [GEOD.inv(centroid.x, centroid.y, x, y)[2] for x, y in points]
        near = sum(1 for d in distances if d <= 800)
        assert rows[code]["assets_in_area"] == inside, code
        assert rows[code]["assets_within_distance"] == near, code
        assert rows[code]["population"] == population
    assert sum(r["assets_in_area"] for r in rows.values()) == len(points)


def test_wimd_joins_every_lsoa_and_percentiles_follow_the_rank(
    session: Session, cardiff: Path
) -> None:
    result = gap_analysis(session, GapParameters("wimd2019_overall_rank", "health_wellbeing"))
    rows = sorted(result["items"], key=lambda r: r["need_value"])
    assert len(rows) == 214
    # Rank 1 is the most deprived in Wales: the lowest rank held here has the highest need.
    assert rows[0]["need_percentile"] == 100 and rows[-1]["need_percentile"] == 0
    percentiles = [r["need_percentile"] for r in rows]
    assert percentiles == sorted(percentiles, reverse=True)


def test_coverage_matches_an_independent_computation(session: Session, cardiff: Path) -> None:
    points = themed_points(session, "health_wellbeing")
    result = coverage(session, theme="health_wellbeing", distance_m=800)
    covered = 0
    total = 0
    for _code, (_polygon, centroid, population) in lsoas(cardiff).items():
        total += population
        if any(GEOD.inv(centroid.x, centroid.y, x, y)[2] <= 800 for x, y in points):
            covered += population
    assert result["population"] == total == 366_903
    assert result["population_covered"] == covered
    assert 0 < result["share_covered"] < 1
    assert shapely  # imported for covers(); keeps the dependency explicit
