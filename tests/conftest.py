"""Test fixtures: every database test runs on SpatiaLite and on PostGIS.

PostGIS comes from ASSETMAP_TEST_POSTGIS_URL (`.ci/run` starts one). Locally a missing PostGIS
or shared data skips with a message; with CI set, it fails instead.
"""

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
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
    AssetUse,
    AuditEvent,
    Consent,
    Credential,
    Deficit,
    Erasure,
    Gap,
    GapSupport,
    GazetteerPlace,
    Indicator,
    IndicatorTheme,
    IndicatorValue,
    Introduction,
    JobRun,
    Offer,
    OutboxMessage,
    Postcode,
    PublicLocation,
    Report,
    User,
    UserArea,
)
from app.schemas.assets import AssetCreate
from app.services.assets import records as asset_service
from app.settings import Settings

ADMIN_TOKEN = "test-admin-token"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
PROJECT_DIR = Path(__file__).resolve().parents[1]
SHARED_DATA = PROJECT_DIR.parent / "shared" / "data"
IN_CI = bool(os.environ.get("CI"))
# Tests are offline: no basemap tiles (the default, osm, is for people serving the app). Set
# here, before any Settings is made, so every app, command and subprocess of a test reads it;
# a test of the default or of a tile server sets its own.
os.environ["ASSETMAP_BASEMAP"] = "none"
# Nor does each test app poll the outbox in the background: the email tests start the worker
# (or call its delivery) themselves, against a real SMTP server on 127.0.0.1.
os.environ["ASSETMAP_MAIL_EVERY_SECONDS"] = "0"
# One process makes thousands of apps here: frozen, each would stay (with its open database
# files) until the end, so the garbage collector keeps its usual view.
os.environ["ASSETMAP_GC_FREEZE"] = "false"


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
    with empty_database(backend_name, tmp_path_factory.mktemp(backend_name)) as url:
        yield url


@contextmanager
def empty_database(backend_name: str, directory: Path) -> Iterator[str]:
    """The URL of a new, empty (unmigrated) database of the backend: a file in `directory`,
    or a PostGIS database dropped after."""
    if backend_name == "spatialite":
        yield f"sqlite:///{directory / 'own.sqlite'}"
        return
    with fresh_postgis_database(postgis_url()) as url:
        yield url


@contextmanager
def own_database(backend_name: str, directory: Path) -> Iterator[str]:
    """A migrated database of its own (not the session's, which `db` empties before each
    test), for fixtures that keep data across tests, e.g. one world per module; dropped after."""
    with empty_database(backend_name, directory) as url:
        engine = make_engine(Settings(database_url=url))
        upgrade(engine)
        engine.dispose()
        yield url


@pytest.fixture
def blank_engine(backend_name: str, tmp_path: Path) -> Iterator[Engine]:
    """An engine on a new, empty (unmigrated) database of the backend, for migration tests."""
    with empty_database(backend_name, tmp_path) as url:
        engine = make_engine(Settings(database_url=url))
        yield engine
        engine.dispose()


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
            GapSupport,
            Gap,
            AssetUse,
            Offer,
            Report,
            Consent,
            PublicLocation,
            Introduction,
            Erasure,
            Credential,
            UserArea,
            User,
            AssetArea,
            AssetTheme,
            AuditEvent,
            Asset,
            IndicatorValue,
            IndicatorTheme,
            Indicator,
            Deficit,
            Postcode,
            GazetteerPlace,
            OutboxMessage,
            JobRun,
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


def set_noise(session: Session, asset_ids: list[int], noise: int) -> None:
    """Give people record keys whose cell draws this noise (-2..2) in published counts, for
    tests that need an exact published figure (the keys are otherwise secret and random)."""
    from sqlalchemy import update

    from app.services.people.disclosure import PERTURBATION

    for n, asset_id in enumerate(asset_ids):
        key = PERTURBATION.index(noise) if n == 0 else 0
        session.execute(
            update(PublicLocation).where(PublicLocation.asset_id == asset_id).values(record_key=key)
        )
    session.commit()


def person_body(**overrides: Any) -> dict[str, Any]:
    """A valid create body for a person offering a skill, with consent for a year."""
    from datetime import UTC, datetime, timedelta

    body: dict[str, Any] = {
        "kind": "skill",
        "name_en": "Rhian Jones",
        "description_en": "Can teach basic cooking",
        "themes": ["food"],
        "location": {"type": "Point", "coordinates": [-3.1566, 51.4812]},
        "email": "rhian@example.org",
        "phone": "029 2000 0000",
        "status": "published",
        "consent": {
            "method": "written",
            "notice_version": "2026-1",
            "expires_at": (datetime.now(UTC) + timedelta(days=365)).isoformat(),
        },
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


@pytest.fixture
def make_user(session: Session, settings: Settings) -> Any:
    """Create a user with a role (a connector optionally scoped to area codes) and return the
    headers of a fresh API token for them."""
    made = 0

    def make(
        role: str, *, patch: list[str] | None = None, password: str | None = None
    ) -> dict[str, str]:
        nonlocal made
        made += 1
        return add_user(
            session, settings, f"{role}{made}@example.org", role, patch=patch, password=password
        )

    return make


def add_user(
    session: Session,
    settings: Settings,
    email: str,
    role: str,
    *,
    patch: list[str] | None = None,
    password: str | None = None,
) -> dict[str, str]:
    """Create and commit a user with a role (a connector optionally scoped to area codes); the
    headers of a fresh API token for them."""
    from app.services import users

    user = users.create_user(
        session, email=email, role=role, actor="test", password=password, patch=patch
    )
    token = users.issue_token(session, user, key=settings.secret_key.get_secret_value())
    session.commit()
    return {"Authorization": f"Bearer {token}"}


@dataclass(frozen=True)
class Patches:
    """Two square LSOA-level areas side by side (0.1 degree each) and a point inside each."""

    west: str = "X01000001"
    east: str = "X01000002"
    west_point: tuple[float, float] = (-3.25, 51.45)
    east_point: tuple[float, float] = (-3.15, 51.45)


@pytest.fixture
def patches(session: Session) -> Patches:
    """Save the two areas of Patches (population 1,500 each) and return where they are."""
    return save_patches(session)


def save_patches(session: Session) -> Patches:
    """Save and commit the two areas of Patches (population 1,500 each); where they are."""
    from shapely.geometry import MultiPolygon, Point, box

    from app.services.needs.areas import AreaInput, save_areas

    squares = [
        ("X01000001", box(-3.3, 51.4, -3.2, 51.5)),
        ("X01000002", box(-3.2, 51.4, -3.1, 51.5)),
    ]
    areas = [
        AreaInput(
            number=n,
            code=code,
            name_en=f"Area {code}",
            name_cy=f"Ardal {code}",
            population=1500,
            parent_code=None,
            geom=MultiPolygon([geom]),
        )
        for n, (code, geom) in enumerate(squares, 1)
    ]
    centroids = {code: Point(geom.centroid.x, geom.centroid.y) for code, geom in squares}
    save_areas(session, level="lsoa", areas=areas, centroids=centroids, source="test")
    session.commit()
    return Patches()


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
    from app.services.needs.areas import AreaFields, read_areas, read_centroids, save_areas

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


# ---- test lanes ---------------------------------------------------------------------------------

# Markers given from what a test uses, so that no test file has to remember them:
# `make test-fast` leaves these lanes out; `make test` runs everything.
BROWSER_FIXTURES = {"browser", "visit", "web"}
REAL_DATA_FIXTURES = {"cardiff_dir"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark each test with its lanes (browser, fuzz, real_data, postgis), and deselect the
    cases of a test marked `backend("...")` that are on the other database."""
    kept, other_backend = [], []
    for item in items:
        only = item.get_closest_marker("backend")
        callspec = getattr(item, "callspec", None)
        backend = callspec.params.get("backend_name") if callspec is not None else None
        if only is not None and backend is not None and backend not in only.args:
            other_backend.append(item)
        else:
            kept.append(item)
    if other_backend:
        config.hook.pytest_deselected(items=other_backend)
        items[:] = kept
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        if used & BROWSER_FIXTURES or item.path.name.endswith("_browser.py"):
            item.add_marker(pytest.mark.browser)
        if item.path.name == "test_schemathesis.py":
            item.add_marker(pytest.mark.fuzz)
        if used & REAL_DATA_FIXTURES:
            item.add_marker(pytest.mark.real_data)
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("backend_name") == "postgis":
            item.add_marker(pytest.mark.postgis)
