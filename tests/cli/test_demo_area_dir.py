"""`assetmap demo --area-dir`: a real open-data folder loaded end to end (Cardiff here).

The folder is loaded once per backend for the whole module (twice: the second run must change
nothing); the tests read what the two runs did. No test here empties the database.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app.cli import app
from app.main import create_app
from app.models import Area, Asset, AssetArea, IndicatorValue, Postcode
from app.services.needs.analysis import CATEGORIES
from app.settings import Settings, get_settings
from tests.cli.conftest import audit_count, count, empty_database

TABLES = (Area, IndicatorValue, Postcode, Asset, AssetArea)


@dataclass(frozen=True)
class Loaded:
    """Two runs of the demo on one emptied database, and what each left behind."""

    first: Result
    second: Result
    after_first: dict[str, int]
    after_second: dict[str, int]
    db_url: str


def counts(engine: Engine) -> dict[str, int]:
    """Rows of every table the demo writes, and audit events."""
    found = {model.__tablename__: count(engine, model) for model in TABLES}
    return {**found, "audit_events": audit_count(engine)}


def run_demo(db_url: str, area_dir: Path) -> Result:
    """`assetmap demo --area-dir DIR` on the test database, as a separate process would."""
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(
            app, ["demo", "--area-dir", str(area_dir)], env={"ASSETMAP_DATABASE_URL": db_url}
        )
    finally:
        get_settings.cache_clear()


@pytest.fixture(scope="module")
def loaded(engine: Engine, db_url: str, cardiff_dir: Path) -> Loaded:
    """The Cardiff folder loaded into an emptied database, then loaded again."""
    empty_database(engine)
    first = run_demo(db_url, cardiff_dir)
    after_first = counts(engine)
    second = run_demo(db_url, cardiff_dir)
    return Loaded(first, second, after_first, counts(engine), db_url)


def test_the_area_folder_loads_without_problems(loaded: Loaded) -> None:
    assert loaded.first.exit_code == 0, loaded.first.output
    assert "214 lsoa areas: 214 created, 0 updated, 0 unchanged" in loaded.first.output
    assert "214 with a population-weighted centroid" in loaded.first.output


def test_every_lsoa_is_loaded_with_names_population_and_weighted_centroid(
    loaded: Loaded, engine: Engine
) -> None:
    with Session(engine) as session:
        areas = session.scalars(select(Area).where(Area.level == "lsoa")).all()
    assert len(areas) == 214
    assert all(a.level == "lsoa" and a.name_en and a.name_cy for a in areas)
    assert all(a.population and a.centroid_kind == "population_weighted" for a in areas)
    assert sum(a.population or 0 for a in areas) == 366_903  # the folder's README total


def test_all_18_wimd_indicators_have_a_value_for_every_lsoa(loaded: Loaded, engine: Engine) -> None:
    with Session(engine) as session:
        per_indicator = dict(
            session.execute(
                select(IndicatorValue.indicator_code, func.count()).group_by(
                    IndicatorValue.indicator_code
                )
            ).all()
        )
    assert len(per_indicator) == 18
    assert set(per_indicator.values()) == {214}


def test_postcodes_and_mapped_assets_are_loaded_and_assets_assigned_to_areas(
    loaded: Loaded,
) -> None:
    assert loaded.after_first["postcodes"] == 7679
    assert loaded.after_first["assets"] == 107
    # every asset lies in one Cardiff LSOA, one MSOA and the local authority
    assert loaded.after_first["asset_areas"] == 3 * 107


def test_the_local_authority_is_loaded_with_its_welsh_name(loaded: Loaded, engine: Engine) -> None:
    with Session(engine) as session:
        (authority,) = session.scalars(select(Area).where(Area.level == "local_authority")).all()
    assert (authority.code, authority.name_en, authority.name_cy) == (
        "W06000015",
        "Cardiff",
        "Caerdydd",
    )


def test_gap_analysis_and_postcode_lookup_work_on_the_loaded_area(loaded: Loaded) -> None:
    example = "/api/v1/analysis/gaps?indicator=wimd2019_overall_rank&theme=health_wellbeing"
    assert f"http://127.0.0.1:8000{example}" in loaded.first.output
    with TestClient(create_app(Settings(database_url=loaded.db_url))) as client:
        gaps: Any = client.get(example).json()
        postcode = client.get("/api/v1/postcodes/cf101aa").json()
    assert len(gaps["items"]) == 214
    assert sum(gaps["summary"][c] for c in CATEGORIES) == 214
    assert all(gaps["summary"][c] > 0 for c in CATEGORIES), gaps["summary"]
    assert postcode["postcode"] == "CF10 1AA"
    assert postcode["area"]["code"] == "W01001941"


def test_a_second_run_changes_nothing(loaded: Loaded) -> None:
    assert loaded.second.exit_code == 0, loaded.second.output
    for expected in (
        "214 lsoa areas: 0 created, 0 updated, 214 unchanged",
        "48 msoa areas: 0 created, 0 updated, 48 unchanged",
        "1 local_authority areas: 0 created, 0 updated, 1 unchanged",
        "indicators 0 created, 0 updated, 18 unchanged",
        "values 0 created, 0 updated, 3852 unchanged",
        "7679 postcodes: 0 created, 0 updated, 7679 unchanged",
        "107 records: 0 created, 0 updated, 107 unchanged",
    ):
        assert expected in loaded.second.output
    assert loaded.after_second == loaded.after_first
