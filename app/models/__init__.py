"""ORM models; Base.metadata is what Alembic migrates."""

from app.models.areas import Area, AssetArea
from app.models.assets import Asset, AssetTheme
from app.models.audit import AuditEvent
from app.models.base import Base
from app.models.changes import DataChange
from app.models.coproduction import AssetUse, Gap, GapSupport, Offer
from app.models.deficits import Deficit
from app.models.indicators import Indicator, IndicatorTheme, IndicatorValue
from app.models.jobs import JobRun
from app.models.mail import OutboxMessage
from app.models.moderation import Report
from app.models.people import Consent, Erasure, Introduction, PublicLocation
from app.models.places import GazetteerPlace
from app.models.postcodes import Postcode
from app.models.themes import Theme, ThemeRelation
from app.models.users import Credential, User, UserArea

# The vocabularies are defined in app/vocabularies.py; models name them for their constraints.
from app.vocabularies import (
    CONSENT_METHODS,
    DEFICIT_STATUSES,
    INTRODUCTION_STATUSES,
    KINDS,
    LEVELS,
    PERSON_KINDS,
    PROBLEMS,
    REPORT_STATUSES,
    ROLES,
    STATUSES,
)

SPATIAL_COLUMNS = {
    "assets": ["location", "service_area"],
    "areas": ["geom", "centroid"],
    "deficits": ["location", "area"],
    "postcodes": ["location"],
    "places": ["location"],
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
    "AssetUse",
    "AuditEvent",
    "Base",
    "Consent",
    "Credential",
    "DataChange",
    "Deficit",
    "Erasure",
    "Gap",
    "GapSupport",
    "GazetteerPlace",
    "Indicator",
    "IndicatorTheme",
    "IndicatorValue",
    "Introduction",
    "JobRun",
    "Offer",
    "OutboxMessage",
    "Postcode",
    "PublicLocation",
    "Report",
    "Theme",
    "ThemeRelation",
    "User",
    "UserArea",
]
