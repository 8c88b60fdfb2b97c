"""A forgotten password: /reset asks for the email address, /reset/sent says to look for the
link (the same whether or not the address has an account), /reset/new sets a new password
through the link, signs every other session out and signs in."""

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.errors import InvalidInput, TooManyRequests
from app.http.access import Public, set_session_cookie
from app.http.account_mail import client_of
from app.http.deps import SessionDep, SettingsDep
from app.http.rate_limits import take_per_client_and_email
from app.i18n import translations
from app.schemas.users import MIN_PASSWORD
from app.services import accounts, users
from app.services.mail.messages import site_url
from app.web.forms import FieldsDep, FieldText, FormFields, PageForm
from app.web.language import PageLanguage, localised, page_language
from app.web.routing import PageRouter
from app.web.sign_up import link_not_valid, message_page, too_many
from app.web.templating import render_page

router = PageRouter()
page = router.page
MAX_TOKEN = 2000


def _reset_texts(lang: str) -> dict[str, FieldText]:
    _ = translations(lang).gettext
    return {
        "email": FieldText(_("Email address"), _("Enter an email address, like name@example.org"))
    }


def _new_texts(lang: str) -> dict[str, FieldText]:
    _ = translations(lang).gettext
    return {
        "password": FieldText(
            _("New password"),
            _("Use at least %(num)d characters") % {"num": MIN_PASSWORD},
            _("Use 1,000 characters or fewer"),
        )
    }


def _reset_form(request: Request, language: PageLanguage, form: PageForm) -> HTMLResponse:
    return render_page(
        request,
        language,
        "reset.html",
        status_code=form.status,
        email=form.fields.get("email"),
        errors=form.errors,
        labels=form.labels,
    )


@page("/reset")
def reset_form(request: Request, viewer: Public) -> HTMLResponse:
    """Ask for a link to choose a new password."""
    language = page_language(request)
    return _reset_form(request, language, PageForm(FormFields(), _reset_texts(language.lang)))


@page("/reset", methods=("POST",))
def reset(
    request: Request, session: SessionDep, settings: SettingsDep, viewer: Public, fields: FieldsDep
) -> Response:
    """Email a single-use reset link if the address has an account; go on to /reset/sent
    either way."""
    language = page_language(request)
    form = PageForm(fields, _reset_texts(language.lang))
    email = users.normalise_email(fields.get("email"))
    if "@" not in email or len(email) > 320:
        form.refuse("email", form.texts["email"].invalid)
        return _reset_form(request, language, form)
    limits = request.app.state.rate_limits
    try:
        take_per_client_and_email(
            limits, limits.reset, "reset", client=client_of(request), email=email, what="resets"
        )
    except TooManyRequests as exc:
        form.refuse("email", too_many(language.lang), status=429)
        refused = _reset_form(request, language, form)
        refused.headers["Retry-After"] = str(exc.retry_after)
        return refused
    accounts.request_reset(
        session,
        email=email,
        key=settings.secret_key.get_secret_value(),
        base=site_url(settings, request),
    )
    session.commit()
    return RedirectResponse(localised("/reset/sent", language.lang), status_code=303)


@page("/reset/sent")
def reset_sent(request: Request, viewer: Public) -> HTMLResponse:
    """After asking for a reset: look for the email."""
    language = page_language(request)
    _ = translations(language.lang).gettext
    return message_page(
        request,
        language,
        _("Check your email"),
        _(
            "If the address you gave has an account, we have sent it a link to choose a new "
            "password. The link works once, for one hour."
        ),
        _("If no email comes within a few minutes, look in your spam or junk folder."),
    )


def _new_form(request: Request, language: PageLanguage, form: PageForm, token: str) -> HTMLResponse:
    return render_page(
        request,
        language,
        "reset_new.html",
        status_code=form.status,
        token=token,
        errors=form.errors,
        labels=form.labels,
    )


@page("/reset/new")
def new_password_form(
    request: Request, session: SessionDep, settings: SettingsDep, viewer: Public, token: str = ""
) -> HTMLResponse:
    """The form to choose a new password, reached by the emailed link."""
    language = page_language(request)
    token = token[:MAX_TOKEN]
    try:
        accounts.check_reset_link(session, key=settings.secret_key.get_secret_value(), token=token)
    except accounts.LinkNotValid:
        return link_not_valid(request, language)
    response = _new_form(
        request, language, PageForm(FormFields(), _new_texts(language.lang)), token
    )
    # It holds the link's secret and depends on whether the link is used yet: kept nowhere.
    response.headers["Cache-Control"] = "no-store"
    return response


@page("/reset/new", methods=("POST",))
def new_password(
    request: Request, session: SessionDep, settings: SettingsDep, viewer: Public, fields: FieldsDep
) -> Response:
    """Set the new password: signs every session of the account out, then signs in here."""
    language = page_language(request)
    form = PageForm(fields, _new_texts(language.lang))
    token, password = fields.get("token")[:MAX_TOKEN], fields.raw("password")
    key = settings.secret_key.get_secret_value()
    if len(password) < MIN_PASSWORD:
        form.refuse("password", form.texts["password"].invalid)
    elif len(password) > 1000:
        form.refuse("password", form.texts["password"].too_long)
    if not form.ok:
        return _new_form(request, language, form, token)
    try:
        user = accounts.reset_password(session, key=key, token=token, password=password)
    except accounts.LinkNotValid:
        return link_not_valid(request, language)
    except InvalidInput as exc:
        form.refused_by(exc)
        return _new_form(request, language, form, token)
    secret = users.start_session(session, user, key=key)
    session.commit()
    response = RedirectResponse(
        localised("/account", language.lang) + "?done=reset", status_code=303
    )
    set_session_cookie(request, response, settings, secret)
    return response
