"""The themes taxonomy: stable codes with English and Welsh labels."""

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class Theme(Base):
    """One term of the taxonomy (e.g. `food`, `mental_health`)."""

    __tablename__ = "themes"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    label_en: Mapped[str] = mapped_column(String(120))
    label_cy: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ThemeRelation(Base):
    """Assets of `related_code` can also meet a need of `theme_code` (used to match deficits)."""

    __tablename__ = "theme_relations"

    theme_code: Mapped[str] = mapped_column(
        ForeignKey("themes.code", ondelete="CASCADE"), primary_key=True
    )
    related_code: Mapped[str] = mapped_column(
        ForeignKey("themes.code", ondelete="CASCADE"), primary_key=True
    )
