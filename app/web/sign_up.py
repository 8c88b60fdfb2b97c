"""Signing up and confirming the email address: /sign-up, /sign-up/sent and /confirm.

A sign-up is answered the same whether or not the address has an account (a 303 to
/sign-up/sent); what differs is only the email that goes to the address. The confirm link
confirms the address and signs its owner in.
"""

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.errors import InvalidInput, TooManyRequests
from app.http.access import Public, set_session_cookie
from app.http.account_mail import client_of
from app.http.deps import SessionDep, SettingsDep
from app.http.rate_limits import take_per_client_and_email
from app.i18n import translations
from app.schemas.accounts import AccountCreate
from app.schemas.users import MIN_PASSWORD
from app.services import accounts, users
from app.services.mail.messages import site_url
from app.web.forms import FieldsDep, FieldText, FormFields, PageForm
from app.web.language import PageLanguage, localised, page_language
from app.web.routing import PageRouter
from app.web.templating import render_page

router = PageRouter()
page = router.page


def sign_up_texts(lang: str) -> dict[str, FieldText]:
    """The sign-up form's fields: labels and what to say when one is refused."""
    _ = translations(lang).gettext
    return {
        "email": FieldText(
            _("Email address"),
            _("Enter an email address, like name@example.org"),
            _("Use 320 characters or fewer"),
        ),
        "password": FieldText(
            _("Password"),
            _("Use at least %(num)d characters") % {"num": MIN_PASSWORD},
            _("Use 1,000 characters or fewer"),
        ),
        "display_name": FieldText(
            _("Your name (optional)"),
            _("Use 200 characters or fewer"),
            _("Use 200 characters or fewer"),
        ),
        "language": FieldText(_("Emails in"), _("Choose English or Welsh")),
    }


def too_many(lang: str) -> str:
    """What a form says over a rate limit."""
    _ = translations(lang).gettext
    return _("Too many tries from here or for this address. Wait an hour, then try again.")


def message_page(
    request: Request, language: PageLanguage, heading: str, *paragraphs: str, status: int = 200
) -> HTMLResponse:
    """A page that only says something (check your email, a link that no longer works)."""
    return render_page(
        request,
        language,
        "account_message.html",
        status_code=status,
        heading=heading,
        paragraphs=paragraphs,
    )


def _form(request: Request, language: PageLanguage, form: PageForm) -> HTMLResponse:
    return render_page(
        request,
        language,
        "sign_up.html",
        status_code=form.status,
        values={
            "email": form.fields.get("email"),
            "display_name": form.fields.get("display_name"),
            "language": form.fields.get("language") or language.lang,
        },
        errors=form.errors,
        labels=form.labels,
        min_password=MIN_PASSWORD,
    )


@page("/sign-up")
def sign_up_form(request: Request, viewer: Public) -> HTMLResponse:
    """The sign-up form: email address, password, an optional name, the language of emails."""
    language = page_language(request)
    return _form(request, language, PageForm(FormFields(), sign_up_texts(language.lang)))


@page("/sign-up", methods=("POST",))
def sign_up(
    request: Request, session: SessionDep, settings: SettingsDep, viewer: Public, fields: FieldsDep
) -> Response:
    """Sign up: emails a confirmation link (or, to an address with an account, a note that
    someone tried) and goes on to /sign-up/sent, the same either way."""
    language = page_language(request)
    form = PageForm(fields, sign_up_texts(language.lang))
    body = {
        "email": fields.get("email"),
        "password": fields.raw("password"),
        "display_name": fields.get("display_name") or None,
        "language": fields.get("language") or language.lang,
    }
    data = form.validate(AccountCreate, body)
    if data is None:
        return _form(request, language, form)
    email = users.normalise_email(str(data.email))
    limits = request.app.state.rate_limits
    try:
        take_per_client_and_email(
            limits,
            limits.sign_up,
            "sign-up",
            client=client_of(request),
            email=email,
            what="sign-ups",
        )
    except TooManyRequests as exc:
        form.refuse("email", too_many(language.lang), status=429)
        refused = _form(request, language, form)
        refused.headers["Retry-After"] = str(exc.retry_after)
        return refused
    details = accounts.SignUp(email, data.password, data.display_name, data.language)
    try:
        accounts.sign_up(
            session,
            details,
            key=settings.secret_key.get_secret_value(),
            base=site_url(settings, request),
        )
    except InvalidInput as exc:
        form.refused_by(exc)
        return _form(request, language, form)
    session.commit()
    return RedirectResponse(localised("/sign-up/sent", language.lang), status_code=303)


@page("/sign-up/sent")
def sign_up_sent(request: Request, viewer: Public) -> HTMLResponse:
    """After signing up: look for the confirmation email."""
    language = page_language(request)
    _ = translations(language.lang).gettext
    return message_page(
        request,
        language,
        _("Check your email"),
        _(
            "We have sent an email to the address you gave. Open the link in it to confirm your "
            "address; then your account is ready."
        ),
        _(
            "The link works for 48 hours. If no email comes within a few minutes, look in your "
            "spam or junk folder, or sign in with your new password to have it sent again."
        ),
    )


def link_not_valid(request: Request, language: PageLanguage) -> HTMLResponse:
    """The page for an emailed link that expired or was used already (422)."""
    _ = translations(language.lang).gettext
    return message_page(
        request,
        language,
        _("This link no longer works"),
        _(
            "It has expired, or it was used already. If you confirmed your email address, sign "
            "in. If you need a new link, sign in with your password and we will send one, or ask "
            "for a password reset."
        ),
        status=422,
    )


@page("/confirm")
def confirm(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    viewer: Public,
    token: str = "",
) -> Response:
    """Confirm an email address by the emailed link, and sign in; the link works once."""
    language = page_language(request)
    key = settings.secret_key.get_secret_value()
    try:
        user = accounts.confirm_email(session, key=key, token=token[:2000])
    except accounts.LinkNotValid:
        return link_not_valid(request, language)
    secret = users.start_session(session, user, key=key)
    session.commit()
    response = RedirectResponse(
        localised("/account", language.lang) + "?done=confirmed", status_code=303
    )
    set_session_cookie(request, response, settings, secret)
    return response
