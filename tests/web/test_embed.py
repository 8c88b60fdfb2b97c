"""/embed: the embeddable map page, its filters, its framing policy and its size."""

import random
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from app.main import create_app
from app.models import Asset
from app.settings import Settings
from tests.api.conftest import insert_assets
from tests.maps.islands import page_island


def _config(html: str) -> dict[str, Any]:
    """The live layer's configuration as the page hands it to the script."""
    live = [layer for layer in page_island(html)["layers"] if layer["type"] == "live"]
    assert live, "the page has no live layer"
    return dict(live[0]["config"])


def test_the_embed_page_is_a_minimal_page_with_the_list_before_the_map(
    client: TestClient,
) -> None:
    response = client.get("/embed")
    assert response.status_code == 200
    html = response.text
    assert '<html lang="en">' in html and "<title>" in html and '<main id="main">' in html
    assert html.count("<h1") == 1
    assert 'class="site-nav"' not in html  # no site navigation inside a frame
    assert html.index('id="live-list"') < html.index('class="folium-map"')
    assert 'aria-live="polite"' in html
    assert "Open the full map" in html and 'target="_top"' in html
    assert "/static/js/live-layer.js" in html


def test_filters_from_the_query_reach_the_layer_the_links_and_the_fit(
    client: TestClient,
) -> None:
    html = client.get(
        "/embed?kind=space&kind=skill&theme=food&theme=nonsense&bbox=-3.2,51.45,-3.1,51.5"
    ).text
    config = _config(html)
    assert config["kinds"] == ["space"]  # people's kinds are never a filter
    assert config["themes"] == ["food"]  # unknown themes are dropped
    assert page_island(html)["bounds"] == [[51.45, -3.2], [51.5, -3.1]]
    assert (
        "/api/v1/map/download?kind=space&amp;theme=food&amp;"
        "bbox=-3.200000%2C51.450000%2C-3.100000%2C51.500000&amp;f=csv"
    ) in html
    assert "/planner?kind=space&amp;theme=food" in html


def test_without_a_bbox_the_map_fits_the_public_assets(
    client: TestClient, session: Session
) -> None:
    insert_assets(
        session,
        [
            {"name_en": "West", "lon": -3.30, "lat": 51.44},
            {"name_en": "East", "lon": -3.10, "lat": 51.52},
            {"name_en": "A person far away", "kind": "skill", "lon": -4.5, "lat": 52.5},
            {"name_en": "Not yet published", "status": "pending", "lon": -4.0, "lat": 52.0},
        ],
    )
    session.commit()
    html = client.get("/embed?bbox=not,a,box,really").text
    assert "bbox=-3.300000%2C51.440000%2C-3.100000%2C51.520000" in html
    # The box comes from the points the map keeps per process: a new asset widens it at once.
    session.execute(
        update(Asset).where(Asset.name_en == "Not yet published").values(status="published")
    )
    session.commit()
    html = client.get("/embed?bbox=not,a,box,really").text
    assert "bbox=-4.000000%2C51.440000%2C-3.100000%2C52.000000" in html


def test_the_welsh_embed_is_in_welsh_with_welsh_messages(client: TestClient) -> None:
    html = client.get("/cy/embed").text
    assert '<html lang="cy">' in html
    assert "Agor y map llawn" in html and "Lleoedd yn yr olwg hon" in html
    config = _config(html)
    assert config["assetPath"] == "/cy/assets/"
    assert set(config["messages"]["zoomIn"]) == {"zero", "one", "two", "few", "many", "other"}
    assert config["messages"]["zoomIn"]["two"].startswith("%(num)d le ")


# Headers and settings, the same whatever the database: once is enough.
@pytest.mark.backend("spatialite")
@pytest.mark.parametrize("path", ["/embed", "/cy/embed", "/embed?kind=group"])
def test_the_embed_page_may_be_framed_by_anyone_by_default(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert "frame-ancestors *" in response.headers["content-security-policy"]
    assert "x-frame-options" not in response.headers


# Headers and settings, the same whatever the database: once is enough.
@pytest.mark.backend("spatialite")
@pytest.mark.parametrize("path", ["/", "/cy/", "/search?q=x", "/api/v1/map/assets?zoom=1"])
def test_every_other_response_may_not_be_framed(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"


# Headers and settings, the same whatever the database: once is enough.
@pytest.mark.backend("spatialite")
def test_embed_ancestors_is_a_setting(settings: Settings) -> None:
    narrowed = settings.model_copy(update={"embed_ancestors": "https://council.example 'self'"})
    with TestClient(create_app(narrowed)) as client:
        embed = client.get("/embed").headers["content-security-policy"]
        home = client.get("/").headers["content-security-policy"]
    assert "frame-ancestors https://council.example 'self'" in embed
    assert "frame-ancestors 'none'" in home


@pytest.mark.parametrize("value", ["", "https://a.example; script-src *", "a,b"])
def test_embed_ancestors_refuses_what_is_not_a_source_list(value: str) -> None:
    with pytest.raises(ValueError, match="CSP sources"):
        Settings(embed_ancestors=value)


def test_the_page_stays_small_with_many_assets(client: TestClient, session: Session) -> None:
    rng = random.Random(9)
    rows = [
        {
            "name_en": f"Community place number {i} with a long name",
            "lon": rng.uniform(-3.3, -3.1),
            "lat": rng.uniform(51.42, 51.54),
        }
        for i in range(3000)
    ]
    for start in range(0, len(rows), 500):
        insert_assets(session, rows[start : start + 500])
    session.commit()
    html = client.get("/embed").text
    assert len(html.encode()) <= 300_000
    assert "Community place number" not in html  # assets load by viewport, not in the page
