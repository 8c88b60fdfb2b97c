"""A forgotten password: a single-use expiring link by email, the same answer for an unknown
address (and nothing sent), other sessions signed out, and rate limits."""

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.main import create_app
from app.services import accounts, users
from app.settings import Settings
from tests.accounts.conftest import PASSWORD, outbox, user_of

NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def resident(session: Session) -> Any:
    user = users.create_user(
        session, email="rhys@example.org", role="resident", actor="test", password=PASSWORD
    )
    session.commit()
    return user


def sign_in(client: TestClient, password: str = PASSWORD) -> int:
    credentials = {"email": "rhys@example.org", "password": password}
    return client.post("/api/v1/auth/session", json=credentials).status_code


def test_a_reset_link_sets_a_new_password_signs_in_and_ends_other_sessions(
    client: TestClient, session: Session, resident: Any
) -> None:
    elsewhere = TestClient(client.app)
    assert sign_in(elsewhere) == 200
    assert elsewhere.get("/api/v1/account").status_code == 200

    asked = client.post("/reset", data={"email": "Rhys@Example.org"}, follow_redirects=False)

    assert (asked.status_code, asked.headers["location"]) == (303, "/reset/sent")
    [mail] = outbox(session)
    assert mail.to == "rhys@example.org"
    link = mail.link("/reset/new")
    form = client.get(link)
    assert form.status_code == 200
    assert form.headers["cache-control"] == "no-store"  # it holds the link's secret
    token = link.partition("token=")[2]
    done = client.post(
        "/reset/new", data={"token": token, "password": NEW_PASSWORD}, follow_redirects=False
    )
    assert (done.status_code, done.headers["location"]) == (303, "/account?done=reset")
    assert client.get("/account").status_code == 200
    assert elsewhere.get("/api/v1/account").status_code == 401
    assert sign_in(TestClient(client.app), PASSWORD) == 401
    assert sign_in(TestClient(client.app), NEW_PASSWORD) == 200
    # Used once, the link is dead (for anyone: no copy of the form is kept).
    assert client.get(link).status_code == 422
    assert TestClient(client.app).get(link).status_code == 422
    again = client.post("/reset/new", data={"token": token, "password": "yet another one!"})
    assert again.status_code == 422


def test_an_unknown_address_gets_the_same_answer_and_nothing_is_sent(
    client: TestClient, session: Session, resident: Any
) -> None:
    known = client.post("/reset", data={"email": "rhys@example.org"}, follow_redirects=False)
    unknown = client.post("/reset", data={"email": "nobody@example.org"}, follow_redirects=False)
    api_known = client.post("/api/v1/account/password-reset", json={"email": "rhys@example.org"})
    api_unknown = client.post(
        "/api/v1/account/password-reset", json={"email": "nobody@example.org"}
    )

    assert (known.status_code, known.headers["location"], known.content) == (
        unknown.status_code,
        unknown.headers["location"],
        unknown.content,
    )
    assert (api_known.status_code, api_known.content) == (
        api_unknown.status_code,
        api_unknown.content,
    )
    assert [m.to for m in outbox(session)] == ["rhys@example.org", "rhys@example.org"]


def test_a_reset_link_expires(
    client: TestClient, session: Session, settings: Settings, resident: Any, monkeypatch: Any
) -> None:
    key = settings.secret_key.get_secret_value()
    token = accounts.link_token(key, resident, accounts.RESET, accounts.RESET_LIFETIME)
    later = time.time() + accounts.RESET_LIFETIME.total_seconds() + 5
    monkeypatch.setattr(accounts.time, "time", lambda: later)

    response = client.get("/reset/new", params={"token": token})

    assert response.status_code == 422


def test_a_confirm_link_is_no_reset_link(
    client: TestClient, session: Session, settings: Settings, resident: Any
) -> None:
    key = settings.secret_key.get_secret_value()
    token = accounts.link_token(key, resident, accounts.CONFIRM, accounts.CONFIRM_LIFETIME)

    assert client.get("/reset/new", params={"token": token}).status_code == 422


def test_a_reset_confirms_an_unconfirmed_address(
    client: TestClient, session: Session, settings: Settings
) -> None:
    client.post("/api/v1/account", json={"email": "late@example.org", "password": PASSWORD})
    client.post("/reset", data={"email": "late@example.org"})
    link = outbox(session)[-1].link("/reset/new")

    client.post("/reset/new", data={"token": link.partition("token=")[2], "password": NEW_PASSWORD})

    user = user_of(session, "late@example.org")
    assert user is not None and user.email_confirmed_at is not None


def test_a_short_new_password_is_refused_on_its_field(
    client: TestClient, session: Session, resident: Any
) -> None:
    client.post("/reset", data={"email": "rhys@example.org"})
    token = outbox(session)[0].link("/reset/new").partition("token=")[2]

    response = client.post("/reset/new", data={"token": token, "password": "short"})

    assert response.status_code == 422
    assert "Use at least 10 characters" in response.text
    assert sign_in(client) == 200  # unchanged


def test_resets_are_rate_limited_known_or_not(settings: Settings, session: Session) -> None:
    limited = settings.model_copy(update={"reset_limit": "1/hour"})
    with TestClient(create_app(limited)) as client:
        first = client.post("/api/v1/account/password-reset", json={"email": "a@example.org"})
        second = client.post("/api/v1/account/password-reset", json={"email": "b@example.org"})
        page = client.post("/cy/reset", data={"email": "c@example.org"})
    assert first.status_code == 202
    assert second.status_code == 429
    assert "too many password resets" in second.json()["detail"]
    assert page.status_code == 429
    assert "Gormod o ymdrechion" in page.text


def test_the_sign_in_page_links_to_reset_and_sign_up(client: TestClient) -> None:
    page = client.get("/sign-in").text
    welsh = client.get("/cy/sign-in").text

    assert 'href="/reset"' in page and 'href="/sign-up"' in page
    assert 'href="/cy/reset"' in welsh and "Wedi anghofio eich cyfrinair?" in welsh
