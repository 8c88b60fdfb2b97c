"""GDAL's own OGC API - Features client (the OAPIF driver) reads /ogc from a live server.

The command-line tools come from Debian's gdal-bin; pyogrio (a dependency) bundles a current
GDAL, whose driver also reads the page size from the API definition (GDAL 3.8+).
"""

import json
import math
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session

from app.models import Asset, AssetTheme, AuditEvent
from app.settings import Settings
from tests.api.conftest import LiveServer, insert_assets, serve
from tests.conftest import ADMIN_TOKEN, unavailable

ITEMS = "/ogc/collections/assets/items"
N_PUBLIC = 2500
KINDS = ["group", "space", "organisation", "service", "business", "culture"]
THEMES = ["food", "older_people", "welsh_language", "arts_culture", "housing"]
WELSH_NAMES = [
    "Tŷ Hafan",
    "Canolfan Gymunedol Trelái",
    "Caffi'r Hen Lyfrgell",
    "Ysgol Gymraeg Pont Siôn Norton",
    "Gŵyl Fwyd Sblot",
    "Côr Meibion Treforys",
]


def expected_asset(i: int) -> dict[str, Any]:
    """The i-th published asset of the test area (deterministic; some without an English name)."""
    return {
        "kind": KINDS[i % len(KINDS)],
        "name_en": None if i % 7 == 0 else f"Community place {i}",
        "name_cy": f"{WELSH_NAMES[i % len(WELSH_NAMES)]} {i}",
        "themes": sorted({THEMES[i % 5], THEMES[(i * 3) % 5]}),
        "lon": round(-3.30 + (i % 50) * 0.005, 6),
        "lat": round(51.40 + (i // 50) * 0.003, 6),
    }


@pytest.fixture(scope="module")
def area(engine: Engine, db_url: str) -> Iterator[tuple[LiveServer, dict[int, dict[str, Any]]]]:
    """A live server over 2,500 published assets (plus a pending and a person-linked one).

    Module-scoped so the GDAL tests share one load per backend; returns the server and the
    expected public assets by id.
    """
    with engine.begin() as connection:
        for model in (AssetTheme, AuditEvent, Asset):
            connection.execute(delete(model))
    public = [expected_asset(i) for i in range(N_PUBLIC)]
    hidden = [
        {"name_en": "Not yet checked", "status": "pending", "lon": -3.2, "lat": 51.5},
        {"name_en": "Gwen's sewing skills", "kind": "skill", "lon": -3.2, "lat": 51.5},
    ]
    with Session(engine) as session:
        ids = insert_assets(session, public + hidden)
        session.commit()
    expected = dict(zip(ids, public, strict=False))
    with serve(Settings(database_url=db_url, admin_token=ADMIN_TOKEN)) as live:
        yield live, expected


@pytest.fixture(scope="module")
def gdal_cli() -> tuple[int, int]:
    """The version (major, minor) of GDAL's command-line tools; skip/fail when missing."""
    if not (shutil.which("ogrinfo") and shutil.which("ogr2ogr")):
        unavailable("GDAL's ogrinfo/ogr2ogr are not installed (Debian package gdal-bin)")
    version = subprocess.run(
        ["ogrinfo", "--version"], capture_output=True, text=True, check=True
    ).stdout
    match = re.search(r"GDAL (\d+)\.(\d+)", version)
    assert match, version
    return int(match.group(1)), int(match.group(2))


def run(*args: str) -> str:
    """Run a GDAL tool; its stdout (fails the test with stderr when it fails)."""
    done = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def limits(queries: list[str]) -> list[int]:
    """The `limit` of each items request."""
    return [int(parse_qs(q)["limit"][0]) for q in queries]


def test_ogrinfo_lists_the_assets_collection(area: Any, gdal_cli: tuple[int, int]) -> None:
    live, _ = area
    listing = run("ogrinfo", "-ro", "-so", f"OAPIF:{live.url}/ogc")
    assert "1: assets (title: Community assets) (Point)" in listing
    summary = run("ogrinfo", "-ro", "-so", f"OAPIF:{live.url}/ogc", "assets")
    assert f"Feature Count: {N_PUBLIC}" in summary
    assert "name_cy: String" in summary
    assert "themes: StringList" in summary


def test_ogr2ogr_copies_every_visible_feature_with_its_attributes(
    area: Any, gdal_cli: tuple[int, int], tmp_path: Path
) -> None:
    live, expected = area
    out = tmp_path / "assets.geojson"
    # GDAL 3.8+ takes its page size from the API definition (the `limit` maximum: 1000). Older
    # versions (3.6 in Debian bookworm) always ask for 10 features a page (251 requests here)
    # unless told otherwise with PAGE_SIZE, their only knob.
    options = [] if gdal_cli >= (3, 8) else ["-oo", "PAGE_SIZE=1000"]
    before = len(live.requests_to(ITEMS))
    run(
        "ogr2ogr", "-f", "GeoJSON", "-preserve_fid", *options, str(out),
        f"OAPIF:{live.url}/ogc", "assets",
    )  # fmt: skip
    features = json.loads(out.read_text(encoding="utf-8"))["features"]

    copied = {
        f["id"]: {
            **{k: f["properties"][k] for k in ("kind", "name_en", "name_cy", "themes")},
            "lon": round(f["geometry"]["coordinates"][0], 6),
            "lat": round(f["geometry"]["coordinates"][1], 6),
        }
        for f in features
    }
    assert len(features) == N_PUBLIC
    assert copied == expected

    # One sample request for the schema, then our next links, 1000 features a page: 4 requests.
    queries = live.requests_to(ITEMS)[before:]
    assert limits(queries)[1:] == [1000] * math.ceil(N_PUBLIC / 1000)


def test_ogr2ogr_pushes_kind_and_themes_filters_to_the_server(
    area: Any, gdal_cli: tuple[int, int], tmp_path: Path
) -> None:
    live, expected = area
    out = tmp_path / "food_spaces.geojson"
    before = len(live.requests_to(ITEMS))
    run(
        "ogr2ogr", "-f", "GeoJSON", "-preserve_fid", str(out), f"OAPIF:{live.url}/ogc", "assets",
        "-where", "kind = 'space' AND themes = 'food'",
    )  # fmt: skip
    features = json.loads(out.read_text(encoding="utf-8"))["features"]
    wanted = {i for i, a in expected.items() if a["kind"] == "space" and "food" in a["themes"]}
    assert wanted
    assert {f["id"] for f in features} == wanted
    filtered = [parse_qs(q) for q in live.requests_to(ITEMS)[before:] if "kind=" in q]
    assert filtered, "GDAL filtered on the client instead of asking the server"
    assert all(q["kind"] == ["space"] and q["themes"] == ["food"] for q in filtered)
    # Pages of GDAL's own default size, linked by our next links, carry the filters along.
    assert len(filtered) > 2


PYOGRIO_READ = """
import json, sys
import pyogrio
from pyogrio.raw import read
if "OAPIF" not in pyogrio.list_drivers():
    print(json.dumps({"gdal": None}))
    sys.exit()
# Only name_cy: pyogrio turns a timestamp whose microseconds round up to 1e6 into an error.
meta, fids, geometry, fields = read(
    sys.argv[1], layer="assets", return_fids=True, columns=["name_cy"]
)
print(json.dumps({
    "gdal": pyogrio.__gdal_version_string__,
    "name_cy": dict(zip(fids.tolist(), fields[0].tolist())),
}))
"""


def test_current_gdal_pages_by_the_limit_maximum_of_the_api_definition(area: Any) -> None:
    live, expected = area
    before = len(live.requests)
    done = subprocess.run(
        [sys.executable, "-c", PYOGRIO_READ, f"OAPIF:{live.url}/ogc"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    version = tuple(int(v) for v in (result["gdal"] or "0.0").split(".")[:2])
    if version < (3, 8):
        unavailable(f"pyogrio's GDAL ({result['gdal']}) has no OAPIF driver reading limits (3.8+)")

    assert {int(k): v for k, v in result["name_cy"].items()} == {
        i: a["name_cy"] for i, a in expected.items()
    }
    paths = [path for path, _ in live.requests[before:]]
    assert "/ogc/api" in paths
    queries = [q for p, q in live.requests[before:] if p == ITEMS]
    # A 20-feature sample for the schema, then pages of 1000: 4 requests, not 251.
    assert limits(queries)[1:] == [1000] * math.ceil(N_PUBLIC / 1000)
