""" "I can help" pages: the resident's form (/offer), their offers (/my/offers) and the
connector's queue (/connector/offers), all without JavaScript."""

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Asset, Consent, Erasure, Offer
from app.services import users
from app.services.coproduction.offers import NOTICE_VERSION
from app.settings import Settings
from tests.conftest import ADMIN_TOKEN, Patches

XSS = "<script>alert(1)</script>"


@pytest.fixture
def settings(db: Any, db_url: str, tmp_path: Path) -> Settings:
    """The test settings, with the erasure ledger in the test's own directory."""
    return Settings(
        database_url=db_url, admin_token=ADMIN_TOKEN, erasure_ledger=tmp_path / "erasures.jsonl"
    )


def sign_in(
    client: TestClient, session: Session, settings: Settings, role: str = "resident", **kw: Any
) -> None:
    """Give the client a page session of a new user with this role."""
    n = int(session.scalar(select(func.count()).select_from(users.User)) or 0) + 1
    user = users.create_user(session, email=f"{role}{n}@example.org", role=role, actor="test", **kw)
    secret = users.start_session(session, user, key=settings.secret_key.get_secret_value())
    session.commit()
    client.cookies.set("assetmap_session", secret)


def form(where: tuple[float, float], **overrides: str) -> dict[str, str]:
    """A filled-in offer form (a place clicked on the map), consent ticked."""
    values = {
        "kind": "volunteer",
        "theme": "food",
        "title": "Helping at a lunch club",
        "description": "Fridays",
        "postcode": "",
        "lon": str(where[0]),
        "lat": str(where[1]),
        "notice_version": f"{NOTICE_VERSION}-en",
        "consent": "yes",
    }
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


def _errors(html: str) -> dict[str, str]:
    return dict(
        re.findall(r'<span class="field-error" id="([\w-]+)-error">.*?</span> ([^<]*)', html)
    )


def _stored(session: Session) -> tuple[int, int, int]:
    session.expire_all()
    return tuple(  # type: ignore[return-value]
        int(session.scalar(select(func.count()).select_from(m)) or 0)
        for m in (Asset, Offer, Consent)
    )


def test_visitors_are_asked_to_sign_in_in_their_language(client: TestClient) -> None:
    html = client.get("/offer").text
    assert "Sign in to offer your help" in html and "/sign-in?next=/offer" in html
    assert 'name="consent"' not in html
    assert "Mewngofnodwch i gynnig eich help" in client.get("/cy/offer").text
    assert client.post("/offer", data={}, follow_redirects=False).status_code == 401


def test_the_form_shows_the_notice_its_version_and_the_theme_asked_for(
    client: TestClient, session: Session, settings: Settings
) -> None:
    sign_in(client, session, settings)
    html = client.get("/offer?theme=older_people").text
    assert '<option value="older_people" selected>' in html
    assert f'name="notice_version" value="{NOTICE_VERSION}-en"' in html
    assert "1 km square you are in" in html
    welsh = client.get("/cy/offer").text
    assert f'value="{NOTICE_VERSION}-cy"' in welsh and "sgwâr 1 km" in welsh
    assert "Cynigiwch eich amser neu sgil" in welsh


def test_an_offer_is_stored_pending_and_the_resident_sees_it(
    client: TestClient, session: Session, settings: Settings, patches: Patches
) -> None:
    sign_in(client, session, settings)
    response = client.post(
        "/cy/offer",
        data=form(patches.west_point, notice_version=f"{NOTICE_VERSION}-cy"),
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/cy/my/offers?done=offered"
    assert _stored(session) == (1, 1, 1)
    consent = session.scalar(select(Consent))
    assert consent is not None and consent.notice_version == f"{NOTICE_VERSION}-cy"
    assert consent.method == "self-service"
    asset = session.scalar(select(Asset))
    assert asset is not None and asset.name_cy == "Helping at a lunch club"
    assert asset.status == "pending" and asset.kind == "volunteer"
    mine = client.get("/my/offers?done=offered").text
    assert "Helping at a lunch club" in mine and "Waiting for a community connector" in mine
    assert "Thank you." in mine


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"consent": None}, "consent"),
        ({"notice_version": "offer-2001-1-en"}, "consent"),
        ({"kind": "group"}, "kind"),
        ({"theme": ""}, "theme"),
        ({"title": ""}, "title"),
        ({"title": "x" * 301}, "title"),
        ({"lon": "", "lat": ""}, "postcode"),
        ({"lon": "500"}, "postcode"),
    ],
)
def test_a_bad_form_comes_back_with_its_error_and_nothing_is_stored(
    client: TestClient,
    session: Session,
    settings: Settings,
    patches: Patches,
    change: dict[str, Any],
    field: str,
) -> None:
    sign_in(client, session, settings)
    data = form(patches.west_point, **change)
    response = client.post("/offer", data=data)
    assert response.status_code == 422, response.text
    assert field in _errors(response.text), _errors(response.text)
    assert f'href="#{field}"' in response.text  # the error summary links to it
    if change.get("title") != "":
        assert "Fridays" in response.text  # what was typed is kept
    assert _stored(session) == (0, 0, 0)


def test_an_empty_form_names_every_field(
    client: TestClient, session: Session, settings: Settings
) -> None:
    sign_in(client, session, settings)
    response = client.post("/cy/offer", data={})
    assert response.status_code == 422
    errors = _errors(response.text)
    assert {"kind", "theme", "title", "postcode", "consent"} <= set(errors)
    assert errors["consent"].startswith("Ticiwch y blwch")


def test_a_resident_withdraws_their_offer_and_it_is_erased(
    client: TestClient, session: Session, settings: Settings, patches: Patches
) -> None:
    sign_in(client, session, settings)
    client.post("/offer", data=form(patches.west_point))
    offer = session.scalar(select(Offer))
    assert offer is not None
    asset_id = offer.asset_id
    response = client.post(f"/my/offers/{offer.id}/withdraw", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/my/offers?done=withdrawn"
    assert _stored(session) == (0, 0, 0)
    assert session.scalar(select(Erasure).where(Erasure.asset_id == asset_id)) is not None
    assert str(asset_id) in settings.erasure_ledger.read_text()  # type: ignore[union-attr]
    page = client.get("/my/offers?done=withdrawn").text
    assert "everything held about it was erased" in page
    assert "You have not offered anything yet." in page


def test_nobody_else_can_withdraw_an_offer(
    client: TestClient, session: Session, settings: Settings, patches: Patches
) -> None:
    sign_in(client, session, settings)
    client.post("/offer", data=form(patches.west_point))
    offer = session.scalar(select(Offer))
    assert offer is not None
    sign_in(client, session, settings)
    assert client.post(f"/my/offers/{offer.id}/withdraw").status_code == 404
    assert _stored(session) == (1, 1, 1)


def test_the_connector_queue_lists_the_patchs_offers_escaped(
    client: TestClient, session: Session, settings: Settings, patches: Patches
) -> None:
    sign_in(client, session, settings)
    client.post("/offer", data=form(patches.west_point, title=XSS))
    sign_in(client, session, settings, "connector", patch=[patches.east])
    assert "No offers are waiting." in client.get("/connector/offers").text
    sign_in(client, session, settings, "connector", patch=[patches.west])
    html = client.get("/connector/offers").text
    assert XSS not in html and "&lt;script&gt;" in html
    assert "mailto:resident" in html and "Area X01000001" in html
    assert "Cynigion o help" in client.get("/cy/connector/offers").text
    sign_in(client, session, settings)
    assert client.get("/connector/offers").status_code == 403


def test_declining_needs_a_reason_which_the_resident_then_reads(
    client: TestClient, session: Session, settings: Settings, patches: Patches
) -> None:
    resident = TestClient(client.app)
    sign_in(resident, session, settings)
    resident.post("/offer", data=form(patches.west_point))
    offer = session.scalar(select(Offer))
    assert offer is not None
    sign_in(client, session, settings, "connector", patch=[patches.west])
    url = f"/connector/offers/{offer.id}"
    response = client.post(url, data={"decision": "decline", "reason": ""})
    assert response.status_code == 422
    assert f"reason-{offer.id}" in _errors(response.text)
    assert client.post(url, data={"decision": "maybe"}).status_code == 422
    assert _stored(session) == (1, 1, 1)
    response = client.post(
        url,
        data={"decision": "decline", "reason": "No lunch club near you yet"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/connector/offers?done=declined"
    assert client.post(url, data={"decision": "confirm"}).status_code == 409
    mine = resident.get("/my/offers").text
    assert "No lunch club near you yet" in mine and "Declined" in mine
    assert _stored(session) == (0, 1, 0)


def test_confirming_publishes_the_person_record(
    client: TestClient, session: Session, settings: Settings, patches: Patches
) -> None:
    resident = TestClient(client.app)
    sign_in(resident, session, settings)
    resident.post("/offer", data=form(patches.west_point))
    offer = session.scalar(select(Offer))
    assert offer is not None
    sign_in(client, session, settings, "connector", patch=[patches.west])
    response = client.post(
        f"/connector/offers/{offer.id}", data={"decision": "confirm"}, follow_redirects=False
    )
    assert response.status_code == 303
    session.expire_all()
    asset = session.get(Asset, offer.asset_id)
    assert asset is not None and asset.status == "published"
    assert "Confirmed" in resident.get("/my/offers").text


def test_line_breaks_from_a_browser_textarea_are_kept(
    client: TestClient, session: Session, settings: Settings, patches: Patches
) -> None:
    sign_in(client, session, settings)
    data = form(patches.west_point, description="Fridays\r\nand Saturdays")
    assert client.post("/offer", data=data, follow_redirects=False).status_code == 303
    asset = session.scalar(select(Asset))
    assert asset is not None and asset.description_en == "Fridays\nand Saturdays"
