"""My account: details, email language and digest, password, and the download of everything
held about oneself."""

import json
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.services import users
from app.settings import Settings
from tests.accounts.conftest import PASSWORD, confirmed_resident, user_of

NEW_PASSWORD = "a brand new passphrase"


def test_a_resident_sees_and_changes_their_details_on_the_page(
    client: TestClient, session: Session
) -> None:
    confirmed_resident(client, session, "gwen@example.org")

    page = client.get("/account")
    assert page.status_code == 200
    assert "gwen@example.org" in page.text
    assert 'name="digest"' not in page.text  # residents get no digest
    assert 'href="/account"' in page.text and "Sign out" in page.text  # the header
    saved = client.post(
        "/account", data={"display_name": "Gwen", "language": "cy"}, follow_redirects=False
    )
    assert (saved.status_code, saved.headers["location"]) == (303, "/account?done=saved")
    user = user_of(session, "gwen@example.org")
    assert user is not None and (user.display_name, user.language) == ("Gwen", "cy")
    welsh = client.get("/cy/account?done=saved")
    assert "Cafodd eich manylion eu cadw." in welsh.text


def test_bad_details_are_refused_on_their_field_and_nothing_changes(
    client: TestClient, session: Session
) -> None:
    confirmed_resident(client, session, "gwen@example.org")

    response = client.post("/account", data={"display_name": "x" * 201, "language": "fr"})

    assert response.status_code == 422
    assert "Use 200 characters or fewer" in response.text
    assert "Choose English or Welsh" in response.text
    user = user_of(session, "gwen@example.org")
    assert user is not None and (user.display_name, user.language) == (None, "en")


def test_a_connector_chooses_how_often_the_digest_comes(
    client: TestClient, session: Session, settings: Settings
) -> None:
    users.create_user(
        session, email="con@example.org", role="connector", actor="test", password=PASSWORD
    )
    session.commit()
    client.post("/api/v1/auth/session", json={"email": "con@example.org", "password": PASSWORD})

    assert 'name="digest"' in client.get("/account").text
    client.post("/account", data={"language": "en", "digest": "immediate"})
    assert user_of(session, "con@example.org").digest == "immediate"  # type: ignore[union-attr]
    api = client.patch("/api/v1/account", json={"language": "en", "digest": "off"})
    assert api.status_code == 200
    assert api.json()["digest"] == "off"
    bad = client.patch("/api/v1/account", json={"language": "en", "digest": "hourly"})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"][-1] == "digest"


def test_a_resident_may_not_choose_a_digest(client: TestClient, session: Session) -> None:
    confirmed_resident(client, session, "gwen@example.org")

    response = client.patch("/api/v1/account", json={"language": "en", "digest": "daily"})

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["digest"]


def test_changing_the_password_needs_the_current_one_and_ends_other_sessions(
    client: TestClient, session: Session
) -> None:
    confirmed_resident(client, session, "gwen@example.org")
    other = TestClient(client.app)
    other.post("/api/v1/auth/session", json={"email": "gwen@example.org", "password": PASSWORD})
    assert other.get("/api/v1/account").status_code == 200

    wrong = client.post(
        "/account/password",
        data={"current_password": "not my password", "new_password": NEW_PASSWORD},
    )
    assert wrong.status_code == 422
    assert "That is not your current password" in wrong.text
    short = client.post(
        "/account/password", data={"current_password": PASSWORD, "new_password": "short"}
    )
    assert short.status_code == 422
    done = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        follow_redirects=False,
    )
    assert (done.status_code, done.headers["location"]) == (303, "/account?done=password")
    assert client.get("/api/v1/account").status_code == 200  # this browser stays signed in
    assert other.get("/api/v1/account").status_code == 401
    user = user_of(session, "gwen@example.org")
    assert user is not None and users.authenticate_user(user, NEW_PASSWORD)


def test_the_api_changes_the_password_too(client: TestClient, session: Session) -> None:
    confirmed_resident(client, session, "gwen@example.org")

    wrong = client.post(
        "/api/v1/account/password",
        json={"current_password": "nope nope nope", "new_password": NEW_PASSWORD},
    )
    right = client.post(
        "/api/v1/account/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
    )

    assert wrong.status_code == 422
    assert wrong.json()["detail"][0]["loc"] == ["body", "current_password"]
    assert right.status_code == 204


def test_the_admin_token_has_no_account(client: TestClient) -> None:
    from tests.conftest import ADMIN

    response = client.get("/api/v1/account", headers=ADMIN)

    assert response.status_code == 403
    assert "no user account" in response.json()["detail"]


def test_the_download_holds_the_account_but_never_the_password_hash(
    client: TestClient, session: Session, make_asset: Any
) -> None:
    user = confirmed_resident(client, session, "gwen@example.org", display_name="Gwen")
    asset_id = make_asset()
    assert client.put(f"/api/v1/assets/{asset_id}/use").status_code == 200

    page = client.get("/account/download")
    api = client.get("/api/v1/account/export")

    assert page.status_code == api.status_code == 200
    assert "attachment" in page.headers["content-disposition"]
    document = json.loads(page.content)
    assert document == {**json.loads(api.content), "generated_at": document["generated_at"]}
    assert document["user"]["email"] == "gwen@example.org"
    assert document["user"]["display_name"] == "Gwen"
    assert "password_hash" not in document["user"]
    assert user.password_hash not in page.text
    assert [u["asset_id"] for u in document["uses"]] == [asset_id]
    assert "record_key" not in document["uses"][0]
    for key in (
        "offers",
        "gaps_reported",
        "gaps_supported",
        "suggestions",
        "reports",
        "introductions",
    ):
        assert document[key] == [], key
    assert any(e["action"] == "confirm-email" for e in document["audit_events"])


def test_signed_out_visitors_are_sent_to_sign_in(client: TestClient) -> None:
    page = client.get("/account", follow_redirects=False)
    api = client.get("/api/v1/account/export")

    assert page.status_code in (302, 303, 307)
    assert "/sign-in" in page.headers["location"]
    assert api.status_code == 401
    home = client.get("/").text
    assert 'href="/sign-up"' in home and 'href="/sign-in"' in home
