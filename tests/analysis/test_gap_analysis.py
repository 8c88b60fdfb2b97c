"""Gap analysis and coverage on a small made-up place whose answers can be worked out by hand."""

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.models import Indicator, IndicatorValue
from app.services.needs.analysis import GapParameters, gap_analysis
from app.services.needs.areas import AreaFields, read_areas, save_areas

# Four 1 km-ish squares in a row, west to east, at Cardiff's latitude.
WEST = -3.30
STEP = 0.015


def square(i: int) -> dict:
    x0 = WEST + i * STEP
    ring = [[x0, 51.50], [x0 + STEP, 51.50], [x0 + STEP, 51.51], [x0, 51.51], [x0, 51.50]]
    return {"type": "Polygon", "coordinates": [ring]}


@pytest.fixture
def place(session: Session, tmp_path: Path, make_asset) -> dict[str, int]:
    """Areas A..D (population 1000 each); need rank 1 (most deprived) in A .. 4 in D;
    food assets: 2 in A's middle, none in B, 1 in C, 1 far away."""
    features = [
        {
            "type": "Feature",
            "properties": {"code": c, "name": f"Area {c}", "pop": 1000},
            "geometry": square(i),
        }
        for i, c in enumerate("ABCD")
    ]
    path = tmp_path / "areas.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    areas, bad, _ = read_areas(path, AreaFields(code="code", name_en="name", population="pop"))
    assert not bad
    ids = {}
    ids["a1"] = make_asset(
        location={"type": "Point", "coordinates": [WEST + 0.5 * STEP, 51.505]}, themes=["food"]
    )
    ids["a2"] = make_asset(
        location={"type": "Point", "coordinates": [WEST + 0.5 * STEP, 51.5052]}, themes=["food"]
    )
    ids["c1"] = make_asset(
        location={"type": "Point", "coordinates": [WEST + 2.5 * STEP, 51.505]}, themes=["food"]
    )
    ids["far"] = make_asset(
        location={"type": "Point", "coordinates": [-3.0, 51.6]}, themes=["food"]
    )
    ids["a_other"] = make_asset(
        location={"type": "Point", "coordinates": [WEST + 0.5 * STEP, 51.505]}, themes=["housing"]
    )
    ids["a_pending"] = make_asset(
        location={"type": "Point", "coordinates": [WEST + 0.5 * STEP, 51.505]},
        themes=["food"],
        status="pending",
    )
    save_areas(session, level="lsoa", areas=areas, centroids={}, source=None)
    session.add(
        Indicator(
            code="deprivation_rank", label_en="Deprivation rank", label_cy="Safle amddifadedd",
            unit="rank", higher_is_more_need=False, source="test", year=2019, licence="OGL v3",
        )
    )  # fmt: skip
    session.flush()
    from sqlalchemy import select

    from app.models import Area

    for rank, code in enumerate("ABCD", start=1):
        area_id = session.scalar(select(Area.id).where(Area.code == code))
        session.add(IndicatorValue(indicator_code="deprivation_rank", area_id=area_id, value=rank))
    session.commit()
    return ids


def rows_by_code(result: dict) -> dict[str, dict]:
    return {r["area_code"]: r for r in result["items"]}


def test_counts_percentiles_and_categories(session: Session, place: dict) -> None:
    params = GapParameters("deprivation_rank", "food", distance_m=800, high_need_percentile=60)
    rows = rows_by_code(gap_analysis(session, params))
    assert [rows[c]["need_percentile"] for c in "ABCD"] == [
        100,
        pytest.approx(66.67),
        pytest.approx(33.33),
        0,
    ]
    assert [rows[c]["assets_in_area"] for c in "ABCD"] == [2, 0, 1, 0]
    # B's centroid is ~1.05 km from A's and C's assets (1.5 STEP of longitude at 51.5 N).
    assert [rows[c]["assets_within_distance"] for c in "ABCD"] == [2, 0, 1, 0]
    assert [rows[c]["category"] for c in "ABCD"] == [
        "strength",
        "priority",
        "well_served",
        "low_need",
    ]
    assert rows["A"]["assets_per_1000"] == 2.0


def test_a_wider_distance_reaches_neighbouring_assets(session: Session, place: dict) -> None:
    params = GapParameters("deprivation_rank", "food", distance_m=1200, high_need_percentile=60)
    rows = rows_by_code(gap_analysis(session, params))
    assert rows["B"]["assets_within_distance"] == 3
    assert rows["B"]["category"] == "strength"


def test_the_response_explains_its_method_and_parameters(session: Session, place: dict) -> None:
    result = gap_analysis(session, GapParameters("deprivation_rank", "food"))
    assert "geodesic" in result["method"] and "priority" in result["method"]
    assert result["parameters"]["distance_m"] == 800
    assert result["summary"] == {"priority": 0, "strength": 1, "well_served": 1, "low_need": 2}


def test_gaps_api_in_json_csv_and_geojson(client: TestClient, place: dict) -> None:
    url = "/api/v1/analysis/gaps?indicator=deprivation_rank&theme=food&high_need_percentile=60"
    body = client.get(url).json()
    assert [r["category"] for r in body["items"]] == [
        "strength",
        "priority",
        "well_served",
        "low_need",
    ]
    csv_text = client.get(url + "&f=csv").text.splitlines()
    assert csv_text[0].startswith("area_code,area_name,area_name_cy,population,need_value")
    assert len(csv_text) == 5
    geo = client.get(url + "&f=geojson").json()
    assert geo["type"] == "FeatureCollection"
    assert geo["features"][0]["geometry"]["type"] == "MultiPolygon"
    assert geo["features"][1]["properties"]["category"] == "priority"


def test_gaps_api_rejects_unknown_codes(client: TestClient, place: dict) -> None:
    bad = client.get("/api/v1/analysis/gaps?indicator=nope&theme=food")
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "indicator"]
    bad = client.get("/api/v1/analysis/gaps?indicator=deprivation_rank&theme=nope")
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "theme"]


def test_coverage_shares_population_within_reach(client: TestClient, place: dict) -> None:
    body = client.get("/api/v1/analysis/coverage?theme=food&distance_m=800").json()
    assert body["population"] == 4000 and body["population_covered"] == 2000
    assert body["share_covered"] == 0.5
    assert [r["covered"] for r in body["items"]] == [True, False, True, False]


def test_area_profile_lists_needs_assets_and_nearest_by_theme(
    client: TestClient, place: dict
) -> None:
    body = client.get("/api/v1/areas/B/profile").json()
    (indicator,) = body["indicators"]
    # Deciles run as WIMD's do: 1 = the tenth with most need (2nd of 4 is decile 4).
    assert (indicator["rank"], indicator["of"], indicator["need_decile"]) == (2, 4, 4)
    assert body["assets"]["total"] == 0
    assert 1000 < body["nearest_asset_m"]["food"] < 1100
    a = client.get("/api/v1/areas/A/profile").json()
    assert a["assets"]["total"] == 3  # 2 food + 1 housing; the pending one is not public
    assert {t["theme"]: t["count"] for t in a["assets"]["by_theme"]} == {"food": 2, "housing": 1}
    assert client.get("/api/v1/areas/NOPE/profile").status_code == 404


def test_area_profile_lists_deficits_in_or_near_the_area(client: TestClient, place: dict) -> None:
    from tests.api.test_deficits_api import deficit_body
    from tests.conftest import ADMIN

    inside_b = [WEST + 1.5 * STEP, 51.505]
    far = [-3.0, 51.7]
    for point in (inside_b, far):
        body = deficit_body(theme="food", location={"type": "Point", "coordinates": point})
        assert client.post("/api/v1/deficits", json=body, headers=ADMIN).status_code == 201
    deficits = client.get("/api/v1/areas/B/profile").json()["deficits"]
    assert len(deficits) == 1
    assert deficits[0]["location"]["coordinates"] == inside_b
