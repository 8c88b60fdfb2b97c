"""`assetmap users ...`: create (with a one-time token), list, set-role, revoke-tokens."""

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app.cli import app
from app.models import AuditEvent, Credential, User
from app.settings import get_settings
from tests.cli.conftest import Invoke
from tests.conftest import Patches


def _token(output: str) -> str:
    return next(line for line in output.splitlines() if line.startswith("am_"))


def test_create_with_token_prints_a_token_that_works_once_stored_as_a_hash(
    assetmap: Invoke, client: TestClient, session: Session
) -> None:
    result = assetmap(
        "users", "create", "--email", "Ana@Example.org", "--role", "planner", "--token"
    )

    assert result.exit_code == 0, result.output
    token = _token(result.output)
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me["role"] == "planner"
    stored = session.scalars(select(Credential.secret_hash)).all()
    assert len(stored) == 1 and token not in stored[0] and len(stored[0]) == 64
    assert session.scalar(select(User.email)) == "ana@example.org"


def test_a_connector_patch_is_checked_and_listed(
    assetmap: Invoke, patches: Patches, session: Session
) -> None:
    bad = assetmap("users", "create", "--email", "c@x.org", "--role", "connector", "--patch", "Z9")
    good = assetmap(
        "users", "create", "--email", "c@x.org", "--role", "connector", "--patch", patches.west
    )
    listed = assetmap("users", "list")

    assert bad.exit_code == 2 and "unknown area code 'Z9'" in bad.output
    assert good.exit_code == 0, good.output
    assert "c@x.org\tconnector\t1 areas\tactive" in listed.output
    assert session.scalar(select(User).where(User.email == "c@x.org")) is not None


def test_bad_role_and_duplicate_email_are_refused_and_write_nothing(
    assetmap: Invoke, session: Session
) -> None:
    assert assetmap("users", "create", "--email", "a@x.org", "--role", "boss").exit_code == 2
    assert assetmap("users", "create", "--email", "a@x.org", "--role", "resident").exit_code == 0
    again = assetmap("users", "create", "--email", "A@x.org", "--role", "admin")

    assert again.exit_code == 2 and "exists" in again.output
    assert session.scalars(select(User.role)).all() == ["resident"]


def test_set_role_changes_what_the_same_token_may_do(assetmap: Invoke, client: TestClient) -> None:
    made = assetmap("users", "create", "--email", "r@x.org", "--role", "resident", "--token")
    headers = {"Authorization": f"Bearer {_token(made.output)}"}
    deficit = {
        "theme": "food",
        "title_en": "No food bank",
        "severity": 2,
        "location": {"type": "Point", "coordinates": [-3.17, 51.48]},
    }
    assert client.post("/api/v1/deficits", json=deficit, headers=headers).status_code == 403

    changed = assetmap("users", "set-role", "--email", "r@x.org", "--role", "planner")

    assert changed.exit_code == 0 and "is now planner" in changed.output
    assert client.post("/api/v1/deficits", json=deficit, headers=headers).status_code == 201


def test_revoke_tokens_stops_tokens_and_is_audited(
    assetmap: Invoke, client: TestClient, session: Session
) -> None:
    made = assetmap("users", "create", "--email", "p@x.org", "--role", "planner", "--token")
    headers = {"Authorization": f"Bearer {_token(made.output)}"}
    assert client.get("/api/v1/auth/me", headers=headers).json()["role"] == "planner"

    revoked = assetmap("users", "revoke-tokens", "--email", "p@x.org")

    assert revoked.exit_code == 0 and "revoked 1 tokens" in revoked.output
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.entity_type == "user"))
    assert list(actions) == ["create", "revoke-tokens"]


def test_create_asks_for_a_password_and_stores_only_an_argon2_hash(
    db: Engine, db_url: str, session: Session, monkeypatch: Any
) -> None:
    get_settings.cache_clear()
    result = CliRunner().invoke(
        app,
        ["users", "create", "--email", "s@x.org", "--role", "resident", "--password"],
        input="correct horse battery\ncorrect horse battery\n",
        env={"ASSETMAP_DATABASE_URL": db_url},
    )
    get_settings.cache_clear()

    assert result.exit_code == 0, result.output
    stored = session.scalar(select(User.password_hash))
    assert stored is not None and stored.startswith("$argon2id$")
    assert "correct horse" not in stored
