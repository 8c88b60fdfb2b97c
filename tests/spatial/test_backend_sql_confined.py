"""Backend-specific spatial SQL lives only in app/spatial/ (DESIGN.md section 3)."""

import re
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"
BACKEND_SQL = re.compile(
    r"\b(ST_[A-Za-z]+|BuildMbr|MakePoint|RecoverGeometryColumn|CreateSpatialIndex|CheckSpatialIndex"
    r"|SpatialIndex|load_extension|InitSpatialMetaData|geography|idx_[a-z_]+)\b"
)


def offending_lines() -> list[str]:
    """Lines in app/ (outside app/spatial/) that name backend-specific spatial SQL."""
    found = []
    for path in sorted(APP.rglob("*.py")):
        if APP / "spatial" in path.parents:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if BACKEND_SQL.search(line):
                found.append(f"{path.relative_to(APP.parent)}:{number}: {line.strip()}")
    return found


def test_no_backend_specific_sql_outside_app_spatial() -> None:
    assert offending_lines() == []


def test_the_check_catches_backend_sql(tmp_path: Path) -> None:
    sample = "stmt = select(func.ST_Distance(a, b))"
    assert BACKEND_SQL.search(sample)
    assert not BACKEND_SQL.search("stmt = backend.distance_m(Asset.location, lon, lat)")
