"""Rate limits kept in Redis (ASSETMAP_RATE_LIMIT_STORAGE=redis://...) count across app
instances: a client cannot spread its attempts over the replicas behind a load balancer."""

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings

pytestmark = pytest.mark.backend("spatialite")


def _fail(client: TestClient, email: str) -> int:
    body = {"email": email, "password": "not the password"}
    return client.post("/api/v1/auth/session", json=body).status_code


def test_failed_sign_ins_count_across_two_instances(settings: Settings, redis_url: str) -> None:
    shared = settings.model_copy(update={"rate_limit_storage": redis_url})
    with TestClient(create_app(shared)) as one, TestClient(create_app(shared)) as two:
        statuses = [_fail(one if n % 2 else two, f"u{n}@example.org") for n in range(6)]
    assert statuses == [401] * 5 + [429]


def test_with_memory_storage_each_instance_counts_alone(settings: Settings) -> None:
    """What Redis fixes: in-memory limits give each replica a budget of its own."""
    with TestClient(create_app(settings)) as one, TestClient(create_app(settings)) as two:
        statuses = [_fail(one if n % 2 else two, f"u{n}@example.org") for n in range(6)]
    assert statuses == [401] * 6
