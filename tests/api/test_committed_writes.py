"""A write that committed is never answered with an error.

The database fails on the first statement after a write's commit (as if it went down right
then). The write is stored, so the answer must say so: 200/201 with the record as committed,
built from what the transaction read before its commit, never a 500 (or a 503) that would make
the client send the change again.
"""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app.main import create_app
from app.models import Asset, Deficit
from app.settings import Settings
from tests.conftest import ADMIN, asset_body

DEFICIT = {
    "theme": "transport",
    "title_en": "No bus after 7pm",
    "severity": 3,
    "location": {"type": "Point", "coordinates": [-3.1566, 51.4812]},
}


class FailAfterCommit:
    """Arms itself at the commit of a session that wrote an asset or a deficit; when armed, the
    next statement fails."""

    def __init__(self) -> None:
        self.on = False
        self.armed = False
        self.failed = 0

    def flushed(self, session: Any, context: Any) -> None:
        if any(isinstance(o, Asset | Deficit) for o in (*session.new, *session.dirty)):
            session.info["wrote"] = True

    def committed(self, session: Any) -> None:
        self.armed = self.on and session.info.pop("wrote", False)

    def statement(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if self.armed:
            self.armed = False
            self.failed += 1
            raise OperationalError(statement, {}, Exception("server closed the connection"))


@pytest.fixture
def fragile(settings: Settings) -> Iterator[tuple[TestClient, FailAfterCommit]]:
    app = create_app(settings)
    fault = FailAfterCommit()
    event.listen(app.state.session_factory, "after_flush", fault.flushed)
    event.listen(app.state.session_factory, "after_commit", fault.committed)
    event.listen(app.state.engine, "before_cursor_execute", fault.statement)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, fault


@pytest.mark.parametrize("resource", ["assets", "deficits"])
def test_a_create_that_committed_answers_201_with_what_was_stored(
    fragile: tuple[TestClient, FailAfterCommit], session: Session, resource: str
) -> None:
    client, fault = fragile
    body = asset_body() if resource == "assets" else DEFICIT
    fault.on = True
    answer = client.post(f"/api/v1/{resource}", json=body, headers=ADMIN)
    fault.on = fault.armed = False
    assert answer.status_code == 201, answer.text
    assert fault.failed == 0  # nothing ran after the commit
    model = Asset if resource == "assets" else Deficit
    stored = session.scalars(select(model)).one()
    assert answer.json()["id"] == stored.id
    assert answer.headers["ETag"].endswith('-v1"')


@pytest.mark.parametrize("resource", ["assets", "deficits"])
def test_a_change_that_committed_answers_200_with_what_was_stored(
    fragile: tuple[TestClient, FailAfterCommit], session: Session, resource: str
) -> None:
    client, fault = fragile
    body = asset_body() if resource == "assets" else DEFICIT
    created = client.post(f"/api/v1/{resource}", json=body, headers=ADMIN)
    url = f"/api/v1/{resource}/{created.json()['id']}"
    field = "name_en" if resource == "assets" else "title_en"
    fault.on = True
    answer = client.patch(
        url, json={field: "Changed"}, headers={**ADMIN, "If-Match": created.headers["ETag"]}
    )
    fault.on = fault.armed = False
    assert answer.status_code == 200, answer.text
    assert fault.failed == 0  # nothing ran after the commit
    assert answer.json()[field] == "Changed"
    assert answer.headers["ETag"].endswith('-v2"')
    again = client.get(url, headers=ADMIN)
    assert again.json()[field] == "Changed"
    assert again.headers["ETag"] == answer.headers["ETag"]
