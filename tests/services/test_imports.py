"""Importing files through services.imports: the Cardiff mapping, upsert rules, the audit trail."""

from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Asset, AuditEvent
from app.schemas.assets import AssetCreate
from app.services.assets.records import create_asset, iter_assets, update_asset
from app.services.assets.visibility import SYSTEM
from app.services.audit import AuditFilters, list_events
from app.services.imports.assets import ImportOptions, ImportReport, import_assets
from app.services.imports.exports import export_assets
from app.services.imports.mappings import MappingError, load_mapping, parse_mapping
from app.settings import PROJECT_DIR
from tests.cli.conftest import empty_database

MAPPING = PROJECT_DIR / "data" / "mappings" / "wales_public_services.json"


def run(session: Session, path: Path, **options: Any) -> ImportReport:
    """Import and commit (when the report is clean), as the CLI does."""
    report = import_assets(session, path, ImportOptions(**options))
    if report.ok and not report.dry_run:
        session.commit()
    else:
        session.rollback()
    return report


def cardiff(session: Session, cardiff_dir: Path, name: str = "assets.geojson") -> ImportReport:
    return run(session, cardiff_dir / name, mapping=load_mapping(MAPPING))


def by_source_id(session: Session) -> dict[str, dict[str, Any]]:
    return {r["source_id"]: r for r in iter_assets(session, viewer=SYSTEM)}


def test_the_cardiff_file_imports_with_the_committed_mapping(
    session: Session, cardiff_dir: Path
) -> None:
    report = cardiff(session, cardiff_dir)

    assert report.ok, report.problems
    assert (report.created, report.unkeyed) == (107, 0)
    records = by_source_id(session)
    assert len(records) == 107
    assert Counter(r["kind"] for r in records.values()) == {"service": 88, "space": 19}
    library = records["cardiff-0001"]  # libraries have no source_id: the asset_id stands in
    assert (library["kind"], library["source"]) == ("space", "librarieshacked")
    assert library["themes"] == ["community_spaces", "digital_inclusion", "learning_skills"]
    gp = records["W97002"]
    assert (gp["kind"], gp["themes"], gp["name_en"]) == (
        "service",
        ["health_wellbeing"],
        "Roathwell Surgery",
    )
    assert gp["postcode"] == "CF24 1YT" and gp["status"] == "published"


def test_cardiff_welsh_names_are_kept_and_unnamed_pharmacies_are_named_deliberately(
    session: Session, cardiff_dir: Path
) -> None:
    cardiff(session, cardiff_dir)
    records = by_source_id(session)

    assert records["7A4FE"]["name_cy"] == "Ysbyty Dewi Sant"
    assert records["7A4FE"]["name_en"] == "St David's Hospital"
    assert sum(1 for r in records.values() if r["name_cy"]) == 6
    unnamed = records["node/530660171"]
    assert unnamed["name_en"] == "Pharmacy (name not recorded in OpenStreetMap node/530660171)"
    assert unnamed["source"] == "openstreetmap"
    assert "(c) OpenStreetMap contributors" in unnamed["description_en"]
    assert unnamed["description_cy"].startswith("Fferyllfa gymunedol")
    assert sum(1 for r in records.values() if "name not recorded" in r["name_en"]) == 5


def test_cardiff_special_cases_closed_hospitals_urls_and_mental_health(
    session: Session, cardiff_dir: Path
) -> None:
    cardiff(session, cardiff_dir)
    records = by_source_id(session)

    assert records["7A4FF"]["status"] == "pending"  # Whitchurch Hospital: closed, to check
    assert records["7A4BX"]["status"] == "pending"  # Rookwood Hospital
    assert records["7A4FF"]["themes"] == ["disability_access", "health_wellbeing", "mental_health"]
    assert records["node/1873602172"]["website"] == "https://boots.com/"


def test_reimporting_cardiff_changes_nothing_and_the_csv_gives_the_same_records(
    session: Session, cardiff_dir: Path
) -> None:
    cardiff(session, cardiff_dir)
    events = session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))

    again = cardiff(session, cardiff_dir)
    from_csv = cardiff(session, cardiff_dir, "assets.csv")

    assert (again.created, again.updated, again.unchanged) == (0, 0, 107)
    assert (from_csv.created, from_csv.updated, from_csv.unchanged) == (0, 0, 107)
    assert session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1)) == events


@pytest.mark.parametrize("fmt", ["geojson", "csv", "gpkg"])
def test_cardiff_exported_and_imported_into_an_empty_database_gives_the_same_records(
    session: Session, cardiff_dir: Path, tmp_path: Path, fmt: str
) -> None:
    cardiff(session, cardiff_dir)
    before = list(iter_assets(session, viewer=SYSTEM))
    path = tmp_path / f"cardiff.{fmt}"
    export_assets(session, path, statuses=("pending", "published", "rejected", "archived"))
    session.close()
    empty_database(session.get_bind())  # type: ignore[arg-type]

    report = run(session, path)

    assert report.ok, report.problems[:5]
    after = list(iter_assets(session, viewer=SYSTEM))
    assert [_comparable(r) for r in after] == [_comparable(r) for r in before]


def _comparable(record: dict[str, Any]) -> dict[str, Any]:
    area = record["service_area"]
    return {
        **record,
        "service_area": area.wkt if area is not None else None,
        "created_by": None,
        "updated_by": None,
    }


def test_connector_changes_survive_a_reimport_where_the_source_says_nothing(
    session: Session, cardiff_dir: Path
) -> None:
    cardiff(session, cardiff_dir)
    records = by_source_id(session)
    library, pharmacy = records["cardiff-0001"], records["node/530660171"]
    update_asset(
        session,
        viewer=SYSTEM,
        asset_id=library["id"],
        expected_version=None,
        data={"name_cy": "Llyfrgell Treganna", "status": "pending"},
    )
    update_asset(
        session,
        viewer=SYSTEM,
        asset_id=pharmacy["id"],
        expected_version=None,
        data={"name_en": "Corner Pharmacy"},
    )
    session.commit()

    report = cardiff(session, cardiff_dir)

    assert (report.updated, report.unchanged) == (0, 107)
    records = by_source_id(session)
    assert records["cardiff-0001"]["name_cy"] == "Llyfrgell Treganna"  # source has none
    assert records["cardiff-0001"]["status"] == "pending"  # status is set on creation only
    assert records["node/530660171"]["name_en"] == "Corner Pharmacy"  # fallback name: created only


def test_the_source_wins_for_fields_it_does_give(session: Session, cardiff_dir: Path) -> None:
    cardiff(session, cardiff_dir)
    gp = by_source_id(session)["W97002"]
    update_asset(
        session,
        viewer=SYSTEM,
        asset_id=gp["id"],
        expected_version=None,
        data={"name_en": "Typo Surgery"},
    )
    session.commit()

    report = cardiff(session, cardiff_dir)

    assert report.updated == 1
    after = by_source_id(session)["W97002"]
    assert (after["name_en"], after["version"]) == ("Roathwell Surgery", 3)


def test_a_bulk_created_asset_has_the_same_audit_event_as_one_created_by_the_service(
    session: Session, tmp_path: Path
) -> None:
    body = {
        "kind": "service",
        "name_en": "Advice",
        "name_cy": "Cyngor",
        "themes": ["money_advice", "housing"],
        "location": {"type": "Point", "coordinates": [-3.1, 51.5]},
        "service_area": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]},
        "opening_hours": [{"day": "tue", "opens": "09:00", "closes": "12:00"}],
        "website": "https://example.org",
        "last_verified_at": "2025-01-02T03:04:05Z",
        "languages": ["en", "cy"],
        "status": "published",
    }
    made = create_asset(session, actor="x", data=AssetCreate.model_validate(body))
    session.commit()
    path = tmp_path / "one.geojson"
    feature = {
        "type": "Feature",
        "geometry": body["location"],
        "properties": {k: v for k, v in body.items() if k != "location"},
    }
    path.write_bytes(orjson.dumps({"type": "FeatureCollection", "features": [feature]}))

    assert run(session, path).created == 1

    events = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    trail = list_events(session, viewer=SYSTEM, filters=AuditFilters(entity_type="asset")).events
    by_service, by_import = trail[1], trail[0]  # newest first
    assert [e.action for e in events] == ["create", "create", "import"]
    assert events[0].entity_id == str(made.id)
    assert set(events[1].changes) == {"import"}  # compact: the values are not repeated
    assert events[2].changes["created"] == [None, 1]
    assert by_import["changes"].pop("import") == [None, events[2].entity_id]
    assert by_import["changes"] == by_service["changes"]


def test_unmapped_categories_are_bad_rows_naming_the_field(
    session: Session, tmp_path: Path
) -> None:
    path = tmp_path / "a.geojson"
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [-3.1, 51.5]},
        "properties": {"name": "Dentist", "category": "dentist", "source": "x", "asset_id": "1"},
    }
    path.write_bytes(orjson.dumps({"type": "FeatureCollection", "features": [feature]}))

    report = run(session, path, mapping=load_mapping(MAPPING))

    assert [(p.number, p.field) for p in report.problems] == [(1, "kind")]
    assert "'dentist' is not in the mapping" in report.problems[0].reason
    assert session.scalar(select(Asset.id)) is None


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"format": "other", "fields": {}}, "`format` must be"),
        (
            {"format": "assetmap-mapping/1", "fields": {"name_en": {"column": "n"}}},
            "kind is required",
        ),
        (
            {"format": "assetmap-mapping/1", "fields": {"colour": {"value": "x"}}},
            "not an asset field",
        ),
        (
            {"format": "assetmap-mapping/1", "fields": {"kind": {"column": "c", "value": "x"}}},
            "exactly one",
        ),
        (
            {"format": "assetmap-mapping/1", "fields": {"kind": {"column": "c", "map": "nope"}}},
            "unknown lookup",
        ),
        (
            {"format": "assetmap-mapping/1", "fields": {"kind": {"template": "{c|nope}"}}},
            "unknown lookup",
        ),
        (
            {"format": "assetmap-mapping/1", "fields": {"kind": {"value": "x", "colour": 1}}},
            "unknown keys",
        ),
    ],
)
def test_a_wrong_mapping_file_says_what_is_wrong(document: dict[str, Any], message: str) -> None:
    with pytest.raises(MappingError, match=message):
        parse_mapping(document)


def test_mapping_rules_take_the_first_value_and_lists_collect_from_every_rule() -> None:
    mapping = parse_mapping(
        {
            "format": "assetmap-mapping/1",
            "lookups": {"types": {"hall": "space"}},
            "fields": {
                "kind": {"column": "type", "map": "types"},
                "name_en": [{"column": ["title", "label"]}, {"template": "{type} {ref}"}],
                "themes": [
                    {
                        "column": "tags",
                        "split": "|",
                        "map": {"food": "food", "old": "older_people"},
                        "unmapped": "skip",
                    },
                    {"value": ["community_spaces"]},
                ],
                "website": {"column": "web", "transform": "url"},
            },
        }
    )

    out = mapping.apply({"type": "hall", "label": "The Hall", "tags": "food|x|old", "web": "a.cy"})
    fallback = mapping.apply({"type": "hall", "ref": 7, "tags": None})

    assert out.values == {
        "kind": "space",
        "name_en": "The Hall",
        "themes": ["food", "older_people", "community_spaces"],
        "website": "https://a.cy",
    }
    assert fallback.values["name_en"] == "hall 7"
    assert fallback.values["themes"] == ["community_spaces"]


@pytest.mark.slow  # ~7 s: a big file, twice (left out of make test-fast)
def test_big_csv_files_are_validated_in_a_second_process_with_the_same_outcome(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.services.imports import assets as imports
    from tests.cli.conftest import good_row, write_csv

    monkeypatch.setattr(imports, "PARALLEL_MIN_RECORDS", 10)
    monkeypatch.setattr(imports, "BATCH", 7)
    rows = [good_row(n) for n in range(1, 31)]
    path = write_csv(tmp_path / "big.csv", [*rows[:20], good_row(99, kind="castle"), *rows[20:]])

    bad = run(session, path)
    write_csv(path, rows)
    good = run(session, path)

    assert [(p.number, p.field) for p in bad.problems] == [(22, "kind")]
    assert bad.records == 31
    assert good.created == 30
    assert len(list(iter_assets(session, viewer=SYSTEM))) == 30


def test_a_mapped_csv_validated_in_a_second_process_gives_the_same_assets(
    session: Session, cardiff_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.services.imports import assets as imports

    monkeypatch.setattr(imports, "PARALLEL_MIN_RECORDS", 10)

    report = cardiff(session, cardiff_dir, "assets.csv")
    again = cardiff(session, cardiff_dir)  # the GeoJSON, in this process

    assert (report.created, again.unchanged) == (107, 107)
