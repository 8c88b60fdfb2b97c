"""Every configuration problem ends an `assetmap` command with one clear line on stderr and a
non-zero exit status: no traceback, no password, no row values."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import app
from app.settings import get_settings

PROJECT = Path(__file__).resolve().parents[2]
SECRET = "s3cret-pw"


def run(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    """`assetmap ARGS` in-process with these settings; exit status, stdout, stderr."""
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, list(args), env=env)
    finally:
        get_settings.cache_clear()
    return result.exit_code, result.stdout, result.stderr


def assert_one_line(status: int, err: str, *words: str) -> None:
    lines = err.strip().splitlines()
    assert status != 0
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    assert "Traceback" not in err and SECRET not in err
    for word in words:
        assert word in lines[0], lines[0]


def closed_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"ASSETMAP_DATABASE_URL": "mysql://u@h/db"}, ["ASSETMAP_DATABASE_URL", "sqlite"]),
        (
            {"ASSETMAP_DATABASE_URL": f"postgresql+psycopg://u:{SECRET}@host:notaport/db"},
            ["ASSETMAP_DATABASE_URL", "not a database URL"],
        ),
        ({"ASSETMAP_DATABASE_URL": "postgresql+nosuchdriver://u@h/db"}, ["no database driver"]),
        ({"ASSETMAP_DB_POOL_SIZE": "lots"}, ["ASSETMAP_DB_POOL_SIZE", "integer"]),
        ({"ASSETMAP_DB_STATEMENT_TIMEOUT": "-1"}, ["ASSETMAP_DB_STATEMENT_TIMEOUT"]),
        ({"ASSETMAP_ENV": "staging"}, ["ASSETMAP_ENV"]),
        ({"ASSETMAP_CORS_ORIGINS": "ftp://x"}, ["ASSETMAP_CORS_ORIGINS"]),
        ({"ASSETMAP_BASEMAP": "https://t.example/{z}/{x}/{y}.png"}, ["ATTRIBUTION"]),
        ({"ASSETMAP_BASEMAP": "http://t.example/{z}/{x}/{y}.png"}, ["ASSETMAP_BASEMAP", "https"]),
        ({"ASSETMAP_BASEMAP": "https://t.example/{z}/{y}.png"}, ["ASSETMAP_BASEMAP", "{x}"]),
        ({"ASSETMAP_BASEMAP": "osmm"}, ["ASSETMAP_BASEMAP", "osm, none"]),
        ({"ASSETMAP_BASEMAP_TILE_URL": "https://t.example/{z}/{x}/{y}.png"}, ["ASSETMAP_BASEMAP"]),
    ],
)
@pytest.mark.parametrize("command", [["db", "upgrade"], ["users", "list"], ["serve"]])
def test_a_bad_setting_is_one_line(
    env: dict[str, str], words: list[str], command: list[str]
) -> None:
    assert_one_line(*run(env, *command)[::2], *words)


@pytest.mark.parametrize(
    "command",
    [["db", "upgrade"], ["users", "list"], ["people", "reapply-erasures"], ["db", "backup", "x"]],
)
def test_an_unreachable_database_is_one_line(command: list[str], tmp_path: Path) -> None:
    url = f"postgresql+psycopg://postgres:{SECRET}@127.0.0.1:{closed_port()}/assetmap"
    env = {"ASSETMAP_DATABASE_URL": url, "ASSETMAP_ERASURE_LEDGER": str(tmp_path / "e.jsonl")}
    if command[:2] == ["db", "backup"]:
        command = ["db", "backup", str(tmp_path / "b.backup")]
    status, _, err = run(env, *command)
    if command[:2] == ["db", "backup"]:
        assert_one_line(status, err, "pg_dump failed")
    else:
        assert_one_line(status, err, "cannot use the database at", "127.0.0.1", "***")


@pytest.mark.parametrize(
    "command", [["db", "upgrade"], ["users", "list"], ["db", "backup", "out"], ["demo"], ["serve"]]
)
def test_a_spatialite_file_in_a_missing_directory_is_one_line_and_creates_nothing(
    command: list[str], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'tpyo' / 'assetmap.sqlite'}"
    status, _, err = run({"ASSETMAP_DATABASE_URL": url}, *command)
    assert_one_line(status, err, "does not exist", "tpyo")
    assert not (tmp_path / "tpyo").exists()


def test_production_with_weak_secrets_refuses_to_serve_in_one_line() -> None:
    status, _, err = run({"ASSETMAP_ENV": "production", "ASSETMAP_SECRET_KEY": "short"}, "serve")
    assert_one_line(status, err, "ASSETMAP_SECRET_KEY")


def test_the_installed_command_prints_one_line_too(tmp_path: Path) -> None:
    env = {**os.environ, "ASSETMAP_DATABASE_URL": f"postgresql://u:{SECRET}@h:port/db"}
    done = subprocess.run(
        [str(Path(sys.executable).parent / "assetmap"), "db", "upgrade"],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert_one_line(done.returncode, done.stderr, "ASSETMAP_DATABASE_URL")
