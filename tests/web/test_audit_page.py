"""The audit trail page: the same filters, pages and rules as GET /api/v1/audit (one read path),
as a GET form with field errors, in both languages; people's locations never shown."""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from app.models import AuditEvent
from app.services import users
from tests.conftest import ADMIN, Patches, asset_body, person_body

PASSWORD = "a long enough password"
PERSON_MOVED = (-3.2401, 51.4602)


def _sign_in(session: Session, client: TestClient, role: str, patch: list[str] | None) -> None:
    email = f"{role}-{len(patch or [])}-{id(client)}@example.org"
    users.create_user(session, email=email, role=role, actor="test", password=PASSWORD, patch=patch)
    session.commit()
    response = client.post("/sign-in", data={"email": email, "password": PASSWORD},
                           follow_redirects=False)  # fmt: skip
    assert response.status_code == 303


@dataclass
class Trail:
    """A person (added, then moved) and a group in the west patch, a group in the east, a
    user; events dated a day apart, oldest first."""

    person: int
    west_group: int
    east_group: int


@pytest.fixture
def trail(client: TestClient, session: Session, patches: Patches) -> Trail:
    def add(body: dict[str, Any]) -> int:
        response = client.post("/api/v1/assets", json=body, headers=ADMIN)
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    west = {"type": "Point", "coordinates": list(patches.west_point)}
    east = {"type": "Point", "coordinates": list(patches.east_point)}
    person = add(person_body(location=west))
    moved = {"location": {"type": "Point", "coordinates": list(PERSON_MOVED)}}
    changed = client.patch(f"/api/v1/assets/{person}", json=moved,
                           headers={**ADMIN, "If-Match": "*"})  # fmt: skip
    assert changed.status_code == 200, changed.text
    west_group = add(asset_body(location=west, name_en="West hall"))
    east_group = add(asset_body(location=east, name_en="East hall"))
    users.create_user(session, email="planner@example.org", role="planner", actor="admin")
    session.commit()
    # One event a day, ending yesterday, so date filters have something to cut.
    ids = [e.id for e in session.query(AuditEvent).order_by(AuditEvent.id)]
    start = datetime.now(UTC) - timedelta(days=len(ids))
    for n, event_id in enumerate(ids):
        session.execute(update(AuditEvent).where(AuditEvent.id == event_id)
                        .values(occurred_at=start + timedelta(days=n)))  # fmt: skip
    session.commit()
    return Trail(person, west_group, east_group)


def _page_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr data-event="(\d+)">', html)]


def _api_ids(client: TestClient, query: dict[str, str]) -> list[int]:
    response = client.get("/api/v1/audit", params=query)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


@pytest.fixture
def admin(client: TestClient, session: Session) -> TestClient:
    _sign_in(session, client, "admin", None)
    return client


@pytest.fixture
def connector(client: TestClient, session: Session, patches: Patches) -> TestClient:
    _sign_in(session, client, "connector", [patches.west])
    return client


# ---- one read path -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [{}, {"entity_type": "asset"}, {"entity_type": "user"}, {"action": "update"},
     {"actor": "admin"}, {"limit": "2"}],
)  # fmt: skip
def test_an_admin_sees_what_the_api_gives_for_the_same_query(
    admin: TestClient, trail: Trail, query: dict[str, str]
) -> None:
    response = admin.get("/connector/audit", params=query)
    assert response.status_code == 200, response.text
    assert _page_ids(response.text) == _api_ids(admin, query)
    assert _page_ids(response.text)


def test_a_connector_sees_what_the_api_gives_them(connector: TestClient, trail: Trail) -> None:
    page = connector.get("/connector/audit").text
    ids = _page_ids(page)
    assert ids == _api_ids(connector, {})
    assert f"Asset {trail.west_group}" in page and f"Asset {trail.east_group}" not in page
    assert "User " not in unescape(page)
    by_id = connector.get("/connector/audit", params={"entity_id": str(trail.person)}).text
    assert _page_ids(by_id) == _api_ids(connector, {"entity_id": str(trail.person)})


def test_a_date_from_the_form_is_midnight_uk_time(admin: TestClient, trail: Trail) -> None:
    day = (datetime.now(UTC) - timedelta(days=3)).date()
    page = admin.get("/connector/audit", params={"since": day.isoformat()})
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
    from zoneinfo import ZoneInfo

    uk = midnight.replace(tzinfo=ZoneInfo("Europe/London")).astimezone(UTC)
    api = _api_ids(admin, {"since": uk.isoformat().replace("+00:00", "Z")})
    assert _page_ids(page.text) == api and 0 < len(api) < 6
    until = admin.get("/connector/audit", params={"until": day.isoformat()})
    assert set(_page_ids(until.text)).isdisjoint(api)
    assert set(_page_ids(until.text)) | set(api) == set(_api_ids(admin, {}))


def test_pages_follow_the_api_cursor(admin: TestClient, trail: Trail) -> None:
    first = admin.get("/connector/audit", params={"limit": "2"}).text
    link = re.search(r'href="/connector/audit(\?[^"]*)">Older changes', first)
    assert link is not None
    query = {k: v[0] for k, v in parse_qs(urlsplit(unescape(link.group(1))).query).items()}
    assert query["limit"] == "2"
    api_first = admin.get("/api/v1/audit", params={"limit": "2"}).json()
    assert parse_qs(urlsplit(api_first["next"]).query)["cursor"] == [query["cursor"]]
    second = admin.get("/connector/audit", params=query).text
    assert _page_ids(second) == _api_ids(admin, query)
    assert "Newest changes" in second


# ---- who reads what ----------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client: TestClient) -> None:
    response = client.get("/cy/connector/audit?action=update", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == (
        "/cy/sign-in?next=%2Fcy%2Fconnector%2Faudit%3Faction%3Dupdate"
    )


@pytest.mark.parametrize("role", ["resident", "planner"])
def test_residents_and_planners_may_not_read_it(
    client: TestClient, session: Session, role: str
) -> None:
    _sign_in(session, client, role, None)
    assert client.get("/connector/audit").status_code == 403
    assert client.get("/api/v1/audit").status_code == 403


def test_a_connector_asking_for_users_is_refused_as_by_the_api(
    connector: TestClient, trail: Trail
) -> None:
    response = connector.get("/connector/audit", params={"entity_type": "user"})
    assert (
        response.status_code
        == 403
        == connector.get("/api/v1/audit", params={"entity_type": "user"}).status_code
    )
    assert "You can read the changes to the assets of your patch only." in unescape(response.text)
    assert _page_ids(response.text) == []


def test_a_persons_location_shows_only_as_changed(admin: TestClient, trail: Trail) -> None:
    page = unescape(admin.get("/connector/audit", params={"entity_id": str(trail.person)}).text)
    assert "<dt>location</dt>" in page
    assert "changed" in page
    assert str(PERSON_MOVED[0]) not in page and "-3.25" not in page


# ---- refusals ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [({"since": "yesterday"}, "since", "Enter a date, for example 2026-03-31"),
     ({"since": "2026-02-30"}, "since", "Enter a date, for example 2026-03-31"),
     ({"since": "2026-03-02", "until": "2026-03-01"}, "until",
      "Enter a date after the one in “Changed on or after”"),
     ({"limit": "0"}, "limit", "Choose how many to show"),
     ({"action": "x" * 41}, "action", "Use 40 characters or fewer")],
)  # fmt: skip
def test_a_wrong_filter_is_named_beside_its_field(
    admin: TestClient, query: dict[str, str], field: str, message: str
) -> None:
    response = admin.get("/connector/audit", params=query)
    assert response.status_code == 422
    html = unescape(response.text)
    assert f'<a href="#{field}">' in html
    assert message in html
    assert f'id="{field}-error"' in html
    assert admin.get("/api/v1/audit", params=query).status_code == 422 or field == "since"


def test_a_broken_cursor_is_a_422_with_a_message(admin: TestClient) -> None:
    response = admin.get("/connector/audit", params={"cursor": "nonsense"})
    assert response.status_code == 422
    assert "This link to a page of changes no longer works." in response.text


def test_the_welsh_page_is_in_welsh(admin: TestClient, trail: Trail) -> None:
    html = unescape(admin.get("/cy/connector/audit").text)
    assert '<html lang="cy">' in html
    assert re.findall(r"<h1>(.*?)</h1>", html) == ["Llwybr archwilio"]
