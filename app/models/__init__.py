"""ORM models; Base.metadata is what Alembic migrates."""

from app.models.areas import LEVELS, Area, AssetArea
from app.models.assets import KINDS, PERSON_KINDS, STATUSES, Asset, AssetTheme
from app.models.audit import AuditEvent
from app.models.base import Base
from app.models.deficits import DEFICIT_STATUSES, Deficit
from app.models.indicators import Indicator, IndicatorTheme, IndicatorValue
from app.models.moderation import PROBLEMS, REPORT_STATUSES, Report
from app.models.people import (
    CONSENT_METHODS,
    INTRODUCTION_STATUSES,
    Consent,
    Erasure,
    Introduction,
    PublicLocation,
)
from app.models.postcodes import Postcode
from app.models.themes import Theme, ThemeRelation
from app.models.users import ROLES, Credential, User, UserArea

SPATIAL_COLUMNS = {
    "assets": ["location", "service_area"],
    "areas": ["geom", "centroid"],
    "deficits": ["location", "area"],
    "postcodes": ["location"],
    "public_locations": ["location"],
}

__all__ = [
    "CONSENT_METHODS",
    "DEFICIT_STATUSES",
    "INTRODUCTION_STATUSES",
    "KINDS",
    "LEVELS",
    "PERSON_KINDS",
    "PROBLEMS",
    "REPORT_STATUSES",
    "ROLES",
    "SPATIAL_COLUMNS",
    "STATUSES",
    "Area",
    "Asset",
    "AssetArea",
    "AssetTheme",
    "AuditEvent",
    "Base",
    "Consent",
    "Credential",
    "Deficit",
    "Erasure",
    "Indicator",
    "IndicatorTheme",
    "IndicatorValue",
    "Introduction",
    "Postcode",
    "PublicLocation",
    "Report",
    "Theme",
    "ThemeRelation",
    "User",
    "UserArea",
]
