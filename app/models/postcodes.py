"""Postcode centroids, for finding what is near a postcode."""

from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class Postcode(Base):
    """A postcode (normalised 'CF10 1AA'), its centroid and, when known, its small area."""

    __tablename__ = "postcodes"

    postcode: Mapped[str] = mapped_column(String(8), primary_key=True)
    location: Mapped[Any] = mapped_column(
        Geometry("POINT", srid=4326, spatial_index=True), nullable=False
    )
    area_code: Mapped[str | None] = mapped_column(String(40), index=True)
