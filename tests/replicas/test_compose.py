"""docker-compose.yml (no Docker daemon here): what it asks of the app is what the app has.

Its settings are real settings, valid together, and pass the production checks; its commands
and options exist; every long-running service has a healthcheck; migrations run once before
the replicas; the proxy's config is valid nginx and is the one tests/replicas runs."""

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import typer.main
import yaml

from app.cli import app as cli
from app.http.security import production_problems
from app.settings import Settings
from tests.conftest import PROJECT_DIR

COMPOSE = PROJECT_DIR / "docker-compose.yml"
# What an operator exports before `docker compose up` (the ${VAR:?} ones).
OPERATOR = {
    "POSTGRES_PASSWORD": "Xq7rT2mZp9LwK4vB",
    "ASSETMAP_SECRET_KEY": "m3Jx9QpL2vR8tZ5wK7yB4nD6fH1sA0cE_uGiOkPq",
    "ASSETMAP_BASE_URL": "https://assets.council.example",
    "ASSETMAP_SMTP_HOST": "smtp.council.example",
    "ASSETMAP_MAIL_FROM": "Asset map <no-reply@council.example>",
}
_VARIABLE = re.compile(r"\$\{([A-Z0-9_]+)(?::([?-])([^}]*))?\}")


def _interpolate(value: Any, env: dict[str, str]) -> Any:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?error}, as `docker compose config` does."""
    if isinstance(value, dict):
        return {k: _interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def one(match: re.Match[str]) -> str:
        name, how, text = match.groups()
        if env.get(name):
            return env[name]
        if how == "?":
            raise KeyError(f"{name}: {text}")
        return text if how == "-" else ""

    return _VARIABLE.sub(one, value)


def _compose(env: dict[str, str] = OPERATOR) -> dict[str, Any]:
    return _interpolate(yaml.safe_load(COMPOSE.read_text()), env)  # type: ignore[no-any-return]


def _app_settings(service: dict[str, Any]) -> Settings:
    environment: dict[str, str] = service["environment"]
    prefix = "ASSETMAP_"
    return Settings(**{k.removeprefix(prefix).lower(): v for k, v in environment.items()})


def test_the_app_settings_are_real_ones_and_pass_the_production_checks() -> None:
    app = _compose()["services"]["app"]
    names = {f"ASSETMAP_{name.upper()}" for name in Settings.model_fields}

    assert set(app["environment"]) <= names
    settings = _app_settings(app)
    assert settings.env == "production"
    assert production_problems(settings) == []
    assert settings.rate_limit_storage.startswith("redis://redis:")


@pytest.mark.parametrize("missing", sorted(OPERATOR))
def test_compose_refuses_to_start_without_each_secret_and_address(missing: str) -> None:
    env = {k: v for k, v in OPERATOR.items() if k != missing}
    with pytest.raises(KeyError, match=missing):
        _compose(env)


def test_the_commands_and_their_options_exist() -> None:
    services = _compose()["services"]
    group = typer.main.get_command(cli)
    serve = group.commands["serve"]  # type: ignore[attr-defined]
    options = {o for p in serve.params for o in getattr(p, "opts", [])}

    command = services["app"]["command"]
    assert command[:2] == ["assetmap", "serve"]
    assert {a for a in command if a.startswith("--")} <= options
    assert {"--workers", "--forwarded-allow-ips"} <= options
    assert services["migrate"]["command"] == ["assetmap", "db", "upgrade"]
    assert "upgrade" in group.commands["db"].commands  # type: ignore[attr-defined]


def test_migrations_run_once_before_several_replicas() -> None:
    services = _compose()["services"]
    assert services["migrate"]["restart"] == "no"
    assert services["app"]["depends_on"]["migrate"]["condition"] == (
        "service_completed_successfully"
    )
    assert int(services["app"]["deploy"]["replicas"]) >= 2
    assert "ports" not in services["app"]  # only the proxy is reachable


def test_every_long_running_service_has_a_healthcheck() -> None:
    services = _compose()["services"]
    running = [name for name in services if name != "migrate"]
    assert sorted(running) == ["app", "db", "proxy", "redis"]
    assert all("healthcheck" in services[name] for name in running)
    assert "/healthz" in " ".join(services["app"]["healthcheck"]["test"])


def test_the_app_trusts_forwarded_addresses_from_its_own_network_only() -> None:
    compose = _compose()
    subnet = compose["networks"]["backend"]["ipam"]["config"][0]["subnet"]
    settings = _app_settings(compose["services"]["app"])
    assert settings.forwarded_allow_ips == subnet


def test_the_proxy_config_is_valid_nginx(tmp_path: Path) -> None:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        pytest.skip("nginx not installed (Debian package nginx-light)")
    mounts = _compose()["services"]["proxy"]["volumes"]
    sources = {m.split(":")[1]: PROJECT_DIR / m.split(":")[0] for m in mounts}
    text = sources["/etc/nginx/nginx.conf"].read_text()
    for target, source in sources.items():
        text = text.replace(target, str(source))
    config = tmp_path / "nginx.conf"
    config.write_text(text.replace("/tmp/nginx.pid", str(tmp_path / "nginx.pid")))

    checked = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(config), "-e", "stderr"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
