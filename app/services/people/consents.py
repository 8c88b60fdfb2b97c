"""People as assets (skill, volunteer): consent and public locations.

Only admins and the connectors of a person's patch see the record itself (visibility.py).
Everybody else sees people only as counts, and only through app/services/people/disclosure.py.
"""

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import InvalidInput
from app.models import PERSON_KINDS, Asset, Consent, PublicLocation
from app.models.base import utcnow
from app.schemas.people import ConsentIn
from app.services import audit
from app.services.assets.theme_points import sync_theme_points
from app.services.assets.visibility import SYSTEM, Viewer, editable_assets
from app.services.people.disclosure import new_record_key
from app.services.people.grid import public_square
from app.spatial.geometry import geometry_from_db, point_element


def is_person(asset: Asset) -> bool:
    """Whether the asset is about a person (skill or volunteer)."""
    return asset.kind in PERSON_KINDS


def record_consent(session: Session, asset: Asset, consent: ConsentIn, *, actor: str) -> Consent:
    """Add a consent record to a person-linked asset and make it the current one."""
    now = utcnow()
    row = Consent(
        asset_id=asset.id,
        recorded_by=actor,
        recorded_at=now,
        method=consent.method,
        notice_version=consent.notice_version,
        expires_at=consent.expires_at,
    )
    session.add(row)
    asset.consent_recorded_by = actor
    asset.consent_recorded_at = now
    asset.consent_expires_at = consent.expires_at
    return row


def consent_current(asset: Asset, now: datetime | None = None) -> bool:
    """Whether the asset's latest consent has not expired."""
    expires = asset.consent_expires_at
    return expires is not None and expires > (now or utcnow())


def check_publishable(asset: Asset) -> None:
    """A person-linked record may be published only with current consent."""
    if is_person(asset) and asset.status == "published" and not consent_current(asset):
        raise InvalidInput(("body", "status"), "consent has expired: record new consent first")


def save_public_location(session: Session, asset: Asset) -> None:
    """Fix the public location of a person-linked asset from its exact one (1 km square)."""
    point = geometry_from_db(asset.location)
    square = public_square(point.x, point.y)
    row = session.get(PublicLocation, asset.id)
    if row is None:
        row = PublicLocation(asset_id=asset.id, record_key=new_record_key())
        session.add(row)
    row.location = point_element(square.lon, square.lat)
    row.grid = square.grid
    row.cell = square.cell


def expire_consents(session: Session, *, now: datetime | None = None) -> list[int]:
    """Unpublish person-linked records whose consent has lapsed; their ids (audited)."""
    now = now or utcnow()
    lapsed = list(
        session.scalars(
            select(Asset).where(
                Asset.kind.in_(PERSON_KINDS),
                Asset.status == "published",
                (Asset.consent_expires_at.is_(None)) | (Asset.consent_expires_at <= now),
            )
        )
    )
    for asset in lapsed:
        asset.status = "pending"
        sync_theme_points(asset)
        asset.version += 1
        asset.updated_at = now
        asset.updated_by = SYSTEM.actor
        audit.record(
            session,
            actor=SYSTEM.actor or "system",
            action="consent-expired",
            entity_type="asset",
            entity_id=asset.id,
            changes={"status": ["published", "pending"]},
        )
    session.flush()
    return [a.id for a in lapsed]


def lapsed_consents(session: Session, *, viewer: Viewer, within_days: int = 0) -> list[Asset]:
    """Person-linked records of the viewer's patch whose consent has lapsed (or will, within
    the given days): the connector's list of people to ask again."""
    horizon = utcnow() + timedelta(days=within_days)
    stmt = (
        select(Asset)
        .where(
            Asset.kind.in_(PERSON_KINDS),
            Asset.status != "archived",
            (Asset.consent_expires_at.is_(None)) | (Asset.consent_expires_at <= horizon),
            editable_assets(viewer),
        )
        .order_by(Asset.consent_expires_at, Asset.id)
    )
    return list(session.scalars(stmt))
