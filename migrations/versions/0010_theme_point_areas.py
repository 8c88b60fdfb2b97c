"""theme point areas: each theme link carries its asset's area of each level

Revision ID: 0010
Revises: 0009

Per-area counts of a theme's public assets read the stored assignment (asset_areas) once per
public asset: ~200 ms of a ~300 ms gap analysis at 1M assets. With the asset's area of each
level copied onto its theme links, the counts are one aggregate over the covering index of
asset_themes. The copies are filled here from asset_areas and kept in step by
app/services/needs/areas.py (and app/services/assets/theme_points.py).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As app.vocabularies.LEVELS was when this was written.
_LEVELS = ("lsoa", "msoa", "ward", "local_authority", "custom")
_POINTS = ["theme_code", "public", "asset_id", "lon", "lat"]


def _fill(level: str) -> str:
    return f"""
UPDATE asset_themes SET area_{level} = (
    SELECT asset_areas.area_id FROM asset_areas JOIN areas ON areas.id = asset_areas.area_id
    WHERE asset_areas.asset_id = asset_themes.asset_id AND areas.level = '{level}'
)
WHERE EXISTS (
    SELECT 1 FROM asset_areas JOIN areas ON areas.id = asset_areas.area_id
    WHERE asset_areas.asset_id = asset_themes.asset_id AND areas.level = '{level}'
)
"""


def upgrade() -> None:
    """Add area_<level> to asset_themes, filled from asset_areas, and to its covering index.

    asset_themes has no geometry column, so SQLite's batch rebuild of it is safe."""
    with op.batch_alter_table("asset_themes", schema=None) as batch_op:
        batch_op.drop_index("ix_asset_themes_theme_points")
        for level in _LEVELS:
            batch_op.add_column(sa.Column(f"area_{level}", sa.Integer(), nullable=True))
    for level in _LEVELS:
        op.execute(_fill(level))
    with op.batch_alter_table("asset_themes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_asset_themes_theme_points",
            [*_POINTS, *(f"area_{level}" for level in _LEVELS)],
            unique=False,
        )


def downgrade() -> None:
    """Drop the area copies; the covering index goes back to the points alone."""
    with op.batch_alter_table("asset_themes", schema=None) as batch_op:
        batch_op.drop_index("ix_asset_themes_theme_points")
        for level in reversed(_LEVELS):
            batch_op.drop_column(f"area_{level}")
    with op.batch_alter_table("asset_themes", schema=None) as batch_op:
        batch_op.create_index("ix_asset_themes_theme_points", _POINTS, unique=False)
