"""Opening rules people keep: weekly slots as ever, every N weeks, the Nth weekday of the
month, valid dates, closures and a note in both languages; validated, shown in words in both
languages, and kept through CSV and GeoJSON."""

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Asset
from app.schemas.assets import AssetCreate
from app.schemas.tabular import asset_row
from app.services.imports.formats import native_row
from app.services.openreferral.publish import asset_object_id
from app.services.openreferral.read import import_openreferral
from tests.api import test_openreferral as oruk
from tests.api.test_openreferral import Check, ref
from tests.conftest import ADMIN, asset_body

# The profile's schemas, resolved locally: test_openreferral's fixtures.
registry, check = oruk.registry, oruk.check

FIRST_TUESDAY = {
    "day": "tue",
    "opens": "10:00",
    "closes": "12:00",
    "week_of_month": 1,
    "closures": [{"closed_from": "2026-12-24", "closed_to": "2027-01-02"}],
    "note_en": "Bring your own mug",
    "note_cy": "Te a choffi am ddim",
}
FORTNIGHTLY = {
    "day": "mon",
    "opens": "18:00",
    "closes": "20:00",
    "every_weeks": 2,
    "starting": "2026-01-05",
    "valid_from": "2026-01-05",
    "valid_to": "2026-07-20",
}
LAST_FRIDAY = {"day": "fri", "opens": "09:00", "closes": "11:30", "week_of_month": -1}
WEEKLY = {"day": "sat", "opens": "10:00", "closes": "12:00"}
RULES = [WEEKLY, FIRST_TUESDAY, FORTNIGHTLY, LAST_FRIDAY]


def create(client: TestClient, hours: list[dict[str, Any]]) -> dict[str, Any]:
    response = client.post("/api/v1/assets", json=asset_body(opening_hours=hours), headers=ADMIN)
    assert response.status_code == 201, response.text
    return response.json()


def page_text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_a_weekly_slot_is_stored_and_returned_exactly_as_before(client: TestClient) -> None:
    created = create(client, [WEEKLY])
    fetched = client.get(f"/api/v1/assets/{created['id']}").json()
    assert fetched["opening_hours"] == [WEEKLY]


def test_monthly_and_fortnightly_rules_round_trip_through_the_api(client: TestClient) -> None:
    created = create(client, RULES)
    fetched = client.get(f"/api/v1/assets/{created['id']}").json()
    assert fetched["opening_hours"] == RULES


def test_a_rule_can_be_changed_back_to_weekly(client: TestClient) -> None:
    created = create(client, [FIRST_TUESDAY])
    response = client.patch(
        f"/api/v1/assets/{created['id']}",
        json={"opening_hours": [{"day": "tue", "opens": "10:00", "closes": "12:00"}]},
        headers={**ADMIN, "If-Match": f'"a{created["id"]}-v1"'},
    )
    assert response.status_code == 200, response.text
    assert response.json()["opening_hours"] == [{"day": "tue", "opens": "10:00", "closes": "12:00"}]


def test_a_blank_or_null_note_is_no_note(client: TestClient) -> None:
    rules = [{**WEEKLY, "note_en": "  ", "note_cy": None, "valid_to": "2027-01-01"}]
    created = create(client, rules)
    assert created["opening_hours"] == [{**WEEKLY, "valid_to": "2027-01-01"}]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"week_of_month": 5}, ["week_of_month"]),
        ({"opens": "12:00", "closes": "10:00"}, ["closes"]),
        ({"valid_from": "2026-03-01", "valid_to": "2026-02-01"}, ["valid_to"]),
        ({"every_weeks": 0}, ["every_weeks"]),
        ({"every_weeks": 2}, ["starting"]),
        ({"every_weeks": 2, "starting": "2026-01-06"}, ["starting"]),
        ({"every_weeks": 2, "starting": "2026-01-05", "week_of_month": 1}, ["week_of_month"]),
        (
            {"closures": [{"closed_from": "2026-12-24", "closed_to": "2026-12-01"}]},
            ["closures", 0, "closed_to"],
        ),
        ({"note_cy": "x" * 501}, ["note_cy"]),
        ({"note_en": "tea\x00"}, ["note_en"]),
        ({"fortnightly": True}, ["fortnightly"]),
    ],
)
def test_a_bad_rule_is_refused_naming_the_field(
    client: TestClient, change: dict[str, Any], field: list[Any]
) -> None:
    rule = {"day": "mon", "opens": "10:00", "closes": "12:00", **change}
    response = client.post("/api/v1/assets", json=asset_body(opening_hours=[rule]), headers=ADMIN)
    assert response.status_code == 422, response.text
    locations = [error["loc"] for error in response.json()["detail"]]
    assert ["body", "opening_hours", 0, *field] in locations


def test_the_asset_page_says_the_rules_in_english(client: TestClient) -> None:
    created = create(client, RULES)
    text = page_text(client.get(f"/assets/{created['id']}").text)
    assert "First Tuesday of the month, 10:00 to 12:00" in text
    assert "Closed 24 December 2026 to 2 January 2027" in text
    assert "Bring your own mug" in text
    assert "Every 2 weeks on Monday, 18:00 to 20:00" in text
    assert "From 5 January 2026 to 20 July 2026" in text
    assert "Last Friday of the month, 09:00 to 11:30" in text
    assert "Saturday 10:00 to 12:00" in text


def test_the_asset_page_says_the_rules_in_welsh(client: TestClient) -> None:
    created = create(client, RULES)
    text = page_text(client.get(f"/cy/assets/{created['id']}").text)
    assert "Dydd Mawrth cyntaf y mis, 10:00 i 12:00" in text
    assert "Ar gau 24 Rhagfyr 2026 hyd at 2 Ionawr 2027" in text
    assert "Te a choffi am ddim" in text
    assert "Dydd Llun bob 2 wythnos, 18:00 i 20:00" in text
    assert "Dydd Gwener olaf y mis, 09:00 i 11:30" in text


def test_welsh_ordinals_before_the_day_lower_and_mutate_it(client: TestClient) -> None:
    rules = [
        {"day": "tue", "opens": "10:00", "closes": "11:00", "week_of_month": n} for n in (2, 3, 4)
    ]
    created = create(client, rules)
    text = page_text(client.get(f"/cy/assets/{created['id']}").text)
    assert "Ail ddydd Mawrth y mis" in text
    assert "Trydydd dydd Mawrth y mis" in text
    assert "Pedwerydd dydd Mawrth y mis" in text


def test_rules_survive_the_csv_export_and_import(client: TestClient) -> None:
    created = create(client, RULES)
    response = client.get("/api/v1/assets?f=csv")
    (row,) = list(csv.DictReader(io.StringIO(response.text)))
    parsed = native_row(
        {"opening_hours": row["opening_hours"], "lon": row["lon"], "lat": row["lat"]},
        None,
        location_field="lon",
    )
    assert parsed.problems == []
    body = AssetCreate.model_validate(asset_body(opening_hours=parsed.data["opening_hours"]))
    assert [rule.stored() for rule in body.opening_hours] == created["opening_hours"]


def test_weekly_hours_keep_their_short_csv_form() -> None:
    record = {
        "themes": [],
        "service_area": None,
        "opening_hours": [WEEKLY],
        "accessibility": [],
        "languages": [],
        "last_verified_at": None,
        "created_at": None,
        "updated_at": None,
    }
    assert asset_row(record)["opening_hours"] == "sat 10:00-12:00"


def test_rules_survive_geojson(client: TestClient) -> None:
    created = create(client, RULES)
    feature = client.get(f"/api/v1/assets/{created['id']}?f=geojson").json()
    assert feature["properties"]["opening_hours"] == RULES


def oruk_schedules(client: TestClient, asset_id: int, check: Check, prefix: str = "") -> Any:
    service_id = asset_object_id("service", asset_id)
    service = client.get(f"{prefix}/openreferral/services/{service_id}").json()
    check(service, ref("compiled/service.json"))
    return {s["byday"]: s for s in service["schedules"]}


def test_rules_become_oruk_schedules_that_validate(client: TestClient, check: Check) -> None:
    created = create(client, RULES)
    schedules = oruk_schedules(client, created["id"], check)
    first_tuesday = schedules["1TU"]
    assert (first_tuesday["freq"], first_tuesday["interval"]) == ("MONTHLY", 1)
    assert (first_tuesday["opens_at"], first_tuesday["closes_at"]) == ("10:00:00", "12:00:00")
    assert first_tuesday["description"] == (
        "First Tuesday of the month, 10:00 to 12:00. Bring your own mug"
    )
    assert first_tuesday["notes"] == "Closed 24 December 2026 to 2 January 2027"
    fortnightly = schedules["MO"]
    assert (fortnightly["freq"], fortnightly["interval"]) == ("WEEKLY", 2)
    assert fortnightly["dtstart"] == "2026-01-05"
    assert (fortnightly["valid_from"], fortnightly["valid_to"]) == ("2026-01-05", "2026-07-20")
    assert schedules["-1FR"]["freq"] == "MONTHLY"
    weekly = schedules["SA"]
    assert (weekly["freq"], weekly["interval"], weekly["description"]) == (
        "WEEKLY",
        1,
        "Saturday, 10:00 to 12:00",
    )
    assert "notes" not in weekly and "dtstart" not in weekly


def test_oruk_schedules_in_welsh_carry_the_welsh_words(client: TestClient, check: Check) -> None:
    created = create(client, RULES)
    schedules = oruk_schedules(client, created["id"], check, prefix="/cy")
    assert schedules["1TU"]["description"] == (
        "Dydd Mawrth cyntaf y mis, 10:00 i 12:00. Te a choffi am ddim"
    )
    assert schedules["1TU"]["notes"] == "Ar gau 24 Rhagfyr 2026 hyd at 2 Ionawr 2027"


def test_rules_read_back_from_an_oruk_service(
    client: TestClient, check: Check, session: Session, tmp_path: Path
) -> None:
    created = create(client, RULES)
    service_id = asset_object_id("service", created["id"])
    service = client.get(f"/openreferral/services/{service_id}").json()
    (tmp_path / "service.json").write_text(json.dumps(service))

    report = import_openreferral(session, str(tmp_path / "service.json"), source_name="copy")
    assert report.ok, report.assets.problems if report.assets else report
    assert report.notes == []
    session.commit()

    copy = session.scalars(select(Asset).where(Asset.source == "copy")).one()
    english_only = [{k: v for k, v in r.items() if k != "note_cy"} for r in RULES]
    assert copy.opening_hours == english_only


def test_an_every_n_weeks_schedule_from_elsewhere_counts_from_dtstart_week(
    session: Session, tmp_path: Path, client: TestClient, check: Check
) -> None:
    created = create(client, [WEEKLY])
    service = client.get(
        f"/openreferral/services/{asset_object_id('service', created['id'])}"
    ).json()
    # Every 3 weeks on Mondays and Thursdays from Wednesday 7 January 2026: Thursday 8
    # January is in dtstart's week; Monday 5 January is before dtstart, so 26 January.
    service["schedules"] = [
        {
            "id": "6f9d4a8e-1111-4a8e-9a8e-6f9d4a8e1111",
            "freq": "WEEKLY",
            "interval": 3,
            "byday": "MO,TH",
            "dtstart": "2026-01-07",
            "opens_at": "09:00",
            "closes_at": "10:00",
            "description": "Drop-in",
        }
    ]
    (tmp_path / "service.json").write_text(json.dumps(service))
    report = import_openreferral(session, str(tmp_path / "service.json"), source_name="other")
    assert report.ok, report.assets.problems if report.assets else report
    session.commit()
    copy = session.scalars(select(Asset).where(Asset.source == "other")).one()
    assert copy.opening_hours == [
        {
            "day": "mon",
            "opens": "09:00",
            "closes": "10:00",
            "every_weeks": 3,
            "starting": "2026-01-26",
            "note_en": "Drop-in",
        },
        {
            "day": "thu",
            "opens": "09:00",
            "closes": "10:00",
            "every_weeks": 3,
            "starting": "2026-01-08",
            "note_en": "Drop-in",
        },
    ]
