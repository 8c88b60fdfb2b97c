"""`assetmap import postcodes`: centroids with their small area; all or nothing."""

from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.models import Postcode
from tests.cli.conftest import Invoke, count


def write(path: Path, text: str) -> Path:
    """A file with this text."""
    path.write_text(text, encoding="utf-8")
    return path


def test_the_real_cardiff_postcodes_import_with_their_lsoa(
    assetmap: Invoke, db: Engine, cardiff_dir: Path
) -> None:
    args = ("import", "postcodes", str(cardiff_dir / "postcodes.csv"), "--area-column", "lsoa11cd")

    result = assetmap(*args)

    assert result.exit_code == 0, result.output
    assert "postcodes.csv: 7679 postcodes: 7679 created, 0 updated, 0 unchanged" in result.output
    with Session(db) as session:
        area = session.scalar(select(Postcode.area_code).where(Postcode.postcode == "CF10 1AA"))
    assert area == "W01001941"
    again = assetmap(*args)
    assert "7679 postcodes: 0 created, 0 updated, 7679 unchanged" in again.output


def test_columns_can_be_named_and_postcodes_are_normalised(
    assetmap: Invoke, db: Engine, tmp_path: Path
) -> None:
    path = write(tmp_path / "pc.csv", "pcd,y,x,lsoa\ncf101aa,51.479102,-3.178085,W01001941\n")

    result = assetmap(
        "import", "postcodes", str(path), "--postcode-column", "pcd",
        "--lat-column", "y", "--lon-column", "x", "--area-column", "lsoa",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    with Session(db) as session:
        assert session.scalars(select(Postcode.postcode)).all() == ["CF10 1AA"]


def test_bad_rows_are_reported_by_line_and_column_and_nothing_is_written(
    assetmap: Invoke, db: Engine, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "pc.csv",
        "postcode,lat,lon\n"
        "CF10 1AA,51.479102,-3.178085\n"
        "not a postcode,51.47,-3.17\n"
        "CF10 1AB,north,-3.1779\n"
        "CF10 1AA,51.48,-3.17\n",
    )

    result = assetmap("import", "postcodes", str(path))

    assert result.exit_code == 1
    for expected in (
        "line 3: postcode: 'not a postcode'",
        "line 4: lat: 'north' is not a finite number",
        "line 5: postcode: CF10 1AA is also on line 2",
        "3 problems; nothing was written",
    ):
        assert expected in result.output
    assert count(db, Postcode) == 0


def test_a_missing_column_is_named(assetmap: Invoke, db: Engine, tmp_path: Path) -> None:
    path = write(tmp_path / "pc.csv", "postcode,lat,lon\nCF10 1AA,51.479102,-3.178085\n")

    result = assetmap("import", "postcodes", str(path), "--area-column", "lsoa11cd")

    assert result.exit_code == 1
    assert "line 1: lsoa11cd: no such column" in result.output
    assert count(db, Postcode) == 0


def test_dry_run_reports_and_writes_nothing(assetmap: Invoke, db: Engine, tmp_path: Path) -> None:
    path = write(tmp_path / "pc.csv", "postcode,lat,lon\nCF10 1AA,51.479102,-3.178085\n")

    result = assetmap("import", "postcodes", str(path), "--dry-run")

    assert result.exit_code == 0, result.output
    assert "1 postcodes: 1 would be created" in result.output
    assert count(db, Postcode) == 0
