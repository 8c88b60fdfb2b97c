"""Deleting an account: uses, supports, offers and requests go; suggestions, reports and gaps
stay unattributed; and no copy of the email address is left in any table."""

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import JSON, String, Text, func, select
from sqlalchemy.orm import Session

from app.models import (
    Asset,
    AssetUse,
    AuditEvent,
    Base,
    Erasure,
    Gap,
    GapSupport,
    Introduction,
    Offer,
    Report,
)
from app.services import users
from tests.accounts.conftest import PASSWORD, confirmed_resident, outbox, user_of
from tests.conftest import Patches

EMAIL = "ffion@example.org"
HOME = [-3.15, 51.45]


def copies_of(session: Session, text: str) -> list[str]:
    """Every table.column whose text (JSON included) holds `text`, any case."""
    found = []
    session.expire_all()
    for table in Base.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, String | Text | JSON)]
        for row in session.execute(select(*columns)).all() if columns else []:
            for column, value in zip(columns, row, strict=True):
                shown = value if isinstance(value, str) else json.dumps(value)
                if text.lower() in shown.lower():
                    found.append(f"{table.name}.{column.name}")
    return found


def count(session: Session, model: Any, *conditions: Any) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(model).where(*conditions)) or 0)


@pytest.fixture
def everything(
    client: TestClient, session: Session, patches: Patches, make_asset: Any
) -> dict[str, int]:
    """A resident who used, offered, reported a gap, suggested (with their own address as the
    group's contact), reported a problem and asked for an introduction; their ids."""
    asset_id = make_asset()
    user = confirmed_resident(client, session, EMAIL, display_name="Ffion Evans")
    assert client.put(f"/api/v1/assets/{asset_id}/use").status_code == 200
    notice = client.get("/api/v1/offers/notice").json()["version"]
    offer = client.post(
        "/api/v1/offers",
        json={
            "kind": "skill",
            "theme": "food",
            "title": "Cooking on a budget",
            "near": HOME,
            "notice_version": f"{notice}-en",
            "consent": True,
        },
    )
    assert offer.status_code == 201, offer.text
    gap = client.post(
        "/api/v1/gaps", json={"theme": "food", "text": "No food bank near here", "near": HOME}
    )
    assert gap.status_code == 201, gap.text
    suggestion = client.post(
        "/api/v1/suggestions",
        json={
            "kind": "group",
            "name_en": "Ffion's walking group",
            "themes": ["older_people"],
            "location": {"type": "Point", "coordinates": HOME},
            "email": EMAIL.upper(),
        },
    )
    assert suggestion.status_code == 201, suggestion.text
    report = client.post(
        f"/api/v1/assets/{asset_id}/reports", json={"problem": "wrong", "details": "Wrong phone"}
    )
    assert report.status_code == 201, report.text
    intro = client.post("/api/v1/introductions", json={"theme": "food", "near": HOME})
    assert intro.status_code == 201, intro.text
    return {
        "user": user.id,
        "asset": asset_id,
        "offer": offer.json()["id"],
        "gap": gap.json()["id"],
        "suggestion": suggestion.json()["id"],
    }


def test_the_download_holds_everything_they_did(
    client: TestClient, session: Session, everything: dict[str, int]
) -> None:
    document = client.get("/api/v1/account/export").json()

    [offer] = document["offers"]
    assert offer["id"] == everything["offer"]
    assert offer["person_record"]["record"]["kind"] == "skill"
    assert [g["id"] for g in document["gaps_reported"]] == [everything["gap"]]
    assert [g["gap_id"] for g in document["gaps_supported"]] == [everything["gap"]]
    assert [s["id"] for s in document["suggestions"]] == [everything["suggestion"]]
    assert len(document["reports"]) == 1
    assert len(document["introductions"]) == 1
    assert "password_hash" not in json.dumps(document)


def test_deleting_the_account_leaves_no_copy_of_the_email_address(
    client: TestClient, session: Session, everything: dict[str, int]
) -> None:
    user_id = everything["user"]
    assert copies_of(session, EMAIL)  # the account, the suggestion, the queued email...
    wrong = client.request("DELETE", "/api/v1/account", json={"password": "not it at all"})
    assert wrong.status_code == 422
    assert user_of(session, EMAIL) is not None

    deleted = client.request("DELETE", "/api/v1/account", json={"password": PASSWORD})

    assert deleted.status_code == 204
    assert client.get("/api/v1/account").status_code == 401
    assert copies_of(session, EMAIL) == []
    assert copies_of(session, "Ffion Evans") == []
    assert user_of(session, EMAIL) is None
    # Theirs alone: gone.
    assert count(session, AssetUse, AssetUse.user_id == user_id) == 0
    assert count(session, AssetUse) == 0
    assert count(session, GapSupport) == 0
    assert count(session, Offer) == 0
    assert count(session, Introduction) == 0
    assert count(session, Erasure) == 1  # the offer's person record, erased with a tombstone
    assert outbox(session) == []
    # Public work: stays, unattributed.
    suggestion = session.get(Asset, everything["suggestion"])
    assert suggestion is not None
    assert (suggestion.created_by, suggestion.updated_by) == ("resident:deleted",) * 2
    assert suggestion.email is None
    [report] = session.scalars(select(Report)).all()
    assert report.reported_by == "resident:deleted"
    gap = session.get(Gap, everything["gap"])
    assert gap is not None and gap.reporter_id is None
    actors = {f"{role}:{user_id}" for role in ("resident", "connector", "planner", "admin")}
    assert count(session, AuditEvent, AuditEvent.actor.in_(actors)) == 0
    assert count(session, AuditEvent, AuditEvent.action == "delete-account") == 1


def test_the_page_deletes_the_account_after_the_password(
    client: TestClient, session: Session, everything: dict[str, int]
) -> None:
    wrong = client.post("/cy/account/delete", data={"delete_password": "not it at all"})
    assert wrong.status_code == 422
    assert "Nid dyna eich cyfrinair" in wrong.text

    done = client.post("/account/delete", data={"delete_password": PASSWORD})

    assert done.status_code == 200
    assert "Your account is deleted" in done.text
    assert client.get("/api/v1/account").status_code == 401
    assert copies_of(session, EMAIL) == []


def test_the_only_admin_cannot_delete_their_account(client: TestClient, session: Session) -> None:
    users.create_user(
        session, email="boss@example.org", role="admin", actor="test", password=PASSWORD
    )
    session.commit()
    client.post("/api/v1/auth/session", json={"email": "boss@example.org", "password": PASSWORD})

    response = client.request("DELETE", "/api/v1/account", json={"password": PASSWORD})

    assert response.status_code == 409
    assert user_of(session, "boss@example.org") is not None
