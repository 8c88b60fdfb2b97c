"""`import openreferral`: services from an ORUK API (a real server on 127.0.0.1: this project's
own, on a database of its own) or from files (the profile's examples) become assets; a round
trip publishes the same documents; a second import changes nothing; a bad service writes
nothing; what cannot be held is skipped or noted, never dropped silently."""

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db import make_engine
from app.models import Asset
from app.schemas.assets import AssetCreate
from app.services.assets import records
from app.services.openreferral.read import OrukSourceError, import_openreferral
from app.settings import Settings
from tests.api.conftest import LiveServer, serve
from tests.conftest import PROJECT_DIR, asset_body, own_database, person_body, unavailable

EXAMPLES = PROJECT_DIR.parent / "shared" / "standards" / "oruk-3.0" / "examples"
PART_IDS = ("id", "service_id", "location_id", "link_id", "organization_id", "taxonomy_term_id")


def published_bodies() -> list[dict[str, Any]]:
    return [
        asset_body(
            kind="group",
            name_en="Splott lunch club",
            name_cy="Clwb cinio Sblot",
            description_en="Hot lunches on Tuesdays",
            description_cy="Cinio poeth ar ddydd Mawrth",
            themes=["food", "older_people"],
            address="St Saviour's Hall, Cardiff",
            postcode="CF24 2BX",
            email="lunch@example.org",
            phone="029 2046 0000",
            website="https://lunch.example.org/",
            opening_hours=[
                {"day": "tue", "opens": "10:00", "closes": "12:00"},
                {"day": "thu", "opens": "18:30", "closes": "20:00"},
            ],
            languages=["cy", "en"],
            accessibility=["step_free_access", "hearing_loop"],
        ),
        asset_body(
            kind="space",
            name_en="Adamsdown community hall",
            name_cy=None,
            themes=["community_spaces"],
            location={"type": "Point", "coordinates": [-3.1640, 51.4830]},
            # A monthly and a fortnightly group survive the round trip in both languages.
            opening_hours=[
                {
                    "day": "tue",
                    "opens": "10:00",
                    "closes": "12:00",
                    "week_of_month": 1,
                    "closures": [{"closed_from": "2026-12-24", "closed_to": "2027-01-02"}],
                    "note_en": "Knit and natter",
                    "note_cy": "Gweu a sgwrsio",
                },
                {
                    "day": "mon",
                    "opens": "18:00",
                    "closes": "20:00",
                    "every_weeks": 2,
                    "starting": "2026-01-05",
                    "valid_to": "2026-07-20",
                },
            ],
            service_area={
                "type": "MultiPolygon",
                "coordinates": [[[[-3.17, 51.48], [-3.16, 51.48], [-3.16, 51.49], [-3.17, 51.48]]]],
            },
        ),
        asset_body(
            kind="service",
            name_en="Llandaff advice service",
            name_cy="Gwasanaeth cyngor Llandaf",
            themes=["money_advice"],
            location={"type": "Point", "coordinates": [-3.2170, 51.4960]},
        ),
    ]


@pytest.fixture
def publisher(backend_name: str, tmp_path: Path) -> Iterator[LiveServer]:
    """Another assetmap on a database of its own, with three published assets, a person and
    a pending suggestion, serving /openreferral on 127.0.0.1."""
    with own_database(backend_name, tmp_path) as url:
        engine = make_engine(Settings(database_url=url))
        with Session(engine) as session:
            for body in published_bodies():
                records.create_asset(session, actor="test", data=AssetCreate.model_validate(body))
            records.create_asset(
                session, actor="test", data=AssetCreate.model_validate(person_body())
            )
            pending = asset_body(name_en="Pending bakery", name_cy=None, status="pending")
            records.create_asset(session, actor="test", data=AssetCreate.model_validate(pending))
            session.commit()
        engine.dispose()
        with serve(Settings(database_url=url)) as live:
            yield live


def without_ids(document: Any) -> Any:
    """A document with its ids and modification times left out (another database, other ids)."""
    if isinstance(document, dict):
        return {
            k: without_ids(v)
            for k, v in document.items()
            if k not in PART_IDS and k not in ("last_modified", "external_identifier")
        }
    if isinstance(document, list):
        return [without_ids(v) for v in document]
    return document


def full_services(get: Any, base: str) -> list[Any]:
    page = get(f"{base}/services?per_page=500").json()
    return sorted(
        (without_ids(get(f"{base}/services/{s['id']}").json()) for s in page["contents"]),
        key=lambda s: s["name"],
    )


def count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Asset)) or 0)


def test_a_round_trip_through_the_api_publishes_the_same_documents(
    publisher: LiveServer, session: Session, client: TestClient
) -> None:
    import httpx

    base = f"{publisher.url}/openreferral"
    report = import_openreferral(session, base, welsh=True)
    assert report.ok, report.assets.problems if report.assets else report
    session.commit()
    assert (report.services, report.skipped, report.notes) == (3, [], [])
    assert report.assets is not None and report.assets.created == 3
    assert count(session) == 3  # the person and the pending suggestion never left

    with httpx.Client() as theirs:
        for prefix in ("/openreferral", "/cy/openreferral"):
            there = full_services(theirs.get, f"{publisher.url}{prefix}")
            here = full_services(client.get, prefix)
            assert here == there


def test_importing_again_changes_nothing(publisher: LiveServer, session: Session) -> None:
    base = f"{publisher.url}/openreferral"
    first = import_openreferral(session, base, welsh=True)
    session.commit()
    again = import_openreferral(session, base, welsh=True)
    session.commit()
    assert first.assets is not None and again.assets is not None
    assert (again.assets.created, again.assets.updated, again.assets.unchanged) == (0, 0, 3)
    assert count(session) == 3


def test_an_unreachable_source_is_one_clear_error(session: Session) -> None:
    with pytest.raises(OrukSourceError, match=re.escape("cannot read http://127.0.0.1:9/")):
        import_openreferral(session, "http://127.0.0.1:9/openreferral")


# ---- the profile's own examples ----------------------------------------------------------------


@pytest.fixture
def examples() -> Path:
    if not (EXAMPLES / "service_full.json").is_file():
        unavailable(f"the ORUK 3.0 examples are not at {EXAMPLES}")
    return EXAMPLES


def test_the_profiles_example_is_skipped_for_its_impossible_location(
    examples: Path, session: Session
) -> None:
    report = import_openreferral(session, str(examples / "service_full.json"))
    assert report.ok
    [skipped] = report.skipped
    assert skipped.name == "Community Counselling"
    assert "(100, 101) is not a latitude and longitude on Earth" in skipped.reason
    assert count(session) == 0


def test_the_profiles_example_keeps_every_field_the_registry_holds(
    examples: Path, session: Session, tmp_path: Path
) -> None:
    service = json.loads((examples / "service_full.json").read_text())
    fixed = copy.deepcopy(service)
    location = fixed["service_at_locations"][0]["location"]
    location["latitude"], location["longitude"] = 51.4812, -3.1566  # on Earth, in Splott
    fixed["attributes"][0]["taxonomy_term"]["name"] = "Counselling"
    (tmp_path / "service.json").write_text(json.dumps(fixed))

    report = import_openreferral(session, str(tmp_path / "service.json"), source_name="example")
    assert report.ok, report.assets.problems if report.assets else report
    session.commit()

    [asset] = session.scalars(select(Asset)).all()
    assert (asset.source, asset.source_id) == ("example", service["id"])
    assert asset.kind == "organisation"  # it names the organization that offers it
    assert asset.name_en == "Community Counselling"
    assert asset.description_en == service["description"].strip()
    assert asset.website == service["url"]
    assert asset.email == service["email"]
    assert asset.address == "1-30 Main Street, MyCity, MyState, ABC 1234"  # not a UK postcode
    assert asset.postcode is None
    assert sorted((h["day"], h["opens"], h["closes"]) for h in asset.opening_hours) == [
        ("fri", "10:00", "18:00"),
        ("thu", "10:00", "18:00"),
    ]
    assert asset.theme_codes == ["mental_health"]  # "Counselling" by the default mapping
    assert (
        asset.last_verified_at is not None
        and asset.last_verified_at.date().isoformat() == (service["assured_date"])
    )
    # What the registry cannot hold is said, not dropped silently.
    assert any("induction loops" in note for note in report.notes)


def test_a_page_of_summaries_is_skipped_with_the_reason(examples: Path, session: Session) -> None:
    report = import_openreferral(session, str(examples / "service_list.json"))
    assert [s.reason for s in report.skipped] == [
        "a summary without its locations: give the fully nested service"
    ]


def test_one_bad_service_writes_nothing(session: Session, tmp_path: Path) -> None:
    good = {
        "id": "6a0f8d0e-0000-4000-8000-000000000001",
        "name": "Good service",
        "status": "active",
        "service_at_locations": [
            {"id": "x", "location": {"id": "y", "latitude": 51.48, "longitude": -3.16}}
        ],
    }
    bad = {**copy.deepcopy(good), "id": "6a0f8d0e-0000-4000-8000-000000000002"}
    bad.update(name="Bad service", email="not an email")
    (tmp_path / "page.json").write_text(json.dumps({"contents": [good, bad]}))

    report = import_openreferral(session, str(tmp_path / "page.json"))

    assert not report.ok
    assert report.assets is not None
    assert [(p.number, p.field) for p in report.assets.problems] == [(2, "email")]
    assert "feature 2 is service 'Bad service' (6a0f8d0e-0000-4000-8000-000000000002)" in (
        report.notes
    )
    session.rollback()
    assert count(session) == 0
