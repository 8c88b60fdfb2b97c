"""ORM models; Base.metadata is what Alembic migrates."""

from app.models.assets import KINDS, PERSON_KINDS, STATUSES, Asset, AssetTheme
from app.models.audit import AuditEvent
from app.models.base import Base
from app.models.themes import Theme

SPATIAL_COLUMNS = {"assets": ["location", "service_area"]}

__all__ = [
    "KINDS",
    "PERSON_KINDS",
    "SPATIAL_COLUMNS",
    "STATUSES",
    "Asset",
    "AssetTheme",
    "AuditEvent",
    "Base",
    "Theme",
]
