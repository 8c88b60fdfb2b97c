"""people record keys: a secret random key per counted person, for cell-key perturbation

Revision ID: 0005
Revises: 0004

People counts are perturbed by a noise looked up from the sum of the counted people's record
keys (app/services/disclosure.py). Existing people get a fresh random key here; the key is
never shown and never changes.
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add public_locations.record_key and give every existing person a random one."""
    op.add_column(
        "public_locations",
        sa.Column("record_key", sa.Integer(), server_default="0", nullable=False),
    )
    table = sa.table("public_locations", sa.column("asset_id"), sa.column("record_key"))
    connection = op.get_bind()
    ids = connection.execute(sa.select(table.c.asset_id)).scalars().all()
    for asset_id in ids:
        connection.execute(
            table.update()
            .where(table.c.asset_id == asset_id)
            .values(record_key=secrets.randbelow(256))
        )


def downgrade() -> None:
    """Drop the record keys (SQLite 3.35+ and PostgreSQL drop a column in place)."""
    op.drop_column("public_locations", "record_key")
