"""My account: see and change one's name, email language, password and (connectors, planners,
admins) digest; download everything held about oneself (JSON); delete the account."""

from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from app.errors import Conflict, InvalidInput, TooManyRequests
from app.http.access import SESSION_COOKIE, SignedIn
from app.http.deps import SessionDep, SettingsDep
from app.i18n import translations
from app.models import User
from app.schemas.accounts import AccountChange
from app.schemas.users import MIN_PASSWORD
from app.services import account_data, accounts
from app.services.assets.visibility import Viewer
from app.services.people import erasure
from app.web.forms import FieldsDep, FieldText, FormFields, PageForm
from app.web.language import PageLanguage, page_language
from app.web.routing import PageRouter, see_other
from app.web.sign_up import message_page
from app.web.templating import render_page

router = PageRouter()
page = router.page


def _texts(lang: str) -> dict[str, FieldText]:
    _ = translations(lang).gettext
    too_long = _("Use 200 characters or fewer")
    return {
        "display_name": FieldText(_("Your name (optional)"), too_long, too_long),
        "language": FieldText(_("Emails in"), _("Choose English or Welsh")),
        "digest": FieldText(_("Email about new work in your patch"), _("Choose how often")),
        "current_password": FieldText(_("Current password"), _("Enter your current password")),
        "new_password": FieldText(
            _("New password"),
            _("Use at least %(num)d characters") % {"num": MIN_PASSWORD},
            _("Use 1,000 characters or fewer"),
        ),
        "delete_password": FieldText(_("Your password"), _("Enter your password")),
    }


def _notice(lang: str, done: str | None) -> str | None:
    _ = translations(lang).gettext
    return {
        "confirmed": _("Your email address is confirmed. Welcome!"),
        "reset": _("Your new password is set. You are signed in; other sign-ins were ended."),
        "saved": _("Your details were saved."),
        "password": _("Your password was changed. Other sign-ins were ended."),
    }.get(done or "")


def _page(
    request: Request,
    language: PageLanguage,
    viewer: Viewer,
    user: User,
    form: PageForm,
    *,
    notice: str | None = None,
) -> HTMLResponse:
    values = {
        "display_name": user.display_name or "",
        "language": user.language,
        "digest": user.digest,
        **form.values,
    }
    return render_page(
        request,
        language,
        "account.html",
        status_code=form.status,
        viewer=viewer,
        user=user,
        values=values,
        gets_digest=accounts.gets_digest(user),
        errors=form.errors,
        labels=form.labels,
        notice=notice,
    )


@page("/account")
def account_page(
    request: Request, session: SessionDep, viewer: SignedIn, done: str | None = None
) -> HTMLResponse:
    """Your account: your details, password, download and deletion."""
    language = page_language(request)
    user = accounts.own_account(session, viewer)
    form = PageForm(FormFields(), _texts(language.lang))
    return _page(request, language, viewer, user, form, notice=_notice(language.lang, done))


@page("/account", methods=("POST",))
def change_details(
    request: Request, session: SessionDep, viewer: SignedIn, fields: FieldsDep
) -> Response:
    """Save your name, the language of your emails and (if you get one) your digest."""
    language = page_language(request)
    user = accounts.own_account(session, viewer)
    body: dict[str, Any] = {
        "display_name": fields.get("display_name") or None,
        "language": fields.get("language"),
        "digest": (fields.get("digest") or None) if accounts.gets_digest(user) else None,
    }
    form = PageForm(fields, _texts(language.lang), values=dict(body))
    data = form.validate(AccountChange, body)
    if data is None:
        return _page(request, language, viewer, user, form)
    try:
        accounts.change_details(
            session, user, accounts.Details(data.display_name, data.language, data.digest)
        )
    except InvalidInput as exc:
        form.refused_by(exc)
        return _page(request, language, viewer, user, form)
    session.commit()
    return see_other("/account", language.lang, "saved")


def _check_password(
    request: Request, form: PageForm, user: User, name: str, password: str, wrong: str
) -> None:
    """Refuse field `name` unless `password` is the user's. Wrong ones count as failed
    sign-ins of the account: beyond the limit every try is refused (429)."""
    _ = translations(page_language(request).lang).gettext
    limits = request.app.state.rate_limits
    key = ("sign-in", "email", user.email)
    try:
        limits.check(limits.sign_in, *key, what="failed sign-ins")
    except TooManyRequests:
        message = _("Too many failed attempts. Wait a few minutes, then try again.")
        form.refuse(name, message, status=429)
        return
    if not accounts.check_password(user, password):
        limits.count(limits.sign_in, *key)
        form.refuse(name, wrong)


@page("/account/password", methods=("POST",))
def change_password(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    viewer: SignedIn,
    fields: FieldsDep,
) -> Response:
    """Change your password (your current one first); your other sign-ins are ended."""
    language = page_language(request)
    _ = translations(language.lang).gettext
    user = accounts.own_account(session, viewer)
    form = PageForm(fields, _texts(language.lang))
    current, new = fields.raw("current_password"), fields.raw("new_password")
    if not current:
        form.refuse("current_password", form.texts["current_password"].invalid)
    if len(new) < MIN_PASSWORD:
        form.refuse("new_password", form.texts["new_password"].invalid)
    elif len(new) > 1000:
        form.refuse("new_password", form.texts["new_password"].too_long)
    if form.ok:
        wrong = _("That is not your current password")
        _check_password(request, form, user, "current_password", current, wrong)
    if not form.ok:
        return _page(request, language, viewer, user, form)
    accounts.change_password(
        session,
        user,
        current=current,
        new=new,
        key=settings.secret_key.get_secret_value(),
        keep=request.cookies.get(SESSION_COOKIE),
    )
    session.commit()
    return see_other("/account", language.lang, "password")


@page("/account/download")
def download(session: SessionDep, viewer: SignedIn) -> Response:
    """Everything held about you, as one JSON file."""
    user = accounts.own_account(session, viewer)
    document = account_data.export_account(session, user)
    return Response(
        orjson.dumps(document, option=orjson.OPT_INDENT_2),
        media_type="application/json",
        headers={
            "Content-Disposition": 'attachment; filename="assetmap-my-account.json"',
            "Cache-Control": "no-store",
        },
    )


@page("/account/delete", methods=("POST",))
def delete(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    viewer: SignedIn,
    fields: FieldsDep,
) -> Response:
    """Delete your account (your password first): your uses, supports and offers go; what you
    suggested stays, without your name."""
    language = page_language(request)
    _ = translations(language.lang).gettext
    user = accounts.own_account(session, viewer)
    form = PageForm(fields, _texts(language.lang))
    password = fields.raw("delete_password")
    if not password:
        form.refuse("delete_password", form.texts["delete_password"].invalid)
    else:
        wrong = _("That is not your password")
        _check_password(request, form, user, "delete_password", password, wrong)
    if not form.ok:
        return _page(request, language, viewer, user, form)
    try:
        account_data.delete_account(session, user, ledger=erasure.ledger_path(settings))
    except Conflict:
        form.refuse(
            "delete_password",
            _("You are the only admin: make someone else an admin first"),
            status=409,
        )
        return _page(request, language, viewer, user, form)
    session.commit()
    response = message_page(
        request,
        language,
        _("Your account is deleted"),
        _(
            "Everything that was yours alone is gone: your details, what you use, what you "
            "supported and the help you offered. What you suggested for the map stays, without "
            "your name."
        ),
    )
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
