"""Export files from services.exports: what is in them, and that they are reproducible."""

import sqlite3
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy.orm import Session

from app.schemas.assets import asset_feature
from app.services.assets.records import iter_assets
from app.services.assets.visibility import SYSTEM
from app.services.imports.exports import export_assets
from app.services.imports.formats import SourceFileError


def test_geojson_export_is_a_feature_collection_of_the_api_features(
    session: Session, make_asset: Any, tmp_path: Path
) -> None:
    make_asset()
    make_asset(name_en="Tŷ Hafan", name_cy=None, kind="space")
    path = tmp_path / "assets.geojson"

    result = export_assets(session, path)

    document = orjson.loads(path.read_bytes())
    expected = [asset_feature(r) for r in iter_assets(session, viewer=SYSTEM)]
    assert result.count == 2 and result.format == "geojson"
    assert document == {
        "type": "FeatureCollection",
        "features": orjson.loads(orjson.dumps(expected)),
    }


def test_geopackage_exports_of_the_same_assets_are_byte_identical_and_dated_by_the_data(
    session: Session, make_asset: Any, tmp_path: Path
) -> None:
    make_asset()
    newest = max(r["updated_at"] for r in iter_assets(session, viewer=SYSTEM))
    first, second = tmp_path / "a.gpkg", tmp_path / "b.gpkg"

    export_assets(session, first)
    time.sleep(1.1)  # GDAL's own clock would now give a different stamp
    export_assets(session, second)

    assert first.read_bytes() == second.read_bytes()
    with sqlite3.connect(first) as db:
        (stamp,) = db.execute("SELECT last_change FROM gpkg_contents").fetchone()
    assert stamp == newest.strftime("%Y-%m-%dT%H:%M:%S.") + f"{newest.microsecond // 1000:03d}Z"


def test_an_unknown_extension_is_refused(session: Session, tmp_path: Path) -> None:
    with pytest.raises(SourceFileError, match="unknown format"):
        export_assets(session, tmp_path / "assets.xlsx")
