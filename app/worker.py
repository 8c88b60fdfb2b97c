"""The background work of each app process, on timers: unpublish people whose consent has lapsed,
queue the connectors' digests that are due, and send the email that is due.

Every instance behind a load balancer may run both: the consent sweep is idempotent (and counts
leave lapsed consent out whether or not it has run), and email is leased before it is sent
(app/services/mail/outbox.py), as is each digest (app/services/mail/digests.py). Any can be left
to cron instead (interval 0, then `assetmap people expire-consents` / `assetmap mail send` /
`assetmap mail digests`); digests stop with email delivery (both are then cron's).
"""

import asyncio
import logging
from collections.abc import Callable

from sqlalchemy.orm import Session

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
    if ids:
        log.info("consent lapsed: %d person-linked records unpublished", len(ids))
    return len(ids)


class Periodic:
    """One job run every `every_seconds` in a thread: started with the app, stopped before its
    engine is disposed (a run under way is waited for, so no connection is left open)."""

    def __init__(self, name: str, job: Callable[[], object], every_seconds: float) -> None:
        self.name = name
        self._job = job
        self._every = every_seconds
        self._task: asyncio.Task[None] | None = None
        self._run: asyncio.Future[object] | None = None

    def start(self) -> None:
        """Run now and then every `every_seconds` (0: never)."""
        if self._every > 0:
            self._task = asyncio.create_task(self._loop())

    async def _loop(self) -> None:
        while True:
            self._run = asyncio.ensure_future(asyncio.to_thread(self._job))
            try:
                await asyncio.shield(self._run)
            except asyncio.CancelledError:
                raise
            except Exception:  # a database or SMTP hiccup must not stop later runs
                log.exception("%s failed", self.name)
            await asyncio.sleep(self._every)

    async def stop(self) -> None:
        """Stop; wait for a run under way to finish."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._run is not None:
            await asyncio.gather(self._run, return_exceptions=True)


def background_jobs(session_factory: Callable[[], Session], settings: Settings) -> list[Periodic]:
    """The app process's timers: the consent sweep, digests and email delivery."""
    sender = sender_for(settings)
    digests_every = settings.digest_every_seconds if settings.mail_every_seconds > 0 else 0
    return [
        Periodic(
            "consent sweep", lambda: sweep_once(session_factory), settings.consent_sweep_seconds
        ),
        Periodic("email digests", lambda: send_digests(session_factory, settings), digests_every),
        Periodic(
            "email delivery",
            lambda: deliver_due(session_factory, sender, settings),
            settings.mail_every_seconds,
        ),
    ]
