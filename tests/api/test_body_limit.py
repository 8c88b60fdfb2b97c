"""Bodies over the size limit get 413 and write nothing: declared, chunked, and still arriving.

Starlette's TestClient reads a generator body to the end and hands the app one message, so only
a real server (uvicorn, via the `live_server` fixture) shows the limit applied as bytes arrive.
"""

import json
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from app.models import Asset, AuditEvent
from app.schemas.assets import AssetCreate
from app.settings import Settings
from tests.conftest import ADMIN, asset_body

LIMIT = 4096
ASSETS = "/api/v1/assets"
JSON = {**ADMIN, "Content-Type": "application/json"}
# A valid asset (the description is within its 5,000 characters) whose JSON is over the limit:
# without the limit it would be written.
OVER = json.dumps(asset_body(description_en="A long description. " * 245)).encode()
UNDER = json.dumps(asset_body()).encode()

# The limit is applied before the app reads the body, whatever the database: once is enough.
pytestmark = pytest.mark.backend("spatialite")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The test settings with a small body limit (also used by `client` and `live_server`)."""
    return settings.model_copy(update={"max_body_bytes": LIMIT})


def counts(db: Engine) -> tuple[int, int]:
    """How many assets and audit events the database holds."""
    with db.connect() as connection:
        assets = connection.scalar(select(func.count()).select_from(Asset))
        events = connection.scalar(select(func.count()).select_from(AuditEvent))
    return int(assets or 0), int(events or 0)


def chunks(body: bytes, size: int = 1000) -> Iterator[bytes]:
    """The body in pieces, so httpx sends it chunked, without a Content-Length."""
    for start in range(0, len(body), size):
        yield body[start : start + size]


def assert_too_large(response: httpx.Response) -> None:
    assert response.status_code == 413, response.text
    assert response.json() == {"detail": f"request body is larger than {LIMIT} bytes"}


def test_the_over_limit_body_is_a_valid_asset() -> None:
    assert len(OVER) > LIMIT >= len(UNDER)
    AssetCreate.model_validate_json(OVER)


def test_a_declared_length_over_the_limit_is_413(client: TestClient, db: Engine) -> None:
    response = client.post(ASSETS, content=OVER, headers=JSON)
    assert "content-length" in response.request.headers
    assert_too_large(response)
    assert counts(db) == (0, 0)


def test_a_chunked_body_over_the_limit_is_413(client: TestClient, db: Engine) -> None:
    response = client.post(ASSETS, content=chunks(OVER), headers=JSON)
    assert "content-length" not in response.request.headers
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert_too_large(response)
    assert counts(db) == (0, 0)


def test_the_limit_holds_for_patch_too(client: TestClient, db: Engine) -> None:
    created = client.post(ASSETS, content=UNDER, headers=JSON)
    url, etag = created.headers["location"], created.headers["etag"]
    before = counts(db)
    patch = json.dumps({"description_en": "x" * 4500}).encode()
    response = client.patch(url, content=chunks(patch), headers={**JSON, "If-Match": etag})
    assert_too_large(response)
    assert counts(db) == before


def test_a_real_server_accepts_a_chunked_body_under_the_limit(live_server, db: Engine) -> None:
    response = httpx.post(live_server.url + ASSETS, content=chunks(UNDER, 100), headers=JSON)
    assert response.status_code == 201, response.text
    assert counts(db) == (1, 1)


def test_a_real_server_refuses_a_chunked_body_over_the_limit(live_server, db: Engine) -> None:
    response = httpx.post(live_server.url + ASSETS, content=chunks(OVER, 3000), headers=JSON)
    assert_too_large(response)
    assert counts(db) == (0, 0)


def test_413_comes_as_the_bytes_pass_the_limit_not_at_the_end(live_server, db: Engine) -> None:
    # Send chunks until just past the limit and never finish the body (no zero-length chunk):
    # a server that waited for the whole body would never answer.
    url = urlsplit(live_server.url)
    head = (
        f"POST {ASSETS} HTTP/1.1\r\nHost: {url.netloc}\r\n"
        f"Authorization: {ADMIN['Authorization']}\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    ).encode()
    sent = 0
    with socket.create_connection((url.hostname, url.port), timeout=10) as connection:
        connection.sendall(head)
        for piece in chunks(OVER, 1000):
            connection.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
            sent += len(piece)
            if sent > LIMIT:
                break
        reply = b""
        while b"\r\n\r\n" not in reply:
            try:
                data = connection.recv(65536)
            except TimeoutError:
                pytest.fail(f"no answer after {sent} bytes: the limit waits for the whole body")
            assert data, f"connection closed without an answer: {reply!r}"
            reply += data
    assert sent < len(OVER)
    assert reply.startswith(b"HTTP/1.1 413 "), reply
    assert counts(db) == (0, 0)
