"""`assetmap export openreferral DIR` writes the profile's CSV data package, and
`assetmap import openreferral DIR` reads it back: the same services, and again nothing changes."""

import json
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Asset
from app.schemas.assets import AssetCreate
from app.services.assets import records
from tests.api.test_openreferral_import import published_bodies
from tests.cli.conftest import Invoke


def test_an_exported_package_imports_back(
    assetmap: Invoke, session: Session, tmp_path: Path
) -> None:
    for body in published_bodies():
        records.create_asset(session, actor="test", data=AssetCreate.model_validate(body))
    session.commit()

    exported = assetmap("export", "openreferral", str(tmp_path / "package"))
    assert exported.exit_code == 0, exported.output
    assert "exported 3 services" in exported.output
    descriptor = json.loads((tmp_path / "package" / "datapackage.json").read_text())
    assert {r["path"] for r in descriptor["resources"]} >= {
        "services.csv", "organizations.csv", "locations.csv", "service_at_location.csv",
        "schedule.csv", "phones.csv", "languages.csv", "accessibility.csv", "attribute.csv",
        "taxonomy_terms.csv", "taxonomies.csv", "service_areas.csv", "address.csv",
    }  # fmt: skip

    welsh = assetmap("export", "openreferral", str(tmp_path / "cy"), "--welsh")
    assert welsh.exit_code == 0, welsh.output
    assert "Clwb cinio Sblot" in (tmp_path / "cy" / "services.csv").read_text()
    assert "Clwb cinio Sblot" not in (tmp_path / "package" / "services.csv").read_text()

    first = assetmap("import", "openreferral", str(tmp_path / "package"), "--source", "mine")
    assert first.exit_code == 0, first.output
    assert "3 services read, 0 skipped" in first.output and "3 created" in first.output
    again = assetmap("import", "openreferral", str(tmp_path / "package"), "--source", "mine")
    assert again.exit_code == 0, again.output
    assert "3 unchanged" in again.output
    session.expire_all()
    names = session.scalars(select(Asset.name_en).where(Asset.source == "mine")).all()
    assert sorted(names) == ["Adamsdown community hall", "Llandaff advice service",
                             "Splott lunch club"]  # fmt: skip


def test_a_malformed_package_fails_with_the_reason(assetmap: Invoke, tmp_path: Path) -> None:
    (tmp_path / "datapackage.json").write_text('{"resources": [{"path": "services.csv"}]}')
    (tmp_path / "services.csv").write_text("name,status\nA,active\n")
    result = assetmap("import", "openreferral", str(tmp_path / "datapackage.json"))
    assert result.exit_code != 0
    assert "services.csv: the first row must name the columns, with id" in result.output
