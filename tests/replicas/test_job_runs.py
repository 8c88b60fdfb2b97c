"""Background jobs run on one replica per interval: a replica runs a job only when it moves the
job's row in job_runs on, which one UPDATE (or the first INSERT) does for exactly one."""

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from app.main import create_app
from app.models import JobRun
from app.models.base import utcnow
from app.settings import Settings
from app.worker import claim, this_process


def test_a_job_is_claimed_once_per_interval(db: Engine, session: Session) -> None:
    factory = sessionmaker(db)
    start = utcnow()

    first = claim(factory, "consent sweep", 60, now=start)
    again = claim(factory, "consent sweep", 60, now=start + timedelta(seconds=30))
    later = claim(factory, "consent sweep", 60, now=start + timedelta(seconds=61))

    assert (first, again, later) == (True, False, True)
    run = session.scalar(select(JobRun).where(JobRun.name == "consent sweep"))
    assert run is not None and run.ran_by == this_process()
    assert run.ran_at == start + timedelta(seconds=61)


def test_of_many_replicas_claiming_at_once_one_wins(db: Engine) -> None:
    factory = sessionmaker(db)
    start = utcnow()
    for round_ in range(2):  # the first claim INSERTs the row, later ones UPDATE it
        now = start + timedelta(minutes=round_)
        with ThreadPoolExecutor(6) as pool:
            won = list(pool.map(lambda at: claim(factory, "email", 30, now=at), [now] * 6))
        assert sorted(won) == [False] * 5 + [True]


def test_two_apps_on_one_database_sweep_once(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    sweeping = settings.model_copy(update={"consent_sweep_seconds": 3600})
    with (
        caplog.at_level(logging.INFO, logger="assetmap.worker"),
        TestClient(create_app(sweeping)),
        TestClient(create_app(sweeping)),
    ):
        pass
    sweeps = [r for r in caplog.records if r.getMessage().startswith("consent sweep:")]
    assert len(sweeps) == 1
