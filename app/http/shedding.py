"""Load shedding: at most N requests in the app at once per process; the rest wait a moment
for a place, then get 503 with Retry-After instead of queueing for tens of seconds.

A request that is refused costs almost nothing, so an overloaded process keeps answering the
requests it has accepted quickly, and clients (or the load balancer) try again or elsewhere.
`/healthz` is never shed: it says whether the process is alive, busy or not.
"""

import anyio
import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

# Answered without taking a place: cheap, and needed most when the process is busy.
EXEMPT_PATHS = frozenset({"/healthz"})
BUSY_DETAIL = "the service is busy; try again in a moment"
BUSY_PAGE = (
    b'<!doctype html><html lang="en"><head><meta charset="utf-8">'
    b"<title>Busy / Prysur</title></head><body>"
    b"<p>The service is busy. Please try again in a moment.</p>"
    b'<p lang="cy">Mae\'r gwasanaeth yn brysur. Rhowch gynnig arall arni mewn munud.</p>'
    b"</body></html>"
)


class LoadShedding:
    """Admit at most `max_concurrent` HTTP requests at once; a request that finds no place
    within `queue_timeout` seconds gets 503 and `Retry-After: retry_after`."""

    def __init__(
        self, app: ASGIApp, max_concurrent: int, queue_timeout: float, retry_after: int = 1
    ) -> None:
        self.app = app
        self.max_concurrent = max_concurrent
        self.queue_timeout = queue_timeout
        self.retry_after = retry_after
        self._places: anyio.Semaphore | None = None  # made on the server's event loop

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in EXEMPT_PATHS or self.max_concurrent <= 0:
            await self.app(scope, receive, send)
            return
        if self._places is None:
            self._places = anyio.Semaphore(self.max_concurrent)
        places = self._places
        try:  # a free place is taken at once: no timer, so nothing can refuse it
            places.acquire_nowait()
            admitted = True
        except anyio.WouldBlock:
            admitted = False
            with anyio.move_on_after(self.queue_timeout):
                await places.acquire()
                admitted = True
        if not admitted:
            await self._busy(scope, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            places.release()

    async def _busy(self, scope: Scope, send: Send) -> None:
        accept = dict(scope["headers"]).get(b"accept", b"")
        page = b"text/html" in accept and not scope["path"].startswith("/api/")
        body = BUSY_PAGE if page else orjson.dumps({"detail": BUSY_DETAIL})
        content_type = b"text/html; charset=utf-8" if page else b"application/json"
        await send(
            {
                "type": "http.response.start",
                "status": 503,
                "headers": [
                    (b"content-type", content_type),
                    (b"content-length", str(len(body)).encode()),
                    (b"retry-after", str(self.retry_after).encode()),
                    (b"cache-control", b"no-store"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
