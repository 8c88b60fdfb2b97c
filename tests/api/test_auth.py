"""Signing in to the pages: session cookies, sign-out, failed sign-ins rate limited."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.main import create_app
from app.services import users
from app.settings import Settings

PASSWORD = "a long enough password"


@pytest.fixture
def resident(session: Session) -> str:
    users.create_user(
        session, email="res@example.org", role="resident", actor="test", password=PASSWORD
    )
    session.commit()
    return "res@example.org"


def _sign_in(client: TestClient, email: str, password: str = PASSWORD) -> Any:
    return client.post("/api/v1/auth/session", json={"email": email, "password": password})


def test_sign_in_sets_an_httponly_samesite_cookie_that_identifies_the_user(
    client: TestClient, resident: str
) -> None:
    response = _sign_in(client, "RES@example.org ")

    assert response.status_code == 200, response.text
    cookie = response.headers["set-cookie"]
    assert "assetmap_session=am_" in cookie
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    assert response.json()["role"] == "resident"
    assert client.get("/api/v1/auth/me").json()["role"] == "resident"


def test_the_cookie_is_secure_over_https(settings: Settings, resident: str) -> None:
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        response = _sign_in(client, resident)
    assert "Secure" in response.headers["set-cookie"]


def test_sign_out_ends_the_session_everywhere(client: TestClient, resident: str) -> None:
    _sign_in(client, resident)
    cookie = client.cookies.get("assetmap_session")

    assert client.delete("/api/v1/auth/session").status_code == 204

    assert client.get("/api/v1/auth/me").json()["role"] == "anonymous"
    client.cookies.set("assetmap_session", cookie)
    assert client.get("/api/v1/auth/me").json()["role"] == "anonymous"


@pytest.mark.parametrize(
    ("email", "password"), [("res@example.org", "wrong password!"), ("nobody@x.org", PASSWORD)]
)
def test_a_wrong_email_or_password_is_401_with_one_message(
    client: TestClient, resident: str, email: str, password: str
) -> None:
    response = _sign_in(client, email, password)
    assert response.status_code == 401
    assert response.json()["detail"] == "email or password is wrong"
    assert "set-cookie" not in response.headers


def test_repeated_failures_are_429_even_with_the_right_password_then(
    client: TestClient, resident: str
) -> None:
    statuses = [_sign_in(client, resident, "not the password").status_code for _ in range(5)]
    locked = _sign_in(client, resident)

    assert statuses == [401] * 5
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) > 0


def test_failures_from_one_address_across_emails_are_limited_too(
    client: TestClient, resident: str
) -> None:
    statuses = [_sign_in(client, f"u{n}@x.org", "whatever pass").status_code for n in range(6)]
    assert statuses == [401] * 5 + [429]


def test_a_cross_site_write_with_the_cookie_is_refused(
    client: TestClient, session: Session
) -> None:
    users.create_user(
        session, email="con@example.org", role="connector", actor="test", password=PASSWORD
    )
    session.commit()
    _sign_in(client, "con@example.org")
    body = {
        "theme": "food",
        "title_en": "No food bank",
        "severity": 2,
        "location": {"type": "Point", "coordinates": [-3.17, 51.48]},
    }

    evil = client.post("/api/v1/deficits", json=body, headers={"Origin": "https://evil.example"})
    same = client.post("/api/v1/deficits", json=body, headers={"Origin": "http://testserver"})

    assert evil.status_code == 403
    assert same.status_code == 201


def test_a_bad_body_is_422_naming_the_field(client: TestClient) -> None:
    response = client.post("/api/v1/auth/session", json={"email": "x@y.org"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "password"]
