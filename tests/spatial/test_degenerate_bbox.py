"""A bbox with no width or height (a point, a line) still finds what it touches."""

import pytest
from sqlalchemy import Engine, select

from app.models import Asset
from app.spatial import BBox, backend_for


@pytest.mark.parametrize(
    "box",
    [
        BBox(-3.16, 51.47, -3.16, 51.47),  # a point inside the service area
        BBox(-3.16, 51.46, -3.16, 51.48),  # a vertical line across it
        BBox(-3.17, 51.47, -3.15, 51.47),  # a horizontal line across it
    ],
)
def test_degenerate_bbox_intersects_a_polygon(db: Engine, make_asset, box: BBox) -> None:
    ring = [[-3.17, 51.465], [-3.15, 51.465], [-3.15, 51.475], [-3.17, 51.475], [-3.17, 51.465]]
    asset_id = make_asset(
        location={"type": "Point", "coordinates": [-3.0, 51.0]},
        service_area={"type": "Polygon", "coordinates": [ring]},
    )
    backend = backend_for(db.dialect.name)
    with db.connect() as connection:
        found = connection.execute(
            select(Asset.id).where(backend.in_bbox("assets", Asset.service_area, Asset.id, box))
        ).scalars()
        assert list(found) == [asset_id]
