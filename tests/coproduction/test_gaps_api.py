"""/api/v1/gaps: residents report and support; deciders publish, merge and decline. Bad input
is refused by field with nothing written; nobody's identity or exact point leaves."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.models import Deficit, Gap, GapSupport
from tests.conftest import Patches

HOME = [-3.254321, 51.456789]
Headers = dict[str, str]


@pytest.fixture(autouse=True)
def no_gaps(session: Session) -> Iterator[None]:
    """Gaps outlive the shared fixture's cleaning: empty them before each test."""
    session.execute(delete(GapSupport))
    session.execute(delete(Gap))
    session.commit()
    yield


def _report(client: TestClient, headers: Headers, **overrides: Any) -> Any:
    body = {"theme": "food", "text": "No food bank near here", "near": HOME, **overrides}
    return client.post("/api/v1/gaps", json=body, headers=headers)


def _count(session: Session, model: Any) -> int:
    session.rollback()
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_resident_reports_a_gap_that_stays_private_until_published(
    client: TestClient, patches: Patches, make_user: Callable[..., Headers]
) -> None:
    resident, other, planner = make_user("resident"), make_user("resident"), make_user("planner")
    made = _report(client, resident)
    assert made.status_code == 201, made.text
    gap = made.json()
    assert made.headers["location"].endswith(f"/api/v1/gaps/{gap['id']}")
    assert (gap["status"], gap["area_code"], gap["point"]) == ("pending", patches.west, None)
    assert client.get("/api/v1/gaps").json()["items"] == []
    assert client.get(f"/api/v1/gaps/{gap['id']}", headers=other).status_code == 404
    pending = client.get("/api/v1/gaps", headers=planner).json()["items"]
    assert [g["id"] for g in pending] == [gap["id"]] and pending[0]["point"] == HOME
    published = client.post(f"/api/v1/gaps/{gap['id']}/publish", json={}, headers=planner)
    assert published.status_code == 200, published.text
    (public,) = client.get("/api/v1/gaps").json()["items"]
    assert public["status"] == "published" and public["point"] != HOME
    assert public["supports"] is None and public["supports_shown_as"] == "fewer than 5"
    assert "reporter" not in str(public) and "example.org" not in str(public)


def test_me_too_through_the_api(
    client: TestClient, session: Session, patches: Patches, make_user: Callable[..., Headers]
) -> None:
    gap = _report(client, make_user("resident")).json()
    admin = make_user("admin")
    client.post(f"/api/v1/gaps/{gap['id']}/publish", json={"severity": 2}, headers=admin)
    other = make_user("resident")
    assert client.put(f"/api/v1/gaps/{gap['id']}/support", headers=other).json()["supported_by_you"]
    client.put(f"/api/v1/gaps/{gap['id']}/support", headers=other)
    assert _count(session, GapSupport) == 2
    undone = client.delete(f"/api/v1/gaps/{gap['id']}/support", headers=other)
    assert undone.status_code == 200 and not undone.json()["supported_by_you"]
    assert _count(session, GapSupport) == 1
    assert client.put(f"/api/v1/gaps/{gap['id']}/support").status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"theme": "food", "text": "x"}, None),
        ({"theme": "food", "text": "", "near": HOME}, "text"),
        ({"theme": "food", "text": "   ", "near": HOME}, "text"),
        ({"theme": "nope", "text": "x", "near": HOME}, "theme"),
        ({"theme": "food", "text": "x", "near": [200, 0]}, "near"),
        ({"theme": "food", "text": "x" * 1001, "near": HOME}, "text"),
        ({"theme": "food", "text": "x", "near": HOME, "language": "fr"}, "language"),
        ({"theme": "food", "text": "x", "near": HOME, "who": "me"}, "who"),
    ],
)
def test_bad_reports_are_refused_by_field_and_nothing_is_stored(
    client: TestClient,
    session: Session,
    patches: Patches,
    make_user: Callable[..., Headers],
    body: dict[str, Any],
    field: str | None,
) -> None:
    response = client.post("/api/v1/gaps", json=body, headers=make_user("resident"))
    assert response.status_code == 422, response.text
    if field is not None:
        assert field in str(response.json())
    assert _count(session, Gap) == 0


def test_only_signed_in_users_report_and_only_deciders_decide(
    client: TestClient, patches: Patches, make_user: Callable[..., Headers]
) -> None:
    assert _report(client, {}).status_code == 401
    resident = make_user("resident")
    gap = _report(client, resident).json()
    for action, body in (("publish", {}), ("merge", {"into": 1}), ("decline", {"reason": "x"})):
        assert client.post(f"/api/v1/gaps/{gap['id']}/{action}", json=body).status_code == 401
        refused = client.post(f"/api/v1/gaps/{gap['id']}/{action}", json=body, headers=resident)
        assert refused.status_code == 403
    east = make_user("connector", patch=[patches.east])
    outside = client.post(f"/api/v1/gaps/{gap['id']}/publish", json={}, headers=east)
    assert outside.status_code == 404


def test_decisions_are_checked_and_made_once(
    client: TestClient, session: Session, patches: Patches, make_user: Callable[..., Headers]
) -> None:
    gap = _report(client, make_user("resident")).json()
    west = make_user("connector", patch=[patches.west])
    url = f"/api/v1/gaps/{gap['id']}"
    assert client.post(url + "/publish", json={"severity": 9}, headers=west).status_code == 422
    assert client.post(url + "/decline", json={"reason": " "}, headers=west).status_code == 422
    assert client.post(url + "/merge", json={"into": gap["id"]}, headers=west).status_code == 422
    declined = client.post(url + "/decline", json={"reason": "We have one"}, headers=west)
    assert declined.status_code == 200 and declined.json()["decline_reason"] == "We have one"
    assert client.post(url + "/publish", json={}, headers=west).status_code == 409
    assert _count(session, Deficit) == 0


def test_merging_through_the_api_moves_the_supports(
    client: TestClient, session: Session, patches: Patches, make_user: Callable[..., Headers]
) -> None:
    planner = make_user("planner")
    first = _report(client, make_user("resident")).json()
    second = _report(client, make_user("resident")).json()
    merged = client.post(
        f"/api/v1/gaps/{second['id']}/merge", json={"into": first["id"]}, headers=planner
    )
    assert merged.status_code == 200 and merged.json()["id"] == first["id"]
    session.rollback()
    assert set(session.scalars(select(GapSupport.gap_id))) == {first["id"]}
    assert _count(session, GapSupport) == 2
