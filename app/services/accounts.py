"""Residents' own accounts: sign up, confirm the email address, reset a forgotten password, and
change their own details.

Links sent by email carry a signed token (HMAC-SHA256 with the secret key, one key per purpose)
holding the user id, an expiry and a fingerprint of the account's state the link must find
unchanged: the email address and whether it is confirmed (confirm links), the email address and
the password hash (reset links). So a link stops working once used, once the address changes,
or once the password changes, without any token being stored.

Nothing here tells whether an email address has an account: sign-up with a known address and
a reset for an unknown one return exactly as the other case does (what differs is the email).
"""

import base64
import binascii
import hashlib
import hmac
import time
from dataclasses import dataclass
from datetime import timedelta

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import Forbidden, InvalidInput, NotAuthenticated
from app.models import User
from app.models.base import utcnow
from app.services import audit, users
from app.services.assets.visibility import Viewer
from app.services.mail import messages
from app.vocabularies import DIGESTS, LANGUAGES

CONFIRM_LIFETIME = timedelta(hours=48)
RESET_LIFETIME = timedelta(hours=1)
CONFIRM = "confirm"
RESET = "reset"
# Who the audit trail names for a sign-up: the account is not anybody's until confirmed.
SIGN_UP_ACTOR = "sign-up"


class LinkNotValid(InvalidInput):
    """An emailed link that is malformed, forged, expired, or used already."""

    def __init__(self) -> None:
        super().__init__(
            ("query", "token"), "this link has expired or was used already", "link_not_valid"
        )


# ---- signed links -------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _purpose_key(key: str, purpose: str) -> bytes:
    return hmac.new(key.encode(), f"assetmap account link: {purpose}".encode(), "sha256").digest()


def _fingerprint(key: str, user: User, purpose: str) -> str:
    state = user.password_hash or "" if purpose == RESET else str(user.email_confirmed_at)
    text = f"{purpose}\x00{user.email}\x00{state}".encode()
    return hmac.new(_purpose_key(key, "fingerprint"), text, hashlib.sha256).hexdigest()[:32]


def link_token(key: str, user: User, purpose: str, lifetime: timedelta) -> str:
    """A signed token for an emailed link about this user, valid for `lifetime`."""
    payload = {
        "u": user.id,
        "x": int(time.time() + lifetime.total_seconds()),
        "f": _fingerprint(key, user, purpose),
    }
    body = _b64(orjson.dumps(payload))
    signature = hmac.new(_purpose_key(key, purpose), body.encode(), hashlib.sha256).digest()
    return f"{body}.{_b64(signature)}"


def user_for_link(session: Session, *, key: str, token: str, purpose: str) -> User:
    """The active user a link's token is about; LinkNotValid when it is forged, expired, or the
    account changed since it was sent (used already)."""
    body, _, signature = token.partition(".")
    expected = hmac.new(_purpose_key(key, purpose), body.encode(), hashlib.sha256).digest()
    try:
        if not hmac.compare_digest(_unb64(signature), expected):
            raise LinkNotValid()
        payload = orjson.loads(_unb64(body))
        user_id, expires, fingerprint = int(payload["u"]), int(payload["x"]), str(payload["f"])
    except (binascii.Error, ValueError, KeyError, TypeError, orjson.JSONDecodeError):
        raise LinkNotValid() from None
    if expires < time.time():
        raise LinkNotValid()
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise LinkNotValid()
    if not hmac.compare_digest(fingerprint, _fingerprint(key, user, purpose)):
        raise LinkNotValid()
    return user


# ---- signing up ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignUp:
    """What a resident gives to sign up."""

    email: str
    password: str
    display_name: str | None
    language: str


def _known(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == users.normalise_email(email)))


def _send_confirmation(session: Session, user: User, *, key: str, base: str) -> None:
    token = link_token(key, user, CONFIRM, CONFIRM_LIFETIME)
    hours = int(CONFIRM_LIFETIME.total_seconds() // 3600)
    email = messages.confirm_email(lang=user.language, base=base, token=token, hours=hours)
    messages.send(session, to=user.email, email=email)


def sign_up(session: Session, data: SignUp, *, key: str, base: str) -> None:
    """Make an unconfirmed resident account and email its confirmation link; for an address
    that has an account already, email its owner that someone tried instead (flushed).

    Either way the caller answers the same, and the password is hashed either way, so neither
    the answer nor its time says which."""
    password_hash = users.hash_password(data.password)
    if data.language not in LANGUAGES:
        raise InvalidInput(("language",), f"one of {', '.join(LANGUAGES)}")
    existing = _known(session, data.email)
    if existing is not None:
        if existing.active:
            attempt = messages.sign_up_attempt_email(lang=existing.language, base=base)
            messages.send(session, to=existing.email, email=attempt)
        return
    user = users.create_user(
        session,
        email=data.email,
        role="resident",
        actor=SIGN_UP_ACTOR,
        display_name=data.display_name,
        confirmed=False,
        language=data.language,
    )
    user.password_hash = password_hash
    session.flush()
    _send_confirmation(session, user, key=key, base=base)


def resend_confirmation(session: Session, user: User, *, key: str, base: str) -> None:
    """Email an unconfirmed user's confirmation link again (on signing in too early)."""
    if user.email_confirmed_at is None:
        _send_confirmation(session, user, key=key, base=base)


def refuse_unconfirmed(user: User) -> None:
    """Forbidden for an account whose email is not confirmed yet."""
    if user.email_confirmed_at is None:
        raise Forbidden("confirm your email address first: we have emailed you the link again")


def confirm_email(session: Session, *, key: str, token: str) -> User:
    """Confirm the email address a confirm link was sent to; the user (flushed). The link
    stops working once used."""
    user = user_for_link(session, key=key, token=token, purpose=CONFIRM)
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
        audit.record(
            session,
            actor=users.actor_of(user),
            action="confirm-email",
            entity_type="user",
            entity_id=user.id,
            changes={"email_confirmed": [False, True]},
        )
    session.flush()
    return user


# ---- a forgotten password -----------------------------------------------------------------------


def request_reset(session: Session, *, email: str, key: str, base: str) -> None:
    """Email a single-use reset link to the address's account; nothing at all when the address
    has none (the caller answers the same either way)."""
    user = _known(session, email)
    if user is None or not user.active:
        return
    token = link_token(key, user, RESET, RESET_LIFETIME)
    minutes = int(RESET_LIFETIME.total_seconds() // 60)
    message = messages.reset_email(lang=user.language, base=base, token=token, minutes=minutes)
    messages.send(session, to=user.email, email=message)


def check_reset_link(session: Session, *, key: str, token: str) -> User:
    """The user a reset link is for (LinkNotValid when expired or used)."""
    return user_for_link(session, key=key, token=token, purpose=RESET)


def reset_password(session: Session, *, key: str, token: str, password: str) -> User:
    """Set a new password through a reset link: every page session of the account is signed
    out, and an unconfirmed email counts as confirmed (the link reached it). Flushed."""
    user = user_for_link(session, key=key, token=token, purpose=RESET)
    user.password_hash = users.hash_password(password)
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
    users.end_other_sessions(session, user, key=key)
    audit.record(
        session,
        actor=users.actor_of(user),
        action="reset-password",
        entity_type="user",
        entity_id=user.id,
        changes={},
    )
    session.flush()
    return user


# ---- one's own details ------------------------------------------------------------------------


def own_account(session: Session, viewer: Viewer) -> User:
    """The signed-in user's own account; Forbidden for the admin token (no account)."""
    if viewer.user_id is None:
        raise Forbidden("the admin token is no user account: sign in as a user for this")
    user = session.get(User, viewer.user_id)
    if user is None:
        raise NotAuthenticated("sign in for this")
    return user


@dataclass(frozen=True)
class Details:
    """What a user changes about themselves; `digest` only for connectors, planners, admins."""

    display_name: str | None
    language: str
    digest: str | None = None


def gets_digest(user: User) -> bool:
    """Whether the user's role gets the digest of new work (and so chooses how often)."""
    return user.role in ("connector", "planner", "admin")


def change_details(session: Session, user: User, data: Details) -> User:
    """Save the user's name, email language and (if their role gets one) digest (flushed)."""
    if data.language not in LANGUAGES:
        raise InvalidInput(("language",), f"one of {', '.join(LANGUAGES)}")
    if data.digest is not None and data.digest not in DIGESTS:
        raise InvalidInput(("digest",), f"one of {', '.join(DIGESTS)}")
    if data.digest is not None and not gets_digest(user):
        raise InvalidInput(("digest",), "only connectors, planners and admins get a digest")
    before = {"language": user.language, "digest": user.digest, "name": bool(user.display_name)}
    user.display_name = data.display_name
    user.language = data.language
    if data.digest is not None:
        user.digest = data.digest
    after = {"language": user.language, "digest": user.digest, "name": bool(user.display_name)}
    # The name itself is personal: the trail says only whether there is one.
    changes = audit.diff(before, after)
    if changes:
        audit.record(
            session,
            actor=users.actor_of(user),
            action="update",
            entity_type="user",
            entity_id=user.id,
            changes=changes,
        )
    session.flush()
    return user


def check_password(user: User, password: str) -> bool:
    """Whether `password` is the user's current password."""
    return users.authenticate_user(user, password)


def change_password(
    session: Session, user: User, *, current: str, new: str, key: str, keep: str | None
) -> None:
    """Change the password (the current one must be given); signs out every other page
    session but `keep`, this browser's. Flushed."""
    if not check_password(user, current):
        raise InvalidInput(("current_password",), "that is not your current password")
    user.password_hash = users.hash_password(new)
    users.end_other_sessions(session, user, key=key, keep=keep)
    audit.record(
        session,
        actor=users.actor_of(user),
        action="change-password",
        entity_type="user",
        entity_id=user.id,
        changes={},
    )
    session.flush()
