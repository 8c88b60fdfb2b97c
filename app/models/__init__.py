"""ORM models; Base.metadata is what Alembic migrates."""

from app.models.areas import LEVELS, Area, AssetArea
from app.models.assets import KINDS, PERSON_KINDS, STATUSES, Asset, AssetTheme
from app.models.audit import AuditEvent
from app.models.base import Base
from app.models.deficits import DEFICIT_STATUSES, Deficit
from app.models.indicators import Indicator, IndicatorTheme, IndicatorValue
from app.models.postcodes import Postcode
from app.models.themes import Theme, ThemeRelation

SPATIAL_COLUMNS = {
    "assets": ["location", "service_area"],
    "areas": ["geom", "centroid"],
    "deficits": ["location", "area"],
    "postcodes": ["location"],
}

__all__ = [
    "DEFICIT_STATUSES",
    "KINDS",
    "LEVELS",
    "PERSON_KINDS",
    "SPATIAL_COLUMNS",
    "STATUSES",
    "Area",
    "Asset",
    "AssetArea",
    "AssetTheme",
    "AuditEvent",
    "Base",
    "Deficit",
    "Indicator",
    "IndicatorTheme",
    "IndicatorValue",
    "Postcode",
    "Theme",
    "ThemeRelation",
]
