"""Every String(n) column is either written only by the server, or every input schema that
writes it refuses text longer than n: PostgreSQL refuses it (a 500) where SQLite would keep it.

The walk covers every model; a new String(n) column fails here until it is placed in WRITERS
(with the fields that write it) or SERVER_SET (with who writes it instead).
"""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel, ValidationError
from sqlalchemy import Engine, String, func, select

from app.models import Asset, Base
from app.schemas.accounts import AccountChange, AccountCreate
from app.schemas.assets import AssetCreate, AssetUpdate
from app.schemas.deficits import DeficitCreate, DeficitUpdate
from app.schemas.indicators import IndicatorMeta
from app.schemas.moderation import SuggestionCreate
from app.schemas.offers import OfferCreate
from app.schemas.people import ConsentIn
from app.schemas.users import UserCreate
from tests.conftest import ADMIN, asset_body

Field = tuple[type[BaseModel], str]
ASSET_INPUTS = (AssetCreate, AssetUpdate, SuggestionCreate)
DEFICIT_INPUTS = (DeficitCreate, DeficitUpdate)


def each(models: tuple[type[BaseModel], ...], field: str) -> list[Field]:
    """The field in each of these input models."""
    return [(model, field) for model in models]


# table.column -> the input fields that write it, and how to make a value of a given length.
WRITERS: dict[str, tuple[str, list[Field]]] = {
    "assets.name_en": ("text", each(ASSET_INPUTS, "name_en")),
    "assets.name_cy": ("text", each(ASSET_INPUTS, "name_cy")),
    "assets.postcode": ("text", each(ASSET_INPUTS, "postcode")),
    "assets.email": ("email", each(ASSET_INPUTS, "email")),
    "assets.phone": ("phone", each(ASSET_INPUTS, "phone")),
    "assets.website": ("url", each(ASSET_INPUTS, "website")),
    "assets.kind": ("text", each(ASSET_INPUTS, "kind")),
    "assets.status": ("text", each((AssetCreate, AssetUpdate), "status")),
    "assets.source": ("text", [(AssetCreate, "source")]),
    "assets.source_id": ("text", [(AssetCreate, "source_id")]),
    "deficits.title_en": ("text", each(DEFICIT_INPUTS, "title_en")),
    "deficits.title_cy": ("text", each(DEFICIT_INPUTS, "title_cy")),
    "deficits.status": ("text", each(DEFICIT_INPUTS, "status")),
    "deficits.source": ("text", [(DeficitCreate, "source")]),
    "deficits.source_id": ("text", [(DeficitCreate, "source_id")]),
    "deficits.reporter": ("text", each(DEFICIT_INPUTS, "reporter")),
    "consents.method": ("text", [(ConsentIn, "method")]),
    "consents.notice_version": ("text", [(ConsentIn, "notice_version")]),
    "offers.title": ("text", [(OfferCreate, "title")]),
    "users.email": ("email", [(UserCreate, "email"), (AccountCreate, "email")]),
    "users.display_name": (
        "text",
        [
            (UserCreate, "display_name"),
            (AccountCreate, "display_name"),
            (AccountChange, "display_name"),
        ],
    ),
    "users.role": ("text", [(UserCreate, "role")]),
    "users.language": ("text", [(AccountCreate, "language"), (AccountChange, "language")]),
    "users.digest": ("text", [(AccountChange, "digest")]),
    "indicators.code": ("text", [(IndicatorMeta, "code")]),
    "indicators.label_en": ("text", [(IndicatorMeta, "label_en")]),
    "indicators.label_cy": ("text", [(IndicatorMeta, "label_cy")]),
    "indicators.unit": ("text", [(IndicatorMeta, "unit")]),
    "indicators.source": ("text", [(IndicatorMeta, "source")]),
    "indicators.licence": ("text", [(IndicatorMeta, "licence")]),
}
ACTOR = "the actor (role:id, or the command's name): the server's"
IMPORTED = "read from files by the import commands (admins), not from requests"
SERVER_SET: dict[str, str] = {
    **{
        f"{t}.{c}": ACTOR
        for t, c in [
            ("assets", "created_by"),
            ("assets", "updated_by"),
            ("assets", "consent_recorded_by"),
            ("audit_events", "actor"),
            ("offers", "decided_by"),
            ("gaps", "decided_by"),
            ("deficits", "created_by"),
            ("deficits", "updated_by"),
            ("reports", "reported_by"),
            ("reports", "decided_by"),
            ("consents", "recorded_by"),
            ("erasures", "erased_by"),
            ("introductions", "handled_by"),
        ]
    },
    "audit_events.action": "a fixed word (create, update, archive, ...)",
    "audit_events.entity_type": "a table name",
    "audit_events.entity_id": "a record's id",
    "offers.kind": "skill or volunteer, chosen by the server",
    "offers.status": "the offer's state, set by the server",
    "gaps.language": "the page's or caller's language (en or cy)",
    "gaps.status": "the gap's state, set by the server",
    "reports.problem": "ReportCreate.problem, a Literal of short words",
    "reports.status": "the report's state, set by the server",
    "introductions.status": "the introduction's state, set by the server",
    "public_locations.grid": "the grid's name (app/services/people/grid.py)",
    "public_locations.cell": "the grid square's reference",
    "outbox.to_address": "a user's stored email (users.email, 320 too)",
    "outbox.subject": "the service's own subject lines",
    "outbox.last_error": "cut to 500 by the worker",
    "users.password_hash": "an argon2 hash",
    "credentials.kind": "token or session",
    "credentials.secret_hash": "an HMAC-SHA256 hex digest (64)",
    "credentials.name": "the token's name, given by an admin on the command line",
    "themes.code": "data/themes.csv, seeded by migrations",
    "themes.label_en": "data/themes.csv, seeded by migrations",
    "themes.label_cy": "data/themes.csv, seeded by migrations",
    **{
        f"areas.{c}": IMPORTED
        for c in ("code", "level", "name_en", "name_cy", "parent_code", "centroid_kind", "source")
    },
    **{
        f"places.{c}": IMPORTED
        for c in ("name_key", "name_cy_key", "source", "source_id", "name", "name_cy", "place_type")
    },
    **{
        f"{t}.{c}": "a theme code, checked against the taxonomy (themes.code, 40) on the way in"
        for t, c in [
            ("asset_themes", "theme_code"),
            ("deficits", "theme_code"),
            ("gaps", "theme_code"),
            ("introductions", "theme_code"),
            ("offers", "theme_code"),
            ("indicator_themes", "theme_code"),
            ("theme_relations", "theme_code"),
            ("theme_relations", "related_code"),
        ]
    },
    "indicator_themes.indicator_code": "an indicator's code (indicators.code, 60)",
    "indicator_values.indicator_code": "an indicator's code (indicators.code, 60)",
    "job_runs.name": "the background job's name",
    "job_runs.ran_by": "the process that ran it",
    "postcodes.postcode": IMPORTED,
    "postcodes.area_code": IMPORTED,
}


def string_columns() -> dict[str, int]:
    """Every String(n) column of every model: table.column -> n."""
    found = {}
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, String) and column.type.length is not None:
                found[f"{table.name}.{column.name}"] = column.type.length
    return found


def value_of_length(shape: str, length: int) -> str:
    """A value of this shape, `length` characters long, that is otherwise well formed."""
    if shape == "email":
        return "a" * 60 + "@" + ".".join(["b" * 60] * 10)[: length - 61]
    if shape == "url":
        return "https://example.org/" + "a" * (length - len("https://example.org/"))
    if shape == "phone":
        return "+" + "0" * (length - 1)
    return "a" * length


def test_every_string_column_is_placed() -> None:
    columns = string_columns()
    unplaced = sorted(set(columns) - set(WRITERS) - set(SERVER_SET))
    assert not unplaced, f"String(n) columns in neither WRITERS nor SERVER_SET: {unplaced}"
    assert not (set(WRITERS) | set(SERVER_SET)) - set(columns), "stale entries"


@pytest.mark.parametrize("column", sorted(WRITERS))
def test_input_fields_declare_no_more_than_the_column_holds(column: str) -> None:
    width = string_columns()[column]
    _shape, fields = WRITERS[column]
    for model, name in fields:
        schema = model.model_json_schema()["properties"][name]
        options = schema.get("anyOf", [schema])
        for option in options:
            declared = option.get("maxLength")
            if declared is not None:
                assert declared <= width, f"{model.__name__}.{name}: {declared} > {width}"
            for value in option.get("enum", []) + ([option["const"]] if "const" in option else []):
                assert len(str(value)) <= width, f"{model.__name__}.{name}: {value!r}"


@pytest.mark.parametrize("column", sorted(WRITERS))
def test_input_fields_refuse_a_value_one_longer_than_the_column(column: str) -> None:
    width = string_columns()[column]
    shape, fields = WRITERS[column]
    value = value_of_length(shape, width + 1)
    assert len(value) == width + 1
    for model, name in fields:
        with pytest.raises(ValidationError) as refused:
            _validate_field(model, name, value)
        locs = [e["loc"][:1] for e in refused.value.errors()]
        assert (name,) in locs, f"{model.__name__}.{name} accepted {len(value)} characters"


def _validate_field(model: type[BaseModel], name: str, value: Any) -> None:
    """Validate one field's value as the model would (its other fields left out)."""
    from pydantic import TypeAdapter, create_model

    info = model.model_fields[name]
    single = create_model(f"{model.__name__}_{name}", **{name: (info.annotation, info)})
    TypeAdapter(single).validate_python({name: value})


# ---- through the API, on both databases -------------------------------------------------------


def count_assets(db: Engine) -> int:
    """How many assets the database holds."""
    with db.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(Asset)) or 0)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("phone", "+" + "0" * 40),  # 41 characters: the pattern allowed it
        ("website", "https://example.org/" + "a" * 1981),  # 2,001
        ("website", "https://example.org/" + "a" * 2063),  # 2,083: pydantic's own URL limit
    ],
)
def test_too_long_for_the_column_is_a_422_on_both_databases(
    client: TestClient, db: Engine, field: str, value: str
) -> None:
    created = client.post("/api/v1/assets", json=asset_body(**{field: value}), headers=ADMIN)
    assert created.status_code == 422, created.text[:300]
    assert created.json()["detail"][0]["loc"][:2] == ["body", field]
    suggested = client.post(
        "/api/v1/suggestions",
        json={"kind": "group", "name_en": "Club", field: value,
              "location": {"type": "Point", "coordinates": [-3.17, 51.48]}},
    )  # fmt: skip
    assert suggested.status_code == 422, suggested.text[:300]
    assert count_assets(db) == 0
    longest = value[: 40 if field == "phone" else 2000]
    fits = client.post("/api/v1/assets", json=asset_body(**{field: longest}), headers=ADMIN)
    assert fits.status_code == 201, fits.text[:300]


def test_the_suggestion_page_refuses_a_website_too_long_for_the_column(
    client: TestClient, db: Engine
) -> None:
    form = {"kind": "group", "name_en": "Club", "lon": "-3.17", "lat": "51.48",
            "website": "www.example.org/" + "a" * 2000}  # fmt: skip
    response = client.post("/suggest", data=form)
    assert response.status_code == 422
    assert count_assets(db) == 0
