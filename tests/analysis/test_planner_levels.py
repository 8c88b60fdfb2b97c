"""The planner at bigger levels, worked out by hand: four small areas in two MSOAs, a score and a
rank, one local authority made of their union; the API answers from the same read."""

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Area, Indicator, IndicatorValue
from app.services.needs.analysis import GapParameters
from app.services.needs.areas import AreaFields, read_areas, save_areas
from app.services.needs.planner import planner_gaps, planner_levels
from app.services.needs.zones import UNION_CODE

WEST = -3.30
STEP = 0.015
POPULATION = {"A": 1000, "B": 3000, "C": 1000, "D": 1000}
SCORE = {"A": 10.0, "B": 30.0, "C": 50.0, "D": 20.0}


def box(first: int, count: int) -> dict:
    x0, x1 = WEST + first * STEP, WEST + (first + count) * STEP
    ring = [[x0, 51.50], [x1, 51.50], [x1, 51.51], [x0, 51.51], [x0, 51.50]]
    return {"type": "Polygon", "coordinates": [ring]}


def save(session: Session, tmp_path: Path, level: str, features: list[dict]) -> None:
    path = tmp_path / f"{level}.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    fields = AreaFields(code="code", name_en="name", population="pop", parent="parent")
    areas, bad, _ = read_areas(path, fields)
    assert not bad
    save_areas(session, level=level, areas=areas, centroids={}, source=f"{level}.geojson")


@pytest.fixture
def place(session: Session, tmp_path: Path, make_asset) -> None:
    """LSOAs A..D in a row (A, B in MSOA M1; C, D in M2); a food asset in A."""
    make_asset(location={"type": "Point", "coordinates": [WEST + 0.5 * STEP, 51.505]},
               themes=["food"])  # fmt: skip
    save(session, tmp_path, "lsoa", [
        {"type": "Feature", "geometry": box(i, 1), "properties": {
            "code": c, "name": f"Area {c}", "pop": POPULATION[c],
            "parent": "M1" if i < 2 else "M2"}}
        for i, c in enumerate("ABCD")
    ])  # fmt: skip
    save(session, tmp_path, "msoa", [
        {"type": "Feature", "geometry": box(2 * i, 2), "properties": {
            "code": m, "name": f"Middle {m}", "pop": None, "parent": None}}
        for i, m in enumerate(["M1", "M2"])
    ])  # fmt: skip
    for code, unit, more in (("score", "score", True), ("rank", "rank", False)):
        session.add(Indicator(code=code, label_en=code, label_cy=code, unit=unit,
                              higher_is_more_need=more, source="test", year=2025,
                              licence="CC0"))  # fmt: skip
    session.flush()
    for position, code in enumerate("ABCD", start=1):
        area_id = session.scalar(select(Area.id).where(Area.code == code))
        session.add(IndicatorValue(indicator_code="score", area_id=area_id, value=SCORE[code]))
        session.add(IndicatorValue(indicator_code="rank", area_id=area_id, value=position))
    session.commit()


def by_code(session: Session, indicator: str, level: str) -> dict[str, dict]:
    result = planner_gaps(session, GapParameters(indicator, "food", level))
    assert result["aggregated_from"] == "lsoa" and result["deciles"]["scope"] == "shown"
    return {row["area_code"]: row for row in result["items"]}


def test_the_levels_offered_are_the_held_ones_and_the_local_authority(
    session: Session, place: None
) -> None:
    assert planner_levels(session, "score") == ["lsoa", "msoa", "local_authority"]


def test_a_score_is_the_population_weighted_mean_of_its_small_areas(
    session: Session, place: None
) -> None:
    rows = by_code(session, "score", "msoa")
    assert rows["M1"]["need_value"] == pytest.approx((10 * 1000 + 30 * 3000) / 4000)
    assert rows["M2"]["need_value"] == pytest.approx((50 + 20) / 2)
    assert (rows["M1"]["population"], rows["M2"]["population"]) == (4000, 2000)
    # M2 has more need (a higher score): decile 1 among the two shown.
    assert (rows["M2"]["need_decile"], rows["M1"]["need_decile"]) == (1, 10)
    assert (rows["M1"]["assets_in_area"], rows["M2"]["assets_in_area"]) == (1, 0)


def test_ranks_are_re_ranked_not_averaged(session: Session, place: None) -> None:
    rows = by_code(session, "rank", "msoa")
    # Mean ranks 1.75 (M1) and 3.5 (M2): M1 is the more deprived, numbered 1.
    assert (rows["M1"]["need_value"], rows["M2"]["need_value"]) == (1, 2)
    assert rows["M1"]["need_percentile"] == 100


def test_the_small_areas_go_by_centroid_when_they_do_not_name_their_parent(
    session: Session, place: None
) -> None:
    for area in session.scalars(select(Area).where(Area.level == "lsoa")):
        area.parent_code = None
    session.commit()
    rows = by_code(session, "score", "msoa")
    assert rows["M1"]["need_value"] == pytest.approx(25.0)


def test_without_its_outline_the_local_authority_is_the_union_of_the_areas(
    session: Session, place: None
) -> None:
    (row,) = by_code(session, "score", "local_authority").values()
    assert row["area_code"] == UNION_CODE and row["population"] == 6000
    assert row["need_value"] == pytest.approx(170_000 / 6000, abs=1e-4)
    assert row["assets_in_area"] == 1


def test_the_api_answers_from_the_same_read(
    client: TestClient, session: Session, place: None
) -> None:
    api = client.get("/api/v1/analysis/gaps?indicator=score&theme=food&level=msoa").json()
    assert api["aggregated_from"] == "lsoa"
    assert "aggregated from the lsoa areas" in api["method"]
    assert {i["area_code"]: i["need_decile"] for i in api["items"]} == {"M1": 10, "M2": 1}
    text = client.get("/api/v1/analysis/gaps?indicator=score&theme=food&level=msoa&f=csv").text
    assert text.splitlines()[0].split(",")[6] == "need_decile"
