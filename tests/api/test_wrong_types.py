"""A value of the wrong JSON type in any field of an asset or a suggestion is a 422 naming the
field, never a 500 (and never silently read as something else: 5 is not the time 00:00:05).

Every field, nested ones included, gets every JSON type it does not take; both databases.
"""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from tests.conftest import ADMIN, asset_body

# One value of each JSON type.
SAMPLES: dict[str, list[Any]] = {
    "null": [None],
    "boolean": [True, False],
    "integer": [7, -1],
    "number": [7.5],
    "string": ["text", ""],
    "array": [[], [1], ["x"]],
    "object": [{}, {"a": 1}],
}
TEXT = {"string", "null"}
# Field -> the JSON types it takes (a number takes integers too).
ASSET_FIELDS: dict[str, set[str]] = {
    "kind": {"string"},
    "name_en": TEXT,
    "name_cy": TEXT,
    "description_en": TEXT,
    "description_cy": TEXT,
    "themes": {"array"},
    "location": {"object"},
    "service_area": {"object", "null"},
    "address": TEXT,
    "postcode": TEXT,
    "email": TEXT,
    "phone": TEXT,
    "website": TEXT,
    "opening_hours": {"array"},
    "accessibility": {"array"},
    "languages": {"array"},
    "status": {"string"},
    "last_verified_at": TEXT,
    "source": TEXT,
    "source_id": TEXT,
    "consent": {"object", "null"},
}
SUGGESTION_ONLY = {"note": TEXT}
NOT_SUGGESTED = {"status", "last_verified_at", "source", "source_id", "consent"}
RULE = {"day": "tue", "opens": "10:00", "closes": "12:00"}
# Inside an opening rule, a closure, a location and the lists.
RULE_FIELDS: dict[str, set[str]] = {
    "day": {"string"},
    "opens": {"string"},
    "closes": {"string"},
    "every_weeks": {"integer"},
    "starting": TEXT,
    "week_of_month": {"integer", "null"},
    "valid_from": TEXT,
    "valid_to": TEXT,
    "closures": {"array"},
    "note_en": TEXT,
    "note_cy": TEXT,
}
CLOSURE_FIELDS = {"closed_from": {"string"}, "closed_to": {"string"}}


def wrong_values(takes: set[str]) -> Iterator[Any]:
    """Every sample of a JSON type that a field with these types does not take."""
    for kind, values in SAMPLES.items():
        if kind in takes or (kind == "integer" and "number" in takes):
            continue
        yield from values


def cases(fields: dict[str, set[str]]) -> list[tuple[str, Any]]:
    """(field, wrong value) pairs."""
    return [(name, value) for name, takes in fields.items() for value in wrong_values(takes)]


def nested_cases() -> list[tuple[tuple[str | int, ...], dict[str, Any]]]:
    """(where the error is, the fields of a body) for wrong types inside nested objects."""
    found: list[tuple[tuple[str | int, ...], dict[str, Any]]] = []
    for name, value in cases(RULE_FIELDS):
        found.append((("opening_hours", 0, name), {"opening_hours": [{**RULE, name: value}]}))
    for name, value in cases(CLOSURE_FIELDS):
        closure = {"closed_from": "2026-12-24", "closed_to": "2027-01-02", name: value}
        found.append(
            (
                ("opening_hours", 0, "closures", 0, name),
                {"opening_hours": [{**RULE, "closures": [closure]}]},
            )
        )
    for value in wrong_values({"object"}):
        found.append((("opening_hours", 0), {"opening_hours": [value]}))
    for listed in ("themes", "accessibility", "languages"):
        for value in wrong_values({"string"}):
            found.append(((listed, 0), {listed: [value]}))
    for value in wrong_values({"number"}):
        point = {"type": "Point", "coordinates": [value, 51.48]}
        found.append((("location", "coordinates"), {"location": point}))
    for value in wrong_values({"string"}):
        found.append((("location", "type"), {"location": {"type": value, "coordinates": [0, 0]}}))
    return found


@pytest.fixture
def many(settings: Settings) -> Iterator[TestClient]:
    """A client whose anonymous suggestions are not held back by the rate limit."""
    app = create_app(settings.model_copy(update={"anonymous_write_limit": "100000/hour"}))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def assert_422_at(response: Any, loc: tuple[str | int, ...], sent: Any) -> None:
    """A 422 with an error at `loc` (or inside it)."""
    assert response.status_code == 422, f"{loc} = {sent!r}: {response.status_code} {response.text}"
    errors = response.json()["detail"]
    at = [e for e in errors if tuple(e["loc"][1 : 1 + len(loc)]) == loc]
    assert at, f"{loc} = {sent!r}: no error there: {errors}"


def test_asset_fields_of_the_wrong_type_are_422(many: TestClient) -> None:
    for name, value in cases(ASSET_FIELDS):
        response = many.post("/api/v1/assets", json=asset_body(**{name: value}), headers=ADMIN)
        assert_422_at(response, (name,), value)


def test_nested_asset_fields_of_the_wrong_type_are_422(many: TestClient) -> None:
    for loc, fields in nested_cases():
        response = many.post("/api/v1/assets", json=asset_body(**fields), headers=ADMIN)
        assert_422_at(response, loc, fields)


def test_changes_of_the_wrong_type_are_422(many: TestClient) -> None:
    created = many.post("/api/v1/assets", json=asset_body(), headers=ADMIN)
    assert created.status_code == 201
    url, etag = created.headers["location"], created.headers["etag"]
    headers = {**ADMIN, "If-Match": etag}
    changeable = {
        k: v for k, v in ASSET_FIELDS.items() if k not in ("source", "source_id", "consent")
    }
    for name, value in cases(changeable):
        assert_422_at(many.patch(url, json={name: value}, headers=headers), (name,), value)
    for loc, fields in nested_cases():
        assert_422_at(many.patch(url, json=fields, headers=headers), loc, fields)
    assert many.get(url).headers["etag"] == etag  # nothing changed


def test_suggestion_fields_of_the_wrong_type_are_422(many: TestClient) -> None:
    base = {"kind": "group", "name_en": "Club",
            "location": {"type": "Point", "coordinates": [-3.17, 51.48]}}  # fmt: skip
    suggested = {k: v for k, v in ASSET_FIELDS.items() if k not in NOT_SUGGESTED}
    for name, value in cases({**suggested, **SUGGESTION_ONLY}):
        assert_422_at(many.post("/api/v1/suggestions", json={**base, name: value}), (name,), value)
    for loc, fields in nested_cases():
        assert_422_at(many.post("/api/v1/suggestions", json={**base, **fields}), loc, fields)


def test_a_body_that_is_not_an_object_is_422(many: TestClient) -> None:
    for body in (None, True, 7, "text", [], [asset_body()]):
        for path in ("/api/v1/assets", "/api/v1/suggestions"):
            response = many.post(path, json=body, headers=ADMIN)
            assert response.status_code == 422, f"{path} {body!r}: {response.text}"
