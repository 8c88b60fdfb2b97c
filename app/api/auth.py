"""/api/v1/auth: sign in and out of the pages (session cookie), and who am I."""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import NotAuthenticated, error_responses
from app.http.access import (
    PUBLIC,
    SESSION_COOKIE,
    Public,
    SignedIn,
    password_sign_in,
    set_session_cookie,
)
from app.http.account_mail import resend_confirmation
from app.http.deps import SessionDep, SettingsDep
from app.models import Area
from app.services import accounts, users
from app.services.assets.visibility import Viewer

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class SignIn(BaseModel):
    """Email and password."""

    model_config = ConfigDict(extra="forbid")

    email: str = Field(max_length=320)
    password: str = Field(max_length=1000)


class Me(BaseModel):
    """The caller: role, and for a connector the area codes of their patch (null: all)."""

    role: str
    user_id: int | None = None
    patch: list[str] | None = None


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post(
    "/session",
    response_model=Me,
    responses=error_responses(401, 403, 429),
    summary="Sign in",
    dependencies=[Depends(PUBLIC)],
)
def sign_in(
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    body: Annotated[SignIn, Body()],
) -> Any:
    """Sign in with email and password: sets an HttpOnly session cookie for the pages.

    Repeated failures for one email or from one address are refused for a while (429). An
    account whose email address is not confirmed yet is refused (403) and its confirmation
    link emailed again (429 when sent too often already)."""
    try:
        user = password_sign_in(
            session,
            request.app.state.rate_limits,
            email=body.email,
            password=body.password,
            client=_client(request),
        )
    except NotAuthenticated:
        session.commit()
        raise
    if user.email_confirmed_at is None:
        resend_confirmation(session, request, settings, user)
        session.commit()
        accounts.refuse_unconfirmed(user)
    secret = users.start_session(session, user, key=settings.secret_key.get_secret_value())
    session.commit()
    set_session_cookie(request, response, settings, secret)
    viewer = users.viewer_of(user)
    return _me(session, viewer)


def _me(session: Session, viewer: Viewer) -> Me:
    patch = None
    if viewer.patch is not None:
        patch = sorted(session.scalars(select(Area.code).where(Area.id.in_(viewer.patch))))
    return Me(role=viewer.role, user_id=viewer.user_id, patch=patch)


@router.delete("/session", status_code=204, summary="Sign out", responses=error_responses(401))
def sign_out(
    request: Request, session: SessionDep, settings: SettingsDep, viewer: SignedIn
) -> Response:
    """End this page session (the cookie stops working everywhere)."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        users.end_session(session, key=settings.secret_key.get_secret_value(), secret=cookie)
        session.commit()
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/me", response_model=Me, summary="Who am I")
def me(session: SessionDep, viewer: Public) -> Any:
    """The caller's role (`anonymous` when not signed in) and patch."""
    return _me(session, viewer)
