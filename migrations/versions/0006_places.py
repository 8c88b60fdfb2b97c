"""places: a gazetteer of names people know (OS Open Names, GeoJSON), for search

Revision ID: 0006
Revises: 0005

Each place keeps an accent- and case-folded key of its English and Welsh names; a prefix
search is a key range (`key >= 'splo' AND key < 'splo' || U+10FFFF`), which a plain btree
index answers on both backends when keys compare by code point (PostgreSQL: collation "C").
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _key() -> sa.types.TypeEngine[str]:
    return sa.String(length=200).with_variant(sa.String(length=200, collation="C"), "postgresql")


def upgrade() -> None:
    """Create the places table with its spatial index and the two name-key indexes."""
    op.create_geospatial_table(
        "places",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("source_id", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_cy", sa.String(length=200), nullable=True),
        sa.Column("place_type", sa.String(length=60), nullable=False),
        sa.Column("name_key", _key(), nullable=False),
        sa.Column("name_cy_key", _key(), nullable=True),
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
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_places")),
        sa.UniqueConstraint("source", "source_id", name=op.f("uq_places_source")),
    )
    with op.batch_alter_table("places", schema=None) as batch_op:
        batch_op.create_geospatial_index(
            "idx_places_location",
            ["location"],
            unique=False,
            postgresql_using="gist",
            postgresql_ops={},
        )
        batch_op.create_index("ix_places_name_key", ["name_key"], unique=False)
        batch_op.create_index("ix_places_name_cy_key", ["name_cy_key"], unique=False)


def downgrade() -> None:
    """Drop the places table and its indexes."""
    with op.batch_alter_table("places", schema=None) as batch_op:
        batch_op.drop_index("ix_places_name_cy_key")
        batch_op.drop_index("ix_places_name_key")
        batch_op.drop_geospatial_index(
            "idx_places_location", postgresql_using="gist", column_name="location"
        )
    op.drop_geospatial_table("places")
