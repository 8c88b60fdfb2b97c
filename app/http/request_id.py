"""Request ids: one per request, echoed in `X-Request-ID` and on every log line it causes.

An id a proxy or client sent is kept only when it is a short token of letters, digits and
`-_.:` (so a log line cannot be forged with newlines or padded with megabytes); otherwise a new
random one is made.
"""

import logging
import re
import secrets
from contextvars import ContextVar

HEADER = "X-Request-ID"
_SAFE = re.compile(r"[A-Za-z0-9._:-]{1,64}")
current: ContextVar[str | None] = ContextVar("assetmap_request_id", default=None)


def request_id(incoming: str | None) -> str:
    """The id for a request: `incoming` when it is a safe short token, else a new one."""
    if incoming is not None and _SAFE.fullmatch(incoming):
        return incoming
    return secrets.token_hex(16)


class RequestIdFilter(logging.Filter):
    """Put the current request's id (or None outside a request) on every log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current.get()
        return True
