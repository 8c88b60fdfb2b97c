"""The sign-in and sign-out pages: the API's session cookie and rate limits, in both languages."""

import re
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.services import users

PASSWORD = "a long enough password"


def _user(session: Session, email: str, role: str) -> str:
    users.create_user(session, email=email, role=role, actor="test", password=PASSWORD)
    session.commit()
    return email


@pytest.fixture
def connector(session: Session) -> str:
    return _user(session, "con@example.org", "connector")


@pytest.fixture
def resident(session: Session) -> str:
    return _user(session, "res@example.org", "resident")


def _post(client: TestClient, path: str = "/sign-in", **fields: str) -> Any:
    return client.post(path, data=fields, follow_redirects=False)


def test_the_sign_in_page_has_a_labelled_form(client: TestClient) -> None:
    html = client.get("/sign-in?next=/connector/consents").text
    assert re.findall(r"<h1>(.*?)</h1>", html) == ["Sign in"]
    assert '<label for="email">Email address</label>' in html
    assert '<label for="password">Password</label>' in html
    assert 'autocomplete="current-password"' in html
    assert '<input type="hidden" name="next" value="/connector/consents">' in html


def test_a_connector_signs_in_and_goes_to_their_patch(client: TestClient, connector: str) -> None:
    response = _post(client, email=connector.upper(), password=PASSWORD)

    assert response.status_code == 303
    assert response.headers["location"] == "/connector"
    cookie = response.headers["set-cookie"]
    assert "assetmap_session=am_" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert client.get("/api/v1/auth/me").json()["role"] == "connector"


def test_a_resident_goes_home_and_welsh_sign_in_goes_to_welsh_pages(
    client: TestClient, resident: str, connector: str
) -> None:
    assert _post(client, email=resident, password=PASSWORD).headers["location"] == "/"
    welsh = _post(client, "/cy/sign-in", email=connector, password=PASSWORD)
    assert welsh.headers["location"] == "/cy/connector"


@pytest.mark.parametrize(
    ("next_path", "goes_to"),
    [
        ("/connector/moderation", "/connector/moderation"),
        ("/cy/connector/consents?done=x", "/cy/connector/consents?done=x"),
        ("//evil.example/x", "/connector"),
        ("/\\evil.example", "/connector"),
        ("https://evil.example/", "/connector"),
        ("javascript:alert(1)", "/connector"),
    ],
)
def test_next_is_followed_only_to_a_path_on_this_site(
    client: TestClient, connector: str, next_path: str, goes_to: str
) -> None:
    response = _post(client, email=connector, password=PASSWORD, next=next_path)
    assert response.status_code == 303
    assert response.headers["location"] == goes_to


@pytest.mark.parametrize(
    ("email", "password"), [("con@example.org", "wrong password!"), ("nobody@x.org", PASSWORD)]
)
@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/sign-in", "The email address or password is not right"),
        ("/cy/sign-in", "Mae'r cyfeiriad e-bost neu'r cyfrinair yn anghywir"),
    ],
)
def test_a_failed_sign_in_says_the_same_whether_or_not_the_email_exists(
    client: TestClient, connector: str, email: str, password: str, path: str, message: str
) -> None:
    response = _post(client, path, email=email, password=password)

    assert response.status_code == 422
    assert "set-cookie" not in response.headers
    assert unescape(response.text).count(message) == 2  # in the summary and beside the field
    assert f'value="{email}"' in response.text
    assert 'aria-invalid="true"' in response.text


def test_empty_fields_are_named(client: TestClient) -> None:
    response = _post(client, email="", password="")
    assert response.status_code == 422
    assert "Enter your email address" in response.text
    assert "Enter your password" in response.text
    assert '<a href="#email">' in response.text and '<a href="#password">' in response.text


def test_repeated_failures_are_refused_with_a_translated_429_page(
    client: TestClient, connector: str
) -> None:
    statuses = [_post(client, email=connector, password="not it at all").status_code
                for _ in range(5)]  # fmt: skip
    locked = _post(client, "/cy/sign-in", email=connector, password=PASSWORD)

    assert statuses == [422] * 5
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) > 0
    assert '<html lang="cy">' in locked.text
    assert "Gormod o ymdrechion aflwyddiannus" in locked.text
    assert "set-cookie" not in locked.headers


def test_the_api_and_the_page_share_the_rate_limit(client: TestClient, connector: str) -> None:
    for _ in range(5):
        client.post("/api/v1/auth/session", json={"email": connector, "password": "nope nope"})
    assert _post(client, email=connector, password=PASSWORD).status_code == 429


def test_sign_out_ends_the_session_and_goes_home(client: TestClient, connector: str) -> None:
    _post(client, email=connector, password=PASSWORD)
    cookie = client.cookies.get("assetmap_session")

    response = _post(client, "/cy/sign-out")

    assert response.status_code == 303
    assert response.headers["location"] == "/cy/"
    assert 'assetmap_session=""' in response.headers["set-cookie"]
    client.cookies.set("assetmap_session", cookie)
    assert client.get("/api/v1/auth/me").json()["role"] == "anonymous"


def test_sign_out_from_another_site_is_refused(client: TestClient, connector: str) -> None:
    _post(client, email=connector, password=PASSWORD)
    response = client.post(
        "/sign-out", headers={"Origin": "https://evil.example"}, follow_redirects=False
    )
    assert response.status_code == 403
    assert client.get("/api/v1/auth/me").json()["role"] == "connector"


def test_the_shell_shows_sign_out_and_the_patch_once_signed_in(
    client: TestClient, connector: str
) -> None:
    assert 'href="/sign-in"' in client.get("/").text
    _post(client, email=connector, password=PASSWORD)
    html = client.get("/connector").text
    assert 'action="/sign-out"' in html and 'href="/connector"' in html
