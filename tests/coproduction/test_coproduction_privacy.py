"""Residents' co-production never places or names a resident: two residents at different points
of one 1 km square who offer help, say "I use this", add "me too" to a published gap and report
a gap of their own give byte-identical answers on every public route (the privacy crawl of
tests/api/test_people_privacy.py), and no public answer holds a point within 1 km of them."""

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.services.coproduction.offers import NOTICE_VERSION
from app.settings import Settings
from tests.api.test_people_privacy import EXACT, _crawl, _near_points, _point
from tests.conftest import ADMIN, ADMIN_TOKEN, Patches, asset_body


@pytest.fixture
def settings(db: Any, db_url: str, tmp_path: Path) -> Settings:
    """The test settings, with the erasure ledger in the test's own directory."""
    return Settings(
        database_url=db_url, admin_token=ADMIN_TOKEN, erasure_ledger=tmp_path / "erasures.jsonl"
    )


@pytest.fixture
def place(client: TestClient, patches: Patches, make_user: Any) -> tuple[int, int, int]:
    """A published group, a deficit and a published residents' gap in the east patch, far from
    the residents."""
    east = _point(patches.east_point)
    # The crawl masks the people's ids: keep asset ids clear of the deficits' small ones.
    for _ in range(5):
        assert client.post("/api/v1/assets", json=asset_body(location=east), headers=ADMIN)
    group = client.post("/api/v1/assets", json=asset_body(location=east), headers=ADMIN)
    deficit = client.post(
        "/api/v1/deficits",
        json={"theme": "food", "title_en": "No food bank", "severity": 3, "location": east},
        headers=ADMIN,
    )
    reported = client.post(
        "/api/v1/gaps",
        json={"theme": "food", "text": "No community fridge", "near": list(patches.east_point)},
        headers=make_user("resident"),
    )
    assert group.status_code == deficit.status_code == reported.status_code == 201
    gap = reported.json()["id"]
    published = client.post(f"/api/v1/gaps/{gap}/publish", json={"severity": 3}, headers=ADMIN)
    assert published.status_code == 200, published.text
    return group.json()["id"], deficit.json()["id"], gap


def _take_part(
    client: TestClient, who: dict[str, str], where: tuple[float, float], place: tuple[int, ...]
) -> tuple[int, int]:
    """Everything a resident can do, from `where`: an offer (confirmed), "I use this", "me
    too" and a gap of their own (pending). The offer's id and its person record's id."""
    group, _deficit, gap = place
    offered = client.post(
        "/api/v1/offers",
        json={"kind": "skill", "theme": "food", "title": "Teaching basic cooking",
              "near": list(where), "notice_version": f"{NOTICE_VERSION}-en", "consent": True},
        headers=who,
    )  # fmt: skip
    assert offered.status_code == 201, offered.text
    offer = offered.json()["id"]
    confirmed = client.post(f"/api/v1/offers/{offer}/confirm", headers=ADMIN)
    assert confirmed.status_code == 200, confirmed.text
    person = confirmed.json()["asset_id"]
    assert client.put(f"/api/v1/assets/{group}/use", headers=who).status_code == 200
    assert client.put(f"/api/v1/gaps/{gap}/support", headers=who).status_code == 200
    own_gap = client.post(
        "/api/v1/gaps", json={"theme": "food", "text": "No lunch club", "near": list(where)},
        headers=who,
    )  # fmt: skip
    assert own_gap.status_code == 201, own_gap.text
    return offer, person


def _leave(client: TestClient, who: dict[str, str], offer: int, place: tuple[int, ...]) -> None:
    group, _deficit, gap = place
    assert client.delete(f"/api/v1/offers/{offer}", headers=who).status_code == 204
    assert client.delete(f"/api/v1/assets/{group}/use", headers=who).status_code == 204
    assert client.delete(f"/api/v1/gaps/{gap}/support", headers=who).status_code == 200


def test_two_residents_at_different_points_of_one_square_look_the_same(
    client: TestClient, make_user: Any, place: tuple[int, int, int]
) -> None:
    first = make_user("resident")
    offer, person = _take_part(client, first, EXACT[0], place)
    seen_first = _crawl(client, [person], *place)
    _leave(client, first, offer, place)

    second = make_user("resident")
    _offer, person = _take_part(client, second, EXACT[1], place)
    seen_second = _crawl(client, [person], *place)

    assert len(seen_first) > 30
    assert seen_first == seen_second
    leaks = {url: _near_points(text) for url, text in seen_second.items()}
    assert {url: found for url, found in leaks.items() if found} == {}
