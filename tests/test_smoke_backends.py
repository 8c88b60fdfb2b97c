"""Both backends migrate and answer a spatial query."""

from sqlalchemy import Engine, select

from app.models import Asset
from app.spatial import BBox, backend_for


def test_bbox_query_finds_a_created_asset(db: Engine, make_asset) -> None:
    asset_id = make_asset()
    backend = backend_for(db.dialect.name)
    stmt = select(Asset.id).where(
        backend.in_bbox("assets", Asset.location, Asset.id, BBox(-3.2, 51.4, -3.1, 51.5))
    )
    with db.connect() as connection:
        assert connection.execute(stmt).scalars().all() == [asset_id]
