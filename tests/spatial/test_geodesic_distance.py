"""Distances are geodesic metres on WGS84 and agree between SpatiaLite and PostGIS."""

from pathlib import Path

import pytest
from pyproj import Geod
from sqlalchemy import Engine, literal, select

from app.db import make_engine
from app.settings import Settings
from app.spatial import backend_for
from app.spatial.geometry import point_element
from tests.conftest import postgis_url

ORIGIN = (-3.1791, 51.4816)  # Cardiff city centre
TARGETS = [
    (-3.1791, 51.4817),  # ~11 m north
    (-3.1566, 51.4812),  # Splott, ~1.6 km east
    (-3.2700, 51.5200),  # ~7 km
    (-4.0829, 52.4153),  # Aberystwyth, ~120 km
    (-2.9977, 53.0430),  # Wrexham, ~175 km
]
WGS84 = Geod(ellps="WGS84")


def distances(engine: Engine) -> list[float]:
    backend = backend_for(engine.dialect.name)
    with engine.connect() as connection:
        return [
            float(
                connection.scalar(
                    select(
                        backend.distance_m(literal(point_element(*t), type_=_geometry()), *ORIGIN)
                    )
                )
            )
            for t in TARGETS
        ]


def _geometry():  # type: ignore[no-untyped-def]
    from geoalchemy2 import Geometry

    return Geometry("POINT", srid=4326)


@pytest.mark.parametrize("target", TARGETS)
def test_distance_matches_an_independent_geodesic(db: Engine, target: tuple[float, float]) -> None:
    backend = backend_for(db.dialect.name)
    expected = WGS84.inv(*ORIGIN, *target)[2]
    with db.connect() as connection:
        got = connection.scalar(
            select(backend.distance_m(literal(point_element(*target), type_=_geometry()), *ORIGIN))
        )
    assert got == pytest.approx(expected, rel=0.0005, abs=0.01)


def test_spatialite_and_postgis_agree_within_a_tenth_of_a_percent(tmp_path: Path) -> None:
    spatialite = make_engine(Settings(database_url=f"sqlite:///{tmp_path / 'd.sqlite'}"))
    postgis = make_engine(Settings(database_url=postgis_url()))
    try:
        pairs = zip(distances(spatialite), distances(postgis), strict=True)
        for lite, pg in pairs:
            assert abs(lite - pg) <= 0.001 * pg
    finally:
        spatialite.dispose()
        postgis.dispose()
