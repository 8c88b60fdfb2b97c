"""areas indicators deficits postcodes

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """areas indicators deficits postcodes"""
    op.create_geospatial_table(
        "areas",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=True),
        sa.Column("name_cy", sa.String(length=200), nullable=True),
        sa.Column("population", sa.Integer(), nullable=True),
        sa.Column("parent_code", sa.String(length=40), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
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
            "centroid",
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
        sa.Column("centroid_kind", sa.String(length=30), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "level IN ('lsoa', 'msoa', 'ward', 'local_authority', 'custom')",
            name=op.f("ck_areas_level"),
        ),
        sa.CheckConstraint(
            "population IS NULL OR population >= 0", name=op.f("ck_areas_population")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_areas")),
        sa.UniqueConstraint("code", name=op.f("uq_areas_code")),
    )
    with op.batch_alter_table("areas", schema=None) as batch_op:
        batch_op.create_geospatial_index(
            "idx_areas_centroid",
            ["centroid"],
            unique=False,
            postgresql_using="gist",
            postgresql_ops={},
        )
        batch_op.create_geospatial_index(
            "idx_areas_geom", ["geom"], unique=False, postgresql_using="gist", postgresql_ops={}
        )
        batch_op.create_index("ix_areas_level_code", ["level", "code"], unique=False)
        batch_op.create_index(batch_op.f("ix_areas_parent_code"), ["parent_code"], unique=False)

    op.create_table(
        "indicators",
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("label_en", sa.String(length=200), nullable=False),
        sa.Column("label_cy", sa.String(length=200), nullable=False),
        sa.Column("description_en", sa.Text(), nullable=True),
        sa.Column("description_cy", sa.Text(), nullable=True),
        sa.Column("unit", sa.String(length=40), nullable=False),
        sa.Column("higher_is_more_need", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("licence", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_indicators")),
    )
    op.create_geospatial_table(
        "postcodes",
        sa.Column("postcode", sa.String(length=8), nullable=False),
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
        sa.Column("area_code", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("postcode", name=op.f("pk_postcodes")),
    )
    with op.batch_alter_table("postcodes", schema=None) as batch_op:
        batch_op.create_geospatial_index(
            "idx_postcodes_location",
            ["location"],
            unique=False,
            postgresql_using="gist",
            postgresql_ops={},
        )
        batch_op.create_index(batch_op.f("ix_postcodes_area_code"), ["area_code"], unique=False)

    op.create_table(
        "asset_areas",
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["area_id"], ["areas.id"], name=op.f("fk_asset_areas_area_id_areas"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["assets.id"],
            name=op.f("fk_asset_areas_asset_id_assets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("asset_id", "area_id", name=op.f("pk_asset_areas")),
    )
    with op.batch_alter_table("asset_areas", schema=None) as batch_op:
        batch_op.create_index("ix_asset_areas_area_asset", ["area_id", "asset_id"], unique=False)

    op.create_geospatial_table(
        "deficits",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("theme_code", sa.String(length=40), nullable=False),
        sa.Column("title_en", sa.String(length=300), nullable=True),
        sa.Column("title_cy", sa.String(length=300), nullable=True),
        sa.Column("description_en", sa.Text(), nullable=True),
        sa.Column("description_cy", sa.Text(), nullable=True),
        sa.Column("severity", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.Column("source_id", sa.String(length=200), nullable=True),
        sa.Column("reporter", sa.String(length=200), nullable=True),
        sa.Column("reported_on", sa.Date(), nullable=False),
        sa.Column(
            "location",
            Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.Column(
            "area",
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
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.Column("updated_by", sa.String(length=200), nullable=True),
        sa.CheckConstraint("status IN ('open', 'addressed')", name=op.f("ck_deficits_status")),
        sa.CheckConstraint(
            "location IS NOT NULL OR area IS NOT NULL", name=op.f("ck_deficits_has_place")
        ),
        sa.CheckConstraint("severity BETWEEN 1 AND 5", name=op.f("ck_deficits_severity")),
        sa.CheckConstraint(
            "title_en IS NOT NULL OR title_cy IS NOT NULL", name=op.f("ck_deficits_has_title")
        ),
        sa.ForeignKeyConstraint(
            ["theme_code"], ["themes.code"], name=op.f("fk_deficits_theme_code_themes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deficits")),
        sa.UniqueConstraint("source", "source_id", name="uq_deficits_source_source_id"),
    )
    with op.batch_alter_table("deficits", schema=None) as batch_op:
        batch_op.create_geospatial_index(
            "idx_deficits_area", ["area"], unique=False, postgresql_using="gist", postgresql_ops={}
        )
        batch_op.create_geospatial_index(
            "idx_deficits_location",
            ["location"],
            unique=False,
            postgresql_using="gist",
            postgresql_ops={},
        )
        batch_op.create_index(batch_op.f("ix_deficits_theme_code"), ["theme_code"], unique=False)

    op.create_table(
        "indicator_themes",
        sa.Column("indicator_code", sa.String(length=60), nullable=False),
        sa.Column("theme_code", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["indicator_code"],
            ["indicators.code"],
            name=op.f("fk_indicator_themes_indicator_code_indicators"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["theme_code"], ["themes.code"], name=op.f("fk_indicator_themes_theme_code_themes")
        ),
        sa.PrimaryKeyConstraint("indicator_code", "theme_code", name=op.f("pk_indicator_themes")),
    )
    op.create_table(
        "indicator_values",
        sa.Column("indicator_code", sa.String(length=60), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["area_id"],
            ["areas.id"],
            name=op.f("fk_indicator_values_area_id_areas"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["indicator_code"],
            ["indicators.code"],
            name=op.f("fk_indicator_values_indicator_code_indicators"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("indicator_code", "area_id", name=op.f("pk_indicator_values")),
    )
    with op.batch_alter_table("indicator_values", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_indicator_values_area_id"), ["area_id"], unique=False)

    op.create_table(
        "theme_relations",
        sa.Column("theme_code", sa.String(length=40), nullable=False),
        sa.Column("related_code", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["related_code"],
            ["themes.code"],
            name=op.f("fk_theme_relations_related_code_themes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["theme_code"],
            ["themes.code"],
            name=op.f("fk_theme_relations_theme_code_themes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("theme_code", "related_code", name=op.f("pk_theme_relations")),
    )


def downgrade() -> None:
    """Undo: areas indicators deficits postcodes"""
    op.drop_table("theme_relations")
    with op.batch_alter_table("indicator_values", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_indicator_values_area_id"))

    op.drop_table("indicator_values")
    op.drop_table("indicator_themes")
    with op.batch_alter_table("deficits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deficits_theme_code"))
        batch_op.drop_geospatial_index(
            "idx_deficits_location", postgresql_using="gist", column_name="location"
        )
        batch_op.drop_geospatial_index(
            "idx_deficits_area", postgresql_using="gist", column_name="area"
        )

    op.drop_geospatial_table("deficits")
    with op.batch_alter_table("asset_areas", schema=None) as batch_op:
        batch_op.drop_index("ix_asset_areas_area_asset")

    op.drop_table("asset_areas")
    with op.batch_alter_table("postcodes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_postcodes_area_code"))
        batch_op.drop_geospatial_index(
            "idx_postcodes_location", postgresql_using="gist", column_name="location"
        )

    op.drop_geospatial_table("postcodes")
    op.drop_table("indicators")
    with op.batch_alter_table("areas", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_areas_parent_code"))
        batch_op.drop_index("ix_areas_level_code")
        batch_op.drop_geospatial_index(
            "idx_areas_geom", postgresql_using="gist", column_name="geom"
        )
        batch_op.drop_geospatial_index(
            "idx_areas_centroid", postgresql_using="gist", column_name="centroid"
        )

    op.drop_geospatial_table("areas")
