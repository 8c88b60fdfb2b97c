"""OWSLib's OGC API - Features client (owslib.ogcapi.features.Features) reads the live
service as a Python GIS script would: the landing page, the API definition, conformance, the
collections, every collection's items with the right counts (assets, areas, deficits and a gap
analysis), their queryables, one feature, and items in EPSG:27700."""

from typing import Any

import pytest
from owslib.ogcapi.features import Features
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Area, Asset, Deficit
from app.services.demo import load_demo
from app.vocabularies import PUBLIC_KINDS
from tests.api.conftest import LiveServer

BNG = "http://www.opengis.net/def/crs/EPSG/0/27700"
ANALYSIS = {"indicator": "aberllyn_bus_minutes", "theme": "food"}


@pytest.fixture
def demo(session: Session) -> dict[str, int]:
    """The fictional Aberllyn demo, committed; how many of each a resident may see."""
    assert load_demo(session).ok
    session.commit()
    public = (Asset.status == "published") & Asset.kind.in_(PUBLIC_KINDS)
    return {
        "assets": int(session.scalar(select(func.count()).where(public)) or 0),
        "areas": int(session.scalar(select(func.count()).select_from(Area)) or 0),
        "deficits": int(session.scalar(select(func.count()).select_from(Deficit)) or 0),
        "lsoas": int(session.scalar(select(func.count()).where(Area.level == "lsoa")) or 0),
    }


def client(live: LiveServer) -> Any:
    return Features(f"{live.url}/ogc")


def test_owslib_reads_the_landing_page_collections_and_every_feature(
    demo: dict[str, int], live_server: LiveServer
) -> None:
    ogc = client(live_server)
    assert {link["rel"] for link in ogc.links} >= {"self", "service-desc", "conformance", "data"}
    api = ogc.api()
    assert api["openapi"].startswith("3.0") and "/collections/assets/items" in api["paths"]
    conforms = ogc.conformance()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in conforms
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in conforms

    assert ogc.feature_collections() == ["assets", "areas", "deficits", "gaps"]
    areas = ogc.collection("areas")
    assert BNG in areas["crs"] and len(areas["extent"]["spatial"]["bbox"][0]) == 4
    assert set(ogc.collection_queryables("assets")["properties"]) == {"kind", "themes"}
    assert ogc.collection_queryables("areas")["properties"]["level"]["enum"][0] == "lsoa"

    for collection in ("assets", "areas", "deficits"):
        items = ogc.collection_items(collection, limit=1000)
        assert items["type"] == "FeatureCollection"
        assert len(items["features"]) == demo[collection] > 0, collection
        if "numberMatched" in items:
            assert items["numberMatched"] == demo[collection]
        first = items["features"][0]
        one = ogc.collection_item(collection, str(first["id"]))
        assert one["id"] == first["id"] and one["properties"] == first["properties"]


def test_owslib_reads_filtered_items_a_gap_analysis_and_british_national_grid(
    demo: dict[str, int], live_server: LiveServer
) -> None:
    ogc = client(live_server)
    groups = ogc.collection_items("assets", kind="group", limit=1000)["features"]
    assert groups and {f["properties"]["kind"] for f in groups} == {"group"}
    gaps = ogc.collection_items("gaps", limit=1000, **ANALYSIS)
    assert len(gaps["features"]) == gaps["numberMatched"] == demo["lsoas"]
    assert {f["properties"]["category"] for f in gaps["features"]} <= {
        "priority", "strength", "well_served", "low_need",
    }  # fmt: skip

    areas = ogc.collection_items("areas", crs=BNG, limit=1000)
    assert ogc.response_headers["Content-Crs"] == f"<{BNG}>"
    assert len(areas["features"]) == demo["areas"]
    x, y = areas["features"][0]["geometry"]["coordinates"][0][0][0]
    assert 100_000 < x < 700_000 and 100_000 < y < 700_000  # metres east and north, in Wales
    bng_gaps = ogc.collection_items("gaps", crs=BNG, limit=1000, **ANALYSIS)
    assert len(bng_gaps["features"]) == demo["lsoas"]
    assert ogc.response_headers["Content-Crs"] == f"<{BNG}>"
