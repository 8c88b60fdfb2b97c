"""The sign-in and sign-out pages: the same session cookie and rate limits as /api/v1/auth."""

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.errors import NotAuthenticated, TooManyRequests
from app.http.access import SESSION_COOKIE, Public, password_sign_in, set_session_cookie
from app.http.deps import SessionDep, SettingsDep
from app.i18n import translations
from app.services import users
from app.web.connector_forms import first, safe_next
from app.web.forms import FormDep
from app.web.language import PageLanguage, localised, page_language
from app.web.routing import PageRouter
from app.web.templating import render_page

router = PageRouter()
page = router.page


def _form(
    request: Request,
    language: PageLanguage,
    *,
    email: str = "",
    next_path: str | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    _ = translations(language.lang).gettext
    labels = {"email": _("Email address"), "password": _("Password")}
    return render_page(
        request,
        language,
        "sign_in.html",
        status_code=status_code,
        email=email,
        next_path=next_path or "",
        errors=errors or {},
        labels=labels,
    )


@page("/sign-in")
def sign_in_form(request: Request, viewer: Public, next: str | None = None) -> HTMLResponse:
    """The sign-in form; `next` is where to go afterwards (a path on this site)."""
    return _form(request, page_language(request), next_path=safe_next(next))


@page("/sign-in", methods=("POST",))
def sign_in(
    request: Request, session: SessionDep, settings: SettingsDep, viewer: Public, form: FormDep
) -> Response:
    """Sign in: sets the session cookie and goes on to `next` (or the connector's dashboard)."""
    language = page_language(request)
    _ = translations(language.lang).gettext
    email, password = first(form, "email"), (form.get("password") or [""])[0]
    next_path = safe_next(first(form, "next"))
    errors = {}
    if not email:
        errors["email"] = _("Enter your email address")
    if not password:
        errors["password"] = _("Enter your password")
    if errors:
        return _form(
            request, language, email=email, next_path=next_path, errors=errors, status_code=422
        )
    client = request.client.host if request.client else "unknown"
    limits = request.app.state.rate_limits
    try:
        user = password_sign_in(session, limits, email=email, password=password, client=client)
    except NotAuthenticated:
        session.commit()
        errors = {"email": _("The email address or password is not right")}
        return _form(
            request, language, email=email, next_path=next_path, errors=errors, status_code=422
        )
    except TooManyRequests as exc:
        errors = {"email": _("Too many failed attempts. Wait a few minutes, then try again.")}
        refused = _form(
            request, language, email=email, next_path=next_path, errors=errors, status_code=429
        )
        refused.headers["Retry-After"] = str(exc.retry_after)
        return refused
    secret = users.start_session(session, user, key=settings.secret_key.get_secret_value())
    session.commit()
    if next_path is None:
        home = "/connector" if user.role in ("connector", "admin") else "/"
        next_path = localised(home, language.lang)
    response = RedirectResponse(next_path, status_code=303)
    set_session_cookie(request, response, settings, secret)
    return response


@page("/sign-out", methods=("POST",))
def sign_out(
    request: Request, session: SessionDep, settings: SettingsDep, viewer: Public
) -> Response:
    """Sign out: ends this session (the cookie stops working everywhere) and goes home."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie and viewer.signed_in:
        users.end_session(session, key=settings.secret_key.get_secret_value(), secret=cookie)
        session.commit()
    response = RedirectResponse(localised("/", page_language(request).lang), status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
