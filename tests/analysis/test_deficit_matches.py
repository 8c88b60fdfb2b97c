"""The asset-based answer to a deficit: assets of its theme or related themes, nearest first."""

from fastapi.testclient import TestClient

from tests.api.test_deficits_api import deficit_body
from tests.conftest import ADMIN, asset_body

SPLOTT = (-3.1566, 51.4812)


def create_asset(client: TestClient, lon: float, lat: float, **overrides: object) -> int:
    body = asset_body(location={"type": "Point", "coordinates": [lon, lat]}, **overrides)
    response = client.post("/api/v1/assets", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def report(client: TestClient, **overrides: object) -> int:
    response = client.post("/api/v1/deficits", json=deficit_body(**overrides), headers=ADMIN)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def test_matches_are_related_published_assets_nearest_first(client: TestClient) -> None:
    lon, lat = SPLOTT
    near_friends = create_asset(client, lon, lat + 0.002, themes=["older_people"])
    nearer_lonely = create_asset(client, lon, lat + 0.001, themes=["loneliness_befriending"])
    create_asset(client, lon, lat + 0.0005, themes=["housing"])  # unrelated theme
    create_asset(client, lon, lat + 0.0005, themes=["loneliness_befriending"], status="pending")
    create_asset(client, lon, lat + 0.05, themes=["loneliness_befriending"])  # ~5.5 km away
    deficit = report(client, theme="loneliness_befriending")
    body = client.get(f"/api/v1/deficits/{deficit}/matches?distance_m=2000").json()
    assert [a["id"] for a in body["items"]] == [nearer_lonely, near_friends]
    assert body["themes_matched"][0] == "loneliness_befriending"
    assert "older_people" in body["themes_matched"]
    distances = [a["distance_m"] for a in body["items"]]
    assert distances == sorted(distances) and 100 < distances[0] < 120


def test_an_area_deficit_is_matched_from_a_point_inside_it(client: TestClient) -> None:
    lon, lat = SPLOTT
    ring = [[lon - 0.01, lat - 0.01], [lon + 0.01, lat - 0.01], [lon + 0.01, lat + 0.01],
            [lon - 0.01, lat + 0.01], [lon - 0.01, lat - 0.01]]  # fmt: skip
    inside = create_asset(client, lon, lat, themes=["transport"])
    deficit = report(client, location=None, area={"type": "Polygon", "coordinates": [ring]})
    body = client.get(f"/api/v1/deficits/{deficit}/matches").json()
    assert [a["id"] for a in body["items"]] == [inside]


def test_matches_of_an_unknown_deficit_is_404(client: TestClient) -> None:
    assert client.get("/api/v1/deficits/999999/matches").status_code == 404
