"""bbox and radius queries go through the spatial index on both backends (from the query plan)."""

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.models import Asset
from app.services.assets.records import AssetFilters, Near, build_list_query
from app.services.assets.visibility import ANONYMOUS
from app.spatial import BBox, backend_for

INDEX = "idx_assets_location"
CARDIFF_BOX = BBox(-3.25, 51.45, -3.1, 51.52)


def plan_uses_index(db: Engine, filters: AssetFilters) -> bool:
    backend = backend_for(db.dialect.name)
    with Session(db) as session:
        stmt = build_list_query(session, viewer=ANONYMOUS, filters=filters, limit=50, cursor=None)
        return backend.plan_uses_spatial_index(session.connection(), stmt, INDEX)


def test_bbox_search_plan_reads_the_spatial_index(db: Engine, many_assets: int) -> None:
    assert plan_uses_index(db, AssetFilters(bbox=CARDIFF_BOX))


def test_near_search_plan_reads_the_spatial_index(db: Engine, many_assets: int) -> None:
    assert plan_uses_index(db, AssetFilters(near=Near(-3.18, 51.48, 1000)))


def test_plan_check_says_no_for_a_query_without_a_spatial_filter(
    db: Engine, many_assets: int
) -> None:
    assert not plan_uses_index(db, AssetFilters(kinds=("group",)))


def test_index_prefilter_then_exact_check_matches_brute_force(db: Engine, many_assets: int) -> None:
    backend = backend_for(db.dialect.name)
    with db.connect() as connection:
        indexed = set(
            connection.execute(
                select(Asset.id).where(
                    backend.in_bbox("assets", Asset.location, Asset.id, CARDIFF_BOX)
                )
            ).scalars()
        )
        everything = connection.execute(
            select(Asset.id, backend.x(Asset.location), backend.y(Asset.location))
        ).all()
    brute = {
        i
        for i, x, y in everything
        if CARDIFF_BOX.minx <= x <= CARDIFF_BOX.maxx and CARDIFF_BOX.miny <= y <= CARDIFF_BOX.maxy
    }
    assert brute and indexed == brute
