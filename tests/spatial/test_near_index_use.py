"""Near-me's first attempt (PostGIS: KNN candidates; SpatiaLite: the smallest R*Tree box) reads
the spatial index, like the exhaustive search (test_spatial_index_use.py)."""

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.services.assets.records import AssetFilters, Near, build_list_query, near_attempts
from app.services.assets.visibility import ANONYMOUS
from app.spatial import backend_for

INDEX = "idx_assets_location"


def test_near_first_attempt_plan_reads_the_spatial_index(db: Engine, many_assets: int) -> None:
    backend = backend_for(db.dialect.name)
    filters = AssetFilters(near=Near(-3.18, 51.48, 1000))
    with Session(db) as session:
        first = near_attempts(session, filters, 50)[0]
        assert first != near_attempts(session, filters, 50)[-1]
        stmt = build_list_query(
            session, viewer=ANONYMOUS, filters=filters, limit=50, cursor=None, near_attempt=first
        )
        assert backend.plan_uses_spatial_index(session.connection(), stmt, INDEX)
