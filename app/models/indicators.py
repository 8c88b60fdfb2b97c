"""Need indicators (e.g. WIMD 2019 domains) and their values per area."""

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class Indicator(Base):
    """A need measure: what it is, its unit, which way is more need, and where it comes from."""

    __tablename__ = "indicators"

    code: Mapped[str] = mapped_column(String(60), primary_key=True)
    label_en: Mapped[str] = mapped_column(String(200))
    label_cy: Mapped[str] = mapped_column(String(200))
    description_en: Mapped[str | None] = mapped_column(Text)
    description_cy: Mapped[str | None] = mapped_column(Text)
    unit: Mapped[str] = mapped_column(String(40))
    higher_is_more_need: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(String(300))
    year: Mapped[int] = mapped_column(Integer)
    licence: Mapped[str] = mapped_column(String(200))


class IndicatorTheme(Base):
    """An indicator speaks to a theme (WIMD health domain <-> health and wellbeing)."""

    __tablename__ = "indicator_themes"

    indicator_code: Mapped[str] = mapped_column(
        ForeignKey("indicators.code", ondelete="CASCADE"), primary_key=True
    )
    theme_code: Mapped[str] = mapped_column(ForeignKey("themes.code"), primary_key=True)


class IndicatorValue(Base):
    """The value of one indicator in one area."""

    __tablename__ = "indicator_values"

    indicator_code: Mapped[str] = mapped_column(
        ForeignKey("indicators.code", ondelete="CASCADE"), primary_key=True
    )
    area_id: Mapped[int] = mapped_column(
        ForeignKey("areas.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    value: Mapped[float] = mapped_column(Float)
