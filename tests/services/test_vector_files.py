"""Vector files in another CRS (e.g. British National Grid) are read as WGS84 lon/lat."""

from pathlib import Path

import numpy as np
import pyogrio.raw
import pytest
import shapely
from shapely.geometry import Point

from app.services.imports.vector_files import read_features


def test_a_british_national_grid_geopackage_is_read_as_lon_lat(tmp_path: Path) -> None:
    path = tmp_path / "bng.gpkg"
    # Cardiff Castle in EPSG:27700 (easting, northing).
    pyogrio.raw.write(
        path,
        geometry=np.array([shapely.to_wkb(Point(318_100, 176_550))], dtype=object),
        field_data=[np.array(["castle"], dtype=object)],
        fields=["code"],
        crs="EPSG:27700",
        geometry_type="Point",
        driver="GPKG",
    )
    (feature,) = read_features(path)
    assert feature.properties == {"code": "castle"}
    assert feature.geometry.x == pytest.approx(-3.1810, abs=0.001)
    assert feature.geometry.y == pytest.approx(51.4822, abs=0.001)
