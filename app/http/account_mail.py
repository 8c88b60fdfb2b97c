"""Emails about accounts that a request causes, rate limited per client address and per email
address: the API and the pages share one budget."""

from fastapi import Request
from sqlalchemy.orm import Session

from app.http.rate_limits import RateLimits, take_per_client_and_email
from app.models import User
from app.services import accounts
from app.services.mail.messages import site_url
from app.settings import Settings


def client_of(request: Request) -> str:
    """The caller's address, for rate limits."""
    return request.client.host if request.client else "unknown"


def resend_confirmation(session: Session, request: Request, settings: Settings, user: User) -> None:
    """Email an unconfirmed user's confirmation link again (flushed); TooManyRequests when
    it was sent too often to this address or from this client."""
    limits: RateLimits = request.app.state.rate_limits
    take_per_client_and_email(
        limits,
        limits.confirm_resend,
        "confirm-resend",
        client=client_of(request),
        email=user.email,
        what="confirmation emails",
    )
    accounts.resend_confirmation(
        session, user, key=settings.secret_key.get_secret_value(), base=site_url(settings, request)
    )
