"""Users: accounts, roles and patches; argon2 passwords; API tokens and page sessions.

Only a keyed hash (HMAC-SHA256 with the secret key) of a token or session id is stored, so a
copy of the database does not let anyone sign in.
"""

import hashlib
import hmac
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.errors import Conflict, InvalidInput, NotFound, TooManyRequests
from app.models import ROLES, Area, Credential, User, UserArea
from app.models.base import utcnow
from app.schemas.users import MIN_PASSWORD, UserCreate
from app.services import audit
from app.services.assets.visibility import Viewer

HASHER = PasswordHasher()
SESSION_LIFETIME = timedelta(days=14)
TOKEN_PREFIX = "am_"
# Verified against when the email is unknown, so a wrong email costs as long as a wrong password.
_DUMMY_HASH = HASHER.hash(secrets.token_urlsafe(16))


def normalise_email(email: str) -> str:
    """Emails compare case-insensitively and without surrounding spaces."""
    return email.strip().lower()


def secret_hash(key: str, secret: str) -> str:
    """The stored form of a token or session id."""
    return hmac.new(key.encode(), secret.encode(), hashlib.sha256).hexdigest()


def actor_of(user: User) -> str:
    """How a user appears in audit trails and created_by: role and id, no personal data."""
    return f"{user.role}:{user.id}"


def viewer_of(user: User) -> Viewer:
    """The Viewer a signed-in user reads and writes as."""
    patch = None if user.all_areas else frozenset(a.area_id for a in user.patch)
    if user.role != "connector":
        patch = None
    return Viewer(actor=actor_of(user), role=user.role, user_id=user.id, patch=patch)


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise InvalidInput(("role",), f"unknown role {role!r}; one of {', '.join(ROLES)}")
    return role


def _patch_areas(session: Session, codes: list[str]) -> list[Area]:
    areas = list(session.scalars(select(Area).where(Area.code.in_(codes))))
    known = {a.code for a in areas}
    for index, code in enumerate(codes):
        if code not in known:
            raise InvalidInput(("patch", index), f"unknown area code {code!r}")
    return areas


def _set_patch(session: Session, user: User, codes: list[str] | None) -> None:
    """None: every area; a list: just those areas (connectors only)."""
    if codes is None:
        user.all_areas = True
        user.patch = []
        return
    if user.role != "connector":
        raise InvalidInput(("patch",), "only connectors are scoped to a patch")
    user.all_areas = False
    user.patch = [UserArea(area_id=a.id) for a in _patch_areas(session, codes)]


def hash_password(password: str) -> str:
    """An argon2 hash of a password that is long enough."""
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(("password",), f"use at least {MIN_PASSWORD} characters")
    return HASHER.hash(password)


def create_user(
    session: Session,
    *,
    email: str,
    role: str,
    actor: str,
    password: str | None = None,
    display_name: str | None = None,
    patch: list[str] | None = None,
    confirmed: bool = True,
    language: str = "en",
) -> User:
    """Add a user (flushed, not committed); a patch scopes a connector to those area codes.

    Accounts an admin makes are confirmed when made; a resident's own sign-up is not
    (`confirmed=False`) until they follow the link sent to their email."""
    email = normalise_email(email)
    if "@" not in email or len(email) > 320:
        raise InvalidInput(("email",), "not an email address")
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(f"a user with email {email!r} exists")
    now = utcnow()
    user = User(
        email=email,
        role=_check_role(role),
        display_name=display_name,
        created_at=now,
        email_confirmed_at=now if confirmed else None,
        language=language,
    )
    user.password_hash = hash_password(password) if password is not None else None
    _set_patch(session, user, patch)
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="create",
        entity_type="user",
        entity_id=user.id,
        changes={"role": [None, user.role], "patch": [None, _patch_text(session, user)]},
    )
    return user


@dataclass(frozen=True)
class NewAccount:
    """A user just added, and their API token when one was asked for (shown this once only)."""

    user: User
    token: str | None


def create_account(session: Session, *, data: UserCreate, actor: str, key: str) -> NewAccount:
    """Add a user as an admin page or command asks (create_user), with an API token if
    `data.token`; flushed, not committed."""
    user = create_user(
        session,
        email=str(data.email),
        role=data.role,
        actor=actor,
        password=data.password,
        display_name=data.display_name,
        patch=data.patch,
    )
    return NewAccount(user, issue_token(session, user, key=key) if data.token else None)


def _patch_text(session: Session, user: User) -> str:
    if user.all_areas:
        return "all areas"
    ids = [a.area_id for a in user.patch]
    return ",".join(sorted(session.scalars(select(Area.code).where(Area.id.in_(ids)))))


def get_user(session: Session, email: str) -> User:
    """The user with this email; NotFound otherwise."""
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        raise NotFound(f"no user with email {normalise_email(email)!r}")
    return user


def list_users(session: Session) -> list[User]:
    """Every user, by email."""
    return list(session.scalars(select(User).order_by(User.email)))


@dataclass(frozen=True)
class UserSummary:
    """A user as the admin pages show them: never a password hash or a token."""

    id: int
    email: str
    display_name: str | None
    role: str
    # The area codes of a connector's patch; None: every area.
    patch: tuple[str, ...] | None
    active: bool
    created_at: datetime
    # API tokens and page sessions that still work.
    live_credentials: int


def _summaries(session: Session, users: list[User]) -> list[UserSummary]:
    ids = [u.id for u in users]
    now = utcnow()
    live: dict[int, int] = {
        user_id: count
        for user_id, count in session.execute(
            select(Credential.user_id, func.count())
            .where(
                Credential.user_id.in_(ids),
                Credential.revoked_at.is_(None),
                Credential.expires_at.is_(None) | (Credential.expires_at > now),
            )
            .group_by(Credential.user_id)
        )
    }
    codes: dict[int, list[str]] = {}
    for user_id, code in session.execute(
        select(UserArea.user_id, Area.code)
        .join(Area, Area.id == UserArea.area_id)
        .where(UserArea.user_id.in_(ids))
        .order_by(Area.code)
    ):
        codes.setdefault(user_id, []).append(code)
    return [
        UserSummary(
            id=u.id,
            email=u.email,
            display_name=u.display_name,
            role=u.role,
            patch=None if u.all_areas else tuple(codes.get(u.id, ())),
            active=u.active,
            created_at=u.created_at,
            live_credentials=int(live.get(u.id, 0)),
        )
        for u in users
    ]


def user_summaries(session: Session) -> list[UserSummary]:
    """Every user with their patch's area codes and how many tokens and sessions still work,
    by email."""
    return _summaries(session, list_users(session))


def user_by_id(session: Session, user_id: int) -> User:
    """The user with this id; NotFound otherwise."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found")
    return user


def user_summary(session: Session, user_id: int) -> UserSummary:
    """One user as the admin pages show them; NotFound if there is none with this id."""
    return _summaries(session, [user_by_id(session, user_id)])[0]


def set_role(
    session: Session, *, email: str, role: str, actor: str, patch: list[str] | None = None
) -> User:
    """Change a user's role (and patch); their tokens and sessions stay valid with the new role."""
    return _set_role(session, get_user(session, email), role, actor, patch)


def change_role(
    session: Session, *, user_id: int, role: str, actor: str, patch: list[str] | None = None
) -> User:
    """set_role for the user with this id (the admin pages name users by id)."""
    return _set_role(session, user_by_id(session, user_id), role, actor, patch)


def _set_role(session: Session, user: User, role: str, actor: str, patch: list[str] | None) -> User:
    before = (user.role, _patch_text(session, user))
    user.role = _check_role(role)
    _set_patch(session, user, patch)
    session.flush()
    after = (user.role, _patch_text(session, user))
    audit.record(
        session,
        actor=actor,
        action="set-role",
        entity_type="user",
        entity_id=user.id,
        changes=audit.diff(
            {"role": before[0], "patch": before[1]}, {"role": after[0], "patch": after[1]}
        ),
    )
    return user


def _issue(session: Session, user: User, key: str, kind: str, expires: datetime | None) -> str:
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(
        Credential(
            user_id=user.id,
            kind=kind,
            secret_hash=secret_hash(key, secret),
            created_at=utcnow(),
            expires_at=expires,
        )
    )
    session.flush()
    return secret


def issue_token(session: Session, user: User, *, key: str) -> str:
    """A new bearer API token for the user; shown once, stored only as a hash."""
    return _issue(session, user, key, "token", None)


def start_session(session: Session, user: User, *, key: str) -> str:
    """A new page session id for the user (goes in the session cookie)."""
    return _issue(session, user, key, "session", utcnow() + SESSION_LIFETIME)


def revoke_tokens(session: Session, user: User, *, actor: str) -> int:
    """Revoke every token and session of the user; how many were live."""
    result = session.execute(
        update(Credential)
        .where(Credential.user_id == user.id, Credential.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    audit.record(
        session,
        actor=actor,
        action="revoke-tokens",
        entity_type="user",
        entity_id=user.id,
        changes={},
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def revoke_user_tokens(session: Session, *, user_id: int, actor: str) -> int:
    """revoke_tokens for the user with this id; how many were live."""
    return revoke_tokens(session, user_by_id(session, user_id), actor=actor)


def end_session(session: Session, *, key: str, secret: str) -> None:
    """Sign a page session out."""
    session.execute(
        update(Credential)
        .where(Credential.secret_hash == secret_hash(key, secret), Credential.kind == "session")
        .values(revoked_at=utcnow())
    )


def user_for_secret(session: Session, *, key: str, secret: str, kind: str) -> User | None:
    """The active user a live token or session id belongs to, or None."""
    credential = session.scalar(
        select(Credential).where(
            Credential.secret_hash == secret_hash(key, secret),
            Credential.kind == kind,
            Credential.revoked_at.is_(None),
        )
    )
    if credential is None:
        return None
    if credential.expires_at is not None and credential.expires_at <= utcnow():
        return None
    user = session.get(User, credential.user_id)
    if user is None or not user.active or user.email_confirmed_at is None:
        return None
    return user


class PasswordChecks:
    """How many argon2 checks (64 MiB and ~0.1 s of CPU each) one process runs at once: a
    burst of sign-ins queues here instead of taking the memory and every thread."""

    # How long a sign-in waits for its turn before it is refused (429).
    WAIT_SECONDS = 5.0

    def __init__(self, at_once: int) -> None:
        self.at_once = at_once
        self._slots = threading.BoundedSemaphore(at_once)

    @contextmanager
    def turn(self) -> Iterator[None]:
        """Wait for a free slot (TooManyRequests after WAIT_SECONDS) and hold it."""
        if not self._slots.acquire(timeout=self.WAIT_SECONDS):
            raise TooManyRequests("too many sign-ins at once; try again in a moment", 2)
        try:
            yield
        finally:
            self._slots.release()


# For callers without the app's own (commands); the app's follows ASSETMAP_PASSWORD_CHECKS.
PASSWORD_CHECKS = PasswordChecks(2)


def authenticate(
    session: Session, *, email: str, password: str, checks: PasswordChecks = PASSWORD_CHECKS
) -> User | None:
    """The user whose email and password these are, or None (same cost either way)."""
    # The turn first: a sign-in waiting for one holds no database connection either.
    with checks.turn():
        user = session.scalar(select(User).where(User.email == normalise_email(email)))
        stored = user.password_hash if user is not None and user.active else None
        try:
            HASHER.verify(stored or _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            return None
    if user is None or stored is None:
        return None
    if HASHER.check_needs_rehash(stored):
        user.password_hash = HASHER.hash(password)
    return user


def end_other_sessions(session: Session, user: User, *, key: str, keep: str | None = None) -> int:
    """Sign out every page session of the user but `keep` (the session id of this browser);
    API tokens stay. How many were live."""
    stmt = update(Credential).where(
        Credential.user_id == user.id,
        Credential.kind == "session",
        Credential.revoked_at.is_(None),
    )
    if keep is not None:
        stmt = stmt.where(Credential.secret_hash != secret_hash(key, keep))
    result = session.execute(stmt.values(revoked_at=utcnow()))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def authenticate_user(user: User, password: str) -> bool:
    """Whether `password` is this (known) user's password."""
    if not user.password_hash:
        return False
    try:
        return bool(HASHER.verify(user.password_hash, password))
    except (VerificationError, InvalidHashError):
        return False
