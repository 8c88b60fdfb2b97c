"""outbox: email waiting to be sent (sign-up links, digests), sent outside the request

Revision ID: 0007
Revises: 0006

Written in the same transaction as the change that causes it, sent by each app process's
worker (app/worker.py) with back-off while the SMTP server is down, and deleted once sent.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the outbox table and its index of what is due."""
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("to_address", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
    )
    op.create_index("ix_outbox_due", "outbox", ["next_attempt_at", "id"])


def downgrade() -> None:
    """Drop the outbox (unsent email is lost)."""
    op.drop_index("ix_outbox_due", table_name="outbox")
    op.drop_table("outbox")
