"""People (skill, volunteer) never leave the server as records, except to admins and the
connectors of their patch: not to anonymous callers, residents, planners, or bulk exports."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.models import Asset
from app.models.base import utcnow
from app.services.assets.records import AssetFilters, count_assets, iter_assets, list_assets
from app.services.assets.visibility import ANONYMOUS, EXPORTER, Viewer
from app.spatial.geometry import point_element
from tests.conftest import ADMIN

PERSON_POINT = (-3.16123, 51.48456)


@pytest.fixture
def person_id(session: Session) -> int:
    """A published, consented volunteer with contacts, inserted directly (the API refuses)."""
    now = utcnow()
    person = Asset(
        kind="volunteer",
        name_en="Jane Jones (befriending)",
        search_text="jane jones befriending",
        location=point_element(*PERSON_POINT),
        email="jane@example.org",
        phone="07700 900123",
        status="published",
        consent_recorded_by="connector@example.org",
        consent_recorded_at=now,
        opening_hours=[],
        accessibility=[],
        languages=[],
        version=1,
        created_at=now,
        updated_at=now,
    )
    session.add(person)
    session.commit()
    return person.id


def test_services_leave_people_out_for_everyone(
    session: Session, person_id: int, make_asset
) -> None:
    group = make_asset()
    everything = AssetFilters(near=None)
    planner = Viewer(actor="planner:1", role="planner", user_id=1)
    resident = Viewer(actor="resident:2", role="resident", user_id=2)
    for viewer in (ANONYMOUS, EXPORTER, planner, resident):
        page = list_assets(session, viewer=viewer, filters=everything)
        assert [r["id"] for r in page.records] == [group]
        assert count_assets(session, viewer=viewer, filters=everything) == 1
        assert [r["id"] for r in iter_assets(session, viewer=viewer)] == [group]


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/assets",
        "/api/v1/assets?f=geojson",
        "/api/v1/assets?f=csv",
        "/api/v1/assets?kind=volunteer",
        "/api/v1/assets?q=jane",
        "/api/v1/assets?near=-3.16123,51.48456&radius_m=50",
        "/api/v1/assets?bbox=-3.162,51.484,-3.160,51.485",
    ],
)
def test_api_lists_never_show_people(
    client: TestClient, person_id: int, url: str, make_user: Any
) -> None:
    for headers in ({}, make_user("resident"), make_user("planner")):
        text = client.get(url, headers=headers).text
        assert "Jane" not in text and "jane@" not in text and "07700" not in text
        assert "3.16123" not in text and "51.48456" not in text


def test_a_person_by_id_is_not_found_but_by_admins(
    client: TestClient, person_id: int, make_user: Any
) -> None:
    assert client.get(f"/api/v1/assets/{person_id}", headers=ADMIN).status_code == 200
    for headers in ({}, make_user("resident"), make_user("planner")):
        response = client.get(f"/api/v1/assets/{person_id}", headers=headers)
        assert response.status_code == 404
        assert "Jane" not in response.text


def test_people_cannot_be_created_without_consent(client: TestClient) -> None:
    from tests.conftest import asset_body

    response = client.post("/api/v1/assets", json=asset_body(kind="skill"), headers=ADMIN)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "consent"]
    assert "consent record" in response.json()["detail"][0]["msg"]
