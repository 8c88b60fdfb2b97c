"""theme points: each theme link carries its asset's point and public flag

Revision ID: 0004
Revises: 0003

Gap analysis counts a theme's public assets among a million; reading their points and public
flag from one narrow covering index of asset_themes, instead of joining the wide assets table
row by row, took a gap analysis call at 1M assets from ~4 s to ~0.5 s (bench/README.md). The
copies are filled here from assets and kept in step by app/services/theme_points.py.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As app.models.PERSON_KINDS and app.services.theme_points.is_public were when this was written.
_FILL = """
UPDATE asset_themes SET
    lon = ST_X(assets.location),
    lat = ST_Y(assets.location),
    public = (assets.status = 'published' AND assets.kind NOT IN ('skill', 'volunteer'))
FROM assets
WHERE assets.id = asset_themes.asset_id
"""


def upgrade() -> None:
    """Add lon, lat and public to asset_themes, filled from assets; index them for counting.

    asset_themes has no geometry column, so SQLite's batch rebuild of it is safe."""
    with op.batch_alter_table("asset_themes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lon", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("lat", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("public", sa.Boolean(), nullable=True))
    op.execute(_FILL)
    with op.batch_alter_table("asset_themes", schema=None) as batch_op:
        batch_op.alter_column("lon", existing_type=sa.Float(), nullable=False)
        batch_op.alter_column("lat", existing_type=sa.Float(), nullable=False)
        batch_op.alter_column("public", existing_type=sa.Boolean(), nullable=False)
        batch_op.drop_index("ix_asset_themes_theme_asset")
        batch_op.create_index(
            "ix_asset_themes_theme_points",
            ["theme_code", "public", "asset_id", "lon", "lat"],
            unique=False,
        )


def downgrade() -> None:
    """Drop the copies and their index; the plain (theme, asset) index comes back."""
    with op.batch_alter_table("asset_themes", schema=None) as batch_op:
        batch_op.drop_index("ix_asset_themes_theme_points")
        batch_op.create_index("ix_asset_themes_theme_asset", ["theme_code", "asset_id"], unique=False)
        batch_op.drop_column("public")
        batch_op.drop_column("lat")
        batch_op.drop_column("lon")
