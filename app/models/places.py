"""The gazetteer: places people know by name (Splott, Treganna), each a point."""

from datetime import datetime
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, utcnow

# Search keys are compared by code point (a prefix is a key range): PostgreSQL's "C" collation
# keeps a database's own collation (en_GB...) from reordering them; SQLite compares bytes anyway.
KEY = String(200).with_variant(String(200, collation="C"), "postgresql")


class GazetteerPlace(Base):
    """A named place: its name (English, or the only one), its Welsh name, its type, a point,
    and folded search keys of both names (app/services/places/gazetteer.py place_key)."""

    __tablename__ = "places"
    __table_args__ = (
        UniqueConstraint("source", "source_id"),
        Index("ix_places_name_key", "name_key"),
        Index("ix_places_name_cy_key", "name_cy_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(200))
    source_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    name_cy: Mapped[str | None] = mapped_column(String(200))
    # What kind of place, as the source says ("Suburban Area", "Village"...; "place" if none).
    place_type: Mapped[str] = mapped_column(String(60))
    name_key: Mapped[str] = mapped_column(KEY)
    name_cy_key: Mapped[str | None] = mapped_column(KEY)
    location: Mapped[Any] = mapped_column(
        Geometry("POINT", srid=4326, spatial_index=True), nullable=False
    )
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
