"""/ogc/collections/gaps: one gap analysis (an indicator and a theme, with the planner's
parameters) as OGC API features, the same rows as /api/v1/analysis/gaps, on both backends; and
GDAL's OAPIF driver reading it in EPSG:27700."""

import json
import subprocess
import sys
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.services.demo import load_demo
from tests.api.conftest import LiveServer

ITEMS = "/ogc/collections/gaps/items"
ANALYSIS = "indicator=aberllyn_bus_minutes&theme=food"


@pytest.fixture
def demo(session: Session) -> Session:
    """The fictional Aberllyn demo (20 areas, indicators, assets), committed."""
    assert load_demo(session).ok
    session.commit()
    return session


def test_gap_features_are_the_analysis_rows(client: TestClient, demo: Session) -> None:
    api = client.get(f"/api/v1/analysis/gaps?{ANALYSIS}&distance_m=1500").json()["items"]
    response = client.get(f"{ITEMS}?{ANALYSIS}&distance_m=1500&limit=1000")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["numberMatched"] == len(api) == 20
    by_code = {f["id"]: f for f in body["features"]}
    for row in api:
        feature = by_code[row["area_code"]]
        assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")
        for name in ("category", "need_decile", "assets_within_distance", "assets_in_area"):
            assert feature["properties"][name] == row[name], (row["area_code"], name)


def test_category_filter_and_paging(client: TestClient, demo: Session) -> None:
    everything = client.get(f"{ITEMS}?{ANALYSIS}&limit=1000").json()["features"]
    priority = client.get(f"{ITEMS}?{ANALYSIS}&category=priority&limit=1000").json()
    assert [f["id"] for f in priority["features"]] == [
        f["id"] for f in everything if f["properties"]["category"] == "priority"
    ]
    first = client.get(f"{ITEMS}?{ANALYSIS}&limit=7").json()
    seen = [f["id"] for f in first["features"]]
    url = next(x["href"] for x in first["links"] if x["rel"] == "next")
    while url:
        page = client.get(url).json()
        seen += [f["id"] for f in page["features"]]
        url = next((x["href"] for x in page["links"] if x["rel"] == "next"), "")
    assert seen == [f["id"] for f in everything]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("theme=food", "indicator"),
        ("indicator=aberllyn_bus_minutes", "theme"),
        ("indicator=aberllyn_bus_minutes&theme=food&theme=housing", "theme"),
        ("indicator=nope&theme=food", "indicator"),
        (f"{ANALYSIS}&category=splendid", "category"),
        (f"{ANALYSIS}&distance_m=-1", "distance_m"),
        (f"{ANALYSIS}&kind=group", "kind"),
    ],
)
def test_an_analysis_needs_valid_parameters(
    client: TestClient, demo: Session, query: str, field: str
) -> None:
    response = client.get(f"{ITEMS}?{query}")
    assert response.status_code == 400, response.text
    assert response.json()["description"].startswith(f"{field}: ")


def test_the_collection_says_how_to_ask_and_what_to_filter_by(
    client: TestClient, demo: Session
) -> None:
    collection = client.get("/ogc/collections/gaps").json()
    assert "`indicator` and `theme` are required" in collection["description"]
    queryables = client.get("/ogc/collections/gaps/queryables").json()
    assert queryables["properties"]["category"]["enum"] == [
        "priority",
        "strength",
        "well_served",
        "low_need",
    ]
    doc = client.get("/ogc/api").json()
    names = {p.get("name") for p in doc["paths"]["/collections/gaps/items"]["get"]["parameters"]}
    assert {"indicator", "theme", "category", "distance_m"} <= names
    assert "kind" not in names


PYOGRIO_GAPS = """
import json, sys
from pyogrio.raw import read
meta, fids, geometry, fields = read(sys.argv[1], layer="gaps", CRS="EPSG:27700")
print(json.dumps({"crs": meta["crs"], "fields": list(meta["fields"]), "count": len(geometry)}))
"""


def test_gdal_reads_an_analysis_in_british_national_grid(
    demo: Session, live_server: LiveServer
) -> None:
    # A collection URL with the analysis's parameters: its items link carries them.
    url = f"OAPIF:{live_server.url}/ogc/collections/gaps?{ANALYSIS}"
    done = subprocess.run(
        [sys.executable, "-c", PYOGRIO_GAPS, url],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    assert result["count"] == 20
    assert "27700" in result["crs"]
    assert "category" in result["fields"]
