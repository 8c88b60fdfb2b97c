"""Failed sign-ins back off instead of locking the owner out, a ceiling holds across the whole
service, and password checks (argon2, 64 MiB each) run a few at a time."""

import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.main import create_app
from app.services import users
from app.settings import Settings

pytestmark = pytest.mark.backend("spatialite")

PASSWORD = "a long enough password"
OWNER = "owner@example.org"
PROXY = ("127.0.0.1", 40000)


@pytest.fixture
def owner(session: Session) -> str:
    users.create_user(session, email=OWNER, role="resident", actor="test", password=PASSWORD)
    session.commit()
    return OWNER


@contextmanager
def _behind_proxy(settings: Settings, **changes: Any) -> Iterator[TestClient]:
    with TestClient(create_app(settings.model_copy(update=changes)), client=PROXY) as client:
        yield client


def _sign_in(client: TestClient, email: str, password: str, client_address: str) -> Any:
    return client.post(
        "/api/v1/auth/session",
        json={"email": email, "password": password},
        headers={"X-Forwarded-For": client_address},
    )


def test_an_attacker_at_one_address_does_not_lock_the_owner_out(
    settings: Settings, owner: str
) -> None:
    with _behind_proxy(settings) as client:
        attacker = [_sign_in(client, owner, "guess", "198.51.100.66").status_code for _ in range(6)]
        refused = _sign_in(client, owner, PASSWORD, "198.51.100.66")
        first = _sign_in(client, owner, PASSWORD, "192.0.2.10")
        time.sleep(int(first.headers.get("Retry-After", "0")))
        then = _sign_in(client, owner, PASSWORD, "192.0.2.10")

    assert attacker == [401] * 5 + [429]
    assert refused.status_code == 429  # the attacker's own address stays refused
    # The owner elsewhere waits a moment (2 s after five failures), never fifteen minutes.
    assert first.status_code == 429 and int(first.headers["Retry-After"]) <= 2
    assert then.status_code == 200


def test_failures_from_many_addresses_make_each_try_wait_longer_up_to_the_most(
    settings: Settings, owner: str
) -> None:
    waits = []
    with _behind_proxy(settings, sign_in_backoff_max_seconds=3) as client:
        statuses = [
            _sign_in(client, owner, "guess", f"198.51.100.{n}").status_code for n in range(5)
        ]
        for n in range(3):
            refused = _sign_in(client, owner, "guess", f"203.0.113.{n}")
            assert refused.status_code == 429
            waits.append(int(refused.headers["Retry-After"]))
            time.sleep(waits[-1])
            assert _sign_in(client, owner, "guess", f"203.0.113.{n}").status_code == 401
        owner_in = _sign_in(client, owner, PASSWORD, "192.0.2.10")
        time.sleep(int(owner_in.headers.get("Retry-After", "0")))
        owner_in = _sign_in(client, owner, PASSWORD, "192.0.2.10")

    assert statuses == [401] * 5
    assert waits[0] <= 2 and all(1 <= w <= 3 for w in waits)
    assert owner_in.status_code == 200


def test_failures_across_the_service_have_a_ceiling(settings: Settings) -> None:
    with _behind_proxy(settings, sign_in_failures_limit="3/minute") as client:
        statuses = [
            _sign_in(client, f"u{n}@example.org", "guess", f"198.51.100.{n}").status_code
            for n in range(4)
        ]
    assert statuses == [401] * 3 + [429]


def test_password_checks_run_a_few_at_a_time_and_health_stays_quick(
    settings: Settings, owner: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    running, most = 0, 0
    lock = threading.Lock()

    class CountingHasher(PasswordHasher):
        """The same argon2 checks, counting how many run at once."""

        def verify(self, hash: str | bytes, password: str | bytes) -> Any:
            nonlocal running, most
            with lock:
                running += 1
                most = max(most, running)
            try:
                return super().verify(hash, password)
            finally:
                with lock:
                    running -= 1

    monkeypatch.setattr(users, "HASHER", CountingHasher())
    with _behind_proxy(settings, password_checks=2) as client, ThreadPoolExecutor(30) as pool:
        tries = [
            pool.submit(_sign_in, client, f"u{n}@example.org", "guess", f"198.51.100.{n}")
            for n in range(30)
        ]
        time.sleep(0.2)
        started = time.monotonic()
        health = client.get("/healthz")
        health_seconds = time.monotonic() - started
        statuses = {t.result().status_code for t in tries}

    assert most == 2
    assert statuses <= {401, 429}
    assert health.status_code == 200 and health_seconds < 1


# The wait counts down: on a slow machine a second may pass before the page is asked for.
@pytest.mark.parametrize(
    ("path", "says"),
    [
        ("/sign-in", r"Wait [12] seconds, then try again\."),
        ("/cy/sign-in", r"Arhoswch [12] eiliad"),
    ],
)
def test_the_sign_in_page_tells_the_owner_how_many_seconds_to_wait(
    settings: Settings, owner: str, path: str, says: str
) -> None:
    with _behind_proxy(settings) as client:
        for n in range(5):
            _sign_in(client, owner, "guess", f"198.51.100.{n}")
        page = client.post(
            path,
            data={"email": owner, "password": PASSWORD},
            headers={"X-Forwarded-For": "192.0.2.10"},
            follow_redirects=False,
        )

    assert page.status_code == 429
    assert re.search(says, page.text), page.text
