"""Fails safe under abuse and load: anonymous writes are limited before their body is parsed,
bodies that trickle in time out, areas are checked off the event loop and capped, the engine
never puts a statement's values in an error, and overload is shed with 503 + Retry-After.

The HTTP behaviour is the same whatever the database: those tests run on SpatiaLite only; the
one about the database's error text runs on both.
"""

import asyncio
import concurrent.futures
import logging
import socket
import time
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert
from sqlalchemy.exc import DBAPIError

import app.schemas.assets as asset_schemas
from app.db import make_engine
from app.main import create_app
from app.models import Asset
from app.schemas.assets import MAX_AREA_PARTS, MAX_AREA_VERTICES
from app.settings import Settings
from tests.api.conftest import serve
from tests.conftest import ADMIN, asset_body

SUGGESTIONS = "/api/v1/suggestions"
ASSETS = "/api/v1/assets"
SPLOTT = [-3.1566, 51.4812]


def suggestion(**fields: Any) -> dict[str, Any]:
    """A valid anonymous suggestion body, with overrides."""
    return {"kind": "group", "name_en": "Lunch club", "location": {"type": "Point",
            "coordinates": SPLOTT}, **fields}  # fmt: skip


def square(lon: float, lat: float, size: float = 0.001) -> list[list[float]]:
    """A closed square ring."""
    return [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]


def fine_ring(vertices: int) -> list[list[float]]:
    """A valid closed ring (a many-sided polygon) with this many positions."""
    import math

    points = [
        [-3.17 + 0.01 * math.cos(2 * math.pi * i / (vertices - 1)),
         51.48 + 0.01 * math.sin(2 * math.pi * i / (vertices - 1))]
        for i in range(vertices - 1)
    ]  # fmt: skip
    return [*points, points[0]]


# Invalid (it crosses itself): a 422 once checked.
BOW_TIE = {
    "type": "Polygon",
    "coordinates": [[[-3.2, 51.4], [-3.1, 51.5], [-3.1, 51.4], [-3.2, 51.5], [-3.2, 51.4]]],
}


# ---- anonymous writes are limited before the body is parsed -----------------------------------


@pytest.mark.backend("spatialite")
def test_over_the_limit_an_anonymous_body_is_not_even_parsed(settings: Settings) -> None:
    limited = settings.model_copy(update={"anonymous_write_limit": "1/hour"})
    with TestClient(create_app(limited)) as client:
        assert client.post(SUGGESTIONS, json=suggestion()).status_code == 201
        # Not JSON at all: parsed, it would be a 422; the limit comes first.
        garbage = client.post(
            SUGGESTIONS, content=b"{not json", headers={"Content-Type": "application/json"}
        )
        assert garbage.status_code == 429, garbage.text
        assert int(garbage.headers["Retry-After"]) > 0
        page = client.post("/suggest", data={"name_en": "x" * 400})
        assert page.status_code == 429


@pytest.mark.backend("spatialite")
def test_a_large_invalid_area_over_the_limit_costs_a_429_quickly(settings: Settings) -> None:
    limited = settings.model_copy(update={"anonymous_write_limit": "1/hour"})
    # A bow-tie ring of the largest size accepted: invalid, and costly to check.
    ring = fine_ring(MAX_AREA_VERTICES - 2)
    ring = [*ring[:-1], [-3.19, 51.50], ring[0]]
    body = suggestion(service_area={"type": "Polygon", "coordinates": [ring]})
    with TestClient(create_app(limited)) as client:
        first = client.post(SUGGESTIONS, json=body)
        assert first.status_code == 422, first.text[:300]
        started = time.perf_counter()
        second = client.post(SUGGESTIONS, json=body)
        assert second.status_code == 429
        assert time.perf_counter() - started < 0.5


# ---- areas: checked in a worker thread, with caps ----------------------------------------------


def _on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


@pytest.mark.backend("spatialite")
def test_areas_are_checked_off_the_event_loop(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[bool] = []
    real = asset_schemas.multipolygon_from_geojson

    def watched(geometry: dict[str, Any]) -> Any:
        checked.append(_on_event_loop())
        return real(geometry)

    monkeypatch.setattr(asset_schemas, "multipolygon_from_geojson", watched)
    area = {"type": "Polygon", "coordinates": [fine_ring(500)]}
    created = client.post(ASSETS, json=asset_body(service_area=area), headers=ADMIN)
    assert created.status_code == 201, created.text
    suggested = client.post(SUGGESTIONS, json=suggestion(service_area=area))
    assert suggested.status_code == 201, suggested.text
    refused = client.post(SUGGESTIONS, json=suggestion(service_area=BOW_TIE))
    assert refused.status_code == 422
    assert checked and not any(checked), f"checked on the event loop: {checked}"


@pytest.mark.backend("spatialite")
def test_a_write_by_nobody_signed_in_is_refused_before_its_body_is_checked(
    client: TestClient,
) -> None:
    response = client.post(ASSETS, json=asset_body(service_area=BOW_TIE))
    assert response.status_code == 401, response.text


@pytest.mark.backend("spatialite")
def test_too_many_parts_are_refused_naming_the_field(client: TestClient) -> None:
    parts = [[square(-3.3 + 0.002 * i, 51.4)] for i in range(MAX_AREA_PARTS + 1)]
    response = client.post(
        SUGGESTIONS, json=suggestion(service_area={"type": "MultiPolygon", "coordinates": parts})
    )
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"][:3] == ["body", "service_area", "MultiPolygon"], error
    assert str(MAX_AREA_PARTS) in error["msg"]


@pytest.mark.backend("spatialite")
def test_too_many_positions_are_refused_naming_the_field(client: TestClient) -> None:
    # Each ring is within the cap; together they are over it.
    half = MAX_AREA_VERTICES // 2 + 1
    polygons = [[fine_ring(half)], [[[x + 0.1, y] for x, y in fine_ring(half)]]]
    response = client.post(
        ASSETS,
        json=asset_body(service_area={"type": "MultiPolygon", "coordinates": polygons}),
        headers=ADMIN,
    )
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"][:2] == ["body", "service_area"], error
    assert f"at most {MAX_AREA_VERTICES}" in error["msg"]


# ---- bodies that trickle in --------------------------------------------------------------------


@pytest.mark.backend("spatialite")
def test_a_body_that_trickles_in_gets_408(settings: Settings) -> None:
    with serve(settings.model_copy(update={"body_timeout": 1.0})) as live:
        url = urlsplit(live.url)
        head = (
            f"POST {SUGGESTIONS} HTTP/1.1\r\nHost: {url.netloc}\r\n"
            "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
        ).encode()
        started = time.monotonic()
        with socket.create_connection((url.hostname, url.port), timeout=10) as connection:
            connection.sendall(head + b'{"kind": ')
            reply = b""
            while b"\r\n\r\n" not in reply:
                data = connection.recv(65536)
                assert data, f"closed without an answer: {reply!r}"
                reply += data
        assert reply.startswith(b"HTTP/1.1 408 "), reply
        assert time.monotonic() - started < 5
        # The server is fine afterwards.
        assert httpx.get(live.url + "/healthz").status_code == 200


# ---- the database never hears values into its errors' text -----------------------------------


def test_a_database_error_holds_none_of_the_values(
    db: Engine, db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    engine = make_engine(Settings(database_url=db_url), serving=True)
    person = {
        "kind": None,  # NOT NULL: the insert fails in the database
        "name_en": "Rhian Secret-Jones",
        "email": "rhian.secret@example.org",
        "phone": "029 2000 1234",
        "address": "1 Hidden Street",
        "search_text": "",
        "status": "published",
        "version": 1,
    }
    caplog.set_level(logging.DEBUG)
    try:
        with engine.begin() as connection, pytest.raises(DBAPIError) as raised:
            connection.execute(insert(Asset), person)
    finally:
        engine.dispose()
    text = str(raised.value) + repr(raised.value) + caplog.text
    assert "SQL parameters hidden" in str(raised.value)
    assert "null" in str(raised.value).lower()  # what went wrong is still said
    for value in ("Rhian Secret-Jones", "rhian.secret@example.org", "029 2000 1234", "Hidden"):
        assert value not in text, f"{value!r} is in the error text"


# ---- overload is shed --------------------------------------------------------------------------


@pytest.mark.backend("spatialite")
def test_overload_is_shed_with_503_and_retry_after(settings: Settings) -> None:
    busy = settings.model_copy(
        update={"max_concurrent_requests": 2, "request_queue_timeout": 0.2, "db_busy_timeout": 4}
    )
    engine = make_engine(busy)
    with serve(busy) as live:
        # Another writer holds the database (through the app's own SQLite library: two libraries
        # in one process do not see each other's locks): the next two writes wait for it,
        # holding both places.
        holder = engine.raw_connection()
        holder.cursor().execute("BEGIN IMMEDIATE")
        try:
            with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
                writes = [
                    pool.submit(
                        httpx.post, live.url + ASSETS, json=asset_body(), headers=ADMIN, timeout=20
                    )
                    for _ in range(2)
                ]
                time.sleep(0.5)  # both writes are inside the app, waiting for the lock

                def timed_get(path: str) -> tuple[httpx.Response, float]:
                    started = time.monotonic()
                    response = httpx.get(live.url + path, timeout=20)
                    return response, time.monotonic() - started

                shed = [pool.submit(timed_get, "/api/v1/themes") for _ in range(4)]
                started = time.monotonic()
                page = httpx.get(live.url + "/cy/", headers={"Accept": "text/html"}, timeout=20)
                page_seconds = time.monotonic() - started
                health = timed_get("/healthz")
                answers = [future.result() for future in shed]
        finally:
            holder.rollback()
            holder.close()
            engine.dispose()
        for response, seconds in answers:
            assert response.status_code == 503, response.text
            assert response.headers["Retry-After"] == "1"
            assert "busy" in response.json()["detail"]
            assert seconds < 2, seconds
        assert health[0].status_code == 200 and health[1] < 2
        assert page.status_code == 503 and page_seconds < 2
        assert "busy" in page.text and "brysur" in page.text  # a page, in both languages
        # The writes held their places until the database answered them (either way).
        assert all(w.result().status_code in (201, 503) for w in writes)
        # With the places free again, requests are served.
        assert httpx.get(live.url + "/api/v1/themes").status_code == 200
