"""`assetmap serve --forwarded-allow-ips` is checked like the setting it overrides: a list
anyone could exploit stops the server before it starts, in one line."""

import pytest
from typer.testing import CliRunner

from app.cli import app
from app.settings import get_settings


@pytest.mark.parametrize("value", ["*", "proxy.example"])
def test_serve_refuses_a_proxy_list_that_is_not_addresses(value: str) -> None:
    get_settings.cache_clear()
    try:
        # The key in env: the runner puts the variable back as it was, whatever serve sets.
        env = {"ASSETMAP_FORWARDED_ALLOW_IPS": "127.0.0.1"}
        result = CliRunner().invoke(app, ["serve", "--forwarded-allow-ips", value], env=env)
    finally:
        get_settings.cache_clear()

    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ASSETMAP_FORWARDED_ALLOW_IPS")


def test_serve_refuses_zero_workers() -> None:
    result = CliRunner().invoke(app, ["serve", "--workers", "0"])
    assert result.exit_code == 2
    assert "--workers" in result.stderr
