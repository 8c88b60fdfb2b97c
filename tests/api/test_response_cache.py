"""Answers to anonymous GET requests kept per process (app/http/response_cache.py): served again
only while the data version, the consent horizon, the age limit and the request all match;
never for requests with credentials, never an answer that sets a cookie or is not a 200, and
never with a CSP nonce seen before."""

import asyncio
import re
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from app.http.response_cache import ResponseCache, SharedReads
from app.main import create_app
from app.models import Asset
from app.models.base import utcnow
from app.settings import Settings
from tests.conftest import ADMIN, Patches, person_body

NONCE = re.compile(r"'nonce-([^']+)'")


def cache_of(app: FastAPI) -> ResponseCache:
    """The app's ResponseCache (the middleware stack is built on the first request)."""
    layer: Any = app.middleware_stack
    while layer is not None and not isinstance(layer, ResponseCache):
        layer = getattr(layer, "app", None)
    assert layer is not None, "no ResponseCache in the middleware stack"
    return layer


@pytest.fixture
def asset_id(client: TestClient, patches: Patches) -> int:
    body = {
        "kind": "group",
        "name_en": "Lunch club",
        "location": {"type": "Point", "coordinates": list(patches.west_point)},
        "status": "published",
    }
    answer = client.post("/api/v1/assets", json=body, headers=ADMIN)
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def test_a_page_is_served_again_with_a_fresh_nonce(client: TestClient, asset_id: int) -> None:
    cache = cache_of(client.app)  # type: ignore[arg-type]
    first = client.get(f"/assets/{asset_id}")
    hits = cache.hits
    second = client.get(f"/assets/{asset_id}")
    assert first.status_code == second.status_code == 200
    assert cache.hits == hits + 1
    nonces = [NONCE.search(r.headers["content-security-policy"]) for r in (first, second)]
    assert nonces[0] and nonces[1] and nonces[0].group(1) != nonces[1].group(1)
    # Any nonce in the page is its own answer's, never the first one; otherwise the same bytes.
    assert nonces[0].group(1) not in second.text
    assert second.text.replace(nonces[1].group(1), "N") == first.text.replace(
        nonces[0].group(1), "N"
    )
    assert second.headers["content-length"] == str(len(second.content))


def test_a_write_through_any_process_is_seen_at_once(
    client: TestClient, settings: Settings, session: Session, asset_id: int
) -> None:
    cache = cache_of(client.app)  # type: ignore[arg-type]
    assert "Lunch club" in client.get(f"/assets/{asset_id}").text
    assert "Lunch club" in client.get(f"/api/v1/assets/{asset_id}").text
    # Another replica (another app on the same database) changes it.
    with TestClient(create_app(settings)) as other:
        changed = other.patch(
            f"/api/v1/assets/{asset_id}",
            json={"name_en": "Supper club"},
            headers={**ADMIN, "If-Match": client.get(f"/api/v1/assets/{asset_id}").headers["etag"]},
        )
        assert changed.status_code == 200, changed.text
    hits = cache.hits
    assert "Supper club" in client.get(f"/assets/{asset_id}").text
    assert client.get(f"/api/v1/assets/{asset_id}").json()["name_en"] == "Supper club"
    assert cache.hits == hits
    # A write by hand (psql, a script) moves the version too.
    session.execute(update(Asset).where(Asset.id == asset_id).values(name_en="Breakfast club"))
    session.commit()
    assert "Breakfast club" in client.get(f"/assets/{asset_id}").text


def test_requests_with_credentials_are_never_served_from_it_or_kept(
    client: TestClient, asset_id: int
) -> None:
    cache = cache_of(client.app)  # type: ignore[arg-type]
    path = f"/api/v1/assets/{asset_id}"
    client.get(path)
    before = (cache.hits, cache.misses)
    signed = client.get(path, headers=ADMIN)
    assert signed.status_code == 200
    assert (cache.hits, cache.misses) == before  # neither looked up nor kept
    assert signed.headers["cache-control"] == "no-store"
    with_cookie = client.get(path, headers={"cookie": "assetmap_session=anything"})
    assert (cache.hits, cache.misses) == before
    assert with_cookie.status_code == 200


def test_only_plain_200_answers_are_kept(client: TestClient) -> None:
    cache = cache_of(client.app)  # type: ignore[arg-type]
    for _ in range(2):
        assert client.get("/assets/999999").status_code == 404
    chosen = []
    for _ in range(2):
        client.cookies.clear()
        chosen.append(client.get("/?lang=cy"))  # sets the language cookie
    assert all("set-cookie" in r.headers for r in chosen)
    conditional = client.get("/", headers={"if-none-match": '"x"'})
    assert conditional.status_code == 200
    assert cache.hits == 0


def test_the_request_must_match(client: TestClient, asset_id: int) -> None:
    cache = cache_of(client.app)  # type: ignore[arg-type]
    english = client.get(f"/assets/{asset_id}")
    welsh = client.get(f"/cy/assets/{asset_id}")
    from_search = client.get(
        f"/assets/{asset_id}", headers={"referer": "http://testserver/search?q=lunch"}
    )
    geojson = client.get(f"/api/v1/assets/{asset_id}", headers={"accept": "application/geo+json"})
    plain = client.get(f"/api/v1/assets/{asset_id}")
    assert cache.hits == 0
    assert english.text != welsh.text and english.text != from_search.text
    assert geojson.json()["type"] == "Feature" and "type" not in plain.json()


def test_nothing_is_served_past_a_consent_lapse_or_the_age_limit(
    db: Any, db_url: str, session: Session, patches: Patches
) -> None:
    settings = Settings(
        database_url=db_url,
        admin_token=ADMIN["Authorization"].split()[1],
        response_cache_seconds=3,
    )
    with TestClient(create_app(settings)) as client:
        cache = cache_of(client.app)  # type: ignore[arg-type]
        person = client.post("/api/v1/assets", json=person_body(), headers=ADMIN)
        assert person.status_code == 201, person.text
        lapse = utcnow().timestamp() + 1.5
        session.execute(
            update(Asset)
            .where(Asset.id == person.json()["id"])
            .values(consent_expires_at=utcnow().fromtimestamp(lapse, utcnow().tzinfo))
        )
        session.commit()
        for _ in range(2):
            assert client.get("/api/v1/people/counts").status_code == 200
        assert cache.hits == 1
        wait_until(lapse + 0.1)
        client.get("/api/v1/people/counts")  # the person's consent lapsed: made afresh
        assert cache.hits == 1
        client.get("/api/v1/people/counts")
        assert cache.hits == 2
        wait_until(time.time() + 3.1)
        client.get("/api/v1/people/counts")  # older than response_cache_seconds
        assert cache.hits == 2


def wait_until(moment: float) -> None:
    while time.time() < moment:
        time.sleep(0.05)


@pytest.fixture
def no_cache(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings.model_copy(update={"response_cache_mb": 0}))) as c:
        yield c


def test_it_can_be_turned_off(no_cache: TestClient) -> None:
    for _ in range(2):
        assert no_cache.get("/").status_code == 200
    cache = cache_of(no_cache.app)  # type: ignore[arg-type]
    assert cache.hits == cache.misses == 0


def test_concurrent_requests_share_a_version_read_made_after_they_arrived(
    client: TestClient, session: Session, asset_id: int
) -> None:
    """Twenty-four requests at once (fewer than the places ASSETMAP_MAX_CONCURRENT_REQUESTS
    gives, so none waits to be admitted), just after a write by hand: every one sees the write,
    and they share a few reads of the version instead of making one each."""
    cache = cache_of(client.app)  # type: ignore[arg-type]
    path = f"/api/v1/assets/{asset_id}"
    assert client.get(path).json()["name_en"] == "Lunch club"  # kept
    session.execute(update(Asset).where(Asset.id == asset_id).values(name_en="Supper club"))
    session.commit()

    async def at_once() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            return await asyncio.gather(*(c.get(path) for _ in range(24)))

    reads = cache._state.reads
    answers = client.portal.call(at_once)  # type: ignore[union-attr]
    assert [a.status_code for a in answers] == [200] * 24
    assert {a.json()["name_en"] for a in answers} == {"Supper club"}
    assert 1 <= cache._state.reads - reads < 12


def in_own_loop(scenario: Any) -> None:
    """asyncio.run(scenario()) in a thread of its own: a test before this one on the same worker
    (Playwright's sync API) may have left an event loop running in this thread."""
    failures: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(scenario())
        except BaseException as exc:  # handed to the test's thread
            failures.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    assert not thread.is_alive(), "the scenario did not finish"
    if failures:
        raise failures[0]


def test_a_shared_read_never_started_before_its_request_arrived() -> None:
    """SharedReads alone, with a read that blocks until told: requests that arrive during a
    read wait for the next one, and all of them share it."""
    release = threading.Event()
    started: list[float] = []

    def read(_factory: Any) -> float:
        started.append(time.monotonic())
        release.wait(5)
        return started[-1]

    async def scenario() -> None:
        shared = SharedReads(read)
        first = asyncio.create_task(shared.read(None))  # type: ignore[arg-type]
        while not started:
            await asyncio.sleep(0.001)
        arrived = time.monotonic()
        later = [asyncio.create_task(shared.read(None)) for _ in range(5)]  # type: ignore[arg-type]
        await asyncio.sleep(0.05)
        assert not any(t.done() for t in later)  # not given the read already running
        release.set()
        answers = await asyncio.gather(first, *later)
        assert answers[0] < arrived
        assert len(set(answers[1:])) == 1 and answers[1] >= arrived  # one read, after them
        assert shared.reads == 2

    in_own_loop(scenario)


def test_a_failed_shared_read_fails_every_request_waiting_for_it() -> None:
    calls = 0

    def read(_factory: Any) -> int:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("database down")
        return calls

    async def scenario() -> None:
        shared = SharedReads(read)
        waiting = [shared.read(None) for _ in range(3)]  # type: ignore[arg-type]
        outcomes = await asyncio.gather(*waiting, return_exceptions=True)
        assert all(isinstance(o, RuntimeError) for o in outcomes)
        assert await shared.read(None) == 2  # type: ignore[arg-type]  # the next one reads again

    in_own_loop(scenario)
