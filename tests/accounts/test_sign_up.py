"""Signing up: an unconfirmed resident account, a confirmation link by email that signs in and
works once, the same answer for a known address, and rate limits."""

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.main import create_app
from app.services import users
from app.settings import Settings
from tests.accounts.conftest import PASSWORD, outbox, user_of


def test_sign_up_makes_an_unconfirmed_resident_and_emails_a_confirmation_link(
    client: TestClient, session: Session, sign_up: Callable[..., Any]
) -> None:
    response = sign_up("Newcomer@Example.org", display_name="Siân")

    assert response.status_code == 303
    assert response.headers["location"] == "/sign-up/sent"
    user = user_of(session, "newcomer@example.org")
    assert user is not None
    assert (user.role, user.display_name, user.language) == ("resident", "Siân", "en")
    assert user.email_confirmed_at is None
    assert user.password_hash and PASSWORD not in user.password_hash
    [mail] = outbox(session)
    assert mail.to == "newcomer@example.org"
    assert "Confirm your email address" in mail.subject
    assert mail.link("/confirm").startswith("/confirm?token=")
    assert client.get("/sign-up/sent").status_code == 200


def test_the_confirmation_link_confirms_signs_in_and_works_once(
    client: TestClient, session: Session, sign_up: Callable[..., Any]
) -> None:
    sign_up("newcomer@example.org")
    link = outbox(session)[0].link("/confirm")

    confirmed = client.get(link, follow_redirects=False)

    assert confirmed.status_code == 303
    assert confirmed.headers["location"] == "/account?done=confirmed"
    account = client.get("/account")
    assert account.status_code == 200
    assert "newcomer@example.org" in account.text
    assert user_of(session, "newcomer@example.org").email_confirmed_at is not None  # type: ignore[union-attr]
    again = TestClient(client.app).get(link, follow_redirects=False)
    assert again.status_code == 422
    assert "This link no longer works" in again.text


def test_a_forged_or_mangled_link_is_refused(
    client: TestClient, session: Session, sign_up: Callable[..., Any]
) -> None:
    sign_up("newcomer@example.org")
    link = outbox(session)[0].link("/confirm")
    body, _, signature = link.partition("=")[2].partition(".")

    for token in ("", "nonsense", f"{body}.{signature[:-2]}AA", f"{body}x.{signature}"):
        assert client.get("/confirm", params={"token": token}).status_code == 422
    assert user_of(session, "newcomer@example.org").email_confirmed_at is None  # type: ignore[union-attr]


def test_a_confirmation_link_dies_when_the_email_address_changes(
    client: TestClient, session: Session, sign_up: Callable[..., Any]
) -> None:
    sign_up("newcomer@example.org")
    link = outbox(session)[0].link("/confirm")
    user = user_of(session, "newcomer@example.org")
    assert user is not None
    user.email = "other@example.org"
    session.commit()

    assert client.get(link).status_code == 422


def test_a_welsh_sign_up_gets_a_welsh_email_with_a_welsh_link(
    client: TestClient, session: Session, sign_up: Callable[..., Any]
) -> None:
    response = sign_up("newydd@example.org", path="/cy/sign-up", language="cy")

    assert response.headers["location"] == "/cy/sign-up/sent"
    assert user_of(session, "newydd@example.org").language == "cy"  # type: ignore[union-attr]
    [mail] = outbox(session)
    assert "Cadarnhewch" in mail.subject
    assert "/cy/confirm?token=" in mail.body
    assert client.get("/cy/sign-up").status_code == 200


def test_signing_up_with_a_known_address_answers_the_same_and_emails_the_owner(
    client: TestClient, session: Session, settings: Settings, sign_up: Callable[..., Any]
) -> None:
    users.create_user(
        session, email="known@example.org", role="connector", actor="test", password=PASSWORD
    )
    session.commit()

    known = sign_up("known@example.org", password="another password")
    new = sign_up("unknown@example.org", password="another password")

    assert (known.status_code, known.headers["location"], known.content) == (
        new.status_code,
        new.headers["location"],
        new.content,
    )
    first, second = outbox(session)
    assert first.to == "known@example.org"
    assert "Someone tried to sign up" in first.subject
    assert first.link("/reset") and first.link("/sign-in")
    assert "token" not in first.body
    assert second.to == "unknown@example.org"
    owner = user_of(session, "known@example.org")
    assert owner is not None and owner.role == "connector"
    assert users.authenticate_user(owner, PASSWORD)  # the password did not change


def test_the_api_answers_a_known_and_a_new_address_alike(
    client: TestClient, session: Session
) -> None:
    body = {"email": "api@example.org", "password": PASSWORD, "language": "cy"}
    first = client.post("/api/v1/account", json=body)
    second = client.post("/api/v1/account", json=body)

    assert first.status_code == second.status_code == 202
    assert first.content == second.content
    mails = outbox(session)
    assert [m.to for m in mails] == ["api@example.org", "api@example.org"]
    assert "/cy/confirm?token=" in mails[0].body
    assert "/cy/reset" in mails[1].body  # the owner is told, in their language


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-address", "password": PASSWORD}, "email"),
        ({"email": "a@example.org", "password": "short"}, "password"),
        ({"email": "a@example.org", "password": PASSWORD, "language": "fr"}, "language"),
        ({"email": "a@example.org", "password": PASSWORD, "role": "admin"}, "role"),
    ],
)
def test_bad_sign_ups_name_the_field_and_write_nothing(
    client: TestClient, session: Session, body: dict[str, Any], field: str
) -> None:
    response = client.post("/api/v1/account", json=body)

    assert response.status_code == 422
    assert [e["loc"][-1] for e in response.json()["detail"]] == [field]
    assert outbox(session) == []
    assert user_of(session, "a@example.org") is None


def test_the_sign_up_page_shows_each_refused_field(
    client: TestClient, session: Session, sign_up: Callable[..., Any]
) -> None:
    response = sign_up("nope", password="short")

    assert response.status_code == 422
    assert "Enter an email address, like name@example.org" in response.text
    assert "Use at least 10 characters" in response.text
    assert outbox(session) == []


def test_sign_ups_are_rate_limited_per_email_address_and_per_client(
    settings: Settings, session: Session
) -> None:
    limited = settings.model_copy(update={"sign_up_limit": "2/hour"})
    with TestClient(create_app(limited)) as client:
        for n in range(2):
            body = {"email": "same@example.org", "password": PASSWORD}
            assert client.post("/api/v1/account", json=body).status_code == 202, n
        refused = client.post(
            "/api/v1/account", json={"email": "same@example.org", "password": PASSWORD}
        )
        assert refused.status_code == 429
        assert "too many sign-ups" in refused.json()["detail"]
        assert int(refused.headers["Retry-After"]) > 0
        # Another address from the same client: the client's budget is used up too.
        page = client.post(
            "/sign-up",
            data={"email": "other@example.org", "password": PASSWORD},
            follow_redirects=False,
        )
        assert page.status_code == 429
        assert "Too many tries" in page.text
    assert len(outbox(session)) == 2


def test_signing_in_before_confirming_is_refused_and_sends_the_link_again(
    client: TestClient, session: Session, sign_up: Callable[..., Any]
) -> None:
    sign_up("early@example.org")

    page = client.post(
        "/sign-in",
        data={"email": "early@example.org", "password": PASSWORD},
        follow_redirects=False,
    )
    api = client.post(
        "/api/v1/auth/session", json={"email": "early@example.org", "password": PASSWORD}
    )

    assert page.status_code == 403
    assert "Confirm your email address first" in page.text
    assert api.status_code == 403
    assert "confirm your email address first" in api.json()["detail"]
    assert "assetmap_session" not in client.cookies
    mails = outbox(session)
    assert len(mails) == 3
    # Every link sent works until one is used.
    assert client.get(mails[-1].link("/confirm"), follow_redirects=False).status_code == 303


def test_a_wrong_password_for_an_unconfirmed_account_sends_nothing(
    client: TestClient, session: Session, sign_up: Callable[..., Any]
) -> None:
    sign_up("early@example.org")
    response = client.post(
        "/sign-in", data={"email": "early@example.org", "password": "wrong password"}
    )

    assert response.status_code == 422
    assert len(outbox(session)) == 1


def test_resending_the_link_is_rate_limited(settings: Settings, session: Session) -> None:
    limited = settings.model_copy(update={"confirm_resend_limit": "1/hour"})
    with TestClient(create_app(limited)) as client:
        client.post("/api/v1/account", json={"email": "early@example.org", "password": PASSWORD})
        credentials = {"email": "early@example.org", "password": PASSWORD}
        assert client.post("/api/v1/auth/session", json=credentials).status_code == 403
        again = client.post("/api/v1/auth/session", json=credentials)
        page = client.post("/sign-in", data=credentials)
    assert again.status_code == 429
    assert "too many confirmation emails" in again.json()["detail"]
    assert page.status_code == 429
    assert "sent the link several times" in page.text
    assert len(outbox(session)) == 2


def test_an_unconfirmed_account_changes_nothing_public(
    client: TestClient, session: Session, settings: Settings, sign_up: Callable[..., Any]
) -> None:
    sign_up("early@example.org")
    user = user_of(session, "early@example.org")
    assert user is not None
    # Even a credential made for it some other way does not work until it is confirmed.
    token = users.issue_token(session, user, key=settings.secret_key.get_secret_value())
    session.commit()
    headers = {"Authorization": f"Bearer {token}"}

    assert client.get("/api/v1/account", headers=headers).status_code == 401
    suggestion = {
        "kind": "group",
        "name_en": "Unconfirmed club",
        "themes": ["food"],
        "location": {"type": "Point", "coordinates": [-3.1566, 51.4812]},
    }
    assert client.post("/api/v1/suggestions", json=suggestion, headers=headers).status_code == 401
