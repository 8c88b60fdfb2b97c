"""Rate limits (the `limits` library): failed sign-ins, anonymous suggestions and reports, and
the account emails (sign-up, password reset, confirmation sent again).

The storage is a setting: `memory://` suits one process; several app instances behind a load
balancer share one limit through `redis://host:6379` (the `redis` extra; see the README).
Client addresses are the ones app/http/proxies.py believes.

Failed sign-ins are limited so that nobody can lock an account's owner out: a hard limit per
(account, client address) and per client address, a wait per account that doubles with each
failure from anywhere (at most ASSETMAP_SIGN_IN_BACKOFF_MAX_SECONDS), and one ceiling on
failures per minute across the whole service.
"""

import time

from fastapi import Request
from limits import (
    RateLimitItem,
    RateLimitItemPerHour,
    RateLimitItemPerSecond,
    parse,
    storage,
    strategies,
)

from app.errors import TooManyRequests
from app.services.assets.visibility import Viewer
from app.services.users import PasswordChecks
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
        self.resident_writes: RateLimitItem = parse(settings.resident_write_limit)
        self.sign_in_failures: RateLimitItem = parse(settings.sign_in_failures_limit)
        self._waits = backoff_waits(settings.sign_in_backoff_max_seconds)
        # Not a rate but a cap on concurrent argon2 checks; sign-ins carry it with the limits.
        self.password_checks = PasswordChecks(settings.password_checks)

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

    def sign_in_allowed(self, *, email: str, client: str) -> None:
        """Refuse (429) a sign-in from this client to this account while it must wait: over
        the limit per (account, client) or per client, over the service's ceiling, or too
        soon after the account's last failures. Counts nothing."""
        what = "failed sign-ins"
        self.check(self.sign_in, "sign-in", "account", email, "client", client, what=what)
        self.check(self.sign_in, "sign-in", "client", client, what=what)
        self.check(self.sign_in_failures, "sign-in", "everyone", what=what)
        wait = self._account_wait(email)
        if wait is not None:
            self.check(wait, "sign-in", "wait", email, what=f"{what} to this account")

    def sign_in_failed(self, *, email: str, client: str) -> None:
        """Count one failed sign-in from this client to this account."""
        self.count(self.sign_in, "sign-in", "account", email, "client", client)
        self.count(self.sign_in, "sign-in", "client", client)
        self.count(self.sign_in_failures, "sign-in", "everyone")
        self.count(ACCOUNT_FAILURES, "sign-in", "failures", email)
        wait = self._account_wait(email)
        if wait is not None:  # the next try waits from now
            self.count(wait, "sign-in", "wait", email)

    def _account_wait(self, email: str) -> RateLimitItem | None:
        """The wait an account's failures in the last hour call for (None: no wait)."""
        stats = self._limiter.get_window_stats(ACCOUNT_FAILURES, "sign-in", "failures", email)
        failures = ACCOUNT_FAILURES.amount - stats.remaining
        if failures < FREE_FAILURES:
            return None
        return self._waits[min(failures - FREE_FAILURES, len(self._waits) - 1)]


# Failures to one account in an hour, from anywhere, before each attempt must wait.
FREE_FAILURES = 5
# Only counted (its amount is never reached in practice).
ACCOUNT_FAILURES = RateLimitItemPerHour(10_000)


def backoff_waits(longest: int) -> list[RateLimitItem]:
    """One attempt per 2, 4, 8, ... seconds, up to `longest`: the waits after the 5th, 6th,
    7th, ... failure. A failure is counted against the wait it calls for (a moving window of
    one), so the next try's check says whether that wait since the failure is over."""
    seconds = [2**n for n in range(1, 13) if 2**n < longest] + [longest]
    return [RateLimitItemPerSecond(1, s) for s in seconds]


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


# Writes a signed-in resident makes (API and pages; with or without the Welsh /cy prefix):
# each counts against ASSETMAP_RESIDENT_WRITE_LIMIT for their account.
RESIDENT_WRITES = frozenset(
    {
        ("POST", "/api/v1/suggestions"),
        ("POST", "/api/v1/assets/{asset_id}/reports"),
        ("PUT", "/api/v1/assets/{asset_id}/use"),
        ("DELETE", "/api/v1/assets/{asset_id}/use"),
        ("POST", "/api/v1/offers"),
        ("POST", "/api/v1/gaps"),
        ("PUT", "/api/v1/gaps/{gap_id}/support"),
        ("DELETE", "/api/v1/gaps/{gap_id}/support"),
        ("POST", "/api/v1/introductions"),
        ("POST", "/suggest"),
        ("POST", "/assets/{asset_id}/report"),
        ("POST", "/assets/{asset_id}/use"),
        ("POST", "/offer"),
        ("POST", "/missing"),
        ("POST", "/missing/{gap_id}/support"),
        ("POST", "/introductions/new"),
    }
)


def limit_resident_writes(request: Request) -> None:
    """Count a signed-in resident's suggestion, report, use, offer, gap, 'me too' or
    introduction against their account's limit (429 over it); every route has this
    dependency, and it acts on the writes in RESIDENT_WRITES only."""
    template = getattr(request.scope.get("route"), "path", "")
    if template.startswith("/cy/"):
        template = template.removeprefix("/cy")
    if (request.method, template) not in RESIDENT_WRITES:
        return
    from app.http.access import get_viewer

    viewer = get_viewer(request, request.headers.get("authorization"))
    if viewer.role != "resident":
        return
    limits: RateLimits = request.app.state.rate_limits
    account = str(viewer.user_id or viewer.actor)
    limits.take(limits.resident_writes, "resident-write", account, what="contributions")
