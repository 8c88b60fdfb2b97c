"""schemathesis over the whole OpenAPI of the app, on both backends, as admin, as a connector
and a resident (user API tokens), and anonymous.

Every operation (/api/v1, /ogc, /healthz, ...) is exercised from its own OpenAPI declaration;
the app must answer without a server error, refuse schema-invalid input with a 4xx, and answer
with a status, media type, headers and body that the declaration allows.

Sized for CI and reproducible (fixed seed, derandomized): as admin, where every write path is
reached, schemathesis's coverage phase (boundary and invalid values) plus 15 generated cases per
operation; as a connector whose patch holds the asset, and as a resident, 8 generated cases per
operation; anonymous, 10.
"""

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.python.asgi import shutdown_lifespans
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.main import create_app
from app.settings import Settings
from tests.conftest import ADMIN

CHECKS = [
    negative_data_rejection,
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
SEED = 20240602
SQUARE = [[-3.17, 51.47], [-3.14, 51.47], [-3.14, 51.49], [-3.17, 51.47]]


def ci_sized(examples: int) -> settings:
    """Reproducible hypothesis settings with this many generated cases per operation."""
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


# The OpenAPI document does not depend on the database, so it is read once, at collection, from
# an app that never connects; each test then calls its own app on its backend.
# (schemathesis.pytest.from_fixture would build it per test, but it sets `Item._nodeid`, which
# pytest 9.2 no longer has: AttributeError.)
OPENAPI = create_app(Settings(database_url="sqlite:///:memory:")).openapi()
# A body over ASSETMAP_MAX_BODY_BYTES is refused with 413 before it is parsed, whatever it holds:
# that is a rejection too (schemathesis makes >1 MB areas now the schema caps their parts).
REJECTED = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"]
CHECK_CONFIG = {"negative_data_rejection": {"expected-statuses": [*REJECTED, "5xx"]}}
as_admin = schemathesis.openapi.from_dict(
    OPENAPI, config=SchemathesisConfig.from_dict({"seed": SEED, "checks": CHECK_CONFIG})
)
# Anonymous writes stop at 401 and reads differ from the admin's only in what is visible, so a
# lighter run (no coverage phase, fewer cases) suffices.
as_anonymous = schemathesis.openapi.from_dict(
    OPENAPI,
    config=SchemathesisConfig.from_dict(
        {"seed": SEED, "phases": {"coverage": {"enabled": False}}, "checks": CHECK_CONFIG}
    ),
)


@pytest.fixture
def api_app(settings: Settings) -> Iterator[FastAPI]:
    """A fresh app on the emptied test database; its lifespan is ended after the test."""
    yield create_app(settings)
    shutdown_lifespans()


@pytest.fixture
def asset_id(make_asset: Any) -> int:
    """A published asset with every optional field set, so reads return real, full records."""
    return int(
        make_asset(
            description_en="Hot lunch every Monday",
            service_area={"type": "Polygon", "coordinates": [SQUARE]},
            address="Church hall, Splott Road",
            postcode="CF24 2BZ",
            email="hello@example.org",
            phone="+44 29 2000 0000",
            website="https://example.org/lunch",
            opening_hours=[{"day": "mon", "opens": "12:00", "closes": "14:00"}],
            accessibility=["step_free_access"],
            languages=["cy", "en"],
            last_verified_at="2026-01-05T09:00:00Z",
            source="survey",
            source_id="splott-1",
        )
    )


def aim_at(case: Any, asset_id: int) -> None:
    """Point a schema-valid case at the real asset with `If-Match: *`.

    Random ids and ETags would stop nearly every change at 404, 412 or 428; aimed, the generated
    bodies reach validation, the service layer and the database.
    """
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return
    if case.method.upper() in ("PATCH", "DELETE"):
        case.headers = {**(case.headers or {}), "If-Match": "*"}
    if "asset_id" in (case.path_parameters or {}):
        case.path_parameters["asset_id"] = asset_id


@as_admin.parametrize()
@ci_sized(15)
def test_operation_answers_admin_within_its_openapi(
    case: Any, api_app: FastAPI, asset_id: int
) -> None:
    aim_at(case, asset_id)
    response = case.call(app=api_app, headers=ADMIN)
    case.validate_response(response, checks=CHECKS, headers=ADMIN)


@as_anonymous.parametrize()
@ci_sized(10)
def test_operation_answers_anonymous_within_its_openapi(
    case: Any, api_app: FastAPI, asset_id: int
) -> None:
    response = case.call(app=api_app)
    case.validate_response(response, checks=CHECKS)


@pytest.fixture
def connector(make_user: Any, patches: Any, asset_id: int) -> dict[str, str]:
    """Headers of a connector whose patch (the east test area) holds the asset."""
    return dict(make_user("connector", patch=[patches.east]))


# The connector and resident runs look for role-specific server errors and schema breaks; the
# admin run already explores the inputs, so a handful of cases per operation is enough here.
@as_anonymous.parametrize()
@ci_sized(5)
def test_operation_answers_a_connector_within_its_openapi(
    case: Any, api_app: FastAPI, asset_id: int, connector: dict[str, str]
) -> None:
    aim_at(case, asset_id)
    response = case.call(app=api_app, headers=connector)
    case.validate_response(response, checks=CHECKS, headers=connector)


@as_anonymous.parametrize()
@ci_sized(5)
def test_operation_answers_a_resident_within_its_openapi(
    case: Any, api_app: FastAPI, asset_id: int, make_user: Any
) -> None:
    resident = dict(make_user("resident"))
    aim_at(case, asset_id)
    response = case.call(app=api_app, headers=resident)
    case.validate_response(response, checks=CHECKS, headers=resident)
