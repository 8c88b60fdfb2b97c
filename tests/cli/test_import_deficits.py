"""`assetmap import deficits`: reported service gaps from CSV or GeoJSON; all or nothing."""

import json
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.models import Deficit
from app.services.demo import DEMO_DEFICITS
from tests.cli.conftest import Invoke, audit_count, count

HEADER = "theme,title_en,severity,source_id,lon,lat\n"


def write(path: Path, text: str) -> Path:
    """A file with this text."""
    path.write_text(text, encoding="utf-8")
    return path


def test_the_demo_deficits_import_and_a_second_import_changes_nothing(
    assetmap: Invoke, db: Engine
) -> None:
    result = assetmap("import", "deficits", str(DEMO_DEFICITS))

    assert result.exit_code == 0, result.output
    assert "aberllyn_deficits.csv (csv): 12 records: 12 created, 0 updated" in result.output
    events = audit_count(db)
    again = assetmap("import", "deficits", str(DEMO_DEFICITS))
    assert "12 records: 0 created, 0 updated, 12 unchanged" in again.output
    assert (count(db, Deficit), audit_count(db)) == (12, events)


def test_source_fills_records_without_one(assetmap: Invoke, db: Engine, tmp_path: Path) -> None:
    path = write(tmp_path / "d.csv", HEADER + "transport,No bus after 7pm,3,b1,-3.17,51.48\n")

    result = assetmap("import", "deficits", str(path), "--source", "council survey")

    assert result.exit_code == 0, result.output
    with Session(db) as session:
        assert session.execute(select(Deficit.source, Deficit.source_id)).all() == [
            ("council survey", "b1")
        ]


def test_bad_records_are_reported_by_line_and_field_and_nothing_is_written(
    assetmap: Invoke, db: Engine, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "d.csv",
        HEADER
        + "transport,No bus after 7pm,3,b1,-3.17,51.48\n"
        + "buses,No bus on Sundays,3,b2,-3.17,51.48\n"
        + "food,Food bank closed,9,b3,-3.17,51.48\n",
    )

    result = assetmap("import", "deficits", str(path), "--source", "council survey")

    assert result.exit_code == 1
    assert "2 of 3 records cannot be imported; nothing was written" in result.output
    assert "line 3: theme: unknown theme 'buses'" in result.output
    assert "line 4: severity:" in result.output
    assert count(db, Deficit) == 0


def test_a_geojson_feature_is_reported_by_number(
    assetmap: Invoke, db: Engine, tmp_path: Path
) -> None:
    feature = {
        "type": "Feature",
        "properties": {"theme": "food", "title_en": "No shop", "severity": 2, "source_id": "g1"},
        "geometry": {"type": "LineString", "coordinates": [[-3.1, 51.4], [-3.2, 51.5]]},
    }
    path = write(
        tmp_path / "d.geojson", json.dumps({"type": "FeatureCollection", "features": [feature]})
    )

    result = assetmap("import", "deficits", str(path), "--source", "survey")

    assert result.exit_code == 1
    assert "feature 1: geometry: must be a Point (location) or a Polygon" in result.output
    assert count(db, Deficit) == 0


def test_dry_run_reports_and_writes_nothing(assetmap: Invoke, db: Engine) -> None:
    result = assetmap("import", "deficits", str(DEMO_DEFICITS), "--dry-run")

    assert result.exit_code == 0, result.output
    assert "12 would be created" in result.output and "dry run: nothing written" in result.output
    assert count(db, Deficit) == 0


def test_a_file_of_another_format_is_an_error(assetmap: Invoke, db: Engine, tmp_path: Path) -> None:
    result = assetmap("import", "deficits", str(write(tmp_path / "notes.txt", "hello")))

    assert result.exit_code == 2
    assert "notes.txt: unknown format" in result.output
