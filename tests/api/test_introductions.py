"""Asking for an introduction: routed to the connectors of the patch, never to a person."""

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from shapely.geometry import MultiPolygon, box
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import AuditEvent, Introduction
from app.schemas.assets import AssetCreate
from app.services.assets.records import create_asset
from app.services.needs.areas import AreaInput, save_areas
from app.services.needs.postcodes import import_postcodes
from app.services.people.grid import public_square
from tests.conftest import ADMIN, person_body, set_noise

URL = "/api/v1/introductions"
# Two side-by-side LSOA-sized squares in Cardiff, and a ward holding the western one.
WEST = box(-3.25, 51.45, -3.15, 51.52)
EAST = box(-3.15, 51.45, -3.05, 51.52)
WARD = box(-3.26, 51.44, -3.14, 51.53)
# A requester's exact point, well inside WEST (its 1 km square's centre is too).
HOME = (-3.2012345, 51.4876543)
IN_EAST = (-3.1, 51.485)
# Nowhere near any loaded area.
ELSEWHERE = (-4.0, 52.4)
PERSON_SECRETS = ("Rhian", "rhian@example.org", "029 2000 0000", "cooking")


def _area(number: int, code: str, shape: Any) -> AreaInput:
    return AreaInput(
        number=number,
        code=code,
        name_en=f"Area {code}",
        name_cy=None,
        population=1500,
        parent_code=None,
        geom=MultiPolygon([shape]),
    )


@pytest.fixture
def patches(session: Session) -> None:
    """LSOAs W01000001 (west) and W01000002 (east), and ward W05000001 around the west one."""
    save_areas(
        session,
        level="lsoa",
        areas=[_area(1, "W01000001", WEST), _area(2, "W01000002", EAST)],
        centroids={},
        source="test",
    )
    save_areas(
        session, level="ward", areas=[_area(3, "W05000001", WARD)], centroids={}, source="test"
    )
    session.commit()


def add_people(
    session: Session, count: int, at: tuple[float, float], theme: str = "food"
) -> list[int]:
    """Consented, published people offering a theme, living at a point; their ids."""
    ids = []
    for _ in range(count):
        body = person_body(themes=[theme], location={"type": "Point", "coordinates": list(at)})
        ids.append(create_asset(session, actor="test", data=AssetCreate.model_validate(body)).id)
    session.commit()
    return ids


def ask(client: TestClient, headers: dict[str, str], **body: Any) -> Any:
    """POST a request (theme food near HOME unless told otherwise)."""
    payload: dict[str, Any] = {"theme": "food", "near": list(HOME), **body}
    payload = {k: v for k, v in payload.items() if v is not None}
    return client.post(URL, json=payload, headers=headers)


def listed_ids(client: TestClient, headers: dict[str, str]) -> list[int]:
    """Ids of the requests a caller sees."""
    response = client.get(URL, headers=headers)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def assert_no_person(text: str) -> None:
    """Nothing of a person-linked record in a response."""
    for secret in PERSON_SECRETS:
        assert secret not in text


# ---- asking ------------------------------------------------------------------------------------


def test_a_resident_asks_near_a_point_and_gets_the_square_centre_not_their_point(
    client: TestClient, session: Session, make_user: Any, patches: None
) -> None:
    resident = make_user("resident")
    response = ask(client, resident, message="I would like to learn to cook")
    assert response.status_code == 201, response.text
    body = response.json()
    square = public_square(*HOME)
    assert body["location"] == {"type": "Point", "coordinates": [square.lon, square.lat]}
    assert (square.lon, square.lat) != HOME
    assert "2012345" not in response.text and "4876543" not in response.text
    assert body["theme"] == "food" and body["theme_label_en"] == "Food"
    assert body["status"] == "open"
    assert body["area"]["code"] == "W01000001"  # the smallest level: the LSOA, not the ward
    assert body["message"] == "I would like to learn to cook"
    assert body["requester_email"] is None  # residents get nobody's contact, not even their own
    assert response.headers["location"].endswith(f"{URL}/{body['id']}")
    row = session.scalars(select(Introduction).where(Introduction.id == body["id"])).one()
    assert (row.lon, row.lat) == (square.lon, square.lat)
    assert row.area_id is not None and row.status == "open"


def test_a_resident_asks_by_postcode(
    client: TestClient, session: Session, make_user: Any, patches: None, tmp_path: Path
) -> None:
    csv = tmp_path / "postcodes.csv"
    csv.write_text(f"postcode,lat,lon\nCF5 1AA,{HOME[1]},{HOME[0]}\n", encoding="utf-8")
    assert import_postcodes(session, csv_path=csv).created == 1
    session.commit()
    response = ask(client, make_user("resident"), near=None, postcode="cf51aa")
    assert response.status_code == 201, response.text
    square = public_square(*HOME)
    assert response.json()["location"]["coordinates"] == [square.lon, square.lat]
    assert response.json()["area"]["code"] == "W01000001"


def test_the_count_near_is_the_published_count_of_the_area_holding_the_place(
    client: TestClient, session: Session, make_user: Any, patches: None
) -> None:
    set_noise(session, add_people(session, 7, HOME), -1)
    add_people(session, 6, HOME, theme="transport")  # another theme is not counted
    response = ask(client, make_user("resident"))
    assert response.status_code == 201, response.text
    near = response.json()["people_near"]
    assert near["area"]["code"] == "W01000001"
    assert [(i["theme"], i["people"]) for i in near["items"]] == [("food", 6)]
    assert near["items"][0]["text"] == "6 people near here offer food"
    published = client.get("/api/v1/people/counts?theme=food&area=W01000001").json()
    assert published["items"][0]["people"] == 6
    assert_no_person(response.text)


def test_under_five_people_is_fewer_than_5(
    client: TestClient, session: Session, make_user: Any, patches: None
) -> None:
    set_noise(session, add_people(session, 4, HOME), 0)  # 4 can be shown as 5 or 6 otherwise
    response = ask(client, make_user("resident"))
    item = response.json()["people_near"]["items"][0]
    assert item["people"] is None
    assert item["text"] == "Fewer than 5 people near here offer food"
    assert_no_person(response.text)


def test_nobody_near_is_also_fewer_than_5(
    client: TestClient, make_user: Any, patches: None
) -> None:
    item = ask(client, make_user("resident")).json()["people_near"]["items"][0]
    assert item["people"] is None and item["text"].startswith("Fewer than 5 people")


def test_people_of_another_area_are_not_counted(
    client: TestClient, session: Session, make_user: Any, patches: None
) -> None:
    set_noise(session, add_people(session, 9, IN_EAST), 0)  # about 7 km east of HOME
    item = ask(client, make_user("resident")).json()["people_near"]["items"][0]
    assert item["people"] is None


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"theme": "no_such_theme"}, ["body", "theme"]),
        ({"theme": "Food!"}, ["body", "theme"]),
        ({"near": [200.0, 51.0]}, ["body", "near"]),
        ({"near": [-3.2]}, ["body", "near"]),
        ({"near": None, "postcode": "not a postcode"}, ["body", "postcode"]),
        ({"near": None, "postcode": "CF99 9ZZ"}, ["body", "postcode"]),
        ({"message": "x" * 1001}, ["body", "message"]),
        ({"message": "bad\x00byte"}, ["body", "message"]),
        ({"extra": 1}, ["body", "extra"]),
    ],
)
def test_bad_requests_are_422_at_their_field(
    client: TestClient, make_user: Any, body: dict[str, Any], loc: list[str]
) -> None:
    response = ask(client, make_user("resident"), **body)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == loc


def test_a_point_and_a_postcode_together_or_neither_are_refused(
    client: TestClient, make_user: Any
) -> None:
    resident = make_user("resident")
    both = ask(client, resident, postcode="CF10 1AA")
    neither = client.post(URL, json={"theme": "food"}, headers=resident)
    for response in (both, neither):
        assert response.status_code == 422
        assert "exactly one of near or postcode" in response.text


def test_anonymous_callers_must_sign_in(client: TestClient) -> None:
    assert ask(client, {}).status_code == 401
    assert client.get(URL).status_code == 401
    assert client.patch(f"{URL}/1", json={"status": "done"}).status_code == 401


def test_the_admin_token_is_no_requester(client: TestClient) -> None:
    assert ask(client, ADMIN).status_code == 403


# ---- routing -----------------------------------------------------------------------------------


def test_a_request_goes_to_the_connectors_of_its_patch_only(
    client: TestClient, make_user: Any, patches: None
) -> None:
    west = make_user("connector", patch=["W01000001"])
    east = make_user("connector", patch=["W01000002"])
    ward = make_user("connector", patch=["W05000001"])
    everywhere = make_user("connector")
    intro = ask(client, make_user("resident")).json()["id"]
    assert intro in listed_ids(client, west)
    assert intro in listed_ids(client, ward)  # a larger area of the patch holds it
    assert intro in listed_ids(client, everywhere)
    assert intro in listed_ids(client, ADMIN)
    assert intro not in listed_ids(client, east)


def test_connectors_see_the_requester_so_they_can_broker_it(
    client: TestClient, make_user: Any, patches: None
) -> None:
    west = make_user("connector", patch=["W01000001"])
    ask(client, make_user("resident"), message="Cooking lessons please")
    (item,) = client.get(URL, headers=west).json()["items"]
    assert item["requester"].startswith("resident:")
    assert item["requester_email"].endswith("@example.org")
    assert item["message"] == "Cooking lessons please"


def test_residents_and_planners_see_only_their_own_requests(
    client: TestClient, make_user: Any, patches: None
) -> None:
    alice, bob, planner = make_user("resident"), make_user("resident"), make_user("planner")
    mine = ask(client, alice).json()["id"]
    theirs = ask(client, bob).json()["id"]
    planners = ask(client, planner, near=list(IN_EAST)).json()["id"]
    assert listed_ids(client, alice) == [mine]
    assert listed_ids(client, bob) == [theirs]
    assert listed_ids(client, planner) == [planners]


def test_a_connector_sees_their_own_request_outside_their_patch(
    client: TestClient, make_user: Any, patches: None
) -> None:
    east = make_user("connector", patch=["W01000002"])
    own = ask(client, east).json()["id"]  # HOME is in the west
    assert listed_ids(client, east) == [own]
    assert client.patch(f"{URL}/{own}", json={"status": "done"}, headers=east).status_code == 403


def test_without_areas_only_admins_and_unscoped_connectors_see_it(
    client: TestClient, make_user: Any, patches: None
) -> None:
    west = make_user("connector", patch=["W01000001"])
    everywhere = make_user("connector")
    response = ask(client, make_user("resident"), near=list(ELSEWHERE))
    assert response.json()["area"] is None
    intro = response.json()["id"]
    assert intro not in listed_ids(client, west)
    assert intro in listed_ids(client, everywhere)
    assert intro in listed_ids(client, ADMIN)


def test_the_list_is_paged_newest_first_and_filtered_by_status(
    client: TestClient, make_user: Any, patches: None
) -> None:
    resident = make_user("resident")
    ids = [ask(client, resident).json()["id"] for _ in range(3)]
    first = client.get(URL, params={"limit": 2}, headers=resident).json()
    assert [i["id"] for i in first["items"]] == ids[:0:-1]
    second = client.get(first["next"], headers=resident).json()
    assert [i["id"] for i in second["items"]] == ids[:1] and second["next"] is None
    client.patch(f"{URL}/{ids[1]}", json={"status": "declined"}, headers=ADMIN)
    declined = client.get(URL, params={"status": "declined"}, headers=resident).json()
    assert [i["id"] for i in declined["items"]] == [ids[1]]


# ---- handling ----------------------------------------------------------------------------------


def test_the_patch_connector_marks_it_done(
    client: TestClient, session: Session, make_user: Any, patches: None
) -> None:
    west = make_user("connector", patch=["W01000001"])
    intro = ask(client, make_user("resident"), message="private words").json()["id"]
    response = client.patch(f"{URL}/{intro}", json={"status": "done"}, headers=west)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "done"
    assert body["handled_by"].startswith("connector:") and body["handled_at"]
    events = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.entity_type == "introduction", AuditEvent.entity_id == str(intro))
        .order_by(AuditEvent.id)
    ).all()
    assert [e.action for e in events] == ["create", "update"]
    assert events[0].actor.startswith("resident:")
    assert events[1].changes == {"status": ["open", "done"]}
    assert all("private words" not in str(e.changes) for e in events)
    assert all(str(HOME[0]) not in str(e.changes) for e in events)


def test_residents_and_planners_may_not_handle_requests(
    client: TestClient, make_user: Any, patches: None
) -> None:
    resident = make_user("resident")
    intro = ask(client, resident).json()["id"]
    for caller in (resident, make_user("planner")):
        response = client.patch(f"{URL}/{intro}", json={"status": "done"}, headers=caller)
        assert response.status_code == 403


def test_a_connector_of_another_patch_gets_404(
    client: TestClient, make_user: Any, patches: None
) -> None:
    east = make_user("connector", patch=["W01000002"])
    intro = ask(client, make_user("resident")).json()["id"]
    response = client.patch(f"{URL}/{intro}", json={"status": "declined"}, headers=east)
    assert response.status_code == 404
    missing = client.patch(f"{URL}/999999", json={"status": "done"}, headers=ADMIN)
    assert missing.status_code == 404


@pytest.mark.parametrize("status", ["open", "closed", None])
def test_only_done_or_declined_may_be_set(
    client: TestClient, make_user: Any, patches: None, status: str | None
) -> None:
    intro = ask(client, make_user("resident")).json()["id"]
    response = client.patch(f"{URL}/{intro}", json={"status": status}, headers=ADMIN)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "status"]


def test_no_response_holds_anything_of_a_person(
    client: TestClient, session: Session, make_user: Any, patches: None
) -> None:
    add_people(session, 6, HOME)
    west = make_user("connector", patch=["W01000001"])
    resident = make_user("resident")
    created = ask(client, resident)
    intro = created.json()["id"]
    responses = [
        created,
        client.get(URL, headers=resident),
        client.get(URL, headers=west),
        client.get(URL, headers=ADMIN),
        client.patch(f"{URL}/{intro}", json={"status": "done"}, headers=west),
    ]
    for response in responses:
        assert response.status_code in (200, 201), response.text
        assert_no_person(response.text)
        assert str(HOME[0]) not in response.text
