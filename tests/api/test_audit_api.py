"""GET /api/v1/audit: admins read the whole trail, connectors their patch's assets, nobody else;
filters, keyset pages newest first, and never a person's exact location."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from shapely.geometry import MultiPolygon, box
from sqlalchemy.orm import Session

from app.models import AuditEvent
from app.schemas.assets import AssetCreate, AssetUpdate
from app.services.assets.records import create_asset, update_asset
from app.services.assets.visibility import Viewer
from app.services.needs.areas import AreaInput, save_areas
from tests.conftest import ADMIN, person_body

URL = "/api/v1/audit"
ADMIN_VIEWER = Viewer(actor="admin", role="admin")
PERSON_POINT = (-3.1566, 51.4812)
PERSON_MOVED = (-3.15432, 51.48321)
GROUP_POINT = (-3.195, 51.481)


def _area(number: int, code: str, west: float) -> AreaInput:
    return AreaInput(
        number=number,
        code=code,
        name_en=f"Area {code}",
        name_cy=f"Ardal {code}",
        population=1500,
        parent_code=None,
        geom=MultiPolygon([box(west, 51.478, west + 0.01, 51.488)]),
    )


@dataclass
class Trail:
    """Two patches: a person (created, then moved) in one, a group in the other."""

    person: int
    group: int


@pytest.fixture
def trail(session: Session, make_asset: Any) -> Trail:
    """The areas, a person in W01000001 (created and moved) and a group in W01000002."""
    save_areas(
        session,
        level="lsoa",
        areas=[_area(1, "W01000001", -3.16), _area(2, "W01000002", -3.2)],
        centroids={},
        source="test",
    )
    session.commit()
    person = create_asset(
        session, actor="connector:1", data=AssetCreate.model_validate(person_body())
    )
    session.commit()
    move = AssetUpdate.model_validate(
        {"location": {"type": "Point", "coordinates": list(PERSON_MOVED)}}
    )
    update_asset(session, viewer=ADMIN_VIEWER, asset_id=person.id, expected_version=1, data=move)
    session.commit()
    group = make_asset(location={"type": "Point", "coordinates": list(GROUP_POINT)})
    return Trail(person=person.id, group=group)


def events(client: TestClient, headers: dict[str, str], query: str = "") -> list[dict[str, Any]]:
    """The items of one page, after checking the answer is a 200."""
    response = client.get(f"{URL}{query}", headers=headers)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def about(items: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """The (entity_type, entity_id) pairs the events are about."""
    return {(e["entity_type"], e["entity_id"]) for e in items}


# ---- who reads what ----------------------------------------------------------------------------


def test_admins_read_every_event_newest_first(
    client: TestClient, trail: Trail, make_user: Any
) -> None:
    make_user("resident")  # a user event
    items = events(client, ADMIN)
    ids = [e["id"] for e in items]
    assert ids == sorted(ids, reverse=True)
    assert about(items) >= {
        ("asset", str(trail.person)),
        ("asset", str(trail.group)),
        ("user", items[0]["entity_id"]),
    }
    assert items[0]["entity_type"] == "user" and items[0]["action"] == "create"
    assert set(items[0]) == {
        "id",
        "occurred_at",
        "actor",
        "action",
        "entity_type",
        "entity_id",
        "changes",
    }


def test_a_connector_reads_the_events_of_their_patch_only(
    client: TestClient, trail: Trail, make_user: Any
) -> None:
    connector = make_user("connector", patch=["W01000001"])
    items = events(client, connector)
    assert about(items) == {("asset", str(trail.person))}
    assert [e["action"] for e in items] == ["update", "create"]
    other = events(client, connector, f"?entity_type=asset&entity_id={trail.group}")
    assert other == []


def test_a_connector_of_the_other_patch_does_not_see_the_person(
    client: TestClient, trail: Trail, make_user: Any
) -> None:
    connector = make_user("connector", patch=["W01000002"])
    items = events(client, connector)
    assert about(items) == {("asset", str(trail.group))}
    assert "Rhian" not in client.get(URL, headers=connector).text


def test_an_unscoped_connector_reads_asset_events_but_no_others(
    client: TestClient, trail: Trail, make_user: Any
) -> None:
    connector = make_user("connector")
    items = events(client, connector)
    assert about(items) == {("asset", str(trail.person)), ("asset", str(trail.group))}


@pytest.mark.parametrize("entity_type", ["user", "deficit"])
def test_connectors_may_not_ask_for_other_entity_types(
    client: TestClient, trail: Trail, make_user: Any, entity_type: str
) -> None:
    connector = make_user("connector")
    response = client.get(f"{URL}?entity_type={entity_type}", headers=connector)
    assert response.status_code == 403
    assert "asset" in response.json()["detail"]
    assert client.get(f"{URL}?entity_type={entity_type}", headers=ADMIN).status_code == 200


@pytest.mark.parametrize("role", ["resident", "planner"])
def test_residents_and_planners_are_refused(
    client: TestClient, trail: Trail, make_user: Any, role: str
) -> None:
    response = client.get(URL, headers=make_user(role))
    assert response.status_code == 403
    assert "Rhian" not in response.text


def test_anonymous_callers_must_sign_in(client: TestClient, trail: Trail) -> None:
    response = client.get(URL)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


# ---- filters -----------------------------------------------------------------------------------


def test_filter_by_entity(client: TestClient, trail: Trail, make_user: Any) -> None:
    make_user("resident")
    items = events(client, ADMIN, f"?entity_type=asset&entity_id={trail.group}")
    assert [(e["action"], e["entity_id"]) for e in items] == [("create", str(trail.group))]
    users = events(client, ADMIN, "?entity_type=user")
    assert users and {e["entity_type"] for e in users} == {"user"}


def test_filter_by_actor_and_action(client: TestClient, trail: Trail) -> None:
    by_connector = events(client, ADMIN, "?actor=connector:1")
    assert [(e["action"], e["entity_id"]) for e in by_connector] == [("create", str(trail.person))]
    updates = events(client, ADMIN, "?action=update")
    assert [(e["actor"], e["entity_id"]) for e in updates] == [("admin", str(trail.person))]
    assert events(client, ADMIN, "?action=erase") == []


def test_filter_by_time(client: TestClient, trail: Trail, session: Session) -> None:
    old = datetime(2020, 5, 1, 12, tzinfo=UTC)
    session.add(
        AuditEvent(
            occurred_at=old,
            actor="admin",
            action="update",
            entity_type="asset",
            entity_id=str(trail.group),
            changes={"status": ["pending", "published"]},
        )
    )
    session.commit()

    def at(moment: datetime) -> str:
        return quote(moment.isoformat())

    until = events(client, ADMIN, f"?until={at(old + timedelta(seconds=1))}")
    assert [e["occurred_at"] for e in until] == [old.isoformat()]
    since = events(client, ADMIN, f"?since={at(old + timedelta(seconds=1))}")
    assert since and old.isoformat() not in {e["occurred_at"] for e in since}
    window = events(client, ADMIN, f"?since={at(old)}&until={at(old + timedelta(days=1))}")
    assert len(window) == 1
    in_wales = events(client, ADMIN, f"?until={quote('2020-05-01T13:00:01+01:00')}")
    assert len(in_wales) == 1
    assert len(events(client, ADMIN, "?until=2020-05-01t12:00:01z")) == 1


@pytest.mark.parametrize(
    "query",
    [
        "?since=2020-05-01T12:00:00",  # no time zone
        "?since=2020-05-01",
        "?until=0.5",  # a number pydantic would take for a Unix time
        "?since=0001-01-01T00:00:00%2B01:00",  # before year 1 in UTC
        "?until=yesterday",
        "?since=2021-01-01T00:00:00Z&until=2020-01-01T00:00:00Z",
        "?limit=0",
        "?limit=501",
        "?cursor=not-a-cursor",
        "?cursor=ZTA",  # "e0": not an event id
        "?cursor=ZcKy",  # "e²": a digit to str.isdigit, not to int()
    ],
)
def test_bad_filters_are_422(client: TestClient, trail: Trail, query: str) -> None:
    response = client.get(f"{URL}{query}", headers=ADMIN)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"][0] == "query"


# ---- pages -------------------------------------------------------------------------------------


def test_pages_follow_next_links_newest_first(
    client: TestClient, trail: Trail, make_asset: Any
) -> None:
    for n in range(4):
        make_asset(name_en=f"Club {n}")
    everything = [e["id"] for e in events(client, ADMIN, "?limit=500")]
    assert len(everything) == 7
    seen: list[int] = []
    url: str | None = f"{URL}?limit=2&entity_type=asset"
    pages = 0
    while url:
        body = client.get(url, headers=ADMIN).json()
        assert body["numberReturned"] == len(body["items"]) <= 2
        seen += [e["id"] for e in body["items"]]
        url = body["next"]
        pages += 1
        if url:
            assert "limit=2" in url and "entity_type=asset" in url
    assert seen == everything
    assert pages == 4


def test_the_last_page_has_no_next_link(client: TestClient, trail: Trail) -> None:
    body = client.get(f"{URL}?limit=500", headers=ADMIN).json()
    assert body["next"] is None
    assert body["numberReturned"] == 3


# ---- people ------------------------------------------------------------------------------------


def test_a_persons_location_shows_only_as_changed(
    client: TestClient, trail: Trail, make_user: Any
) -> None:
    connector = make_user("connector", patch=["W01000001"])
    for headers in (ADMIN, connector):
        response = client.get(f"{URL}?entity_type=asset&entity_id={trail.person}", headers=headers)
        created, moved = reversed(response.json()["items"])
        assert created["changes"]["location"] == ["changed", "changed"]
        assert moved["changes"] == {"location": ["changed", "changed"]}
        for number in (*PERSON_POINT, *PERSON_MOVED):
            assert str(number) not in response.text
            assert str(abs(number)) not in response.text


def test_a_persons_location_is_redacted_whatever_wrote_the_event(
    client: TestClient, trail: Trail, session: Session
) -> None:
    # An event written without redaction (say, by a future import path) still does not leak.
    session.add(
        AuditEvent(
            actor="admin",
            action="update",
            entity_type="asset",
            entity_id=str(trail.person),
            changes={"location": [list(PERSON_MOVED), [-3.1111, 51.4444]], "phone": ["1", "2"]},
        )
    )
    session.commit()
    response = client.get(f"{URL}?entity_id={trail.person}&limit=1", headers=ADMIN)
    (event,) = response.json()["items"]
    assert event["changes"] == {"location": ["changed", "changed"], "phone": ["1", "2"]}
    assert "3.1111" not in response.text and "51.4444" not in response.text


def test_a_groups_location_changes_are_shown(
    client: TestClient, trail: Trail, session: Session
) -> None:
    move = AssetUpdate.model_validate(
        {"location": {"type": "Point", "coordinates": [-3.196, 51.482]}}
    )
    update_asset(session, viewer=ADMIN_VIEWER, asset_id=trail.group, expected_version=1, data=move)
    session.commit()
    (moved,) = events(client, ADMIN, f"?entity_id={trail.group}&action=update")
    assert moved["changes"]["location"] == [list(GROUP_POINT), [-3.196, 51.482]]
