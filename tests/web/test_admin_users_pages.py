"""The admin's user pages: only admins (as the API's Admin rule); adding a user with a role,
a patch and a password or a token shown once; changing a role or patch; revoking sign-ins.
Every change goes through app/services/users.py and its audit trail."""

import re
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import AuditEvent, Credential, User
from app.services import users
from tests.conftest import Patches

PASSWORD = "a long enough password"


def _sign_in(
    session: Session, client: TestClient, role: str, patch: list[str] | None = None
) -> int:
    email = f"{role}-{id(client)}@example.org"
    user = users.create_user(session, email=email, role=role, actor="test", password=PASSWORD,
                             patch=patch)  # fmt: skip
    session.commit()
    response = client.post("/sign-in", data={"email": email, "password": PASSWORD},
                           follow_redirects=False)  # fmt: skip
    assert response.status_code == 303
    return user.id


@pytest.fixture
def admin(client: TestClient, session: Session) -> TestClient:
    """The client, signed in as an admin."""
    _sign_in(session, client, "admin")
    return client


def _user(session: Session, email: str) -> User:
    session.expire_all()
    return session.scalars(select(User).where(User.email == email)).one()


def _new(**overrides: str) -> dict[str, str]:
    form = {"email": "Ceri@Example.org", "display_name": "Ceri Evans", "role": "connector",
            "patch": "", "password": ""}  # fmt: skip
    form.update(overrides)
    return form


# ---- who may use the pages ---------------------------------------------------------------------

PAGES = ["/admin/users", "/admin/users/new", "/admin/users/{id}", "/admin/users/{id}/revoke"]
FORMS = PAGES[1:]  # the list has no form of its own


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(
    client: TestClient, session: Session, path: str
) -> None:
    user = users.create_user(session, email="x@example.org", role="resident", actor="test")
    session.commit()
    path = path.format(id=user.id)
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/sign-in?next=")
    if path != "/admin/users":
        assert client.post(path, data={}).status_code == 401


@pytest.mark.parametrize("role", ["resident", "connector", "planner"])
def test_only_admins_may_use_them(client: TestClient, session: Session, role: str) -> None:
    me = _sign_in(session, client, role)
    for path in PAGES:
        assert client.get(path.format(id=me)).status_code == 403, path
    for path in FORMS:
        assert client.post(path.format(id=me), data=_new()).status_code == 403, path
    assert "/admin/users" not in client.get("/connector").text


def test_the_list_shows_roles_and_patches_and_never_a_secret(
    admin: TestClient, session: Session, patches: Patches
) -> None:
    users.create_user(session, email="con@example.org", role="connector", actor="test",
                      password="secret password 1", patch=[patches.west, patches.east])  # fmt: skip
    session.commit()
    hashes = list(session.scalars(select(User.password_hash)))
    secrets = list(session.scalars(select(Credential.secret_hash)))

    response = admin.get("/admin/users")

    html = unescape(response.text)
    assert response.status_code == 200
    row = re.search(r"<td class=\"email\">con@example.org</td>.*?</tr>", html, re.S)
    assert row is not None
    assert "Community connector" in row.group(0) and "X01000001, X01000002" in row.group(0)
    assert "secret password 1" not in html
    assert not any(h and h in html for h in hashes + secrets)
    assert 'aria-current="page">Users</a>' in response.text


def test_an_unknown_user_is_a_404(admin: TestClient) -> None:
    assert admin.get("/admin/users/999999").status_code == 404


# ---- adding a user ----------------------------------------------------------------------------


def test_an_admin_adds_a_connector_with_a_patch(
    admin: TestClient, session: Session, patches: Patches
) -> None:
    form = _new(patch=f"{patches.west}, {patches.east}", password="their first password")

    response = admin.post("/admin/users/new", data=form, follow_redirects=False)

    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/admin/users?done=created"
    user = _user(session, "ceri@example.org")
    assert user.role == "connector" and user.display_name == "Ceri Evans"
    assert users.viewer_of(user).patch is not None and len(user.patch) == 2
    assert users.authenticate(session, email="ceri@example.org", password="their first password")
    about_user = (AuditEvent.entity_type == "user", AuditEvent.entity_id == str(user.id))
    event = session.scalars(select(AuditEvent).where(*about_user)).one()
    assert event.action == "create" and event.actor.startswith("admin:")
    assert event.changes["patch"] == [None, "X01000001,X01000002"]
    assert "The user was added." in admin.get(response.headers["location"]).text


def test_an_api_token_is_shown_once_and_works(admin: TestClient, session: Session) -> None:
    response = admin.post("/admin/users/new", data={**_new(role="planner"), "token": "yes"})

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    token = re.search(r'id="token" class="token" value="(am_[^"]+)"', response.text)
    assert token is not None
    me = admin.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token.group(1)}"})
    assert me.status_code == 200 and me.json()["role"] == "planner"
    assert token.group(1) not in admin.get("/admin/users").text


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [({"email": "not an email"}, "email", "Enter an email address, like name@example.org"),
     ({"role": ""}, "role", "Choose a role"),
     ({"role": "superuser"}, "role", "Choose a role"),
     ({"patch": "W01 <b>"}, "patch", "Enter area codes like W01001234, separated by commas"),
     ({"patch": "X01000001, W09999999"}, "patch", "We do not know the area code W09999999"),
     ({"role": "planner", "patch": "X01000001"}, "patch",
      "Only community connectors have a patch: leave it empty for this role"),
     ({"password": "short"}, "password", "Use at least 10 characters, or leave it empty")],
)  # fmt: skip
def test_a_wrong_answer_is_named_beside_its_field(
    admin: TestClient,
    session: Session,
    patches: Patches,
    overrides: dict[str, str],
    field: str,
    message: str,
) -> None:
    response = admin.post("/admin/users/new", data=_new(**overrides))

    assert response.status_code == 422, response.text
    html = unescape(response.text)
    assert f'<a href="#{field}">' in html and message in html
    assert f'id="{field}-error"' in html
    assert 'value="Ceri@Example.org"' in html or field == "email"
    session.expire_all()
    assert session.scalar(select(User.id).where(User.email == "ceri@example.org")) is None


def test_a_known_email_is_a_409(admin: TestClient, session: Session) -> None:
    users.create_user(session, email="ceri@example.org", role="resident", actor="test")
    session.commit()
    response = admin.post("/admin/users/new", data=_new(role="planner"))
    assert response.status_code == 409
    assert "A user with this email address already exists" in response.text


# ---- changing and revoking ----------------------------------------------------------------------


def test_an_admin_changes_a_role_and_patch(
    admin: TestClient, session: Session, patches: Patches
) -> None:
    user = users.create_user(session, email="p@example.org", role="planner", actor="test")
    session.commit()
    page = admin.get(f"/admin/users/{user.id}").text
    assert 'value="planner" id="role-planner" checked' in page

    response = admin.post(f"/admin/users/{user.id}", data={"role": "connector",
                          "patch": patches.west}, follow_redirects=False)  # fmt: skip

    assert response.status_code == 303
    changed = _user(session, "p@example.org")
    assert changed.role == "connector" and len(changed.patch) == 1
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "set-role")).one()
    assert event.changes == {"role": ["planner", "connector"], "patch": ["all areas", "X01000001"]}
    assert f'value="{patches.west}"' in admin.get(f"/admin/users/{user.id}").text


def test_an_admin_cannot_demote_themselves(client: TestClient, session: Session) -> None:
    me = _sign_in(session, client, "admin")
    response = client.post(f"/admin/users/{me}", data={"role": "resident", "patch": ""})
    assert response.status_code == 422
    assert "You cannot take away your own admin role" in unescape(response.text)
    session.expire_all()
    assert session.get(User, me).role == "admin"  # type: ignore[union-attr]


def test_revoking_asks_first_then_ends_every_sign_in(
    admin: TestClient, session: Session, settings: object
) -> None:
    user = users.create_user(session, email="r@example.org", role="resident", actor="test")
    token = users.issue_token(
        session, user, key=admin.app.state.settings.secret_key.get_secret_value()
    )  # type: ignore[attr-defined]
    session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    assert admin.get("/api/v1/auth/me", headers=headers).status_code == 200

    confirm = admin.get(f"/admin/users/{user.id}/revoke")
    assert confirm.status_code == 200
    assert "Revoke every token and sign-in of r@example.org?" in unescape(confirm.text)
    assert admin.get("/api/v1/auth/me", headers=headers).status_code == 200  # nothing yet

    response = admin.post(f"/admin/users/{user.id}/revoke", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/admin/users?done=revoked"
    assert admin.get("/api/v1/auth/me", headers=headers).status_code == 401
    assert session.scalars(select(AuditEvent).where(AuditEvent.action == "revoke-tokens")).one()


def test_the_welsh_pages_are_in_welsh(admin: TestClient) -> None:
    html = unescape(admin.get("/cy/admin/users/new").text)
    assert '<html lang="cy">' in html
    assert re.findall(r"<h1>(.*?)</h1>", html) == ["Ychwanegu defnyddiwr"]
