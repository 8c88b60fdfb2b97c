"""Who is calling (bearer token, session cookie, or nobody) and what each route allows.

Every route declares its access rule with one of the `Access` dependencies below; a test walks
`app.routes` and fails on a route without one. Object-level rules (a connector's patch, people)
live in the services (app/services/assets/visibility.py): what a caller may not see is a 404.
"""

import secrets
from typing import Annotated

from fastapi import Depends, Header, Request, Response
from sqlalchemy.orm import Session

from app.errors import Forbidden, NotAuthenticated
from app.http.rate_limits import RateLimits
from app.models import ROLES, User
from app.services import users
from app.services.assets.visibility import ANONYMOUS, Viewer
from app.services.users import SESSION_LIFETIME
from app.settings import Settings

SESSION_COOKIE = "assetmap_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _settings(request: Request) -> Settings:
    return request.app.state.settings


def _db(request: Request) -> Session:
    # One short session just for the credential lookup; routes open their own.
    return request.app.state.session_factory()


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    return origin.rstrip("/") == f"{request.url.scheme}://{request.url.netloc}"


def get_viewer(
    request: Request,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Viewer:
    """Who is calling: a bearer token (API), else a session cookie (pages), else anonymous."""
    settings = _settings(request)
    key = settings.secret_key.get_secret_value()
    if authorization is not None:
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise NotAuthenticated("use 'Authorization: Bearer <token>'")
        admin = settings.admin_token.get_secret_value() if settings.admin_token else None
        if admin is not None and secrets.compare_digest(token.encode(), admin.encode()):
            return Viewer(actor="admin", role="admin")
        with _db(request) as session:
            user = users.user_for_secret(session, key=key, secret=token, kind="token")
            if user is None:
                raise NotAuthenticated("the token is not valid")
            return users.viewer_of(user)
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return ANONYMOUS
    with _db(request) as session:
        user = users.user_for_secret(session, key=key, secret=cookie, kind="session")
        if user is None:
            return ANONYMOUS
        if request.method not in SAFE_METHODS and not _same_origin(request):
            # A cookie is sent whatever page made the request: refuse cross-site writes.
            raise Forbidden("cross-site request refused; send it from this site")
        return users.viewer_of(user)


ViewerDep = Annotated[Viewer, Depends(get_viewer)]


class Access:
    """A route's access rule: the roles it admits ('anonymous' admits everybody).

    Signed-out callers of a route that needs a role get 401; signed-in callers without one
    of its roles get 403.
    """

    def __init__(self, name: str, *roles: str) -> None:
        unknown = set(roles) - {*ROLES, "anonymous"}
        if unknown:
            raise ValueError(f"unknown roles {sorted(unknown)}")
        self.name = name
        self.roles = frozenset(roles)

    def __repr__(self) -> str:
        return f"Access({self.name!r})"

    def __call__(self, viewer: ViewerDep) -> Viewer:
        if "anonymous" in self.roles or viewer.role in self.roles:
            return viewer
        if not viewer.signed_in:
            raise NotAuthenticated("sign in (session or bearer token) for this")
        raise Forbidden("your role may not do this")


PUBLIC = Access("public", "anonymous")
SIGNED_IN = Access("signed in", *ROLES)
EDITORS = Access("connectors and admins", "connector", "admin")
PLANNING = Access("planners, connectors and admins", "planner", "connector", "admin")
ADMINS = Access("admins", "admin")

Public = Annotated[Viewer, Depends(PUBLIC)]
SignedIn = Annotated[Viewer, Depends(SIGNED_IN)]
Editor = Annotated[Viewer, Depends(EDITORS)]
Planning = Annotated[Viewer, Depends(PLANNING)]
Admin = Annotated[Viewer, Depends(ADMINS)]


def set_session_cookie(
    request: Request, response: Response, settings: Settings, secret: str
) -> None:
    """Put a page session id in the HttpOnly, SameSite=Lax session cookie (Secure over https)."""
    secure = request.url.scheme == "https" or (settings.base_url or "").startswith("https:")
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        httponly=True,
        secure=secure,
        samesite="lax",
        path="/",
    )


def password_sign_in(
    session: Session, limits: RateLimits, *, email: str, password: str, client: str
) -> User:
    """The user these credentials belong to, for the API and the sign-in page alike.

    Failures are counted per (email, client address), per client address, per email (a
    doubling wait, from anywhere) and service-wide; over a limit every attempt is refused
    (TooManyRequests) even with the right password. A failure is NotAuthenticated with one
    message that never says whether the email exists."""
    email = users.normalise_email(email)
    limits.sign_in_allowed(email=email, client=client)
    user = users.authenticate(
        session, email=email, password=password, checks=limits.password_checks
    )
    if user is None:
        limits.sign_in_failed(email=email, client=client)
        raise NotAuthenticated("email or password is wrong")
    return user
