"""Who uses what never leaves: not in any export, not in the audit trail, not to admins."""

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import AuditEvent, User
from app.services.imports.exports import export_assets
from tests.conftest import ADMIN


def _residents_who_use(
    client: TestClient, session: Session, make_user: Any, asset_id: int, count: int
) -> list[User]:
    headers = [make_user("resident") for _ in range(count)]
    for h in headers:
        assert client.put(f"/api/v1/assets/{asset_id}/use", headers=h).status_code == 200
    return list(session.scalars(select(User).where(User.role == "resident")))


def test_no_export_or_trail_holds_who_uses_what(
    client: TestClient, session: Session, make_asset: Any, make_user: Any, tmp_path: Path
) -> None:
    asset_id = make_asset()
    other = make_asset(name_en="Another club", name_cy="Clwb arall")
    residents = _residents_who_use(client, session, make_user, asset_id, 6)
    client.put(f"/api/v1/assets/{other}/use", headers=make_user("resident"))
    secrets = [u.email for u in residents] + [f"resident:{u.id}" for u in residents]
    ogc = "/ogc/collections/assets/items"
    outputs = {
        path: client.get(path, headers=ADMIN)
        for path in (
            "/api/v1/assets",
            "/api/v1/assets?f=geojson",
            "/api/v1/assets?f=csv",
            f"/api/v1/assets/{asset_id}",
            ogc,
            f"{ogc}/{asset_id}",
            f"{ogc}?f=json",
            "/openreferral/service_at_locations",
            "/openreferral/services",
            f"/api/v1/audit?entity_type=asset&entity_id={asset_id}",
            "/api/v1/audit",
            f"/api/v1/assets/{asset_id}/uses",
        )
    }
    for kind in ("csv", "geojson"):
        export_assets(session, tmp_path / f"assets.{kind}")
    files = {p.name: p.read_text(encoding="utf-8") for p in tmp_path.iterdir()}
    for name, response in outputs.items():
        assert response.status_code == 200, (name, response.text[:200])
    texts = {**{k: r.text for k, r in outputs.items() if r.status_code == 200}, **files}
    assert "/api/v1/assets" in texts and "assets.csv" in texts and "/api/v1/audit" in texts
    for name, text in texts.items():
        for secret in secrets:
            assert secret not in text, (name, secret)
        assert "asset_use" not in text and "you_use" not in text.replace(
            '"you_use_it":false', ""
        ), name
    # Not even a trail event without names: marks are not audited at all.
    session.expire_all()
    actors = set(session.scalars(select(AuditEvent.actor)))
    assert not any(a.startswith("resident:") for a in actors)
    types = set(session.scalars(select(AuditEvent.entity_type)))
    assert not types & {"asset_use", "use", "uses"}


def test_admins_see_only_the_count(
    client: TestClient, session: Session, make_asset: Any, make_user: Any
) -> None:
    asset_id = make_asset()
    _residents_who_use(client, session, make_user, asset_id, 2)
    admin = make_user("admin")
    body = client.get(f"/api/v1/assets/{asset_id}/uses", headers=admin).json()
    assert body == {"residents": None, "shown_as": "fewer than 5", "you_use_it": False}
