"""Service deficits: reported gaps in services, at a point or over an area."""

from datetime import date, datetime
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, utcnow


class Deficit(Base):
    """A reported service gap ("day centre closed in 2024"; "no bus after 7pm")."""

    __tablename__ = "deficits"
    __table_args__ = (
        CheckConstraint("severity BETWEEN 1 AND 5", name="severity"),
        CheckConstraint("status IN ('open', 'addressed')", name="status"),
        CheckConstraint("title_en IS NOT NULL OR title_cy IS NOT NULL", name="has_title"),
        CheckConstraint("location IS NOT NULL OR area IS NOT NULL", name="has_place"),
        UniqueConstraint("source", "source_id", name="uq_deficits_source_source_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    theme_code: Mapped[str] = mapped_column(ForeignKey("themes.code"), index=True)
    title_en: Mapped[str | None] = mapped_column(String(300))
    title_cy: Mapped[str | None] = mapped_column(String(300))
    description_en: Mapped[str | None] = mapped_column(Text)
    description_cy: Mapped[str | None] = mapped_column(Text)
    severity: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="open")
    source: Mapped[str | None] = mapped_column(String(200))
    source_id: Mapped[str | None] = mapped_column(String(200))
    reporter: Mapped[str | None] = mapped_column(String(200))
    reported_on: Mapped[date] = mapped_column(Date)
    location: Mapped[Any | None] = mapped_column(
        Geometry("POINT", srid=4326, spatial_index=True), nullable=True
    )
    area: Mapped[Any | None] = mapped_column(
        Geometry("MULTIPOLYGON", srid=4326, spatial_index=True), nullable=True
    )
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(200))
    updated_by: Mapped[str | None] = mapped_column(String(200))

    # Optimistic locking in the write itself (see models/assets.py): UPDATE and DELETE say
    # `AND version = :version_read`; the service bumps the version once per change.
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}  # noqa: RUF012
