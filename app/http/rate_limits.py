"""Rate limits (the `limits` library): failed sign-ins, anonymous suggestions and reports, and
the account emails (sign-up, password reset, confirmation sent again).

The storage is a setting: `memory://` suits one process; several app instances behind a load
balancer share one limit through e.g. `redis://host:6379` (see the README).
"""

import time

from fastapi import Request
from limits import RateLimitItem, parse, storage, strategies

from app.errors import TooManyRequests
from app.services.assets.visibility import Viewer
from app.settings import Settings


class RateLimits:
    """The service's rate limits, on one storage."""

    def __init__(self, settings: Settings) -> None:
        self._limiter = strategies.MovingWindowRateLimiter(
            storage.storage_from_string(settings.rate_limit_storage)
        )
        self.sign_in: RateLimitItem = parse(settings.sign_in_limit)
        self.anonymous_writes: RateLimitItem = parse(settings.anonymous_write_limit)
        self.sign_up: RateLimitItem = parse(settings.sign_up_limit)
        self.reset: RateLimitItem = parse(settings.reset_limit)
        self.confirm_resend: RateLimitItem = parse(settings.confirm_resend_limit)

    def _retry_after(self, item: RateLimitItem, *keys: str) -> int:
        reset = self._limiter.get_window_stats(item, *keys).reset_time
        return int(reset - time.time()) + 1

    def check(self, item: RateLimitItem, *keys: str, what: str) -> None:
        """Refuse (429) when the keys have used up the limit; does not count an attempt."""
        if not self._limiter.test(item, *keys):
            raise TooManyRequests(
                f"too many {what}; try again later", self._retry_after(item, *keys)
            )

    def count(self, item: RateLimitItem, *keys: str) -> None:
        """Count one attempt against the keys."""
        self._limiter.hit(item, *keys)

    def take(self, item: RateLimitItem, *keys: str, what: str) -> None:
        """Count one attempt, refusing (429) if the limit is already used up."""
        if not self._limiter.hit(item, *keys):
            raise TooManyRequests(
                f"too many {what}; try again later", self._retry_after(item, *keys)
            )


def limit_anonymous_writes(request: Request, viewer: Viewer) -> None:
    """Count a suggestion or report by a caller who is not signed in (429 over the limit, per
    address); the API and the pages share the one budget."""
    if viewer.signed_in:
        return
    limits: RateLimits = request.app.state.rate_limits
    client = request.client.host if request.client else "unknown"
    limits.take(limits.anonymous_writes, "anonymous-write", client, what="suggestions and reports")


def take_per_client_and_email(
    limits: RateLimits, item: RateLimitItem, name: str, *, client: str, email: str, what: str
) -> None:
    """Count one attempt against both the client address and the email (429 when either has
    used up the limit). Known and unknown emails count alike, so a 429 tells nothing."""
    keys = ((name, "client", client), (name, "email", email))
    for key in keys:
        limits.check(item, *key, what=what)
    for key in keys:
        limits.count(item, *key)
