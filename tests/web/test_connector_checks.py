"""Marking assets as checked today: the 12-month list of the patch, the button on the asset's
form, the API endpoint behind both, and who may use them."""

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.models import Asset, AuditEvent
from app.services import patches as patch_service
from app.services import users
from app.services.assets.visibility import Viewer
from tests.conftest import ADMIN, Patches, asset_body, person_body

PASSWORD = "a long enough password"


def _sign_in(session: Session, client: TestClient, role: str, patch: list[str] | None) -> None:
    email = f"{role}-{len(patch or [])}-{id(client)}@example.org"
    users.create_user(session, email=email, role=role, actor="test", password=PASSWORD, patch=patch)
    session.commit()
    response = client.post("/sign-in", data={"email": email, "password": PASSWORD},
                           follow_redirects=False)  # fmt: skip
    assert response.status_code == 303


@pytest.fixture
def connector(client: TestClient, session: Session, patches: Patches) -> TestClient:
    """The client, signed in as a connector of the west patch."""
    _sign_in(session, client, "connector", [patches.west])
    return client


def _add(client: TestClient, where: tuple[float, float], **body: Any) -> int:
    point = {"type": "Point", "coordinates": list(where)}
    response = client.post("/api/v1/assets", json=asset_body(location=point, **body), headers=ADMIN)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _checked_on(session: Session, asset_id: int, when: datetime | None) -> None:
    session.execute(update(Asset).where(Asset.id == asset_id).values(last_verified_at=when))
    session.commit()


def _listed(html: str) -> list[str]:
    return re.findall(r'action="(?:/cy)?/connector/checks/(\d+)"', html)


# ---- the list --------------------------------------------------------------------------------


def test_the_twelve_month_boundary_is_exact(session: Session, client: TestClient,
                                            patches: Patches) -> None:  # fmt: skip
    now = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)
    cutoff = datetime(2025, 3, 31, 12, 0, tzinfo=UTC)
    ids = {name: _add(client, patches.west_point, name_en=name)
           for name in ("never", "at", "after", "long ago")}  # fmt: skip
    _checked_on(session, ids["at"], cutoff)
    _checked_on(session, ids["after"], cutoff + timedelta(seconds=1))
    _checked_on(session, ids["long ago"], cutoff - timedelta(days=400))
    viewer = Viewer(actor="admin", role="admin")

    due = patch_service.due_checks(session, viewer=viewer, now=now)

    assert due.checked_before == cutoff
    assert [a.id for a in due.assets] == [ids["never"], ids["long ago"], ids["at"]]
    assert due.total == 3


def test_twelve_months_before_a_month_end_is_that_months_end() -> None:
    moment = datetime(2028, 2, 29, 9, 0, tzinfo=UTC)
    assert patch_service.months_before(moment, 12) == datetime(2027, 2, 28, 9, 0, tzinfo=UTC)
    assert patch_service.months_before(datetime(2026, 1, 15, tzinfo=UTC), 13) == datetime(
        2024, 12, 15, tzinfo=UTC
    )


def test_the_list_holds_the_patchs_published_assets_oldest_first(
    connector: TestClient, session: Session, patches: Patches
) -> None:
    old = _add(connector, patches.west_point, name_en="Old hall")
    older = _add(connector, patches.west_point, name_en="Older hall")
    recent = _add(connector, patches.west_point, name_en="Recent hall")
    never = _add(connector, patches.west_point, name_en="Never checked hall")
    pending = _add(connector, patches.west_point, name_en="Pending hall", status="pending")
    east = _add(connector, patches.east_point, name_en="East hall")
    now = datetime.now(UTC)
    _checked_on(session, old, now - timedelta(days=400))
    _checked_on(session, older, now - timedelta(days=800))
    _checked_on(session, recent, now - timedelta(days=30))
    _checked_on(session, east, None)
    _checked_on(session, pending, None)

    response = connector.get("/connector/checks")

    assert response.status_code == 200
    assert _listed(response.text) == [str(never), str(older), str(old)]
    text = unescape(response.text)
    assert "3 assets are due a check." in text
    assert "Never" in text and (now - timedelta(days=800)).date().isoformat() in text
    assert 'aria-current="page">Checks due</a>' in response.text


def test_people_of_the_patch_are_listed_for_their_connector(
    connector: TestClient, patches: Patches
) -> None:
    point = {"type": "Point", "coordinates": list(patches.west_point)}
    made = connector.post("/api/v1/assets", json=person_body(location=point), headers=ADMIN)
    assert made.status_code == 201
    assert "Rhian Jones" in connector.get("/connector/checks").text


def test_the_list_is_capped_with_a_note(
    connector: TestClient, session: Session, patches: Patches, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(3):
        _add(connector, patches.west_point, name_en=f"Hall {n}")
    monkeypatch.setattr(patch_service, "DUE_CHECKS_SHOWN", 2)

    html = unescape(connector.get("/connector/checks").text)

    assert len(_listed(html)) == 2
    assert "3 assets are due a check." in html
    assert "The 2 checked longest ago are shown here" in html


def test_the_welsh_list_is_in_welsh(connector: TestClient, patches: Patches) -> None:
    _add(connector, patches.west_point)
    html = unescape(connector.get("/cy/connector/checks").text)
    assert '<html lang="cy">' in html
    assert re.findall(r"<h1>(.*?)</h1>", html) == ["Gwiriadau sy'n ddyledus"]
    assert "Nodi ei fod wedi'i wirio heddiw" in html


# ---- marking ---------------------------------------------------------------------------------


def test_marking_from_the_list_records_the_check_and_audits_it(
    connector: TestClient, session: Session, patches: Patches
) -> None:
    asset_id = _add(connector, patches.west_point)

    response = connector.post(f"/connector/checks/{asset_id}", data={"version": "1"},
                              follow_redirects=False)  # fmt: skip

    assert response.status_code == 303
    assert response.headers["location"] == "/connector/checks?done=checked"
    session.expire_all()
    asset = session.get(Asset, asset_id)
    assert asset is not None and asset.version == 2
    assert asset.last_verified_at is not None
    assert datetime.now(UTC) - asset.last_verified_at < timedelta(minutes=1)
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "check")).one()
    assert event.entity_id == str(asset_id) and event.actor.startswith("connector:")
    assert list(event.changes) == ["last_verified_at"]
    page = connector.get(response.headers["location"]).text
    assert "The asset was marked as checked today." in page
    assert _listed(page) == []


def test_a_stale_mark_is_refused_with_the_list_again(
    connector: TestClient, session: Session, patches: Patches
) -> None:
    asset_id = _add(connector, patches.west_point)
    renamed = connector.patch(f"/api/v1/assets/{asset_id}", json={"name_en": "Renamed"},
                              headers={**ADMIN, "If-Match": "*"})  # fmt: skip
    assert renamed.status_code == 200

    response = connector.post(f"/connector/checks/{asset_id}", data={"version": "1"})

    assert response.status_code == 412
    assert "Someone else changed this asset after you opened the page" in unescape(response.text)
    assert 'name="version" value="2"' in response.text
    session.expire_all()
    assert session.get(Asset, asset_id).last_verified_at is None  # type: ignore[union-attr]


def test_the_asset_form_marks_it_checked_today(
    connector: TestClient, session: Session, patches: Patches
) -> None:
    asset_id = _add(connector, patches.west_point)
    _checked_on(session, asset_id, datetime(2025, 5, 1, 10, tzinfo=UTC))
    edit = connector.get(f"/connector/assets/{asset_id}/edit").text
    assert "Someone last checked this asset on 2025-05-01." in edit
    assert f'action="/connector/assets/{asset_id}/checked"' in edit

    response = connector.post(f"/connector/assets/{asset_id}/checked", data={"version": "1"},
                              follow_redirects=False)  # fmt: skip

    assert response.status_code == 303
    assert response.headers["location"] == f"/connector/assets/{asset_id}/edit?done=checked"
    page = connector.get(response.headers["location"]).text
    assert "The asset was marked as checked today." in page
    assert f"Someone last checked this asset on {datetime.now(UTC).date().isoformat()}." in page
    assert '<input type="hidden" name="version" value="2">' in page


def test_a_stale_mark_on_the_asset_form_is_a_412(
    connector: TestClient, session: Session, patches: Patches
) -> None:
    asset_id = _add(connector, patches.west_point)
    connector.patch(f"/api/v1/assets/{asset_id}", json={"name_en": "Renamed"},
                    headers={**ADMIN, "If-Match": "*"})  # fmt: skip

    response = connector.post(f"/cy/connector/assets/{asset_id}/checked", data={"version": "1"})

    assert response.status_code == 412
    assert '<html lang="cy">' in response.text
    assert 'value="Renamed"' in response.text
    session.expire_all()
    assert session.get(Asset, asset_id).last_verified_at is None  # type: ignore[union-attr]


# ---- who may ---------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client: TestClient) -> None:
    response = client.get("/connector/checks", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=%2Fconnector%2Fchecks"
    assert client.post("/connector/checks/1", data={"version": "1"}).status_code == 401


@pytest.mark.parametrize("role", ["resident", "planner"])
def test_other_roles_may_not_see_or_mark(
    client: TestClient, session: Session, patches: Patches, role: str
) -> None:
    asset_id = _add(client, patches.west_point)
    _sign_in(session, client, role, None)
    assert client.get("/connector/checks").status_code == 403
    assert client.post(f"/connector/checks/{asset_id}", data={"version": "1"}).status_code == 403
    posted = client.post(f"/connector/assets/{asset_id}/checked", data={"version": "1"})
    assert posted.status_code == 403


def test_a_connector_cannot_mark_another_patchs_asset(
    connector: TestClient, session: Session, patches: Patches
) -> None:
    east = _add(connector, patches.east_point)
    assert connector.post(f"/connector/checks/{east}", data={"version": "1"}).status_code == 403
    session.expire_all()
    assert session.get(Asset, east).last_verified_at is None  # type: ignore[union-attr]


# ---- the API ---------------------------------------------------------------------------------


def test_the_api_marks_an_asset_checked_with_its_etag(client: TestClient, patches: Patches) -> None:
    asset_id = _add(client, patches.west_point)

    response = client.post(f"/api/v1/assets/{asset_id}/checks",
                           headers={**ADMIN, "If-Match": f'"a{asset_id}-v1"'})  # fmt: skip

    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == f'"a{asset_id}-v2"'
    assert response.json()["last_verified_at"] is not None
    stale = client.post(f"/api/v1/assets/{asset_id}/checks",
                        headers={**ADMIN, "If-Match": f'"a{asset_id}-v1"'})  # fmt: skip
    assert stale.status_code == 412
    assert client.post(f"/api/v1/assets/{asset_id}/checks", headers=ADMIN).status_code == 428


def test_the_api_documents_the_check(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/api/v1/assets/{asset_id}/checks"]
    assert operation["post"]["summary"] == "Mark an asset as checked today"
    assert {"401", "403", "404", "412", "428"} <= set(operation["post"]["responses"])


def test_the_dashboard_counts_the_checks_due(
    connector: TestClient, session: Session, patches: Patches
) -> None:
    _add(connector, patches.west_point)
    recent = _add(connector, patches.west_point)
    _checked_on(session, recent, datetime.now(UTC) - timedelta(days=3))
    html = connector.get("/connector").text
    assert re.search(r'href="/connector/checks">1 asset not checked for 12 months</a>', html)
