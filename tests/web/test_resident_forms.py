"""Residents' forms without a browser: suggest an asset, report a problem, ask for an
introduction. Each works without JavaScript, in both languages, refuses bad input field by
field (422, nothing stored) and keeps people to counts."""

import html as html_lib
import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.main import create_app
from app.models import Asset, AuditEvent, Introduction, Report
from app.schemas.assets import AssetCreate
from app.services import users
from app.services.assets.records import create_asset
from app.settings import Settings
from app.spatial.geometry import geometry_from_db
from tests.conftest import ADMIN, person_body, set_noise

SPLOTT = (-3.1566, 51.4812)
FORM = {"content-type": "application/x-www-form-urlencoded"}
PERSON = "Rhian Jones"


def _counts(session: Session) -> dict[str, int]:
    """Rows of everything a form may write (a fresh read: the app commits elsewhere)."""
    session.rollback()
    return {
        model.__name__: int(session.scalar(select(func.count()).select_from(model)) or 0)
        for model in (Asset, AuditEvent, Report, Introduction)
    }


def _errors(html: str) -> dict[str, str]:
    """The error summary: link target -> text."""
    summary = re.search(r'<div class="error-summary".*?</div>', html, re.S)
    assert summary, "no error summary"
    links = re.findall(r'<a href="#([\w-]+)">(.*?)</a>', summary.group(0), re.S)
    return {target: html_lib.unescape(text) for target, text in links}


def _field_error(html: str, name: str) -> str:
    found = re.search(
        rf'<span class="field-error" id="{name}-error">(.*?)</span>(.*?)</span>', html, re.S
    )
    assert found, f"no error beside {name}"
    return html_lib.unescape(found.group(2).strip())


def _suggestion(**overrides: str | list[str]) -> dict[str, Any]:
    form: dict[str, Any] = {
        "name_en": "Splott lunch club",
        "name_cy": "Clwb cinio Sblot",
        "kind": "group",
        "themes": ["food", "older_people"],
        "description": "Hot lunches on Tuesdays",
        "address": "Splott Road",
        "postcode": "cf24 2aa",
        "email": "lunch@example.org",
        "phone": "029 2000 0000",
        "website": "www.example.org",
        "note": "I go there every week",
        "lon": "",
        "lat": "",
    }
    form.update(overrides)
    return form


@pytest.fixture
def splott_postcode(add_postcode: Callable[[str, float, float], None]) -> str:
    add_postcode("CF24 2AA", *SPLOTT)
    return "CF24 2AA"


@pytest.fixture
def signed_in(session: Session, settings: Settings) -> Callable[[TestClient], str]:
    """Sign a client in as a new resident with a page session cookie; the cookie's value."""
    made = 0

    def sign_in(client: TestClient) -> str:
        nonlocal made
        made += 1
        user = users.create_user(
            session, email=f"resident{made}@example.org", role="resident", actor="test"
        )
        secret = users.start_session(session, user, key=settings.secret_key.get_secret_value())
        session.commit()
        client.cookies.set("assetmap_session", secret)
        return secret

    return sign_in


def _pending(session: Session) -> Asset:
    session.rollback()
    (asset,) = session.scalars(select(Asset)).all()
    return asset


def _point(asset: Asset) -> tuple[float, float]:
    point = geometry_from_db(asset.location)
    return point.x, point.y


# ---- suggest an asset --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "h1", "food", "action"),
    [("/suggest", "Suggest an asset", "Food", "/suggest"),
     ("/cy/suggest", "Awgrymu ased", "Bwyd", "/cy/suggest")],
)  # fmt: skip
def test_the_suggest_form_offers_no_people_and_labels_every_field(
    client: TestClient, path: str, h1: str, food: str, action: str
) -> None:
    response = client.get(path)
    assert response.status_code == 200
    html = response.text
    assert re.findall(r"<h1>(.*?)</h1>", html) == [h1]
    assert '<link rel="stylesheet" href="/static/css/forms.css">' in html
    assert f'<form class="resident-form" method="post" action="{action}" novalidate>' in html
    kinds = re.findall(r'name="kind" value="(\w+)"', html)
    assert kinds == ["group", "space", "organisation", "service", "business", "culture"]
    assert f'value="food" id="themes"> {food}</label>' in html
    for name in ("name_en", "name_cy", "description", "address", "postcode", "email", "phone",
                 "website", "note"):  # fmt: skip
        assert f'<label for="{name}">' in html and f'id="{name}" name="{name}"' in html
    # Without JavaScript the map stays hidden and the postcode gives the place.
    assert re.search(r'<div class="pick-location" data-pick-location hidden', html)
    assert '<input type="hidden" id="lon" name="lon" value="">' in html
    assert '<script src="/static/js/pick-location.js"></script>' in html
    assert "error-summary" not in html


def test_a_suggestion_by_postcode_is_stored_pending_and_hidden_from_the_public(
    client: TestClient, session: Session, splott_postcode: str
) -> None:
    response = client.post("/suggest", data=_suggestion(), follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/suggest/thank-you"
    thanks = client.get("/suggest/thank-you").text
    assert "will check your suggestion before it appears on the map" in thanks

    asset = _pending(session)
    assert (asset.status, asset.source, asset.kind) == ("pending", "suggestion", "group")
    assert (asset.name_en, asset.name_cy) == ("Splott lunch club", "Clwb cinio Sblot")
    assert asset.description_en == "Hot lunches on Tuesdays" and asset.description_cy is None
    assert asset.postcode == "CF24 2AA" and asset.website == "https://www.example.org/"
    assert sorted(asset.theme_codes) == ["food", "older_people"]
    assert _point(asset) == pytest.approx(SPLOTT)
    note = session.scalars(select(AuditEvent).where(AuditEvent.action == "suggest")).one()
    assert note.changes == {"note": [None, "I go there every week"]}
    # Pending: nobody but the connectors of its patch (and admins) sees it.
    assert client.get(f"/api/v1/assets/{asset.id}").status_code == 404
    assert "Splott lunch club" not in client.get("/search", params={"q": "splott"}).text
    assert client.get(f"/api/v1/assets/{asset.id}", headers=ADMIN).json()["status"] == "pending"


def test_a_welsh_suggestion_keeps_its_description_in_welsh_and_thanks_in_welsh(
    client: TestClient, session: Session, splott_postcode: str
) -> None:
    form = _suggestion(name_en="", description="Cinio poeth bob dydd Mawrth")
    response = client.post("/cy/suggest", data=form)
    assert response.status_code == 200 and response.url.path == "/cy/suggest/thank-you"
    assert '<html lang="cy">' in response.text and "Diolch" in response.text
    asset = _pending(session)
    assert asset.name_en is None and asset.name_cy == "Clwb cinio Sblot"
    assert asset.description_cy == "Cinio poeth bob dydd Mawrth" and asset.description_en is None


def test_a_map_click_gives_the_place_and_needs_no_postcode(
    client: TestClient, session: Session
) -> None:
    form = _suggestion(postcode="", lon="-3.17501", lat="51.49002")
    assert client.post("/suggest", data=form, follow_redirects=False).status_code == 303
    asset = _pending(session)
    assert _point(asset) == pytest.approx((-3.17501, 51.49002), abs=1e-9)
    assert asset.postcode is None


def test_bad_input_names_each_field_explains_it_keeps_the_values_and_stores_nothing(
    client: TestClient, session: Session
) -> None:
    before = _counts(session)
    form = _suggestion(
        name_en=" ", name_cy="", kind="", email="lunch-at-example.org", phone="call us",
        website="http://", note="x" * 2001, postcode="CF99 9ZZ", address="a" * 501,
    )  # fmt: skip
    response = client.post("/suggest", data=form)
    assert response.status_code == 422
    html = response.text
    assert _errors(html) == {
        "name_en": "Name in English: Enter the name in English, in Welsh, or both",
        "kind": "What kind of asset it is: Choose what kind of asset it is",
        "address": "Address: Enter an address of 500 characters or fewer",
        "postcode": "Postcode: We do not know this postcode: check it, or choose the place on "
        "the map",
        "email": "Email address: Enter an email address in the correct format, like "
        "name@example.org",
        "phone": "Phone number: Enter a phone number using numbers, spaces and brackets, like "
        "029 2087 2087",
        "website": "Website: Enter a web address in the correct format, like www.example.org",
        "note": "Note to the community connector: Enter a note of 2000 characters or fewer",
    }
    assert _field_error(html, "email").startswith("Enter an email address")
    assert 'aria-describedby="email-error" aria-invalid="true"' in html
    assert 'value="lunch-at-example.org"' in html and 'value="call us"' in html
    assert 'value="food" id="themes" checked>' in html  # ticked boxes stay ticked
    assert "<title>Error: Suggest an asset" in html
    assert _counts(session) == before


def test_errors_are_in_welsh_on_the_welsh_form(client: TestClient, session: Session) -> None:
    form = _suggestion(name_en="", name_cy="", postcode="", email="dim")
    html = client.post("/cy/suggest", data=form).text
    errors = _errors(html)
    assert set(errors) == {"name_en", "postcode", "email"}
    assert errors["name_en"] == ("Enw yn Saesneg: Rhowch yr enw yn Saesneg, yn Gymraeg, neu'r ddau")
    assert errors["postcode"].startswith("Cod post: Rhowch god post")
    assert "Enter a" not in html.split('<main id="main"', 1)[1]
    assert _counts(session)["Asset"] == 0


@pytest.mark.parametrize("kind", ["skill", "volunteer"])
def test_people_cannot_be_suggested(client: TestClient, session: Session, kind: str) -> None:
    response = client.post(
        "/suggest", data=_suggestion(postcode="", lon="-3.1", lat="51.4", kind=kind)
    )
    assert response.status_code == 422
    assert _errors(response.text)["kind"].startswith(
        "What kind of asset it is: People cannot be suggested here"
    )
    assert _counts(session)["Asset"] == 0


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"themes": ["food", "not_a_theme"]}, "themes", "Choose themes from the list"),
        ({"postcode": ""}, "postcode", "Enter a postcode, or choose the place on the map"),
        ({"postcode": "not a postcode"}, "postcode", "Enter a real postcode, like CF10 1AA"),
        ({"postcode": "", "lon": "-300", "lat": "51.4"}, "postcode",
         "The place chosen on the map is not valid: choose it again"),
        ({"postcode": "", "lon": "nan", "lat": "51.4"}, "postcode",
         "The place chosen on the map is not valid: choose it again"),
        ({"name_en": "Club\x01"}, "name_en",
         "The name in English has characters that cannot be saved: remove them"),
        ({"description": "d" * 5001}, "description",
         "Enter a description of 5000 characters or fewer"),
    ],
)  # fmt: skip
def test_each_bad_field_gets_its_own_message(
    client: TestClient,
    session: Session,
    splott_postcode: str,
    overrides: dict[str, Any],
    field: str,
    message: str,
) -> None:
    response = client.post("/suggest", data=_suggestion(**overrides))
    assert response.status_code == 422
    assert list(_errors(response.text)) == [field]
    assert _field_error(response.text, field) == message
    assert _counts(session)["Asset"] == 0


def test_a_form_post_with_a_session_cookie_from_another_site_is_refused(
    client: TestClient,
    session: Session,
    splott_postcode: str,
    signed_in: Callable[[TestClient], str],
) -> None:
    signed_in(client)
    before = _counts(session)
    posts = [
        ("/suggest", _suggestion()),
        ("/introductions/new", {"theme": "food", "postcode": "CF24 2AA"}),
    ]
    for path, form in posts:
        response = client.post(path, data=form, headers={"Origin": "https://evil.example"})
        assert response.status_code == 403, path
    assert _counts(session) == before
    same_site = client.post(
        "/suggest", data=_suggestion(), headers={"Origin": "http://testserver"},
        follow_redirects=False,
    )  # fmt: skip
    assert same_site.status_code == 303
    assert (_pending(session).created_by or "").startswith("resident:")  # the cookie counted


def test_anonymous_suggestions_are_rate_limited_like_the_api(
    settings: Settings, session: Session, splott_postcode: str
) -> None:
    limited = settings.model_copy(update={"anonymous_write_limit": "2/hour"})
    with TestClient(create_app(limited)) as client:
        for _ in range(2):
            ok = client.post("/suggest", data=_suggestion(), follow_redirects=False)
            assert ok.status_code == 303
        refused = client.post("/suggest", data=_suggestion(), follow_redirects=False)
        assert refused.status_code == 429
        # The API and the form share the one limit per address.
        body = {"kind": "group", "name_en": "Club", "location": {"type": "Point",
                "coordinates": list(SPLOTT)}}  # fmt: skip
        assert client.post("/api/v1/suggestions", json=body).status_code == 429
    assert _counts(session)["Asset"] == 2


# ---- report a problem --------------------------------------------------------------------------


def test_the_report_form_names_the_asset_in_the_page_language(
    client: TestClient, make_asset: Callable[..., int]
) -> None:
    asset_id = make_asset()
    english = client.get(f"/assets/{asset_id}/report").text
    assert "<strong>Splott lunch club</strong>" in english
    assert re.findall(r'name="problem" value="(\w+)"', english) == ["closed", "wrong", "other"]
    welsh = client.get(f"/cy/assets/{asset_id}/report").text
    assert "<strong>Clwb cinio Sblot</strong>" in welsh
    assert f'action="/cy/assets/{asset_id}/report"' in welsh
    assert "Mae wedi cau" in welsh


def test_a_report_is_recorded_for_the_connectors(
    client: TestClient, session: Session, make_asset: Callable[..., int]
) -> None:
    asset_id = make_asset()
    form = {"problem": "closed", "details": "Shut since March"}
    response = client.post(f"/cy/assets/{asset_id}/report", data=form, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/cy/assets/{asset_id}/report/thank-you"
    assert "Diolch" in client.get(response.headers["location"]).text
    session.rollback()
    row = session.scalars(select(Report)).one()
    assert (row.asset_id, row.problem, row.details, row.status) == (
        asset_id, "closed", "Shut since March", "open"
    )  # fmt: skip
    assert row.reported_by == "anonymous"


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"details": "gone"}, "problem", "Choose what is wrong"),
        ({"problem": "hated_it"}, "problem", "Choose what is wrong"),
        ({"problem": "wrong", "details": "x" * 2001}, "details",
         "Enter details of 2000 characters or fewer"),
    ],
)  # fmt: skip
def test_a_bad_report_is_refused_at_its_field(
    client: TestClient,
    session: Session,
    make_asset: Callable[..., int],
    form: dict[str, str],
    field: str,
    message: str,
) -> None:
    asset_id = make_asset()
    before = _counts(session)
    response = client.post(f"/assets/{asset_id}/report", data=form)
    assert response.status_code == 422
    assert list(_errors(response.text)) == [field]
    assert _field_error(response.text, field) == message
    assert form.get("details", "") in response.text  # what was typed is kept
    assert _counts(session) == before


def test_only_published_assets_may_be_reported(
    client: TestClient, session: Session, make_asset: Callable[..., int], add_assets: Any
) -> None:
    pending = make_asset(status="pending")
    (person,) = add_assets({"kind": "skill", "name_en": PERSON})
    for asset_id in (pending, person, 999_999):
        assert client.get(f"/assets/{asset_id}/report", headers=ADMIN).status_code == 404
        response = client.post(f"/assets/{asset_id}/report", data={"problem": "closed"})
        assert response.status_code == 404
        assert PERSON not in response.text
    assert _counts(session)["Report"] == 0


# ---- request an introduction -------------------------------------------------------------------


def add_people(session: Session, count: int, theme: str = "food") -> list[int]:
    """Consented, published people offering a theme, living in Splott; their ids."""
    ids = []
    for _ in range(count):
        at = {"type": "Point", "coordinates": list(SPLOTT)}
        body = person_body(name_en=PERSON, themes=[theme], location=at)
        ids.append(create_asset(session, actor="test", data=AssetCreate.model_validate(body)).id)
    session.commit()
    return ids


@pytest.fixture
def splott_area(session: Session) -> str:
    """A small area (level lsoa) holding Splott: people are counted for whole areas."""
    from shapely.geometry import MultiPolygon, box

    from app.services.needs.areas import AreaInput, save_areas

    shape = MultiPolygon([box(-3.20, 51.46, -3.12, 51.50)])
    area = AreaInput(1, "W01009999", "Splott test area", "Ardal prawf Sblot", 1500, None, shape)
    save_areas(session, level="lsoa", areas=[area], centroids={}, source="test")
    session.commit()
    return "Splott test area"


@pytest.mark.parametrize(
    ("path", "sign_in"),
    [("/introductions/new", 'href="/sign-in?next=/introductions/new"'),
     ("/cy/introductions/new", 'href="/cy/sign-in?next=/cy/introductions/new"')],
)  # fmt: skip
def test_visitors_are_told_to_sign_in_to_ask(client: TestClient, path: str, sign_in: str) -> None:
    html = client.get(path).text
    assert sign_in in html
    assert '<form class="resident-form"' not in html


def test_visitors_cannot_post_a_request(client: TestClient, session: Session) -> None:
    response = client.post("/introductions/new", data={"theme": "food", "postcode": "CF24 2AA"})
    assert response.status_code == 401
    assert _counts(session)["Introduction"] == 0


def test_a_signed_in_resident_sees_the_form_with_themes_in_their_language(
    client: TestClient, signed_in: Callable[[TestClient], str]
) -> None:
    signed_in(client)
    html = client.get("/cy/introductions/new").text
    assert '<option value="food">Bwyd</option>' in html
    assert 'action="/cy/introductions/new"' in html and "data-pick-location" in html
    assert "sign-in?next" not in html


@pytest.mark.parametrize(("people", "english", "welsh"), [
    (0, "Fewer than 5 people near here offer food.",
     "Mae llai na 5 o bobl gerllaw yn cynnig bwyd."),
    (7, "6 people near here offer food.", "Mae 6 o bobl gerllaw yn cynnig bwyd."),
])  # fmt: skip
def test_a_request_shows_only_the_published_count_of_the_area(
    client: TestClient,
    session: Session,
    splott_postcode: str,
    splott_area: str,
    signed_in: Callable[[TestClient], str],
    people: int,
    english: str,
    welsh: str,
) -> None:
    if people:
        set_noise(session, add_people(session, people), -1)
    signed_in(client)
    form = {"theme": "food", "postcode": "cf242aa", "message": "I would like to learn to cook"}
    response = client.post("/introductions/new", data=form)
    assert response.status_code == 200
    assert english in response.text
    assert f"“Near here” means {splott_area}, the area that holds the place" in response.text
    assert "will be in touch" in response.text
    assert PERSON not in response.text and "-3.15" not in response.text
    cymraeg = client.post("/cy/introductions/new", data={"theme": "food", "lon": "-3.1566",
                                                         "lat": "51.4812"})  # fmt: skip
    assert cymraeg.status_code == 200 and welsh in cymraeg.text
    session.rollback()
    rows = session.scalars(select(Introduction).order_by(Introduction.id)).all()
    assert [(r.theme_code, r.message) for r in rows] == [
        ("food", "I would like to learn to cook"), ("food", None)
    ]  # fmt: skip


def test_a_welsh_language_theme_keeps_its_capital(
    client: TestClient, signed_in: Callable[[TestClient], str]
) -> None:
    signed_in(client)
    form = {"theme": "welsh_language", "lon": "-3.1566", "lat": "51.4812"}
    assert "offer Welsh language." in client.post("/introductions/new", data=form).text
    assert "yn cynnig yr iaith Gymraeg." in client.post("/cy/introductions/new", data=form).text


@pytest.mark.parametrize(
    ("form", "errors"),
    [
        ({}, {"theme": "Choose a theme",
              "postcode": "Enter a postcode, or choose the place on the map"}),
        ({"theme": "food", "postcode": "CF99 9ZZ"},
         {"postcode": "We do not know this postcode: check it, or choose the place on the map"}),
        ({"theme": "food", "postcode": "nonsense"},
         {"postcode": "Enter a real postcode, like CF10 1AA"}),
        ({"theme": "nope", "postcode": "CF24 2AA", "message": "m" * 1001},
         {"theme": "Choose a theme", "message": "Enter a message of 1000 characters or fewer"}),
        ({"theme": "food", "lon": "1e999", "lat": "51"},
         {"postcode": "The place chosen on the map is not valid: choose it again"}),
    ],
)  # fmt: skip
def test_a_bad_request_is_refused_at_its_fields(
    client: TestClient,
    session: Session,
    splott_postcode: str,
    signed_in: Callable[[TestClient], str],
    form: dict[str, str],
    errors: dict[str, str],
) -> None:
    signed_in(client)
    before = _counts(session)
    response = client.post("/introductions/new", data=form)
    assert response.status_code == 422
    assert list(_errors(response.text)) == list(errors)
    for field, message in errors.items():
        assert _field_error(response.text, field) == message
    assert _counts(session) == before


def test_form_bodies_that_are_not_forms_are_refused_field_by_field(
    client: TestClient, session: Session
) -> None:
    response = client.post("/suggest", json={"name_en": "x", "kind": "group"})
    assert response.status_code == 422
    assert {"name_en", "kind", "postcode"} <= set(_errors(response.text))
    assert _counts(session)["Asset"] == 0
