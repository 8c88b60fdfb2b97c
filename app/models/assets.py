"""Assets: one geo-tagged record of something a community has."""

from datetime import datetime
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, utcnow
from app.vocabularies import KINDS, LEVELS, STATUSES


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


class Asset(Base):
    """A community asset (ABCD kind), bilingual, themed, located, with its lifecycle."""

    __tablename__ = "assets"
    __table_args__ = (
        CheckConstraint(f"kind IN ({_in(KINDS)})", name="kind"),
        CheckConstraint(f"status IN ({_in(STATUSES)})", name="status"),
        CheckConstraint("name_en IS NOT NULL OR name_cy IS NOT NULL", name="has_name"),
        UniqueConstraint("source", "source_id", name="uq_assets_source_source_id"),
        Index("ix_assets_status_id", "status", "id"),
        Index("ix_assets_kind_id", "kind", "id"),
        # The next lapse of a person's consent (app/http/response_cache.py); NULL for the rest.
        Index("ix_assets_consent_expires_at", "consent_expires_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(20))
    name_en: Mapped[str | None] = mapped_column(String(300))
    name_cy: Mapped[str | None] = mapped_column(String(300))
    description_en: Mapped[str | None] = mapped_column(Text)
    description_cy: Mapped[str | None] = mapped_column(Text)
    # Case- and accent-folded names and descriptions in both languages, for `q` search.
    search_text: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[Any] = mapped_column(
        Geometry("POINT", srid=4326, spatial_index=True), nullable=False
    )
    service_area: Mapped[Any | None] = mapped_column(
        Geometry("MULTIPOLYGON", srid=4326, spatial_index=True), nullable=True
    )
    address: Mapped[str | None] = mapped_column(Text)
    postcode: Mapped[str | None] = mapped_column(String(10))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(40))
    website: Mapped[str | None] = mapped_column(String(2000))
    opening_hours: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    accessibility: Mapped[list[str]] = mapped_column(JSON, default=list)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    last_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    source: Mapped[str | None] = mapped_column(String(200))
    source_id: Mapped[str | None] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(200))
    updated_by: Mapped[str | None] = mapped_column(String(200))
    # Consent for person-linked kinds (skill, volunteer); see DESIGN.md section 4.
    consent_recorded_by: Mapped[str | None] = mapped_column(String(200))
    consent_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consent_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Why a connector rejected a resident's suggestion (shown to the connectors of the patch).
    moderation_reason: Mapped[str | None] = mapped_column(Text)

    # Optimistic locking in the write itself: every ORM UPDATE (and DELETE) of a row says
    # `WHERE id = :id AND version = :version_read` and raises StaleDataError when another
    # transaction changed the row meanwhile. The services bump `version` themselves (once per
    # change, however many flushes it takes); see services/assets.py `_editable`.
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}  # noqa: RUF012

    themes: Mapped[list["AssetTheme"]] = relationship(
        back_populates="asset", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def theme_codes(self) -> list[str]:
        """The asset's theme codes, sorted."""
        return sorted(t.theme_code for t in self.themes)


class AssetTheme(Base):
    """Link between an asset and one theme, with a copy of the asset's point, whether it is
    public, and its area of each level (app/services/assets/theme_points.py and the area
    assignment in app/services/needs/areas.py keep them in step with the asset).

    The copies let per-theme counts over a million assets read one narrow covering index
    instead of joining the wide assets table, or the area assignment, row by row.
    """

    __tablename__ = "asset_themes"
    __table_args__ = (
        Index(
            "ix_asset_themes_theme_points",
            "theme_code",
            "public",
            "asset_id",
            "lon",
            "lat",
            *(f"area_{level}" for level in LEVELS),
        ),
    )

    asset_id: Mapped[int] = mapped_column(
        ForeignKey("assets.id", ondelete="CASCADE"), primary_key=True
    )
    theme_code: Mapped[str] = mapped_column(ForeignKey("themes.code"), primary_key=True)
    # The asset's location (EPSG:4326) and "published and not a person" (visible to anybody).
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    public: Mapped[bool] = mapped_column(Boolean)
    # The id of the asset's area of each level (as asset_areas has it; NULL outside every area
    # of the level). One column per level, not the finest area and its parents: each level is
    # assigned on its own (wards cross MSOAs; custom areas nest in nothing), and no foreign keys,
    # which would cost bulk loads a check per column; areas.py keeps them.
    area_lsoa: Mapped[int | None] = mapped_column(Integer)
    area_msoa: Mapped[int | None] = mapped_column(Integer)
    area_ward: Mapped[int | None] = mapped_column(Integer)
    area_local_authority: Mapped[int | None] = mapped_column(Integer)
    area_custom: Mapped[int | None] = mapped_column(Integer)

    asset: Mapped[Asset] = relationship(back_populates="themes")

    @staticmethod
    def area_column(level: str) -> Any:
        """The column holding the asset's area of the level (KeyError for an unknown level)."""
        if level not in LEVELS:
            raise KeyError(level)
        return getattr(AssetTheme, f"area_{level}")


# One area column per level: a new level needs its column (and a migration).
assert all(hasattr(AssetTheme, f"area_{level}") for level in LEVELS)
