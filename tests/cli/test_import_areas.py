"""`assetmap import areas`: boundaries with names, population and centroids; all or nothing."""

import json
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.models import Area, AssetArea
from app.spatial.geometry import geometry_from_db
from tests.cli.conftest import Invoke, count

BOWTIE = [[-3.0, 51.0], [-2.9, 51.1], [-2.9, 51.0], [-3.0, 51.1], [-3.0, 51.0]]


def square(x: float, y: float, size: float = 0.01) -> list[list[float]]:
    """A closed counter-clockwise ring."""
    return [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]


def write_geojson(path: Path, features: list[dict[str, Any]]) -> Path:
    """A FeatureCollection file."""
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def polygon(code: str, ring: list[list[float]], **props: Any) -> dict[str, Any]:
    """A polygon feature with a code, names and a population."""
    properties = {"code": code, "name": f"Area {code}", "enw": f"Ardal {code}", "pop": 1500}
    return {
        "type": "Feature",
        "properties": {**properties, **props},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


def point(code: str, lon: float, lat: float) -> dict[str, Any]:
    """A point feature with an area code."""
    return {
        "type": "Feature",
        "properties": {"area": code},
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
    }


NAMED = ("--name-field", "name", "--name-cy-field", "enw", "--population-field", "pop")


def test_real_cardiff_lsoas_import_with_names_population_and_weighted_centroids(
    assetmap: Invoke, db: Engine, cardiff_dir: Path
) -> None:
    args = (
        "import", "areas", str(cardiff_dir / "lsoa11_wimd2019_population.geojson"),
        "--level", "lsoa", "--code-field", "lsoa11cd", "--name-field", "lsoa11nm",
        "--name-cy-field", "lsoa11nmw", "--population-field", "population_mid2019",
        "--parent-field", "msoa11cd",
        "--centroids", str(cardiff_dir / "lsoa11_population_weighted_centroids.geojson"),
        "--centroid-code-field", "lsoa11cd",
    )  # fmt: skip
    result = assetmap(*args)

    assert result.exit_code == 0, result.output
    assert "214 lsoa areas: 214 created, 0 updated, 0 unchanged" in result.output
    assert "214 with a population-weighted centroid" in result.output
    with Session(db) as session:
        area = session.scalars(select(Area).where(Area.code == "W01001694")).one()
        assert (area.name_en, area.name_cy, area.population) == (
            "Cardiff 036A",
            "Caerdydd 036A",
            2019,
        )
        assert (area.parent_code, area.centroid_kind) == ("W02000402", "population_weighted")
        centroid = geometry_from_db(area.centroid)
        assert (centroid.x, centroid.y) == (-3.157009, 51.485688)  # from the points file
    again = assetmap(*args)
    assert again.exit_code == 0, again.output
    assert "214 lsoa areas: 0 created, 0 updated, 214 unchanged" in again.output


def test_an_invalid_ring_is_reported_by_feature_and_nothing_is_written(
    assetmap: Invoke, db: Engine, tmp_path: Path
) -> None:
    path = write_geojson(
        tmp_path / "a.geojson", [polygon("A", square(-3.2, 51.4)), polygon("B", BOWTIE)]
    )

    result = assetmap("import", "areas", str(path), "--level", "custom", *NAMED)

    assert result.exit_code == 1
    assert "a.geojson feature 2 (B): geometry: invalid: Self-intersection" in result.output
    assert "--repair" in result.output
    assert "nothing was written" in result.output
    assert count(db, Area) == 0


def test_repair_fixes_invalid_rings_and_lists_what_it_repaired(
    assetmap: Invoke, db: Engine, tmp_path: Path
) -> None:
    path = write_geojson(
        tmp_path / "a.geojson", [polygon("A", square(-3.2, 51.4)), polygon("B", BOWTIE)]
    )

    result = assetmap("import", "areas", str(path), "--level", "custom", "--repair", *NAMED)

    assert result.exit_code == 0, result.output
    assert "2 custom areas: 2 created" in result.output
    assert "feature 2 (B): was Self-intersection" in result.output
    with Session(db) as session:
        repaired = session.scalars(select(Area).where(Area.code == "B")).one()
        assert geometry_from_db(repaired.geom).is_valid


def test_every_bad_feature_and_centroid_is_listed_with_its_field(
    assetmap: Invoke, db: Engine, tmp_path: Path
) -> None:
    line = {"type": "LineString", "coordinates": [[-3.2, 51.4], [-3.1, 51.5]]}
    areas = write_geojson(
        tmp_path / "areas.geojson",
        [
            polygon("A", square(-3.2, 51.4)),
            polygon("A", square(-3.1, 51.4)),
            polygon("C", square(-3.0, 51.4), pop="many"),
            {"type": "Feature", "properties": {"code": "D"}, "geometry": line},
        ],
    )
    points = write_geojson(
        tmp_path / "points.geojson",
        [point("A", -3.195, 51.405), {**point("", -3.0, 51.0)}],
    )

    result = assetmap(
        "import", "areas", str(areas), "--level", "lsoa", *NAMED,
        "--centroids", str(points), "--centroid-code-field", "area",
    )  # fmt: skip

    assert result.exit_code == 1
    for expected in (
        "areas.geojson feature 2 (A): code: duplicate code",
        "areas.geojson feature 3 (C): pop: not a whole number >= 0",
        "areas.geojson feature 4 (D): geometry: LineString is not a polygon",
        "points.geojson feature 2: area: empty or missing code",
        "4 problems; nothing was written",
    ):
        assert expected in result.output
    assert count(db, Area) == 0


def test_a_field_the_file_does_not_have_is_named(
    assetmap: Invoke, db: Engine, tmp_path: Path
) -> None:
    path = write_geojson(tmp_path / "a.geojson", [polygon("A", square(-3.2, 51.4))])

    result = assetmap("import", "areas", str(path), "--level", "lsoa", "--name-field", "nmae")

    assert result.exit_code == 1
    assert "a.geojson: nmae: no such attribute (the file has: code, name, enw, pop)" in (
        result.output
    )
    assert count(db, Area) == 0


def test_dry_run_counts_what_would_change_and_writes_nothing(
    assetmap: Invoke, db: Engine, tmp_path: Path
) -> None:
    path = write_geojson(tmp_path / "a.geojson", [polygon("A", square(-3.2, 51.4))])

    result = assetmap("import", "areas", str(path), "--level", "lsoa", *NAMED, "--dry-run")

    assert result.exit_code == 0, result.output
    assert "1 lsoa areas: 1 would be created" in result.output
    assert "(dry run: nothing written)" in result.output
    assert count(db, Area) == 0


def test_assets_are_assigned_to_the_imported_areas(
    assetmap: Invoke, db: Engine, make_asset: Any, tmp_path: Path
) -> None:
    inside = make_asset(location={"type": "Point", "coordinates": [-3.195, 51.405]})
    make_asset(location={"type": "Point", "coordinates": [-3.5, 51.405]})
    path = write_geojson(tmp_path / "a.geojson", [polygon("A", square(-3.2, 51.4))])

    result = assetmap("import", "areas", str(path), "--level", "lsoa")

    assert result.exit_code == 0, result.output
    assert "assets reassigned to areas: 1" in result.output
    with Session(db) as session:
        assert session.scalars(select(AssetArea.asset_id)).all() == [inside]


def test_an_unknown_level_or_missing_file_stops_before_reading(
    assetmap: Invoke, db: Engine, tmp_path: Path
) -> None:
    path = write_geojson(tmp_path / "a.geojson", [polygon("A", square(-3.2, 51.4))])

    unknown = assetmap("import", "areas", str(path), "--level", "street")
    missing = assetmap("import", "areas", str(tmp_path / "none.geojson"), "--level", "lsoa")

    assert unknown.exit_code == 2
    assert "unknown level 'street' (one of lsoa, msoa, ward, local_authority, custom)" in (
        unknown.output
    )
    assert missing.exit_code == 2
    assert "none.geojson: no such file" in missing.output
    assert count(db, Area) == 0
