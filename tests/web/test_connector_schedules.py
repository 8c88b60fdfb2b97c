"""The connector's asset form and opening rules, without JavaScript: every N weeks, the Nth
weekday of the month, dates, closures and notes are entered, refused by field, and kept when
an asset is edited."""

import re
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Asset
from tests.conftest import ADMIN, Patches, asset_body
from tests.web import test_connector_pages as pages
from tests.web.test_connector_pages import _form

connector = pages.connector  # the client signed in as a connector of the west patch

MONTHLY = {
    "day": "tue",
    "opens": "10:00",
    "closes": "12:00",
    "week_of_month": 1,
    "valid_from": "2026-01-01",
    "closures": [
        {"closed_from": "2026-12-24", "closed_to": "2027-01-02"},
        {"closed_from": "2026-08-04", "closed_to": "2026-08-04"},
    ],
    "note_en": "Knit and natter",
    "note_cy": "Gweu a sgwrsio",
}


def _saved(session: Session, name: str) -> Asset:
    session.expire_all()
    asset = session.scalar(select(Asset).where(Asset.name_en == name))
    assert asset is not None
    return asset


def test_a_monthly_and_a_fortnightly_time_are_entered_on_the_form(
    connector: TestClient, session: Session
) -> None:
    form = _form(
        **{
            "hours-0-repeat": "month1",
            "hours-0-valid_from": "2026-01-01",
            "hours-0-closures": "2026-12-24 to 2027-01-02\r\n2026-08-04",
            "hours-0-note_en": "Knit and natter",
            "hours-0-note_cy": "Gweu a sgwrsio",
            "hours-1-day": "mon",
            "hours-1-opens": "18:00",
            "hours-1-closes": "20:00",
            "hours-1-repeat": "weeks2",
            "hours-1-starting": "2026-01-05",
        }
    )
    response = connector.post("/connector/assets/new", data=form, follow_redirects=False)
    assert response.status_code == 303, response.text
    asset = _saved(session, "Adamsdown knit and natter")
    assert asset.opening_hours == [
        MONTHLY,
        {
            "day": "mon",
            "opens": "18:00",
            "closes": "20:00",
            "every_weeks": 2,
            "starting": "2026-01-05",
        },
    ]


def test_a_weekly_row_is_stored_as_before(connector: TestClient, session: Session) -> None:
    response = connector.post("/connector/assets/new", data=_form(), follow_redirects=False)
    assert response.status_code == 303, response.text
    asset = _saved(session, "Adamsdown knit and natter")
    assert asset.opening_hours == [{"day": "tue", "opens": "10:00", "closes": "12:00"}]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"hours-0-repeat": "weeks2"}, "hours-0-starting",
         "Give the date of one of the days it happens, to count the weeks from"),
        ({"hours-0-repeat": "weeks2", "hours-0-starting": "2026-01-05"}, "hours-0-starting",
         "The date to count from must be on the day chosen"),
        ({"hours-0-valid_from": "2026-03-01", "hours-0-valid_to": "2026-02-01"},
         "hours-0-valid_to", "The last date must not be before the first"),
        ({"hours-0-valid_to": "next spring"}, "hours-0-valid_to", "Enter a date like 2027-03-31"),
        ({"hours-0-closures": "Christmas"}, "hours-0-closures",
         "Enter one closure a line, like 2026-12-24 to 2027-01-02, or one day"),
        ({"hours-0-closures": "2026-12-24 to 2026-12-01"}, "hours-0-closures",
         "Enter one closure a line, like 2026-12-24 to 2027-01-02, or one day"),
        ({"hours-0-repeat": "month5"}, "hours-0-repeat", "Choose how often it happens"),
    ],
)  # fmt: skip
def test_a_wrong_rule_is_named_beside_its_field(
    connector: TestClient, overrides: dict[str, str], field: str, message: str
) -> None:
    response = connector.post("/connector/assets/new", data=_form(**overrides))
    assert response.status_code == 422
    html = response.text
    assert f'<a href="#{field}">' in html
    assert f'id="{field}-error"' in html and message in html
    assert re.search(r'<details class="hours-rule" open>', html)


def test_editing_shows_and_keeps_every_part_of_a_rule(
    connector: TestClient, session: Session, patches: Patches
) -> None:
    body = asset_body(
        location={"type": "Point", "coordinates": list(patches.west_point)},
        opening_hours=[MONTHLY],
    )
    response = connector.post("/api/v1/assets", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    asset_id = response.json()["id"]
    page = connector.get(f"/connector/assets/{asset_id}/edit").text
    assert '<option value="month1" selected>' in page
    assert "2026-12-24 to 2027-01-02\n2026-08-04</textarea>" in page

    fields = _posted_fields(page)
    saved = connector.post(
        f"/connector/assets/{asset_id}/edit",
        data={**fields, "name_en": "Splott knit and natter"},
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    assert _saved(session, "Splott knit and natter").opening_hours == [MONTHLY]


def _posted_fields(page: str) -> dict[str, Any]:
    """What a browser would post from the form as shown (inputs, selects and text areas)."""
    form = page[page.index('<form id="asset-form"') :]
    fields: dict[str, Any] = {}
    for tag in re.findall(r"<input [^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        kind = re.search(r'type="([^"]+)"', tag)
        if not name:
            continue
        if kind and kind.group(1) in ("checkbox", "radio"):
            if " checked" in tag:
                fields.setdefault(name.group(1), []).append(
                    unescape(re.search(r'value="([^"]*)"', tag).group(1))  # type: ignore[union-attr]
                )
            continue
        value = re.search(r'value="([^"]*)"', tag)
        fields[name.group(1)] = unescape(value.group(1)) if value else ""
    for name, options in re.findall(r'<select [^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', options)
        fields[name] = unescape(chosen.group(1)) if chosen else ""
    for name, text in re.findall(
        r'<textarea [^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S
    ):
        fields[name] = unescape(text)
    return fields
