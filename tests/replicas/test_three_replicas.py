"""Three `assetmap serve` processes on one PostGIS and one Redis, behind a real nginx on
127.0.0.1 (round-robin, deploy/nginx/proxy.conf): what one replica does, the others see."""

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import make_engine
from app.migrate import upgrade
from app.models import JobRun
from app.services import users
from app.settings import Settings
from tests.conftest import (
    ADMIN,
    ADMIN_TOKEN,
    PROJECT_DIR,
    asset_body,
    fresh_postgis_database,
    unavailable,
)
from tests.conftest import postgis_url as configured_postgis_url
from tests.replicas.conftest import free_port, wait_for_port

pytestmark = [pytest.mark.slow, pytest.mark.postgis]

REPLICAS = 3
PASSWORD = "a long enough password"
CONNECTOR = "con@example.org"
CARDIFF = "-3.35,51.38,-3.05,51.56"
NGINX = Path("/usr/sbin/nginx")


@dataclass
class Stack:
    """The proxy's URL, each replica's own URL and process, and the database."""

    proxy: str
    replicas: list[str]
    processes: list[subprocess.Popen[bytes]]
    logs: list[Path]
    database_url: str


def _nginx_config(directory: Path, listen: int, ports: list[int]) -> Path:
    servers = "".join(f"        server 127.0.0.1:{port};\n" for port in ports)
    temp = " ".join(
        f"{kind}_temp_path {directory / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    config = directory / "nginx.conf"
    config.write_text(
        f"""daemon off;
master_process off;
pid {directory / "nginx.pid"};
error_log {directory / "error.log"} warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    {temp}
    upstream assetmap {{
{servers}    }}
    server {{
        listen 127.0.0.1:{listen};
        location / {{
            proxy_pass http://assetmap;
            include {PROJECT_DIR / "deploy" / "nginx" / "proxy.conf"};
        }}
    }}
}}
"""
    )
    return config


@pytest.fixture(scope="module")
def stack(redis_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Migrate a fresh PostGIS database, add a connector, start three replicas and nginx."""
    if not NGINX.exists():
        unavailable("nginx not installed (Debian package nginx-light; see .ci/run)")
    directory = tmp_path_factory.mktemp("replicas")
    with fresh_postgis_database(configured_postgis_url()) as url:
        engine = make_engine(Settings(database_url=url))
        upgrade(engine)
        with Session(engine) as session:
            users.create_user(
                session, email=CONNECTOR, role="connector", actor="test", password=PASSWORD
            )
            session.commit()
        engine.dispose()

        env = {
            **os.environ,
            "ASSETMAP_DATABASE_URL": url,
            "ASSETMAP_RATE_LIMIT_STORAGE": redis_server + "/1",
            "ASSETMAP_ADMIN_TOKEN": ADMIN_TOKEN,
            "ASSETMAP_SECRET_KEY": "one secret for every replica, as in production",
            "ASSETMAP_CONSENT_SWEEP_SECONDS": "3600",
        }
        ports = [free_port() for _ in range(REPLICAS)]
        serve = [str(Path(sys.executable).parent / "assetmap"), "serve"]
        processes, logs = [], []
        for port in ports:
            log = directory / f"replica-{port}.log"
            logs.append(log)
            command = [*serve, "--port", str(port), "--forwarded-allow-ips", "127.0.0.1"]
            with log.open("wb") as out:
                processes.append(
                    subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
                )
        proxy_port = free_port()
        config = _nginx_config(directory, proxy_port, ports)
        proxy = subprocess.Popen(
            [str(NGINX), "-p", str(directory), "-c", str(config), "-e", "stderr"],
            stderr=subprocess.DEVNULL,
        )
        try:
            for port, process in zip(ports, processes, strict=True):
                wait_for_port(port, process, seconds=40)
            wait_for_port(proxy_port, proxy)
            yield Stack(
                proxy=f"http://127.0.0.1:{proxy_port}",
                replicas=[f"http://127.0.0.1:{port}" for port in ports],
                processes=processes,
                logs=logs,
                database_url=url,
            )
        finally:
            for process in [proxy, *processes]:
                process.terminate()
            for process in [proxy, *processes]:
                try:
                    process.wait(15)
                except subprocess.TimeoutExpired:
                    process.kill()


def _get(url: str, **kwargs: Any) -> httpx.Response:
    return httpx.get(url, timeout=10, **kwargs)


def test_a_session_made_through_one_replica_works_on_every_other(stack: Stack) -> None:
    signed_in = httpx.post(
        f"{stack.proxy}/api/v1/auth/session",
        json={"email": CONNECTOR, "password": PASSWORD},
        timeout=10,
    )
    assert signed_in.status_code == 200
    cookies = {"assetmap_session": signed_in.cookies["assetmap_session"]}

    direct = [_get(f"{url}/api/v1/auth/me", cookies=cookies).json() for url in stack.replicas]
    proxied = [_get(f"{stack.proxy}/api/v1/auth/me", cookies=cookies).json() for _ in range(3)]

    assert [me["role"] for me in direct + proxied] == ["connector"] * 6


def test_an_asset_made_on_one_replica_is_on_the_others_maps_at_once(stack: Stack) -> None:
    layer = f"/api/v1/map/assets?bbox={CARDIFF}&zoom=9"
    before = [_get(url + layer).json()["total"] for url in stack.replicas]  # caches filled

    made = httpx.post(
        f"{stack.replicas[0]}/api/v1/assets", json=asset_body(), headers=ADMIN, timeout=10
    )
    after = [_get(url + layer).json()["total"] for url in stack.replicas]

    assert made.status_code == 201
    assert before == [before[0]] * REPLICAS
    assert after == [before[0] + 1] * REPLICAS


def test_the_consent_sweep_ran_on_one_replica_only(stack: Stack) -> None:
    engine = make_engine(Settings(database_url=stack.database_url))
    with Session(engine) as session:
        run = session.scalar(select(JobRun).where(JobRun.name == "consent sweep"))
    engine.dispose()
    sweeps = [log.read_text(errors="replace").count("consent sweep:") for log in stack.logs]

    assert run is not None
    pids = [f":{process.pid}" for process in stack.processes]
    assert run.ran_by is not None and any(run.ran_by.endswith(pid) for pid in pids)
    assert sorted(sweeps) == [0] * (REPLICAS - 1) + [1]


def test_failed_sign_ins_count_across_the_replicas(stack: Stack) -> None:
    """Round-robin spreads six failures over three replicas; the sixth is still refused, and
    so is the same client going straight to a replica. (Last: it uses up 127.0.0.1's budget.)"""
    body = {"email": "nobody@example.org", "password": "not the password"}
    statuses = [
        httpx.post(f"{stack.proxy}/api/v1/auth/session", json=body, timeout=10).status_code
        for _ in range(6)
    ]
    direct = [
        httpx.post(f"{url}/api/v1/auth/session", json=body, timeout=10).status_code
        for url in stack.replicas
    ]

    assert statuses == [401] * 5 + [429]
    assert direct == [429] * REPLICAS
