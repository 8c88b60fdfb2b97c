"""asset registry

Revision ID: 0001
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """asset registry"""
    op.create_geospatial_table(
        "assets",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name_en", sa.String(length=300), nullable=True),
        sa.Column("name_cy", sa.String(length=300), nullable=True),
        sa.Column("description_en", sa.Text(), nullable=True),
        sa.Column("description_cy", sa.Text(), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column(
            "location",
            Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column(
            "service_area",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("postcode", sa.String(length=10), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("website", sa.String(length=2000), nullable=True),
        sa.Column("opening_hours", sa.JSON(), nullable=False),
        sa.Column("accessibility", sa.JSON(), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("last_verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.Column("source_id", sa.String(length=200), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.Column("updated_by", sa.String(length=200), nullable=True),
        sa.Column("consent_recorded_by", sa.String(length=200), nullable=True),
        sa.Column("consent_recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("consent_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "kind IN ('skill', 'volunteer', 'group', 'space', 'organisation', 'service', 'business', 'culture')",
            name=op.f("ck_assets_kind"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'published', 'rejected', 'archived')",
            name=op.f("ck_assets_status"),
        ),
        sa.CheckConstraint(
            "name_en IS NOT NULL OR name_cy IS NOT NULL", name=op.f("ck_assets_has_name")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assets")),
        sa.UniqueConstraint("source", "source_id", name="uq_assets_source_source_id"),
    )
    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.create_geospatial_index(
            "idx_assets_location",
            ["location"],
            unique=False,
            postgresql_using="gist",
            postgresql_ops={},
        )
        batch_op.create_geospatial_index(
            "idx_assets_service_area",
            ["service_area"],
            unique=False,
            postgresql_using="gist",
            postgresql_ops={},
        )
        batch_op.create_index("ix_assets_kind_id", ["kind", "id"], unique=False)
        batch_op.create_index("ix_assets_status_id", ["status", "id"], unique=False)

    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("entity_type", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_audit_events_entity", ["entity_type", "entity_id", "id"], unique=False
        )

    op.create_table(
        "themes",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("label_en", sa.String(length=120), nullable=False),
        sa.Column("label_cy", sa.String(length=120), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_themes")),
    )
    op.create_table(
        "asset_themes",
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("theme_code", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["assets.id"],
            name=op.f("fk_asset_themes_asset_id_assets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["theme_code"], ["themes.code"], name=op.f("fk_asset_themes_theme_code_themes")
        ),
        sa.PrimaryKeyConstraint("asset_id", "theme_code", name=op.f("pk_asset_themes")),
    )
    with op.batch_alter_table("asset_themes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_asset_themes_theme_asset", ["theme_code", "asset_id"], unique=False
        )


def downgrade() -> None:
    """Undo: asset registry"""
    with op.batch_alter_table("asset_themes", schema=None) as batch_op:
        batch_op.drop_index("ix_asset_themes_theme_asset")

    op.drop_table("asset_themes")
    op.drop_table("themes")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_entity")

    op.drop_table("audit_events")
    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.drop_index("ix_assets_status_id")
        batch_op.drop_index("ix_assets_kind_id")
        batch_op.drop_geospatial_index(
            "idx_assets_service_area", postgresql_using="gist", column_name="service_area"
        )
        batch_op.drop_geospatial_index(
            "idx_assets_location", postgresql_using="gist", column_name="location"
        )

    op.drop_geospatial_table("assets")
