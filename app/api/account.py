"""/api/v1/account: sign up, ask for a password reset, and one's own account (see, change,
export, delete)."""

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Body, Depends, Request, Response

from app.errors import InvalidInput, error_responses
from app.http.access import PUBLIC, SESSION_COOKIE, SignedIn
from app.http.account_mail import client_of
from app.http.deps import SessionDep, SettingsDep
from app.http.rate_limits import RateLimits, take_per_client_and_email
from app.models import User
from app.schemas.accounts import (
    Accepted,
    AccountChange,
    AccountCreate,
    AccountDelete,
    AccountRead,
    PasswordChange,
    PasswordReset,
)
from app.services import account_data, accounts, users
from app.services.mail.messages import site_url
from app.services.people import erasure

router = APIRouter(prefix="/api/v1/account", tags=["account"])

SIGNED_UP = (
    "If this address can receive email, a message is on its way: open the link in it to "
    "confirm the address (it works for 48 hours)."
)
RESET_SENT = (
    "If this address has an account, a link to choose a new password is on its way (it works "
    "once, for one hour)."
)


def _read(user: User) -> AccountRead:
    return AccountRead(
        id=user.id,
        email=user.email,
        display_name=user.display_name,
        role=user.role,
        language=user.language,
        digest=user.digest if accounts.gets_digest(user) else None,
        email_confirmed=user.email_confirmed_at is not None,
    )


def _limit(request: Request, name: str, email: str, what: str) -> None:
    limits: RateLimits = request.app.state.rate_limits
    item = limits.sign_up if name == "sign-up" else limits.reset
    take_per_client_and_email(limits, item, name, client=client_of(request), email=email, what=what)


@router.post(
    "",
    status_code=202,
    response_model=Accepted,
    responses=error_responses(429),
    summary="Sign up",
    dependencies=[Depends(PUBLIC)],
)
def sign_up(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    body: Annotated[AccountCreate, Body()],
) -> Any:
    """Make a resident account: a link to confirm the email address is emailed to it, and the
    account does nothing until it is followed. The answer is the same whether or not the
    address has an account already (its owner is emailed instead). Rate limited per client
    address and per email address (429)."""
    email = users.normalise_email(str(body.email))
    _limit(request, "sign-up", email, "sign-ups")
    data = accounts.SignUp(email, body.password, body.display_name, body.language)
    accounts.sign_up(
        session,
        data,
        key=settings.secret_key.get_secret_value(),
        base=site_url(settings, request),
    )
    session.commit()
    return Accepted(detail=SIGNED_UP)


@router.post(
    "/password-reset",
    status_code=202,
    response_model=Accepted,
    responses=error_responses(429),
    summary="Ask for a password reset link",
    dependencies=[Depends(PUBLIC)],
)
def password_reset(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    body: Annotated[PasswordReset, Body()],
) -> Any:
    """Email a single-use link to choose a new password (page /reset/new) if the address has
    an account; the same answer if it has none. Rate limited per client and per address."""
    email = users.normalise_email(body.email)
    if "@" not in email:
        raise InvalidInput(("body", "email"), "not an email address")
    _limit(request, "reset", email, "password resets")
    accounts.request_reset(
        session,
        email=email,
        key=settings.secret_key.get_secret_value(),
        base=site_url(settings, request),
    )
    session.commit()
    return Accepted(detail=RESET_SENT)


@router.get(
    "", response_model=AccountRead, summary="My account", responses=error_responses(401, 403)
)
def my_account(session: SessionDep, viewer: SignedIn) -> Any:
    """Your own account: email address, name, role, email language and digest."""
    return _read(accounts.own_account(session, viewer))


@router.patch(
    "", response_model=AccountRead, summary="Change my details", responses=error_responses(401, 403)
)
def change(session: SessionDep, viewer: SignedIn, body: Annotated[AccountChange, Body()]) -> Any:
    """Change your name, the language of your emails and (connectors, planners and admins)
    how often the digest of new work comes (immediate, daily or off)."""
    user = accounts.own_account(session, viewer)
    details = accounts.Details(body.display_name, body.language, body.digest)
    accounts.change_details(session, user, details)
    session.commit()
    return _read(user)


def _password_right(request: Request, user: User, password: str, field: str) -> None:
    limits: RateLimits = request.app.state.rate_limits
    key = ("sign-in", "email", user.email)
    limits.check(limits.sign_in, *key, what="failed sign-ins")
    if not accounts.check_password(user, password):
        limits.count(limits.sign_in, *key)
        raise InvalidInput(("body", field), "that is not your password")


@router.post(
    "/password",
    status_code=204,
    summary="Change my password",
    responses=error_responses(401, 403, 429),
)
def change_password(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    viewer: SignedIn,
    body: Annotated[PasswordChange, Body()],
) -> Response:
    """Change your password (give the current one); your page sessions but this one end."""
    user = accounts.own_account(session, viewer)
    _password_right(request, user, body.current_password, "current_password")
    accounts.change_password(
        session,
        user,
        current=body.current_password,
        new=body.new_password,
        key=settings.secret_key.get_secret_value(),
        keep=request.cookies.get(SESSION_COOKIE),
    )
    session.commit()
    return Response(status_code=204)


@router.get(
    "/export",
    summary="Everything held about me",
    responses={200: {"content": {"application/json": {}}}, **error_responses(401, 403)},
)
def export(session: SessionDep, viewer: SignedIn) -> Response:
    """Everything held about you, as one JSON document: your account (never the password),
    what you use, your offers with their person records, gaps you reported and supported,
    your suggestions, reports and introduction requests, and the audit trail of your account."""
    document = account_data.export_account(session, accounts.own_account(session, viewer))
    return Response(
        orjson.dumps(document),
        media_type="application/json",
        headers={"Cache-Control": "no-store"},
    )


@router.delete(
    "",
    status_code=204,
    summary="Delete my account",
    responses=error_responses(401, 403, 409, 429),
)
def delete(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    viewer: SignedIn,
    body: Annotated[AccountDelete, Body()],
) -> Response:
    """Delete your account (give your password): your uses, supports, offers and requests go;
    what you suggested stays, unattributed; no copy of your email address is kept."""
    user = accounts.own_account(session, viewer)
    _password_right(request, user, body.password, "password")
    account_data.delete_account(session, user, ledger=erasure.ledger_path(settings))
    session.commit()
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
