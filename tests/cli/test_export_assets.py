"""`assetmap export assets`: GeoJSON, CSV, GeoPackage; export -> import -> export is identical."""

import csv
import io
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.models import Asset
from app.models.base import utcnow
from app.schemas.tabular import CSV_COLUMNS, csv_text
from app.services.assets.records import archive_asset, iter_assets
from app.services.assets.visibility import SYSTEM
from app.services.imports.gpkg_files import read_layer
from app.spatial.geometry import point_element
from tests.cli.conftest import Invoke, count, empty_database

FORMATS = ("geojson", "csv", "gpkg")
AREA = {
    "type": "Polygon",
    "coordinates": [[[-3.2, 51.47], [-3.15, 51.47], [-3.15, 51.5], [-3.2, 51.5], [-3.2, 51.47]]],
}


@pytest.fixture
def registry(make_asset: Any, session: Session) -> list[int]:
    """A varied set of assets: every field used, both languages, text a spreadsheet would run."""
    ids = [
        make_asset(),
        make_asset(
            kind="service",
            name_en='=HYPERLINK("http://evil.example")',
            name_cy="Gwasanaeth cyfeillio",
            description_en='Line one\nline two, with "quotes" and a comma',
            description_cy="Disgrifiad \u2013 gyda ŵ ac ŷ",
            themes=["loneliness_befriending", "older_people", "welsh_language"],
            service_area=AREA,
            address="1 Heol y Frenhines, Caerdydd",
            postcode="cf10 1aa",
            email="Help@Example.org",
            phone="+44 29 2018 0001",
            website="https://example.org/befriending",
            opening_hours=[
                {"day": "mon", "opens": "09:00", "closes": "17:00"},
                {"day": "sat", "opens": "10:30", "closes": "12:15"},
            ],
            accessibility=["step_free_access", "hearing_loop"],
            languages=["en", "cy", "bfi"],
            last_verified_at="2025-03-04T05:06:07.891011+01:00",
            source="council",
            source_id="svc-1",
            location={"type": "Point", "coordinates": [-3.123456789012, 51.987654321098]},
        ),
        make_asset(kind="space", name_en=None, name_cy="Neuadd y pentref", status="pending"),
        make_asset(kind="business", name_en="-5 degrees ice cream", status="rejected", themes=[]),
        make_asset(kind="culture", name_en="Old theatre", source="council", source_id="th-1"),
    ]
    archive_asset(session, viewer=SYSTEM, asset_id=ids[-1], expected_version=None)
    session.commit()
    return ids


@pytest.fixture
def person(session: Session) -> int:
    """A published volunteer, inserted directly (imports and the API refuse people)."""
    now = utcnow()
    volunteer = Asset(
        kind="volunteer",
        name_en="Jane Jones (befriender)",
        search_text="jane jones",
        location=point_element(-3.16, 51.48),
        email="jane@example.org",
        status="published",
        opening_hours=[],
        accessibility=[],
        languages=[],
        version=1,
        created_at=now,
        updated_at=now,
    )
    session.add(volunteer)
    session.commit()
    return volunteer.id


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_then_import_into_an_empty_database_then_export_is_identical(
    assetmap: Invoke, db: Engine, registry: list[int], tmp_path: Path, fmt: str
) -> None:
    first = tmp_path / f"first.{fmt}"
    second = tmp_path / f"second.{fmt}"
    exported = assetmap("export", "assets", str(first))
    assert exported.exit_code == 0, exported.output
    assert "exported 4 assets" in exported.output  # the archived one is left out

    empty_database(db)
    imported = assetmap("import", "assets", str(first))
    assert imported.exit_code == 0, imported.output
    assert "4 created" in imported.output
    assert assetmap("export", "assets", str(second)).exit_code == 0

    assert second.read_bytes() == first.read_bytes()


@pytest.mark.parametrize("fmt", FORMATS)
def test_reimporting_an_export_into_the_same_database_changes_nothing(
    assetmap: Invoke, db: Engine, registry: list[int], tmp_path: Path, fmt: str
) -> None:
    path = tmp_path / f"assets.{fmt}"
    assert assetmap("export", "assets", str(path)).exit_code == 0

    result = assetmap("import", "assets", str(path))

    assert result.exit_code == 0, result.output
    assert "0 created, 0 updated, 4 unchanged" in result.output


@pytest.mark.parametrize("fmt", FORMATS)
def test_person_linked_assets_never_appear_in_an_export(
    assetmap: Invoke, db: Engine, registry: list[int], person: int, tmp_path: Path, fmt: str
) -> None:
    path = tmp_path / f"assets.{fmt}"

    result = assetmap("export", "assets", str(path), "--status", "published")

    assert result.exit_code == 0, result.output
    assert "exported 2 assets" in result.output
    if fmt == "gpkg":
        layer = read_layer(path, prefer="assets")
        ids = layer.columns[layer.fields.index("id")]
        text = repr(layer.columns)
    else:
        text = path.read_text(encoding="utf-8")
        ids = _ids(text, fmt)
    assert person not in ids
    assert "Jane" not in text and "jane@example.org" not in text and "volunteer" not in text


def _ids(text: str, fmt: str) -> list[int]:
    if fmt == "geojson":
        return [f["id"] for f in orjson.loads(text)["features"]]
    return [int(row["id"]) for row in csv.DictReader(io.StringIO(text))]


def test_csv_export_is_the_api_csv(
    assetmap: Invoke, session: Session, registry: list[int], tmp_path: Path
) -> None:
    path = tmp_path / "assets.csv"
    assert assetmap("export", "assets", str(path)).exit_code == 0

    expected = csv_text(r for r in iter_assets(session, viewer=SYSTEM) if r["status"] != "archived")
    assert path.read_bytes() == expected.encode("utf-8")
    assert "'=HYPERLINK" in path.read_text(encoding="utf-8")  # the formula guard is on


def test_geopackage_has_one_point_layer_in_wgs84_with_the_csv_columns(
    assetmap: Invoke, registry: list[int], tmp_path: Path
) -> None:
    from pyogrio import read_info

    path = tmp_path / "assets.gpkg"
    assert assetmap("export", "assets", str(path)).exit_code == 0

    layer = read_layer(path, prefer="assets")
    row = dict(zip(layer.fields, (c[1] for c in layer.columns), strict=True))
    assert layer.name == "assets"
    assert layer.fields == [c for c in CSV_COLUMNS if c not in ("lon", "lat")]
    assert row["name_en"] == '=HYPERLINK("http://evil.example")'  # no spreadsheet guard here
    assert row["themes"] == "loneliness_befriending;older_people;welsh_language"
    assert row["opening_hours"] == "mon 09:00-17:00; sat 10:30-12:15"
    assert row["service_area"].startswith("MULTIPOLYGON (((-3.2 51.47")
    assert row["last_verified_at"] == "2025-03-04T04:06:07.891011Z"
    info = read_info(str(path), layer="assets")
    assert info["crs"] == "EPSG:4326" and info["geometry_type"] == "Point"


def test_status_and_kind_options_choose_what_is_exported(
    assetmap: Invoke, registry: list[int], tmp_path: Path
) -> None:
    path = tmp_path / "assets.geojson"

    archived = assetmap("export", "assets", str(path), "--status", "archived")
    assert "exported 1 assets" in archived.output
    some = assetmap("export", "assets", str(path), "--kind", "group", "--kind", "space")
    assert "exported 2 assets" in some.output
    kinds = {f["properties"]["kind"] for f in orjson.loads(path.read_bytes())["features"]}
    assert kinds == {"group", "space"}
    wrong = assetmap("export", "assets", str(path), "--status", "gone")
    assert wrong.exit_code == 2 and "unknown status 'gone'" in wrong.output


def test_an_empty_registry_exports_empty_files_that_import_cleanly(
    assetmap: Invoke, db: Engine, tmp_path: Path
) -> None:
    for fmt in FORMATS:
        path = tmp_path / f"empty.{fmt}"
        assert "exported 0 assets" in assetmap("export", "assets", str(path)).output
        result = assetmap("import", "assets", str(path))
        assert result.exit_code == 0, result.output
    assert count(db) == 0
