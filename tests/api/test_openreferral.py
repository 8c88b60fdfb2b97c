"""/openreferral: Open Referral UK 3.0, on both backends. Every response is validated against the
profile's own schemas (../shared/standards/oruk-3.0, resolved locally: nothing is fetched)."""

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from sqlalchemy.orm import Session

from app.models import Asset, Postcode
from app.schemas.assets import AssetCreate
from app.services.assets import records
from app.services.assets.visibility import SYSTEM
from app.services.openreferral.publish import asset_object_id, oruk_id
from app.spatial.geometry import point_element
from tests.conftest import PROJECT_DIR, person_body, unavailable

ORUK = PROJECT_DIR.parent / "shared" / "standards" / "oruk-3.0"
BASE = "https://raw.githubusercontent.com/openreferral/uk-profile/main/schema/"
PAGE_KEYS = (
    "total_items",
    "total_pages",
    "page_number",
    "size",
    "first_page",
    "last_page",
    "empty",
    "contents",
)
SPLOTT = (-3.1566, 51.4812)


# ---- the profile's schemas, resolved locally ----------------------------------------------------


@pytest.fixture(scope="module")
def registry() -> Registry:
    if not (ORUK / "schema" / "openapi.json").is_file():
        unavailable(f"the ORUK 3.0 schemas are not at {ORUK}")
    resources = []
    for path in sorted((ORUK / "schema").rglob("*.json")):
        if path.name == "openapi.json":
            continue
        url = BASE + path.relative_to(ORUK / "schema").as_posix()
        contents = json.loads(path.read_text())
        resources.append((url, Resource.from_contents(contents, DRAFT202012)))
    registry: Registry = Registry().with_resources(resources)
    return registry


@pytest.fixture(scope="module")
def openapi() -> dict[str, Any]:
    if not (ORUK / "schema" / "openapi.json").is_file():
        unavailable(f"the ORUK 3.0 schemas are not at {ORUK}")
    document: dict[str, Any] = json.loads((ORUK / "schema" / "openapi.json").read_text())
    return document


Check = Callable[[Any, dict[str, Any]], None]


@pytest.fixture(scope="module")
def check(registry: Registry) -> Check:
    """Validate a document against a schema (refs by the profile's URLs, resolved locally)."""

    def validate(document: Any, schema: dict[str, Any]) -> None:
        validator = Draft202012Validator(schema, registry=registry, format_checker=FormatChecker())
        errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
        assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])

    return validate


def ref(name: str) -> dict[str, Any]:
    return {"$ref": BASE + name}


def page_schema(openapi: dict[str, Any], item: str) -> dict[str, Any]:
    """The profile's page envelope (components/schemas/Page) around `item` schemas."""
    return {
        "allOf": [openapi["components"]["schemas"]["Page"]],
        "properties": {"contents": {"type": "array", "items": ref(item)}},
        "required": list(PAGE_KEYS),
    }


# ---- a registry to publish ---------------------------------------------------------------------


def hours() -> list[dict[str, str]]:
    return [
        {"day": "tue", "opens": "10:00", "closes": "12:00"},
        {"day": "thu", "opens": "18:30", "closes": "20:00"},
    ]


@pytest.fixture
def world(session: Session, make_asset: Any) -> dict[str, int]:
    """Published assets of every public kind, and what must never be published."""
    ids = {
        "club": make_asset(
            kind="group",
            name_en="Splott lunch club",
            name_cy="Clwb cinio Sblot",
            description_en="Hot lunches on Tuesdays",
            description_cy="Cinio poeth ar ddydd Mawrth",
            themes=["food", "older_people"],
            address="St Saviour's Hall, Splott Road, Cardiff",
            postcode="CF24 2BX",
            email="lunch@example.org",
            phone="029 2046 0000",
            website="https://lunch.example.org",
            opening_hours=hours(),
            languages=["cy", "en"],
            accessibility=["step_free_access", "hearing_loop"],
        ),
        "hall": make_asset(
            kind="space",
            name_en="Adamsdown community hall",
            name_cy=None,
            themes=["arts_culture"],
            location={"type": "Point", "coordinates": [-3.1640, 51.4830]},
            service_area={
                "type": "MultiPolygon",
                "coordinates": [[[[-3.17, 51.48], [-3.16, 51.48], [-3.16, 51.49], [-3.17, 51.48]]]],
            },
        ),
        "far": make_asset(
            kind="service",
            name_en="Llandaff advice service",
            name_cy=None,
            themes=["money_advice"],
            location={"type": "Point", "coordinates": [-3.2170, 51.4960]},
        ),
        "pending": make_asset(
            kind="business", name_en="Pending bakery", name_cy=None, status="pending"
        ),
        "archived": make_asset(kind="culture", name_en="Closed theatre", name_cy=None),
    }
    records.archive_asset(session, viewer=SYSTEM, asset_id=ids["archived"], expected_version=None)
    person = records.create_asset(
        session, actor="test", data=AssetCreate.model_validate(person_body())
    )
    ids["person"] = person.id
    session.add(Postcode(postcode="CF24 2AA", location=point_element(*SPLOTT)))
    session.commit()
    return ids


PUBLISHED = ("club", "hall", "far")


def all_contents(client: TestClient, url: str) -> list[dict[str, Any]]:
    body = client.get(url).json()
    return list(body["contents"])


# ---- the documents validate ---------------------------------------------------------------------


def test_root_says_which_version_and_profile(
    client: TestClient, openapi: dict[str, Any], check: Check
) -> None:
    response = client.get("/openreferral/")
    assert response.status_code == 200
    body = response.json()
    schema = openapi["paths"]["/"]["get"]["responses"]["200"]["content"]["application/json"]
    check(body, schema["schema"])
    assert body["version"] == "3.0"


def test_services_page_validates_and_holds_only_published_public_assets(
    client: TestClient, world: dict[str, int], openapi: dict[str, Any], check: Check
) -> None:
    response = client.get("/openreferral/services")
    assert response.status_code == 200
    body = response.json()
    check(body, page_schema(openapi, "compiled/service_list.json"))
    ids = {item["id"] for item in body["contents"]}
    assert ids == {asset_object_id("service", world[k]) for k in PUBLISHED}
    assert body["total_items"] == 3 and body["empty"] is False
    text = response.text
    for hidden in ("Pending bakery", "Closed theatre", "Rhian Jones", "rhian@example.org"):
        assert hidden not in text


def test_a_service_is_fully_nested_and_validates(
    client: TestClient, world: dict[str, int], check: Check
) -> None:
    service_id = asset_object_id("service", world["club"])
    response = client.get(f"/openreferral/services/{service_id}")
    assert response.status_code == 200
    service = response.json()
    check(service, ref("compiled/service.json"))
    assert service["name"] == "Splott lunch club"
    assert service["status"] == "active"
    assert service["url"] == "https://lunch.example.org/"  # as the registry stores it
    # A group is also the organization that offers it.
    assert service["organization"]["name"] == "Splott lunch club"
    assert service["organization_id"] == service["organization"]["id"]
    [at] = service["service_at_locations"]
    location = at["location"]
    assert (location["longitude"], location["latitude"]) == SPLOTT
    assert location["addresses"][0]["postal_code"] == "CF24 2BX"
    assert location["addresses"][0]["address_1"] == "St Saviour's Hall"
    assert {a["accessibility"] for a in location["accessibility"]} == {
        "step_free_access",
        "hearing_loop",
    }
    schedules = {
        (s["freq"], s["byday"], s["opens_at"], s["closes_at"]) for s in service["schedules"]
    }
    assert schedules == {
        ("WEEKLY", "TU", "10:00:00", "12:00:00"),
        ("WEEKLY", "TH", "18:30:00", "20:00:00"),
    }
    assert {lang["code"] for lang in service["languages"]} == {"cy", "en"}
    assert [p["number"] for p in service["phones"]] == ["029 2046 0000"]
    terms = {a["taxonomy_term"]["term"] for a in service["attributes"]}
    assert terms == {"food", "older_people", "group"}


def test_a_space_has_no_organization_and_carries_its_service_area(
    client: TestClient, world: dict[str, int], check: Check
) -> None:
    service = client.get(
        f"/openreferral/services/{asset_object_id('service', world['hall'])}"
    ).json()
    check(service, ref("compiled/service.json"))
    assert "organization" not in service and "organization_id" not in service
    [area] = service["service_areas"]
    assert area["extent_type"] == "geojson"
    assert json.loads(area["extent"])["type"] == "MultiPolygon"


def test_service_at_locations_near_a_postcode_nearest_first_and_validate(
    client: TestClient, world: dict[str, int], openapi: dict[str, Any], check: Check
) -> None:
    near = client.get("/openreferral/service_at_locations?postcode=CF24%202AA&proximity=2000")
    assert near.status_code == 200, near.text
    body = near.json()
    check(body, page_schema(openapi, "compiled/service_at_location_list.json"))
    names = [item["service"]["name"] for item in body["contents"]]
    assert names == ["Splott lunch club", "Adamsdown community hall"]  # Llandaff is 4 km off
    one = client.get(f"/openreferral/service_at_locations/{body['contents'][1]['id']}")
    assert one.status_code == 200
    check(one.json(), ref("compiled/service_at_location.json"))
    assert one.json()["service"]["service_areas"]  # fully nested


def test_taxonomies_and_terms_validate_and_filter_services(
    client: TestClient, world: dict[str, int], openapi: dict[str, Any], check: Check
) -> None:
    taxonomies = client.get("/openreferral/taxonomies").json()
    check(taxonomies, page_schema(openapi, "taxonomy.json"))
    terms = client.get("/openreferral/taxonomy_terms?per_page=500").json()
    check(terms, page_schema(openapi, "taxonomy_term.json"))
    by_code = {t["term"]: t for t in terms["contents"]}
    assert {"food", "group", "space"} <= set(by_code)
    one = client.get(f"/openreferral/taxonomy_terms/{by_code['food']['id']}")
    check(one.json(), ref("taxonomy_term.json"))
    food = all_contents(client, f"/openreferral/services?taxonomy_term_id={by_code['food']['id']}")
    assert [s["name"] for s in food] == ["Splott lunch club"]
    spaces = all_contents(
        client, f"/openreferral/services?taxonomy_term_id={by_code['space']['id']}"
    )
    assert [s["name"] for s in spaces] == ["Adamsdown community hall"]
    themes_id = oruk_id("taxonomy", "themes")
    assert client.get(f"/openreferral/taxonomies/{themes_id}").status_code == 200
    unknown = client.get(f"/openreferral/services?taxonomy_term_id={uuid.uuid4()}")
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["loc"] == ["query", "taxonomy_term_id"]


def test_text_search_in_either_language(client: TestClient, world: dict[str, int]) -> None:
    english = all_contents(client, "/openreferral/services?text=lunch")
    welsh = all_contents(client, "/openreferral/services?search=cinio")
    assert [s["name"] for s in english] == [s["name"] for s in welsh] == ["Splott lunch club"]


def test_pages_count_and_end(client: TestClient, world: dict[str, int]) -> None:
    first = client.get("/openreferral/services?per_page=2").json()
    assert (first["total_items"], first["total_pages"], first["size"]) == (3, 2, 2)
    assert first["first_page"] and not first["last_page"]
    second = client.get("/openreferral/services?per_page=2&page=2").json()
    assert second["size"] == 1 and second["last_page"] and not second["first_page"]
    beyond = client.get("/openreferral/services?per_page=2&page=3").json()
    assert beyond["empty"] and beyond["contents"] == []
    seen = {s["id"] for s in first["contents"]} | {s["id"] for s in second["contents"]}
    assert len(seen) == 3
    assert client.get("/openreferral/services?per_page=0").status_code == 422


def test_welsh_by_prefix_or_accept_language(
    client: TestClient, world: dict[str, int], check: Check
) -> None:
    service_id = asset_object_id("service", world["club"])
    by_prefix = client.get(f"/cy/openreferral/services/{service_id}")
    by_header = client.get(
        f"/openreferral/services/{service_id}", headers={"Accept-Language": "cy"}
    )
    assert by_prefix.status_code == by_header.status_code == 200
    assert by_prefix.json() == by_header.json()
    welsh = by_prefix.json()
    check(welsh, ref("compiled/service.json"))
    assert welsh["name"] == "Clwb cinio Sblot"
    assert welsh["description"] == "Cinio poeth ar ddydd Mawrth"
    assert welsh["id"] == service_id  # the same object, in Welsh
    assert "Accept-Language" in by_header.headers["vary"]
    # No Welsh name held: the English one.
    hall = client.get(f"/cy/openreferral/services/{asset_object_id('service', world['hall'])}")
    assert hall.json()["name"] == "Adamsdown community hall"


@pytest.mark.parametrize("hidden", ["pending", "archived", "person"])
def test_people_and_unpublished_records_are_not_found_by_id(
    client: TestClient, world: dict[str, int], hidden: str
) -> None:
    for kind, path in (("service", "services"), ("service_at_location", "service_at_locations")):
        response = client.get(f"/openreferral/{path}/{asset_object_id(kind, world[hidden])}")
        assert response.status_code == 404


def test_ids_are_stable_uuids_of_their_own_type(client: TestClient, world: dict[str, int]) -> None:
    first = client.get("/openreferral/services").json()["contents"]
    again = client.get("/openreferral/services").json()["contents"]
    assert [s["id"] for s in first] == [s["id"] for s in again]
    for item in first:
        assert uuid.UUID(item["id"]).version == 8
    location_id = asset_object_id("location", world["club"])
    assert client.get(f"/openreferral/services/{location_id}").status_code == 404
    assert client.get(f"/openreferral/services/{uuid.uuid4()}").status_code == 404
    assert client.get("/openreferral/services/not-a-uuid").status_code == 404


def test_proximity_needs_a_postcode_that_is_held(client: TestClient, world: dict[str, int]) -> None:
    assert client.get("/openreferral/service_at_locations?proximity=500").status_code == 422
    unknown = client.get("/openreferral/service_at_locations?postcode=CF99%209ZZ")
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["loc"] == ["query", "postcode"]


def test_last_modified_and_assured_date_are_iso(
    client: TestClient, world: dict[str, int], session: Session
) -> None:
    asset = session.get(Asset, world["far"])
    assert asset is not None
    asset.last_verified_at = datetime.now(UTC) - timedelta(days=3)
    session.commit()
    service = client.get(
        f"/openreferral/services/{asset_object_id('service', world['far'])}"
    ).json()
    assert service["assured_date"] == (datetime.now(UTC) - timedelta(days=3)).date().isoformat()
    datetime.fromisoformat(service["last_modified"])


def test_the_profile_paths_are_all_served(openapi: dict[str, Any], client: TestClient) -> None:
    """Every path of the profile's openapi.json answers here (ids with an unknown UUID: 404)."""
    for path in openapi["paths"]:
        url = "/openreferral" + path.replace("{id}", str(uuid.uuid4()))
        status = client.get(url).status_code
        assert status == (404 if "{id}" in path else 200), (path, status)
