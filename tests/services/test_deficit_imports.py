"""Importing deficits from CSV and GeoJSON: validated, all or nothing, idempotent by source key."""

from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import AuditEvent, Deficit
from app.schemas.deficits import DeficitCreate, deficits_csv, today_in_wales
from app.services.assets.visibility import SYSTEM
from app.services.imports.deficits import import_deficits
from app.services.imports.formats import SourceFileError
from app.services.needs import deficits as service

HEADER = (
    "theme,title_en,title_cy,description_en,description_cy,severity,status,source,source_id,"
    "reporter,reported_on,lon,lat,area"
)
AREA_WKT = "POLYGON ((-3.20 51.47, -3.15 51.47, -3.15 51.50, -3.20 51.50, -3.20 51.47))"
GOOD_ROWS = [
    "transport,No bus after 7pm,Dim bws ar ôl 7yh,,,3,open,council,B1,Gwen Jones,2025-03-01,"
    "-3.1566,51.4812,",
    f'food,Food bank closed,,,,4,,council,F1,,2025-02-10,,,"{AREA_WKT}"',
    'money_advice,"Advice desk gone, no drop-in",,"Was on Tuesdays",,2,addressed,council,M1,,'
    f'2024-11-05,-3.18,51.49,"{AREA_WKT}"',
]


def write_csv(path: Path, rows: list[str], header: str = HEADER) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def count(session: Session, model: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def problems(report: Any) -> list[tuple[int, str]]:
    return [(p.number, p.field) for p in report.problems]


def test_csv_import_creates_every_row_with_point_and_area(session: Session, tmp_path: Path) -> None:
    report = import_deficits(session, path=write_csv(tmp_path / "d.csv", GOOD_ROWS))
    session.commit()
    assert report.ok, report.problems
    assert (report.records, report.created, report.updated, report.unchanged) == (3, 3, 0, 0)
    records = service.list_deficits(session, viewer=SYSTEM).records
    bus, food, advice = records
    assert (bus["lon"], bus["lat"], bus["area"]) == (-3.1566, 51.4812, None)
    assert bus["reporter"] == "Gwen Jones" and bus["title_cy"] == "Dim bws ar ôl 7yh"
    assert food["lon"] is None and food["area"].bounds == (-3.2, 51.47, -3.15, 51.5)
    assert food["status"] == "open"
    assert advice["title_en"] == "Advice desk gone, no drop-in"
    assert advice["status"] == "addressed" and advice["area"] is not None
    assert count(session, AuditEvent) == 3


def test_reimporting_the_same_file_changes_nothing(session: Session, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "d.csv", GOOD_ROWS)
    import_deficits(session, path=path)
    session.commit()
    again = import_deficits(session, path=path)
    session.commit()
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert count(session, Deficit) == 3 and count(session, AuditEvent) == 3
    assert {r["version"] for r in service.list_deficits(session, viewer=SYSTEM).records} == {1}


def test_a_changed_row_updates_its_deficit_and_keeps_what_the_file_leaves_empty(
    session: Session, tmp_path: Path
) -> None:
    import_deficits(session, path=write_csv(tmp_path / "d.csv", GOOD_ROWS))
    session.commit()
    bus = service.list_deficits(session, viewer=SYSTEM, theme=["transport"]).records[0]
    service.update_deficit(
        session,
        viewer=SYSTEM,
        deficit_id=bus["id"],
        expected_version=1,
        data={"status": "addressed"},
    )
    session.commit()
    changed = [GOOD_ROWS[0].replace(",3,open,", ",5,,"), *GOOD_ROWS[1:]]
    report = import_deficits(session, path=write_csv(tmp_path / "e.csv", changed))
    session.commit()
    assert (report.created, report.updated, report.unchanged) == (0, 1, 2)
    after = service.get_deficit(session, viewer=SYSTEM, deficit_id=bus["id"])
    assert after["severity"] == 5 and after["version"] == 3
    assert after["status"] == "addressed"  # empty status: keep


def test_bad_rows_are_reported_by_line_and_field_and_nothing_is_written(
    session: Session, tmp_path: Path
) -> None:
    tomorrow = (today_in_wales() + timedelta(days=1)).isoformat()
    bad = [
        GOOD_ROWS[0],
        "transport,Zero,,,,0,,council,B2,,2025-01-01,-3.1,51.4,",  # line 3
        "no_such_theme,Unknown,,,,2,,council,B3,,2025-01-01,-3.1,51.4,",  # 4
        "transport,Nowhere,,,,2,,council,B4,,2025-01-01,,,",  # 5
        f"transport,Future,,,,2,,council,B5,,{tomorrow},-3.1,51.4,",  # 6
        "transport,Not a number,,,,2,,council,B6,,2025-01-01,nan,51.4,",  # 7
        'transport,Bow tie,,,,2,,council,B7,,2025-01-01,,,"POLYGON ((0 0, 1 1, 1 0, 0 1, 0 0))"',
        "transport,Same key,,,,2,,council,B1,,2025-01-01,-3.1,51.4,",  # 9
        "transport,No key,,,,2,,,,,2025-01-01,-3.1,51.4,",  # 10
        "transport,,,,,2,,council,B8,,2025-01-01,-3.1,51.4,",  # 11
        "transport,Half a point,,,,2,,council,B9,,2025-01-01,-3.1,,",  # 12
    ]
    report = import_deficits(session, path=write_csv(tmp_path / "bad.csv", bad))
    assert not report.ok
    assert problems(report) == [
        (3, "severity"),
        (4, "theme"),
        (5, "lon/lat"),
        (6, "reported_on"),
        (7, "lon/lat"),
        (8, "area"),
        (9, "source_id"),
        (10, "source_id"),
        (11, "title_en"),
        (12, "lon/lat"),
    ]
    reasons = {p.number: p.reason for p in report.problems}
    assert "greater than or equal to 1" in reasons[3]
    assert "no_such_theme" in reasons[4]
    assert "Self-intersection" in reasons[8]
    assert "as 2" in reasons[9]
    assert count(session, Deficit) == 0 and count(session, AuditEvent) == 0


def test_unknown_columns_are_reported_once_on_the_header_line(
    session: Session, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "d.csv", [r + ",x" for r in GOOD_ROWS], header=HEADER + ",ward")
    report = import_deficits(session, path=path)
    assert [(p.number, p.field, p.reason) for p in report.problems] == [
        (1, "ward", "not a deficit column")
    ]
    assert count(session, Deficit) == 0


def test_dry_run_counts_but_writes_nothing(session: Session, tmp_path: Path) -> None:
    report = import_deficits(session, path=write_csv(tmp_path / "d.csv", GOOD_ROWS), dry_run=True)
    assert report.ok and report.dry_run and report.created == 3
    assert count(session, Deficit) == 0


def test_the_source_option_fills_rows_without_a_source(session: Session, tmp_path: Path) -> None:
    rows = [GOOD_ROWS[0].replace(",council,", ",,")]
    report = import_deficits(session, path=write_csv(tmp_path / "d.csv", rows), source="survey")
    session.commit()
    assert report.ok, report.problems
    (record,) = service.list_deficits(session, viewer=SYSTEM).records
    assert (record["source"], record["source_id"]) == ("survey", "B1")


def test_our_own_csv_export_reimports_unchanged(session: Session, tmp_path: Path) -> None:
    area = {
        "type": "Polygon",
        "coordinates": [
            [[-3.1234567, 51.4], [-3.1, 51.4012345], [-3.11, 51.42], [-3.1234567, 51.4]]
        ],
    }
    for number, place in enumerate(({"area": area, "location": None}, {"area": area}, {})):
        body = {
            "theme": "health_wellbeing",
            "title_en": "=HYPERLINK(x)",
            "severity": 2,
            "source": "export",
            "source_id": str(number),
            "reporter": "Someone",
            "location": {"type": "Point", "coordinates": [-3.1712345678, 51.4812345678]},
            **place,
        }
        service.create_deficit(session, actor="t", data=DeficitCreate.model_validate(body))
    session.commit()
    records = service.list_deficits(session, viewer=SYSTEM).records
    path = tmp_path / "export.csv"
    path.write_text(deficits_csv(records, with_reporter=True), encoding="utf-8")
    report = import_deficits(session, path=path)
    assert report.ok, report.problems
    assert (report.created, report.updated, report.unchanged) == (0, 0, 3)


# ---- GeoJSON -----------------------------------------------------------------------------------


def feature(geometry: dict[str, Any] | None, **properties: Any) -> dict[str, Any]:
    props = {"theme": "transport", "title_en": "No bus", "severity": 3, "source": "geo"}
    return {"type": "Feature", "geometry": geometry, "properties": {**props, **properties}}


def write_geojson(path: Path, features: list[dict[str, Any]]) -> Path:
    path.write_bytes(orjson.dumps({"type": "FeatureCollection", "features": features}))
    return path


POINT = {"type": "Point", "coordinates": [-3.17, 51.48]}
SQUARE = {
    "type": "Polygon",
    "coordinates": [[[-3.2, 51.47], [-3.15, 51.47], [-3.15, 51.5], [-3.2, 51.5], [-3.2, 51.47]]],
}


def test_geojson_points_are_locations_and_polygons_are_areas(
    session: Session, tmp_path: Path
) -> None:
    features = [
        feature(POINT, source_id=1, reported_on="2025-01-02"),
        feature(SQUARE, source_id="2", reported_on="2025-01-02"),
        feature(POINT, source_id="3", area=SQUARE, reported_on="2025-01-02"),
    ]
    path = write_geojson(tmp_path / "d.geojson", features)
    report = import_deficits(session, path=path)
    session.commit()
    assert report.ok, report.problems
    point, area, both = service.list_deficits(session, viewer=SYSTEM).records
    assert point["source_id"] == "1" and point["area"] is None
    assert area["lon"] is None and area["area"].geom_type == "MultiPolygon"
    assert both["lon"] == -3.17 and both["area"] is not None
    again = import_deficits(session, path=path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)


def test_bad_features_are_reported_by_number(session: Session, tmp_path: Path) -> None:
    features = [
        feature(POINT, source_id="ok"),
        feature({"type": "LineString", "coordinates": [[0, 0], [1, 1]]}, source_id="line"),
        feature(POINT, source_id="sev", severity=6),
        feature(None, source_id="nowhere"),
        feature(POINT, source_id="extra", colour="red"),
        feature({"type": "Point", "coordinates": [-3.1, 95]}, source_id="lat"),
    ]
    report = import_deficits(session, path=write_geojson(tmp_path / "d.geojson", features))
    assert problems(report) == [
        (2, "geometry"),
        (3, "severity"),
        (4, "geometry"),
        (5, "colour"),
        (6, "geometry"),
    ]
    assert "latitude 95" in report.problems[-1].reason
    assert count(session, Deficit) == 0


def test_a_file_that_is_not_a_feature_collection_is_refused(
    tmp_path: Path, session: Session
) -> None:
    path = tmp_path / "d.geojson"
    path.write_text('{"type": "Feature"}')
    with pytest.raises(SourceFileError):
        import_deficits(session, path=path)
