"""Helpers for the account tests: what the outbox holds, and the links in an email."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import OutboxMessage, User
from app.settings import Settings
from tests.conftest import ADMIN_TOKEN

PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class Mail:
    """One queued email."""

    to: str
    subject: str
    body: str

    def link(self, path: str) -> str:
        """The path and query of the first link to `path` in the body (any host, any /cy)."""
        for url in re.findall(r"https?://\S+", self.body):
            parts = urlsplit(url)
            if parts.path.removeprefix("/cy") == path:
                return parts.path + ("?" + parts.query if parts.query else "")
        raise AssertionError(f"no link to {path} in:\n{self.body}")


def outbox(session: Session) -> list[Mail]:
    """Every queued email, oldest first."""
    session.expire_all()
    rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
    return [Mail(r.to_address, r.subject, r.body) for r in rows]


def user_of(session: Session, email: str) -> User | None:
    """The user with this email address, read afresh."""
    session.expire_all()
    return session.scalar(select(User).where(User.email == email))


@pytest.fixture
def settings(db: object, db_url: str, tmp_path: Path) -> Settings:
    """The test settings, with an erasure ledger of this test's own (deleting an account
    erases its offers' person records)."""
    return Settings(
        database_url=db_url, admin_token=ADMIN_TOKEN, erasure_ledger=tmp_path / "erasures.jsonl"
    )


def confirmed_resident(client: TestClient, session: Session, email: str, **more: str) -> User:
    """Sign up through the API and follow the emailed link: `client` is then signed in."""
    body = {"email": email, "password": PASSWORD, **more}
    assert client.post("/api/v1/account", json=body).status_code == 202
    link = [m for m in outbox(session) if m.to == email][-1].link("/confirm")
    assert client.get(link, follow_redirects=False).status_code == 303
    user = user_of(session, email)
    assert user is not None
    return user


@pytest.fixture
def sign_up(client: TestClient) -> Callable[..., object]:
    """Sign up through the page (English unless `path` says /cy/sign-up)."""

    def submit(email: str, *, path: str = "/sign-up", **more: str) -> object:
        data = {"email": email, "password": PASSWORD, "language": "en", **more}
        return client.post(path, data=data, follow_redirects=False)

    return submit
