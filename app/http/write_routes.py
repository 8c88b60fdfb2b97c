"""Route classes for writes that must not cost the event loop: anonymous writes are counted
against their rate limit before the body is read, and bodies with geometry are checked in a
worker thread.

FastAPI reads and validates a body on the event loop before any dependency of the route runs;
shapely's checks of a large polygon there stall every other request (`/healthz` included). So:

- `OffLoopBodyRoute` validates the JSON body in a worker thread first (the same validation,
  the same 422); FastAPI's own validation that follows skips the geometry it has checked
  (`app.schemas.assets.geometry_checked`). Only for a signed-in caller: anybody else is
  refused by the route's access rule before FastAPI validates a body (as before).
- `AnonymousWriteRoute` also takes the anonymous write limit (app/http/rate_limits.py) before
  anything of the body is read or parsed, so a caller over the limit costs a 429 and no more.
  Every attempt counts, refused ones too: otherwise invalid bodies would be free.
"""

from collections.abc import Callable, Coroutine
from typing import Any

import anyio
import orjson
from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from app.http.access import get_viewer
from app.http.rate_limits import limit_anonymous_writes
from app.schemas.assets import geometry_checked

Handler = Callable[[Request], Coroutine[Any, Any, Response]]
# Bodies checked at once per app: each holds Python's GIL for most of its work, and the event
# loop needs it too (more at once would not be faster, only slower for everyone else).
BODY_CHECKS = 2


def _checks(request: Request) -> anyio.CapacityLimiter:
    state = request.app.state
    limiter = getattr(state, "body_checks", None)
    if limiter is None:  # made on the event loop that uses it
        limiter = state.body_checks = anyio.CapacityLimiter(BODY_CHECKS)
    return limiter


def _parse_and_validate(field: Any, raw: bytes) -> tuple[Any, list[Any]]:
    """The JSON body (orjson: ~10x faster than json for a large area) and its errors."""
    body = orjson.loads(raw)
    _, errors = field.validate(body, {}, loc=("body",))
    return body, errors


def _signed_in(request: Request) -> bool:
    """Whether the caller is signed in (401 for a token that is not valid)."""
    return get_viewer(request, request.headers.get("authorization")).signed_in


def _count_anonymous_write(request: Request) -> bool:
    """Who is calling (no caller: anonymous), counted against the limit when not signed in."""
    viewer = get_viewer(request, request.headers.get("authorization"))
    limit_anonymous_writes(request, viewer)
    return True


class OffLoopBodyRoute(APIRoute):
    """A route whose JSON body is validated in a worker thread, not on the event loop."""

    def get_route_handler(self) -> Handler:
        """FastAPI's handler, after the body's validation in a worker thread."""
        handler = super().get_route_handler()

        async def checked(request: Request) -> Response:
            if not (await self.before_body(request) and self._has_json_body(request)):
                return await handler(request)
            if not await self._validate_off_loop(request):
                return await handler(request)
            token = geometry_checked.set(True)
            try:
                return await handler(request)
            finally:
                geometry_checked.reset(token)

        return checked

    def _has_json_body(self, request: Request) -> bool:
        return (
            self.body_field is not None
            and request.method in ("POST", "PUT", "PATCH")
            and "json" in request.headers.get("content-type", "")
        )

    async def before_body(self, request: Request) -> bool:
        """What runs before the body is read; whether to validate it in a worker thread (the
        caller is signed in: anybody else is refused by the route's access rule first)."""
        return self._has_json_body(request) and await run_in_threadpool(_signed_in, request)

    async def _validate_off_loop(self, request: Request) -> bool:
        """Validate the body in a worker thread; True when it is valid (FastAPI's validation
        then skips the geometry), False when FastAPI should read and judge it as usual."""
        field = self.body_field
        assert field is not None
        raw = await request.body()
        try:
            body, errors = await anyio.to_thread.run_sync(
                _parse_and_validate, field, raw, limiter=_checks(request)
            )
        except orjson.JSONDecodeError:
            return False  # FastAPI says what is wrong with it
        # FastAPI's handler reads this instead of parsing the body again on the event loop.
        request._json = body
        if errors:
            raise RequestValidationError(errors, body=body)
        return True


class AnonymousWriteRoute(OffLoopBodyRoute):
    """A write anybody may make: counted against the anonymous limit before its body is read."""

    async def before_body(self, request: Request) -> bool:
        """Take the anonymous write limit (429 over it); the viewer lookup is a database
        query, so it runs in a worker thread too. Every body is then validated off the loop."""
        return await run_in_threadpool(_count_anonymous_write, request)
