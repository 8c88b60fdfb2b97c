"""`assetmap demo`: the fictional example area that ships with the project, with needs."""

import importlib.util
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from app.main import create_app
from app.models import (
    KINDS,
    PERSON_KINDS,
    Area,
    Asset,
    AssetArea,
    AssetTheme,
    AssetUse,
    Deficit,
    Gap,
    GapSupport,
    Indicator,
    IndicatorValue,
    PublicLocation,
    User,
)
from app.services.demo import DEMO_DIR, DEMO_SOURCE
from app.services.needs.analysis import CATEGORIES
from app.settings import Settings
from tests.cli.conftest import Invoke, audit_count, count

DEMO_TABLES = (
    Area, AssetArea, Indicator, IndicatorValue, Deficit, Asset, User, AssetUse, Gap, GapSupport
)  # fmt: skip


def count_where(engine: Engine, condition: Any) -> int:
    """Deficits meeting a condition."""
    with engine.connect() as connection:
        stmt = select(func.count()).select_from(Deficit).where(condition)
        return int(connection.scalar(stmt) or 0)


def counts(engine: Engine) -> dict[str, int]:
    """Rows of every table the demo writes, and audit events."""
    found = {model.__tablename__: count(engine, model) for model in DEMO_TABLES}
    return {**found, "audit_events": audit_count(engine)}


def test_demo_loads_a_fictional_area_covering_every_kind(assetmap: Invoke, db: Engine) -> None:
    result = assetmap("demo")

    assert result.exit_code == 0, result.output
    with Session(db) as session:
        assets = session.scalars(select(Asset)).all()
        themes = set(session.scalars(select(AssetTheme.theme_code)))
    assert 60 <= len([a for a in assets if a.kind not in PERSON_KINDS]) <= 150
    assert {a.kind for a in assets} == set(KINDS)
    assert all(a.source == DEMO_SOURCE for a in assets)
    assert all(a.description_en.startswith("Fictional example (Aberllyn") for a in assets)
    assert all(a.description_cy.startswith("Enghraifft ffug") for a in assets)
    assert any(a.name_en and a.name_cy for a in assets)
    assert any(a.name_cy and not a.name_en for a in assets)  # Welsh-only names too
    assert any(a.opening_hours for a in assets) and any(a.accessibility for a in assets)
    assert any("cy" in a.languages for a in assets)
    assert any(a.service_area is not None for a in assets)
    assert len(themes) >= 15


def test_demo_has_fictional_small_areas_with_population_and_weighted_centroids(
    assetmap: Invoke, db: Engine
) -> None:
    assert assetmap("demo").exit_code == 0

    with Session(db) as session:
        areas = session.scalars(select(Area)).all()
        assigned = session.scalar(select(func.count(func.distinct(AssetArea.asset_id))))
    assert 12 <= len(areas) <= 30
    assert all(a.code.startswith("X01") and a.level == "lsoa" for a in areas)
    assert all(a.name_en and a.name_cy and a.name_en.endswith("Aberllyn") for a in areas)
    assert all(a.population and a.population > 0 for a in areas)
    assert all(a.centroid_kind == "population_weighted" for a in areas)
    assert all(a.source == DEMO_SOURCE for a in areas)
    assert assigned == count(db, Asset)  # the areas cover every demo asset


def test_demo_has_fictional_need_indicators_and_deficits(assetmap: Invoke, db: Engine) -> None:
    assert assetmap("demo").exit_code == 0

    with Session(db) as session:
        indicators = session.scalars(select(Indicator)).all()
        deficits = session.scalars(select(Deficit)).all()
    assert 2 <= len(indicators) <= 4
    assert all(i.source == "assetmap demo (fictional)" for i in indicators)
    assert {i.higher_is_more_need for i in indicators} == {True, False}
    assert count(db, IndicatorValue) == len(indicators) * count(db, Area)
    imported = [d for d in deficits if d.source != "residents"]
    assert 8 <= len(imported) <= 15
    assert all(d.source == DEMO_SOURCE for d in imported)
    assert all(d.description_en.startswith("Fictional example (Aberllyn") for d in imported)
    assert {d.status for d in imported} == {"open", "addressed"}
    # The demo residents' published gaps say they are fictional too, in their own language.
    from_residents = [d for d in deficits if d.source == "residents"]
    assert len(from_residents) == 3
    assert all(
        (d.title_en or "").startswith("Fictional example") or
        (d.title_cy or "").startswith("Enghraifft ffug") for d in from_residents
    )  # fmt: skip
    assert any(d.area is not None for d in deficits) and any(d.location for d in deficits)


def test_demo_gap_analysis_shows_every_category_and_says_where_to_look(
    assetmap: Invoke, db: Engine, db_url: str
) -> None:
    result = assetmap("demo")

    example = "/api/v1/analysis/gaps?indicator=aberllyn_need_index&theme=food"
    assert f"http://127.0.0.1:8000{example}" in result.output
    with TestClient(create_app(Settings(database_url=db_url))) as client:
        gaps = client.get(example).json()
        csv_rows = client.get(example + "&f=csv").text.strip().splitlines()
        coverage = client.get("/api/v1/analysis/coverage?theme=food").json()
    assert len(gaps["items"]) == count(db, Area)
    assert all(gaps["summary"][category] > 0 for category in CATEGORIES), gaps["summary"]
    assert len(csv_rows) == 1 + count(db, Area)
    assert 0 < coverage["share_covered"] < 1


def test_demo_priority_area_has_a_deficit_and_a_deficit_has_matching_assets(
    assetmap: Invoke, db: Engine, db_url: str
) -> None:
    assert assetmap("demo").exit_code == 0

    with TestClient(create_app(Settings(database_url=db_url))) as client:
        gaps = client.get("/api/v1/analysis/gaps?indicator=aberllyn_need_index&theme=food")
        priority = [r for r in gaps.json()["items"] if r["category"] == "priority"]
        profile = client.get(f"/api/v1/areas/{priority[0]['area_code']}/profile").json()
        with Session(db) as session:
            food = session.scalars(select(Deficit.id).where(Deficit.theme_code == "food")).first()
        matches = client.get(f"/api/v1/deficits/{food}/matches").json()
    assert any(d["theme"] == "food" for d in profile["deficits"])
    assert matches["items"], matches


@pytest.mark.slow  # ~5 s: the demo, twice (left out of make test-fast)
def test_running_the_demo_twice_changes_nothing(assetmap: Invoke, db: Engine) -> None:
    assert assetmap("demo").exit_code == 0
    before = counts(db)

    again = assetmap("demo")

    assert again.exit_code == 0, again.output
    people = count(db, PublicLocation)
    assert f"0 created, 0 updated, {before['assets'] - people} unchanged" in again.output
    assert f"0 fictional people created, {people} unchanged" in again.output
    assert f"0 created, 0 updated, {before['areas']} unchanged" in again.output
    assert f"values 0 created, 0 updated, {before['indicator_values']} unchanged" in again.output
    residents = count_where(db, Deficit.source == "residents")
    assert f"0 created, 0 updated, {before['deficits'] - residents} unchanged" in again.output
    assert "fictional residents already held: unchanged" in again.output
    assert counts(db) == before


def test_demo_residents_use_assets_and_report_gaps_that_show_only_as_counts(
    assetmap: Invoke, db: Engine, db_url: str
) -> None:
    assert assetmap("demo").exit_code == 0

    with Session(db) as session:
        statuses = sorted(session.scalars(select(Gap.status)))
        residents = session.scalars(select(User).where(User.role == "resident")).all()
        asset_ids = list(session.scalars(select(AssetUse.asset_id).distinct()))
    assert statuses == ["pending", "published", "published", "published"]
    assert len(residents) == 30 and all(r.password_hash is None for r in residents)
    with TestClient(create_app(Settings(database_url=db_url))) as client:
        shown = [client.get(f"/api/v1/assets/{i}/uses").json()["residents"] for i in asset_ids]
        gaps = client.get("/api/v1/gaps").json()["items"]
    assert any(n is not None and n >= 5 for n in shown)  # some assets many residents use
    assert None in shown  # and some "fewer than 5"
    assert len(gaps) == 3 and any(g["supports"] is not None for g in gaps)


def test_the_demo_files_are_what_their_generator_writes(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("build_needs", DEMO_DIR / "build_needs.py")
    assert spec is not None and spec.loader is not None
    module: Any = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.HERE = tmp_path

    module.main()

    written = sorted(p.name for p in tmp_path.iterdir())
    assert len(written) == 5
    for name in written:
        assert (tmp_path / name).read_bytes() == (DEMO_DIR / name).read_bytes(), name


def test_demo_people_are_fictional_consented_and_public_only_as_protected_counts(
    assetmap: Invoke, db: Engine, settings: Settings
) -> None:
    assert assetmap("demo").exit_code == 0
    with Session(db) as session:
        people = session.scalars(select(Asset).where(Asset.kind.in_(PERSON_KINDS))).all()
        located = count(db, PublicLocation)

    assert len(people) == located == 101
    assert all(p.name_en.startswith("Fictional person") for p in people)
    assert all(p.email.endswith("@example.org") for p in people)
    assert all(p.status == "published" and p.consent_expires_at is not None for p in people)
    with TestClient(create_app(settings)) as client:
        counted = client.get("/api/v1/people/counts").json()
        searched = client.get("/api/v1/assets?kind=skill&kind=volunteer&limit=1000").json()
    shown = [r for r in counted["items"] if r["people"] is not None]
    assert counted["level"] == "lsoa"
    assert shown and len(shown) < len(counted["items"]) / 10  # a few numbers, mostly "fewer"
    assert searched["items"] == []  # never as records


def test_the_demo_people_file_is_what_its_generator_writes(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("build_people", DEMO_DIR / "build_people.py")
    assert spec is not None and spec.loader is not None
    module: Any = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.OUT = tmp_path / "aberllyn_people.csv"

    module.main()

    assert module.OUT.read_bytes() == (DEMO_DIR / "aberllyn_people.csv").read_bytes()


def test_demo_from_a_folder_without_its_files_names_them(
    assetmap: Invoke, db: Engine, tmp_path: Path
) -> None:
    (tmp_path / "assets.geojson").write_text('{"type": "FeatureCollection", "features": []}')

    result = assetmap("demo", "--area-dir", str(tmp_path))

    assert result.exit_code == 2
    assert "no lsoa11_wimd2019_population.geojson" in result.output
    assert "wimd2019_lsoa11.csv, postcodes.csv (the folder must be laid out like" in (result.output)
    assert count(db, Asset) == 0
