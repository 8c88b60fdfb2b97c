"""Answers to anonymous GET requests, kept per process while the data under them is unchanged.

Most requests are anonymous reads of data that changes far less often than it is read: the same
asset page, search, planner view or gap analysis, asked again and again. Each process keeps the
answers it has made (bounded by ASSETMAP_RESPONSE_CACHE_MB, least recently used out first) and
serves one again only while all of these hold:

- the data version is the one it was made at (app/services/changes.py: one small query, read
  after the request arrived; database triggers move it on every write, through any replica, in
  the same commit). Requests that arrive while such a read is running share the next one, so a
  busy process reads it a few hundred times a second at most, not once per request;
- no published person's consent has lapsed since (people are counted only with current consent,
  and a lapse is not a write: the next lapse time is read with the version);
- it is younger than ASSETMAP_RESPONSE_CACHE_SECONDS (a ceiling for anything that depends on
  the clock alone, such as the date printed on the planner);
- the request is the same: path, query, and every header an answer may depend on (host,
  scheme, accept, language, cookies, referer).

Never kept or served from the cache: requests with credentials (the session cookie or an
Authorization header), conditional requests (the app answers those), and answers that are not
200, set a cookie, say no-store or private, or are larger than an entry may be. A page's CSP
nonce is made afresh for every answer served from the cache (the one it was made with is
replaced), so a nonce is never seen twice.
"""

import asyncio
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import anyio
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.db import database_unavailable
from app.errors import database_error
from app.http.security import with_credentials
from app.models import PERSON_KINDS, Asset
from app.models.base import utcnow
from app.services.changes import VERSION

# Headers an answer may depend on (the rest, such as user-agent, never change one).
KEY_HEADERS = (b"host", b"accept", b"accept-language", b"cookie", b"referer")
CONDITIONAL = (b"if-none-match", b"if-modified-since")
# Health checks say how things are now; metrics are counted per request; files are cheap.
NEVER = ("/healthz", "/readyz", "/metrics", "/static/")
# One answer may take at most this share of the cache.
ENTRY_SHARE = 8


@dataclass(frozen=True)
class _Entry:
    version: int
    valid_until: float
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    nonce: bytes | None


class ResponseCache:
    """The cache, as ASGI middleware inside the load shedding and the security headers (so the
    request's CSP nonce is already chosen): `max_bytes` 0 turns it off."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, max_age: float) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_age = max_age
        self._entries: OrderedDict[tuple[Any, ...], _Entry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0
        self._state = SharedReads(_state)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._may_use(scope):
            await self.app(scope, receive, send)
            return
        factory: Callable[[], Session] = scope["app"].state.session_factory
        try:
            version, lapse = await self._state.read(factory)
        except Exception as exc:
            if database_unavailable(exc):  # as the app answers an outage, without a 2nd wait
                response = await database_error(Request(scope), exc)
                await response(scope, receive, send)
            else:  # e.g. a database not migrated yet: the app answers, nothing is kept
                await self.app(scope, receive, send)
            return
        key = _key(scope)
        now = time.time()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry.version == version and now < entry.valid_until:
                self._entries.move_to_end(key)
                self.hits += 1
            else:
                entry = None
                self.misses += 1
        if entry is not None:
            await _replay(entry, scope, send)
            return
        valid_until = now + self.max_age
        if lapse is not None:
            valid_until = min(valid_until, lapse.timestamp())
        await self._fill(key, version, valid_until, scope, receive, send)

    def _may_use(self, scope: Scope) -> bool:
        if scope["type"] != "http" or scope["method"] != "GET" or self.max_bytes <= 0:
            return False
        if scope["path"].startswith(NEVER) or with_credentials(scope):
            return False
        return not any(name in CONDITIONAL for name, _ in scope["headers"])

    async def _fill(
        self,
        key: tuple[Any, ...],
        version: int,
        valid_until: float,
        scope: Scope,
        receive: Receive,
        send: Send,
    ) -> None:
        limit = self.max_bytes // ENTRY_SHARE
        start: Message | None = None
        parts: list[bytes] = []
        size = 0
        keep = True

        async def capture(message: Message) -> None:
            nonlocal start, size, keep
            if message["type"] == "http.response.start":
                # A copy: the layers outside add their headers to the message as it passes.
                start = {"status": message["status"], "headers": list(message.get("headers", []))}
                keep = _storable(start)
            elif message["type"] == "http.response.body" and keep:
                body = message.get("body", b"")
                size += len(body)
                if size > limit:
                    keep, parts[:] = False, []
                else:
                    parts.append(body)
                    if not message.get("more_body", False) and start is not None:
                        self._store(key, version, valid_until, start, b"".join(parts), scope)
            await send(message)

        await self.app(scope, receive, capture)

    def _store(
        self,
        key: tuple[Any, ...],
        version: int,
        valid_until: float,
        start: Message,
        body: bytes,
        scope: Scope,
    ) -> None:
        nonce = scope.get("state", {}).get("csp_nonce")
        entry = _Entry(
            version=version,
            valid_until=valid_until,
            status=start["status"],
            headers=[(n, v) for n, v in start.get("headers", []) if n.lower() != b"content-length"],
            body=body,
            nonce=nonce.encode() if nonce else None,
        )
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= len(old.body)
            self._entries[key] = entry
            self._bytes += len(body)
            while self._bytes > self.max_bytes and self._entries:
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= len(dropped.body)


class SharedReads:
    """One read (run in a worker thread) shared by every request that asked for it before it
    started: a request never gets an answer read before it arrived (so it sees every write
    committed before then), and the requests that arrive while one read runs all share the next.

    Per event loop: a loop that ends with a read unfinished (a test client's) leaves nothing
    behind for the next."""

    def __init__(self, read: Callable[[Callable[[], Session]], Any]) -> None:
        self._read = read
        self._loop: asyncio.AbstractEventLoop | None = None
        self._started = 0  # reads started on this loop
        self._waiting: dict[int, asyncio.Future[Any]] = {}  # read number -> its answer
        self._reader: asyncio.Task[None] | None = None
        self.reads = 0  # reads made (all loops): for tests and the curious

    async def read(self, factory: Callable[[], Session]) -> Any:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._loop, self._started, self._waiting, self._reader = loop, 0, {}, None
        number = self._started + 1  # the first read to start from now on
        future = self._waiting.get(number)
        if future is None:
            future = self._waiting[number] = loop.create_future()
            # Retrieved here too, so an error no waiter is left to read is not logged as lost.
            future.add_done_callback(lambda done: done.cancelled() or done.exception())
        if self._reader is None or self._reader.done():
            self._reader = loop.create_task(self._read_in_turn(factory))
        # A request that goes away does not cancel the read the others are waiting for.
        return await asyncio.shield(future)

    async def _read_in_turn(self, factory: Callable[[], Session]) -> None:
        while (number := self._started + 1) in self._waiting:
            self._started = number
            future = self._waiting.pop(number)
            self.reads += 1
            try:
                answer = await anyio.to_thread.run_sync(self._read, factory)
            except Exception as exc:
                future.set_exception(exc)
            except BaseException:  # cancelled with its loop: the waiters go with it
                future.cancel()
                raise
            else:
                future.set_result(answer)


def _state(factory: Callable[[], Session]) -> tuple[int, datetime | None]:
    """The data version, and when the next published person's consent lapses (None: none will),
    read in one transaction before the answer's own."""
    with factory() as session:
        now = utcnow()
        lapse = (
            select(func.min(Asset.consent_expires_at))
            .where(
                Asset.consent_expires_at > now,
                Asset.kind.in_(PERSON_KINDS),
                Asset.status == "published",
            )
            .scalar_subquery()
        )
        version, next_lapse = session.execute(select(VERSION.scalar_subquery(), lapse)).one()
        return int(version), next_lapse


def _key(scope: Scope) -> tuple[Any, ...]:
    wanted = dict.fromkeys(KEY_HEADERS, b"")
    for name, value in scope["headers"]:
        if name in wanted:
            wanted[name] += value + b"\n"
    return (
        scope.get("scheme"),
        scope.get("root_path", ""),
        scope["path"],
        scope.get("query_string", b""),
        *wanted.values(),
    )


def _storable(start: Message) -> bool:
    if start["status"] != 200:
        return False
    for name, value in start.get("headers", []):
        lowered = name.lower()
        if lowered == b"set-cookie":
            return False
        if lowered == b"cache-control" and (b"no-store" in value or b"private" in value):
            return False
    return True


async def _replay(entry: _Entry, scope: Scope, send: Send) -> None:
    body = entry.body
    nonce = scope.get("state", {}).get("csp_nonce")
    if entry.nonce is not None and nonce:
        body = body.replace(entry.nonce, nonce.encode())
    headers = [*entry.headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": entry.status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})
