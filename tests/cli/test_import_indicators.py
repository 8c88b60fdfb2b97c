"""`assetmap import indicators`: values per area and their metadata; all or nothing."""

from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.models import Indicator, IndicatorValue
from app.services.demo import DEMO_AREAS, DEMO_INDICATOR_META, DEMO_INDICATORS
from app.settings import PROJECT_DIR
from tests.cli.conftest import Invoke, count

WIMD_META = PROJECT_DIR / "data" / "indicators" / "wimd2019.json"


@pytest.fixture
def demo_areas(assetmap: Invoke) -> None:
    """The 20 fictional demo areas, imported with the command line."""
    result = assetmap("import", "areas", str(DEMO_AREAS), "--level", "lsoa")
    assert result.exit_code == 0, result.output


def indicator_args(csv_path: Path, *more: str) -> tuple[str, ...]:
    """`import indicators CSV --meta <demo meta> --area-column area_code ...`."""
    meta = ("--meta", str(DEMO_INDICATOR_META), "--area-column", "area_code")
    return ("import", "indicators", str(csv_path), *meta, *more)


def test_real_wimd_2019_imports_with_one_command(
    assetmap: Invoke, db: Engine, cardiff_lsoas: int, cardiff_dir: Path
) -> None:
    args = (
        "import", "indicators", str(cardiff_dir / "wimd2019_lsoa11.csv"),
        "--meta", str(WIMD_META), "--area-column", "lsoa11cd",
    )  # fmt: skip
    result = assetmap(*args)

    assert result.exit_code == 0, result.output
    assert "214 rows: indicators 18 created" in result.output
    assert "values 3852 created" in result.output
    assert (count(db, Indicator), count(db, IndicatorValue)) == (18, 18 * 214)
    again = assetmap(*args)
    assert "indicators 0 created, 0 updated, 18 unchanged" in again.output
    assert "values 0 created, 0 updated, 3852 unchanged" in again.output


def test_the_demo_indicators_import_for_every_demo_area(
    assetmap: Invoke, db: Engine, demo_areas: None
) -> None:
    result = assetmap(*indicator_args(DEMO_INDICATORS))

    assert result.exit_code == 0, result.output
    assert "20 rows: indicators 4 created" in result.output
    with Session(db) as session:
        sources = set(session.scalars(select(Indicator.source)))
    assert sources == {"assetmap demo (fictional)"}
    assert count(db, IndicatorValue) == 4 * 20


def test_a_bad_cell_is_reported_by_line_and_column_and_nothing_is_written(
    assetmap: Invoke, db: Engine, demo_areas: None, tmp_path: Path
) -> None:
    lines = DEMO_INDICATORS.read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace(lines[2].split(",")[1], "lots", 1)
    lines.append("X09999999,1,1,1,1")
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = assetmap(*indicator_args(bad))

    assert result.exit_code == 1
    assert "line 3: aberllyn_need_index: 'lots' is not a finite number" in result.output
    assert "line 22: area_code: unknown area 'X09999999' (import the areas first)" in (
        result.output
    )
    assert "2 problems; nothing was written" in result.output
    assert (count(db, Indicator), count(db, IndicatorValue)) == (0, 0)


def test_unknown_areas_can_be_skipped(
    assetmap: Invoke, db: Engine, demo_areas: None, tmp_path: Path
) -> None:
    wider = tmp_path / "wider.csv"
    wider.write_text(
        DEMO_INDICATORS.read_text(encoding="utf-8") + "X09999999,1,1,1,1\n", encoding="utf-8"
    )

    result = assetmap(*indicator_args(wider, "--ignore-unknown-areas"))

    assert result.exit_code == 0, result.output
    assert "1 rows of unknown areas skipped" in result.output
    assert count(db, IndicatorValue) == 4 * 20


def test_dry_run_reports_and_writes_nothing(assetmap: Invoke, db: Engine, demo_areas: None) -> None:
    result = assetmap(*indicator_args(DEMO_INDICATORS, "--dry-run"))

    assert result.exit_code == 0, result.output
    assert "indicators 4 would be created" in result.output
    assert "(dry run: nothing written)" in result.output
    assert (count(db, Indicator), count(db, IndicatorValue)) == (0, 0)
