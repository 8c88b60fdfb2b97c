"""`assetmap import assets`: validated, all or nothing, upsert by source + source_id."""

from pathlib import Path

import orjson
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.models import Asset, AuditEvent
from tests.cli.conftest import Invoke, audit_count, count, good_row, write_csv


def test_import_creates_assets_and_a_reimport_changes_nothing(
    assetmap: Invoke, db: Engine, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "assets.csv", [good_row(n) for n in range(1, 6)])

    first = assetmap("import", "assets", str(path))
    assert first.exit_code == 0, first.output
    assert "5 created" in first.output
    assert count(db) == 5 and audit_count(db) == 5 + 1  # one create each, and the import

    again = assetmap("import", "assets", str(path))
    assert again.exit_code == 0, again.output
    assert "0 created, 0 updated, 5 unchanged" in again.output
    assert count(db) == 5
    assert audit_count(db) == 6  # no audit event when nothing changed
    with Session(db) as session:
        assert set(session.scalars(select(Asset.version))) == {1}


def test_a_changed_row_updates_that_asset_only_with_a_new_version_and_audit_event(
    assetmap: Invoke, db: Engine, tmp_path: Path
) -> None:
    rows = [good_row(n) for n in range(1, 4)]
    path = write_csv(tmp_path / "assets.csv", rows)
    assert assetmap("import", "assets", str(path)).exit_code == 0
    rows[1]["name_en"] = "Lunch club 2 (renamed)"
    write_csv(path, rows)

    result = assetmap("import", "assets", str(path))

    assert result.exit_code == 0, result.output
    assert "0 created, 1 updated, 2 unchanged" in result.output
    with Session(db) as session:
        changed = session.scalars(select(Asset).where(Asset.source_id == "row-2")).one()
        assert (changed.name_en, changed.version) == ("Lunch club 2 (renamed)", 2)
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "update")).all()
    assert len(events) == 1
    assert events[0].changes == {"name_en": ["Lunch club 2", "Lunch club 2 (renamed)"]}


def test_bad_rows_are_reported_by_line_field_and_reason_and_nothing_is_written(
    assetmap: Invoke, db: Engine, tmp_path: Path
) -> None:
    rows = [
        good_row(1),
        good_row(2, lon="nan"),  # line 3
        good_row(3, lat="91"),  # line 4
        good_row(4, themes="food;no_such_theme"),  # line 5
        good_row(5, kind="castle"),  # line 6
        good_row(6, name_en="", name_cy=""),  # line 7
        good_row(7),
    ]
    path = write_csv(tmp_path / "assets.csv", rows)

    result = assetmap("import", "assets", str(path))

    assert result.exit_code == 1
    assert "5 of 7 records cannot be imported; nothing was written" in result.output
    assert "line 3: lon/lat: Input should be a finite number" in result.output
    assert "line 4: lon/lat: latitude 91.0 is outside -90..90" in result.output
    assert "line 5: themes: unknown theme 'no_such_theme'" in result.output
    assert "line 6: kind: Input should be 'skill', 'volunteer', 'group'" in result.output
    assert "line 7: record: give at least one of name_en or name_cy" in result.output
    assert "line 2:" not in result.output and "line 8:" not in result.output
    assert count(db) == 0 and audit_count(db) == 0


def test_a_bad_row_late_in_a_big_file_rolls_back_the_batches_before_it(
    assetmap: Invoke, db: Engine, tmp_path: Path
) -> None:
    rows = [good_row(n) for n in range(1, 4500)]
    rows.append(good_row(4500, lat="-95"))
    path = write_csv(tmp_path / "assets.csv", rows)

    result = assetmap("import", "assets", str(path))

    assert result.exit_code == 1
    assert "line 4501: lon/lat:" in result.output
    assert count(db) == 0 and audit_count(db) == 0


def test_person_linked_kinds_in_a_file_are_bad_rows(
    assetmap: Invoke, db: Engine, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "assets.csv", [good_row(1), good_row(2, kind="volunteer")])

    result = assetmap("import", "assets", str(path))

    assert result.exit_code == 1
    assert "line 3: consent: skill and volunteer records need a consent record" in result.output
    assert count(db) == 0


def test_dry_run_reports_what_would_happen_and_writes_nothing(
    assetmap: Invoke, db: Engine, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "assets.csv", [good_row(n) for n in range(1, 4)])
    assert assetmap("import", "assets", str(path)).exit_code == 0
    rows = [good_row(1, name_en="Changed"), good_row(2), good_row(3), good_row(4)]
    write_csv(path, rows)

    result = assetmap("import", "assets", str(path), "--dry-run")

    assert result.exit_code == 0, result.output
    assert "1 would be created, 1 would be updated, 2 unchanged" in result.output
    assert "dry run: nothing written" in result.output
    assert count(db) == 3 and audit_count(db) == 3 + 1
    with Session(db) as session:
        assert session.scalar(select(Asset.name_en).where(Asset.source_id == "row-1")) == (
            "Lunch club 1"
        )


def test_dry_run_of_a_bad_file_reports_the_problems(
    assetmap: Invoke, db: Engine, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "assets.csv", [good_row(1, lat="100")])

    result = assetmap("import", "assets", str(path), "--dry-run")

    assert result.exit_code == 1
    assert "line 2: lon/lat:" in result.output
    assert count(db) == 0


def test_geojson_problems_are_reported_by_feature_number(
    assetmap: Invoke, db: Engine, tmp_path: Path
) -> None:
    def feature(lon: float, lat: float, **props: object) -> dict[str, object]:
        properties = {"kind": "space", "name_en": "Hall", **props}
        geometry = {"type": "Point", "coordinates": [lon, lat]}
        return {"type": "Feature", "geometry": geometry, "properties": properties}

    document = {
        "type": "FeatureCollection",
        "features": [
            feature(-3.1, 51.5),
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]},
                "properties": {"kind": "space", "name_en": "Line"},
            },
            feature(-3.1, 51.5, themes=["nope"]),
        ],
    }
    path = tmp_path / "assets.geojson"
    path.write_bytes(orjson.dumps(document))

    result = assetmap("import", "assets", str(path))

    assert result.exit_code == 1
    assert "feature 2: geometry: must be a Point (the asset's location), not LineString" in (
        result.output
    )
    assert "feature 3: themes: unknown theme 'nope'" in result.output
    assert count(db) == 0


def test_columns_that_are_not_ours_need_a_mapping(
    assetmap: Invoke, db: Engine, tmp_path: Path
) -> None:
    header = ("kind", "name_en", "lon", "lat", "category")
    path = write_csv(tmp_path / "x.csv", [good_row(1, category="library")], header)

    result = assetmap("import", "assets", str(path))

    assert result.exit_code == 1
    assert "line 2: category: not an asset column (map other columns with --mapping)" in (
        result.output
    )


def test_the_same_source_id_twice_in_one_file_is_a_bad_row(
    assetmap: Invoke, db: Engine, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "a.csv", [good_row(1), good_row(2, source_id="row-1")])

    result = assetmap("import", "assets", str(path))

    assert result.exit_code == 1
    assert "line 3: source_id: same source and source_id as line 2" in result.output
    assert count(db) == 0


def test_rows_without_source_id_or_id_are_created_again_on_every_import(
    assetmap: Invoke, db: Engine, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "a.csv", [good_row(1, source="", source_id="")])

    first = assetmap("import", "assets", str(path))
    second = assetmap("import", "assets", str(path))

    assert "1 records have neither source_id nor id" in first.output
    assert "1 created" in second.output
    assert count(db) == 2


def test_source_option_gives_rows_without_a_source_one(
    assetmap: Invoke, db: Engine, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "a.csv", [good_row(1, source="")])

    assert assetmap("import", "assets", str(path), "--source", "council-list").exit_code == 0
    again = assetmap("import", "assets", str(path), "--source", "council-list")

    assert "1 unchanged" in again.output
    with Session(db) as session:
        assert session.scalar(select(Asset.source)) == "council-list"


def test_ids_in_a_file_are_kept_for_new_assets_and_match_on_reimport(
    assetmap: Invoke, db: Engine, tmp_path: Path
) -> None:
    header = ("id", "kind", "name_en", "lon", "lat", "version", "created_at")
    rows = [
        {
            "id": "40",
            "kind": "space",
            "name_en": "Hall",
            "lon": "-3.1",
            "lat": "51.5",
            "version": "3",
            "created_at": "2024-02-03T04:05:06.123456Z",
        },
        {"kind": "space", "name_en": "New hall", "lon": "-3.2", "lat": "51.5"},
    ]
    path = write_csv(tmp_path / "a.csv", rows, header)

    assert assetmap("import", "assets", str(path)).exit_code == 0
    again = assetmap("import", "assets", str(path))

    assert "1 unchanged" in again.output  # the row with an id; the other one is new again
    with Session(db) as session:
        kept = session.get(Asset, 40)
        assert kept is not None and kept.version == 3
        assert kept.created_at.isoformat() == "2024-02-03T04:05:06.123456+00:00"
        others = session.scalars(select(Asset.id).where(Asset.id != 40)).all()
    assert others and all(i > 40 for i in others)  # new ids never collide with the file's


def test_an_id_that_belongs_to_another_sourced_asset_is_a_bad_row(
    assetmap: Invoke, db: Engine, tmp_path: Path
) -> None:
    assert (
        assetmap("import", "assets", str(write_csv(tmp_path / "a.csv", [good_row(1)]))).exit_code
        == 0
    )
    with Session(db) as session:
        taken = session.scalar(select(Asset.id))
    header = ("id", "kind", "name_en", "lon", "lat")
    other = write_csv(
        tmp_path / "b.csv",
        [{"id": str(taken), "kind": "space", "name_en": "X", "lon": "0", "lat": "0"}],
        header,
    )

    result = assetmap("import", "assets", str(other))
    renumbered = assetmap("import", "assets", str(other), "--new-ids")

    assert result.exit_code == 1
    assert f"line 2: id: id {taken} is the asset from source 'test-file'" in result.output
    assert renumbered.exit_code == 0, renumbered.output
    assert count(db) == 2


def test_a_missing_schema_says_to_run_db_upgrade(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from app.cli import app
    from app.settings import get_settings

    get_settings.cache_clear()
    url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    path = write_csv(tmp_path / "a.csv", [good_row(1)])
    result = CliRunner().invoke(
        app, ["import", "assets", str(path)], env={"ASSETMAP_DATABASE_URL": url}
    )
    get_settings.cache_clear()

    assert result.exit_code == 2
    assert "run `assetmap db upgrade` first" in result.output


def test_a_file_that_cannot_be_read_is_an_error(
    assetmap: Invoke, db: Engine, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    broken = tmp_path / "broken.geojson"
    broken.write_text("{not json")

    fake = tmp_path / "fake.gpkg"
    fake.write_text("not a geopackage")
    latin = tmp_path / "latin1.csv"
    latin.write_bytes("kind,name_en,lon,lat\nspace,Caf\xe9,0,0\n".encode("latin-1"))

    assert "unknown format" in assetmap("import", "assets", str(notes)).output
    assert "not JSON" in assetmap("import", "assets", str(broken)).output
    assert "latin1.csv: not UTF-8 text" in assetmap("import", "assets", str(latin)).output
    result = assetmap("import", "assets", str(fake))
    assert result.exit_code == 2
    assert "fake.gpkg: not a readable GeoPackage" in result.output
    assert count(db) == 0
