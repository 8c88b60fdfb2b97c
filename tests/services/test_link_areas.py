"""Each theme link carries its asset's area of every level (asset_themes.area_<level>), which
gap analysis counts from. Whatever path places or moves assets, or re-imports areas, the stored
ids must equal a fresh spatial assignment computed here with shapely from the test's own
polygons: the area of each level covering the asset's point, the lowest code on a shared edge."""

import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from shapely.geometry import MultiPolygon, Point, box
from sqlalchemy import Engine, event, insert, select, text
from sqlalchemy.orm import Session

from app.migrate import upgrade
from app.models import LEVELS, Area, Asset, AssetTheme, Theme
from app.schemas.assets import AssetUpdate
from app.services.assets import records as asset_service
from app.services.assets.theme_points import theme_point
from app.services.assets.visibility import SYSTEM
from app.services.imports.assets import ImportOptions, import_assets
from app.services.needs.analysis import counts_in_areas
from app.services.needs.areas import AreaInput, assign_new_assets, place_points, save_areas
from app.spatial import backend_of
from app.spatial.geometry import area_element, point_element
from tests.cli.conftest import good_row, write_csv

Polygons = dict[str, dict[str, Any]]  # level -> code -> polygon


def lsoa_grid(shift: float = 0.0) -> dict[str, Any]:
    """4 x 3 squares of 0.05 degrees over Cardiff, the inner lines moved east by `shift`."""
    xs = [-3.3, -3.25 + shift, -3.2 + shift, -3.15 + shift, -3.1]
    ys = [51.4, 51.45, 51.5, 51.55]
    return {
        f"X0100{row}{col}": box(xs[col], ys[row], xs[col + 1], ys[row + 1])
        for row in range(3)
        for col in range(4)
    }


def msoa_halves() -> dict[str, Any]:
    """Two halves split at -3.175 (across an LSOA column: the levels do not nest)."""
    return {"X0200001": box(-3.3, 51.4, -3.175, 51.55), "X0200002": box(-3.175, 51.4, -3.1, 51.55)}


def save_level(session: Session, level: str, polygons: dict[str, Any]) -> None:
    """Import (or re-import) the areas of one level through the service layer; commit."""
    areas = [
        AreaInput(
            number=n,
            code=code,
            name_en=code,
            name_cy=code,
            population=1000,
            parent_code=None,
            geom=MultiPolygon([geom]),
        )
        for n, (code, geom) in enumerate(polygons.items(), 1)
    ]
    centroids = {code: Point(geom.centroid.x, geom.centroid.y) for code, geom in polygons.items()}
    save_areas(session, level=level, areas=areas, centroids=centroids, source="test")
    session.commit()


def fresh_assignment(session: Session, polygons: Polygons) -> dict[tuple[int, str], int | None]:
    """(asset id, level) -> area id, computed here from the polygons and the assets' points."""
    backend = backend_of(session)
    points = session.execute(
        select(Asset.id, backend.x(Asset.location), backend.y(Asset.location))
    ).all()
    ids = {code: area_id for code, area_id in session.execute(select(Area.code, Area.id))}
    expected: dict[tuple[int, str], int | None] = {}
    for asset_id, x, y in points:
        for level in LEVELS:
            covering = sorted(
                code
                for code, geom in polygons.get(level, {}).items()
                if shapely.intersects_xy(geom, x, y)
            )
            expected[(asset_id, level)] = ids[covering[0]] if covering else None
    return expected


def assert_areas_in_step(session: Session, polygons: Polygons) -> int:
    """Fail unless every link's stored areas equal the fresh assignment; links checked."""
    session.expire_all()
    expected = fresh_assignment(session, polygons)
    columns = [AssetTheme.area_column(level) for level in LEVELS]
    links = session.execute(select(AssetTheme.asset_id, AssetTheme.theme_code, *columns)).all()
    assert links, "no theme links: nothing was checked"
    wrong = [
        (asset_id, code, level, stored, expected[(asset_id, level)])
        for asset_id, code, *stored_ids in links
        for level, stored in zip(LEVELS, stored_ids, strict=True)
        if stored != expected[(asset_id, level)]
    ]
    assert wrong == [], f"{len(wrong)} stored areas differ, e.g. {wrong[:5]}"
    # And the per-area counts are the aggregate of those copies.
    public = session.execute(
        select(AssetTheme.asset_id).where(AssetTheme.theme_code == "food", AssetTheme.public)
    ).scalars()
    counted: dict[int, int] = {}
    for asset_id in public:
        area_id = expected[(asset_id, "lsoa")]
        if area_id is not None:
            counted[area_id] = counted.get(area_id, 0) + 1
    assert counts_in_areas(session, level="lsoa", theme="food") == counted
    return len(links)


def scattered(n: int, seed: int) -> list[tuple[float, float]]:
    """Points over the areas and a little beyond them, some exactly on shared edges."""
    rng = np.random.default_rng(seed)
    lon = rng.uniform(-3.32, -3.08, n).round(5)
    lat = rng.uniform(51.38, 51.57, n).round(5)
    lon[::7] = -3.2  # on an LSOA edge
    lat[::11] = 51.45  # on an LSOA edge
    return [(float(x), float(y)) for x, y in zip(lon, lat, strict=True)]


def _point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}


def change(session: Session, asset_id: int, **changes: Any) -> None:
    """Change an asset through the service layer, as an admin, and commit."""
    asset_service.update_asset(
        session,
        viewer=SYSTEM,
        asset_id=asset_id,
        expected_version=None,
        data=AssetUpdate.model_validate(changes),
    )
    session.commit()


def test_stored_areas_follow_every_write_and_area_reimport(
    session: Session, make_asset: Any, tmp_path: Path
) -> None:
    polygons: Polygons = {"lsoa": lsoa_grid(), "msoa": msoa_halves()}
    save_level(session, "lsoa", polygons["lsoa"])
    save_level(session, "msoa", polygons["msoa"])

    # Created one by one through the service layer, and in bulk through an import.
    made = [
        make_asset(
            location=_point(*point),
            themes=["food"] if n % 2 else ["food", "housing"],
            status="published" if n % 3 else "pending",
        )
        for n, point in enumerate(scattered(30, 1))
    ]
    rows = [
        good_row(n, lon=f"{x:.5f}", lat=f"{y:.5f}", themes="food;housing")
        for n, (x, y) in enumerate(scattered(60, 2), 1)
    ]
    report = import_assets(session, write_csv(tmp_path / "a.csv", rows), ImportOptions())
    assert report.ok, report.problems
    session.commit()
    assert assert_areas_in_step(session, polygons) == 30 + 15 + 120

    # Moves (into other areas, onto an edge, out of every area), theme changes, archiving.
    change(session, made[0], location=_point(-3.12, 51.52))
    change(session, made[1], location=_point(-3.2, 51.45))
    change(session, made[2], location=_point(-3.5, 51.0))
    change(session, made[3], themes=["transport", "food"])
    change(session, made[4], themes=["housing"], location=_point(-3.26, 51.41))
    change(session, made[5], status="published", kind="space")
    asset_service.archive_asset(session, viewer=SYSTEM, asset_id=made[6], expected_version=None)
    session.commit()
    moved = [good_row(n, lon="-3.17", lat="51.51") for n in range(1, 11)]
    report = import_assets(session, write_csv(tmp_path / "b.csv", moved), ImportOptions())
    assert report.ok, report.problems
    session.commit()
    assert_areas_in_step(session, polygons)

    # The LSOA boundaries move (a re-import of the level), and a new level arrives.
    polygons["lsoa"] = lsoa_grid(shift=0.013)
    save_level(session, "lsoa", polygons["lsoa"])
    polygons["custom"] = {"X0300001": box(-3.23, 51.43, -3.14, 51.49)}
    save_level(session, "custom", polygons["custom"])
    assert_areas_in_step(session, polygons)

    # A theme added after the re-import gets the new areas too.
    change(session, made[7], themes=["food", "older_people", "transport"])
    assert_areas_in_step(session, polygons)


def test_a_bulk_writer_may_write_the_links_with_their_areas(session: Session) -> None:
    polygons: Polygons = {"lsoa": lsoa_grid(), "msoa": msoa_halves()}
    save_level(session, "lsoa", polygons["lsoa"])
    save_level(session, "msoa", polygons["msoa"])
    points = [(1000 + n, x, y) for n, (x, y) in enumerate(scattered(40, 3))]
    placed = place_points(session, points)
    assets = [
        {
            "id": asset_id,
            "kind": "group",
            "name_en": f"bulk {asset_id}",
            "search_text": "bulk",
            "location": point_element(x, y),
            "opening_hours": [],
            "accessibility": [],
            "languages": [],
            "status": "published",
            "version": 1,
        }
        for asset_id, x, y in points
    ]
    session.execute(insert(Asset.__table__), assets)
    links = [
        {"asset_id": asset_id, "theme_code": "food"}
        | theme_point("group", "published", x, y, areas=placed.get(asset_id))
        for asset_id, x, y in points
    ]
    session.execute(insert(AssetTheme.__table__), links)
    assert assign_new_assets(session, points, placed=placed) > 0
    session.commit()
    assert assert_areas_in_step(session, polygons) == 40


@pytest.mark.parametrize("level", LEVELS)
def test_every_level_has_its_column(level: str) -> None:
    assert AssetTheme.area_column(level).key == f"area_{level}"


def test_the_migration_fills_the_copies_from_the_stored_assignment(blank_engine: Engine) -> None:
    upgrade(blank_engine, "0009")
    square = MultiPolygon([box(-3.3, 51.4, -3.2, 51.5)])
    with blank_engine.begin() as connection:
        theme = {"code": "food", "label_en": "Food", "label_cy": "Bwyd", "position": 0}
        connection.execute(insert(Theme.__table__), [{**theme, "active": True}])
        for area_id, level in ((7, "lsoa"), (8, "ward")):
            area = {"id": area_id, "code": f"X0{area_id}", "level": level}
            area |= {"geom": area_element(square), "centroid": point_element(-3.25, 51.45)}
            connection.execute(insert(Area.__table__), [area | {"centroid_kind": "x"}])
        for asset_id in (1, 2):
            asset = {"id": asset_id, "kind": "group", "status": "published", "name_en": "x"}
            asset |= {"search_text": "x", "location": point_element(-3.25, 51.45), "version": 1}
            asset |= {"opening_hours": [], "accessibility": [], "languages": []}
            connection.execute(insert(Asset.__table__), [asset])
            connection.execute(
                text(
                    "INSERT INTO asset_themes (asset_id, theme_code, lon, lat, public) "
                    "VALUES (:a, 'food', -3.25, 51.45, true)"
                ),
                {"a": asset_id},
            )
        # Asset 1 lies in both areas; asset 2 in none (as if placed before they were imported).
        connection.execute(text("INSERT INTO asset_areas VALUES (1, 7), (1, 8)"))
    upgrade(blank_engine)
    with blank_engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT asset_id, area_lsoa, area_msoa, area_ward FROM asset_themes "
                "ORDER BY asset_id"
            )
        ).all()
    assert [tuple(row) for row in rows] == [(1, 7, None, 8), (2, None, None, None)]


def test_an_area_reimport_beside_an_asset_move_finishes_both(db: Engine, make_asset: Any) -> None:
    """The order of locks: the app's move has written its links and is about to place the asset
    when an area re-import starts. The re-import waits for the move (on PostgreSQL it would
    otherwise hold asset_areas and wait for the move's links, while the move waits for
    asset_areas: a deadlock, one of them lost); both finish, the copies in step."""
    polygons: Polygons = {"lsoa": lsoa_grid()}
    with Session(db) as session:
        save_level(session, "lsoa", polygons["lsoa"])
    asset_id = make_asset(location=_point(-3.245, 51.42))  # the re-import moves it
    errors: list[BaseException] = []

    def reimport() -> None:
        try:
            with Session(db) as other:
                save_level(other, "lsoa", lsoa_grid(shift=0.01))
        except BaseException as exc:  # reported by the test below
            errors.append(exc)

    other_writer = threading.Thread(target=reimport)

    def meanwhile(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("UPDATE asset_themes") and other_writer.ident is None:
            other_writer.start()
            other_writer.join(timeout=2)  # it waits for this transaction

    with Session(db) as session:
        event.listen(session.connection(), "after_cursor_execute", meanwhile)
        change(session, asset_id, location=_point(-3.12, 51.52))
    other_writer.join(timeout=60)
    assert not errors, errors
    with Session(db) as session:
        assert_areas_in_step(session, {"lsoa": lsoa_grid(shift=0.01)})
