"""/api/v1/indicators on the real Cardiff WIMD 2019 data."""

import csv
import io
from functools import cache
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.services.needs.areas import AreaFields, AreaInput, read_areas, save_areas
from app.services.needs.indicators import import_indicators

WIMD_META = Path(__file__).resolve().parents[2] / "data" / "indicators" / "wimd2019.json"


@cache
def _lsoas(path: Path) -> list[AreaInput]:
    fields = AreaFields(
        code="lsoa11cd", name_en="lsoa11nm", name_cy="lsoa11nmw", population="population_mid2019"
    )
    good, bad, _repaired = read_areas(path, fields)
    assert bad == []
    return good


@cache
def wimd_rows(cardiff_dir: Path) -> dict[str, dict[str, str]]:
    """The WIMD 2019 CSV by LSOA code."""
    with (cardiff_dir / "wimd2019_lsoa11.csv").open(encoding="utf-8") as handle:
        return {row["lsoa11cd"]: row for row in csv.DictReader(handle)}


@pytest.fixture
def wimd(session: Session, cardiff_dir: Path) -> None:
    """Cardiff's LSOAs and WIMD 2019, imported."""
    areas = _lsoas(cardiff_dir / "lsoa11_wimd2019_population.geojson")
    save_areas(session, level="lsoa", areas=areas, centroids={}, source="test")
    report = import_indicators(
        session,
        csv_path=cardiff_dir / "wimd2019_lsoa11.csv",
        meta_path=WIMD_META,
        area_code_column="lsoa11cd",
    )
    assert report.ok
    session.commit()


def independent_percentile(value: float, values: list[float], higher_is_more_need: bool) -> float:
    """Need percentile counted directly: areas with less need, plus half the ties."""
    need = (lambda v: v) if higher_is_more_need else (lambda v: -v)
    less = sum(1 for v in values if need(v) < need(value))
    equal = sum(1 for v in values if v == value)
    mid_rank = less + (equal + 1) / 2
    return 100 * (mid_rank - 1) / (len(values) - 1)


def test_indicators_are_listed_with_metadata_and_themes(client: TestClient, wimd: None) -> None:
    response = client.get("/api/v1/indicators")
    assert response.status_code == 200
    items = {i["code"]: i for i in response.json()["items"]}
    assert len(items) == 18
    rank = items["wimd2019_health_rank"]
    assert rank["higher_is_more_need"] is False and rank["unit"] == "rank"
    assert rank["themes"] == ["health_wellbeing", "mental_health"]
    assert rank["label_cy"] == "MALlC 2019, parth Iechyd: safle"
    assert rank["value_count"] == 214
    assert items["wimd2019_health_score"]["higher_is_more_need"] is True


def test_indicators_filter_by_theme(client: TestClient, wimd: None) -> None:
    response = client.get("/api/v1/indicators", params={"theme": "transport"})
    codes = [i["code"] for i in response.json()["items"]]
    assert codes == ["wimd2019_access_to_services_rank", "wimd2019_access_to_services_score"]


def test_an_unknown_theme_is_a_422(client: TestClient, wimd: None) -> None:
    response = client.get("/api/v1/indicators", params={"theme": "astrology"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "theme"]


def test_indicator_list_as_csv(client: TestClient, wimd: None) -> None:
    response = client.get("/api/v1/indicators", params={"f": "csv"})
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 18
    income = next(r for r in rows if r["code"] == "wimd2019_income_score")
    assert (income["themes"], income["higher_is_more_need"]) == ("food;money_advice", "true")


def test_one_indicators_metadata(client: TestClient, wimd: None) -> None:
    body = client.get("/api/v1/indicators/wimd2019_overall_rank").json()
    assert body["source"] == "Welsh Government, Welsh Index of Multiple Deprivation 2019"
    assert (body["year"], body["licence"]) == (2019, "OGL v3")
    assert "1 = most deprived" in body["description_en"]


def test_an_unknown_indicator_is_a_404(client: TestClient, wimd: None) -> None:
    for path in ("/api/v1/indicators/nope", "/api/v1/indicators/nope/values"):
        response = client.get(path)
        assert response.status_code == 404
        assert "indicator 'nope' not found" in response.json()["detail"]


def test_values_cover_every_lsoa_with_the_csv_values(
    client: TestClient, wimd: None, cardiff_dir: Path
) -> None:
    body = client.get("/api/v1/indicators/wimd2019_overall_rank/values").json()
    rows = wimd_rows(cardiff_dir)
    assert body["numberReturned"] == 214 == len(body["items"])
    assert {i["area_code"]: i["value"] for i in body["items"]} == {
        code: float(row["wimd2019_rank"]) for code, row in rows.items()
    }
    first = next(i for i in body["items"] if i["area_code"] == "W01001694")
    assert (first["area_name"], first["area_name_cy"], first["value"]) == (
        "Cardiff 036A",
        "Caerdydd 036A",
        184.0,
    )
    assert "mid-rank" in body["method"] and body["indicator"]["code"] == "wimd2019_overall_rank"


@pytest.mark.parametrize(
    ("code", "column", "higher_is_more_need"),
    [
        ("wimd2019_overall_rank", "wimd2019_rank", False),
        ("wimd2019_income_score", "income_score", True),
        ("wimd2019_housing_rank", "housing_rank", False),
    ],
)
def test_need_percentiles_and_deciles_match_an_independent_count(
    client: TestClient,
    wimd: None,
    cardiff_dir: Path,
    code: str,
    column: str,
    higher_is_more_need: bool,
) -> None:
    values = {c: float(row[column]) for c, row in wimd_rows(cardiff_dir).items()}
    items = client.get(f"/api/v1/indicators/{code}/values").json()["items"]
    for item in items:
        expected = independent_percentile(
            values[item["area_code"]], list(values.values()), higher_is_more_need
        )
        assert item["need_percentile"] == pytest.approx(expected, abs=1e-9)
        assert item["decile"] == 11 - max(1, -(-expected // 10))  # 1 = most need, as WIMD
    most = max(items, key=lambda i: i["need_percentile"])
    assert most["need_percentile"] == 100 and most["decile"] == 1
    if code == "wimd2019_overall_rank":
        assert most["area_code"] == "W01001874" and most["value"] == 12  # most deprived in Cardiff
    deciles = [i["decile"] for i in items]
    assert {d: deciles.count(d) for d in (1, 10)} == {1: 22, 10: 22}


def test_values_for_chosen_areas_keep_their_place_among_all(client: TestClient, wimd: None) -> None:
    url = "/api/v1/indicators/wimd2019_overall_rank/values"
    everything = {i["area_code"]: i for i in client.get(url).json()["items"]}
    chosen = client.get(url, params=[("area", "W01001694"), ("area", "W01001874")]).json()
    assert [i["area_code"] for i in chosen["items"]] == ["W01001694", "W01001874"]
    for item in chosen["items"]:
        assert item == everything[item["area_code"]]


def test_values_of_a_level_with_none_are_empty(client: TestClient, wimd: None) -> None:
    body = client.get("/api/v1/indicators/wimd2019_overall_rank/values?level=msoa").json()
    assert body["items"] == [] and body["numberReturned"] == 0


def test_bad_value_queries_are_422(client: TestClient, wimd: None) -> None:
    url = "/api/v1/indicators/wimd2019_overall_rank/values"
    cases = [
        ({"area": "W01999999"}, ["query", "area"]),
        ({"level": "county"}, ["query", "level"]),
        ({"f": "geojson"}, ["query", "f"]),
    ]
    for params, loc in cases:
        response = client.get(url, params=params)
        assert response.status_code == 422, params
        assert response.json()["detail"][0]["loc"] == loc


def test_values_as_csv(client: TestClient, wimd: None) -> None:
    response = client.get(
        "/api/v1/indicators/wimd2019_income_score/values", params={"f": "csv", "area": "W01001694"}
    )
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 1
    assert rows[0]["indicator"] == "wimd2019_income_score"
    assert (rows[0]["area_code"], rows[0]["value"]) == ("W01001694", "47.5187")
    assert 1 <= int(rows[0]["decile"]) <= 10


def test_no_indicators_is_an_empty_list(client: TestClient) -> None:
    assert client.get("/api/v1/indicators").json() == {"items": []}
