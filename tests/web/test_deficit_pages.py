"""The reported gaps pages without a browser: who may use them (the API's rules), the list
with the assets that could meet each gap, and adding, changing and closing a gap."""

import re
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import AuditEvent, Deficit
from app.services import users
from app.spatial.geometry import geometry_from_db
from tests.conftest import ADMIN, Patches, person_body

PASSWORD = "a long enough password"
SPLOTT = (-3.1566, 51.4812)
XSS = "<script>alert(1)</script><img src=x onerror=alert(2)>"
SQUARE = {
    "type": "Polygon",
    "coordinates": [[[-3.2, 51.47], [-3.15, 51.47], [-3.15, 51.5], [-3.2, 51.5], [-3.2, 51.47]]],
}
# Each write page, and a valid form for it (the edit and close forms at version 1).
WRITE_PAGES = ("/deficits/new", "/deficits/{id}/edit", "/deficits/{id}/close")


def _sign_in(
    session: Session, client: TestClient, role: str, patch: list[str] | None = None
) -> None:
    email = f"{role}-{id(client)}@example.org"
    users.create_user(session, email=email, role=role, actor="test", password=PASSWORD, patch=patch)
    session.commit()
    response = client.post("/sign-in", data={"email": email, "password": PASSWORD},
                           follow_redirects=False)  # fmt: skip
    assert response.status_code == 303


@pytest.fixture
def planner(client: TestClient, session: Session) -> TestClient:
    """The client, signed in as a planner."""
    _sign_in(session, client, "planner")
    return client


def _gap(client: TestClient, **overrides: Any) -> int:
    body: dict[str, Any] = {
        "theme": "food",
        "title_en": "No food bank open on Saturdays",
        "title_cy": "Dim banc bwyd ar agor ar ddydd Sadwrn",
        "severity": 4,
        "reporter": "Gwen Jones",
        "reported_on": "2025-03-01",
        "location": {"type": "Point", "coordinates": list(SPLOTT)},
    }
    body.update(overrides)
    response = client.post("/api/v1/deficits", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _form(**overrides: str) -> dict[str, str]:
    form = {
        "theme": "food",
        "title_en": "No lunch club since the hall closed",
        "title_cy": "Dim clwb cinio ers i\u2019r neuadd gau",
        "description_en": "The Tuesday lunch club met in the old hall.",
        "description_cy": "",
        "severity": "4",
        "postcode": "",
        "lon": f"{SPLOTT[0]}",
        "lat": f"{SPLOTT[1]}",
        "status": "open",
        "reported_on": "2025-06-02",
        "reporter": "Splott Tenants",
    }
    form.update(overrides)
    return form


def _stored(session: Session, deficit_id: int) -> Deficit:
    session.expire_all()
    deficit = session.get(Deficit, deficit_id)
    assert deficit is not None
    return deficit


def _titles(html: str) -> list[str]:
    """The first word of each gap's title ("Food" for "Food gap"), in list order."""
    return re.findall(r'<h2 id="gap-\d+"><span[^>]*>(\w+) gap</span>', html)


def _errors(html: str) -> list[str]:
    return re.findall(r'class="field-error" id="([\w-]+)-error"', html)


# ---- who may do what ---------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["", "/cy"])
def test_anybody_may_read_the_list_as_the_api_allows(
    client: TestClient, make_asset: Any, lang: str
) -> None:
    asset_id = make_asset()  # a published food group in Splott
    _gap(client)
    page = client.get(f"{lang}/deficits")
    assert page.status_code == 200
    assert ("No food bank open on Saturdays" if not lang else "Dim banc bwyd ar agor") in page.text
    assert f'href="{lang}/assets/{asset_id}"' in page.text
    # Changing is for planners, connectors and admins; so is who reported it.
    assert (
        "/edit" not in page.text and "/close" not in page.text and "/deficits/new" not in page.text
    )
    assert "Gwen Jones" not in page.text


@pytest.mark.parametrize("path", WRITE_PAGES)
def test_anonymous_visitors_are_sent_to_sign_in_and_may_not_post(
    client: TestClient, session: Session, path: str
) -> None:
    deficit_id = _gap(client)
    path = path.format(id=deficit_id)
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/sign-in?next=")
    assert client.post(path, data=_form(version="1")).status_code == 401
    stored = _stored(session, deficit_id)
    assert (stored.title_en, stored.status) == ("No food bank open on Saturdays", "open")
    assert len(session.scalars(select(Deficit)).all()) == 1


@pytest.mark.parametrize("path", WRITE_PAGES)
def test_residents_get_403_as_from_the_api(client: TestClient, session: Session, path: str) -> None:
    path = path.format(id=_gap(client))
    _sign_in(session, client, "resident")
    assert client.get(path).status_code == 403
    assert client.get("/cy" + path).status_code == 403
    assert client.post(path, data=_form(version="1")).status_code == 403
    session.expire_all()
    assert [d.status for d in session.scalars(select(Deficit))] == ["open"]


@pytest.mark.parametrize(
    ("role", "patch"),
    # The gaps are in the east area: a connector of the west may change them too (as in the API).
    [("planner", None), ("connector", "east"), ("connector", "west"), ("admin", None)],
)
def test_planners_connectors_of_any_patch_and_admins_may_write(
    client: TestClient, session: Session, patches: Patches, role: str, patch: str | None
) -> None:
    deficit_id = _gap(client)
    _sign_in(session, client, role, [getattr(patches, patch)] if patch else None)
    for path in WRITE_PAGES:
        assert client.get(path.format(id=deficit_id)).status_code == 200, path
    added = client.post("/deficits/new", data=_form(), follow_redirects=False)
    assert (added.status_code, added.headers["location"]) == (303, "/deficits?done=added")
    changed = client.post(f"/deficits/{deficit_id}/edit", data=_form(version="1"),
                          follow_redirects=False)  # fmt: skip
    assert (changed.status_code, changed.headers["location"]) == (303, "/deficits?done=saved")
    closed = client.post(f"/deficits/{deficit_id}/close", data={"version": "2"},
                         follow_redirects=False)  # fmt: skip
    assert (closed.status_code, closed.headers["location"]) == (303, "/deficits?done=closed")
    assert _stored(session, deficit_id).status == "addressed"
    page = client.get("/deficits?status=all")
    assert "Gwen Jones" not in page.text and "Splott Tenants" in page.text  # changed by the form
    assert 'href="/deficits/new"' in page.text


def test_a_bearer_token_is_held_to_the_same_rule(client: TestClient, make_user: Any) -> None:
    deficit_id = _gap(client)
    for role, status in (("resident", 403), ("planner", 200)):
        response = client.get(f"/deficits/{deficit_id}/edit", headers=make_user(role))
        assert response.status_code == status, role


def test_the_connector_nav_links_the_reported_gaps(
    client: TestClient, session: Session, patches: Patches
) -> None:
    _sign_in(session, client, "connector", [patches.west])
    page = client.get("/deficits")
    assert '<a href="/deficits" aria-current="page">Reported gaps</a>' in page.text
    assert 'href="/cy/deficits"' in client.get("/cy/connector").text


# ---- the list ----------------------------------------------------------------------------------


def test_each_open_gap_lists_the_published_assets_that_could_meet_it_nearest_first(
    planner: TestClient, make_asset: Any, patches: Patches
) -> None:
    near = make_asset(name_en="Splott lunch club", location={"type": "Point",
                      "coordinates": [SPLOTT[0] + 0.001, SPLOTT[1]]})  # fmt: skip
    nearer = make_asset(name_en="Splott pantry", themes=["food"])
    far = make_asset(name_en="Far pantry", location={"type": "Point", "coordinates": [-3.0, 51.6]})
    other = make_asset(name_en="Splott choir", themes=["arts_culture"])
    pending = make_asset(name_en="Pending pantry", status="pending")
    person = make_asset(**person_body(name_en="Rhian Jones"))
    _gap(planner, location={"type": "Point", "coordinates": [-3.25, 51.45]}, title_en="West gap")
    _gap(planner)
    page = unescape(planner.get("/deficits").text)
    splott = page[page.index("No food bank open on Saturdays") :]
    found = re.findall(r'href="/assets/(\d+)"', splott)
    assert found == [str(nearer), str(near)]
    assert "Area X01000001" in page  # the west gap lies in the west area
    assert "No community asset of this theme, or a related one, is held within 2 km." in page
    for hidden in (far, other, pending, person):
        assert f'href="/assets/{hidden}"' not in page
    assert "Rhian Jones" not in page


def test_the_list_filters_by_theme_and_status(planner: TestClient) -> None:
    _gap(planner, title_en="Food gap")
    _gap(planner, title_en="Bus gap", theme="transport")
    _gap(planner, title_en="Old gap", status="addressed")
    assert _titles(planner.get("/deficits").text) == ["Food", "Bus"]
    assert _titles(planner.get("/deficits?theme=transport").text) == ["Bus"]
    addressed = planner.get("/deficits?status=addressed").text
    assert _titles(addressed) == ["Old"]
    assert _titles(planner.get("/deficits?status=all").text) == ["Food", "Bus", "Old"]
    assert "/close" not in addressed  # an addressed gap has nothing to close
    assert planner.get("/deficits?theme=no_such_theme").status_code == 200  # ignored
    assert planner.get("/deficits?status=closed").status_code == 422


def test_the_list_pages_by_a_next_link(planner: TestClient) -> None:
    for n in range(22):
        _gap(planner, title_en=f"Gap {n:02d}")
    first = planner.get("/deficits")
    assert len(re.findall(r'<h2 id="gap-\d+"><span>Gap \d\d</span>', first.text)) == 20
    (more,) = re.findall(r'href="(/deficits\?[^"]*after=[^"]+)"', first.text)
    second = planner.get(unescape(more))
    assert re.findall(r'<h2 id="gap-\d+"><span>(Gap \d\d)</span>', second.text) == [
        "Gap 20",
        "Gap 21",
    ]


def test_typed_text_is_shown_as_text(client: TestClient) -> None:
    _gap(client, title_en=XSS, title_cy=None, description_en=XSS)
    for path in ("/deficits", "/cy/deficits"):
        page = client.get(path).text
        assert XSS not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert '<span lang="en">&lt;script&gt;' in client.get("/cy/deficits").text


# ---- adding ------------------------------------------------------------------------------------


def test_adding_a_gap_from_the_map_saves_it_and_confirms(
    planner: TestClient, session: Session
) -> None:
    response = planner.post("/cy/deficits/new", data=_form())
    assert response.status_code == 200
    assert str(response.url).endswith("/cy/deficits?done=added")
    assert "Mae\u2019r bwlch wedi\u2019i ychwanegu." in response.text
    (deficit,) = session.scalars(select(Deficit)).all()
    assert (deficit.theme_code, deficit.severity, deficit.status) == ("food", 4, "open")
    assert deficit.title_cy == "Dim clwb cinio ers i\u2019r neuadd gau"
    assert deficit.description_cy is None and deficit.reporter == "Splott Tenants"
    point = geometry_from_db(deficit.location)
    assert (point.x, point.y) == pytest.approx(SPLOTT)
    event = session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "deficit")).one()
    assert event.actor.startswith("planner") and event.action == "create"


def test_adding_a_gap_by_postcode_places_it_at_the_postcode(
    planner: TestClient, session: Session, add_postcode: Any
) -> None:
    add_postcode("CF24 2AA", -3.16, 51.48)
    form = _form(lon="", lat="", postcode="cf24 2aa", reported_on="")
    assert planner.post("/deficits/new", data=form, follow_redirects=False).status_code == 303
    (deficit,) = session.scalars(select(Deficit)).all()
    point = geometry_from_db(deficit.location)
    assert (point.x, point.y) == pytest.approx((-3.16, 51.48))
    assert deficit.reported_on is not None  # today, by default


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [({"title_en": "", "title_cy": ""}, ["title_en"]),
     ({"theme": "no_such_theme", "severity": "9"}, ["theme", "severity"]),
     ({"lon": "", "lat": "", "postcode": ""}, ["postcode"]),
     ({"lon": "", "lat": "", "postcode": "CF99 9ZZ"}, ["postcode"]),
     ({"lon": "", "lat": "", "postcode": "not a postcode"}, ["postcode"]),
     ({"lon": "200", "lat": "51"}, ["postcode"]),
     ({"reported_on": "2999-01-01", "status": "closed"}, ["status", "reported_on"]),
     ({"title_en": "x" * 301, "reporter": "\x07bell"}, ["title_en", "reporter"])],
)  # fmt: skip
def test_a_refused_form_comes_back_422_with_each_field_error_and_what_was_typed(
    planner: TestClient, session: Session, overrides: dict[str, str], fields: list[str]
) -> None:
    response = planner.post("/deficits/new", data=_form(**overrides))
    assert response.status_code == 422
    assert _errors(response.text) == fields
    assert "<title>Error:" in response.text
    assert 'value="Splott Tenants"' in response.text or "reporter" in fields
    assert "The Tuesday lunch club met in the old hall." in response.text
    assert session.scalars(select(Deficit)).all() == []


def test_refusals_are_in_welsh_on_the_welsh_form(planner: TestClient) -> None:
    response = planner.post("/cy/deficits/new", data=_form(title_en="", title_cy=""))
    assert response.status_code == 422
    assert "Rhowch deitl yn Saesneg, yn Gymraeg, neu\u2019r ddau" in response.text


# ---- changing ----------------------------------------------------------------------------------


def test_the_edit_form_is_filled_in_with_the_gap(planner: TestClient) -> None:
    deficit_id = _gap(planner)
    page = planner.get(f"/deficits/{deficit_id}/edit").text
    assert 'value="No food bank open on Saturdays"' in page
    assert 'name="version" value="1"' in page
    assert f'id="lon" name="lon" value="{SPLOTT[0]:.6f}"' in page
    assert 'value="4" id="severity-4" checked' in page
    assert 'value="2025-03-01"' in page and 'value="Gwen Jones"' in page


def test_a_stale_edit_is_412_keeps_what_was_typed_and_saves_on_the_second_try(
    planner: TestClient, session: Session
) -> None:
    deficit_id = _gap(planner)
    planner.get(f"/deficits/{deficit_id}/edit")  # opened at version 1
    meanwhile = planner.patch(f"/api/v1/deficits/{deficit_id}", json={"severity": 2},
                              headers={**ADMIN, "If-Match": f'"d{deficit_id}-v1"'})  # fmt: skip
    assert meanwhile.status_code == 200, meanwhile.text
    typed = _form(title_en="Typed while someone else saved", version="1")
    response = planner.post(f"/deficits/{deficit_id}/edit", data=typed)
    assert response.status_code == 412
    assert "Someone else changed this gap" in response.text
    assert 'value="Typed while someone else saved"' in response.text
    assert 'name="version" value="2"' in response.text
    assert _stored(session, deficit_id).title_en == "No food bank open on Saturdays"
    again = planner.post(f"/deficits/{deficit_id}/edit", data={**typed, "version": "2"},
                         follow_redirects=False)  # fmt: skip
    assert again.status_code == 303
    stored = _stored(session, deficit_id)
    assert (stored.title_en, stored.severity, stored.version) == (
        "Typed while someone else saved",
        4,
        3,
    )


def test_a_postcode_typed_on_the_edit_form_moves_the_gap(
    planner: TestClient, session: Session, add_postcode: Any
) -> None:
    add_postcode("CF5 1AA", -3.26, 51.47)
    deficit_id = _gap(planner)
    form = _form(version="1", lon=f"{SPLOTT[0]:.6f}", lat=f"{SPLOTT[1]:.6f}", postcode="CF5 1AA")
    assert planner.post(f"/deficits/{deficit_id}/edit", data=form).status_code == 200
    point = geometry_from_db(_stored(session, deficit_id).location)
    assert (point.x, point.y) == pytest.approx((-3.26, 51.47))


def test_a_gap_known_by_its_area_keeps_it_when_no_place_is_given(
    planner: TestClient, session: Session
) -> None:
    deficit_id = _gap(planner, location=None, area=SQUARE)
    page = planner.get(f"/deficits/{deficit_id}/edit").text
    assert "This gap covers an area" in page
    form = _form(version="1", lon="", lat="", title_en="Renamed")
    assert planner.post(f"/deficits/{deficit_id}/edit", data=form).status_code == 200
    stored = _stored(session, deficit_id)
    assert stored.title_en == "Renamed" and stored.location is None and stored.area is not None


def test_an_unknown_gap_is_404(planner: TestClient) -> None:
    for path in ("/deficits/999/edit", "/deficits/999/close"):
        assert planner.get(path).status_code == 404
    assert planner.post("/deficits/999/close", data={"version": "1"}).status_code == 404


# ---- closing -----------------------------------------------------------------------------------


def test_closing_asks_first_then_marks_the_gap_addressed(
    planner: TestClient, session: Session
) -> None:
    deficit_id = _gap(planner)
    confirm = planner.get(f"/cy/deficits/{deficit_id}/close")
    assert confirm.status_code == 200
    assert "Nodi bod y bwlch hwn wedi cael sylw?" in confirm.text
    assert 'name="version" value="1"' in confirm.text
    assert _stored(session, deficit_id).status == "open"  # looking is not closing
    done = planner.post(f"/cy/deficits/{deficit_id}/close", data={"version": "1"})
    assert str(done.url).endswith("/cy/deficits?done=closed")
    assert "Nodwyd bod y bwlch wedi cael sylw." in done.text
    assert "Dim banc bwyd" not in done.text  # the list shows open gaps
    stored = _stored(session, deficit_id)
    assert (stored.status, stored.version) == ("addressed", 2)
    event = session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "update", AuditEvent.entity_id == str(deficit_id)
        )
    ).one()
    assert event.changes["status"] == ["open", "addressed"]


def test_closing_a_gap_changed_meanwhile_is_412_and_shows_it_as_it_is_now(
    planner: TestClient, session: Session
) -> None:
    deficit_id = _gap(planner)
    planner.patch(f"/api/v1/deficits/{deficit_id}", json={"title_en": "Renamed meanwhile"},
                  headers={**ADMIN, "If-Match": "*"})  # fmt: skip
    response = planner.post(f"/deficits/{deficit_id}/close", data={"version": "1"})
    assert response.status_code == 412
    assert "Renamed meanwhile" in response.text
    assert 'name="version" value="2"' in response.text
    assert _stored(session, deficit_id).status == "open"
    missing = planner.post(f"/deficits/{deficit_id}/close", data={})
    assert missing.status_code == 412
