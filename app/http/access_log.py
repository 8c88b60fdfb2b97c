"""The access log: method, path, status and time of each request, never its query string.

Query strings carry places (`near=lon,lat`, `bbox=...`): a resident's own location, or a point
a connector looked up near a person. uvicorn's own access log (which prints them) is switched
off by `assetmap serve`; this one takes its place.
"""

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("assetmap.access")


class AccessLog:
    """Log one line per HTTP request: `GET /api/v1/assets 200 12.3ms`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            log.info("%s %s %d %.1fms", scope["method"], scope["path"], status, elapsed)
