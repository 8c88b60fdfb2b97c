"""Residents as co-producers: "I use this" marks, "I can help" offers, "missing here" gaps and
their "me too" supports.

Who uses, supports or offers what is never shown to anybody: uses and supports are published
only as counts through the people rule (app/services/people/disclosure.py `publish`, with a
secret record key per row), and an offer becomes a person record like any other.
"""

from datetime import datetime

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, utcnow
from app.vocabularies import GAP_STATUSES, LANGUAGES, OFFER_STATUSES, PERSON_KINDS

# Columns nobody is ever shown, not even the resident whose row it is (their download leaves
# them out): the secret record key of a mark.
SECRET_COLUMNS = ("record_key",)


class AssetUse(Base):
    """One resident's "I use this" on one asset (one per resident per asset)."""

    __tablename__ = "asset_uses"
    __table_args__ = (Index("ix_asset_uses_asset", "asset_id"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    asset_id: Mapped[int] = mapped_column(
        ForeignKey("assets.id", ondelete="CASCADE"), primary_key=True
    )
    # Secret, drawn once (0-255): the cell key of a published count sums these.
    record_key: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Offer(Base):
    """A resident's "I can help": time or a skill under a theme near their home. It is a
    pending person record (`asset_id`, kind skill or volunteer) until a connector of the patch
    confirms it (published) or declines it with a reason the resident sees. Withdrawing it, or
    deleting the account, erases the record (app/services/people/erasure.py)."""

    __tablename__ = "offers"
    __table_args__ = (
        CheckConstraint(f"status IN ({', '.join(repr(s) for s in OFFER_STATUSES)})", "status"),
        CheckConstraint(f"kind IN ({', '.join(repr(k) for k in PERSON_KINDS)})", "kind"),
        Index("ix_offers_user", "user_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # The person record; NULL once erased (declined offers keep only the resident's title).
    asset_id: Mapped[int | None] = mapped_column(
        ForeignKey("assets.id", ondelete="SET NULL"), unique=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    theme_code: Mapped[str] = mapped_column(ForeignKey("themes.code"))
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    decline_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(200))


class Gap(Base):
    """A resident's "missing here": what is missing, under a theme, at a place. Pending until a
    connector or planner of its patch publishes it (as a deficit, `deficit_id`), merges it into
    another gap (its supports move there) or declines it with a reason."""

    __tablename__ = "gaps"
    __table_args__ = (
        CheckConstraint(f"status IN ({', '.join(repr(s) for s in GAP_STATUSES)})", "status"),
        CheckConstraint(f"language IN ({', '.join(repr(v) for v in LANGUAGES)})", "language"),
        Index("ix_gaps_area", "area_id", "id"),
        Index("ix_gaps_status", "status", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # NULL once the reporter deletes their account: the gap stays, unattributed.
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    theme_code: Mapped[str] = mapped_column(ForeignKey("themes.code"))
    # What is missing, in the reporter's words and language.
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(2), default="en")
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    # The area (finest level) holding the place: routes the gap to the patch's connectors.
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    decline_reason: Mapped[str | None] = mapped_column(Text)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("gaps.id", ondelete="SET NULL"))
    deficit_id: Mapped[int | None] = mapped_column(ForeignKey("deficits.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(200))


class GapSupport(Base):
    """One resident's "me too" on a gap (one per resident per gap; the reporter's is the first)."""

    __tablename__ = "gap_supports"
    __table_args__ = (Index("ix_gap_supports_user", "user_id"),)

    gap_id: Mapped[int] = mapped_column(ForeignKey("gaps.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    record_key: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
