"""Importing need indicators (WIMD 2019 on the real Cardiff data) and ranking need."""

import csv
import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from shapely.geometry import MultiPolygon, box
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Indicator, IndicatorTheme, IndicatorValue
from app.services.needs.areas import AreaFields, AreaInput, read_areas, save_areas
from app.services.needs.indicators import (
    get_indicator,
    import_indicators,
    indicator_values,
    list_indicators,
    national_decile,
    need_decile,
    need_percentiles,
    ranked_among,
)

PROJECT_DIR = Path(__file__).resolve().parents[2]
WIMD_META = PROJECT_DIR / "data" / "indicators" / "wimd2019.json"
LSOA_FIELDS = AreaFields(
    code="lsoa11cd", name_en="lsoa11nm", name_cy="lsoa11nmw", population="population_mid2019"
)
DOMAINS = (
    "overall",
    "income",
    "employment",
    "health",
    "education",
    "access_to_services",
    "housing",
    "community_safety",
    "physical_environment",
)


@cache
def _cardiff_lsoas(path: Path) -> list[AreaInput]:
    good, bad, _repaired = read_areas(path, LSOA_FIELDS)
    assert bad == []
    return good


@pytest.fixture
def cardiff_lsoas(session: Session, cardiff_dir: Path) -> list[str]:
    """The 214 Cardiff LSOAs saved as areas; returns their codes."""
    areas = _cardiff_lsoas(cardiff_dir / "lsoa11_wimd2019_population.geojson")
    save_areas(session, level="lsoa", areas=areas, centroids={}, source="test")
    session.commit()
    return [a.code for a in areas]


def import_wimd(session: Session, cardiff_dir: Path, **options: Any) -> Any:
    """Import the real WIMD 2019 CSV with the committed metadata; commit when it went through."""
    report = import_indicators(
        session,
        csv_path=cardiff_dir / "wimd2019_lsoa11.csv",
        meta_path=WIMD_META,
        area_code_column="lsoa11cd",
        **options,
    )
    if report.ok and not report.dry_run:
        session.commit()
    return report


def add_squares(session: Session, codes: list[str], level: str = "lsoa") -> None:
    """Small square areas in Cardiff, one per code (for synthetic files)."""
    areas = [
        AreaInput(
            number=i,
            code=code,
            name_en=f"Area {code}",
            name_cy=f"Ardal {code}",
            population=100,
            parent_code=None,
            geom=MultiPolygon([box(-3.2 + i * 0.01, 51.48, -3.195 + i * 0.01, 51.485)]),
        )
        for i, code in enumerate(codes)
    ]
    save_areas(session, level=level, areas=areas, centroids={}, source="test")
    session.commit()


def meta_file(tmp_path: Path, *indicators: dict[str, Any]) -> Path:
    """A metadata file with these indicators (defaults fill in what they leave out)."""
    base = {
        "label_en": "Test",
        "label_cy": "Prawf",
        "unit": "score",
        "higher_is_more_need": True,
        "themes": ["food"],
        "source": "Test source",
        "year": 2024,
        "licence": "OGL v3",
    }
    path = tmp_path / "meta.json"
    path.write_text(json.dumps({"indicators": [{**base, **i} for i in indicators]}), "utf-8")
    return path


def csv_file(tmp_path: Path, text: str) -> Path:
    """A CSV file with this text."""
    path = tmp_path / "values.csv"
    path.write_text(text, encoding="utf-8")
    return path


def stored_values(session: Session) -> list[tuple[str, int, float]]:
    """Every stored (indicator, area id, value), sorted."""
    stmt = select(IndicatorValue.indicator_code, IndicatorValue.area_id, IndicatorValue.value)
    return sorted((code, area_id, value) for code, area_id, value in session.execute(stmt))


def value_count(session: Session) -> int:
    """How many indicator values are stored."""
    return session.scalar(select(func.count()).select_from(IndicatorValue)) or 0


# ---- need percentiles (no database) ------------------------------------------------------------


def test_need_percentile_is_100_for_the_most_need_and_0_for_the_least() -> None:
    assert need_percentiles({"a": 1.0, "b": 2.0, "c": 3.0}, True) == {"a": 0, "b": 50, "c": 100}


def test_need_percentile_honours_lower_is_more_need() -> None:
    ranks = {"a": 1.0, "b": 2.0, "c": 3.0, "d": 4.0, "e": 5.0}
    assert need_percentiles(ranks, False) == {"a": 100, "b": 75, "c": 50, "d": 25, "e": 0}


def test_tied_values_share_their_mid_rank() -> None:
    result = need_percentiles({"a": 1.0, "b": 2.0, "c": 2.0, "d": 3.0, "e": 4.0}, True)
    # b and c span ranks 2 and 3: mid-rank 2.5 -> 100 * 1.5 / 4
    assert result == {"a": 0, "b": 37.5, "c": 37.5, "d": 75, "e": 100}


def test_one_area_alone_is_in_the_middle_and_no_areas_give_nothing() -> None:
    assert need_percentiles({"a": 7.0}, True) == {"a": 50}
    assert need_percentiles({}, False) == {}


def test_deciles_cover_tenths_with_1_for_most_need_as_wimd() -> None:
    assert [need_decile(p) for p in (0, 5, 10, 10.01, 50, 89.9, 90.01, 100)] == [
        10,
        10,
        10,
        9,
        6,
        2,
        1,
        1,
    ]


def test_national_deciles_are_wimds_own() -> None:
    wimd = {"unit": "rank", "higher_is_more_need": False,
            "source": "Welsh Government, Welsh Index of Multiple Deprivation 2019"}  # fmt: skip
    assert ranked_among(wimd) == 1909
    assert ranked_among({**wimd, "unit": "score", "higher_is_more_need": True}) is None
    assert ranked_among({**wimd, "source": "assetmap demo (fictional)"}) is None
    # ceil(rank * 10 / 1909), as the Cardiff folder derives its `*_decile` columns.
    assert [national_decile(r, 1909) for r in (1, 190, 191, 1718, 1719, 1909)] == [
        1, 1, 2, 9, 10, 10,
    ]  # fmt: skip


# ---- WIMD 2019 on the real data ----------------------------------------------------------------


def test_wimd_metadata_has_the_index_and_eight_domains_as_ranks_and_scores() -> None:
    items = json.loads(WIMD_META.read_text("utf-8"))["indicators"]
    codes = {i["code"] for i in items}
    assert codes == {f"wimd2019_{d}_{kind}" for d in DOMAINS for kind in ("rank", "score")}
    for item in items:
        assert item["higher_is_more_need"] is item["code"].endswith("_score")
        assert "decile" not in item["column"] and "quintile" not in item["column"]
        assert "within_la" not in item["column"]
        assert item["source"] == "Welsh Government, Welsh Index of Multiple Deprivation 2019"
        assert (item["licence"], item["year"]) == ("OGL v3", 2019)
        assert "MALlC 2019" in item["label_cy"]
        if item["code"].endswith("_score"):
            assert "ranks, not scores" in item["description_en"]


def test_wimd_import_covers_all_214_cardiff_lsoas(
    session: Session, cardiff_dir: Path, cardiff_lsoas: list[str]
) -> None:
    report = import_wimd(session, cardiff_dir)
    assert report.problems == []
    assert (report.rows, report.indicators_created, report.values_created) == (214, 18, 18 * 214)
    assert (report.missing_values, report.unknown_areas) == (0, 0)
    records = list_indicators(session)
    assert len(records) == 18
    assert {r["value_count"] for r in records} == {214}
    values = indicator_values(session, "wimd2019_health_rank")
    assert sorted(v["area_code"] for v in values) == sorted(cardiff_lsoas)


def test_wimd_values_are_the_csv_values(
    session: Session, cardiff_dir: Path, cardiff_lsoas: list[str]
) -> None:
    import_wimd(session, cardiff_dir)
    by_code = {v["area_code"]: v for v in indicator_values(session, "wimd2019_income_score")}
    assert by_code["W01001694"]["value"] == 47.5187  # Cardiff 036A, straight from the CSV
    assert by_code["W01001694"]["area_name"] == "Cardiff 036A"
    with (cardiff_dir / "wimd2019_lsoa11.csv").open(encoding="utf-8") as handle:
        rows = {row["lsoa11cd"]: row for row in csv.DictReader(handle)}
    meta = json.loads(WIMD_META.read_text("utf-8"))["indicators"]
    for item in meta:
        stored = {v["area_code"]: v["value"] for v in indicator_values(session, item["code"])}
        assert stored == {code: float(row[item["column"]]) for code, row in rows.items()}


def test_wimd_themes_follow_the_domains(
    session: Session, cardiff_dir: Path, cardiff_lsoas: list[str]
) -> None:
    import_wimd(session, cardiff_dir)
    assert get_indicator(session, "wimd2019_income_rank")["themes"] == ["food", "money_advice"]
    housing = {r["code"] for r in list_indicators(session, theme="housing")}
    assert housing == {"wimd2019_housing_rank", "wimd2019_housing_score"}


def test_reimporting_wimd_changes_nothing(
    session: Session, cardiff_dir: Path, cardiff_lsoas: list[str]
) -> None:
    import_wimd(session, cardiff_dir)
    before = stored_values(session)
    report = import_wimd(session, cardiff_dir)
    assert (report.indicators_unchanged, report.values_unchanged) == (18, 18 * 214)
    assert report.indicators_created + report.indicators_updated == 0
    assert report.values_created + report.values_updated + report.values_removed == 0
    assert stored_values(session) == before


def test_wimd_rows_of_areas_not_loaded_are_bad_unless_skipped(
    session: Session, cardiff_dir: Path
) -> None:
    add_squares(session, ["W01001694", "W01001695"])
    report = import_wimd(session, cardiff_dir)
    assert len(report.problems) == 212 and value_count(session) == 0
    assert str(report.problems[0]).endswith("(import the areas first)")
    report = import_wimd(session, cardiff_dir, ignore_unknown_areas=True)
    assert report.problems == [] and report.unknown_areas == 212
    assert value_count(session) == 2 * 18


def test_dry_run_reports_without_writing(
    session: Session, cardiff_dir: Path, cardiff_lsoas: list[str]
) -> None:
    report = import_wimd(session, cardiff_dir, dry_run=True)
    assert report.ok and (report.indicators_created, report.values_created) == (18, 18 * 214)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Indicator)) == 0
    assert value_count(session) == 0


# ---- bad files write nothing -------------------------------------------------------------------


def test_a_text_value_is_a_bad_row_by_line_and_column_and_nothing_is_written(
    session: Session, tmp_path: Path
) -> None:
    add_squares(session, ["A1", "A2", "A3"])
    path = csv_file(tmp_path, "code,x,y\nA1,1,2\nA2,3,lots\nA3,5,6\n")
    report = import_indicators(
        session,
        csv_path=path,
        meta_path=meta_file(tmp_path, {"code": "x"}, {"code": "y"}),
        area_code_column="code",
    )
    assert [(p.file, p.number, p.field) for p in report.problems] == [("csv", 3, "y")]
    assert "'lots' is not a finite number" in report.problems[0].reason
    assert session.scalar(select(func.count()).select_from(Indicator)) == 0
    assert value_count(session) == 0


@pytest.mark.parametrize("text", ["nan", "inf", "-Infinity", "1_000", "1,5", "٣"])
def test_values_must_be_plain_finite_numbers(session: Session, tmp_path: Path, text: str) -> None:
    add_squares(session, ["A1"])
    report = import_indicators(
        session,
        csv_path=csv_file(tmp_path, f'code,x\nA1,"{text}"\n'),
        meta_path=meta_file(tmp_path, {"code": "x"}),
        area_code_column="code",
    )
    assert [(p.number, p.field) for p in report.problems] == [(2, "x")]


def test_an_unknown_area_is_a_bad_row(session: Session, tmp_path: Path) -> None:
    add_squares(session, ["A1"])
    report = import_indicators(
        session,
        csv_path=csv_file(tmp_path, "code,x\nA1,1\nZZ9,2\n"),
        meta_path=meta_file(tmp_path, {"code": "x"}),
        area_code_column="code",
    )
    assert [(p.number, p.field) for p in report.problems] == [(3, "code")]
    assert "unknown area 'ZZ9'" in report.problems[0].reason
    assert value_count(session) == 0


def test_an_unknown_theme_in_the_metadata_writes_nothing(session: Session, tmp_path: Path) -> None:
    add_squares(session, ["A1"])
    report = import_indicators(
        session,
        csv_path=csv_file(tmp_path, "code,x,y\nA1,1,2\n"),
        meta_path=meta_file(
            tmp_path, {"code": "x"}, {"code": "y", "themes": ["food", "astrology"]}
        ),
        area_code_column="code",
    )
    assert [(p.file, p.number, p.field) for p in report.problems] == [("meta", 2, "themes")]
    assert "unknown theme 'astrology'" in str(report.problems[0])
    assert session.scalar(select(func.count()).select_from(Indicator)) == 0
    assert value_count(session) == 0


def test_metadata_fields_are_checked(session: Session, tmp_path: Path) -> None:
    add_squares(session, ["A1"])
    meta = meta_file(
        tmp_path,
        {"code": "x", "higher_is_more_need": "yes"},
        {"code": "x"},
        {"code": "bad code!", "year": "2019", "colour": "red"},
    )
    report = import_indicators(
        session,
        csv_path=csv_file(tmp_path, "code,x\nA1,1\n"),
        meta_path=meta,
        area_code_column="code",
    )
    found = {(p.number, p.field) for p in report.problems}
    assert found == {(1, "higher_is_more_need"), (3, "code"), (3, "year"), (3, "colour")}


def test_a_missing_column_is_reported_on_the_header_line(session: Session, tmp_path: Path) -> None:
    add_squares(session, ["A1"])
    report = import_indicators(
        session,
        csv_path=csv_file(tmp_path, "code,x\nA1,1\n"),
        meta_path=meta_file(tmp_path, {"code": "x"}, {"code": "z", "column": "zed"}),
        area_code_column="area",
    )
    assert {(p.number, p.field) for p in report.problems} == {(1, "area"), (1, "zed")}


def test_empty_cells_are_skipped_and_counted(session: Session, tmp_path: Path) -> None:
    add_squares(session, ["A1", "A2"])
    report = import_indicators(
        session,
        csv_path=csv_file(tmp_path, "code,x,y\nA1,1,\nA2, ,4\n"),
        meta_path=meta_file(tmp_path, {"code": "x"}, {"code": "y"}),
        area_code_column="code",
    )
    assert report.ok and (report.missing_values, report.values_created) == (2, 2)


def test_reimport_replaces_values_of_the_areas_in_the_file_and_updates_metadata(
    session: Session, tmp_path: Path
) -> None:
    add_squares(session, ["A1", "A2", "A3"])
    first = csv_file(tmp_path, "code,x\nA1,1\nA2,2\nA3,3\n")
    meta = meta_file(tmp_path, {"code": "x"})
    assert import_indicators(session, csv_path=first, meta_path=meta, area_code_column="code").ok
    session.commit()
    second = tmp_path / "second.csv"
    second.write_text("code,x\nA1,10\nA2,\n", encoding="utf-8")
    meta = meta_file(tmp_path, {"code": "x", "label_en": "Renamed", "themes": ["housing"]})
    report = import_indicators(session, csv_path=second, meta_path=meta, area_code_column="code")
    session.commit()
    assert (report.indicators_updated, report.values_updated, report.values_removed) == (1, 1, 1)
    values = {v["area_code"]: v["value"] for v in indicator_values(session, "x")}
    assert values == {"A1": 10.0, "A3": 3.0}  # A3 is not in the second file: kept
    assert get_indicator(session, "x")["label_en"] == "Renamed"
    themes = session.scalars(select(IndicatorTheme.theme_code)).all()
    assert themes == ["housing"]


def test_percentiles_compare_areas_of_the_same_level_only(session: Session, tmp_path: Path) -> None:
    add_squares(session, ["L1", "L2", "L3"])
    add_squares(session, ["M1", "M2"], level="msoa")
    path = csv_file(tmp_path, "code,x\nL1,1\nL2,2\nL3,3\nM1,100\nM2,50\n")
    meta = meta_file(tmp_path, {"code": "x", "higher_is_more_need": False})
    assert import_indicators(session, csv_path=path, meta_path=meta, area_code_column="code").ok
    rows = {
        v["area_code"]: (v["need_percentile"], v["decile"]) for v in indicator_values(session, "x")
    }
    # Deciles as WIMD's run: 1 = most need.
    assert rows == {
        "L1": (100, 1),
        "L2": (50, 6),
        "L3": (0, 10),
        "M1": (0, 10),
        "M2": (100, 1),
    }
    only = indicator_values(session, "x", level="lsoa", area_codes=["L2"])
    assert [(v["area_code"], v["need_percentile"]) for v in only] == [("L2", 50)]


def test_an_area_listed_twice_and_a_short_row_are_bad_rows(
    session: Session, tmp_path: Path
) -> None:
    add_squares(session, ["A1", "A2"])
    report = import_indicators(
        session,
        csv_path=csv_file(tmp_path, "code,x\nA1,1\nA2\nA1,3\n"),
        meta_path=meta_file(tmp_path, {"code": "x"}),
        area_code_column="code",
    )
    assert [(p.number, p.field) for p in report.problems] == [(3, "row"), (4, "code")]
    assert "also on line 2" in report.problems[1].reason
    assert value_count(session) == 0
