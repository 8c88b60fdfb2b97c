"""Importing areas and keeping assets assigned to the areas that contain them."""

import json
from pathlib import Path

import shapely
from shapely.geometry import shape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Area, AssetArea
from app.schemas.assets import AssetUpdate
from app.services.assets.records import update_asset
from app.services.assets.visibility import SYSTEM
from app.services.needs.areas import AreaFields, read_areas, save_areas

FIELDS = AreaFields(code="code", name_en="name")


def write_geojson(path: Path, features: list[dict]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def square(x: float, y: float, size: float = 0.01) -> dict:
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


def feature(code: str, geometry: dict, **props: object) -> dict:
    return {
        "type": "Feature",
        "properties": {"code": code, "name": code, **props},
        "geometry": geometry,
    }


BOWTIE = {
    "type": "Polygon",
    "coordinates": [[[-3.0, 51.0], [-2.9, 51.1], [-2.9, 51.0], [-3.0, 51.1], [-3.0, 51.0]]],
}


def test_cardiff_lsoas_import_with_population_weighted_centroids(
    session: Session, cardiff_lsoas: int, cardiff_dir: Path
) -> None:
    assert cardiff_lsoas == 214
    area = session.scalar(select(Area).where(Area.code == "W01001694"))
    assert area is not None
    assert (area.name_en, area.name_cy, area.population) == ("Cardiff 036A", "Caerdydd 036A", 2019)
    assert area.centroid_kind == "population_weighted"
    assert area.parent_code == "W02000402"


def test_invalid_rings_are_rejected_with_a_report(tmp_path: Path) -> None:
    path = write_geojson(
        tmp_path / "a.geojson", [feature("A", square(-3, 51)), feature("B", BOWTIE)]
    )
    good, bad, repaired = read_areas(path, FIELDS)
    assert [a.code for a in good] == ["A"]
    assert len(bad) == 1 and bad[0].number == 2 and bad[0].code == "B"
    assert "Self-intersection" in bad[0].reason and "--repair" in bad[0].reason
    assert repaired == []


def test_invalid_rings_are_repaired_on_request(tmp_path: Path) -> None:
    path = write_geojson(tmp_path / "a.geojson", [feature("B", BOWTIE)])
    good, bad, repaired = read_areas(path, FIELDS, repair=True)
    assert bad == [] and repaired == ["B"]
    assert good[0].geom.is_valid and good[0].geom.geom_type == "MultiPolygon"
    assert abs(good[0].geom.area - shape(BOWTIE).buffer(0).area) < 1e-9 or good[0].geom.area > 0


def test_multipolygons_points_and_duplicates(tmp_path: Path) -> None:
    multi = {
        "type": "MultiPolygon",
        "coordinates": [square(-3, 51)["coordinates"], square(-2, 51)["coordinates"]],
    }
    path = write_geojson(
        tmp_path / "a.geojson",
        [
            feature("M", multi),
            feature("P", {"type": "Point", "coordinates": [-3, 51]}),
            feature("M", square(-1, 51)),
            feature("", square(0, 51)),
        ],
    )
    good, bad, _ = read_areas(path, FIELDS)
    assert [a.code for a in good] == ["M"] and len(good[0].geom.geoms) == 2
    assert [(b.number, b.reason) for b in bad] == [
        (2, "Point is not a polygon"),
        (3, "duplicate code"),
        (4, "empty code"),
    ]


def test_assets_follow_their_area_when_they_move_and_when_areas_change(
    session: Session, make_asset, tmp_path: Path
) -> None:
    west = feature("WEST", square(-3.2, 51.48, 0.02))
    east = feature("EAST", square(-3.18, 51.48, 0.02))
    good, _, _ = read_areas(write_geojson(tmp_path / "a.geojson", [west, east]), FIELDS)
    asset_id = make_asset(location={"type": "Point", "coordinates": [-3.19, 51.49]})
    save_areas(session, level="custom", areas=good, centroids={}, source=None)
    session.commit()

    def area_of(asset: int) -> list[str]:
        return list(
            session.scalars(
                select(Area.code)
                .join(AssetArea, AssetArea.area_id == Area.id)
                .where(AssetArea.asset_id == asset)
            )
        )

    assert area_of(asset_id) == ["WEST"]
    update_asset(
        session,
        viewer=SYSTEM,
        asset_id=asset_id,
        expected_version=None,
        data=AssetUpdate(location={"type": "Point", "coordinates": [-3.17, 51.49]}),
    )
    assert area_of(asset_id) == ["EAST"]
    # The area grows to cover the asset's new place as well: the lower code wins ties.
    bigger = feature("EAST", square(-3.2, 51.48, 0.05))
    good, _, _ = read_areas(write_geojson(tmp_path / "b.geojson", [bigger]), FIELDS)
    save_areas(session, level="custom", areas=good, centroids={}, source=None)
    assert area_of(asset_id) == ["EAST"]
    assert session.scalar(select(func.count()).select_from(AssetArea)) == 1


def test_a_point_on_a_shared_boundary_goes_to_the_lower_code(
    session: Session, make_asset, tmp_path: Path
) -> None:
    west = feature("W2", square(-3.2, 51.48, 0.02))
    east = feature("W1", square(-3.18, 51.48, 0.02))
    make_asset(location={"type": "Point", "coordinates": [-3.18, 51.49]})
    good, _, _ = read_areas(write_geojson(tmp_path / "a.geojson", [west, east]), FIELDS)
    result = save_areas(session, level="custom", areas=good, centroids={}, source=None)
    assert result.assigned_assets == 1
    code = session.scalar(select(Area.code).join(AssetArea, AssetArea.area_id == Area.id))
    assert code == "W1"
    assert shapely.intersects_xy(good[0].geom, -3.18, 51.49)


def test_a_new_asset_is_assigned_when_created(session: Session, make_asset, tmp_path: Path) -> None:
    good, _, _ = read_areas(
        write_geojson(tmp_path / "a.geojson", [feature("X", square(-3.2, 51.48))]), FIELDS
    )
    save_areas(session, level="custom", areas=good, centroids={}, source=None)
    session.commit()
    asset_id = make_asset(location={"type": "Point", "coordinates": [-3.195, 51.485]})
    assert (
        session.scalar(select(AssetArea.area_id).where(AssetArea.asset_id == asset_id)) is not None
    )
