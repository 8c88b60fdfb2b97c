"""The background work of the app, on timers: unpublish people whose consent has lapsed,
queue the connectors' digests that are due, send the email that is due, and fold the data
version's rows (app/services/changes.py).

Every replica behind a load balancer starts the timers, but one runs each job per interval: a
run begins only in the process that moves the job's row in `job_runs` on (one UPDATE with the
interval in its WHERE, atomic on both databases; `claim`). Were two to overlap anyway (a run
longer than its interval), nothing breaks: the consent sweep is idempotent (and counts leave
lapsed consent out whether or not it has run), and email is leased before it is sent
(app/services/mail/outbox.py), as is each digest (app/services/mail/digests.py). Any can be left
to cron instead (interval 0, then `assetmap people expire-consents` / `assetmap mail send` /
`assetmap mail digests`); digests stop with email delivery (both are then cron's).
"""

import asyncio
import logging
import os
import socket
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import JobRun
from app.models.base import utcnow
from app.services.changes import compact
from app.services.mail.digests import send_digests
from app.services.mail.outbox import deliver_due
from app.services.mail.senders import sender_for
from app.services.people.consents import expire_consents
from app.settings import Settings

log = logging.getLogger("assetmap.worker")


def sweep_once(session_factory: Callable[[], Session]) -> int:
    """One consent sweep in its own transaction; how many records were unpublished."""
    with session_factory() as session:
        ids = expire_consents(session)
        session.commit()
    log.info("consent sweep: %d person-linked records unpublished", len(ids))
    return len(ids)


def compact_once(session_factory: Callable[[], Session]) -> None:
    """Fold data_changes' rows in its own transaction (the data version stays the same)."""
    with session_factory() as session:
        compact(session)
        session.commit()


def this_process() -> str:
    """Which replica and process this is, as job_runs.ran_by shows it."""
    return f"{socket.gethostname()}:{os.getpid()}"[:200]


def claim(
    session_factory: Callable[[], Session],
    name: str,
    every_seconds: float,
    *,
    now: datetime | None = None,
) -> bool:
    """Whether this process runs the job `name` now: True when no replica has started it in
    the last `every_seconds`, and the job's run is then recorded as this process's."""
    now = now or utcnow()
    me = this_process()
    with session_factory() as session:
        moved = session.execute(
            update(JobRun)
            .where(JobRun.name == name, JobRun.ran_at <= now - timedelta(seconds=every_seconds))
            .values(ran_at=now, ran_by=me)
        )
        if moved.rowcount == 1:  # type: ignore[attr-defined]
            session.commit()
            return True
        if session.get(JobRun, name) is not None:
            return False
        session.add(JobRun(name=name, ran_at=now, ran_by=me))
        try:
            session.commit()
        except IntegrityError:  # another replica made the row first: its run
            return False
        return True


class Periodic:
    """One job run every `every_seconds` in a thread: started with the app, stopped before its
    engine is disposed (a run under way is waited for, so no connection is left open)."""

    def __init__(
        self,
        name: str,
        job: Callable[[], object],
        every_seconds: float,
        claim: Callable[[], bool] | None = None,
    ) -> None:
        self.name = name
        self._job = job
        self._every = every_seconds
        # Whether this process runs this turn (None: always).
        self._claim = claim
        self._task: asyncio.Task[None] | None = None
        self._run: asyncio.Future[object] | None = None

    def start(self) -> None:
        """Run now and then every `every_seconds` (0: never)."""
        if self._every > 0:
            self._task = asyncio.create_task(self._loop())

    async def _loop(self) -> None:
        while True:
            self._run = asyncio.ensure_future(asyncio.to_thread(self._turn))
            try:
                await asyncio.shield(self._run)
            except asyncio.CancelledError:
                raise
            except Exception:  # a database or SMTP hiccup must not stop later runs
                log.exception("%s failed", self.name)
            await asyncio.sleep(self._every)

    def _turn(self) -> object:
        if self._claim is not None and not self._claim():
            return None
        return self._job()

    async def stop(self) -> None:
        """Stop; wait for a run under way to finish."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._run is not None:
            await asyncio.gather(self._run, return_exceptions=True)


def background_jobs(session_factory: Callable[[], Session], settings: Settings) -> list[Periodic]:
    """The app process's timers: the consent sweep, digests and email delivery, each run by
    one replica per interval."""
    sender = sender_for(settings)
    digests_every = settings.digest_every_seconds if settings.mail_every_seconds > 0 else 0
    jobs: list[tuple[str, Callable[[], object], float]] = [
        ("consent sweep", lambda: sweep_once(session_factory), settings.consent_sweep_seconds),
        # data_changes gains a row per writing transaction on PostgreSQL: fold them as often.
        ("data version", lambda: compact_once(session_factory), settings.consent_sweep_seconds),
        ("email digests", lambda: send_digests(session_factory, settings), digests_every),
        (
            "email delivery",
            lambda: deliver_due(session_factory, sender, settings),
            settings.mail_every_seconds,
        ),
    ]
    return [
        Periodic(name, job, every, _claimer(session_factory, name, every))
        for name, job, every in jobs
    ]


def _claimer(session_factory: Callable[[], Session], name: str, every: float) -> Callable[[], bool]:
    # A little under the interval, so a replica's own next turn is never lost to timer jitter.
    return lambda: claim(session_factory, name, every * 0.9)
