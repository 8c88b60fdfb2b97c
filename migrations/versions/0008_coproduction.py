"""coproduction: residents' own accounts, "I use this", "I can help", "missing here"

Revision ID: 0008
Revises: 0007

Users gain a confirmed-email time, the language their email comes in and a digest choice;
accounts that exist already were made by an admin and count as confirmed. New tables hold uses
of assets, offers of help (each a person record until withdrawn), residents' gaps and their
supports. Consents gain the method "self-service" (a resident's own offer).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_METHODS_BEFORE = "method IN ('written', 'verbal', 'online', 'other')"
_METHODS_AFTER = "method IN ('written', 'verbal', 'online', 'other', 'self-service')"
# Added with their CHECK constraints in one statement each (SQLite cannot add a constraint to
# a table afterwards without rebuilding it, and rebuilding `users` would cascade to its rows).
_USER_COLUMNS = (
    "email_confirmed_at {timestamp}",
    "language VARCHAR(2) DEFAULT 'en' NOT NULL "
    "CONSTRAINT ck_users_language CHECK (language IN ('en', 'cy'))",
    "digest VARCHAR(10) DEFAULT 'daily' NOT NULL "
    "CONSTRAINT ck_users_digest CHECK (digest IN ('immediate', 'daily', 'off'))",
    "digest_sent_at {timestamp}",
)


def _set_consent_methods(check: str) -> None:
    with op.batch_alter_table("consents", recreate="auto") as batch_op:
        batch_op.drop_constraint(op.f("ck_consents_method"), type_="check")
        batch_op.create_check_constraint("method", sa.text(check))


def upgrade() -> None:
    """Add the users' columns, the four tables and the consent method."""
    postgres = op.get_bind().dialect.name == "postgresql"
    timestamp = "TIMESTAMP WITH TIME ZONE" if postgres else "DATETIME"
    for column in _USER_COLUMNS:
        op.execute(f"ALTER TABLE users ADD COLUMN {column.format(timestamp=timestamp)}")
    op.execute("UPDATE users SET email_confirmed_at = created_at")
    _set_consent_methods(_METHODS_AFTER)
    op.create_table(
        "asset_uses",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("record_key", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_asset_uses_user_id_users", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["assets.id"], name="fk_asset_uses_asset_id_assets", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "asset_id", name="pk_asset_uses"),
    )
    op.create_index("ix_asset_uses_asset", "asset_uses", ["asset_id"])
    op.create_table(
        "offers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("theme_code", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("decline_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'confirmed', 'declined')", name="ck_offers_status"
        ),
        sa.CheckConstraint("kind IN ('skill', 'volunteer')", name="ck_offers_kind"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_offers_user_id_users", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["assets.id"], name="fk_offers_asset_id_assets", ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["theme_code"], ["themes.code"], name="fk_offers_theme_code_themes"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_offers"),
        sa.UniqueConstraint("asset_id", name="uq_offers_asset_id"),
    )
    op.create_index("ix_offers_user", "offers", ["user_id", "id"])
    op.create_table(
        "gaps",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=True),
        sa.Column("theme_code", sa.String(length=40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("decline_reason", sa.Text(), nullable=True),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.Column("deficit_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'published', 'merged', 'declined')", name="ck_gaps_status"
        ),
        sa.CheckConstraint("language IN ('en', 'cy')", name="ck_gaps_language"),
        sa.ForeignKeyConstraint(
            ["reporter_id"], ["users.id"], name="fk_gaps_reporter_id_users", ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["theme_code"], ["themes.code"], name="fk_gaps_theme_code_themes"),
        sa.ForeignKeyConstraint(
            ["area_id"], ["areas.id"], name="fk_gaps_area_id_areas", ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["merged_into_id"], ["gaps.id"], name="fk_gaps_merged_into_id_gaps", ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["deficit_id"], ["deficits.id"], name="fk_gaps_deficit_id_deficits", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_gaps"),
    )
    op.create_index("ix_gaps_area", "gaps", ["area_id", "id"])
    op.create_index("ix_gaps_status", "gaps", ["status", "id"])
    op.create_table(
        "gap_supports",
        sa.Column("gap_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("record_key", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["gap_id"], ["gaps.id"], name="fk_gap_supports_gap_id_gaps", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_gap_supports_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("gap_id", "user_id", name="pk_gap_supports"),
    )
    op.create_index("ix_gap_supports_user", "gap_supports", ["user_id"])


def downgrade() -> None:
    """Drop the four tables, the users' columns and the consent method (self-service
    consents, and the person records they cover, are deleted first)."""
    op.drop_index("ix_gap_supports_user", table_name="gap_supports")
    op.drop_table("gap_supports")
    op.drop_index("ix_gaps_status", table_name="gaps")
    op.drop_index("ix_gaps_area", table_name="gaps")
    op.drop_table("gaps")
    op.drop_index("ix_offers_user", table_name="offers")
    op.drop_table("offers")
    op.drop_index("ix_asset_uses_asset", table_name="asset_uses")
    op.drop_table("asset_uses")
    op.execute("DELETE FROM consents WHERE method = 'self-service'")
    _set_consent_methods(_METHODS_BEFORE)
    for column in ("digest_sent_at", "digest", "language", "email_confirmed_at"):
        if op.get_bind().dialect.name == "postgresql":
            op.drop_column("users", column)
        else:
            op.execute(f"ALTER TABLE users DROP COLUMN {column}")
