"""The access log names method, path and status, never the query string (it holds places)."""

import logging
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.cli import app as cli


def test_a_near_me_search_is_logged_without_its_place(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="assetmap.access")

    response = client.get("/api/v1/assets?near=-3.187654,51.476543&radius_m=500")

    assert response.status_code == 200
    lines = [r.getMessage() for r in caplog.records if r.name == "assetmap.access"]
    assert len(lines) == 1 and lines[0].startswith("GET /api/v1/assets 200 ")
    assert "3.187654" not in caplog.text and "51.476543" not in caplog.text


def test_serve_turns_uvicorns_query_logging_access_log_off(monkeypatch: Any) -> None:
    seen: dict[str, Any] = {}
    monkeypatch.setattr("uvicorn.run", lambda *args, **kwargs: seen.update(kwargs))

    result = CliRunner().invoke(cli, ["serve", "--port", "8123"])

    assert result.exit_code == 0, result.output
    assert seen["access_log"] is False and seen["port"] == 8123
