"""The admin's user pages: who can sign in, with which role and patch; add a user, change a
role or patch, revoke a user's sign-ins. They do what `assetmap users` does, through the same
service (app/services/users.py) and audit trail, for admins only (the API's Admin rule).

A password or token is never shown once stored: a new user's API token is shown on the page
that answers the form, that once, and is not kept.
"""

import re
from typing import Annotated, Any

from fastapi import Path, Request
from fastapi.responses import HTMLResponse, Response

from app.errors import Conflict, InvalidInput
from app.http.access import Admin
from app.http.deps import MAX_ID, SessionDep, SettingsDep
from app.i18n import translations
from app.schemas.users import MIN_PASSWORD, UserChange, UserCreate
from app.services import users
from app.services.assets.visibility import Viewer
from app.web.forms import FieldsDep, FieldText, FormFields, PageForm
from app.web.language import page_language
from app.web.routing import PageRouter, see_other
from app.web.templating import render_page

router = PageRouter()
page = router.page
UserId = Annotated[int, Path(ge=1, le=MAX_ID)]
# Area codes may be separated by commas, semicolons, spaces or new lines.
SEPARATORS = re.compile(r"[\s,;]+")


def role_labels(lang: str) -> dict[str, tuple[str, str]]:
    """Each role's name, and what it may do."""
    _ = translations(lang).gettext
    return {
        "resident": (_("Resident"), _("Suggests and reports assets, asks for introductions")),
        "connector": (
            _("Community connector"),
            _("Looks after the assets and people of a patch"),
        ),
        "planner": (_("Planner"), _("Sees needs beside assets, and people only as counts")),
        "admin": (_("Admin"), _("Everything, including users")),
    }


def _texts(lang: str) -> dict[str, FieldText]:
    _ = translations(lang).gettext
    return {
        "email": FieldText(_("Email address"), _("Enter an email address, like name@example.org")),
        "display_name": FieldText(_("Name (optional)"), _("Use 200 characters or fewer")),
        "role": FieldText(_("Role"), _("Choose a role")),
        "patch": FieldText(
            _("Patch (connectors only)"),
            _("Enter area codes like W01001234, separated by commas"),
        ),
        "password": FieldText(
            _("Password for signing in (optional)"),
            _("Use at least %(num)d characters, or leave it empty") % {"num": MIN_PASSWORD},
        ),
    }


def _notice(lang: str, done: str | None) -> str | None:
    _ = translations(lang).gettext
    return {
        "created": _("The user was added."),
        "changed": _("The user's role and patch were saved."),
        "revoked": _("The user's API tokens and sign-ins were revoked."),
    }.get(done or "")


def _codes(text: str) -> list[str] | None:
    codes = [code for code in SEPARATORS.split(text) if code]
    return codes or None


def _refuse(form: PageForm, error: Exception, lang: str, codes: list[str] | None) -> None:
    """Put the service's refusal on its field: a known email (409), an unknown area code or a
    patch for someone who is not a connector (422)."""
    _ = translations(lang).gettext
    if isinstance(error, Conflict):
        form.refuse("email", _("A user with this email address already exists"), status=409)
    elif isinstance(error, InvalidInput) and error.loc[:1] == ("patch",):
        index = error.loc[1] if len(error.loc) > 1 else None
        if isinstance(index, int) and codes is not None and index < len(codes):
            message = _("We do not know the area code %(code)s") % {"code": codes[index]}
        else:
            message = _("Only community connectors have a patch: leave it empty for this role")
        form.refuse("patch", message)
    else:
        form.refused_by(error)


# ---- the list -----------------------------------------------------------------------------------


@page("/admin/users")
def user_list(
    request: Request, session: SessionDep, viewer: Admin, done: str | None = None
) -> HTMLResponse:
    """Every user with their role, patch and live sign-ins."""
    language = page_language(request)
    return render_page(
        request,
        language,
        "admin_users.html",
        viewer=viewer,
        people=users.user_summaries(session),
        roles=role_labels(language.lang),
        notice=_notice(language.lang, done),
    )


# ---- adding a user ------------------------------------------------------------------------------


def _new_user_page(request: Request, viewer: Viewer, form: PageForm) -> HTMLResponse:
    language = page_language(request)
    return render_page(
        request,
        language,
        "admin_user_form.html",
        status_code=form.status,
        viewer=viewer,
        creating=True,
        user=None,
        values=form.values,
        errors=form.errors,
        labels=form.labels,
        roles=role_labels(language.lang),
    )


@page("/admin/users/new")
def new_user_form(request: Request, viewer: Admin) -> HTMLResponse:
    """An empty form to add a user."""
    lang = page_language(request).lang
    form = PageForm(FormFields(), _texts(lang), values={"role": "connector"})
    return _new_user_page(request, viewer, form)


@page("/admin/users/new", methods=("POST",))
def add_user(
    request: Request, session: SessionDep, settings: SettingsDep, viewer: Admin, fields: FieldsDep
) -> Response:
    """Add a user; with an API token asked for, show it this once."""
    lang = page_language(request).lang
    codes = _codes(fields.get("patch"))
    values: dict[str, Any] = {
        "email": fields.get("email"),
        "display_name": fields.get("display_name"),
        "role": fields.get("role"),
        "patch": fields.get("patch"),
        "token": "token" in fields,
    }
    form = PageForm(fields, _texts(lang), values=values)
    password = fields.raw("password")
    body = {**values, "patch": codes, "password": password or None}
    data = form.validate(UserCreate, {k: v for k, v in body.items() if v not in ("", None)})
    if data is None:
        return _new_user_page(request, viewer, form)
    try:
        made = users.create_account(
            session,
            data=data,
            actor=viewer.actor or "admin",
            key=settings.secret_key.get_secret_value(),
        )
    except (InvalidInput, Conflict) as exc:
        session.rollback()
        _refuse(form, exc, lang, codes)
        return _new_user_page(request, viewer, form)
    session.commit()
    if made.token is None:
        return see_other("/admin/users", lang, "created")
    response = render_page(
        request,
        page_language(request),
        "admin_user_created.html",
        viewer=viewer,
        email=made.user.email,
        token=made.token,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


# ---- changing a user ----------------------------------------------------------------------------


def _user_page(
    request: Request, session: SessionDep, viewer: Viewer, user_id: int, form: PageForm
) -> HTMLResponse:
    language = page_language(request)
    return render_page(
        request,
        language,
        "admin_user_form.html",
        status_code=form.status,
        viewer=viewer,
        creating=False,
        user=users.user_summary(session, user_id),
        values=form.values,
        errors=form.errors,
        labels=form.labels,
        roles=role_labels(language.lang),
    )


@page("/admin/users/{user_id}")
def user_form(
    request: Request, session: SessionDep, viewer: Admin, user_id: UserId
) -> HTMLResponse:
    """A user's role and patch, to change; and a way to revoke their sign-ins."""
    found = users.user_summary(session, user_id)
    values = {"role": found.role, "patch": ", ".join(found.patch or ())}
    form = PageForm(FormFields(), _texts(page_language(request).lang), values=values)
    return _user_page(request, session, viewer, user_id, form)


@page("/admin/users/{user_id}", methods=("POST",))
def change_user(
    request: Request, session: SessionDep, viewer: Admin, user_id: UserId, fields: FieldsDep
) -> Response:
    """Change a user's role and patch (their sign-ins keep working, with the new role)."""
    lang = page_language(request).lang
    _ = translations(lang).gettext
    codes = _codes(fields.get("patch"))
    role = fields.get("role")
    form = PageForm(fields, _texts(lang), values={"role": role, "patch": fields.get("patch")})
    if user_id == viewer.user_id and role != "admin":
        form.refuse("role", _("You cannot take away your own admin role: ask another admin"))
    data = form.validate(UserChange, {"role": role, "patch": codes})
    if data is None:
        return _user_page(request, session, viewer, user_id, form)
    try:
        users.change_role(
            session,
            user_id=user_id,
            role=data.role,
            actor=viewer.actor or "admin",
            patch=data.patch,
        )
    except InvalidInput as exc:
        session.rollback()
        _refuse(form, exc, lang, codes)
        return _user_page(request, session, viewer, user_id, form)
    session.commit()
    return see_other("/admin/users", lang, "changed")


# ---- revoking sign-ins --------------------------------------------------------------------------


@page("/admin/users/{user_id}/revoke")
def revoke_form(
    request: Request, session: SessionDep, viewer: Admin, user_id: UserId
) -> HTMLResponse:
    """Ask before revoking every API token and sign-in of a user."""
    return render_page(
        request,
        page_language(request),
        "admin_user_revoke.html",
        viewer=viewer,
        user=users.user_summary(session, user_id),
        yourself=user_id == viewer.user_id,
    )


@page("/admin/users/{user_id}/revoke", methods=("POST",))
def revoke(request: Request, session: SessionDep, viewer: Admin, user_id: UserId) -> Response:
    """Revoke every API token and sign-in of a user (they sign in again with their password)."""
    users.revoke_user_tokens(session, user_id=user_id, actor=viewer.actor or "admin")
    session.commit()
    return see_other("/admin/users", page_language(request).lang, "revoked")
