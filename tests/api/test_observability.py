"""Observable without leaking: one JSON access line per request with the route's template (never
a path value, query string or body), a request id in a header and on every log line, and
Prometheus metrics behind a setting."""

import io
import json
import logging
import logging.config
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from typer.testing import CliRunner

from app.cli import app as cli
from app.http.log_format import LOG_CONFIG
from app.main import create_app
from app.settings import Settings
from tests.conftest import ADMIN

POSTCODE_PATH = "/api/v1/postcodes/CF10%201AA"
TEMPLATE = "/api/v1/postcodes/{postcode}"
# Access lines and request ids do not depend on the database: once is enough.
pytestmark = pytest.mark.backend("spatialite")


def access_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """The access log's records."""
    return [r for r in caplog.records if r.name == "assetmap.access"]


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """The `assetmap` loggers written as `assetmap serve` writes them (LOG_CONFIG's formatter
    and filter), into a buffer."""
    configurator = logging.config.DictConfigurator(LOG_CONFIG)
    formatter = configurator.configure_formatter(dict(LOG_CONFIG["formatters"]["json"]))
    request_filter = configurator.configure_filter(dict(LOG_CONFIG["filters"]["request_id"]))
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(formatter)
    handler.addFilter(request_filter)
    logger = logging.getLogger("assetmap")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield buffer
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def test_a_postcode_lookup_is_logged_by_its_route_not_its_postcode(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="assetmap.access")

    response = client.get(POSTCODE_PATH + "?near=-3.187654,51.476543")

    (record,) = access_records(caplog)
    assert record.getMessage().startswith(f"GET {TEMPLATE} {response.status_code} ")
    assert (record.method, record.route, record.status) == ("GET", TEMPLATE, response.status_code)
    assert "CF10" not in caplog.text and "1AA" not in caplog.text and "3.187654" not in caplog.text


def test_the_access_line_is_one_json_object_with_route_status_duration_and_request_id(
    client: TestClient, json_log: io.StringIO
) -> None:
    response = client.get(POSTCODE_PATH, headers={"X-Request-ID": "req-42.abc"})

    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    (line,) = [x for x in lines if x["logger"] == "assetmap.access"]
    assert line["route"] == TEMPLATE and line["method"] == "GET"
    assert line["status"] == response.status_code
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["request_id"] == "req-42.abc" == response.headers["x-request-id"]
    assert {"time", "level", "message"} <= line.keys()
    assert "CF10" not in json_log.getvalue()


def test_a_body_is_never_logged(client: TestClient, json_log: io.StringIO) -> None:
    body = {"kind": "group", "name_en": "Secret Garden Club", "note": "ring 07700 900123"}
    client.post("/api/v1/suggestions", json=body)
    text = json_log.getvalue()
    assert "Secret Garden" not in text and "07700" not in text
    assert '"route": "/api/v1/suggestions"' in text


def test_an_unknown_path_is_logged_as_unmatched(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="assetmap.access")
    client.get("/no/such/CF10-1AA")
    (record,) = access_records(caplog)
    assert record.route == "unmatched" and "CF10" not in caplog.text


def test_every_response_has_a_fresh_request_id(client: TestClient) -> None:
    first = client.get("/healthz").headers["x-request-id"]
    second = client.get("/no/such/page").headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", first) and re.fullmatch(r"[0-9a-f]{32}", second)
    assert first != second


@pytest.mark.parametrize("sent", ["x" * 65, "a b", "<script>", "id;drop", ""])
def test_an_unsafe_incoming_request_id_is_replaced(client: TestClient, sent: str) -> None:
    answered = client.get("/healthz", headers={"X-Request-ID": sent}).headers["x-request-id"]
    assert answered != sent and re.fullmatch(r"[0-9a-f]{32}", answered)


def test_log_lines_a_request_causes_carry_its_id(settings: Settings, json_log: io.StringIO) -> None:
    app = create_app(settings)

    @app.get("/boom", include_in_schema=False)
    def boom() -> None:
        logging.getLogger("assetmap.test").warning("something went wrong")
        raise RuntimeError("boom")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom", headers={"X-Request-ID": "trace-500"})
    assert response.status_code == 500
    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    warning = next(x for x in lines if x["logger"] == "assetmap.test")
    access = next(x for x in lines if x["logger"] == "assetmap.access")
    assert warning["request_id"] == "trace-500" == access["request_id"]
    assert access["status"] == 500


def test_serve_logs_json_and_keeps_uvicorns_access_log_off(monkeypatch: Any) -> None:
    seen: dict[str, Any] = {}
    monkeypatch.setattr("uvicorn.run", lambda *args, **kwargs: seen.update(kwargs))

    result = CliRunner().invoke(cli, ["serve", "--port", "8123"])

    assert result.exit_code == 0, result.output
    assert seen["access_log"] is False
    assert seen["log_config"]["formatters"]["json"]["()"] == "pythonjsonlogger.json.JsonFormatter"


# ---- metrics ---------------------------------------------------------------------------------


@pytest.fixture
def metered(settings: Settings) -> Iterator[TestClient]:
    """A client of an app with ASSETMAP_METRICS on."""
    with TestClient(create_app(settings.model_copy(update={"metrics": True}))) as client:
        yield client


def test_metrics_are_off_by_default(client: TestClient) -> None:
    assert client.get("/metrics").status_code == 404


def test_metrics_count_requests_by_route_template_and_status(metered: TestClient) -> None:
    metered.get(POSTCODE_PATH)
    metered.get(POSTCODE_PATH.replace("CF10", "CF24"))
    metered.get("/api/v1/assets?near=-3.187654,51.476543")

    response = metered.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert response.headers["cache-control"] == "no-store"
    text = response.text
    status = metered.get(POSTCODE_PATH).status_code
    assert (
        f'assetmap_http_requests_total{{method="GET",route="{TEMPLATE}",status="{status}"}} 2.0'
        in text
    )
    assert (
        f'assetmap_http_request_duration_seconds_bucket{{le="0.5",method="GET",route="{TEMPLATE}"}}'
        in text
    )
    assert 'route="/api/v1/assets"' in text
    assert "CF10" not in text and "CF24" not in text and "3.187654" not in text


def test_metrics_show_the_pool_and_the_outbox(metered: TestClient) -> None:
    text = metered.get("/metrics").text
    assert re.search(r"^assetmap_db_pool_checked_out \d", text, re.M)
    assert re.search(r"^assetmap_db_pool_size [1-9]", text, re.M)
    assert 'assetmap_outbox_messages{state="waiting"} 0.0' in text


def test_the_outbox_gauge_counts_waiting_email(metered: TestClient, session: Any) -> None:
    from app.services.mail.outbox import enqueue

    enqueue(session, to="someone@example.org", subject="Hello", body="Hi")
    session.commit()
    text = metered.get("/metrics").text
    assert 'assetmap_outbox_messages{state="waiting"} 1.0' in text
    assert "someone@example.org" not in text


def test_a_metrics_token_is_required_when_set(settings: Settings) -> None:
    token = "m3tr1cs-T0ken-9f8e7d6c5b4a3210-zyxw"
    guarded = settings.model_copy(update={"metrics": True, "metrics_token": SecretStr(token)})
    with TestClient(create_app(guarded)) as client:
        refused = client.get("/metrics")
        wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
        admin = client.get("/metrics", headers=ADMIN)
        allowed = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == wrong.status_code == admin.status_code == 401
    assert allowed.status_code == 200 and "assetmap_http_requests_total" in allowed.text
