"""GDAL's own OAPIF client reads the areas and deficits collections: Debian's ogr2ogr copies them
with the right counts, and a current GDAL (pyogrio's) asks for them in EPSG:27700 (OGC API -
Features Part 2) and gets British National Grid coordinates."""

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

from tests.api.conftest import LiveServer
from tests.conftest import unavailable

BNG = "http://www.opengis.net/def/crs/EPSG/0/27700"


def ogr2ogr(*args: str) -> None:
    if not shutil.which("ogr2ogr"):
        unavailable("GDAL's ogr2ogr is not installed (Debian package gdal-bin)")
    done = subprocess.run(["ogr2ogr", *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(("collection", "count"), [("areas", 4), ("deficits", 2)])
def test_ogr2ogr_copies_areas_and_deficits(
    ogc_world: dict[str, Any], live_server: LiveServer, tmp_path: Path, collection: str, count: int
) -> None:
    out = tmp_path / f"{collection}.geojson"
    ogr2ogr("-f", "GeoJSON", str(out), f"OAPIF:{live_server.url}/ogc", collection)
    features = json.loads(out.read_text(encoding="utf-8"))["features"]
    assert len(features) == count
    if collection == "areas":
        populations = sorted(f["properties"]["population"] for f in features)
        assert populations == [1490, 1520, 1610, 7890]
    else:
        assert {f["properties"]["title_en"] for f in features} == {
            "No bus after 7pm",
            "No food bank",
        }


PYOGRIO_READ_BNG = """
import json, sys
import pyogrio
from pyogrio.raw import read
meta, fids, geometry, fields = read(
    sys.argv[1], layer=sys.argv[2], return_fids=True, CRS="EPSG:27700"
)
import shapely
shapes = shapely.from_wkb(geometry)
print(json.dumps({
    "gdal": pyogrio.__gdal_version_string__,
    "crs": meta["crs"],
    "count": len(fids),
    "bounds": [list(s.bounds) for s in shapes],
}))
"""


@pytest.mark.parametrize(("collection", "count"), [("areas", 4), ("deficits", 2)])
def test_current_gdal_reads_the_collections_in_british_national_grid(
    ogc_world: dict[str, Any], live_server: LiveServer, collection: str, count: int
) -> None:
    before = len(live_server.requests)
    done = subprocess.run(
        [sys.executable, "-c", PYOGRIO_READ_BNG, f"OAPIF:{live_server.url}/ogc", collection],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    version = tuple(int(v) for v in result["gdal"].split(".")[:2])
    if version < (3, 7):
        unavailable(f"pyogrio's GDAL ({result['gdal']}) cannot ask OAPIF for a CRS (3.7+)")
    assert result["count"] == count
    assert "27700" in result["crs"]
    for minx, miny, maxx, maxy in result["bounds"]:
        assert 300_000 < minx <= maxx < 330_000 and 160_000 < miny <= maxy < 190_000
    asked = [
        parse_qs(query)
        for path, query in live_server.requests[before:]
        if path == f"/ogc/collections/{collection}/items"
    ]
    # GDAL samples the first features for the layer's fields, then reads them all in the CRS.
    assert [q["crs"] for q in asked if "crs" in q] == [[BNG]]
