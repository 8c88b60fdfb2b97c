"""Test fixtures: every database test runs on SpatiaLite and on PostGIS.

PostGIS comes from ASSETMAP_TEST_POSTGIS_URL (`.ci/run` starts one). Locally a missing PostGIS
or shared data skips with a message; with CI set, it fails instead.
"""

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, delete
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app.db import make_engine
from app.main import create_app
from app.migrate import upgrade
from app.models import (
    Area,
    Asset,
    AssetArea,
    AssetTheme,
    AuditEvent,
    Deficit,
    Indicator,
    IndicatorTheme,
    IndicatorValue,
    Postcode,
)
from app.schemas.assets import AssetCreate
from app.services import assets as asset_service
from app.settings import Settings

ADMIN_TOKEN = "test-admin-token"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
PROJECT_DIR = Path(__file__).resolve().parents[1]
SHARED_DATA = PROJECT_DIR.parent / "shared" / "data"
IN_CI = bool(os.environ.get("CI"))


def unavailable(reason: str) -> None:
    """Skip locally; fail in CI, where every backend and data set must be present."""
    if IN_CI:
        pytest.fail(f"{reason} (CI is set, so this is a failure, not a skip)")
    pytest.skip(reason)


def postgis_url() -> str:
    """The test PostGIS URL, or skip/fail."""
    url = os.environ.get("ASSETMAP_TEST_POSTGIS_URL")
    if not url:
        unavailable("PostGIS not configured: set ASSETMAP_TEST_POSTGIS_URL (see .ci/run)")
    return url  # type: ignore[return-value]


@pytest.fixture(scope="session", params=["spatialite", "postgis"])
def backend_name(request: pytest.FixtureRequest) -> str:
    """Which database this test runs on."""
    return str(request.param)


@contextmanager
def fresh_postgis_database(base_url: str) -> Iterator[str]:
    """A new PostGIS database beside the configured one, dropped afterwards.

    Each test session gets its own, so concurrent runs on one server never share tables.
    """
    name = f"assetmap_t{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = make_url(base_url).set(database=name)
    fresh = create_engine(url, isolation_level="AUTOCOMMIT")
    with fresh.connect() as connection:
        connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS postgis")
    fresh.dispose()
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(scope="session")
def db_url(backend_name: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database URL for the backend, fresh for this test session."""
    if backend_name == "spatialite":
        yield f"sqlite:///{tmp_path_factory.mktemp('spatialite') / 'test.sqlite'}"
        return
    with fresh_postgis_database(postgis_url()) as url:
        yield url


@pytest.fixture(scope="session")
def engine(db_url: str) -> Iterator[Engine]:
    """A migrated engine (whole Alembic history, themes seeded)."""
    engine = make_engine(Settings(database_url=db_url))
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def db(engine: Engine) -> Engine:
    """The engine with every table but the taxonomy emptied before the test."""
    with engine.begin() as connection:
        for model in (
            AssetArea,
            AssetTheme,
            AuditEvent,
            Asset,
            IndicatorValue,
            IndicatorTheme,
            Indicator,
            Deficit,
            Postcode,
            Area,
        ):
            connection.execute(delete(model))
    return engine


@pytest.fixture
def session(db: Engine) -> Iterator[Session]:
    """A session on the emptied database."""
    with Session(db, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def settings(db: Engine, db_url: str) -> Settings:
    """Settings pointing at the test database, with a known admin token."""
    return Settings(database_url=db_url, admin_token=ADMIN_TOKEN)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """An HTTP client for a fresh app on the test database."""
    with TestClient(create_app(settings)) as client:
        yield client


def asset_body(**overrides: Any) -> dict[str, Any]:
    """A valid create body (a published group in Cardiff), with overrides."""
    body: dict[str, Any] = {
        "kind": "group",
        "name_en": "Splott lunch club",
        "name_cy": "Clwb cinio Sblot",
        "themes": ["food", "older_people"],
        "location": {"type": "Point", "coordinates": [-3.1566, 51.4812]},
        "status": "published",
    }
    body.update(overrides)
    return body


@pytest.fixture
def make_asset(session: Session) -> Any:
    """Create and commit an asset through the service layer; returns its id."""

    def make(**overrides: Any) -> int:
        data = AssetCreate.model_validate(asset_body(**overrides))
        asset = asset_service.create_asset(session, actor="test", data=data)
        session.commit()
        return asset.id

    return make


@pytest.fixture(scope="session")
def cardiff_dir() -> Path:
    """The real Cardiff open data in ../shared (skips locally when absent)."""
    path = SHARED_DATA / "cardiff"
    if not (path / "assets.geojson").exists():
        unavailable(f"real data not found at {path}")
    return path


CARDIFF_LSOA_FIELDS = {
    "code": "lsoa11cd",
    "name_en": "lsoa11nm",
    "name_cy": "lsoa11nmw",
    "population": "population_mid2019",
    "parent": "msoa11cd",
}


@pytest.fixture
def cardiff_lsoas(session: Session, cardiff_dir: Path) -> int:
    """The 214 real Cardiff LSOAs with population and population-weighted centroids, saved."""
    from app.services.areas import AreaFields, read_areas, read_centroids, save_areas

    areas, bad, _ = read_areas(
        cardiff_dir / "lsoa11_wimd2019_population.geojson", AreaFields(**CARDIFF_LSOA_FIELDS)
    )
    centroids, bad_points = read_centroids(
        cardiff_dir / "lsoa11_population_weighted_centroids.geojson", "lsoa11cd"
    )
    assert not bad and not bad_points
    save_areas(session, level="lsoa", areas=areas, centroids=centroids, source="test")
    session.commit()
    return len(areas)
