"""Areas (small-area geographies such as LSOAs) and which assets each contains."""

from datetime import datetime
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, utcnow
from app.vocabularies import LEVELS


class Area(Base):
    """A polygon with a code (e.g. LSOA W01001694), names, level, population and a centroid."""

    __tablename__ = "areas"
    __table_args__ = (
        CheckConstraint("level IN (" + ", ".join(f"'{v}'" for v in LEVELS) + ")", name="level"),
        CheckConstraint("population IS NULL OR population >= 0", name="population"),
        Index("ix_areas_level_code", "level", "code"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    level: Mapped[str] = mapped_column(String(20))
    name_en: Mapped[str | None] = mapped_column(String(200))
    name_cy: Mapped[str | None] = mapped_column(String(200))
    population: Mapped[int | None] = mapped_column(Integer)
    parent_code: Mapped[str | None] = mapped_column(String(40), index=True)
    geom: Mapped[Any] = mapped_column(
        Geometry("MULTIPOLYGON", srid=4326, spatial_index=True), nullable=False
    )
    # Population-weighted centroid when one was imported, else a point on the surface.
    centroid: Mapped[Any] = mapped_column(
        Geometry("POINT", srid=4326, spatial_index=True), nullable=False
    )
    centroid_kind: Mapped[str] = mapped_column(String(30), default="point_on_surface")
    source: Mapped[str | None] = mapped_column(String(200))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AssetArea(Base):
    """An asset lies in an area (kept in step when either changes; makes per-area counts cheap)."""

    __tablename__ = "asset_areas"
    __table_args__ = (Index("ix_asset_areas_area_asset", "area_id", "asset_id"),)

    asset_id: Mapped[int] = mapped_column(
        ForeignKey("assets.id", ondelete="CASCADE"), primary_key=True
    )
    area_id: Mapped[int] = mapped_column(
        ForeignKey("areas.id", ondelete="CASCADE"), primary_key=True
    )
