"""Residents suggest assets and report problems; connectors of the patch publish, reject,
resolve or dismiss them (issue 3, point 4). Suggestions stay hidden until published."""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.main import create_app
from app.models import Asset, AuditEvent, Report
from app.settings import Settings
from tests.conftest import ADMIN, Patches, asset_body, person_body

SUGGESTIONS = "/api/v1/suggestions"
QUEUE = "/api/v1/moderation"


def _point(lonlat: tuple[float, float]) -> dict[str, Any]:
    return {"type": "Point", "coordinates": list(lonlat)}


def suggestion_body(where: tuple[float, float], **overrides: Any) -> dict[str, Any]:
    """A resident's suggestion: an asset body without status, at `where`."""
    body = asset_body(**{"location": _point(where), **overrides})
    body.pop("status")
    return body


@pytest.fixture
def people(make_user: Any, patches: Patches) -> dict[str, dict[str, str]]:
    """Auth headers per role: connectors of the west and of the east patch, and others."""
    return {
        "anonymous": {},
        "resident": make_user("resident"),
        "planner": make_user("planner"),
        "west": make_user("connector", patch=[patches.west]),
        "east": make_user("connector", patch=[patches.east]),
        "admin": ADMIN,
    }


def counts(session: Session) -> tuple[int, int, int]:
    """How many assets, reports and audit events there are."""
    session.expire_all()
    return tuple(  # type: ignore[return-value]
        session.scalar(select(func.count()).select_from(model))
        for model in (Asset, Report, AuditEvent)
    )


def events(session: Session, entity_type: str, entity_id: int) -> list[tuple[str, str]]:
    """(actor, action) of the audit events of one entity, oldest first."""
    session.expire_all()
    rows = session.execute(
        select(AuditEvent.actor, AuditEvent.action)
        .where(AuditEvent.entity_type == entity_type, AuditEvent.entity_id == str(entity_id))
        .order_by(AuditEvent.id)
    )
    return [(actor, action) for actor, action in rows]


def suggest(client: TestClient, where: tuple[float, float], **overrides: Any) -> int:
    """Post an anonymous suggestion; its id (from the queue: the suggester is told a receipt)."""
    response = client.post(SUGGESTIONS, json=suggestion_body(where, **overrides))
    assert response.status_code == 201, response.text
    return max(s["id"] for s in client.get(QUEUE, headers=ADMIN).json()["suggestions"])


# ---- suggestions -------------------------------------------------------------------------------


def test_an_anonymous_suggestion_is_stored_pending(
    client: TestClient, session: Session, patches: Patches
) -> None:
    response = client.post(
        SUGGESTIONS, json=suggestion_body(patches.west_point, note="Meets on Mondays")
    )
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "pending" and "connector" in body["message"]
    assert "id" not in body and len(body["receipt"]) == 24
    asset = session.scalars(select(Asset).where(Asset.source == "suggestion")).one()
    assert asset is not None
    assert (asset.status, asset.source, asset.created_by) == ("pending", "suggestion", "anonymous")
    assert events(session, "asset", asset.id) == [("anonymous", "create"), ("anonymous", "suggest")]


def test_a_suggestion_is_hidden_from_everybody_outside_the_patch(
    client: TestClient, patches: Patches, people: dict[str, dict[str, str]]
) -> None:
    asset_id = suggest(client, patches.west_point, name_en="Hidden Garden")
    for role in ("anonymous", "resident", "planner", "east"):
        headers = people[role]
        assert client.get(f"/api/v1/assets/{asset_id}", headers=headers).status_code == 404
        for query in ("", "?status=pending", "?q=hidden"):
            listed = client.get(f"/api/v1/assets{query}", headers=headers).json()["items"]
            assert asset_id not in [a["id"] for a in listed], (role, query)
        items = client.get("/ogc/collections/assets/items", headers=headers).json()["features"]
        assert asset_id not in [f["id"] for f in items], role
        item = client.get(f"/ogc/collections/assets/items/{asset_id}", headers=headers)
        assert item.status_code == 404, role
    seen = client.get(f"/api/v1/assets/{asset_id}", headers=people["west"])
    assert seen.status_code == 200 and seen.json()["status"] == "pending"


def test_a_signed_in_resident_is_the_suggestion_author(
    client: TestClient, session: Session, people: dict[str, dict[str, str]], patches: Patches
) -> None:
    response = client.post(
        SUGGESTIONS, json=suggestion_body(patches.east_point), headers=people["resident"]
    )
    assert response.status_code == 201
    asset = session.get(Asset, response.json()["id"])
    assert asset is not None and asset.created_by is not None
    assert asset.created_by.startswith("resident:")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("status", "published"),
        ("source", "osm"),
        ("source_id", "1"),
        ("last_verified_at", "2026-01-01T00:00:00Z"),
        ("version", 7),
        ("consent", {"method": "written", "notice_version": "1", "expires_at": "2030-01-01"}),
    ],
)
def test_a_suggestion_may_not_set_what_connectors_decide(
    client: TestClient,
    session: Session,
    people: dict[str, dict[str, str]],
    patches: Patches,
    field: str,
    value: Any,
) -> None:
    before = counts(session)
    body = {**suggestion_body(patches.west_point), field: value}
    response = client.post(SUGGESTIONS, json=body, headers=people["resident"])
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", field]
    assert counts(session) == before


@pytest.mark.parametrize("kind", ["skill", "volunteer"])
def test_people_cannot_be_suggested(
    client: TestClient, session: Session, patches: Patches, kind: str
) -> None:
    before = counts(session)
    response = client.post(SUGGESTIONS, json=suggestion_body(patches.west_point, kind=kind))
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "kind"]
    assert "people" in error["msg"] and "connector" in error["msg"]
    assert counts(session) == before


@pytest.mark.parametrize(
    "overrides",
    [
        {"name_en": None, "name_cy": None},
        {"themes": ["no_such_theme"]},
        {"location": {"type": "Point", "coordinates": [200, 51]}},
        {"note": "x" * 2001},
        {"email": "not an address"},
    ],
)
def test_a_bad_suggestion_leaves_nothing_behind(
    client: TestClient, session: Session, patches: Patches, overrides: dict[str, Any]
) -> None:
    before = counts(session)
    response = client.post(SUGGESTIONS, json=suggestion_body(patches.west_point, **overrides))
    assert response.status_code == 422
    assert counts(session) == before


# ---- the queue and decisions -------------------------------------------------------------------


def test_the_queue_shows_a_suggestion_to_the_connectors_of_its_patch_only(
    client: TestClient, patches: Patches, people: dict[str, dict[str, str]]
) -> None:
    west_id = suggest(client, patches.west_point, note="Ask for Gwen")
    east_id = suggest(client, patches.east_point)
    queue = client.get(QUEUE, headers=people["west"])
    assert queue.status_code == 200
    (shown,) = queue.json()["suggestions"]
    assert (shown["id"], shown["status"], shown["note"]) == (west_id, "pending", "Ask for Gwen")
    assert shown["suggested_by"] == "anonymous"
    east = client.get(QUEUE, headers=people["east"]).json()["suggestions"]
    assert [s["id"] for s in east] == [east_id]
    everything = client.get(QUEUE, headers=ADMIN).json()["suggestions"]
    assert [s["id"] for s in everything] == [west_id, east_id]
    narrowed = client.get(QUEUE, params={"area": patches.east}, headers=ADMIN).json()
    assert [s["id"] for s in narrowed["suggestions"]] == [east_id]


def test_the_queue_is_for_connectors_and_admins(
    client: TestClient, patches: Patches, people: dict[str, dict[str, str]]
) -> None:
    assert client.get(QUEUE).status_code == 401
    assert client.get(QUEUE, headers=people["resident"]).status_code == 403
    assert client.get(QUEUE, headers=people["planner"]).status_code == 403
    unknown = client.get(QUEUE, params={"area": "W99999999"}, headers=ADMIN)
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["loc"] == ["query", "area"]


def test_a_connector_of_another_patch_cannot_decide_a_suggestion(
    client: TestClient, session: Session, patches: Patches, people: dict[str, dict[str, str]]
) -> None:
    asset_id = suggest(client, patches.west_point)
    before = counts(session)
    url = f"{QUEUE}/suggestions/{asset_id}"
    response = client.post(url, json={"decision": "publish"}, headers=people["east"])
    assert response.status_code == 404
    assert client.post(url, json={"decision": "publish"}).status_code == 401
    assert (
        client.post(url, json={"decision": "publish"}, headers=people["resident"]).status_code
        == 403
    )
    assert counts(session) == before
    assert session.get(Asset, asset_id).status == "pending"  # type: ignore[union-attr]


def test_publishing_a_suggestion_makes_it_public(
    client: TestClient, session: Session, patches: Patches, people: dict[str, dict[str, str]]
) -> None:
    asset_id = suggest(client, patches.west_point, name_en="Community fridge")
    url = f"{QUEUE}/suggestions/{asset_id}"
    response = client.post(url, json={"decision": "publish"}, headers=people["west"])
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["version"]) == ("published", 2)
    public = client.get(f"/api/v1/assets/{asset_id}")
    assert public.status_code == 200 and public.json()["name_en"] == "Community fridge"
    assert asset_id in [a["id"] for a in client.get("/api/v1/assets").json()["items"]]
    assert client.get(QUEUE, headers=people["west"]).json()["suggestions"] == []
    actions = [action for _actor, action in events(session, "asset", asset_id)]
    assert actions == ["create", "suggest", "update", "publish"]
    assert events(session, "asset", asset_id)[-1][0].startswith("connector:")
    again = client.post(url, json={"decision": "reject", "reason": "x"}, headers=people["west"])
    assert again.status_code == 409


def test_a_published_asset_that_was_not_suggested_is_not_a_suggestion(
    client: TestClient, make_asset: Any, patches: Patches
) -> None:
    asset_id = make_asset(location=_point(patches.west_point))
    response = client.post(
        f"{QUEUE}/suggestions/{asset_id}",
        json={"decision": "reject", "reason": "no"},
        headers=ADMIN,
    )
    assert response.status_code == 404


def test_rejecting_needs_a_reason_and_keeps_the_suggestion_hidden(
    client: TestClient, session: Session, patches: Patches, people: dict[str, dict[str, str]]
) -> None:
    asset_id = suggest(client, patches.west_point)
    url = f"{QUEUE}/suggestions/{asset_id}"
    before = counts(session)
    missing = client.post(url, json={"decision": "reject", "reason": " "}, headers=people["west"])
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["body", "reason"]
    assert counts(session) == before
    reason = "Closed down in 2024"
    response = client.post(
        url, json={"decision": "reject", "reason": reason}, headers=people["west"]
    )
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["moderation_reason"]) == ("rejected", reason)
    assert client.get(f"/api/v1/assets/{asset_id}").status_code == 404
    assert client.get(f"/api/v1/assets/{asset_id}", headers=people["resident"]).status_code == 404
    kept = client.get(f"/api/v1/assets/{asset_id}", headers=people["west"]).json()
    assert kept["moderation_reason"] == reason
    assert client.get(QUEUE, headers=people["west"]).json()["suggestions"] == []
    session.expire_all()
    event = session.scalars(
        select(AuditEvent).where(
            AuditEvent.entity_id == str(asset_id), AuditEvent.action == "reject"
        )
    ).one()
    assert event.changes == {"moderation_reason": [None, reason]}


# ---- reports -----------------------------------------------------------------------------------


def test_an_anonymous_report_reaches_the_connectors_of_the_patch(
    client: TestClient,
    session: Session,
    make_asset: Any,
    patches: Patches,
    people: dict[str, dict[str, str]],
) -> None:
    asset_id = make_asset(location=_point(patches.west_point), name_en="Splott lunch club")
    response = client.post(
        f"/api/v1/assets/{asset_id}/reports",
        json={"problem": "closed", "details": "Shut since March"},
    )
    assert response.status_code == 201
    assert "id" not in response.json()  # an anonymous caller gets a receipt, not an id
    assert response.json()["status"] == "open"
    (listed,) = client.get(QUEUE, headers=people["west"]).json()["reports"]
    assert (listed["asset_id"], listed["asset_name"]) == (asset_id, "Splott lunch club")
    assert (listed["problem"], listed["details"], listed["reported_by"]) == (
        "closed",
        "Shut since March",
        "anonymous",
    )
    assert client.get(QUEUE, headers=people["east"]).json()["reports"] == []
    assert events(session, "report", listed["id"]) == [("anonymous", "create")]


def test_a_report_is_resolved_or_dismissed_by_the_patch_connector(
    client: TestClient,
    session: Session,
    make_asset: Any,
    patches: Patches,
    people: dict[str, dict[str, str]],
) -> None:
    asset_id = make_asset(location=_point(patches.west_point))
    for problem in ("wrong", "other"):
        client.post(f"/api/v1/assets/{asset_id}/reports", json={"problem": problem})
    queued = client.get(QUEUE, headers=people["west"]).json()["reports"]
    reports = sorted(r["id"] for r in queued)
    first, second = (f"{QUEUE}/reports/{r}" for r in reports)
    assert (
        client.post(first, json={"decision": "resolved"}, headers=people["east"]).status_code == 404
    )
    resolved = client.post(first, json={"decision": "resolved"}, headers=people["west"])
    assert resolved.status_code == 200
    assert resolved.json()["status"] == "resolved"
    assert resolved.json()["decided_by"].startswith("connector:")
    dismissed = client.post(
        second,
        json={"decision": "dismissed", "reason": "Details are right"},
        headers=people["west"],
    )
    assert dismissed.status_code == 200
    assert (dismissed.json()["status"], dismissed.json()["reason"]) == (
        "dismissed",
        "Details are right",
    )
    assert client.get(QUEUE, headers=people["west"]).json()["reports"] == []
    again = client.post(first, json={"decision": "dismissed"}, headers=people["west"])
    assert again.status_code == 409
    assert [a for _actor, a in events(session, "report", reports[0])] == ["create", "resolved"]
    assert [a for _actor, a in events(session, "report", reports[1])] == ["create", "dismissed"]


def test_what_a_resident_cannot_see_cannot_be_reported(
    client: TestClient, session: Session, patches: Patches, people: dict[str, dict[str, str]]
) -> None:
    hidden = suggest(client, patches.west_point)
    person = client.post(
        "/api/v1/assets", json=person_body(location=_point(patches.west_point)), headers=ADMIN
    ).json()["id"]
    before = counts(session)
    for asset_id in (hidden, person, 999_999):
        for role in ("anonymous", "resident"):
            response = client.post(
                f"/api/v1/assets/{asset_id}/reports",
                json={"problem": "wrong"},
                headers=people[role],
            )
            assert response.status_code == 404, (asset_id, role)
    assert counts(session) == before


@pytest.mark.parametrize(
    "body",
    [
        {"problem": "gone"},
        {"problem": "closed", "details": "x" * 2001},
        {"problem": "closed", "status": "resolved"},
        {},
    ],
)
def test_a_bad_report_leaves_nothing_behind(
    client: TestClient, session: Session, make_asset: Any, body: dict[str, Any]
) -> None:
    asset_id = make_asset()
    before = counts(session)
    response = client.post(f"/api/v1/assets/{asset_id}/reports", json=body)
    assert response.status_code == 422
    assert counts(session) == before


# ---- rate limit --------------------------------------------------------------------------------


@pytest.fixture
def limited(settings: Settings) -> Iterator[TestClient]:
    """A client of an app that allows two anonymous writes an hour."""
    app = create_app(settings.model_copy(update={"anonymous_write_limit": "2/hour"}))
    with TestClient(app) as client:
        yield client


def test_anonymous_writes_are_rate_limited(
    limited: TestClient,
    session: Session,
    make_asset: Any,
    patches: Patches,
    people: dict[str, dict[str, str]],
) -> None:
    asset_id = make_asset(location=_point(patches.west_point))
    assert limited.post(SUGGESTIONS, json=suggestion_body(patches.west_point)).status_code == 201
    report = limited.post(f"/api/v1/assets/{asset_id}/reports", json={"problem": "closed"})
    assert report.status_code == 201
    before = counts(session)
    over = limited.post(SUGGESTIONS, json=suggestion_body(patches.west_point))
    assert over.status_code == 429
    assert 0 < int(over.headers["Retry-After"]) <= 3600
    assert "try again later" in over.json()["detail"]
    report = limited.post(f"/api/v1/assets/{asset_id}/reports", json={"problem": "closed"})
    assert report.status_code == 429
    assert counts(session) == before
    signed_in = limited.post(
        SUGGESTIONS, json=suggestion_body(patches.west_point), headers=people["resident"]
    )
    assert signed_in.status_code == 201


def test_refused_anonymous_writes_count_too(limited: TestClient) -> None:
    # The limit is taken before the body is read: invalid bodies are not free.
    for _ in range(2):
        assert limited.post(SUGGESTIONS, json={"kind": "skill"}).status_code == 422
    assert limited.post(SUGGESTIONS, json={"kind": "skill"}).status_code == 429
