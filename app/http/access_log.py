"""The access log, request ids and metrics: the outermost layer of every request.

One line per request (logger `assetmap.access`; JSON under `assetmap serve`, see
app/http/log_format.py) with method, route template, status, duration and request id. Never the
path itself, its query string or the body: paths hold values (`/api/v1/postcodes/CF10 1AA`, a
postcode a connector looked up near a person) and query strings hold places (`near=lon,lat`).
uvicorn's own access log (which prints both) is switched off by `assetmap serve`.

Each request gets an id (app/http/request_id.py), answered in `X-Request-ID` and put on every
log line the request causes, errors included. With ASSETMAP_METRICS on, requests are counted
for Prometheus and /metrics answers them (app/http/metrics.py).
"""

import logging
import secrets
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.http import request_id as ids
from app.http.metrics import CONTENT_TYPE, Metrics

log = logging.getLogger("assetmap.access")
METRICS_PATH = "/metrics"
UNMATCHED = "unmatched"  # no route: the raw path could hold anything, so it is not logged
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def route_template(scope: Scope) -> str:
    """The path template of the route that answered (`/assets/{asset_id}`), or 'unmatched'."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) and path else UNMATCHED


class AccessLog:
    """Give each HTTP request an id, log one line for it, count it, and answer /metrics."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._metrics: Metrics | None = None

    def metrics(self, scope: Scope) -> Metrics | None:
        """This app's metrics (made on first use), or None when ASSETMAP_METRICS is off."""
        state = scope["app"].state if "app" in scope else None
        if state is None or not state.settings.metrics:
            return None
        if self._metrics is None:
            self._metrics = Metrics(state.engine, state.session_factory)
        return self._metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        incoming = headers.get(b"x-request-id")
        rid = ids.request_id(incoming.decode("latin-1") if incoming is not None else None)
        ids.current.set(rid)
        scope.setdefault("state", {})["request_id"] = rid
        metrics = self.metrics(scope)
        if metrics is not None and scope["path"] == METRICS_PATH:
            await self._answer_metrics(scope, headers, metrics, rid, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (ids.HEADER.lower().encode(), rid.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            elapsed = time.perf_counter() - started
            method = scope["method"] if scope["method"] in _METHODS else "OTHER"
            route = route_template(scope)
            log.info(
                "%s %s %d %.1fms",
                method,
                route,
                status,
                elapsed * 1000,
                extra={
                    "method": method,
                    "route": route,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 1),
                    "request_id": rid,
                },
            )
            if metrics is not None:
                metrics.observe(method, route, status, elapsed)

    async def _answer_metrics(
        self, scope: Scope, headers: dict[bytes, bytes], metrics: Metrics, rid: str, send: Send
    ) -> None:
        settings: Any = scope["app"].state.settings
        token = settings.metrics_token.get_secret_value() if settings.metrics_token else None
        given = headers.get(b"authorization", b"").decode("latin-1")
        if token is not None and not secrets.compare_digest(
            given.encode(), f"Bearer {token}".encode()
        ):
            status, body, content_type = 401, b"metrics need ASSETMAP_METRICS_TOKEN\n", "text/plain"
        elif scope["method"] not in ("GET", "HEAD"):
            status, body, content_type = 405, b"GET /metrics\n", "text/plain"
        else:
            status, body, content_type = 200, metrics.exposition(), CONTENT_TYPE
        extra = [(b"www-authenticate", b"Bearer")] if status == 401 else []
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", content_type.encode()),
                    (b"content-length", str(len(body)).encode()),
                    (b"cache-control", b"no-store"),
                    (b"x-content-type-options", b"nosniff"),
                    (ids.HEADER.lower().encode(), rid.encode()),
                    *extra,
                ],
            }
        )
        await send(
            {"type": "http.response.body", "body": body if scope["method"] != "HEAD" else b""}
        )
