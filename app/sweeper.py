"""Unpublish people whose consent has lapsed, on a timer inside each app process.

Every instance behind a load balancer may run it: the sweep is idempotent, and counts already
leave lapsed consent out whether or not the sweep has run yet.
"""

import asyncio
import logging
from collections.abc import Callable

from sqlalchemy.orm import Session

from app.services.people.consents import expire_consents

log = logging.getLogger("assetmap.consent")


def sweep_once(session_factory: Callable[[], Session]) -> int:
    """One sweep in its own transaction; how many records were unpublished."""
    with session_factory() as session:
        ids = expire_consents(session)
        session.commit()
    if ids:
        log.info("consent lapsed: %d person-linked records unpublished", len(ids))
    return len(ids)


class ConsentSweeper:
    """The periodic sweep of one app process: started with the app, stopped before its
    engine is disposed (a sweep under way is waited for, so no connection is left open)."""

    def __init__(self, session_factory: Callable[[], Session], every_seconds: float) -> None:
        self._factory = session_factory
        self._every = every_seconds
        self._task: asyncio.Task[None] | None = None
        self._sweep: asyncio.Future[int] | None = None

    def start(self) -> None:
        """Start sweeping now and then every `every_seconds` (0: never)."""
        if self._every > 0:
            self._task = asyncio.create_task(self._loop())

    async def _loop(self) -> None:
        while True:
            self._sweep = asyncio.ensure_future(asyncio.to_thread(sweep_once, self._factory))
            try:
                await asyncio.shield(self._sweep)
            except asyncio.CancelledError:
                raise
            except Exception:  # a database hiccup must not stop later sweeps
                log.exception("consent sweep failed")
            await asyncio.sleep(self._every)

    async def stop(self) -> None:
        """Stop sweeping; wait for a sweep under way to finish."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._sweep is not None:
            await asyncio.gather(self._sweep, return_exceptions=True)
