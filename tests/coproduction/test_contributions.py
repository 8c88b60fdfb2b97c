""" "My contributions": a resident sees everything they gave the map, with where each stands,
and nobody else's (page and API, both databases)."""

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.services.coproduction.offers import NOTICE_VERSION
from app.settings import Settings
from tests.conftest import ADMIN, ADMIN_TOKEN, Patches, asset_body


@pytest.fixture
def settings(db: Any, db_url: str, tmp_path: Path) -> Settings:
    """The test settings, with the erasure ledger in the test's own directory."""
    return Settings(
        database_url=db_url, admin_token=ADMIN_TOKEN, erasure_ledger=tmp_path / "erasures.jsonl"
    )


def _point(where: tuple[float, float]) -> dict[str, Any]:
    return {"type": "Point", "coordinates": list(where)}


def _contribute(client: TestClient, who: dict[str, str], patches: Patches) -> dict[str, int]:
    """One of everything a resident can contribute, in the west patch."""
    west = patches.west_point
    made = client.post("/api/v1/assets", json=asset_body(location=_point(west)), headers=ADMIN)
    used = made.json()["id"]
    suggested = client.post(
        "/api/v1/suggestions",
        json={"kind": "group", "name_en": "Knit and natter", "themes": ["food"],
              "location": _point(west)},
        headers=who,
    )  # fmt: skip
    reported = client.post(
        f"/api/v1/assets/{used}/reports", json={"problem": "closed"}, headers=who
    )
    marked = client.put(f"/api/v1/assets/{used}/use", headers=who)
    offered = client.post(
        "/api/v1/offers",
        json={"kind": "volunteer", "theme": "food", "title": "Driving to the food bank",
              "near": list(west), "notice_version": f"{NOTICE_VERSION}-en", "consent": True},
        headers=who,
    )  # fmt: skip
    missing = client.post(
        "/api/v1/gaps",
        json={"theme": "food", "text": "No community fridge", "near": list(west)},
        headers=who,
    )
    asked = client.post(
        "/api/v1/introductions", json={"theme": "food", "near": list(west)}, headers=who
    )
    for response in (made, suggested, reported, offered, missing, asked):
        assert response.status_code == 201, response.text
    assert marked.status_code in (200, 204), marked.text
    return {
        "used": used,
        "suggested": suggested.json()["id"],
        "offer": offered.json()["id"],
        "gap": missing.json()["id"],
    }


def test_a_resident_sees_each_contribution_with_its_status(
    client: TestClient, make_user: Any, patches: Patches
) -> None:
    resident = make_user("resident")
    ids = _contribute(client, resident, patches)

    mine = client.get("/api/v1/contributions", headers=resident)

    assert mine.status_code == 200, mine.text
    body = mine.json()
    assert [(s["asset_id"], s["status"]) for s in body["suggestions"]] == [
        (ids["suggested"], "pending")
    ]
    assert [(r["asset_id"], r["problem"], r["status"]) for r in body["reports"]] == [
        (ids["used"], "closed", "open")
    ]
    assert [(u["asset_id"], u["published"]) for u in body["uses"]] == [(ids["used"], True)]
    assert [(o["id"], o["status"]) for o in body["offers"]] == [(ids["offer"], "pending")]
    assert [(g["id"], g["status"], g["reported_by_you"]) for g in body["gaps"]] == [
        (ids["gap"], "pending", True)
    ]
    assert [(i["theme"], i["status"]) for i in body["introductions"]] == [("food", "open")]


def test_a_declined_offer_shows_its_reason_to_the_resident(
    client: TestClient, make_user: Any, patches: Patches
) -> None:
    resident = make_user("resident")
    ids = _contribute(client, resident, patches)
    declined = client.post(
        f"/api/v1/offers/{ids['offer']}/decline",
        json={"reason": "We already have drivers here"},
        headers=ADMIN,
    )
    assert declined.status_code == 200, declined.text

    offer = client.get("/api/v1/contributions", headers=resident).json()["offers"][0]

    assert (offer["status"], offer["decline_reason"]) == (
        "declined",
        "We already have drivers here",
    )


def test_nobody_sees_another_residents_contributions(
    client: TestClient, make_user: Any, patches: Patches
) -> None:
    first, second = make_user("resident"), make_user("resident")
    _contribute(client, first, patches)

    theirs = client.get("/api/v1/contributions", headers=second).json()

    assert all(value == [] for value in theirs.values()), theirs
    assert client.get("/api/v1/contributions").status_code == 401


def test_the_page_lists_them_in_english_and_welsh(
    client: TestClient, make_user: Any, patches: Patches
) -> None:
    resident = make_user("resident", password="correct horse battery")
    _contribute(client, resident, patches)
    signed_in = client.post(
        "/sign-in",
        data={"email": "resident1@example.org", "password": "correct horse battery"},
        follow_redirects=False,
    )
    assert signed_in.status_code == 303, signed_in.text

    english = client.get("/my/contributions")
    welsh = client.get("/cy/my/contributions")

    assert english.status_code == welsh.status_code == 200
    assert "Knit and natter" in english.text and "Knit and natter" in welsh.text
    assert "Driving to the food bank" in english.text
    assert "No community fridge" in english.text
    assert "Waiting for a community connector" in english.text
    assert "Fy nghyfraniadau" in welsh.text
    client.cookies.clear()
    assert client.get("/my/contributions", follow_redirects=False).status_code in (303, 401)


def test_the_connectors_dashboard_counts_the_offers_and_gaps_waiting_in_their_patch(
    client: TestClient, make_user: Any, patches: Patches
) -> None:
    _contribute(client, make_user("resident"), patches)
    make_user("connector", patch=[patches.west], password="correct horse battery")
    signed_in = client.post(
        "/sign-in",
        data={"email": "connector2@example.org", "password": "correct horse battery"},
        follow_redirects=False,
    )
    assert signed_in.status_code == 303, signed_in.text

    html = client.get("/connector").text

    assert '<a href="/connector/offers">1 offer of help to confirm</a>' in html
    assert '<a href="/connector/gaps">1 gap reported as missing waiting</a>' in html
