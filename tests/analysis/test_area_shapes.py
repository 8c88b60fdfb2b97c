"""Areas' boundaries held per process (app/services/needs/shapes.py): always the database's own.

The cache is asked through a second session, as another request (or another replica sharing
the database) would be, so each test shows what a later request sees after a change.
"""

import pytest
from shapely.geometry import MultiPolygon, box
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from app.models import Area, AssetArea, IndicatorValue
from app.services.needs.areas import AreaInput, save_areas
from app.services.needs.shapes import area_shapes


def square(code: str, west: float, size: float = 0.1) -> AreaInput:
    return AreaInput(
        1, code, code, None, None, None, MultiPolygon([box(west, 51.4, west + size, 51.5)])
    )


def save(session: Session, *items: AreaInput) -> dict[str, int]:
    save_areas(session, level="lsoa", areas=list(items), centroids={}, source="test")
    session.flush()
    return {code: area_id for code, area_id in session.execute(select(Area.code, Area.id))}


def test_boundaries_are_read_once_and_then_served_from_the_process(
    session: Session, db: Engine
) -> None:
    ids = save(session, square("A1", -3.3), square("A2", -3.2))
    session.commit()
    first = area_shapes(session, ids.values())
    assert first[ids["A1"]].bounds == pytest.approx((-3.3, 51.4, -3.2, 51.5))
    with Session(db) as other:
        again = area_shapes(other, ids.values())
    assert all(again[i] is first[i] for i in ids.values())  # the same objects: not read again
    assert area_shapes(session, [ids["A1"], 10**9]).keys() == {ids["A1"]}


def test_a_changed_boundary_is_seen_by_the_next_request(session: Session, db: Engine) -> None:
    ids = save(session, square("B1", -3.3))
    session.commit()
    assert area_shapes(session, [ids["B1"]])[ids["B1"]].bounds[2] == pytest.approx(-3.2)
    save(session, square("B1", -3.3, size=0.2))
    session.commit()
    with Session(db) as other:
        assert area_shapes(other, [ids["B1"]])[ids["B1"]].bounds[2] == pytest.approx(-3.1)


def test_a_rolled_back_import_leaves_the_old_boundary(session: Session, db: Engine) -> None:
    ids = save(session, square("C1", -3.3))
    session.commit()
    save(session, square("C1", -3.3, size=0.3))
    assert area_shapes(session, [ids["C1"]])[ids["C1"]].bounds[2] == pytest.approx(
        -3.0
    )  # inside the import
    session.rollback()
    with Session(db) as other:
        assert area_shapes(other, [ids["C1"]])[ids["C1"]].bounds[2] == pytest.approx(-3.2)


def test_a_removed_area_is_left_out(session: Session, db: Engine) -> None:
    ids = save(session, square("D1", -3.3), square("D2", -3.2))
    session.commit()
    assert len(area_shapes(session, ids.values())) == 2
    session.execute(delete(IndicatorValue).where(IndicatorValue.area_id == ids["D2"]))
    session.execute(delete(AssetArea).where(AssetArea.area_id == ids["D2"]))
    session.execute(delete(Area).where(Area.id == ids["D2"]))
    session.commit()
    with Session(db) as other:
        assert area_shapes(other, ids.values()).keys() == {ids["D1"]}
