""" "I can help": a resident's offer is a pending person record with their own consent, in the
patch connector's queue; confirmed it is a person like any other, declined or withdrawn it is
erased through the erasure path (tombstone)."""

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.errors import Conflict
from app.models import Asset, AuditEvent, Consent, Erasure, Offer, User
from app.schemas.people import MAX_CONSENT
from app.services.coproduction import offers
from app.services.coproduction.offers import NOTICE_VERSION
from app.settings import Settings
from tests.conftest import ADMIN, ADMIN_TOKEN, Patches


@pytest.fixture
def settings(db: Any, db_url: str, tmp_path: Path) -> Settings:
    """The test settings, with the erasure ledger in the test's own directory."""
    return Settings(
        database_url=db_url, admin_token=ADMIN_TOKEN, erasure_ledger=tmp_path / "erasures.jsonl"
    )


def offer_body(where: tuple[float, float], **overrides: Any) -> dict[str, Any]:
    """A valid offer near a point, with consent to the current notice (read in English)."""
    body: dict[str, Any] = {
        "kind": "skill",
        "theme": "food",
        "title": "Teaching basic cooking",
        "description": "Tuesday evenings",
        "near": list(where),
        "notice_version": f"{NOTICE_VERSION}-en",
        "consent": True,
    }
    body.update(overrides)
    return body


def _offer(
    client: TestClient, headers: dict[str, str], where: tuple[float, float], **kw: Any
) -> Any:
    response = client.post("/api/v1/offers", json=offer_body(where, **kw), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def _counts(session: Session) -> tuple[int, ...]:
    session.expire_all()
    return tuple(
        int(session.scalar(select(func.count()).select_from(m)) or 0)
        for m in (Asset, Offer, Consent)
    )


def test_an_offer_is_a_pending_person_with_the_residents_own_consent(
    client: TestClient, session: Session, make_user: Any, patches: Patches
) -> None:
    resident = make_user("resident")
    made = _offer(client, resident, patches.west_point)
    assert made["status"] == "pending" and made["title"] == "Teaching basic cooking"
    session.expire_all()
    offer = session.get(Offer, made["id"])
    assert offer is not None and offer.asset_id is not None
    asset = session.get(Asset, offer.asset_id)
    assert asset is not None
    user = session.get(User, offer.user_id)
    assert user is not None
    assert (asset.kind, asset.status, asset.email) == ("skill", "pending", user.email)
    assert asset.theme_codes == ["food"]
    consent = session.scalar(select(Consent).where(Consent.asset_id == asset.id))
    assert consent is not None
    assert consent.method == "self-service"
    assert consent.recorded_by == f"resident:{user.id}"
    assert consent.notice_version == f"{NOTICE_VERSION}-en"
    now = datetime.now(UTC)
    assert now + timedelta(days=3 * 365 - 1) < consent.expires_at <= now + MAX_CONSENT


def test_a_welsh_offer_keeps_its_words_in_welsh(
    client: TestClient, session: Session, make_user: Any, patches: Patches
) -> None:
    made = _offer(
        client,
        make_user("resident"),
        patches.west_point,
        title="Dysgu coginio",
        language="cy",
        notice_version=f"{NOTICE_VERSION}-cy",
    )
    session.expire_all()
    offer = session.get(Offer, made["id"])
    assert offer is not None
    asset = session.get(Asset, offer.asset_id)
    assert asset is not None and (asset.name_cy, asset.name_en) == ("Dysgu coginio", None)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"consent": False}, "consent"),
        ({"consent": None}, "consent"),
        ({"notice_version": "offer-2019-1-en"}, "notice_version"),
        ({"notice_version": ""}, "notice_version"),
        ({"theme": "nope"}, "theme"),
        ({"theme": "bad theme!"}, "theme"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 301}, "title"),
        ({"description": "a\x00b"}, "description"),
        ({"kind": "group"}, "kind"),
        ({"near": [200, 51]}, "near"),
        ({"near": None}, None),
        ({"postcode": "CF10 1AA"}, None),
        ({"near": None, "postcode": "ZZ99 9ZZ"}, "postcode"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_a_bad_offer_is_refused_at_its_field_and_nothing_is_stored(
    client: TestClient,
    session: Session,
    make_user: Any,
    patches: Patches,
    change: dict[str, Any],
    field: str | None,
) -> None:
    body = offer_body(patches.west_point)
    body.update(change)
    body = {k: v for k, v in body.items() if v is not None}
    response = client.post("/api/v1/offers", json=body, headers=make_user("resident"))
    assert response.status_code == 422, response.text
    locs = [d["loc"] for d in response.json()["detail"]]
    if field is not None:
        assert any(field in loc for loc in locs), locs
    assert _counts(session) == (0, 0, 0)


def test_offering_needs_an_account(client: TestClient, patches: Patches) -> None:
    body = offer_body(patches.west_point)
    assert client.post("/api/v1/offers", json=body).status_code == 401
    assert client.post("/api/v1/offers", json=body, headers=ADMIN).status_code == 403


def test_only_the_connectors_of_the_patch_and_the_resident_see_an_offer(
    client: TestClient, make_user: Any, patches: Patches
) -> None:
    resident = make_user("resident")
    made = _offer(client, resident, patches.west_point)
    west = make_user("connector", patch=[patches.west])
    east = make_user("connector", patch=[patches.east])

    def ids(headers: dict[str, str], query: str = "") -> list[int]:
        response = client.get(f"/api/v1/offers{query}", headers=headers)
        assert response.status_code == 200, response.text
        return [o["id"] for o in response.json()["items"]]

    queue = client.get("/api/v1/offers", headers=west).json()["items"]
    assert [o["id"] for o in queue] == [made["id"]]
    assert queue[0]["contact_email"].endswith("@example.org") and queue[0]["area"]
    assert ids(east) == []
    assert ids(ADMIN) == [made["id"]]
    assert ids(resident) == [made["id"]]
    assert ids(make_user("resident")) == []
    assert ids(make_user("planner")) == []
    assert ids(west, "?mine=true") == []
    assert client.get("/api/v1/offers").status_code == 401


def test_a_connector_confirms_an_offer_of_their_patch_once(
    client: TestClient, session: Session, make_user: Any, patches: Patches
) -> None:
    resident = make_user("resident")
    made = _offer(client, resident, patches.west_point)
    west = make_user("connector", patch=[patches.west])
    east = make_user("connector", patch=[patches.east])
    url = f"/api/v1/offers/{made['id']}/confirm"
    assert client.post(url, headers=resident).status_code == 403
    assert client.post(url, headers=east).status_code == 404
    response = client.post(url, headers=west)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "confirmed"
    assert client.post(url, headers=west).status_code == 409
    session.expire_all()
    offer = session.get(Offer, made["id"])
    assert offer is not None and offer.status == "confirmed" and offer.decided_at is not None
    asset = session.get(Asset, offer.asset_id)
    assert asset is not None and asset.status == "published"
    assert client.post("/api/v1/offers/999999/confirm", headers=west).status_code == 404


def test_declining_needs_a_reason_the_resident_sees_and_erases_the_record(
    client: TestClient, session: Session, make_user: Any, patches: Patches, settings: Settings
) -> None:
    resident = make_user("resident")
    made = _offer(client, resident, patches.west_point)
    west = make_user("connector", patch=[patches.west])
    url = f"/api/v1/offers/{made['id']}/decline"
    for bad in ({}, {"reason": ""}, {"reason": "   "}, {"reason": "x" * 2001}):
        response = client.post(url, json=bad, headers=west)
        assert response.status_code == 422, (bad, response.text)
        assert response.json()["detail"][0]["loc"][:2] == ["body", "reason"]
    session.expire_all()
    asset_id = session.get(Offer, made["id"]).asset_id  # type: ignore[union-attr]
    assert asset_id is not None and session.get(Asset, asset_id) is not None
    email = session.get(Asset, asset_id).email  # type: ignore[union-attr]
    response = client.post(url, json={"reason": "We already have a cook here"}, headers=west)
    assert response.status_code == 200, response.text
    assert client.post(url, json={"reason": "again"}, headers=west).status_code == 409
    session.expire_all()
    assert session.get(Asset, asset_id) is None
    assert session.scalar(select(Erasure).where(Erasure.asset_id == asset_id)) is not None
    assert f'"asset_id": {asset_id}' in settings.erasure_ledger.read_text().replace(  # type: ignore[union-attr]
        '"asset_id":', '"asset_id": '
    )
    trail = " ".join(str(e.changes) for e in session.scalars(select(AuditEvent)))
    assert email not in trail and "Tuesday evenings" not in trail
    mine = client.get("/api/v1/offers", headers=resident).json()["items"]
    assert mine[0]["status"] == "declined"
    assert mine[0]["decline_reason"] == "We already have a cook here"
    assert mine[0]["asset_id"] is None and mine[0]["contact_email"] is None


def test_withdrawing_erases_the_record_with_a_tombstone(
    client: TestClient, session: Session, make_user: Any, patches: Patches
) -> None:
    resident = make_user("resident")
    made = _offer(client, resident, patches.west_point)
    session.expire_all()
    asset_id = session.get(Offer, made["id"]).asset_id  # type: ignore[union-attr]
    assert (
        client.delete(f"/api/v1/offers/{made['id']}", headers=make_user("resident")).status_code
        == 404
    )
    assert client.delete(f"/api/v1/offers/{made['id']}", headers=ADMIN).status_code == 404
    assert client.delete(f"/api/v1/offers/{made['id']}", headers=resident).status_code == 204
    assert client.delete(f"/api/v1/offers/{made['id']}", headers=resident).status_code == 404
    session.expire_all()
    assert session.get(Offer, made["id"]) is None and session.get(Asset, asset_id) is None
    tombstone = session.scalar(select(Erasure).where(Erasure.asset_id == asset_id))
    assert tombstone is not None and tombstone.erased_by.startswith("resident:")
    assert _counts(session) == (0, 0, 0)


def test_withdraw_all_erases_every_offer_of_a_resident(
    client: TestClient, session: Session, make_user: Any, patches: Patches
) -> None:
    resident = make_user("resident")
    other = make_user("resident")
    first = _offer(client, resident, patches.west_point)
    _offer(client, resident, patches.east_point, kind="volunteer", title="Driving")
    kept = _offer(client, other, patches.west_point)
    west = make_user("connector", patch=[patches.west])
    client.post(f"/api/v1/offers/{first['id']}/confirm", headers=west)
    session.expire_all()
    user_id = session.get(Offer, first["id"]).user_id  # type: ignore[union-attr]
    assert [v.status for v in offers.offers_of(session, user_id)] == ["pending", "confirmed"]
    assert offers.withdraw_all(session, user_id=user_id, actor="system") == 2
    session.commit()
    assert offers.offers_of(session, user_id) == []
    assert _counts(session) == (1, 1, 1)
    assert [o.id for o in session.scalars(select(Offer))] == [kept["id"]]
    assert len(list(session.scalars(select(Erasure)))) == 2


def test_a_confirmed_offer_is_public_only_as_a_count(
    client: TestClient, session: Session, make_user: Any, patches: Patches
) -> None:
    from tests.conftest import set_noise

    west = make_user("connector", patch=[patches.west])
    residents = [make_user("resident") for _ in range(6)]
    made = [_offer(client, h, patches.west_point) for h in residents]
    for offer in made:
        assert client.post(f"/api/v1/offers/{offer['id']}/confirm", headers=west).status_code == 200
    session.expire_all()
    asset_ids = [session.get(Offer, o["id"]).asset_id for o in made]  # type: ignore[union-attr]
    set_noise(session, asset_ids, 0)  # type: ignore[arg-type]
    counts = "/api/v1/people/counts?theme=food&area=" + patches.west
    for headers in ({}, residents[0], make_user("planner")):
        assert client.get(counts, headers=headers).json()["items"][0]["people"] == 6
        listed = client.get("/api/v1/assets?kind=skill&status=published", headers=headers)
        assert listed.status_code in (200, 403) and "Teaching basic cooking" not in listed.text
        for asset_id in asset_ids:
            record = client.get(f"/api/v1/assets/{asset_id}", headers=headers)
            assert record.status_code == 404 and "example.org" not in record.text
        for path in ("/ogc/collections/assets/items", "/openreferral/services"):
            assert "Teaching basic cooking" not in client.get(path, headers=headers).text
    # The connector of the patch sees the records themselves.
    assert client.get(f"/api/v1/assets/{asset_ids[0]}", headers=west).status_code == 200


def test_the_notice_is_published_in_both_languages(client: TestClient) -> None:
    notice = client.get("/api/v1/offers/notice").json()
    assert notice["version"] == NOTICE_VERSION
    assert "1 km" in notice["text_en"] and "1 km" in notice["text_cy"]
    assert notice["text_en"] != notice["text_cy"]


def test_an_offer_whose_record_a_connector_erased_cannot_be_decided(
    client: TestClient, session: Session, make_user: Any, patches: Patches
) -> None:
    from app.services.people import erasure

    made = _offer(client, make_user("resident"), patches.west_point)
    session.expire_all()
    asset_id = session.get(Offer, made["id"]).asset_id  # type: ignore[union-attr]
    erasure.erase_person(session, asset_id, actor="admin")  # type: ignore[arg-type]
    session.commit()
    west = make_user("connector", patch=[patches.west])
    assert client.post(f"/api/v1/offers/{made['id']}/confirm", headers=west).status_code == 404
    assert client.get("/api/v1/offers", headers=west).json()["items"] == []


def test_of_two_connectors_deciding_at_once_one_wins(
    client: TestClient, session: Session, make_user: Any, patches: Patches, engine: Any
) -> None:
    from app.services.assets.visibility import Viewer

    made = _offer(client, make_user("resident"), patches.west_point)
    connector = Viewer(actor="admin:0", role="admin")
    session.expire_all()
    stale = session.get(Offer, made["id"])  # this connector opened the queue...
    assert stale is not None and stale.status == "pending"
    with Session(engine, expire_on_commit=False) as other:  # ...another one decided first
        offers.confirm(other, connector, made["id"])
        other.commit()
    with pytest.raises(Conflict):
        offers.decline(session, connector, made["id"], "Not in our area")
    session.rollback()
    session.expire_all()
    offer = session.get(Offer, made["id"])
    assert offer is not None and offer.status == "confirmed" and offer.decline_reason is None
    assert session.get(Asset, offer.asset_id) is not None  # not erased by the loser
