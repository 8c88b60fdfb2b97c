"""Resident reports about assets (closed, wrong), waiting for a connector of the patch."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, utcnow
from app.vocabularies import PROBLEMS, REPORT_STATUSES


class Report(Base):
    """A resident's report that an asset is closed or wrong."""

    __tablename__ = "reports"
    __table_args__ = (
        CheckConstraint(f"problem IN ({', '.join(repr(p) for p in PROBLEMS)})", "problem"),
        CheckConstraint(f"status IN ({', '.join(repr(s) for s in REPORT_STATUSES)})", "status"),
        Index("ix_reports_asset", "asset_id", "id"),
        Index("ix_reports_status", "status", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"))
    problem: Mapped[str] = mapped_column(String(20))
    details: Mapped[str | None] = mapped_column(Text)
    reported_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(20), default="open")
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(Text)
