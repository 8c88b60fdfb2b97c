"""data_changes: a version of the data that every write moves, kept by the databases themselves

Revision ID: 0011
Revises: 0010

Derived answers (a page, an analysis) can be kept per process only while the data under them is
unchanged, and several replicas share one database: each must learn of a change made through
any of them, in the same transaction that reads the data, at the cost of one small query. The
version is `SELECT sum(weight) FROM data_changes`; triggers on every table a public answer is
made from move it, so no write path (the app, an import, the CLI, psql) can forget to.

- SQLite: one row (id 1, made again if deleted), whose weight each written row adds 1 to
  (writers are serialised anyway).
- PostgreSQL: each writing transaction adds one row of weight 1 (its transaction id, once, by a
  statement-level trigger), so concurrent writers never wait on a shared row; a background job
  folds old rows into one of the same total weight (app/services/changes.py `compact`), so the
  sum only ever grows, and only when a writer commits.

The tables left out (app/services/changes.py `UNTRACKED` says why) never feed an answer anyone
shares: the audit trail, the mail queue, job runs, accounts and their credentials.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The tables as they were when this was written (tests/services/test_data_changes.py checks that
# every table is either tracked or named in app/services/changes.py UNTRACKED).
TRACKED = (
    "areas",
    "asset_areas",
    "asset_themes",
    "asset_uses",
    "assets",
    "consents",
    "deficits",
    "erasures",
    "gap_supports",
    "gaps",
    "indicator_themes",
    "indicator_values",
    "indicators",
    "introductions",
    "offers",
    "places",
    "postcodes",
    "public_locations",
    "reports",
    "theme_relations",
    "themes",
    "user_areas",
)

PG_FUNCTION = """
CREATE FUNCTION assetmap_data_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO data_changes (tx, weight) VALUES (txid_current(), 1) ON CONFLICT (tx) DO NOTHING;
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    """Create data_changes, the triggers that move it, and an index on consent lapses."""
    op.create_table(
        "data_changes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("tx", sa.BigInteger(), nullable=True, unique=True),
        sa.Column("weight", sa.BigInteger(), nullable=False),
    )
    postgres = op.get_bind().dialect.name == "postgresql"
    # PostgreSQL's ids come from the sequence; SQLite's triggers add to row 1.
    op.execute(
        "INSERT INTO data_changes (tx, weight) VALUES (NULL, 0)"
        if postgres
        else "INSERT INTO data_changes (id, tx, weight) VALUES (1, NULL, 0)"
    )
    # When the next published person's consent lapses: read with the version.
    op.create_index("ix_assets_consent_expires_at", "assets", ["consent_expires_at"])
    if postgres:
        op.execute(PG_FUNCTION)
        for table in TRACKED:
            op.execute(
                f"CREATE TRIGGER data_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION assetmap_data_changed()"
            )
        return
    for table in TRACKED:
        for action in ("INSERT", "UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER data_changed_{table}_{action.lower()} AFTER {action} ON {table} "
                "BEGIN INSERT INTO data_changes (id, tx, weight) VALUES (1, NULL, 1) "
                "ON CONFLICT (id) DO UPDATE SET weight = weight + 1; END"
            )


def downgrade() -> None:
    """Drop the triggers and data_changes."""
    if op.get_bind().dialect.name == "postgresql":
        for table in TRACKED:
            op.execute(f"DROP TRIGGER IF EXISTS data_changed ON {table}")
        op.execute("DROP FUNCTION IF EXISTS assetmap_data_changed()")
    else:
        for table in TRACKED:
            for action in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS data_changed_{table}_{action}")
    op.drop_index("ix_assets_consent_expires_at", table_name="assets")
    op.drop_table("data_changes")
