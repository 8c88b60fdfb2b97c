"""job_runs: which replica runs each background job, and when it last did

Revision ID: 0009
Revises: 0008

Several app processes (replicas) share one database; each background job (the consent sweep,
email delivery, digests) runs in a process only when it moves the job's `ran_at` on itself
(app/worker.py), so one replica runs it per interval.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the job_runs table."""
    op.create_table(
        "job_runs",
        sa.Column("name", sa.String(length=40), primary_key=True),
        sa.Column("ran_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ran_by", sa.String(length=200), nullable=True),
    )


def downgrade() -> None:
    """Drop job_runs (the next run of each job is claimed afresh)."""
    op.drop_table("job_runs")
