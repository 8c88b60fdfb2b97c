"""Person-linked assets: consent records, public locations, erasure tombstones, introductions."""

from datetime import datetime
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, utcnow
from app.vocabularies import CONSENT_METHODS, INTRODUCTION_STATUSES


class Consent(Base):
    """A person's consent to be listed: who recorded it, when, how, under which notice, until."""

    __tablename__ = "consents"
    __table_args__ = (
        CheckConstraint(f"method IN ({', '.join(repr(m) for m in CONSENT_METHODS)})", "method"),
        Index("ix_consents_asset", "asset_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"))
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    method: Mapped[str] = mapped_column(String(20))
    notice_version: Mapped[str] = mapped_column(String(40))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PublicLocation(Base):
    """Where a person-linked asset is shown: the centre of its 1 km grid square, fixed at save."""

    __tablename__ = "public_locations"

    asset_id: Mapped[int] = mapped_column(
        ForeignKey("assets.id", ondelete="CASCADE"), primary_key=True
    )
    location: Mapped[Any] = mapped_column(
        Geometry("POINT", srid=4326, spatial_index=True), nullable=False
    )
    grid: Mapped[str] = mapped_column(String(20))
    cell: Mapped[str] = mapped_column(String(40))
    # The person's secret record key (0-255), drawn at random once: the cell-key perturbation
    # of people counts sums these (app/services/people/disclosure.py). Never shown, never changed.
    record_key: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Erasure(Base):
    """Tombstone of an erased person: enough to erase again after a restore, nothing personal."""

    __tablename__ = "erasures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    asset_id: Mapped[int] = mapped_column(Integer, unique=True)
    erased_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    erased_by: Mapped[str] = mapped_column(String(200))


class Introduction(Base):
    """A resident's request to meet people offering a theme near them; goes to connectors."""

    __tablename__ = "introductions"
    __table_args__ = (
        CheckConstraint(
            f"status IN ({', '.join(repr(s) for s in INTRODUCTION_STATUSES)})", "status"
        ),
        Index("ix_introductions_area", "area_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    theme_code: Mapped[str] = mapped_column(ForeignKey("themes.code"))
    # The requester's own point, snapped like a person's public location; its area routes it.
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id", ondelete="SET NULL"))
    message: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    handled_by: Mapped[str | None] = mapped_column(String(200))
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
