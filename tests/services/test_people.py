"""People: public 1 km squares, consent that lapses and is renewed (counts: test_disclosure.py)."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pyproj import Transformer
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.main import create_app
from app.models import Asset, AuditEvent, PublicLocation
from app.schemas.assets import AssetCreate
from app.services.assets import records as asset_service
from app.services.people.consents import expire_consents
from app.services.people.grid import public_square
from app.settings import Settings
from app.spatial.geometry import geometry_from_db
from tests.conftest import ADMIN, Patches, person_body

TO_BNG = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
FROM_BNG = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
TO_EASE = Transformer.from_crs("EPSG:4326", "EPSG:6933", always_xy=True)


@pytest.mark.parametrize("point", [(-3.1566, 51.4812), (-4.2518, 55.8642), (-0.1276, 51.5072)])
def test_in_great_britain_the_public_point_is_the_centre_of_the_bng_square(
    point: tuple[float, float],
) -> None:
    square = public_square(*point)
    e, n = TO_BNG.transform(*point)
    ce, cn = TO_BNG.transform(square.lon, square.lat)

    assert square.grid == "EPSG:27700"
    assert (abs(ce - (e // 1000 * 1000 + 500)), abs(cn - (n // 1000 * 1000 + 500))) < (0.2, 0.2)
    assert square.cell == f"{int(e // 1000)}:{int(n // 1000)}"


def test_every_point_of_a_square_gets_the_same_public_point() -> None:
    corners = [(318000.5, 176000.5), (318999.5, 176999.5), (318500, 176001), (318001, 176998)]
    squares = {public_square(*FROM_BNG.transform(e, n)) for e, n in corners}
    assert len(squares) == 1


def test_outside_great_britain_an_equal_area_grid_is_used() -> None:
    square = public_square(2.3522, 48.8566)  # Paris
    x, y = TO_EASE.transform(2.3522, 48.8566)
    cx, cy = TO_EASE.transform(square.lon, square.lat)
    assert square.grid == "EPSG:6933"
    assert abs(cx - (x // 1000 * 1000 + 500)) < 0.2 and abs(cy - (y // 1000 * 1000 + 500)) < 0.2


def _person(session: Session, where: tuple[float, float], **overrides: Any) -> int:
    body = person_body(location={"type": "Point", "coordinates": list(where)}, **overrides)
    asset = asset_service.create_asset(session, actor="test", data=AssetCreate.model_validate(body))
    session.commit()
    return asset.id


def test_the_public_location_is_fixed_when_saved_and_moves_only_with_the_person(
    session: Session,
) -> None:
    person = _person(session, (-3.1566, 51.4812))
    stored = session.get(PublicLocation, person)
    assert stored is not None
    first = geometry_from_db(stored.location)
    assert (first.x, first.y) == (
        public_square(-3.1566, 51.4812).lon,
        public_square(-3.1566, 51.4812).lat,
    )

    asset_service.update_asset(
        session, viewer=ADMIN_VIEWER, asset_id=person, expected_version=None,
        data={"description_en": "Also baking"},
    )  # fmt: skip
    session.commit()
    session.refresh(stored)
    assert (geometry_from_db(stored.location).x, geometry_from_db(stored.location).y) == (
        first.x,
        first.y,
    )

    asset_service.update_asset(
        session, viewer=ADMIN_VIEWER, asset_id=person, expected_version=None,
        data={"location": {"type": "Point", "coordinates": [-3.2566, 51.4812]}},
    )  # fmt: skip
    session.commit()
    session.refresh(stored)
    assert geometry_from_db(stored.location).x == public_square(-3.2566, 51.4812).lon


from app.services.assets.visibility import SYSTEM as ADMIN_VIEWER  # noqa: E402


def test_lapsed_consent_unpublishes_is_listed_for_the_connector_and_can_be_renewed(
    client: TestClient, session: Session, patches: Patches, make_user: Any
) -> None:
    connector = make_user("connector", patch=[patches.west])
    person = _person(session, patches.west_point)
    session.execute(
        update(Asset)
        .where(Asset.id == person)
        .values(consent_expires_at=datetime.now(UTC) - timedelta(seconds=1))
    )
    session.commit()

    assert expire_consents(session) == [person]
    session.commit()

    lapsed = client.get("/api/v1/people/lapsed-consents", headers=connector).json()
    assert [(r["id"], r["status"]) for r in lapsed] == [(person, "pending")]
    republish = client.patch(
        f"/api/v1/assets/{person}",
        json={"status": "published"},
        headers={**connector, "If-Match": "*"},
    )
    assert republish.status_code == 422 and republish.json()["detail"][0]["loc"] == [
        "body",
        "status",
    ]
    renewed = client.post(
        f"/api/v1/assets/{person}/consents",
        json=person_body()["consent"],
        headers={**connector, "If-Match": "*"},
    )
    assert renewed.status_code == 200, renewed.text
    published = client.patch(
        f"/api/v1/assets/{person}",
        json={"status": "published"},
        headers={**connector, "If-Match": "*"},
    )
    assert published.status_code == 200
    assert client.get("/api/v1/people/lapsed-consents", headers=connector).json() == []
    actions = session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.entity_type == "asset", AuditEvent.entity_id == str(person))
        .order_by(AuditEvent.id)
    )
    assert list(actions) == ["create", "consent-expired", "consent", "update"]


def test_the_app_sweeps_lapsed_consent_when_it_starts(
    settings: Settings, session: Session, patches: Patches
) -> None:
    person = _person(session, patches.west_point)
    session.execute(
        update(Asset)
        .where(Asset.id == person)
        .values(consent_expires_at=datetime.now(UTC) - timedelta(days=1))
    )
    session.commit()

    with TestClient(create_app(settings.model_copy(update={"consent_sweep_seconds": 3600}))):
        pass

    session.expire_all()
    assert session.get(Asset, person).status == "pending"  # type: ignore[union-attr]


def test_consent_is_required_and_must_not_be_past_or_too_far(client: TestClient) -> None:
    past = person_body()
    past["consent"]["expires_at"] = "2020-01-01T00:00:00Z"
    far = person_body()
    far["consent"]["expires_at"] = (datetime.now(UTC) + timedelta(days=4 * 365)).isoformat()
    for body in (past, far):
        response = client.post("/api/v1/assets", json=body, headers=ADMIN)
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["body", "consent", "expires_at"]
