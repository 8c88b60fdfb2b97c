"""The connector pages without a browser: who may use them, the asset form, the work lists."""

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.models import Asset, AuditEvent, Introduction, Report
from app.services import users
from tests.conftest import ADMIN, Patches, asset_body, person_body

PASSWORD = "a long enough password"
XSS = "<script>alert(1)</script><img src=x onerror=alert(2)>"


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


def _point(where: tuple[float, float]) -> dict[str, Any]:
    return {"type": "Point", "coordinates": list(where)}


def _api_asset(client: TestClient, **body: Any) -> int:
    response = client.post("/api/v1/assets", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _count(session: Session) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(Asset)) or 0)


def _form(**overrides: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "name_en": "Adamsdown knit and natter",
        "name_cy": "Gweu a sgwrsio Adamsdown",
        "description_en": "",
        "description_cy": "",
        "kind": "group",
        "themes": ["loneliness_befriending", "older_people"],
        "lon": "-3.25",
        "lat": "51.45",
        "postcode": "cf24 1aa",
        "address": "1 Clifton Street",
        "email": "knit@example.org",
        "phone": "029 2000 0000",
        "website": "https://example.org/knit",
        "hours-0-day": "tue",
        "hours-0-opens": "10:00",
        "hours-0-closes": "12:00",
        "hours-1-day": "",
        "hours-1-opens": "",
        "hours-1-closes": "",
        "accessibility": ["step_free_access", "hearing_loop"],
        "languages": ["cy", "en"],
        "other_languages": "pl",
        "status": "published",
    }
    form.update(overrides)
    return form


# ---- who may use the pages ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "goes_to"),
    [
        ("/connector", "/sign-in?next=%2Fconnector"),
        ("/cy/connector/moderation", "/cy/sign-in?next=%2Fcy%2Fconnector%2Fmoderation"),
        ("/connector/assets/new", "/sign-in?next=%2Fconnector%2Fassets%2Fnew"),
    ],
)
def test_anonymous_visitors_are_sent_to_sign_in(
    client: TestClient, path: str, goes_to: str
) -> None:
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == goes_to


@pytest.mark.parametrize("role", ["resident", "planner"])
@pytest.mark.parametrize(
    ("path", "lang", "heading"),
    [("/connector", "en", "You cannot use this page"),
     ("/cy/connector/consents", "cy", "Ni allwch ddefnyddio'r dudalen hon")],
)  # fmt: skip
def test_other_roles_get_a_translated_403_page(
    client: TestClient, session: Session, role: str, path: str, lang: str, heading: str
) -> None:
    _sign_in(session, client, role, None)
    response = client.get(path)
    assert response.status_code == 403
    assert f'<html lang="{lang}">' in response.text
    assert re.findall(r"<h1>(.*?)</h1>", unescape(response.text)) == [heading]


# ---- the dashboard -----------------------------------------------------------------------------


def test_the_dashboard_lists_the_patch_with_its_people_and_nothing_else(
    connector: TestClient, patches: Patches
) -> None:
    west, east = _point(patches.west_point), _point(patches.east_point)
    _api_asset(connector, **asset_body(name_en="West hall", location=west))
    _api_asset(connector, **person_body(name_en="Rhian Jones", location=west))
    _api_asset(connector, **asset_body(name_en="East hall", location=east))
    _api_asset(connector, **person_body(name_en="Eastern person", location=east))

    html = connector.get("/connector").text

    assert "West hall" in html and "Rhian Jones" in html
    assert "East hall" not in html and "Eastern person" not in html
    assert "Skill (a person)" in html
    assert re.search(r'href="/connector/assets/\d+/edit"', html)


def test_the_dashboard_counts_what_waits(
    connector: TestClient, session: Session, patches: Patches, make_user: Any
) -> None:
    west = _point(patches.west_point)
    suggestion = {"kind": "group", "name_en": "Knit club", "location": west, "note": "Hi"}
    assert connector.post("/api/v1/suggestions", json=suggestion).status_code == 201
    published = _api_asset(connector, **asset_body(location=west))
    problem = {"problem": "closed", "details": "Shut"}
    connector.post(f"/api/v1/assets/{published}/reports", json=problem)
    person = _api_asset(connector, **person_body(location=west))
    session.execute(update(Asset).where(Asset.id == person)
                    .values(consent_expires_at=datetime.now(UTC) - timedelta(days=1)))  # fmt: skip
    session.commit()
    resident = make_user("resident")
    intro = {"theme": "food", "near": list(patches.west_point)}
    assert connector.post("/api/v1/introductions", json=intro, headers=resident).status_code == 201

    html = connector.get("/connector").text

    for text in ("1 suggestion waiting", "1 open report", "1 consent lapsed",
                 "0 consents end within 30 days", "1 new introduction request"):  # fmt: skip
        assert text in html, text


def test_typed_text_is_escaped_on_the_dashboard(connector: TestClient, patches: Patches) -> None:
    _api_asset(connector, **asset_body(name_en=XSS, location=_point(patches.west_point)))
    html = connector.get("/connector").text
    assert XSS not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;" in html


# ---- the asset form ----------------------------------------------------------------------------


def test_the_new_asset_form_offers_every_kind_and_welsh_theme_labels(
    connector: TestClient,
) -> None:
    html = connector.get("/cy/connector/assets/new").text
    kinds = re.findall(r'name="kind" value="(\w+)"', html)
    assert sorted(kinds) == sorted(["skill", "volunteer", "group", "space", "organisation",
                                    "service", "business", "culture"])  # fmt: skip
    assert "Unigrwydd a chyfeillio" in html
    assert re.search(r'<input type="number" id="lon" name="lon"', html)
    assert re.search(r'<input type="number" id="lat" name="lat"', html)
    assert 'class="folium-map"' in html and "/static/js/asset-form.js" in html
    assert re.findall(r"<h1>(.*?)</h1>", html) == ["Ychwanegu ased"]


def test_adding_an_asset_saves_it_and_confirms(connector: TestClient, session: Session) -> None:
    response = connector.post("/connector/assets/new", data=_form(), follow_redirects=False)

    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/connector?done=added"
    session.expire_all()
    asset = session.scalar(select(Asset).where(Asset.name_en == "Adamsdown knit and natter"))
    assert asset is not None
    assert asset.status == "published" and asset.postcode == "CF24 1AA"
    assert asset.theme_codes == ["loneliness_befriending", "older_people"]
    assert asset.opening_hours == [{"day": "tue", "opens": "10:00", "closes": "12:00"}]
    assert asset.languages == ["cy", "en", "pl"]
    assert asset.accessibility == ["hearing_loop", "step_free_access"] or set(
        asset.accessibility
    ) == {"hearing_loop", "step_free_access"}
    page = connector.get(response.headers["location"]).text
    assert "The asset was added." in page and "Adamsdown knit and natter" in page


def test_an_empty_place_is_looked_up_from_the_postcode(
    connector: TestClient, session: Session, add_postcode: Any
) -> None:
    add_postcode("CF5 1AA", -3.26, 51.47)
    form = _form(lon="", lat="", postcode="cf51aa")
    assert connector.post("/connector/assets/new", data=form,
                          follow_redirects=False).status_code == 303  # fmt: skip
    session.expire_all()
    asset = session.scalar(select(Asset).where(Asset.postcode == "CF5 1AA"))
    assert asset is not None


@pytest.mark.parametrize(
    ("path", "overrides", "field", "message"),
    [
        ("/connector/assets/new", {"name_en": "", "name_cy": ""}, "name_en",
         "Give a name in English or Welsh, or both"),
        ("/connector/assets/new", {"lon": "", "lat": "", "postcode": ""}, "lon",
         "Choose the place on the map, or give its postcode"),
        ("/connector/assets/new", {"lon": "", "lat": "", "postcode": "CF99 9ZZ"}, "postcode",
         "We do not know this postcode: choose the place on the map instead"),
        ("/connector/assets/new", {"email": "not an email"}, "email",
         "Enter an email address like name@example.org"),
        ("/connector/assets/new", {"hours-0-closes": "09:00"}, "hours-0-closes",
         "The closing time must be after opening"),
        ("/connector/assets/new", {"kind": ""}, "kind", "Choose what kind of asset this is"),
        ("/cy/connector/assets/new", {"website": "nope"}, "website",
         "Rhowch gyfeiriad gwe llawn, fel https://example.org"),
    ],
)  # fmt: skip
def test_a_wrong_answer_is_named_beside_its_field_and_nothing_is_saved(
    connector: TestClient,
    session: Session,
    path: str,
    overrides: dict[str, str],
    field: str,
    message: str,
) -> None:
    before = _count(session)
    response = connector.post(path, data=_form(**overrides), follow_redirects=False)

    assert response.status_code == 422
    html = response.text
    assert _count(session) == before
    assert f'<a href="#{field}">' in html  # the error summary links to the field
    assert f'id="{field}-error"' in html and message in html
    assert 'value="1 Clifton Street"' in html  # what was typed is kept


def test_a_place_outside_the_patch_is_refused(connector: TestClient, session: Session,
                                              patches: Patches) -> None:  # fmt: skip
    before = _count(session)
    east = patches.east_point
    form = _form(lon=str(east[0]), lat=str(east[1]))
    response = connector.post("/connector/assets/new", data=form)
    assert response.status_code == 403
    assert "This place is outside the areas you look after" in response.text
    assert _count(session) == before


def test_a_person_needs_consent_and_gets_it_recorded(
    connector: TestClient, session: Session
) -> None:
    form = _form(kind="skill", name_en="Gwen Evans", name_cy="")
    refused = connector.post("/connector/assets/new", data=form)
    assert refused.status_code == 422
    assert "Choose how the person gave their consent" in refused.text
    assert "Enter the date consent ends, like 2027-03-31" in refused.text

    too_long = (datetime.now(UTC) + timedelta(days=4 * 365)).date().isoformat()
    consent = {"consent_method": "written", "consent_notice_version": "2026-1",
               "consent_expires_at": too_long}  # fmt: skip
    refused = connector.post("/connector/assets/new", data={**form, **consent})
    assert refused.status_code == 422
    assert "Consent can last at most 3 years: ask again then" in refused.text

    ends = (datetime.now(UTC) + timedelta(days=365)).date().isoformat()
    form.update(consent_method="verbal", consent_notice_version="2026-1", consent_expires_at=ends)
    assert connector.post("/connector/assets/new", data=form,
                          follow_redirects=False).status_code == 303  # fmt: skip
    session.expire_all()
    person = session.scalar(select(Asset).where(Asset.name_en == "Gwen Evans"))
    assert person is not None and person.consent_expires_at is not None
    assert person.consent_expires_at.date().isoformat() == ends


def test_editing_keeps_to_the_version_that_was_opened(
    connector: TestClient, session: Session, patches: Patches
) -> None:
    asset_id = _api_asset(connector, **asset_body(location=_point(patches.west_point)))
    page = connector.get(f"/connector/assets/{asset_id}/edit").text
    assert 'value="Splott lunch club"' in page
    assert '<input type="hidden" name="version" value="1">' in page
    form = _form(name_en="Splott lunch club (Tuesdays)", version="1")
    # Someone else saves first.
    tag = connector.get(f"/api/v1/assets/{asset_id}", headers=ADMIN).headers["ETag"]
    changed = connector.patch(f"/api/v1/assets/{asset_id}", json={"name_cy": "Newydd"},
                              headers={**ADMIN, "If-Match": tag})  # fmt: skip
    assert changed.status_code == 200, changed.text

    stale = connector.post(f"/connector/assets/{asset_id}/edit", data=form)

    assert stale.status_code == 412
    assert "Someone else changed this asset" in stale.text
    assert 'value="Splott lunch club (Tuesdays)"' in stale.text
    assert '<input type="hidden" name="version" value="2">' in stale.text
    saved = connector.post(f"/connector/assets/{asset_id}/edit", data={**form, "version": "2"},
                           follow_redirects=False)  # fmt: skip
    assert saved.status_code == 303
    assert saved.headers["location"] == "/connector?done=saved"
    session.expire_all()
    assert session.get(Asset, asset_id).name_en == "Splott lunch club (Tuesdays)"  # type: ignore[union-attr]


def test_assets_outside_the_patch_cannot_be_edited(connector: TestClient, patches: Patches) -> None:
    east = _point(patches.east_point)
    public = _api_asset(connector, **asset_body(location=east))
    person = _api_asset(connector, **person_body(location=east))
    assert connector.get(f"/connector/assets/{public}/edit").status_code == 403
    assert connector.post(f"/connector/assets/{public}/edit", data=_form(version="1")
                          ).status_code == 403  # fmt: skip
    assert connector.get(f"/connector/assets/{person}/edit").status_code == 404
    assert connector.get("/connector/assets/999999/edit").status_code == 404


def test_a_cookie_post_from_another_site_is_refused(
    connector: TestClient, session: Session
) -> None:
    before = _count(session)
    response = connector.post("/connector/assets/new", data=_form(),
                              headers={"Origin": "https://evil.example"})  # fmt: skip
    assert response.status_code == 403
    assert _count(session) == before


# ---- the work lists ----------------------------------------------------------------------------


def _suggest(client: TestClient, patches: Patches, name: str, note: str) -> int:
    body = {"kind": "group", "name_en": name, "location": _point(patches.west_point), "note": note}
    response = client.post("/api/v1/suggestions", json=body)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def test_the_queue_shows_suggestions_escaped_and_publishes_them(
    connector: TestClient, session: Session, patches: Patches
) -> None:
    asset_id = _suggest(connector, patches, XSS, "A note <b>from</b> me")
    html = connector.get("/connector/moderation").text
    assert XSS not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "A note &lt;b&gt;from&lt;/b&gt; me" in html

    response = connector.post(f"/connector/moderation/suggestions/{asset_id}",
                              data={"decision": "publish"}, follow_redirects=False)  # fmt: skip

    assert response.status_code == 303
    assert response.headers["location"] == "/connector/moderation?done=publish"
    session.expire_all()
    assert session.get(Asset, asset_id).status == "published"  # type: ignore[union-attr]
    again = connector.post(f"/connector/moderation/suggestions/{asset_id}",
                           data={"decision": "publish"})  # fmt: skip
    assert again.status_code == 409


def test_rejecting_needs_a_reason_and_is_audited(
    connector: TestClient, session: Session, patches: Patches
) -> None:
    asset_id = _suggest(connector, patches, "Duplicate club", "")
    url = f"/connector/moderation/suggestions/{asset_id}"

    refused = connector.post(url, data={"decision": "reject", "reason": ""})
    assert refused.status_code == 422
    assert "Give a reason for rejecting it" in refused.text
    assert f'id="reason-{asset_id}-error"' in refused.text

    done = connector.post(url, data={"decision": "reject", "reason": "Listed twice"},
                          follow_redirects=False)  # fmt: skip
    assert done.status_code == 303
    session.expire_all()
    asset = session.get(Asset, asset_id)
    assert asset is not None and asset.status == "rejected"
    assert asset.moderation_reason == "Listed twice"
    events = session.scalars(select(AuditEvent.action).where(
        AuditEvent.entity_type == "asset", AuditEvent.entity_id == str(asset_id)))  # fmt: skip
    assert "reject" in list(events)


def test_reports_are_resolved_from_the_queue(
    connector: TestClient, session: Session, patches: Patches
) -> None:
    asset_id = _api_asset(connector, **asset_body(location=_point(patches.west_point)))
    problem = {"problem": "closed", "details": "Shut <i>for good</i>"}
    report = connector.post(f"/api/v1/assets/{asset_id}/reports", json=problem)
    report_id = report.json()["id"]
    assert "Shut &lt;i&gt;for good&lt;/i&gt;" in connector.get("/connector/moderation").text

    response = connector.post(f"/connector/moderation/reports/{report_id}",
                              data={"decision": "resolved", "reason": "Updated"},
                              follow_redirects=False)  # fmt: skip
    assert response.status_code == 303
    session.expire_all()
    assert session.get(Report, report_id).status == "resolved"  # type: ignore[union-attr]


def test_lapsed_consent_is_renewed_from_the_consents_page(
    connector: TestClient, session: Session, patches: Patches
) -> None:
    person = _api_asset(connector, **person_body(name_en="Rhian Jones",
                                                location=_point(patches.west_point)))  # fmt: skip
    session.execute(update(Asset).where(Asset.id == person)
                    .values(consent_expires_at=datetime.now(UTC) - timedelta(days=3)))  # fmt: skip
    session.commit()
    html = connector.get("/connector/consents").text
    assert "Rhian Jones" in html and "Consent lapsed on" in html

    ends = (datetime.now(UTC) + timedelta(days=700)).date().isoformat()
    bad = connector.post(f"/connector/consents/{person}",
                         data={"method": "", "notice_version": "v2", "expires_at": ends,
                               "version": "1"})  # fmt: skip
    assert bad.status_code == 422 and f'id="method-{person}-error"' in bad.text
    response = connector.post(f"/connector/consents/{person}",
                              data={"method": "written", "notice_version": "v2",
                                    "expires_at": ends, "version": "1"},
                              follow_redirects=False)  # fmt: skip
    assert response.status_code == 303, response.text
    session.expire_all()
    asset = session.get(Asset, person)
    assert asset is not None and asset.consent_expires_at is not None
    assert asset.consent_expires_at.date().isoformat() == ends
    assert "Rhian Jones" not in connector.get("/connector/consents").text


def test_introductions_are_listed_and_marked_done(
    connector: TestClient, session: Session, patches: Patches, make_user: Any
) -> None:
    resident = make_user("resident")
    body = {"theme": "food", "near": list(patches.west_point), "message": "Cooking <b>help</b>"}
    made = connector.post("/api/v1/introductions", json=body, headers=resident)
    intro_id = made.json()["id"]
    html = connector.get("/cy/connector/introductions").text
    assert "Bwyd" in html and "Cooking &lt;b&gt;help&lt;/b&gt;" in html

    response = connector.post(f"/cy/connector/introductions/{intro_id}", data={"status": "done"},
                              follow_redirects=False)  # fmt: skip
    assert response.status_code == 303
    assert response.headers["location"] == "/cy/connector/introductions?done=done"
    session.expire_all()
    assert session.get(Introduction, intro_id).status == "done"  # type: ignore[union-attr]
