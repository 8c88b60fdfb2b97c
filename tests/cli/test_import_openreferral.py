"""`assetmap import openreferral`: a folder of ORUK files, with a dry run, skips reported."""

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Asset
from tests.cli.conftest import Invoke
from tests.conftest import PROJECT_DIR, unavailable

EXAMPLES = PROJECT_DIR.parent / "shared" / "standards" / "oruk-3.0" / "examples"


@pytest.fixture
def examples() -> Path:
    if not (EXAMPLES / "service_full.json").is_file():
        unavailable(f"the ORUK 3.0 examples are not at {EXAMPLES}")
    return EXAMPLES


def count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Asset)) or 0)


def test_the_command_imports_a_file_and_reports_skips(
    assetmap: Invoke, examples: Path, tmp_path: Path, session: Session
) -> None:
    service = json.loads((examples / "service_full.json").read_text())
    service["service_at_locations"][0]["location"].update(latitude=51.48, longitude=-3.16)
    (tmp_path / "one.json").write_text(json.dumps(service))
    (tmp_path / "list.json").write_text((examples / "service_list.json").read_text())

    dry = assetmap("import", "openreferral", str(tmp_path), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert count(session) == 0
    result = assetmap("import", "openreferral", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "2 services read, 1 skipped" in result.output
    assert "skipped Community Counselling: a summary without its locations" in result.output
    assert "1 created" in result.output
    session.expire_all()
    assert count(session) == 1
