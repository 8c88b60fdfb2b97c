"""The sign-in and sign-out pages: the same session cookie and rate limits as /api/v1/auth.

Signing in with the right password before the email address is confirmed is refused, and the
confirmation link is emailed again (rate limited per address and per client)."""

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.errors import NotAuthenticated, TooManyRequests
from app.http.access import SESSION_COOKIE, Public, password_sign_in, set_session_cookie
from app.http.account_mail import resend_confirmation
from app.http.deps import SessionDep, SettingsDep
from app.i18n import translations
from app.services import users
from app.web.forms import FieldsDep, FieldText, FormFields, PageForm
from app.web.language import PageLanguage, localised, page_language
from app.web.routing import PageRouter, safe_next
from app.web.templating import render_page

router = PageRouter()
page = router.page
# A wait this short is said in seconds (an account's back-off after failures from anywhere).
SHORT_WAIT = 120


def sign_in_texts(lang: str) -> dict[str, FieldText]:
    """The sign-in form's fields: labels and what to say when one is missing."""
    _ = translations(lang).gettext
    return {
        "email": FieldText(_("Email address"), _("Enter your email address")),
        "password": FieldText(_("Password"), _("Enter your password")),
    }


def _form(
    request: Request,
    language: PageLanguage,
    form: PageForm,
    *,
    next_path: str | None = None,
) -> HTMLResponse:
    return render_page(
        request,
        language,
        "sign_in.html",
        status_code=form.status,
        email=form.fields.get("email"),
        next_path=next_path or "",
        errors=form.errors,
        labels=form.labels,
    )


@page("/sign-in")
def sign_in_form(request: Request, viewer: Public, next: str | None = None) -> HTMLResponse:
    """The sign-in form; `next` is where to go afterwards (a path on this site)."""
    language = page_language(request)
    form = PageForm(FormFields(), sign_in_texts(language.lang))
    return _form(request, language, form, next_path=safe_next(next))


@page("/sign-in", methods=("POST",))
def sign_in(
    request: Request, session: SessionDep, settings: SettingsDep, viewer: Public, fields: FieldsDep
) -> Response:
    """Sign in: sets the session cookie and goes on to `next` (or the connector's dashboard)."""
    language = page_language(request)
    _ = translations(language.lang).gettext
    form = PageForm(fields, sign_in_texts(language.lang))
    email, password = fields.get("email"), fields.raw("password")
    next_path = safe_next(fields.get("next"))
    for name, value in (("email", email), ("password", password)):
        if not value:
            form.refuse(name, form.texts[name].invalid)
    if not form.ok:
        return _form(request, language, form, next_path=next_path)
    client = request.client.host if request.client else "unknown"
    limits = request.app.state.rate_limits
    try:
        user = password_sign_in(session, limits, email=email, password=password, client=client)
    except NotAuthenticated:
        session.commit()
        form.refuse("email", _("The email address or password is not right"))
        return _form(request, language, form, next_path=next_path)
    except TooManyRequests as exc:
        message = _("Too many failed attempts. Wait a few minutes, then try again.")
        if exc.retry_after <= SHORT_WAIT:  # an account's back-off, not an address's limit
            message = _(
                "Too many failed attempts for now. Wait %(seconds)d seconds, then try again."
            ) % {"seconds": exc.retry_after}
        form.refuse("email", message, status=429)
        refused = _form(request, language, form, next_path=next_path)
        refused.headers["Retry-After"] = str(exc.retry_after)
        return refused
    if user.email_confirmed_at is None:
        try:
            resend_confirmation(session, request, settings, user)
        except TooManyRequests as exc:
            form.refuse(
                "email",
                _(
                    "Confirm your email address first. We have sent the link "
                    "several times already: look for it in your email, including "
                    "the spam folder, or try again later."
                ),
                status=429,
            )
            refused = _form(request, language, form, next_path=next_path)
            refused.headers["Retry-After"] = str(exc.retry_after)
            return refused
        session.commit()
        form.refuse(
            "email",
            _(
                "Confirm your email address first. We have emailed you the link "
                "again: open it, and you are signed in."
            ),
            status=403,
        )
        return _form(request, language, form, next_path=next_path)
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
