"""/api/v1/map: assets by viewport (clusters or points) and downloads of a view, both backends."""

import csv
import io
import math
import random
from typing import Any

import numpy as np
import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.services.assets import map_layers
from app.services.assets.map_layers import MapView, assets_in_view, cell_size
from app.spatial import BBox
from tests.api.conftest import insert_assets
from tests.conftest import ADMIN

CARDIFF = "-3.35,51.38,-3.05,51.56"
INSIDE = (-3.25, 51.42, -3.12, 51.52)


def _scatter(count: int, seed: int, box: tuple[float, float, float, float] = INSIDE) -> list[Any]:
    rng = random.Random(seed)
    return [
        {
            "name_en": f"Place {seed}-{i}",
            "name_cy": f"Lle {seed}-{i}",
            "lon": rng.uniform(box[0], box[2]),
            "lat": rng.uniform(box[1], box[3]),
            "kind": rng.choice(["group", "space", "service"]),
        }
        for i in range(count)
    ]


@pytest.fixture
def crowd(session: Session) -> dict[str, int]:
    """500 published assets, plus people and pending assets that must never be counted."""
    insert_assets(session, _scatter(500, 1))
    hidden = _scatter(40, 2)
    for i, row in enumerate(hidden):
        row["kind"] = "skill" if i % 3 == 0 else "volunteer" if i % 3 == 1 else "group"
        row["status"] = "published" if i % 3 != 2 else "pending"
    insert_assets(session, hidden)
    # Outside the view: not counted either.
    insert_assets(session, _scatter(25, 3, (-4.0, 52.0, -3.9, 52.1)))
    session.commit()
    return {"published": 500}


def test_clusters_sum_to_the_published_public_assets_in_the_view(
    client: TestClient, crowd: dict[str, int]
) -> None:
    for zoom in (5, 9, 11, 12):
        body = client.get(f"/api/v1/map/assets?bbox={CARDIFF}&zoom={zoom}").json()
        assert body["mode"] == "clusters"
        counts = [f["properties"]["count"] for f in body["features"]]
        assert sum(counts) == body["total"] == crowd["published"], zoom
        assert body["truncated"] is False
    coarse = client.get(f"/api/v1/map/assets?bbox={CARDIFF}&zoom=5").json()
    fine = client.get(f"/api/v1/map/assets?bbox={CARDIFF}&zoom=12").json()
    assert len(coarse["features"]) < len(fine["features"])


def test_admins_see_no_people_or_pending_on_the_map_either(
    client: TestClient, crowd: dict[str, int]
) -> None:
    body = client.get(f"/api/v1/map/assets?bbox={CARDIFF}&zoom=9", headers=ADMIN).json()
    assert body["total"] == crowd["published"]


def test_cluster_points_are_the_mean_of_their_cell(client: TestClient, session: Session) -> None:
    insert_assets(
        session,
        [
            {"name_en": "A", "lon": -3.20, "lat": 51.40},
            {"name_en": "B", "lon": -3.10, "lat": 51.50},
        ],
    )
    session.commit()
    body = client.get(f"/api/v1/map/assets?bbox={CARDIFF}&zoom=3").json()
    assert body["mode"] == "clusters"
    (feature,) = body["features"]
    assert feature["properties"] == {"count": 2}
    lon, lat = feature["geometry"]["coordinates"]
    assert lon == pytest.approx(-3.15) and lat == pytest.approx(51.45)


def test_close_views_with_few_assets_return_named_points(
    client: TestClient, session: Session
) -> None:
    rows = [
        {"name_en": "Splott lunch club", "name_cy": "Clwb cinio Sblot", "lon": -3.156},
        {"name_en": None, "name_cy": "Caffi Trwsio", "kind": "space", "lon": -3.157},
        {"name_en": "Rhian's sewing", "kind": "skill", "lon": -3.158},
        {"name_en": "Pending hall", "status": "pending", "lon": -3.159},
    ]
    ids = insert_assets(session, [{**r, "lat": 51.481} for r in rows])
    session.commit()
    body = client.get("/api/v1/map/assets?bbox=-3.17,51.47,-3.14,51.49&zoom=15").json()
    assert body["mode"] == "points"
    assert [f["properties"] for f in body["features"]] == [
        {
            "id": ids[0],
            "name_en": "Splott lunch club",
            "name_cy": "Clwb cinio Sblot",
            "kind": "group",
        },
        {"id": ids[1], "name_en": None, "name_cy": "Caffi Trwsio", "kind": "space"},
    ]
    assert body["features"][0]["geometry"]["coordinates"] == pytest.approx([-3.156, 51.481])
    assert body["total"] == 2


def test_too_many_assets_in_a_close_view_are_clustered(
    client: TestClient, session: Session
) -> None:
    box = (-3.17, 51.47, -3.16, 51.475)
    insert_assets(session, _scatter(map_layers.MAX_POINTS + 1, 4, box))
    session.commit()
    body = client.get("/api/v1/map/assets?bbox=-3.17,51.47,-3.16,51.475&zoom=16").json()
    assert body["mode"] == "clusters"
    assert body["total"] == map_layers.MAX_POINTS + 1


def test_kind_and_theme_narrow_the_view(client: TestClient, make_asset: Any) -> None:
    make_asset(kind="group", themes=["food"])
    make_asset(kind="space", themes=["housing"])
    make_asset(kind="service", themes=["food", "housing"])
    base = f"/api/v1/map/assets?bbox={CARDIFF}&zoom=9"
    assert client.get(base + "&kind=space&kind=service").json()["total"] == 2
    assert client.get(base + "&theme=food").json()["total"] == 2
    assert client.get(base + "&theme=food&kind=group").json()["total"] == 1


def test_the_feature_cap_is_kept_and_said(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    insert_assets(session, _scatter(60, 5))
    session.commit()
    monkeypatch.setattr(map_layers, "MAX_FEATURES", 10)
    body = assets_in_view(
        session,
        view=MapView(BBox(-3.35, 51.38, -3.05, 51.56), zoom=12),
        points=map_layers.PointCache(),
    )
    assert len(body["features"]) == 10 and body["truncated"] is True


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("zoom=9", "bbox"),
        (f"bbox={CARDIFF}", "zoom"),
        (f"bbox={CARDIFF}&zoom=30", "zoom"),
        ("bbox=-3.1,51.5,-3.2,51.4&zoom=9", "bbox"),
        ("bbox=-3,50,9,62&zoom=9", "bbox"),
        (f"bbox={CARDIFF}&zoom=9&kind=skill", "kind"),
        (f"bbox={CARDIFF}&zoom=9&theme=no_such_theme", "theme"),
    ],
)
def test_bad_parameters_are_422_naming_the_field(
    client: TestClient, query: str, field: str
) -> None:
    response = client.get(f"/api/v1/map/assets?{query}")
    assert response.status_code == 422
    (error, *_) = response.json()["detail"]
    assert error["loc"][-1] == field or field in error["loc"]
    assert error["msg"]


def test_cell_size_halves_with_each_zoom_and_is_square_on_screen() -> None:
    w9, h9 = cell_size(9, 51.5)
    w10, _ = cell_size(10, 51.5)
    assert w10 == pytest.approx(w9 / 2)
    assert h9 == pytest.approx(w9 * 0.6225, rel=1e-3)


# ---- downloads -----------------------------------------------------------------------------


@pytest.fixture
def tricky(session: Session) -> list[int]:
    """Two public assets in the view (one named like a formula), a person, a pending one."""
    rows = [
        {"name_en": '=HYPERLINK("http://x")', "lon": -3.156},
        {"name_en": "Splott lunch club", "lon": -3.157},
        {"name_en": "Rhian Jones", "kind": "volunteer", "lon": -3.158},
        {"name_en": "Pending hall", "status": "pending", "lon": -3.159},
    ]
    ids = insert_assets(session, [{**r, "lat": 51.481} for r in rows])
    session.commit()
    return ids[:2]


def test_geojson_download_holds_the_public_assets_of_the_view(
    client: TestClient, tricky: list[int]
) -> None:
    response = client.get(
        "/api/v1/map/download?bbox=-3.17,51.47,-3.14,51.49&f=geojson", headers=ADMIN
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/geo+json")
    assert response.headers["content-disposition"].startswith("attachment;")
    body = orjson.loads(response.content)
    assert body["type"] == "FeatureCollection"
    assert [f["id"] for f in body["features"]] == tricky
    assert "Rhian" not in response.text and "Pending" not in response.text


def test_csv_download_keeps_the_formula_guard(client: TestClient, tricky: list[int]) -> None:
    response = client.get("/api/v1/map/download?bbox=-3.17,51.47,-3.14,51.49&f=csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="assets-in-view.csv"' in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [int(r["id"]) for r in rows] == tricky
    assert rows[0]["name_en"] == '\'=HYPERLINK("http://x")'


def test_csv_download_streams_batches_with_one_header(session: Session) -> None:
    insert_assets(session, _scatter(25, 6))
    session.commit()
    filters = map_layers.download_filters(session, view=MapView(BBox(-3.35, 51.38, -3.05, 51.56)))
    text = b"".join(map_layers.csv_chunks(session, filters, batch=10)).decode()
    assert text.count("id,kind,name_en") == 1
    assert len(list(csv.DictReader(io.StringIO(text)))) == 25


def test_download_of_an_empty_view_is_a_valid_empty_file(client: TestClient) -> None:
    body = client.get(f"/api/v1/map/download?bbox={CARDIFF}").json()
    assert body == {"type": "FeatureCollection", "features": []}
    text = client.get(f"/api/v1/map/download?bbox={CARDIFF}&f=csv").text
    assert text.startswith("id,kind,") and text.count("\r\n") == 1


def test_a_download_over_the_cap_is_refused_on_bbox(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    insert_assets(session, _scatter(6, 7))
    session.commit()
    monkeypatch.setattr(map_layers, "MAX_DOWNLOAD", 5)
    response = client.get(f"/api/v1/map/download?bbox={CARDIFF}&f=csv")
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["query", "bbox"] and "at most 5" in error["msg"]


def test_clusters_follow_every_change_though_the_points_are_kept_between_requests(
    client: TestClient, crowd: dict[str, int], session: Session
) -> None:
    def total() -> int:
        return client.get(f"/api/v1/map/assets?bbox={CARDIFF}&zoom=9").json()["total"]

    assert total() == 500
    assert total() == 500  # from the app's point cache this time
    body = {"kind": "group", "name_en": "New hall", "location": {"type": "Point",
            "coordinates": [-3.2, 51.47]}, "themes": ["food"], "status": "published"}  # fmt: skip
    created = client.post("/api/v1/assets", json=body, headers=ADMIN)
    assert created.status_code == 201, created.text
    assert total() == 501
    asset_id = created.json()["id"]
    moved = client.patch(
        f"/api/v1/assets/{asset_id}",
        json={"location": {"type": "Point", "coordinates": [-4.5, 53.0]}},
        headers={**ADMIN, "If-Match": "*"},
    )
    assert moved.status_code == 200, moved.text
    assert total() == 500  # moved out of the view
    insert_assets(session, _scatter(3, 9))
    session.commit()
    assert total() == 503
    archived = client.delete(f"/api/v1/assets/{asset_id}", headers={**ADMIN, "If-Match": "*"})
    assert archived.status_code in (200, 204)
    assert total() == 503


def test_grid_cells_agree_with_a_count_by_hand() -> None:
    rng = random.Random(5)
    lon = np.array([rng.uniform(-3.3, -3.1) for _ in range(2000)])
    lat = np.array([rng.uniform(51.4, 51.5) for _ in range(2000)])
    bbox, cell = BBox(-3.25, 51.42, -3.12, 51.49), (0.013, 0.008)
    by_hand: dict[tuple[int, int], list[tuple[float, float]]] = {}
    for x, y in zip(lon, lat, strict=True):
        if bbox.minx <= x <= bbox.maxx and bbox.miny <= y <= bbox.maxy:
            key = (math.floor((x + 180) / cell[0]), math.floor((y + 90) / cell[1]))
            by_hand.setdefault(key, []).append((x, y))
    cells = map_layers.grid_cells(lon, lat, bbox, cell)
    expected = sorted(
        (
            (len(p), sum(x for x, _ in p) / len(p), sum(y for _, y in p) / len(p))
            for p in by_hand.values()
        ),
        key=lambda c: -c[0],
    )
    assert [c[0] for c in cells] == [c[0] for c in expected]
    for got, want in zip(sorted(cells), sorted(expected), strict=True):
        assert got == pytest.approx(want)
